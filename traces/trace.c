/* The in-memory trace: construction (growable arrays per class, freed in one call), the names of
 * op kinds, phases and streams, the full consistency check every reader and the generator rely
 * on, and the totals `trace show` prints. The semantics the check enforces are those of
 * traces/trace.h: deps name earlier ops, sends and recvs pair up by (sender, receiver, order). */
#include "traces/trace.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "traces/trace_int.h"

/* ---- names ----------------------------------------------------------------------------------- */
static const char *const OP_KIND_NAMES[TRACE_OP_KIND_COUNT] = {
#define TRACE_OP_NAME(e, s) s,
    TRACE_OP_KIND_LIST(TRACE_OP_NAME)
#undef TRACE_OP_NAME
};
static const char *const PHASE_NAMES[TRACE_PHASE_COUNT] = {"fwd", "bwd", "recompute", "optim"};
static const char *const STREAM_NAMES[TRACE_STREAM_COUNT] = {"compute", "tp",      "cp",     "ep",
                                                             "dp",      "pp_send", "pp_recv"};

static bool parse_name(const char *const *names, int n, const char *text, int *out) {
  for (int i = 0; i < n; i++)
    if (strcmp(names[i], text) == 0) {
      *out = i;
      return true;
    }
  return false;
}

const char *trace_op_kind_name(trace_op_kind k) {
  return (unsigned)k < TRACE_OP_KIND_COUNT ? OP_KIND_NAMES[k] : "?";
}
const char *trace_phase_name(trace_phase p) {
  return (unsigned)p < TRACE_PHASE_COUNT ? PHASE_NAMES[p] : "?";
}
const char *trace_stream_name(trace_stream s) {
  return (unsigned)s < TRACE_STREAM_COUNT ? STREAM_NAMES[s] : "?";
}

bool trace_op_kind_parse(const char *text, trace_op_kind *out) {
  int v;
  if (!parse_name(OP_KIND_NAMES, TRACE_OP_KIND_COUNT, text, &v)) return false;
  *out = (trace_op_kind)v;
  return true;
}
bool trace_phase_parse(const char *text, trace_phase *out) {
  int v;
  if (!parse_name(PHASE_NAMES, TRACE_PHASE_COUNT, text, &v)) return false;
  *out = (trace_phase)v;
  return true;
}
bool trace_stream_parse(const char *text, trace_stream *out) {
  int v;
  if (!parse_name(STREAM_NAMES, TRACE_STREAM_COUNT, text, &v)) return false;
  *out = (trace_stream)v;
  return true;
}

bool trace_op_is_comm(trace_op_kind k) { return k >= TRACE_OP_ALL_REDUCE && k < TRACE_OP_KIND_COUNT; }

bool trace_copy_name(char *dst, size_t cap, const char *src) {
  size_t n = strlen(src);
  if (n >= cap) return false;
  memcpy(dst, src, n + 1);
  return true;
}

/* ---- construction ---------------------------------------------------------------------------- */
trace *trace_new(void) {
  trace *t = calloc(1, sizeof *t);
  if (t) t->version = TRACE_FORMAT_VERSION;
  return t;
}

void trace_free(trace *t) {
  if (!t) return;
  for (uint32_t i = 0; i < t->n_classes; i++) {
    free(t->classes[i].ops);
    free(t->classes[i].deps);
  }
  free(t->classes);
  free(t);
}

/* Grows *arr (elements of size elem, capacity *cap) to hold need, doubling; limit caps it. */
static bool grow(void **arr, uint32_t *cap, uint32_t need, uint32_t limit, size_t elem) {
  if (need <= *cap) return true;
  if (need > limit) return false;
  uint64_t ncap = *cap ? (uint64_t)*cap * 2 : 16;
  while (ncap < need) ncap *= 2;
  if (ncap > limit) ncap = limit;
  void *p = realloc(*arr, (size_t)ncap * elem);
  if (!p) return false;
  *arr = p;
  *cap = (uint32_t)ncap;
  return true;
}

