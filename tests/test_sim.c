/* Tests of the replay (sim/replay.c, program.c, costs.c, report.c) on traces built by hand, with a
 * closed-form cost model plugged in: a compute op lasts flops / 1e12 s, a communication op
 * bytes / 1e9 s. Every expected time is derived by hand in the test. */
#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "models/gen.h"
#include "sim/engine_int.h"

#define MS 1e-3
#define FLOPS_PER_MS 1e9 /* compute: 1e9 FLOPs last 1 ms */
#define BYTES_PER_MS 1e6 /* comm: 1e6 bytes last 1 ms */

/* ---- fixtures -------------------------------------------------------------------------------- */
typedef struct seen_groups {
  int n;
  struct {
    uint32_t cls;
    uint8_t kind, op_kind;
    int64_t n_groups, size;
    int64_t chips[16];
  } g[32];
} seen_groups;

static ts_status compute_cost(void *ctx, const trace *t, uint32_t cls, const trace_op *op,
                              double *seconds, ts_err *err) {
  (void)ctx, (void)t, (void)cls, (void)err;
  *seconds = op->flops / 1e12;
  return TS_OK;
}

static ts_status comm_cost(void *ctx, const trace *t, uint32_t cls, const trace_op *op,
                           trace_op_kind kind, const coll_groups *g, double *seconds, ts_err *err) {
  (void)t, (void)err;
  seen_groups *seen = ctx;
  if (seen && seen->n < 32) {
    int i = seen->n++;
    seen->g[i].cls = cls;
    seen->g[i].kind = (uint8_t)kind;
    seen->g[i].op_kind = op->kind;
    seen->g[i].n_groups = g->n_groups;
    seen->g[i].size = g->group_size;
    for (int64_t k = 0; k < g->n_groups * g->group_size && k < 16; k++)
      seen->g[i].chips[k] = g->chips[k];
  }
  *seconds = op->bytes / 1e9;
  return TS_OK;
}

static ts_status nan_cost(void *ctx, const trace *t, uint32_t cls, const trace_op *op,
                          double *seconds, ts_err *err) {
  (void)ctx, (void)t, (void)cls, (void)op, (void)err;
  *seconds = NAN;
  return TS_OK;
}

static hw_system test_system(void) {
  hw_system s;
  memset(&s, 0, sizeof s);
  strcpy(s.name, "test");
  s.chip.ranks_per_chip = 1;
  s.chip.peak_flops[HW_BF16] = 1e12;
  return s;
}

static trace *new_trace(int64_t ranks) {
  trace *t = trace_new();
  t->ranks = t->chips = ranks;
  strcpy(t->system, "test");
  return t;
}

static uint32_t add(trace *t, int32_t cls, trace_op_kind kind, trace_phase phase, trace_stream s,
                    int comm, int32_t peer, double ms, int n_deps, ...) {
  trace_op o = {.kind = (uint8_t)kind,
                .dtype = HW_BF16,
                .phase = (uint8_t)phase,
                .stream = (uint8_t)s,
                .comm = (uint8_t)(comm < 0 ? TRACE_NO_COMM : comm),
                .layer = TRACE_NO_LAYER,
                .peer = peer,
                .count = 1};
  if (trace_op_is_comm(kind))
    o.bytes = ms * BYTES_PER_MS;
  else
    o.flops = ms * FLOPS_PER_MS, o.m = o.n = o.k = 64;
  uint32_t deps[8];
  va_list ap;
  va_start(ap, n_deps);
  for (int i = 0; i < n_deps; i++) deps[i] = va_arg(ap, uint32_t);
  va_end(ap);
  int64_t id = trace_add_op(t, cls, &o, deps, (uint32_t)n_deps);
  assert_true(id >= 0);
  return (uint32_t)id;
}

static uint32_t compute(trace *t, int32_t cls, trace_phase ph, double ms, int n_deps,
                        uint32_t dep) {
  return n_deps ? add(t, cls, TRACE_OP_GEMM, ph, TRACE_STREAM_COMPUTE, -1, -1, ms, 1, dep)
                : add(t, cls, TRACE_OP_GEMM, ph, TRACE_STREAM_COMPUTE, -1, -1, ms, 0);
}

static sim_result *replay(const trace *t, sim_fidelity fid, bool timeline, seen_groups *seen) {
  hw_system sys = test_system();
  sim_options opt = {.fidelity = fid, .record_timeline = timeline};
  sim_cost_model cost = {.compute = compute_cost, .comm = comm_cost, .ctx = seen};
  sim_result *r = NULL;
  ts_err err = {0};
  ts_status st = sim_replay(t, &sys, &opt, &cost, NULL, &r, &err);
  if (st) fail_msg("sim_replay: %s", err.msg);
  return r;
}

static double step_ms(const trace *t, sim_fidelity fid) {
  sim_result *r = replay(t, fid, false, NULL);
  double s = sim_result_report(r)->step_s;
  sim_result_free(r);
  return s / MS;
}

static void assert_ms(double got_s, double want_ms) {
  if (fabs(got_s - want_ms * MS) > 1e-12)
    fail_msg("got %.15g ms, want %.15g ms", got_s / MS, want_ms);
}

static double breakdown_sum(const sim_breakdown *b) {
  return b->compute_s + b->exposed_tp_s + b->exposed_cp_s + b->exposed_ep_s + b->bubble_s +
         b->exposed_dp_s + b->optimizer_s;
}

static void breakdown_parts(const sim_breakdown *b, double out[SIM_CAT_COUNT]) {
  const double parts[SIM_CAT_COUNT] = {b->compute_s,    b->exposed_tp_s, b->exposed_cp_s,
                                       b->exposed_ep_s, b->bubble_s,     b->exposed_dp_s,
                                       b->optimizer_s};
  memcpy(out, parts, sizeof parts);
}

/* ---- streams and dependencies ---------------------------------------------------------------- */
static void test_two_ops_on_one_stream_serialize(void **state) {
  (void)state;
  trace *t = new_trace(1);
  trace_add_class(t, "only", -1, 0, 1);
  compute(t, 0, TRACE_PHASE_FORWARD, 1, 0, 0);
  compute(t, 0, TRACE_PHASE_FORWARD, 2, 0, 0);
  sim_result *r = replay(t, SIM_FIDELITY_SYMMETRIC, false, NULL);
  assert_ms(sim_result_report(r)->step_s, 3);
  assert_ms(sim_result_report(r)->breakdown.compute_s, 3);
  sim_result_free(r);
  trace_free(t);
}

