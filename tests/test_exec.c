/* Host execution (sim/exec): a tiny hand-built trace for `host` runs every op exactly once per
 * rank and never starts an op before its deps are done (instrumented through exec_options.on_op);
 * each stream runs its ops in the order exec_schedule_build gives (the one schedule the thread and
 * MPI executors share); a pipeline's send/recv pair really meets; the refusals (another system,
 * too big for memory, rank count) happen before anything runs; a stop request writes nothing;
 * compute threads run at a lower priority than the collectives' threads.
 * No wall-clock time is asserted. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/resource.h>
#include <sys/syscall.h>
#endif

#include <cmocka.h>
#include <math.h>

#include "sim/exec/exec.h"
#include "sim/exec/exec_int.h"
#include "sim/sim.h"

enum { MAX_OPS = 32, RANKS = 2 };

static trace_op op_of(trace_op_kind kind, trace_stream stream, uint8_t comm) {
  trace_op o;
  memset(&o, 0, sizeof o);
  o.kind = (uint8_t)kind;
  o.dtype = HW_FP32;
  o.stream = (uint8_t)stream;
  o.comm = comm;
  o.layer = TRACE_NO_LAYER;
  o.peer = -1;
  o.count = 1;
  return o;
}

static trace_op gemm(int64_t m, int64_t n, int64_t k) {
  trace_op o = op_of(TRACE_OP_GEMM, TRACE_STREAM_COMPUTE, TRACE_NO_COMM);
  o.m = m, o.n = n, o.k = k, o.flops = 2.0 * (double)(m * n * k);
  o.bytes = 4.0 * (double)(m * k + k * n + m * n);
  return o;
}

static trace_op mem_op(trace_op_kind kind, double bytes) {
  trace_op o = op_of(kind, TRACE_STREAM_COMPUTE, TRACE_NO_COMM);
  o.bytes = bytes;
  return o;
}

static trace_op coll(trace_op_kind kind, trace_stream s, double bytes) {
  trace_op o = op_of(kind, s, 0);
  o.bytes = bytes;
  return o;
}

static void add(trace *t, int32_t c, trace_op o, const uint32_t *deps, uint32_t n) {
  assert_true(trace_add_op(t, c, &o, deps, n) >= 0);
}

/* 2 ranks, one class, tp=2: compute and a TP stream with deps across them. */
static trace *tp_trace(const char *system) {
  trace *t = trace_new();
  snprintf(t->system, sizeof t->system, "%s", system);
  t->chips = t->ranks = RANKS;
  trace_add_comm(t, "tp", 2, 1);
  int32_t c = trace_add_class(t, "stage0", 0, 0, RANKS);
  trace_op att = op_of(TRACE_OP_ATTENTION, TRACE_STREAM_COMPUTE, TRACE_NO_COMM);
  att.m = 2, att.n = 80, att.k = 16, att.flags = TRACE_FLAG_CAUSAL;
  trace_op att_bwd = att;
  att_bwd.phase = TRACE_PHASE_BACKWARD;
  uint32_t d0 = 0, d1 = 1, d2 = 2, d3 = 3, d5 = 5;
  add(t, c, mem_op(TRACE_OP_EMBEDDING, 4096), NULL, 0);                /* 0 */
  add(t, c, gemm(64, 96, 32), &d0, 1);                                 /* 1 */
  add(t, c, coll(TRACE_OP_ALL_REDUCE, TRACE_STREAM_TP, 8192), &d1, 1); /* 2 */
  add(t, c, att, &d1, 1);                                              /* 3 */
  add(t, c, mem_op(TRACE_OP_NORM, 8192), &d2, 1);                      /* 4 */
  add(t, c, coll(TRACE_OP_ALL_GATHER, TRACE_STREAM_TP, 4096), &d3, 1); /* 5 */
  add(t, c, coll(TRACE_OP_REDUCE_SCATTER, TRACE_STREAM_TP, 4096), NULL, 0);
  add(t, c, mem_op(TRACE_OP_ELEMENTWISE, 8192), &d5, 1); /* 7 */
  add(t, c, mem_op(TRACE_OP_LOSS, 8192), NULL, 0);       /* 8 */
  add(t, c, att_bwd, NULL, 0);                           /* 9 */
  add(t, c, coll(TRACE_OP_ALL_TO_ALL, TRACE_STREAM_TP, 4096), NULL, 0);
  add(t, c, mem_op(TRACE_OP_OPTIMIZER, 28 * 100), NULL, 0); /* 11 */
  return t;
}

