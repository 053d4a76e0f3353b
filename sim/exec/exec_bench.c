/* Microbenchmarks for `trainsim calibrate`, run through the executor's own code so that the
 * calibration measures exactly what `exec` runs:
 * - transport (sim/calib_comm.c): a tiny trace of `reps` chained ops of one communication kind,
 *   executed by the real executor and transport, timed op by op; the fastest is the answer (on a
 *   shared host the others include waiting for a core another process holds);
 * - one compute op (sim/calib_ops.c): exec_compute on buffers of the op's working set, timed by
 *   the thread's CPU time in batches; the median batch is the answer. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__SSE__)
#include <xmmintrin.h>
#endif

#include "sim/exec/exec_int.h"

static int cmp_double(const void *pa, const void *pb) {
  double a = *(const double *)pa, b = *(const double *)pb;
  return (a > b) - (a < b);
}

/* Bytes an eviction op streams on each rank's compute stream before every measured op: above a
 * core's L2 and below a server's last-level cache, as the GEMMs between two collectives of a step
 * leave the collective's buffers (the norm calibration uses the same middle size). */
static const double EVICT_BYTES = 8.0 * 1024 * 1024;

/* A trace of `reps` rounds per class: an elementwise op over EVICT_BYTES on the compute stream,
 * then the measured comm op; each round depends on the previous one. Ops 2i+1 are measured. */
static ts_status bench_trace(trace_op_kind kind, int64_t ranks, double bytes, int reps, trace **out,
                             ts_err *err) {
  trace *t = trace_new();
  if (!t) return ts_fail(err, TS_ENOMEM, "comm bench: out of memory");
  snprintf(t->system, sizeof t->system, "host");
  t->chips = t->ranks = ranks;
  bool p2p = kind == TRACE_OP_SEND;
  trace_add_comm(t, p2p ? "pp" : "tp", ranks, 1);
  int32_t c0 = trace_add_class(t, p2p ? "sender" : "all", 0, 0, p2p ? 1 : ranks);
  int32_t c1 = p2p ? trace_add_class(t, "receiver", 1, 1, ranks - 1) : -1;
  trace_op o;
  memset(&o, 0, sizeof o);
  o.kind = (uint8_t)kind, o.dtype = HW_FP32, o.comm = 0, o.layer = TRACE_NO_LAYER, o.count = 1;
  o.bytes = bytes, o.peer = -1, o.stream = p2p ? TRACE_STREAM_PP_SEND : TRACE_STREAM_TP;
  trace_op r = o;
  r.kind = TRACE_OP_RECV, r.stream = TRACE_STREAM_PP_RECV, r.peer = c0;
  if (p2p) o.peer = c1;
  trace_op ev = o;
  ev.kind = TRACE_OP_ELEMENTWISE, ev.stream = TRACE_STREAM_COMPUTE, ev.peer = -1;
  ev.bytes = 2.0 * EVICT_BYTES; /* reads half, writes half */
  bool ok = c0 >= 0 && (!p2p || c1 >= 0);
  for (int i = 0; ok && i < reps; i++) {
    uint32_t prev = (uint32_t)(2 * i - 1), mine = (uint32_t)(2 * i);
    ok = trace_add_op(t, c0, &ev, i ? &prev : NULL, i ? 1 : 0) >= 0 &&
         trace_add_op(t, c0, &o, &mine, 1) >= 0 &&
         (!p2p || (trace_add_op(t, c1, &ev, i ? &prev : NULL, i ? 1 : 0) >= 0 &&
                   trace_add_op(t, c1, &r, &mine, 1) >= 0));
  }
  if (!ok) {
    trace_free(t);
    return ts_fail(err, TS_ENOMEM, "comm bench: cannot build the trace");
  }
  *out = t;
  return TS_OK;
}

ts_status exec_comm_bench(trace_op_kind kind, int64_t ranks, double bytes, int reps,
                          double *seconds, ts_err *err) {
  if (ranks < 2 || reps < 1 || reps > 1000 || !(bytes >= 4.0))
    return ts_fail(err, TS_EUSAGE,
                   "comm bench: %lld ranks, %d repeats, %.0f bytes (need >= 2, "
                   "1..1000, >= 4)",
                   (long long)ranks, reps, bytes);
  if (kind == TRACE_OP_SEND) ranks = 2;
  trace *t = NULL;
  ts_status st = bench_trace(kind, ranks, bytes, reps, &t, err);
  if (st) return st;
  exec_options opt = {.warmup_steps = 1};
  exec_result *res = NULL;
  double *d = malloc((size_t)reps * sizeof *d);
  if (!d) st = ts_fail(err, TS_ENOMEM, "comm bench: out of memory");
  if (!st) st = exec_run_threads(t, &opt, &res, err);
  for (int i = 0; !st && i < reps; i++) {
    double a = 0.0, b = 0.0;
    exec_result_op(res, 0, (uint32_t)(2 * i + 1), &a, &b); /* the sender: match to acknowledged */
    d[i] = b - a;
  }
  if (!st) { /* the median: what a collective of a step typically takes (a quiet host) */
    qsort(d, (size_t)reps, sizeof *d, cmp_double);
    *seconds = reps % 2 ? d[reps / 2] : 0.5 * (d[reps / 2 - 1] + d[reps / 2]);
  }
  exec_result_free(res);
  free(d);
  trace_free(t);
  return st;
}

