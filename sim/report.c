/* The step report: what the replay measured (step time, the critical rank's breakdown) joined with
 * what follows from the trace — FLOPs (Megatron's convention through model_step_flops_count when
 * the trace carries its model; the ops' own FLOPs otherwise), MFU per chip against the dense peak
 * of the plan's dtype, tokens/s, memory per chip, the critical rank's time per op kind and its top
 * ops — and its JSON form with the stable keys of DESIGN.md ("Outputs"). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/engine_int.h"

static const struct {
  const char *name;
  sim_cat cat;
} COMM_CATS[] = {{"tp", SIM_CAT_TP}, {"cp", SIM_CAT_CP},  {"ep", SIM_CAT_EP},
                 {"dp", SIM_CAT_DP}, {"edp", SIM_CAT_DP}, {"pp", SIM_CAT_BUBBLE}};

static const sim_cat STREAM_CATS[TRACE_STREAM_COUNT] = {
    [TRACE_STREAM_COMPUTE] = SIM_CAT_DP,    [TRACE_STREAM_TP] = SIM_CAT_TP,
    [TRACE_STREAM_CP] = SIM_CAT_CP,         [TRACE_STREAM_EP] = SIM_CAT_EP,
    [TRACE_STREAM_DP] = SIM_CAT_DP,         [TRACE_STREAM_PP_SEND] = SIM_CAT_BUBBLE,
    [TRACE_STREAM_PP_RECV] = SIM_CAT_BUBBLE};

sim_cat sim_op_category(const trace *t, const trace_op *op) {
  if (!trace_op_is_comm((trace_op_kind)op->kind))
    return op->phase == TRACE_PHASE_OPTIMIZER ? SIM_CAT_OPTIMIZER : SIM_CAT_COMPUTE;
  if (op->kind == TRACE_OP_SEND || op->kind == TRACE_OP_RECV) return SIM_CAT_BUBBLE;
  if (op->comm < t->n_comms)
    for (size_t i = 0; i < sizeof COMM_CATS / sizeof COMM_CATS[0]; i++)
      if (strcmp(t->comms[op->comm].name, COMM_CATS[i].name) == 0) return COMM_CATS[i].cat;
  return op->stream < TRACE_STREAM_COUNT ? STREAM_CATS[op->stream] : SIM_CAT_DP;
}

static void format_bytes(double b, char *buf, size_t cap) {
  static const char *const UNITS[] = {"B", "kB", "MB", "GB", "TB"};
  int u = 0;
  while (b >= 1000 && u < 4) b /= 1000, u++;
  snprintf(buf, cap, u ? "%.1f%s" : "%.0f%s", b, UNITS[u]);
}

void sim_op_name(const trace *t, const trace_op *op, char *buf, size_t cap) {
  const char *kind = trace_op_kind_name((trace_op_kind)op->kind);
  const char *phase = trace_phase_name((trace_phase)op->phase);
  const char *dt = hw_dtype_name((hw_dtype)op->dtype);
  char bytes[32];
  format_bytes(op->bytes, bytes, sizeof bytes);
  if (trace_op_is_comm((trace_op_kind)op->kind)) {
    const char *comm = op->comm < t->n_comms ? t->comms[op->comm].name : "?";
    snprintf(buf, cap, "%s %s %s %s", kind, phase, comm, bytes);
  } else if (op->kind == TRACE_OP_GEMM && op->count > 1) {
    snprintf(buf, cap, "%s %s %lldx%lldx%lld x%lld %s", kind, phase, (long long)op->m,
             (long long)op->n, (long long)op->k, (long long)op->count, dt);
  } else if (op->kind == TRACE_OP_GEMM || op->kind == TRACE_OP_ATTENTION) {
    snprintf(buf, cap, "%s %s %lldx%lldx%lld %s", kind, phase, (long long)op->m, (long long)op->n,
             (long long)op->k, dt);
  } else {
    snprintf(buf, cap, "%s %s %s %s", kind, phase, bytes, dt);
  }
}

/* ---- top ops --------------------------------------------------------------------------------- */
/* Ops are grouped first by the fields their name is made of (a step repeats a few hundred shapes
 * thousands of times), then the distinct shapes are named and merged by name (two sizes may print
 * alike), so only distinct shapes are formatted. Totals are integer picoseconds, so the grouping
 * order does not change them. */
