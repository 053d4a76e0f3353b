/* The uncompressed payload of a .tst file, encoded and decoded field by field in little-endian
 * byte order (never a struct written as memory), exactly as traces/FORMAT.md lays it out.
 * The decoder trusts no count or length: each is checked against the bytes that remain and
 * against the limits of trace.h before anything is allocated, every enum and flag byte is checked
 * as it is read, and the finished trace goes through trace_check, whose finding is mapped back to
 * the payload offset of the record involved.
 * Format version 2 appends the f64 duration_s to each op record (76 bytes instead of 68); a trace
 * without measured durations is written as version 1 so its bytes do not change. */
#include "traces/trace.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "traces/trace_int.h"

/* ---- encoder --------------------------------------------------------------------------------- */
typedef struct wbuf {
  unsigned char *p;
  size_t len, cap;
  bool oom;
} wbuf;

static void put(wbuf *b, const void *src, size_t n) {
  if (b->oom) return;
  if (b->cap - b->len < n) {
    size_t ncap = b->cap ? b->cap : 4096;
    while (ncap - b->len < n) ncap *= 2;
    unsigned char *np = realloc(b->p, ncap);
    if (!np) {
      b->oom = true;
      return;
    }
    b->p = np;
    b->cap = ncap;
  }
  memcpy(b->p + b->len, src, n);
  b->len += n;
}

static void put_le(wbuf *b, uint64_t v, int bytes) {
  unsigned char tmp[8];
  for (int i = 0; i < bytes; i++) tmp[i] = (unsigned char)(v >> (8 * i));
  put(b, tmp, (size_t)bytes);
}
static void put_u8(wbuf *b, unsigned v) { put_le(b, v, 1); }
static void put_u16(wbuf *b, unsigned v) { put_le(b, v, 2); }
static void put_u32(wbuf *b, uint32_t v) { put_le(b, v, 4); }
static void put_i32(wbuf *b, int32_t v) { put_le(b, (uint32_t)v, 4); }
static void put_i64(wbuf *b, int64_t v) { put_le(b, (uint64_t)v, 8); }
static void put_f64(wbuf *b, double v) {
  uint64_t bits;
  memcpy(&bits, &v, sizeof bits);
  put_le(b, bits, 8);
}
static void put_str(wbuf *b, const char *s) {
  uint32_t n = (uint32_t)strlen(s);
  put_u32(b, n);
  put(b, s, n);
}

static void put_model(wbuf *b, const model *m) {
  put_str(b, m->name);
  put_str(b, m->source);
  const int64_t dims[] = {m->layers, m->hidden, m->ffn, m->heads, m->kv_heads, m->head_dim,
                          m->vocab,  m->seq};
  for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++) put_i64(b, dims[i]);
  put_u8(b, (unsigned)m->mlp);
  put_u8(b, (unsigned)m->attn);
  const int64_t moe[] = {m->moe_experts,  m->moe_topk,     m->moe_ffn,     m->moe_shared,
                         m->dense_layers, m->q_lora_rank,  m->kv_lora_rank, m->qk_rope_dim,
                         m->qk_nope_dim,  m->v_head_dim};
  for (size_t i = 0; i < sizeof moe / sizeof moe[0]; i++) put_i64(b, moe[i]);
  put_u8(b, m->tied_embeddings);
}

static void put_plan(wbuf *b, const plan *p) {
  const int32_t deg[] = {p->tp, p->pp, p->dp, p->cp, p->ep, p->vpp, p->mbs};
  for (size_t i = 0; i < sizeof deg / sizeof deg[0]; i++) put_i32(b, deg[i]);
  put_i64(b, p->gbs);
  put_u8(b, (unsigned)p->recompute);
  put_i32(b, p->zero);
  put_u8(b, (unsigned)p->dtype);
  put_u8(b, (unsigned)p->schedule);
  put_u8(b, p->sp);
  put_u8(b, p->tp_overlap);
  put_u8(b, p->dp_overlap);
  put_u8(b, p->pp_overlap);
  put_u8(b, p->naive_attention);
  put_u32(b, p->set);
  put_i32(b, p->n_stage_layers);
  for (int32_t i = 0; i < p->n_stage_layers; i++) put_i32(b, p->stage_layers[i]);
}