/* 2 ranks, two pipeline stages: stage 0 sends, stage 1 receives and sends back. */
static trace *pp_trace(void) {
  trace *t = trace_new();
  snprintf(t->system, sizeof t->system, "host");
  t->chips = t->ranks = RANKS;
  trace_add_comm(t, "pp", 2, 1);
  int32_t s0 = trace_add_class(t, "stage0", 0, 0, 1), s1 = trace_add_class(t, "stage1", 1, 1, 1);
  uint32_t d0 = 0, d1 = 1;
  trace_op send = coll(TRACE_OP_SEND, TRACE_STREAM_PP_SEND, 4096), recv = send;
  recv.kind = TRACE_OP_RECV, recv.stream = TRACE_STREAM_PP_RECV;
  send.peer = s1;
  add(t, s0, gemm(32, 32, 32), NULL, 0);
  add(t, s0, send, &d0, 1);
  recv.peer = s1;
  add(t, s0, recv, NULL, 0);
  trace_op g = gemm(32, 32, 32);
  add(t, s0, g, NULL, 0);
  recv.peer = s0, send.peer = s0;
  add(t, s1, recv, NULL, 0);
  add(t, s1, gemm(32, 32, 32), &d0, 1);
  add(t, s1, send, &d1, 1);
  return t;
}

/* ---- the instrumented executor ----------------------------------------------------------------
 */
typedef struct record {
  pthread_mutex_t mu;
  const trace *t;
  int starts[RANKS][MAX_OPS], ends[RANKS][MAX_OPS];
  int dep_violations;
  uint32_t order[RANKS][TRACE_STREAM_COUNT][MAX_OPS]; /* start order per stream */
  uint32_t n_order[RANKS][TRACE_STREAM_COUNT];
  int nice[RANKS][TRACE_STREAM_COUNT]; /* the stream thread's nice value when it started an op */
} record;

static void hook(void *ctx, int64_t rank, uint32_t op, bool start) {
  record *r = ctx;
  pthread_mutex_lock(&r->mu);
  const trace_class *c = &r->t->classes[exec_class_of(r->t, rank)];
  const trace_op *o = &c->ops[op];
  if (start) {
    r->starts[rank][op]++;
    for (uint32_t k = 0; k < o->dep_count; k++)
      if (r->ends[rank][c->deps[o->dep_first + k]] != 1) r->dep_violations++;
    r->order[rank][o->stream][r->n_order[rank][o->stream]++] = op;
#if defined(__linux__)
    r->nice[rank][o->stream] = getpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid));
#endif
  } else {
    r->ends[rank][op]++;
  }
  pthread_mutex_unlock(&r->mu);
}

static exec_options test_options(record *rec) {
  return (exec_options){.no_bind = true,
                        .warmup_steps = 0,
                        .memory_limit_bytes = 1e12,
                        .on_op = hook,
                        .hook_ctx = rec};
}

static void run_recorded(trace *t, record *rec) {
  memset(rec, 0, sizeof *rec);
  pthread_mutex_init(&rec->mu, NULL);
  rec->t = t;
  exec_options opt = test_options(rec);
  exec_result *res = NULL;
  ts_err err = {0};
  assert_int_equal(exec_run_threads(t, &opt, &res, &err), TS_OK);
  assert_non_null(res);
  double a, b;
  assert_true(exec_result_op(res, 1, 0, &a, &b));
  assert_true(b >= a);
  exec_result_free(res);
  pthread_mutex_destroy(&rec->mu);
}

static void test_exec_runs_every_op_once_per_rank_in_dependency_order(void **state) {
  (void)state;
  trace *t = tp_trace("host");
  ts_err err = {0};
  assert_int_equal(trace_validate(t, &err), TS_OK);
  record rec;
  run_recorded(t, &rec);
  for (int r = 0; r < RANKS; r++)
    for (uint32_t i = 0; i < t->classes[0].n_ops; i++) {
      assert_int_equal(rec.starts[r][i], 1);
      assert_int_equal(rec.ends[r][i], 1);
    }
  assert_int_equal(rec.dep_violations, 0);
  trace_free(t);
}