static void test_ops_on_two_streams_overlap(void **state) {
  (void)state;
  trace *t = new_trace(2);
  int tp = trace_add_comm(t, "tp", 2, 1);
  trace_add_class(t, "only", -1, 0, 2);
  compute(t, 0, TRACE_PHASE_FORWARD, 1, 0, 0);
  add(t, 0, TRACE_OP_ALL_REDUCE, TRACE_PHASE_FORWARD, TRACE_STREAM_TP, tp, -1, 2, 0);
  /* max(1, 2): the compute stream idles 1 ms at the end, charged to the all-reduce that ended last
   */
  sim_result *r = replay(t, SIM_FIDELITY_SYMMETRIC, false, NULL);
  const sim_report *rep = sim_result_report(r);
  assert_ms(rep->step_s, 2);
  assert_ms(rep->breakdown.compute_s, 1);
  assert_ms(rep->breakdown.exposed_tp_s, 1);
  sim_result_free(r);
  assert_ms(step_ms(t, SIM_FIDELITY_FULL) * MS, 2);
  trace_free(t);
}

static void test_dependency_chain_time_is_the_sum(void **state) {
  (void)state;
  trace *t = new_trace(2);
  int tp = trace_add_comm(t, "tp", 2, 1);
  trace_add_class(t, "only", -1, 0, 2);
  uint32_t a = compute(t, 0, TRACE_PHASE_FORWARD, 1, 0, 0);
  uint32_t ar =
      add(t, 0, TRACE_OP_ALL_REDUCE, TRACE_PHASE_FORWARD, TRACE_STREAM_TP, tp, -1, 2, 1, a);
  uint32_t b = compute(t, 0, TRACE_PHASE_BACKWARD, 3, 1, ar);
  add(t, 0, TRACE_OP_OPTIMIZER, TRACE_PHASE_OPTIMIZER, TRACE_STREAM_COMPUTE, -1, -1, 0.5, 1, b);
  for (int f = 0; f < 2; f++) {
    sim_result *r = replay(t, (sim_fidelity)f, false, NULL);
    const sim_report *rep = sim_result_report(r);
    assert_ms(rep->step_s, 1 + 2 + 3 + 0.5);
    assert_ms(rep->breakdown.compute_s, 4);
    assert_ms(rep->breakdown.exposed_tp_s, 2);
    assert_ms(rep->breakdown.optimizer_s, 0.5);
    assert_ms(breakdown_sum(&rep->breakdown), 6.5);
    sim_result_free(r);
  }
  trace_free(t);
}

static void test_dp_collective_hidden_behind_compute_costs_nothing(void **state) {
  (void)state;
  trace *t = new_trace(2);
  int dp = trace_add_comm(t, "dp", 2, 1);
  trace_add_class(t, "only", -1, 0, 2);
  uint32_t b1 = compute(t, 0, TRACE_PHASE_BACKWARD, 2, 0, 0);
  uint32_t rs =
      add(t, 0, TRACE_OP_REDUCE_SCATTER, TRACE_PHASE_BACKWARD, TRACE_STREAM_DP, dp, -1, 1.5, 1, b1);
  uint32_t b2 = compute(t, 0, TRACE_PHASE_BACKWARD, 2, 1, b1);
  uint32_t rs2 =
      add(t, 0, TRACE_OP_REDUCE_SCATTER, TRACE_PHASE_BACKWARD, TRACE_STREAM_DP, dp, -1, 1, 1, b2);
  add(t, 0, TRACE_OP_OPTIMIZER, TRACE_PHASE_OPTIMIZER, TRACE_STREAM_COMPUTE, -1, -1, 1, 2, rs, rs2);
  /* rs hides under b2 (2..3.5 within 2..4); rs2 runs 4..5 exposed; optimizer 5..6 */
  sim_result *r = replay(t, SIM_FIDELITY_SYMMETRIC, false, NULL);
  const sim_report *rep = sim_result_report(r);
  assert_ms(rep->step_s, 6);
  assert_ms(rep->breakdown.compute_s, 4);
  assert_ms(rep->breakdown.exposed_dp_s, 1);
  assert_ms(rep->breakdown.optimizer_s, 1);
  sim_result_free(r);
  trace_free(t);
}

/* ---- pipelines ------------------------------------------------------------------------------- */
typedef struct pipe_ids {
  uint32_t fwd_end[64], bwd_end[64]; /* op ids of stage 0's F_i and B_i */
} pipe_ids;

/* F_i of stage s: recv activation (s > 0), compute, send activation (s < p-1). */
static uint32_t pipe_forward(trace *t, int pp, int s, int p, double f, double c) {
  uint32_t r = 0;
  if (s > 0)
    r = add(t, s, TRACE_OP_RECV, TRACE_PHASE_FORWARD, TRACE_STREAM_PP_RECV, pp, s - 1, c, 0);
  uint32_t op = compute(t, s, TRACE_PHASE_FORWARD, f, s > 0, r);
  if (s < p - 1)
    add(t, s, TRACE_OP_SEND, TRACE_PHASE_FORWARD, TRACE_STREAM_PP_SEND, pp, s + 1, c, 1, op);
  return op;
}

static uint32_t pipe_backward(trace *t, int pp, int s, int p, double b, double c) {
  uint32_t r = 0;
  if (s < p - 1)
    r = add(t, s, TRACE_OP_RECV, TRACE_PHASE_BACKWARD, TRACE_STREAM_PP_RECV, pp, s + 1, c, 0);
  uint32_t op = compute(t, s, TRACE_PHASE_BACKWARD, b, s < p - 1, r);
  if (s > 0)
    add(t, s, TRACE_OP_SEND, TRACE_PHASE_BACKWARD, TRACE_STREAM_PP_SEND, pp, s - 1, c, 1, op);
  return op;
}

/* p stages of one rank each; GPipe: all forwards, then all backwards (last micro-batch first). */
static trace *gpipe(int p, int m, double f, double b, double c) {
  trace *t = new_trace(p);
  int pp = trace_add_comm(t, "pp", p, 1);
  for (int s = 0; s < p; s++) {
    char name[16];
    snprintf(name, sizeof name, "stage%d", s);
    trace_add_class(t, name, s, s, 1);
    for (int i = 0; i < m; i++) pipe_forward(t, pp, s, p, f, c);
    for (int i = m - 1; i >= 0; i--) pipe_backward(t, pp, s, p, b, c);
  }
  return t;
}

/* 1F1B: stage s warms up with min(p-s-1, m) forwards, alternates one forward and one backward,
 * and drains the remaining backwards. */