static void put_op(wbuf *b, const trace_op *o) {
  put_u8(b, o->kind);
  put_u8(b, o->dtype);
  put_u8(b, o->phase);
  put_u8(b, o->stream);
  put_u8(b, o->comm);
  put_u8(b, o->flags);
  put_u16(b, o->layer);
  put_u32(b, o->micro);
  put_i32(b, o->peer);
  put_i64(b, o->m);
  put_i64(b, o->n);
  put_i64(b, o->k);
  put_i64(b, o->count);
  put_f64(b, o->flops);
  put_f64(b, o->bytes);
  put_u32(b, o->dep_count);
}

static void put_class(wbuf *b, const trace_class *c, uint32_t version) {
  put_str(b, c->name);
  put_i32(b, c->stage);
  put_i64(b, c->first_rank);
  put_i64(b, c->ranks);
  put_u32(b, c->n_ops);
  put_u32(b, c->n_deps);
  for (uint32_t i = 0; i < c->n_ops; i++) {
    put_op(b, &c->ops[i]);
    if (version >= TRACE_FORMAT_VERSION_DURATION) put_f64(b, c->ops[i].duration_s);
  }
  for (uint32_t i = 0; i < c->n_deps; i++) put_u32(b, c->deps[i]);
}

uint32_t trace_format_version_needed(const trace *t) {
  for (uint32_t c = 0; c < t->n_classes; c++)
    for (uint32_t i = 0; i < t->classes[c].n_ops; i++)
      if (t->classes[c].ops[i].duration_s != 0.0) return TRACE_FORMAT_VERSION_DURATION;
  return 1;
}

ts_status trace_payload_encode(const trace *t, unsigned char **buf, size_t *len, ts_err *err) {
  *buf = NULL;
  *len = 0;
  ts_status st = trace_validate(t, err);
  if (st) return st;
  wbuf b = {0};
  put_u8(&b, t->has_model);
  put_model(&b, &t->model);
  put_plan(&b, &t->plan);
  put_str(&b, t->system);
  put_i64(&b, t->chips);
  put_i64(&b, t->ranks);
  put_u32(&b, t->n_comms);
  for (uint32_t i = 0; i < t->n_comms; i++) {
    put_str(&b, t->comms[i].name);
    put_i64(&b, t->comms[i].size);
    put_i64(&b, t->comms[i].stride);
  }
  put_u32(&b, t->n_classes);
  uint32_t version = trace_format_version_needed(t);
  for (uint32_t i = 0; i < t->n_classes; i++) put_class(&b, &t->classes[i], version);
  if (b.oom) {
    free(b.p);
    return ts_fail(err, TS_ENOMEM, "out of memory encoding the trace");
  }
  *buf = b.p;
  *len = b.len;
  return TS_OK;
}

/* ---- decoder --------------------------------------------------------------------------------- */
typedef struct rbuf {
  const unsigned char *p;
  size_t len, pos;
  const char *name;
  ts_err *err;
  bool bad;
  ts_status st;      /* TS_EINPUT, or TS_ENOMEM */
  uint32_t version;  /* the file's format version */
  size_t op_bytes;   /* op record size of that version */
} rbuf;