static void test_exec_pipeline_send_meets_recv(void **state) {
  (void)state;
  trace *t = pp_trace();
  ts_err err = {0};
  assert_int_equal(trace_validate(t, &err), TS_OK);
  record rec;
  run_recorded(t, &rec);
  for (int r = 0; r < RANKS; r++)
    for (uint32_t i = 0; i < t->classes[r].n_ops; i++) assert_int_equal(rec.ends[r][i], 1);
  assert_int_equal(rec.dep_violations, 0);
  assert_int_equal(exec_p2p_peer(t, 0, 0, 1), 1);
  assert_int_equal(exec_p2p_peer(t, 1, 0, 0), 0);
  trace_free(t);
}

/* Messages are numbered across steps: warm-up steps must not leave stale mailboxes behind. */
static void test_exec_pipeline_repeats_steps_in_message_order(void **state) {
  (void)state;
  trace *t = pp_trace();
  exec_options opt = {.no_bind = true, .warmup_steps = 3, .memory_limit_bytes = 1e12};
  exec_result *res = NULL;
  ts_err err = {0};
  assert_int_equal(exec_run_threads(t, &opt, &res, &err), TS_OK);
  double a, b, c, d;
  /* stage 1 computes only after its recv: the recv ends before the GEMM starts */
  assert_true(exec_result_op(res, 1, 0, &a, &b));
  assert_true(exec_result_op(res, 1, 1, &c, &d));
  assert_true(b <= c);
  exec_result_free(res);
  trace_free(t);
}

/* Stream order: hand-listed from tp_trace, and what the threads actually did. */
static void test_exec_streams_follow_the_shared_schedule(void **state) {
  (void)state;
  trace *t = tp_trace("host");
  exec_schedule s;
  ts_err err = {0};
  assert_int_equal(exec_schedule_build(t, 0, &s, &err), TS_OK);
  assert_int_equal(s.n_streams, 2);
  assert_int_equal(s.stream_id[0], TRACE_STREAM_COMPUTE);
  assert_int_equal(s.stream_id[1], TRACE_STREAM_TP);
  const uint32_t compute[] = {0, 1, 3, 4, 7, 8, 9, 11}, tp[] = {2, 5, 6, 10};
  assert_int_equal(s.stream_len[0], 8);
  assert_int_equal(s.stream_len[1], 4);
  for (int i = 0; i < 8; i++) assert_int_equal(s.stream_ops[0][i], compute[i]);
  for (int i = 0; i < 4; i++) assert_int_equal(s.stream_ops[1][i], tp[i]);
  record rec;
  run_recorded(t, &rec);
  for (int r = 0; r < RANKS; r++)
    for (uint32_t k = 0; k < s.n_streams; k++) {
      uint8_t sid = s.stream_id[k];
      assert_int_equal(rec.n_order[r][sid], s.stream_len[k]);
      for (uint32_t i = 0; i < s.stream_len[k]; i++)
        assert_int_equal(rec.order[r][sid][i], s.stream_ops[k][i]);
    }
#if defined(__linux__)
  /* the compute thread runs 10 nice steps below the collective's (capped at 19), so a woken
   * collective takes the core at once rather than after the GEMM's slice */
  int base = getpriority(PRIO_PROCESS, 0);
  for (int r = 0; r < RANKS; r++) {
    assert_int_equal(rec.nice[r][TRACE_STREAM_TP], base);
    assert_int_equal(rec.nice[r][TRACE_STREAM_COMPUTE], base + 10 > 19 ? 19 : base + 10);
  }
#endif
  exec_schedule_fini(&s);
  trace_free(t);
}

static void test_exec_refuses_a_trace_for_another_system(void **state) {
  (void)state;
  trace *t = tp_trace("dgx-h100");
  record rec = {0};
  rec.t = t;
  exec_options opt = test_options(&rec);
  exec_result *res = NULL;
  ts_err err = {0};
  assert_int_equal(exec_run_threads(t, &opt, &res, &err), TS_EINPUT);
  assert_null(res);
  assert_non_null(strstr(err.msg, "dgx-h100"));
  assert_int_equal(rec.starts[0][0], 0);
  trace_free(t);
}