typedef struct shape_slot {
  bool used;
  uint8_t kind, phase, dtype, comm;
  int64_t m, n, k, count;
  double bytes;
  sim_ps total;
  uint64_t ops;
} shape_slot;

typedef struct shape_table {
  shape_slot *slots;
  size_t cap, n; /* cap: a power of two */
} shape_table;

static bool same_shape(const shape_slot *s, const trace_op *o) {
  return s->kind == o->kind && s->phase == o->phase && s->dtype == o->dtype && s->comm == o->comm &&
         s->m == o->m && s->n == o->n && s->k == o->k && s->count == o->count &&
         memcmp(&s->bytes, &o->bytes, sizeof s->bytes) == 0;
}

static size_t shape_hash(const trace_op *o) {
  uint64_t bits;
  memcpy(&bits, &o->bytes, sizeof bits);
  uint64_t h = (uint64_t)o->kind | (uint64_t)o->phase << 8 | (uint64_t)o->dtype << 16 |
               (uint64_t)o->comm << 24;
  const uint64_t f[] = {(uint64_t)o->m, (uint64_t)o->n, (uint64_t)o->k, (uint64_t)o->count, bits};
  for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
    h = (h ^ f[i]) * 0x9E3779B97F4A7C15ull;
    h ^= h >> 29;
  }
  return (size_t)h;
}

static shape_slot *shape_find(shape_table *t, const trace_op *o) {
  size_t mask = t->cap - 1;
  for (size_t i = shape_hash(o) & mask;; i = (i + 1) & mask)
    if (!t->slots[i].used || same_shape(&t->slots[i], o)) return &t->slots[i];
}

static bool shape_grow(shape_table *t) {
  shape_table g = {calloc(t->cap * 2, sizeof *g.slots), t->cap * 2, t->n};
  if (!g.slots) return false;
  for (size_t i = 0; i < t->cap; i++) {
    const shape_slot *s = &t->slots[i];
    if (!s->used) continue;
    trace_op o = {.kind = s->kind, .phase = s->phase, .dtype = s->dtype, .comm = s->comm,
                  .m = s->m, .n = s->n, .k = s->k, .count = s->count, .bytes = s->bytes};
    *shape_find(&g, &o) = *s;
  }
  free(t->slots);
  *t = g;
  return true;
}

static bool shape_add(shape_table *t, const trace_op *o, sim_ps dur) {
  if (2 * (t->n + 1) > t->cap && !shape_grow(t)) return false;
  shape_slot *s = shape_find(t, o);
  if (!s->used) {
    *s = (shape_slot){true, o->kind, o->phase, o->dtype, o->comm, o->m, o->n, o->k, o->count,
                      o->bytes, 0, 0};
    t->n++;
  }
  s->total += dur;
  s->ops++;
  return true;
}

typedef struct named_op {
  char name[96];
  uint8_t kind;
  sim_ps total;
  uint64_t count;
} named_op;

static int cmp_name(const void *x, const void *y) {
  return strcmp(((const named_op *)x)->name, ((const named_op *)y)->name);
}

static int cmp_top(const void *x, const void *y) {
  const sim_top_op *a = x, *b = y;
  if (a->total_s != b->total_s) return a->total_s > b->total_s ? -1 : 1;
  return strcmp(a->name, b->name);
}