static bool rfail(rbuf *r, size_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool rfail(rbuf *r, size_t off, const char *fmt, ...) {
  if (r->bad) return false;
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  r->st = ts_fail(r->err, TS_EINPUT, "%s: payload offset %zu: %s", r->name, off, msg);
  r->bad = true;
  return false;
}

static size_t left(const rbuf *r) { return r->len - r->pos; }

static bool get_le(rbuf *r, int bytes, const char *what, uint64_t *v) {
  if (r->bad) return false;
  if (left(r) < (size_t)bytes)
    return rfail(r, r->pos, "truncated: %s needs %d bytes, %zu left", what, bytes, left(r));
  uint64_t x = 0;
  for (int i = 0; i < bytes; i++) x |= (uint64_t)r->p[r->pos + (size_t)i] << (8 * i);
  r->pos += (size_t)bytes;
  *v = x;
  return true;
}

static uint64_t get_u(rbuf *r, int bytes, const char *what) {
  uint64_t v = 0;
  get_le(r, bytes, what, &v);
  return v;
}
static int32_t get_i32(rbuf *r, const char *what) { return (int32_t)(uint32_t)get_u(r, 4, what); }
static int64_t get_i64(rbuf *r, const char *what) { return (int64_t)get_u(r, 8, what); }

static double get_f64(rbuf *r, const char *what) {
  uint64_t bits = get_u(r, 8, what);
  double v;
  memcpy(&v, &bits, sizeof v);
  return v;
}

/* A u8 that must be < limit (enums) or <= 1 (booleans). */
static unsigned get_enum(rbuf *r, unsigned limit, const char *what) {
  size_t off = r->pos;
  unsigned v = (unsigned)get_u(r, 1, what);
  if (!r->bad && v >= limit) rfail(r, off, "%s %u out of range (expected < %u)", what, v, limit);
  return v;
}
static bool get_bool(rbuf *r, const char *what) {
  size_t off = r->pos;
  unsigned v = (unsigned)get_u(r, 1, what);
  if (!r->bad && v > 1) rfail(r, off, "%s %u, expected 0 or 1", what, v);
  return v == 1;
}

static int64_t get_nonneg(rbuf *r, const char *what) {
  size_t off = r->pos;
  int64_t v = get_i64(r, what);
  if (!r->bad && v < 0) rfail(r, off, "%s %lld is negative", what, (long long)v);
  return v;
}

static void get_str(rbuf *r, char *dst, size_t cap, const char *what) {
  size_t off = r->pos;
  uint64_t n = get_u(r, 4, what);
  if (r->bad) return;
  if (n >= cap || n > TRACE_MAX_STRING) {
    rfail(r, off, "%s length %llu exceeds the limit of %zu bytes", what, (unsigned long long)n,
          cap - 1);
    return;
  }
  if (n > left(r)) {
    rfail(r, off, "truncated: %s length %llu but %zu bytes left", what, (unsigned long long)n,
          left(r));
    return;
  }
  if (memchr(r->p + r->pos, '\0', n)) {
    rfail(r, r->pos, "%s contains a NUL byte", what);
    return;
  }
  memcpy(dst, r->p + r->pos, n);
  dst[n] = '\0';
  r->pos += n;
}

static void get_model(rbuf *r, model *m) {
  get_str(r, m->name, sizeof m->name, "model name");
  get_str(r, m->source, sizeof m->source, "model source");
  int64_t *dims[] = {&m->layers, &m->hidden, &m->ffn, &m->heads, &m->kv_heads, &m->head_dim,
                     &m->vocab,  &m->seq};
  for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++) *dims[i] = get_nonneg(r, "model size");
  m->mlp = (model_mlp)get_enum(r, MODEL_MLP_RELU2 + 1, "model mlp");
  m->attn = (model_attn)get_enum(r, MODEL_ATTN_LATENT + 1, "model attention");
  int64_t *moe[] = {&m->moe_experts,  &m->moe_topk,     &m->moe_ffn,      &m->moe_shared,
                    &m->dense_layers, &m->q_lora_rank,  &m->kv_lora_rank, &m->qk_rope_dim,
                    &m->qk_nope_dim,  &m->v_head_dim};
  for (size_t i = 0; i < sizeof moe / sizeof moe[0]; i++) *moe[i] = get_nonneg(r, "model size");
  m->tied_embeddings = get_bool(r, "model tied_embeddings");
}

static void get_plan(rbuf *r, plan *p) {
  int32_t *deg[] = {&p->tp, &p->pp, &p->dp, &p->cp, &p->ep, &p->vpp, &p->mbs};
  for (size_t i = 0; i < sizeof deg / sizeof deg[0]; i++) *deg[i] = get_i32(r, "plan degree");
  p->gbs = get_nonneg(r, "plan gbs");
  p->recompute = (plan_recompute)get_enum(r, PLAN_RECOMP_FULL + 1, "plan recompute");
  size_t off = r->pos;
  p->zero = get_i32(r, "plan zero");
  if (!r->bad && (p->zero < 0 || p->zero > 3)) rfail(r, off, "plan zero %d, expected 0..3", p->zero);
  p->dtype = (hw_dtype)get_enum(r, HW_DTYPE_COUNT, "plan dtype");
  p->schedule = (plan_schedule)get_enum(r, PLAN_SCHED_GPIPE + 1, "plan schedule");
  p->sp = get_bool(r, "plan sp");
  p->tp_overlap = get_bool(r, "plan tp_overlap");
  p->dp_overlap = get_bool(r, "plan dp_overlap");
  p->pp_overlap = get_bool(r, "plan pp_overlap");
  p->naive_attention = get_bool(r, "plan naive_attention");
  p->set = (uint32_t)get_u(r, 4, "plan set");
  off = r->pos;
  p->n_stage_layers = get_i32(r, "plan stage_layers count");
  if (r->bad) return;
  if (p->n_stage_layers < 0 || p->n_stage_layers > PLAN_MAX_PP) {
    rfail(r, off, "plan stage_layers count %d, expected 0..%d", p->n_stage_layers, PLAN_MAX_PP);
    return;
  }
  for (int32_t i = 0; i < p->n_stage_layers; i++)
    p->stage_layers[i] = get_i32(r, "plan stage_layers");
}