static void test_exec_refuses_a_trace_too_big_for_memory(void **state) {
  (void)state;
  trace *t = tp_trace("host");
  t->classes[0].ops[1] = gemm(100000, 100000, 100000); /* 3 x 40 GB of fp32 operands per rank */
  record rec = {0};
  rec.t = t;
  exec_options opt = test_options(&rec);
  opt.memory_limit_bytes = 1e9;
  exec_result *res = NULL;
  ts_err err = {0};
  assert_int_equal(exec_run_threads(t, &opt, &res, &err), TS_ENOFIT);
  assert_non_null(strstr(err.msg, "over by"));
  assert_int_equal(rec.starts[0][0], 0);
  /* the working set is the GEMM's three fp32 operands: 2 ranks x 3 x 4e10 bytes + the rest */
  exec_memory mem;
  assert_int_equal(exec_memory_need(t, 0, RANKS, &mem, &err), TS_OK);
  assert_true(mem.total_bytes >= 2 * 3 * 4e10);
  trace_free(t);
}

static void test_exec_refuses_a_rank_count_that_does_not_match(void **state) {
  (void)state;
  trace *t = tp_trace("host");
  record rec = {0};
  rec.t = t;
  exec_options opt = test_options(&rec);
  opt.ranks = 3;
  exec_result *res = NULL;
  ts_err err = {0};
  assert_int_equal(exec_run_threads(t, &opt, &res, &err), TS_EUSAGE);
  assert_non_null(strstr(err.msg, "3 ranks"));
  trace_free(t);
}

static void test_exec_stop_request_yields_no_result(void **state) {
  (void)state;
  trace *t = tp_trace("host");
  volatile sig_atomic_t stop = 1;
  exec_options opt = {.no_bind = true, .memory_limit_bytes = 1e12, .stop = &stop};
  exec_result *res = NULL;
  ts_err err = {0};
  assert_int_equal(exec_run_threads(t, &opt, &res, &err), TS_ERUN);
  assert_null(res);
  assert_non_null(strstr(err.msg, "interrupted"));
  trace_free(t);
}

static void test_exec_writes_a_kernel_table_the_simulator_reads(void **state) {
  (void)state;
  trace *t = tp_trace("host");
  exec_options opt = {.no_bind = true, .warmup_steps = 0, .memory_limit_bytes = 1e12};
  exec_result *res = NULL;
  ts_err err = {0};
  assert_int_equal(exec_run_threads(t, &opt, &res, &err), TS_OK);
  char csv[] = "/tmp/test_exec_kt_XXXXXX", json[] = "/tmp/test_exec_tl_XXXXXX";
  int fd1 = mkstemp(csv), fd2 = mkstemp(json);
  close(fd1), close(fd2);
  assert_int_equal(exec_kernel_table_write(res, csv, &err), TS_OK);
  assert_int_equal(exec_timeline_write(res, json, &err), TS_OK);
  kern_table *kt = NULL;
  assert_int_equal(kern_table_load(csv, &kt, &err), TS_OK);
  /* compute keys of tp_trace: gemm, attention fwd/bwd (same bytes: one key), embedding, norm,
   * elementwise and loss (norm, elementwise, loss: 8192 bytes each, distinct kinds), optimizer */
  assert_int_equal(kern_table_rows(kt), 7);
  double s;
  assert_true(kern_table_find(kt, TRACE_OP_GEMM, HW_FP32, 64, 96, 32, 0.0, &s));
  kern_table_free(kt);
  unlink(csv), unlink(json);
  exec_result_free(res);
  trace_free(t);
}

/* The blocked flash-attention forward against the naive causal softmax(Q Kᵀ / sqrt(d)) V, on a
 * sequence that is not a multiple of the 64-row block; the backward leaves only finite numbers. */