static trace *one_f_one_b(int p, int m, double f, double b, double c) {
  trace *t = new_trace(p);
  int pp = trace_add_comm(t, "pp", p, 1);
  for (int s = 0; s < p; s++) {
    char name[16];
    snprintf(name, sizeof name, "stage%d", s);
    trace_add_class(t, name, s, s, 1);
    int warm = p - s - 1 < m ? p - s - 1 : m;
    for (int i = 0; i < warm; i++) pipe_forward(t, pp, s, p, f, c);
    for (int i = 0; i < m - warm; i++) {
      pipe_forward(t, pp, s, p, f, c);
      pipe_backward(t, pp, s, p, b, c);
    }
    for (int i = m - warm; i < m; i++) pipe_backward(t, pp, s, p, b, c);
  }
  return t;
}

/* Peak number of micro-batches stage 0 holds activations for (forwards done, backwards not). */
static int peak_in_flight(const sim_result *r) {
  int live = 0, peak = 0;
  for (uint64_t i = 0; i < r->n_slices; i++) {
    const sim_slice *sl = &r->slices[i];
    if (sl->rank != 0) continue;
    const trace_op *o = &r->tl_classes[0].ops[sl->op];
    if (o->kind != TRACE_OP_GEMM) continue;
    live += o->phase == TRACE_PHASE_FORWARD ? 1 : -1;
    if (live > peak) peak = live;
  }
  return peak;
}

static void test_gpipe_two_stages_takes_m_plus_p_minus_1_slots(void **state) {
  (void)state;
  const int p = 2, m = 6;
  const double f = 1, b = 2;
  trace *t = gpipe(p, m, f, b, 0);
  sim_result *r = replay(t, SIM_FIDELITY_SYMMETRIC, true, NULL);
  const sim_report *rep = sim_result_report(r);
  assert_ms(rep->step_s, (m + p - 1) * (f + b));
  assert_ms(rep->breakdown.bubble_s, (p - 1) * (f + b));
  assert_ms(rep->breakdown.compute_s, m * (f + b));
  assert_int_equal(peak_in_flight(r), m);
  sim_result_free(r);
  trace_free(t);
}

static void test_gpipe_with_transfers_adds_two_per_stage_boundary(void **state) {
  (void)state;
  /* transfer c <= f, b never queues: the last stage starts (p-1)(f+c) late and each gradient
   * comes back c later per boundary: (m+p-1)(f+b) + 2(p-1)c */
  const int p = 3, m = 4;
  const double f = 1, b = 2, c = 0.25;
  trace *t = gpipe(p, m, f, b, c);
  for (int fid = 0; fid < 2; fid++) {
    sim_result *r = replay(t, (sim_fidelity)fid, false, NULL);
    const sim_report *rep = sim_result_report(r);
    assert_ms(rep->step_s, (m + p - 1) * (f + b) + 2 * (p - 1) * c);
    assert_ms(rep->breakdown.bubble_s, (p - 1) * (f + b) + 2 * (p - 1) * c);
    assert_ms(breakdown_sum(&rep->breakdown), (m + p - 1) * (f + b) + 2 * (p - 1) * c);
    sim_result_free(r);
  }
  trace_free(t);
}

static void test_1f1b_same_step_time_as_gpipe_with_less_memory(void **state) {
  (void)state;
  const int p = 4, m = 8;
  const double f = 1, b = 2;
  trace *t = one_f_one_b(p, m, f, b, 0);
  sim_result *r = replay(t, SIM_FIDELITY_SYMMETRIC, true, NULL);
  const sim_report *rep = sim_result_report(r);
  assert_ms(rep->step_s, (m + p - 1) * (f + b));
  assert_ms(rep->breakdown.bubble_s, (p - 1) * (f + b));
  assert_int_equal(peak_in_flight(r), p); /* GPipe would hold m = 8 */
  sim_result_free(r);
  trace *g = gpipe(p, m, f, b, 0);
  assert_ms(step_ms(g, SIM_FIDELITY_SYMMETRIC) * MS, (m + p - 1) * (f + b));
  trace_free(g);
  trace_free(t);
}

/* ---- fidelities ------------------------------------------------------------------------------ */
/* 8 ranks: tp=2 (stride 1), dp=2 (stride 2), pp=2 (stride 4); a 1F1B step with TP all-reduces
 * after each forward and backward, a DP all-reduce and an "emb" all-reduce that pairs the two
 * stages (rank r with r+4) before the optimizer. */
static trace *hybrid(int m) {
  trace *t = new_trace(8);
  int tp = trace_add_comm(t, "tp", 2, 1), dp = trace_add_comm(t, "dp", 2, 2);
  int pp = trace_add_comm(t, "pp", 2, 4), emb = trace_add_comm(t, "emb", 2, 4);
  for (int s = 0; s < 2; s++) {
    trace_add_class(t, s ? "stage1" : "stage0", s, 4 * s, 4);
    int warm = s == 0 ? 1 : 0;
    uint32_t last = 0;
    for (int i = 0; i < 2 * m; i++) {
      bool fwd = i < warm ? true : i >= warm + 2 * (m - warm) ? false : ((i - warm) % 2 == 0);
      trace_phase ph = fwd ? TRACE_PHASE_FORWARD : TRACE_PHASE_BACKWARD;
      bool recv = fwd ? s == 1 : s == 0;
      uint32_t r = recv ? add(t, s, TRACE_OP_RECV, ph, TRACE_STREAM_PP_RECV, pp, 1 - s, 0.3, 0) : 0;
      uint32_t c = compute(t, s, ph, fwd ? 1 : 2, recv, r);
      uint32_t ar = add(t, s, TRACE_OP_ALL_REDUCE, ph, TRACE_STREAM_TP, tp, -1, 0.4, 1, c);
      last = compute(t, s, ph, 0.5, 1, ar);
      if (fwd ? s == 0 : s == 1)
        add(t, s, TRACE_OP_SEND, ph, TRACE_STREAM_PP_SEND, pp, 1 - s, 0.3, 1, last);
    }
    uint32_t g =
        add(t, s, TRACE_OP_ALL_REDUCE, TRACE_PHASE_BACKWARD, TRACE_STREAM_DP, dp, -1, 3, 1, last);
    uint32_t e =
        add(t, s, TRACE_OP_ALL_REDUCE, TRACE_PHASE_BACKWARD, TRACE_STREAM_DP, emb, -1, 0.2, 1, g);
    add(t, s, TRACE_OP_OPTIMIZER, TRACE_PHASE_OPTIMIZER, TRACE_STREAM_COMPUTE, -1, -1, 0.7, 1, e);
  }
  return t;
}