bool trace_class_reserve(trace *t, uint32_t cls, uint32_t n_ops, uint32_t n_deps) {
  if (!t || cls >= t->n_classes) return false;
  trace_class *c = &t->classes[cls];
  void *ops = c->ops, *deps = c->deps;
  bool ok = grow(&ops, &c->cap_ops, n_ops, TRACE_MAX_OPS, sizeof(trace_op));
  c->ops = ops;
  ok = ok && grow(&deps, &c->cap_deps, n_deps, TRACE_MAX_DEPS, sizeof(uint32_t));
  c->deps = deps;
  return ok;
}

int32_t trace_add_class(trace *t, const char *name, int32_t stage, int64_t first_rank, int64_t ranks) {
  if (!t || !name) return -1;
  void *arr = t->classes;
  bool ok = grow(&arr, &t->cap_classes, t->n_classes + 1, TRACE_MAX_CLASSES, sizeof(trace_class));
  t->classes = arr;
  if (!ok) return -1;
  trace_class *c = &t->classes[t->n_classes];
  memset(c, 0, sizeof *c);
  if (!trace_copy_name(c->name, sizeof c->name, name)) return -1;
  c->stage = stage;
  c->first_rank = first_rank;
  c->ranks = ranks;
  return (int32_t)t->n_classes++;
}

int64_t trace_add_op(trace *t, int32_t cls, const trace_op *op, const uint32_t *deps,
                     uint32_t n_deps) {
  if (!t || !op || cls < 0 || (uint32_t)cls >= t->n_classes || (n_deps && !deps)) return -1;
  trace_class *c = &t->classes[cls];
  if (c->n_ops >= TRACE_MAX_OPS || (uint64_t)c->n_deps + n_deps > TRACE_MAX_DEPS) return -1;
  for (uint32_t i = 0; i < n_deps; i++)
    if (deps[i] >= c->n_ops) return -1;
  if (!trace_class_reserve(t, (uint32_t)cls, c->n_ops + 1, c->n_deps + n_deps)) return -1;
  trace_op *o = &c->ops[c->n_ops];
  *o = *op;
  o->dep_first = c->n_deps;
  o->dep_count = n_deps;
  if (n_deps) memcpy(c->deps + c->n_deps, deps, n_deps * sizeof *deps);
  c->n_deps += n_deps;
  return c->n_ops++;
}

int32_t trace_add_comm(trace *t, const char *name, int64_t size, int64_t stride) {
  if (!t || !name || t->n_comms >= TRACE_MAX_COMMS) return -1;
  trace_comm *cm = &t->comms[t->n_comms];
  memset(cm, 0, sizeof *cm);
  if (!trace_copy_name(cm->name, sizeof cm->name, name)) return -1;
  cm->size = size;
  cm->stride = stride;
  return (int32_t)t->n_comms++;
}

/* ---- summary --------------------------------------------------------------------------------- */
void trace_summarize(const trace *t, trace_summary *out) {
  memset(out, 0, sizeof *out);
  for (uint32_t ci = 0; ci < t->n_classes; ci++) {
    const trace_class *c = &t->classes[ci];
    double ranks = (double)c->ranks;
    out->total_deps += c->n_deps;
    for (uint32_t i = 0; i < c->n_ops; i++) {
      const trace_op *o = &c->ops[i];
      if (o->kind >= TRACE_OP_KIND_COUNT) continue;
      out->ops_by_kind[o->kind]++;
      out->total_ops++;
      out->flops_by_kind[o->kind] += o->flops * ranks;
      out->bytes_by_kind[o->kind] += o->bytes * ranks;
      out->total_flops += o->flops * ranks;
      if (trace_op_is_comm(o->kind) && o->comm < TRACE_MAX_COMMS)
        out->bytes_by_comm[o->comm] += o->bytes * ranks;
    }
  }
}
