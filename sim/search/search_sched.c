/* The third bound, from the generated step: each rank class's program scheduled on its own, as
 * soon as possible, with the simulator's own durations and rules but none of the waits on other
 * classes. An op starts when its deps are done and the previous op of its stream is done (FIFO
 * streams, traces/trace.h); compute ops last kern_op (what sim_run uses); a collective lasts what
 * the collective model gives for the groups this class's ranks form (coll_time on the same
 * topology and algorithm, the same groups as sim/costs.c builds them) — in the replay it starts at
 * the last member's arrival and lasts the longest member's duration, so never earlier or shorter;
 * sends and recvs count 0 (they only wait for a partner). Every op's end in the replay is at least
 * its end here, so the largest class makespan is a lower bound on the step time that sees the
 * communication a rank cannot overlap (a GEMM that waits for its all-gather), which the compute
 * bounds do not. Durations are rounded to picoseconds as the replay rounds them. */
#include <stdlib.h>
#include <string.h>

#include "sim/search/search_int.h"

enum { DUR_SLOTS = 1024, KERN_SLOTS = 8192 };

/* A memo of kern_op by every op field the kernel model may read (a step repeats the same few
 * shapes thousands of times, and plans sharing tp and mbs share them too). */
typedef struct kern_slot {
  bool used;
  uint8_t kind, dtype, phase, flags;
  int64_t m, n, k, count;
  double flops, bytes, duration_s;
  double seconds;
} kern_slot;

/* A cached duration of a collective of one class: (kind, comm, bytes). */
typedef struct dur_slot {
  bool used;
  uint8_t kind, comm;
  double bytes;
  sim_ps dur;
} dur_slot;

struct search_sched {
  const search_ctx *c;
  coll_workspace *ws;
  uint8_t *seen;      /* ranks: marks of group bases */
  /* groups of each communicator for the current class */
  bool have_groups[TRACE_MAX_COMMS];
  coll_groups groups[TRACE_MAX_COMMS];
  int64_t *chips[TRACE_MAX_COMMS];
  int64_t cap_chips[TRACE_MAX_COMMS];
  dur_slot durs[DUR_SLOTS];
  kern_slot *kern; /* KERN_SLOTS */
  sim_ps *end;        /* op -> end time */
  uint32_t cap_end;
};

ts_status search_sched_new(const search_ctx *c, search_sched **out, ts_err *err) {
  search_sched *s = calloc(1, sizeof *s);
  if (!s) return ts_fail(err, TS_ENOMEM, "search: out of memory for the schedule bound");
  s->c = c;
  s->seen = calloc((size_t)c->ranks, 1);
  s->kern = calloc(KERN_SLOTS, sizeof *s->kern);
  ts_status st = s->seen && s->kern ? coll_workspace_new(&s->ws, err)
                         : ts_fail(err, TS_ENOMEM, "search: out of memory for the schedule bound");
  if (st) {
    search_sched_free(s);
    return st;
  }
  *out = s;
  return TS_OK;
}

void search_sched_free(search_sched *s) {
  if (!s) return;
  coll_workspace_free(s->ws);
  free(s->seen);
  free(s->kern);
  for (int i = 0; i < TRACE_MAX_COMMS; i++) free(s->chips[i]);
  free(s->end);
  free(s);
}

static bool same_kernel(const kern_slot *k, const trace_op *op) {
  return k->kind == op->kind && k->dtype == op->dtype && k->phase == op->phase &&
         k->flags == op->flags && k->m == op->m && k->n == op->n && k->k == op->k &&
         k->count == op->count && k->flops == op->flops && k->bytes == op->bytes &&
         k->duration_s == op->duration_s;
}

double search_sched_kern_s(search_sched *s, const trace_op *op) {
  uint64_t h = 1469598103934665603ull;
  const int64_t f[] = {op->kind, op->dtype, op->phase, op->flags, op->m, op->n, op->k, op->count};
  for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) h = (h ^ (uint64_t)f[i]) * 1099511628211ull;
  uint64_t bits;
  memcpy(&bits, &op->bytes, sizeof bits);
  h = (h ^ bits) * 1099511628211ull;
  kern_slot *k = &s->kern[(h >> 20) & (KERN_SLOTS - 1)];
  if (k->used && same_kernel(k, op)) return k->seconds;
  double seconds = kern_op(&s->c->rank_chip, op, s->c->opt.sim.kernel_table).seconds;
  *k = (kern_slot){true, op->kind, op->dtype, op->phase, op->flags, op->m, op->n, op->k,
                   op->count, op->flops, op->bytes, op->duration_s, seconds};
  return seconds;
}

static int64_t comm_base(const trace_comm *c, int64_t rank) {
  return rank - ((rank / c->stride) % c->size) * c->stride;
}

