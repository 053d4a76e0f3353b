/* The third bound, from the generated step: each rank class's program scheduled on its own, as
 * soon as possible, with the simulator's own durations and rules but none of the waits on other
 * classes. An op starts when its deps are done and the previous op of its stream is done (FIFO
 * streams, traces/trace.h) and lasts the duration the replay gives it — the very durations, taken
 * from the prepared step (sim_cache_prepare: kern_op for compute ops, the collective model over
 * the groups this class's ranks form for collectives), so the search times each op once for the
 * bound and the simulation together. In the replay a collective starts at the last member's
 * arrival and lasts the longest member's duration, so never earlier or shorter; sends and recvs
 * count 0 here (they only wait for a partner). Every op's end in the replay is at least its end
 * here, so the largest class makespan is a lower bound on the step time that sees the
 * communication a rank cannot overlap (a GEMM that waits for its all-gather), which the compute
 * bounds do not. */
#include <stdlib.h>
#include <string.h>

#include "sim/search/search_int.h"

struct search_sched {
  bool is_comm[256]; /* trace_op_is_comm by kind (kinds out of range: not compute either) */
  sim_ps *end;       /* op -> end time */
  sim_ps *end_nodp;  /* op -> end time with the DP stream and the optimizer left out */
  uint32_t cap_end;
  sim_ps nodp;       /* the largest class makespan without them (search_sched_nodp_s) */
  sim_ps *compute;   /* class -> compute picoseconds, optimizer left out */
  uint32_t cap_compute;
};

ts_status search_sched_new(const search_ctx *c, search_sched **out, ts_err *err) {
  (void)c;
  search_sched *s = calloc(1, sizeof *s);
  if (!s) return ts_fail(err, TS_ENOMEM, "search: out of memory for the schedule bound");
  for (int k = 0; k < 256; k++)
    s->is_comm[k] = k >= TRACE_OP_KIND_COUNT || trace_op_is_comm((trace_op_kind)k);
  *out = s;
  return TS_OK;
}

void search_sched_free(search_sched *s) {
  if (!s) return;
  free(s->end);
  free(s->end_nodp);
  free(s->compute);
  free(s);
}

static bool reserve(search_sched *s, uint32_t ops, uint32_t classes) {
  if (ops > s->cap_end) {
    sim_ps *p = realloc(s->end, (size_t)ops * sizeof *p);
    if (!p) return false;
    s->end = p;
    p = realloc(s->end_nodp, (size_t)ops * sizeof *p);
    if (!p) return false;
    s->end_nodp = p, s->cap_end = ops;
  }
  if (classes > s->cap_compute) {
    sim_ps *p = realloc(s->compute, (size_t)classes * sizeof *p);
    if (!p) return false;
    s->compute = p, s->cap_compute = classes;
  }
  return true;
}

/* The same schedule without the ops of the DP stream (gradient reductions, parameter gathers) and
 * the optimizer: they end at 0 and hold no stream. Every other op's end is at most its end in the
 * full schedule (fewer and shorter constraints), and none of them depends on the ZeRO stage:
 * the generator (models/gen_dp.c) puts every ZeRO-dependent collective on the DP stream and the
 * optimizer last, and the other ops, their streams and their deps among themselves are the same
 * for every ZeRO stage. So the makespan is a bound for all plans that differ only in ZeRO. */
static sim_ps class_makespan_nodp(search_sched *s, const trace_class *cls, const sim_ps *dur) {
  sim_ps stream_end[TRACE_STREAM_COUNT] = {0}, span = 0;
  for (uint32_t i = 0; i < cls->n_ops; i++) {
    const trace_op *op = &cls->ops[i];
    s->end_nodp[i] = 0;
    if (op->stream == TRACE_STREAM_DP || op->kind == TRACE_OP_OPTIMIZER) continue;
    bool p2p = op->kind == TRACE_OP_SEND || op->kind == TRACE_OP_RECV;
    uint8_t stream = op->stream < TRACE_STREAM_COUNT ? op->stream : TRACE_STREAM_COMPUTE;
    sim_ps start = stream_end[stream];
    for (uint32_t k = 0; k < op->dep_count; k++) {
      uint32_t d = cls->deps[op->dep_first + k];
      if (d < i && s->end_nodp[d] > start) start = s->end_nodp[d];
    }
    s->end_nodp[i] = start + (p2p ? 0 : dur[i]);
    stream_end[stream] = s->end_nodp[i];
    if (s->end_nodp[i] > span) span = s->end_nodp[i];
  }
  return span;
}

/* Makespan of one class scheduled alone with the replay's durations (sends and recvs 0), and the
 * sum of its compute ops but the optimizer. */
static sim_ps class_makespan(search_sched *s, const trace_class *cls, const sim_ps *dur,
                             sim_ps *compute) {
  sim_ps stream_end[TRACE_STREAM_COUNT] = {0}, span = 0, sum = 0;
  for (uint32_t i = 0; i < cls->n_ops; i++) {
    const trace_op *op = &cls->ops[i];
    bool p2p = op->kind == TRACE_OP_SEND || op->kind == TRACE_OP_RECV;
    if (!s->is_comm[op->kind] && op->kind != TRACE_OP_OPTIMIZER) sum += dur[i];
    uint8_t stream = op->stream < TRACE_STREAM_COUNT ? op->stream : TRACE_STREAM_COMPUTE;
    sim_ps start = stream_end[stream];
    for (uint32_t k = 0; k < op->dep_count; k++) {
      uint32_t d = cls->deps[op->dep_first + k];
      if (d < i && s->end[d] > start) start = s->end[d];
    }
    s->end[i] = start + (p2p ? 0 : dur[i]);
    stream_end[stream] = s->end[i];
    if (s->end[i] > span) span = s->end[i];
  }
  *compute = sum;
  return span;
}

ts_status search_sched_bound(search_sched *s, const trace *t, const sim_cache *prepared,
                             double *bound_s, ts_err *err) {
  uint32_t most = 0;
  for (uint32_t i = 0; i < t->n_classes; i++)
    if (t->classes[i].n_ops > most) most = t->classes[i].n_ops;
  if (!reserve(s, most, t->n_classes))
    return ts_fail(err, TS_ENOMEM, "search: out of memory for the schedule bound");
  sim_ps best = 0;
  s->nodp = 0;
  for (uint32_t i = 0; i < t->n_classes; i++) {
    const sim_ps *dur = sim_cache_durations(prepared, i);
    if (!dur) return ts_fail(err, TS_EUSAGE, "search: class %u of the step is not prepared", i);
    sim_ps span = class_makespan(s, &t->classes[i], dur, &s->compute[i]);
    if (span > best) best = span;
    sim_ps nodp = class_makespan_nodp(s, &t->classes[i], dur);
    if (nodp > s->nodp) s->nodp = nodp;
  }
  *bound_s = sim_s_from_ps(best);
  return TS_OK;
}

const sim_ps *search_sched_compute(const search_sched *s) {
  return s->compute;
}

double search_sched_nodp_s(const search_sched *s) {
  return sim_s_from_ps(s->nodp);
}