static void get_comms(rbuf *r, trace *t, size_t *comm_off) {
  size_t off = r->pos;
  uint32_t n = (uint32_t)get_u(r, 4, "communicator count");
  if (r->bad) return;
  if (n > TRACE_MAX_COMMS) {
    rfail(r, off, "communicator count %u exceeds the limit of %d", n, TRACE_MAX_COMMS);
    return;
  }
  for (uint32_t i = 0; i < n && !r->bad; i++) {
    comm_off[i] = r->pos;
    trace_comm *c = &t->comms[i];
    get_str(r, c->name, sizeof c->name, "communicator name");
    c->size = get_i64(r, "communicator size");
    c->stride = get_i64(r, "communicator stride");
  }
  t->n_comms = n;
}

enum { CLASS_MIN_BYTES = 32 };

static void get_op(rbuf *r, trace_op *o) {
  o->kind = (uint8_t)get_u(r, 1, "op kind");
  o->dtype = (uint8_t)get_u(r, 1, "op dtype");
  o->phase = (uint8_t)get_u(r, 1, "op phase");
  o->stream = (uint8_t)get_u(r, 1, "op stream");
  o->comm = (uint8_t)get_u(r, 1, "op comm");
  o->flags = (uint8_t)get_u(r, 1, "op flags");
  o->layer = (uint16_t)get_u(r, 2, "op layer");
  o->micro = (uint32_t)get_u(r, 4, "op micro");
  o->peer = get_i32(r, "op peer");
  o->m = get_i64(r, "op m");
  o->n = get_i64(r, "op n");
  o->k = get_i64(r, "op k");
  o->count = get_i64(r, "op count");
  o->flops = get_f64(r, "op flops");
  o->bytes = get_f64(r, "op bytes");
  o->dep_count = (uint32_t)get_u(r, 4, "op dep_count");
  o->duration_s = r->version >= TRACE_FORMAT_VERSION_DURATION ? get_f64(r, "op duration_s") : 0.0;
}

/* One class record: its counts are checked against the bytes left before the arrays are sized. */
static void get_class(rbuf *r, trace *t, uint32_t ci, size_t *ops_off) {
  trace_class *c = &t->classes[ci];
  get_str(r, c->name, sizeof c->name, "class name");
  c->stage = get_i32(r, "class stage");
  c->first_rank = get_i64(r, "class first_rank");
  c->ranks = get_i64(r, "class ranks");
  size_t off = r->pos;
  uint64_t n_ops = get_u(r, 4, "class op count");
  uint64_t n_deps = get_u(r, 4, "class dep count");
  if (r->bad) return;
  if (n_ops > TRACE_MAX_OPS || n_deps > TRACE_MAX_DEPS) {
    rfail(r, off, "class %s: %llu ops and %llu deps exceed the limits (%d ops, %d deps)", c->name,
          (unsigned long long)n_ops, (unsigned long long)n_deps, TRACE_MAX_OPS, TRACE_MAX_DEPS);
    return;
  }
  uint64_t need = n_ops * r->op_bytes + n_deps * 4;
  if (need > left(r)) {
    rfail(r, off, "truncated: class %s has %llu ops and %llu deps (%llu bytes) but %zu bytes left",
          c->name, (unsigned long long)n_ops, (unsigned long long)n_deps,
          (unsigned long long)need, left(r));
    return;
  }
  if (!trace_class_reserve(t, ci, (uint32_t)n_ops, (uint32_t)n_deps)) {
    ts_fail(r->err, TS_ENOMEM, "%s: out of memory for class %s", r->name, c->name);
    r->st = TS_ENOMEM;
    r->bad = true;
    return;
  }
  *ops_off = r->pos;
  uint64_t dep_first = 0;
  for (uint32_t i = 0; i < n_ops; i++) {
    size_t op_off = r->pos;
    trace_op *o = &c->ops[i];
    get_op(r, o);
    o->dep_first = (uint32_t)dep_first;
    dep_first += o->dep_count;
    if (dep_first > n_deps) {
      rfail(r, op_off, "class %s op %u: dep_count %u runs past the class's %llu deps", c->name, i,
            o->dep_count, (unsigned long long)n_deps);
      return;
    }
  }
  c->n_ops = (uint32_t)n_ops;
  if (dep_first != n_deps) {
    rfail(r, r->pos, "class %s: ops use %llu of its %llu deps", c->name,
          (unsigned long long)dep_first, (unsigned long long)n_deps);
    return;
  }
  for (uint32_t i = 0; i < n_deps; i++) c->deps[i] = (uint32_t)get_u(r, 4, "dep");
  c->n_deps = (uint32_t)n_deps;
}

