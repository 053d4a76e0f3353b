/* Transport microbenchmarks for `trainsim calibrate` (sim/calib_comm.c): a tiny trace of `reps`
 * chained ops of one communication kind, executed by the real executor and transport (so the
 * calibration measures exactly what `exec` runs), timed op by op; the median is the answer. */
#include <stdlib.h>
#include <string.h>

#include "sim/exec/exec_int.h"

static int cmp_double(const void *pa, const void *pb) {
  double a = *(const double *)pa, b = *(const double *)pb;
  return (a > b) - (a < b);
}

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
  bool ok = c0 >= 0 && (!p2p || c1 >= 0);
  for (int i = 0; ok && i < reps; i++) {
    uint32_t dep = (uint32_t)(i - 1);
    ok = trace_add_op(t, c0, &o, i ? &dep : NULL, i ? 1 : 0) >= 0 &&
         (!p2p || trace_add_op(t, c1, &r, i ? &dep : NULL, i ? 1 : 0) >= 0);
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
    exec_result_op(res, 0, (uint32_t)i, &a, &b); /* the sender: match to acknowledged */
    d[i] = b - a;
  }
  if (!st) {
    qsort(d, (size_t)reps, sizeof *d, cmp_double);
    *seconds = d[reps / 2];
  }
  exec_result_free(res);
  free(d);
  trace_free(t);
  return st;
}