/* Ops of class cls grouped by name; the SIM_TOP_OPS longest in total kept (by total, then name). */
static ts_status top_ops(sim_report *r, const trace *t, uint32_t cls, const sim_ps *dur,
                         ts_err *err) {
  const trace_class *c = &t->classes[cls];
  shape_table tab = {calloc(256, sizeof(shape_slot)), 256, 0};
  bool ok = tab.slots != NULL;
  for (uint32_t i = 0; ok && i < c->n_ops; i++) ok = shape_add(&tab, &c->ops[i], dur[i]);
  named_op *v = ok ? malloc((tab.n ? tab.n : 1) * sizeof *v) : NULL;
  if (!v) {
    free(tab.slots);
    return ts_fail(err, TS_ENOMEM, "top ops of class %s", c->name);
  }
  size_t n = 0;
  for (size_t i = 0; i < tab.cap; i++) {
    const shape_slot *s = &tab.slots[i];
    if (!s->used) continue;
    trace_op o = {.kind = s->kind, .phase = s->phase, .dtype = s->dtype, .comm = s->comm,
                  .m = s->m, .n = s->n, .k = s->k, .count = s->count, .bytes = s->bytes};
    sim_op_name(t, &o, v[n].name, sizeof v[n].name);
    v[n].kind = s->kind, v[n].total = s->total, v[n].count = s->ops;
    n++;
  }
  free(tab.slots);
  qsort(v, n, sizeof *v, cmp_name);
  sim_top_op *groups = malloc((n ? n : 1) * sizeof *groups);
  if (!groups) {
    free(v);
    return ts_fail(err, TS_ENOMEM, "top ops of class %s", c->name);
  }
  size_t n_groups = 0;
  for (size_t i = 0; i < n;) {
    sim_top_op g = {.kind = v[i].kind};
    memcpy(g.name, v[i].name, sizeof g.name);
    sim_ps total = 0;
    for (; i < n && strcmp(v[i].name, g.name) == 0; i++) total += v[i].total, g.count += v[i].count;
    g.total_s = sim_s_from_ps(total);
    groups[n_groups++] = g;
  }
  qsort(groups, n_groups, sizeof *groups, cmp_top);
  r->n_top = n_groups < SIM_TOP_OPS ? (int32_t)n_groups : SIM_TOP_OPS;
  memcpy(r->top, groups, (size_t)r->n_top * sizeof *groups);
  free(groups);
  free(v);
  return TS_OK;
}

/* ---- FLOPs, MFU, memory ---------------------------------------------------------------------- */
/* Without a model: the dtype that carries most of the ops' FLOPs. */
static hw_dtype main_dtype(const trace *t) {
  if (t->has_model) return t->plan.dtype;
  double by[HW_DTYPE_COUNT] = {0};
  for (uint32_t ci = 0; ci < t->n_classes; ci++)
    for (uint32_t i = 0; i < t->classes[ci].n_ops; i++)
      if (t->classes[ci].ops[i].dtype < HW_DTYPE_COUNT)
        by[t->classes[ci].ops[i].dtype] += t->classes[ci].ops[i].flops;
  int best = HW_BF16;
  for (int d = 0; d < HW_DTYPE_COUNT; d++)
    if (by[d] > by[best]) best = d;
  return (hw_dtype)best;
}

static ts_status flops_and_memory(sim_report *r, const trace *t, const hw_system *sys,
                                  ts_err *err) {
  if (t->has_model) {
    model_step_flops f = model_step_flops_count(&t->model, &t->plan);
    r->model_flops = f.model_flops;
    r->hw_flops = f.hw_flops;
    model_memory mem;
    ts_status st = model_memory_per_rank(&t->model, &t->plan, &mem, err);
    if (st) return st;
    r->memory_bytes_per_chip = mem.total_bytes * (double)(t->ranks / t->chips);
  } else {
    double sum = 0;
    for (uint32_t ci = 0; ci < t->n_classes; ci++)
      for (uint32_t i = 0; i < t->classes[ci].n_ops; i++)
        sum += t->classes[ci].ops[i].flops * (double)t->classes[ci].ranks;
    r->model_flops = r->hw_flops = sum;
  }
  if (r->step_s <= 0) return TS_OK;
  double chips = (double)t->chips;
  hw_dtype dt = main_dtype(t);
  double peak = dt < HW_DTYPE_COUNT ? sys->chip.peak_flops[dt] : 0;
  if (peak <= 0) peak = sys->chip.peak_flops[HW_FP32]; /* the host runs bf16/fp8 as fp32 */
  r->hw_flops_per_s_per_chip = r->hw_flops / r->step_s / chips;
  r->model_flops_per_s_per_chip = r->model_flops / r->step_s / chips;
  r->mfu = peak > 0 ? r->model_flops_per_s_per_chip / peak : 0;
  if (t->has_model) r->tokens_per_s = (double)t->plan.gbs * (double)t->model.seq / r->step_s;
  return TS_OK;
}