/* ---- one compute op (exec_op_bench) ------------------------------------------------------------
 */
enum { OP_BENCH_MAX_BATCHES = 15, OP_BENCH_MAX_REPS = 1 << 20 };

static double cpu_now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double time_runs(const trace *t, const trace_op *op, float *buf, size_t n,
                        unsigned char *table, size_t table_bytes, int64_t reps) {
  double t0 = cpu_now_s();
  for (int64_t r = 0; r < reps; r++) exec_compute(t, op, buf, n, table, table_bytes);
  return cpu_now_s() - t0;
}

/* Streams over the eviction buffer (larger than the last-level cache): the next run finds none of
 * its data cached, as an op of a training step whose data the previous ops pushed out. */
static float evict(float *ev, size_t n) {
  float acc[EXEC_VB] = {0}, s = 0.0f;
  for (size_t i = 0; i + EXEC_VB <= n; i += EXEC_VB)
    for (int j = 0; j < EXEC_VB; j++) acc[j] += ev[i + j], ev[i + j] = acc[j];
  for (int j = 0; j < EXEC_VB; j++) s += acc[j];
  return s;
}

static ts_status op_bench_run(const trace *t, const trace_op *op, float *buf, size_t n,
                              unsigned char *table, size_t table_bytes, int batches, double batch_s,
                              float *ev, size_t ev_n, double *seconds) {
  double d[OP_BENCH_MAX_BATCHES];
  if (ev) { /* cold: every run timed alone after an eviction pass */
    time_runs(t, op, buf, n, table, table_bytes, 1);
    volatile float sink = 0.0f;
    for (int i = 0; i < batches; i++) {
      sink += evict(ev, ev_n);
      d[i] = time_runs(t, op, buf, n, table, table_bytes, 1);
    }
    (void)sink;
    qsort(d, (size_t)batches, sizeof *d, cmp_double);
    *seconds = d[batches / 2];
    return TS_OK;
  }
  double first = time_runs(t, op, buf, n, table, table_bytes, 1);
  double reps_d = ceil(batch_s / fmax(first, 1e-9));
  int64_t reps = reps_d > OP_BENCH_MAX_REPS ? OP_BENCH_MAX_REPS : reps_d < 1 ? 1 : (int64_t)reps_d;
  for (int i = 0; i < batches; i++)
    d[i] = time_runs(t, op, buf, n, table, table_bytes, reps) / (double)reps;
  qsort(d, (size_t)batches, sizeof *d, cmp_double);
  *seconds = d[batches / 2];
  return TS_OK;
}

ts_status exec_op_bench(const trace_op *op, double table_bytes, int batches, double batch_s,
                        double evict_bytes, double *seconds, ts_err *err) {
  if (op->kind >= TRACE_OP_KIND_COUNT || trace_op_is_comm((trace_op_kind)op->kind) ||
      op->kind == TRACE_OP_GEMM || batches < 1 || batches > OP_BENCH_MAX_BATCHES ||
      !(batch_s > 0.0) || !(table_bytes >= 0.0) || table_bytes > 1e10 || !(evict_bytes >= 0.0) ||
      evict_bytes > 1e10)
    return ts_fail(err, TS_EUSAGE,
                   "op bench: kind %u, %d batches, %.3g s, table %.3g bytes (need a non-GEMM "
                   "compute op, 1..%d batches, a positive time, a table of 0..1e10 bytes)",
                   (unsigned)op->kind, batches, batch_s, table_bytes, OP_BENCH_MAX_BATCHES);
  trace *t = trace_new();
  if (!t) return ts_fail(err, TS_ENOMEM, "op bench: out of memory");
  double need = exec_op_bytes(t, op);
  if (need > 1e10) {
    trace_free(t);
    return ts_fail(err, TS_EUSAGE, "op bench: working set of %.3g bytes is over 1e10", need);
  }
  size_t n = (size_t)(need / 4.0) + 16, tb = (size_t)table_bytes,
         ev_n = (size_t)(evict_bytes / 4.0);
  float *buf = malloc(n * sizeof *buf), *ev = ev_n ? malloc(ev_n * sizeof *ev) : NULL;
  unsigned char *table = tb >= sizeof(float) ? malloc(tb) : NULL;
  ts_status st =
      buf && (table || tb < sizeof(float)) && (ev || !ev_n)
          ? TS_OK
          : ts_fail(err, TS_ENOMEM, "op bench: cannot allocate %.3g bytes", need + table_bytes);
  if (!st) {
    exec_fill_random(buf, n, 7);
    if (table) exec_fill_random((float *)(void *)table, tb / sizeof(float), 11);
    if (ev) exec_fill_random(ev, ev_n, 13);
#if defined(__SSE__)
    unsigned csr = _mm_getcsr();
    _mm_setcsr(csr | 0x8040); /* flush-to-zero and denormals-are-zero, as exec's workers */
#endif
    st = op_bench_run(t, op, buf, (size_t)(need / 4.0), table, table ? tb : 0, batches, batch_s, ev,
                      ev_n, seconds);
#if defined(__SSE__)
    _mm_setcsr(csr);
#endif
  }
  free(buf);
  free(table);
  free(ev);
  trace_free(t);
  return st;
}