static void test_symmetric_and_full_agree(void **state) {
  (void)state;
  trace *traces[] = {hybrid(3), hybrid(1), gpipe(3, 5, 1, 2, 0.1), one_f_one_b(4, 6, 1, 2, 0)};
  for (size_t i = 0; i < sizeof traces / sizeof traces[0]; i++) {
    sim_result *a = replay(traces[i], SIM_FIDELITY_SYMMETRIC, false, NULL);
    sim_result *b = replay(traces[i], SIM_FIDELITY_FULL, false, NULL);
    const sim_report *ra = sim_result_report(a), *rb = sim_result_report(b);
    assert_true(ra->step_s > 0);
    assert_true(fabs(ra->step_s - rb->step_s) <= 1e-9 * ra->step_s);
    double pa[SIM_CAT_COUNT], pb[SIM_CAT_COUNT];
    breakdown_parts(&ra->breakdown, pa);
    breakdown_parts(&rb->breakdown, pb);
    for (int c = 0; c < SIM_CAT_COUNT; c++) assert_true(fabs(pa[c] - pb[c]) <= 1e-9 * ra->step_s);
    assert_true(fabs(breakdown_sum(&ra->breakdown) - ra->step_s) <= 1e-12);
    assert_true(fabs(breakdown_sum(&rb->breakdown) - rb->step_s) <= 1e-12);
    sim_result_free(a);
    sim_result_free(b);
    trace_free(traces[i]);
  }
}

static void test_cross_class_collective_waits_for_the_late_class(void **state) {
  (void)state;
  /* stage0 computes 5 ms, stage1 1 ms, then both all-reduce 1 ms over "emb" (pairs r, r+2):
   * the collective starts when stage0 arrives at 5, so stage1 also ends at 6 */
  trace *t = new_trace(4);
  int emb = trace_add_comm(t, "emb", 2, 2);
  for (int s = 0; s < 2; s++) {
    trace_add_class(t, s ? "stage1" : "stage0", s, 2 * s, 2);
    uint32_t c = compute(t, s, TRACE_PHASE_FORWARD, s ? 1 : 5, 0, 0);
    uint32_t ar =
        add(t, s, TRACE_OP_ALL_REDUCE, TRACE_PHASE_BACKWARD, TRACE_STREAM_DP, emb, -1, 1, 1, c);
    compute(t, s, TRACE_PHASE_BACKWARD, s ? 2 : 1, 1, ar);
  }
  /* stage0 ends 5+1+1 = 7, stage1 5+1+2 = 8 (critical: waited 4 on the DP-stream collective) */
  for (int f = 0; f < 2; f++) {
    sim_result *r = replay(t, (sim_fidelity)f, false, NULL);
    const sim_report *rep = sim_result_report(r);
    assert_ms(rep->step_s, 8);
    assert_ms(rep->breakdown.compute_s, 3);
    assert_ms(rep->breakdown.exposed_dp_s, 5);
    sim_result_free(r);
  }
  trace_free(t);
}

static void test_collective_groups_are_every_group_the_class_forms(void **state) {
  (void)state;
  trace *t = hybrid(1);
  seen_groups seen = {0};
  sim_result *r = replay(t, SIM_FIDELITY_SYMMETRIC, false, &seen);
  sim_result_free(r);
  bool tp = false, dp = false, send = false, recv = false;
  for (int i = 0; i < seen.n; i++) {
    const int64_t *c = seen.g[i].chips;
    if (seen.g[i].cls != 0 && seen.g[i].op_kind != TRACE_OP_RECV) continue;
    if (seen.g[i].op_kind == TRACE_OP_ALL_REDUCE && seen.g[i].n_groups == 2 && c[1] == 1) {
      tp = true; /* tp of stage0: {0,1}, {2,3} */
      assert_true(c[0] == 0 && c[2] == 2 && c[3] == 3);
    } else if (seen.g[i].op_kind == TRACE_OP_ALL_REDUCE && seen.g[i].n_groups == 2 && c[1] == 2) {
      dp = true; /* dp of stage0: {0,2}, {1,3} */
      assert_true(c[0] == 0 && c[2] == 1 && c[3] == 3);
    } else if (seen.g[i].op_kind == TRACE_OP_SEND) {
      send = true; /* stage0 -> stage1 pairs (r, r+4) */
      assert_int_equal(seen.g[i].kind, TRACE_OP_SEND);
      assert_int_equal(seen.g[i].n_groups, 4);
      for (int k = 0; k < 4; k++) assert_true(c[2 * k] == k && c[2 * k + 1] == k + 4);
    } else if (seen.g[i].op_kind == TRACE_OP_RECV && seen.g[i].cls == 1) {
      recv = true; /* stage1 receiving from stage0: sender first */
      assert_int_equal(seen.g[i].kind, TRACE_OP_SEND);
      for (int k = 0; k < 4; k++) assert_true(c[2 * k] == k && c[2 * k + 1] == k + 4);
    }
  }
  assert_true(tp && dp && send && recv);
  trace_free(t);
}

static void test_collective_costs_are_asked_once_per_distinct_op(void **state) {
  (void)state;
  trace *t = hybrid(4); /* 4 micro-batches repeat the same collectives */
  seen_groups seen = {0};
  sim_result *r = replay(t, SIM_FIDELITY_FULL, false, &seen);
  sim_result_free(r);
  /* per class: tp all-reduce, dp all-reduce, emb all-reduce, send, recv = 5; two classes */
  assert_int_equal(seen.n, 10);
  trace_free(t);
}