/* Every group of comm cm touched by the ranks of class cls, in order of first appearance. */
static ts_status groups_of(search_sched *s, const trace *t, const trace_class *cls, uint8_t comm,
                           coll_groups *g, ts_err *err) {
  if (s->have_groups[comm]) {
    *g = s->groups[comm];
    return TS_OK;
  }
  const trace_comm *cm = &t->comms[comm];
  int64_t rpc = t->chips > 0 ? t->ranks / t->chips : 1, n = 0;
  for (int64_t r = cls->first_rank; r < cls->first_rank + cls->ranks; r++) {
    int64_t base = comm_base(cm, r);
    if (base < 0 || base >= s->c->ranks || s->seen[base]) continue;
    s->seen[base] = 1;
    if ((n + 1) * cm->size > s->cap_chips[comm]) {
      int64_t cap = (n + 1) * cm->size * 2;
      int64_t *p = realloc(s->chips[comm], (size_t)cap * sizeof *p);
      if (!p) return ts_fail(err, TS_ENOMEM, "search: out of memory for groups of %s", cm->name);
      s->chips[comm] = p, s->cap_chips[comm] = cap;
    }
    for (int64_t i = 0; i < cm->size; i++)
      s->chips[comm][n * cm->size + i] = (base + i * cm->stride) / rpc;
    n++;
  }
  for (int64_t r = cls->first_rank; r < cls->first_rank + cls->ranks; r++) {
    int64_t base = comm_base(cm, r);
    if (base >= 0 && base < s->c->ranks) s->seen[base] = 0;
  }
  *g = (coll_groups){.n_groups = n, .group_size = cm->size, .chips = s->chips[comm]};
  s->groups[comm] = *g;
  s->have_groups[comm] = true;
  return TS_OK;
}

/* The cached duration slot of a collective of the current class. */
static dur_slot *dur_find(search_sched *s, const trace_op *op) {
  uint64_t bits;
  memcpy(&bits, &op->bytes, sizeof bits);
  uint64_t h = (bits ^ ((uint64_t)op->kind << 56) ^ ((uint64_t)op->comm << 48)) * 0x9E3779B97F4A7C15ull;
  size_t i = (size_t)(h >> 54) & (DUR_SLOTS - 1);
  for (size_t n = 0; n < DUR_SLOTS; n++, i = (i + 1) & (DUR_SLOTS - 1)) {
    dur_slot *d = &s->durs[i];
    if (!d->used || (d->kind == op->kind && d->comm == op->comm && d->bytes == op->bytes)) return d;
  }
  return NULL; /* full: computed without caching */
}

static ts_status op_ps(search_sched *s, const hw_topo *topo, const trace *t, const trace_class *cls,
                       const trace_op *op, sim_ps *out, ts_err *err) {
  trace_op_kind kind = (trace_op_kind)op->kind;
  const search_ctx *c = s->c;
  *out = 0;
  if (!trace_op_is_comm(kind)) {
    *out = sim_ps_from_s(search_sched_kern_s(s, op));
    return TS_OK;
  }
  if (kind == TRACE_OP_SEND || kind == TRACE_OP_RECV || op->comm >= t->n_comms) return TS_OK;
  dur_slot *d = dur_find(s, op);
  if (d && d->used) {
    *out = d->dur;
    return TS_OK;
  }
  coll_groups g;
  ts_status st = groups_of(s, t, cls, op->comm, &g, err);
  coll_result res = {0};
  if (!st) st = coll_time_ws(s->ws, topo, c->sys, kind, op->bytes, &g, c->opt.sim.algo, &res, err);
  if (!st) *out = sim_ps_from_s(res.seconds);
  if (!st && d) *d = (dur_slot){.used = true, .kind = op->kind, .comm = op->comm, .bytes = op->bytes,
                                .dur = *out};
  return st;
}

/* Makespan of one class scheduled alone; groups cached per communicator and collective durations
 * per (kind, comm, bytes), as the replay's cost pass does (a step repeats the same collective). */
static ts_status class_makespan(search_sched *s, const hw_topo *topo, const trace *t,
                                const trace_class *cls, sim_ps *out, ts_err *err) {
  if (cls->n_ops > s->cap_end) {
    sim_ps *p = realloc(s->end, (size_t)cls->n_ops * sizeof *p);
    if (!p) return ts_fail(err, TS_ENOMEM, "search: out of memory for the schedule bound");
    s->end = p, s->cap_end = cls->n_ops;
  }
  sim_ps stream_end[TRACE_STREAM_COUNT] = {0}, span = 0;
  memset(s->have_groups, 0, sizeof s->have_groups);
  memset(s->durs, 0, sizeof s->durs);
  for (uint32_t i = 0; i < cls->n_ops; i++) {
    const trace_op *op = &cls->ops[i];
    sim_ps dur = 0;
    ts_status st = op_ps(s, topo, t, cls, op, &dur, err);
    if (st) return st;
    uint8_t stream = op->stream < TRACE_STREAM_COUNT ? op->stream : TRACE_STREAM_COMPUTE;
    sim_ps start = stream_end[stream];
    for (uint32_t k = 0; k < op->dep_count; k++) {
      uint32_t d = cls->deps[op->dep_first + k];
      if (d < i && s->end[d] > start) start = s->end[d];
    }
    s->end[i] = start + dur;
    stream_end[stream] = s->end[i];
    if (s->end[i] > span) span = s->end[i];
  }
  *out = span;
  return TS_OK;
}

ts_status search_sched_bound(search_sched *s, const hw_topo *topo, const trace *t, double *bound_s,
                             ts_err *err) {
  sim_ps best = 0;
  for (uint32_t i = 0; i < t->n_classes; i++) {
    sim_ps span = 0;
    ts_status st = class_makespan(s, topo, t, &t->classes[i], &span, err);
    if (st) return st;
    if (span > best) best = span;
  }
  *bound_s = sim_s_from_ps(best);
  return TS_OK;
}