static void test_exec_attention_matches_naive_causal_attention(void **state) {
  (void)state;
  enum { HEADS = 2, SEQ = 150, DIM = 16 };
  trace_op op = op_of(TRACE_OP_ATTENTION, TRACE_STREAM_COMPUTE, TRACE_NO_COMM);
  op.m = HEADS, op.n = SEQ, op.k = DIM;
  size_t nf = exec_attention_floats(&op), qkv = (size_t)HEADS * SEQ * DIM;
  float *buf = malloc(nf * sizeof *buf);
  exec_fill_random(buf, nf, 7);
  const float *q = buf, *k = buf + qkv, *v = buf + 2 * qkv, *o = buf + 3 * qkv;
  exec_attention(&op, buf, nf);
  double s[SEQ], scale = 1.0 / sqrt((double)DIM), worst = 0.0;
  for (int h = 0; h < HEADS; h++)
    for (int i = 0; i < SEQ; i++) {
      const float *qi = q + ((size_t)h * SEQ + (size_t)i) * DIM;
      double mx = -1e300, sum = 0.0;
      for (int j = 0; j <= i; j++) {
        double d = 0.0;
        for (int x = 0; x < DIM; x++)
          d += qi[x] * k[((size_t)h * SEQ + (size_t)j) * DIM + (size_t)x];
        s[j] = d * scale;
        mx = s[j] > mx ? s[j] : mx;
      }
      for (int j = 0; j <= i; j++) sum += s[j] = exp(s[j] - mx);
      for (int x = 0; x < DIM; x++) {
        double r = 0.0;
        for (int j = 0; j <= i; j++) r += s[j] * v[((size_t)h * SEQ + (size_t)j) * DIM + (size_t)x];
        double e = fabs(r / sum - o[((size_t)h * SEQ + (size_t)i) * DIM + (size_t)x]);
        worst = e > worst ? e : worst;
      }
    }
  assert_true(worst < 1e-4);
  op.phase = TRACE_PHASE_BACKWARD;
  exec_attention(&op, buf, nf);
  for (size_t i = 0; i < nf; i++) assert_true(isfinite(buf[i]));
  free(buf);
}

/* Calibration's view of the executor (sim/calib_ops.c): every op class it times runs through
 * exec_op_bench, warm and cold, and takes some time; GEMMs and collectives are not its job. */
static void test_exec_op_bench_times_every_executor_op_class(void **state) {
  (void)state;
  const struct {
    uint8_t kind, phase;
  } classes[] = {
      {TRACE_OP_NORM, TRACE_PHASE_FORWARD},        {TRACE_OP_ELEMENTWISE, TRACE_PHASE_BACKWARD},
      {TRACE_OP_EMBEDDING, TRACE_PHASE_FORWARD},   {TRACE_OP_EMBEDDING, TRACE_PHASE_BACKWARD},
      {TRACE_OP_LOSS, TRACE_PHASE_FORWARD},        {TRACE_OP_LOSS, TRACE_PHASE_BACKWARD},
      {TRACE_OP_OPTIMIZER, TRACE_PHASE_OPTIMIZER}, {TRACE_OP_ATTENTION, TRACE_PHASE_FORWARD},
      {TRACE_OP_ATTENTION, TRACE_PHASE_BACKWARD}};
  ts_err err = {0};
  for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++) {
    trace_op op;
    memset(&op, 0, sizeof op);
    op.kind = classes[i].kind, op.phase = classes[i].phase, op.dtype = HW_FP32, op.count = 1;
    op.bytes = 65536.0 * 28.0 / 4.0; /* whole rows of 1024 and 4096, whole Adam parameters */
    if (op.kind == TRACE_OP_ATTENTION) op.m = 1, op.n = 96, op.k = 32, op.bytes = 0.0;
    for (int cold = 0; cold < 2; cold++) {
      double s = 0.0;
      assert_int_equal(exec_op_bench(&op, 1 << 20, 3, 1e-4, cold ? 1 << 20 : 0, &s, &err), TS_OK);
      assert_true(s > 0.0);
    }
  }
  trace_op gemm;
  memset(&gemm, 0, sizeof gemm);
  gemm.kind = TRACE_OP_GEMM, gemm.m = gemm.n = gemm.k = 8, gemm.count = 1;
  double s = 0.0;
  assert_int_equal(exec_op_bench(&gemm, 0, 3, 1e-4, 0, &s, &err), TS_EUSAGE);
  gemm.kind = TRACE_OP_ALL_REDUCE;
  assert_int_equal(exec_op_bench(&gemm, 0, 3, 1e-4, 0, &s, &err), TS_EUSAGE);
  gemm.kind = TRACE_OP_NORM, gemm.bytes = 4096;
  assert_int_equal(exec_op_bench(&gemm, 0, 0, 1e-4, 0, &s, &err), TS_EUSAGE);
}

/* MPI times a comm op from each rank's own call; the root moves each start to the last partner's
 * call. Hand-set intervals: tp_trace's collective 2 called at 1.0 (rank 0) and 1.5 (rank 1) starts
 * at 1.5 on both; collective 5 at 3.0 and 2.5 starts at 3.0; collective 6 whose partner called
 * after this rank's op had ended (4.5 > 4.1) starts at its end; compute ops do not move. pp_trace:
 * stage 0's send (1.0) and stage 1's recv (0.2) start at 1.0; stage 1's send (3.0) and stage 0's
 * early recv (0.5) at 3.0. */