/* ---- report ---------------------------------------------------------------------------------- */
static void test_report_json_is_deterministic(void **state) {
  (void)state;
  trace *t = hybrid(3);
  char *text[2];
  for (int i = 0; i < 2; i++) {
    sim_result *r = replay(t, SIM_FIDELITY_FULL, false, NULL);
    json_t *j = sim_report_json(sim_result_report(r));
    assert_non_null(json_object_get(j, "step_s"));
    assert_non_null(json_object_get(json_object_get(j, "breakdown"), "bubble_s"));
    text[i] = json_dumps(j, JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    json_decref(j);
    sim_result_free(r);
  }
  assert_string_equal(text[0], text[1]);
  free(text[0]);
  free(text[1]);
  trace_free(t);
}

static void test_report_flops_mfu_and_top_ops(void **state) {
  (void)state;
  trace *t = new_trace(2);
  trace_add_class(t, "only", -1, 0, 2);
  compute(t, 0, TRACE_PHASE_FORWARD, 1, 0, 0); /* 1e9 FLOPs, 1 ms */
  compute(t, 0, TRACE_PHASE_FORWARD, 1, 0, 0);
  compute(t, 0, TRACE_PHASE_BACKWARD, 3, 0, 0);
  sim_result *r = replay(t, SIM_FIDELITY_SYMMETRIC, false, NULL);
  const sim_report *rep = sim_result_report(r);
  /* 5e9 FLOPs per rank x 2 ranks over 5 ms on 2 chips of 1e12 peak: 1e12 FLOP/s per chip, MFU 1 */
  assert_true(fabs(rep->hw_flops - 1e10) < 1);
  assert_true(fabs(rep->hw_flops_per_s_per_chip - 1e12) < 1e3);
  assert_true(fabs(rep->mfu - 1) < 1e-9);
  assert_int_equal(rep->n_top, 2);
  assert_string_equal(rep->top[0].name, "gemm bwd 64x64x64 bf16");
  assert_int_equal(rep->top[0].count, 1);
  assert_ms(rep->top[0].total_s, 3);
  assert_string_equal(rep->top[1].name, "gemm fwd 64x64x64 bf16");
  assert_int_equal(rep->top[1].count, 2);
  assert_ms(rep->top[1].total_s, 2);
  assert_ms(rep->kind_total_s[TRACE_OP_GEMM], 5);
  sim_result_free(r);
  trace_free(t);
}

/* Ops whose sizes differ but print alike ("16.8MB") are one top op: 16.80 ms + 16.84 ms of
 * all-reduce (16.80 and 16.84 MB at 1e6 bytes per ms) make one line of 2 ops above the 1 ms
 * GEMMs; the GEMMs of two phases stay apart. */
static void test_top_ops_merge_sizes_that_print_alike(void **state) {
  (void)state;
  trace *t = new_trace(1);
  int tp = trace_add_comm(t, "tp", 1, 1);
  trace_add_class(t, "only", -1, 0, 1);
  add(t, 0, TRACE_OP_ALL_REDUCE, TRACE_PHASE_FORWARD, TRACE_STREAM_TP, tp, -1, 16.80, 0);
  compute(t, 0, TRACE_PHASE_FORWARD, 1, 0, 0);
  add(t, 0, TRACE_OP_ALL_REDUCE, TRACE_PHASE_FORWARD, TRACE_STREAM_TP, tp, -1, 16.84, 0);
  compute(t, 0, TRACE_PHASE_BACKWARD, 1, 0, 0);
  sim_result *r = replay(t, SIM_FIDELITY_SYMMETRIC, false, NULL);
  const sim_report *rep = sim_result_report(r);
  assert_int_equal(rep->n_top, 3);
  assert_string_equal(rep->top[0].name, "all_reduce fwd tp 16.8MB");
  assert_int_equal(rep->top[0].count, 2);
  assert_ms(rep->top[0].total_s, 16.80 + 16.84);
  /* equal totals: by name */
  assert_string_equal(rep->top[1].name, "gemm bwd 64x64x64 bf16");
  assert_string_equal(rep->top[2].name, "gemm fwd 64x64x64 bf16");
  sim_result_free(r);
  trace_free(t);
}

/* ---- sim_run on generated steps (catalog system, kernel and collective models) ----------------
 */
static trace *generate(const char *model_name, const char *plan_text, const char *system,
                       hw_system *sys) {
  ts_err err = {0};
  model m;
  plan p;
  if (model_load(model_name, &m, &err) || plan_parse(plan_text, &p, &err) ||
      hw_system_load(system, sys, &err))
    fail_msg("%s", err.msg);
  m.seq = 2048;
  trace *t = NULL;
  int64_t chips = (int64_t)p.tp * p.pp * p.dp * p.cp / sys->chip.ranks_per_chip;
  gen_options go = {.allow_oom = true};
  if (gen_step(&m, &p, sys, chips, &go, &t, &err)) fail_msg("gen_step: %s", err.msg);
  return t;
}

static void test_generated_steps_agree_across_fidelities(void **state) {
  (void)state;
  static const char *const PLANS[] = {
      "tp=2,pp=4,dp=2,gbs=16",                /* 1F1B pipeline with DP */
      "tp=2,pp=2,dp=2,gbs=16,schedule=gpipe", /* GPipe */
      "tp=1,pp=4,dp=1,vpp=2,gbs=8",           /* interleaved */
      "tp=4,pp=1,dp=4,gbs=8,zero=3",          /* FSDP, no pipeline */
  };
  for (size_t i = 0; i < sizeof PLANS / sizeof PLANS[0]; i++) {
    hw_system sys;
    trace *t = generate("llama2-7b", PLANS[i], "dgx-h100", &sys);
    sim_result *res[2];
    for (int f = 0; f < 2; f++) {
      sim_options opt = {.fidelity = (sim_fidelity)f};
      ts_err err = {0};
      if (sim_run(t, &sys, &opt, &res[f], &err)) fail_msg("%s: %s", PLANS[i], err.msg);
    }
    const sim_report *a = sim_result_report(res[0]), *b = sim_result_report(res[1]);
    if (!(a->step_s > 0) || fabs(a->step_s - b->step_s) > 1e-9 * a->step_s)
      fail_msg("%s: symmetric %.12g s, full %.12g s", PLANS[i], a->step_s, b->step_s);
    assert_true(fabs(breakdown_sum(&a->breakdown) - a->step_s) <= 1e-9 * a->step_s);
    assert_true(fabs(breakdown_sum(&b->breakdown) - b->step_s) <= 1e-9 * b->step_s);
    double ca[SIM_CAT_COUNT], cb[SIM_CAT_COUNT];
    breakdown_parts(&a->breakdown, ca);
    breakdown_parts(&b->breakdown, cb);
    for (int c = 0; c < SIM_CAT_COUNT; c++)
      if (fabs(ca[c] - cb[c]) > 1e-9 * a->step_s)
        fail_msg("%s: breakdown part %d: symmetric %.12g, full %.12g", PLANS[i], c, ca[c], cb[c]);
    /* FLOPs come from the closed form, MFU from its definition */
    model_step_flops fl = model_step_flops_count(&t->model, &t->plan);
    assert_true(fabs(a->model_flops - fl.model_flops) <= 1e-9 * fl.model_flops);
    double mfu =
        fl.model_flops / (a->step_s * (double)t->chips * sys.chip.peak_flops[t->plan.dtype]);
    assert_true(fabs(a->mfu - mfu) <= 1e-9 * mfu);
    assert_true(a->mfu > 0 && a->mfu < 1);
    double tokens = (double)t->plan.gbs * (double)t->model.seq / a->step_s;
    assert_true(fabs(a->tokens_per_s - tokens) <= 1e-9 * tokens);
    if (t->plan.pp > 1) assert_true(a->breakdown.bubble_s > 0);
    sim_result_free(res[0]);
    sim_result_free(res[1]);
    trace_free(t);
  }
}

/* Every field of two reports, exactly (the cache must not change a bit). */
static void assert_same_report(const sim_report *a, const sim_report *b, const char *what) {
  double fa[] = {a->step_s, a->model_flops, a->hw_flops, a->mfu, a->hw_flops_per_s_per_chip,
                 a->model_flops_per_s_per_chip, a->tokens_per_s, a->memory_bytes_per_chip};
  double fb[] = {b->step_s, b->model_flops, b->hw_flops, b->mfu, b->hw_flops_per_s_per_chip,
                 b->model_flops_per_s_per_chip, b->tokens_per_s, b->memory_bytes_per_chip};
  for (size_t i = 0; i < sizeof fa / sizeof fa[0]; i++)
    if (fa[i] != fb[i]) fail_msg("%s: field %zu: %.17g vs %.17g", what, i, fa[i], fb[i]);
  double ca[SIM_CAT_COUNT], cb[SIM_CAT_COUNT];
  breakdown_parts(&a->breakdown, ca);
  breakdown_parts(&b->breakdown, cb);
  for (int c = 0; c < SIM_CAT_COUNT; c++)
    if (ca[c] != cb[c]) fail_msg("%s: breakdown part %d: %.17g vs %.17g", what, c, ca[c], cb[c]);
  for (int k = 0; k < TRACE_OP_KIND_COUNT; k++) assert_true(a->kind_total_s[k] == b->kind_total_s[k]);
  assert_int_equal(a->n_top, b->n_top);
  for (int i = 0; i < a->n_top; i++) {
    assert_string_equal(a->top[i].name, b->top[i].name);
    assert_int_equal(a->top[i].kind, b->top[i].kind);
    assert_int_equal(a->top[i].count, b->top[i].count);
    assert_true(a->top[i].total_s == b->top[i].total_s);
  }
  assert_int_equal(a->events, b->events);
}

/* One sim_cache through steps of different plans on the same 16 chips, twice over (the second
 * pass finds every duration in the memo): each report is sim_run's, bit for bit, in both
 * fidelities. */
static void test_cached_runs_match_sim_run(void **state) {
  (void)state;
  static const char *const PLANS[] = {
      "tp=2,pp=4,dp=2,gbs=16",          "tp=4,pp=2,dp=2,gbs=16,zero=3",
      "tp=2,pp=2,dp=4,vpp=2,gbs=16",    "tp=8,pp=1,dp=2,gbs=8,recompute=full",
      "tp=1,pp=2,dp=8,gbs=16,zero=0",
  };
  enum { N = sizeof PLANS / sizeof PLANS[0] };
  hw_system sys;
  trace *t[N];
  for (int i = 0; i < N; i++) t[i] = generate("llama2-7b", PLANS[i], "dgx-h100", &sys);
  for (int f = 0; f < 2; f++) {
    sim_options opt = {.fidelity = (sim_fidelity)f};
    sim_cache *c = NULL;
    ts_err err = {0};
    if (sim_cache_new(&sys, 16, &opt, &c, &err)) fail_msg("%s", err.msg);
    for (int pass = 0; pass < 2; pass++)
      for (int i = 0; i < N; i++) {
        sim_result *plain = NULL, *cached = NULL;
        if (sim_run(t[i], &sys, &opt, &plain, &err)) fail_msg("%s: %s", PLANS[i], err.msg);
        if (sim_cache_prepare(c, t[i], &err) || sim_cache_run(c, &cached, &err))
          fail_msg("%s: %s", PLANS[i], err.msg);
        assert_same_report(sim_result_report(plain), sim_result_report(cached), PLANS[i]);
        sim_result_free(plain);
        sim_result_free(cached);
      }
    sim_cache_free(c);
  }
  for (int i = 0; i < N; i++) trace_free(t[i]);
}

/* The prepared durations are the kernel model's, rounded to picoseconds, for every compute op (the
 * rank's share of the chip: one rank per chip here). */
static void test_cache_durations_are_the_kernel_model(void **state) {
  (void)state;
  hw_system sys;
  trace *t = generate("llama2-7b", "tp=2,pp=2,dp=2,gbs=8", "dgx-h100", &sys);
  sim_cache *c = NULL;
  ts_err err = {0};
  if (sim_cache_new(&sys, t->chips, NULL, &c, &err) || sim_cache_prepare(c, t, &err))
    fail_msg("%s", err.msg);
  for (uint32_t ci = 0; ci < t->n_classes; ci++) {
    const sim_ps *dur = sim_cache_durations(c, ci);
    assert_non_null(dur);
    for (uint32_t i = 0; i < t->classes[ci].n_ops; i++) {
      const trace_op *op = &t->classes[ci].ops[i];
      if (trace_op_is_comm((trace_op_kind)op->kind)) continue;
      assert_true(dur[i] == sim_ps_from_s(kern_op(&sys.chip, op, NULL).seconds));
    }
  }
  assert_null(sim_cache_durations(c, t->n_classes));
  sim_cache_free(c);
  trace_free(t);
}

static void test_cache_refuses_another_chip_count_and_a_run_unprepared(void **state) {
  (void)state;
  hw_system sys;
  trace *t = generate("llama2-7b", "tp=2,pp=2,dp=2,gbs=8", "dgx-h100", &sys);
  sim_cache *c = NULL;
  ts_err err = {0};
  if (sim_cache_new(&sys, 2 * t->chips, NULL, &c, &err)) fail_msg("%s", err.msg);
  assert_int_equal(sim_cache_prepare(c, t, &err), TS_EINPUT);
  assert_non_null(strstr(err.msg, "chips"));
  assert_null(sim_cache_durations(c, 0));
  sim_result *r = NULL;
  assert_int_equal(sim_cache_run(c, &r, &err), TS_EUSAGE);
  assert_null(r);
  sim_cache_free(c);
  trace_free(t);
}

static void test_moe_step_agrees_across_fidelities(void **state) {
  (void)state;
  hw_system sys;
  trace *t = generate("mixtral-8x7b", "tp=2,pp=2,dp=4,ep=4,gbs=8", "dgx-h100", &sys);
  double step[2];
  for (int f = 0; f < 2; f++) {
    sim_options opt = {.fidelity = (sim_fidelity)f};
    sim_result *r = NULL;
    ts_err err = {0};
    if (sim_run(t, &sys, &opt, &r, &err)) fail_msg("%s", err.msg);
    step[f] = sim_result_report(r)->step_s;
    assert_true(sim_result_report(r)->kind_total_s[TRACE_OP_ALL_TO_ALL] > 0);
    sim_result_free(r);
  }
  assert_true(step[0] > 0 && fabs(step[0] - step[1]) <= 1e-9 * step[0]);
  trace_free(t);
}

static void test_straggler_rank_delays_its_group(void **state) {
  (void)state;
  /* two ranks of one class, 1 ms of compute then a 1 ms tp all-reduce; rank 1 runs at half speed:
   * its compute takes 2 ms, the all-reduce starts at 2, everyone ends at 3. Rank 0 (critical on
   * the tie) computed 1 ms and waited 1 ms for rank 1 plus 1 ms of all-reduce: exposed TP 2 ms. */
  trace *t = new_trace(2);
  int tp = trace_add_comm(t, "tp", 2, 1);
  trace_add_class(t, "only", -1, 0, 2);
  uint32_t c = compute(t, 0, TRACE_PHASE_FORWARD, 1, 0, 0);
  add(t, 0, TRACE_OP_ALL_REDUCE, TRACE_PHASE_FORWARD, TRACE_STREAM_COMPUTE, tp, -1, 1, 1, c);
  hw_system sys = test_system();
  sim_options opt = {.fidelity = SIM_FIDELITY_FULL};
  sim_cost_model cost = {.compute = compute_cost, .comm = comm_cost};
  const double speed[2] = {1.0, 2.0};
  sim_result *r = NULL;
  ts_err err = {0};
  if (sim_replay(t, &sys, &opt, &cost, speed, &r, &err)) fail_msg("%s", err.msg);
  const sim_report *rep = sim_result_report(r);
  assert_ms(rep->step_s, 3);
  assert_ms(rep->breakdown.compute_s, 1);
  assert_ms(rep->breakdown.exposed_tp_s, 2);
  sim_result_free(r);
  trace_free(t);
}

static void test_ranks_share_their_chip(void **state) {
  (void)state;
  /* trn2 runs several ranks per chip: a chip full of ranks each doing one large GEMM cannot beat
   * the chip's peak (MFU <= 1), which it would if each rank were timed on a whole chip */
  hw_system sys;
  ts_err err = {0};
  if (hw_system_load("trn2-48xl", &sys, &err)) fail_msg("%s", err.msg);
  int64_t rpc = sys.chip.ranks_per_chip;
  assert_true(rpc > 1);
  trace *t = new_trace(rpc);
  t->chips = 1;
  trace_add_class(t, "all", -1, 0, rpc);
  trace_op o = {.kind = TRACE_OP_GEMM,
                .dtype = HW_BF16,
                .phase = TRACE_PHASE_FORWARD,
                .stream = TRACE_STREAM_COMPUTE,
                .comm = TRACE_NO_COMM,
                .layer = TRACE_NO_LAYER,
                .peer = -1,
                .m = 8192,
                .n = 8192,
                .k = 8192,
                .count = 1};
  o.flops = 2.0 * 8192 * 8192 * 8192;
  o.bytes = 3.0 * 8192 * 8192 * 2;
  assert_true(trace_add_op(t, 0, &o, NULL, 0) == 0);
  sim_options opt = {.fidelity = SIM_FIDELITY_SYMMETRIC};
  sim_result *r = NULL;
  if (sim_run(t, &sys, &opt, &r, &err)) fail_msg("%s", err.msg);
  const sim_report *rep = sim_result_report(r);
  double mfu = (double)rpc * o.flops / (rep->step_s * sys.chip.peak_flops[HW_BF16]);
  assert_true(fabs(rep->mfu - mfu) <= 1e-9 * mfu);
  assert_true(rep->mfu <= 1.0);
  assert_true(rep->mfu > 0.1);
  sim_result_free(r);
  trace_free(t);
}

/* ---- bad input ------------------------------------------------------------------------------- */
static ts_status replay_err(const trace *t, sim_fidelity fid, sim_compute_cost_fn *cf,
                            ts_err *err) {
  hw_system sys = test_system();
  sim_options opt = {.fidelity = fid};
  sim_cost_model cost = {.compute = cf ? cf : compute_cost, .comm = comm_cost};
  sim_result *r = (sim_result *)1;
  ts_status st = sim_replay(t, &sys, &opt, &cost, NULL, &r, err);
  assert_null(r);
  return st;
}

static void test_unmatched_send_is_a_deadlock(void **state) {
  (void)state;
  trace *t = new_trace(2);
  int pp = trace_add_comm(t, "pp", 2, 1);
  trace_add_class(t, "stage0", 0, 0, 1);
  trace_add_class(t, "stage1", 1, 1, 1);
  add(t, 0, TRACE_OP_SEND, TRACE_PHASE_FORWARD, TRACE_STREAM_PP_SEND, pp, 1, 1, 0);
  compute(t, 1, TRACE_PHASE_FORWARD, 1, 0, 0);
  for (int f = 0; f < 2; f++) {
    ts_err err = {0};
    assert_int_equal(replay_err(t, (sim_fidelity)f, NULL, &err), TS_EINPUT);
    assert_non_null(strstr(err.msg, "deadlock"));
    assert_non_null(strstr(err.msg, "send"));
  }
  trace_free(t);
}

static void test_send_to_a_class_outside_its_group_is_refused(void **state) {
  (void)state;
  /* pp groups {0,2} and {1,3}: rank 0 (class a) has no rank of class b (rank 1) in its group */
  trace *t = new_trace(4);
  int pp = trace_add_comm(t, "pp", 2, 2);
  trace_add_class(t, "a", 0, 0, 1);
  trace_add_class(t, "b", 1, 1, 1);
  trace_add_class(t, "c", 2, 2, 2);
  add(t, 0, TRACE_OP_SEND, TRACE_PHASE_FORWARD, TRACE_STREAM_PP_SEND, pp, 1, 1, 0);
  add(t, 1, TRACE_OP_RECV, TRACE_PHASE_FORWARD, TRACE_STREAM_PP_RECV, pp, 0, 1, 0);
  for (int f = 0; f < 2; f++) {
    ts_err err = {0};
    assert_int_equal(replay_err(t, (sim_fidelity)f, NULL, &err), TS_EINPUT);
    assert_non_null(strstr(err.msg, "has no rank of class"));
  }
  trace_free(t);
}

static void test_groups_split_differently_are_not_symmetric(void **state) {
  (void)state;
  /* tp pairs {0,1} and {2,3} over classes a={0}, b={1,2}, c={3}: a sees {a,b}, c sees {b,c} */
  trace *t = new_trace(4);
  int tp = trace_add_comm(t, "tp", 2, 1);
  trace_add_class(t, "a", -1, 0, 1);
  trace_add_class(t, "b", -1, 1, 2);
  trace_add_class(t, "c", -1, 3, 1);
  for (int c = 0; c < 3; c++)
    add(t, c, TRACE_OP_ALL_REDUCE, TRACE_PHASE_FORWARD, TRACE_STREAM_TP, tp, -1, 1, 0);
  ts_err err = {0};
  assert_int_equal(replay_err(t, SIM_FIDELITY_SYMMETRIC, NULL, &err), TS_EINPUT);
  assert_non_null(strstr(err.msg, "not a symmetric layout"));
  assert_ms(step_ms(t, SIM_FIDELITY_FULL) * MS, 1); /* full fidelity handles it */
  trace_free(t);
}

static void test_bad_rank_layouts_are_refused(void **state) {
  (void)state;
  ts_err err = {0};
  trace *t = new_trace(4); /* classes overlap */
  trace_add_class(t, "a", -1, 0, 3);
  trace_add_class(t, "b", -1, 2, 2);
  assert_int_equal(replay_err(t, SIM_FIDELITY_FULL, NULL, &err), TS_EINPUT);
  assert_non_null(strstr(err.msg, "already belongs"));
  trace_free(t);
  t = new_trace(4); /* a rank in no class */
  trace_add_class(t, "a", -1, 0, 3);
  assert_int_equal(replay_err(t, SIM_FIDELITY_SYMMETRIC, NULL, &err), TS_EINPUT);
  assert_non_null(strstr(err.msg, "no class"));
  trace_free(t);
  t = new_trace(6); /* a comm that does not tile the ranks */
  trace_add_comm(t, "tp", 4, 1);
  trace_add_class(t, "a", -1, 0, 6);
  assert_int_equal(replay_err(t, SIM_FIDELITY_SYMMETRIC, NULL, &err), TS_EINPUT);
  assert_non_null(strstr(err.msg, "does not tile"));
  trace_free(t);
  t = new_trace(4); /* ranks != chips x ranks per chip */
  t->chips = 3;
  trace_add_class(t, "a", -1, 0, 4);
  assert_int_equal(replay_err(t, SIM_FIDELITY_SYMMETRIC, NULL, &err), TS_EINPUT);
  assert_non_null(strstr(err.msg, "ranks per chip"));
  trace_free(t);
}

static void test_bad_cost_is_refused(void **state) {
  (void)state;
  trace *t = new_trace(1);
  trace_add_class(t, "a", -1, 0, 1);
  compute(t, 0, TRACE_PHASE_FORWARD, 1, 0, 0);
  ts_err err = {0};
  assert_int_equal(replay_err(t, SIM_FIDELITY_SYMMETRIC, nan_cost, &err), TS_ERUN);
  assert_non_null(strstr(err.msg, "cost model"));
  trace_free(t);
}

static void test_group_member_missing_a_collective_is_reported(void **state) {
  (void)state;
  /* two classes share a tp group; class b issues one all-reduce fewer */
  trace *t = new_trace(2);
  int tp = trace_add_comm(t, "tp", 2, 1);
  trace_add_class(t, "a", -1, 0, 1);
  trace_add_class(t, "b", -1, 1, 1);
  add(t, 0, TRACE_OP_ALL_REDUCE, TRACE_PHASE_FORWARD, TRACE_STREAM_TP, tp, -1, 1, 0);
  add(t, 0, TRACE_OP_ALL_REDUCE, TRACE_PHASE_FORWARD, TRACE_STREAM_TP, tp, -1, 1, 0);
  add(t, 1, TRACE_OP_ALL_REDUCE, TRACE_PHASE_FORWARD, TRACE_STREAM_TP, tp, -1, 1, 0);
  for (int f = 0; f < 2; f++) {
    ts_err err = {0};
    assert_int_equal(replay_err(t, (sim_fidelity)f, NULL, &err), TS_EINPUT);
    assert_non_null(strstr(err.msg, "never meets its partners"));
  }
  trace_free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_two_ops_on_one_stream_serialize),
      cmocka_unit_test(test_ops_on_two_streams_overlap),
      cmocka_unit_test(test_dependency_chain_time_is_the_sum),
      cmocka_unit_test(test_dp_collective_hidden_behind_compute_costs_nothing),
      cmocka_unit_test(test_gpipe_two_stages_takes_m_plus_p_minus_1_slots),
      cmocka_unit_test(test_gpipe_with_transfers_adds_two_per_stage_boundary),
      cmocka_unit_test(test_1f1b_same_step_time_as_gpipe_with_less_memory),
      cmocka_unit_test(test_symmetric_and_full_agree),
      cmocka_unit_test(test_cross_class_collective_waits_for_the_late_class),
      cmocka_unit_test(test_collective_groups_are_every_group_the_class_forms),
      cmocka_unit_test(test_collective_costs_are_asked_once_per_distinct_op),
      cmocka_unit_test(test_report_json_is_deterministic),
      cmocka_unit_test(test_report_flops_mfu_and_top_ops),
      cmocka_unit_test(test_top_ops_merge_sizes_that_print_alike),
      cmocka_unit_test(test_generated_steps_agree_across_fidelities),
      cmocka_unit_test(test_moe_step_agrees_across_fidelities),
      cmocka_unit_test(test_cached_runs_match_sim_run),
      cmocka_unit_test(test_cache_durations_are_the_kernel_model),
      cmocka_unit_test(test_cache_refuses_another_chip_count_and_a_run_unprepared),
      cmocka_unit_test(test_straggler_rank_delays_its_group),
      cmocka_unit_test(test_ranks_share_their_chip),
      cmocka_unit_test(test_unmatched_send_is_a_deadlock),
      cmocka_unit_test(test_send_to_a_class_outside_its_group_is_refused),
      cmocka_unit_test(test_groups_split_differently_are_not_symmetric),
      cmocka_unit_test(test_bad_rank_layouts_are_refused),
      cmocka_unit_test(test_bad_cost_is_refused),
      cmocka_unit_test(test_group_member_missing_a_collective_is_reported),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