/* Byte offsets of the records, so trace_check's finding maps back to the payload. */
typedef struct payload_map {
  size_t comm_off[TRACE_MAX_COMMS];
  size_t *class_off, *ops_off;
} payload_map;

static void get_classes(rbuf *r, trace *t, payload_map *map) {
  size_t off = r->pos;
  uint64_t n = get_u(r, 4, "class count");
  if (r->bad) return;
  if (n < 1 || n > TRACE_MAX_CLASSES) {
    rfail(r, off, "class count %llu, expected 1..%d", (unsigned long long)n, TRACE_MAX_CLASSES);
    return;
  }
  if (n * CLASS_MIN_BYTES > left(r)) {
    rfail(r, off, "truncated: %llu classes need at least %llu bytes, %zu left",
          (unsigned long long)n, (unsigned long long)n * CLASS_MIN_BYTES, left(r));
    return;
  }
  map->class_off = calloc(n, sizeof *map->class_off);
  map->ops_off = calloc(n, sizeof *map->ops_off);
  if (!map->class_off || !map->ops_off) {
    ts_fail(r->err, TS_ENOMEM, "%s: out of memory for %llu classes", r->name, (unsigned long long)n);
    r->st = TS_ENOMEM;
    r->bad = true;
    return;
  }
  for (uint32_t i = 0; i < n && !r->bad; i++) {
    map->class_off[i] = r->pos;
    if (trace_add_class(t, "", -1, 0, 0) < 0) {
      ts_fail(r->err, TS_ENOMEM, "%s: out of memory for class %u", r->name, i);
      r->st = TS_ENOMEM;
      r->bad = true;
      return;
    }
    get_class(r, t, i, &map->ops_off[i]);
  }
}

static void get_header(rbuf *r, trace *t, payload_map *map) {
  t->has_model = get_bool(r, "has_model");
  get_model(r, &t->model);
  get_plan(r, &t->plan);
  get_str(r, t->system, sizeof t->system, "system name");
  t->chips = get_i64(r, "chips");
  t->ranks = get_i64(r, "ranks");
  get_comms(r, t, map->comm_off);
}

static size_t where_offset(const payload_map *map, const trace_where *w, size_t op_bytes) {
  if (w->cls >= 0 && w->op >= 0)
    return map->ops_off[w->cls] + (size_t)w->op * op_bytes;
  if (w->cls >= 0) return map->class_off[w->cls];
  if (w->comm >= 0) return map->comm_off[w->comm];
  return 0;
}

ts_status trace_payload_decode(const char *name, uint32_t version, const unsigned char *p,
                               size_t len, trace **out, ts_err *err) {
  *out = NULL;
  trace *t = trace_new();
  if (!t) return ts_fail(err, TS_ENOMEM, "%s: out of memory", name);
  size_t op_bytes = TRACE_OP_RECORD_BYTES + (version >= TRACE_FORMAT_VERSION_DURATION ? 8 : 0);
  rbuf r = {.p = p, .len = len, .name = name, .err = err, .version = version, .op_bytes = op_bytes};
  t->version = version;
  payload_map map = {0};
  get_header(&r, t, &map);
  get_classes(&r, t, &map);
  if (!r.bad && left(&r) != 0)
    rfail(&r, r.pos, "%zu bytes of trailing data after the last class", left(&r));
  ts_status st = r.bad ? r.st : TS_OK;
  if (!r.bad) {
    trace_where w;
    st = trace_check(t, &w, err);
    if (st) ts_err_prefix(err, "%s: payload offset %zu", name, where_offset(&map, &w, op_bytes));
  }
  free(map.class_off);
  free(map.ops_off);
  if (st) {
    trace_free(t);
    return st;
  }
  *out = t;
  return TS_OK;
}