ts_status sim_report_fill(sim_report *r, const trace *t, const hw_system *sys, uint32_t cls,
                          const sim_ps *dur, ts_err *err) {
  sim_ps kind_ps[TRACE_OP_KIND_COUNT] = {0};
  const trace_class *c = &t->classes[cls];
  for (uint32_t i = 0; i < c->n_ops; i++) kind_ps[c->ops[i].kind] += dur[i];
  for (int k = 0; k < TRACE_OP_KIND_COUNT; k++) r->kind_total_s[k] = sim_s_from_ps(kind_ps[k]);
  ts_status st = top_ops(r, t, cls, dur, err);
  return st ? st : flops_and_memory(r, t, sys, err);
}

/* ---- JSON ------------------------------------------------------------------------------------ */
json_t *sim_breakdown_json(const sim_breakdown *b) {
  json_t *o = json_object();
  json_object_set_new(o, "compute_s", json_real(b->compute_s));
  json_object_set_new(o, "exposed_tp_s", json_real(b->exposed_tp_s));
  json_object_set_new(o, "exposed_cp_s", json_real(b->exposed_cp_s));
  json_object_set_new(o, "exposed_ep_s", json_real(b->exposed_ep_s));
  json_object_set_new(o, "bubble_s", json_real(b->bubble_s));
  json_object_set_new(o, "exposed_dp_s", json_real(b->exposed_dp_s));
  json_object_set_new(o, "optimizer_s", json_real(b->optimizer_s));
  return o;
}

static json_t *top_json(const sim_report *r) {
  json_t *a = json_array();
  for (int i = 0; i < r->n_top; i++) {
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(r->top[i].name));
    json_object_set_new(o, "kind", json_string(trace_op_kind_name((trace_op_kind)r->top[i].kind)));
    json_object_set_new(o, "count", json_integer((json_int_t)r->top[i].count));
    json_object_set_new(o, "total_s", json_real(r->top[i].total_s));
    json_array_append_new(a, o);
  }
  return a;
}

json_t *sim_report_json(const sim_report *r) {
  json_t *o = json_object();
  if (!o) return NULL;
  json_object_set_new(o, "step_s", json_real(r->step_s));
  json_object_set_new(o, "mfu", json_real(r->mfu));
  json_object_set_new(o, "tokens_per_s", json_real(r->tokens_per_s));
  json_object_set_new(o, "hw_flops_per_s_per_chip", json_real(r->hw_flops_per_s_per_chip));
  json_object_set_new(o, "model_flops_per_s_per_chip", json_real(r->model_flops_per_s_per_chip));
  json_object_set_new(o, "memory_bytes_per_chip", json_real(r->memory_bytes_per_chip));
  json_object_set_new(o, "breakdown", sim_breakdown_json(&r->breakdown));
  json_object_set_new(o, "top_ops", top_json(r));
  json_object_set_new(o, "model_flops", json_real(r->model_flops));
  json_object_set_new(o, "hw_flops", json_real(r->hw_flops));
  json_t *kinds = json_object();
  for (int k = 0; k < TRACE_OP_KIND_COUNT; k++)
    if (r->kind_total_s[k] > 0)
      json_object_set_new(kinds, trace_op_kind_name((trace_op_kind)k),
                          json_real(r->kind_total_s[k]));
  json_object_set_new(o, "kind_total_s", kinds);
  json_object_set_new(o, "events", json_integer((json_int_t)r->events));
  return o;
}