static void test_exec_mpi_comm_ops_start_at_the_last_partners_call(void **state) {
  (void)state;
  ts_err err = {0};
  trace *t = tp_trace("host");
  exec_result *r = NULL;
  assert_int_equal(exec_result_new(t, &r, &err), TS_OK);
  uint32_t n = t->classes[0].n_ops;
  double s0[MAX_OPS], e0[MAX_OPS], s1[MAX_OPS], e1[MAX_OPS], cpu[MAX_OPS] = {0};
  for (uint32_t i = 0; i < n; i++) s0[i] = s1[i] = 0.1 * i, e0[i] = e1[i] = 0.1 * i + 10.0;
  s0[2] = 1.0, s1[2] = 1.5;
  s0[5] = 3.0, s1[5] = 2.5;
  s0[6] = 4.0, e0[6] = 4.1, s1[6] = 4.5, e1[6] = 4.6;
  s0[3] = 0.7, s1[3] = 0.9; /* compute */
  assert_int_equal(exec_result_put(r, 0, s0, e0, cpu, &err), TS_OK);
  assert_int_equal(exec_result_put(r, 1, s1, e1, cpu, &err), TS_OK);
  assert_int_equal(exec_result_sync_arrivals(r, &err), TS_OK);
  double a, b;
  assert_true(exec_result_op(r, 0, 2, &a, &b) && a == 1.5);
  assert_true(exec_result_op(r, 1, 2, &a, &b) && a == 1.5);
  assert_true(exec_result_op(r, 0, 5, &a, &b) && a == 3.0);
  assert_true(exec_result_op(r, 1, 5, &a, &b) && a == 3.0);
  assert_true(exec_result_op(r, 0, 6, &a, &b) && a == 4.1 && b == 4.1);
  assert_true(exec_result_op(r, 1, 6, &a, &b) && a == 4.5);
  assert_true(exec_result_op(r, 0, 3, &a, &b) && a == 0.7);
  assert_true(exec_result_op(r, 1, 3, &a, &b) && a == 0.9);
  exec_result_free(r);
  trace_free(t);

  t = pp_trace();
  assert_int_equal(exec_result_new(t, &r, &err), TS_OK);
  double p0[4] = {0.0, 1.0, 0.5, 4.0}, q0[4] = {1.0, 2.0, 3.5, 5.0};
  double p1[3] = {0.2, 2.0, 3.0}, q1[3] = {2.0, 3.0, 3.5};
  assert_int_equal(exec_result_put(r, 0, p0, q0, cpu, &err), TS_OK);
  assert_int_equal(exec_result_put(r, 1, p1, q1, cpu, &err), TS_OK);
  assert_int_equal(exec_result_sync_arrivals(r, &err), TS_OK);
  assert_true(exec_result_op(r, 0, 1, &a, &b) && a == 1.0); /* send */
  assert_true(exec_result_op(r, 1, 0, &a, &b) && a == 1.0); /* its recv */
  assert_true(exec_result_op(r, 1, 2, &a, &b) && a == 3.0); /* send back */
  assert_true(exec_result_op(r, 0, 2, &a, &b) && a == 3.0); /* the early recv */
  assert_true(exec_result_op(r, 0, 0, &a, &b) && a == 0.0); /* compute */
  exec_result_free(r);
  trace_free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_exec_runs_every_op_once_per_rank_in_dependency_order),
      cmocka_unit_test(test_exec_pipeline_send_meets_recv),
      cmocka_unit_test(test_exec_pipeline_repeats_steps_in_message_order),
      cmocka_unit_test(test_exec_streams_follow_the_shared_schedule),
      cmocka_unit_test(test_exec_refuses_a_trace_for_another_system),
      cmocka_unit_test(test_exec_refuses_a_trace_too_big_for_memory),
      cmocka_unit_test(test_exec_refuses_a_rank_count_that_does_not_match),
      cmocka_unit_test(test_exec_stop_request_yields_no_result),
      cmocka_unit_test(test_exec_writes_a_kernel_table_the_simulator_reads),
      cmocka_unit_test(test_exec_attention_matches_naive_causal_attention),
      cmocka_unit_test(test_exec_op_bench_times_every_executor_op_class),
      cmocka_unit_test(test_exec_mpi_comm_ops_start_at_the_last_partners_call),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
