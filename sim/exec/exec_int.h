/* Internals shared by the files of sim/exec (no other folder includes this): the per-rank state
 * the rank executor runs on, the transport table (thread or MPI) it calls for communication, the
 * compute kernels, and the result it fills. */
#ifndef SIM_EXEC_EXEC_INT_H
#define SIM_EXEC_EXEC_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "sim/exec/exec.h"

typedef struct exec_rank exec_rank;

/* Communication, one typed table per transport. Each call blocks until this rank's part is done;
 * *sync_s is set to the monotonic time at which every member had arrived (the start of the
 * transfer proper). ordinal: the k-th collective on op->comm (or k-th send/recv to/from the peer
 * class) of this rank's class. aborted: another rank failed or was interrupted. */
typedef ts_status (*exec_coll_fn)(void *tctx, exec_rank *rk, const trace_op *op, uint32_t ordinal,
                                  float *send, float *recv, size_t n_floats, double *sync_s,
                                  ts_err *err);
typedef ts_status (*exec_barrier_fn)(void *tctx, exec_rank *rk, ts_err *err);
typedef bool (*exec_aborted_fn)(void *tctx);
typedef void (*exec_abort_fn)(void *tctx);
typedef struct exec_transport {
  const char *name;
  exec_coll_fn coll;       /* every comm op kind, send/recv included */
  exec_barrier_fn barrier; /* all ranks of the world */
  exec_aborted_fn aborted;
  exec_abort_fn abort;
} exec_transport;

struct exec_rank {
  const trace *t;
  int64_t rank;
  uint32_t cls;
  const exec_schedule *sch;
  const exec_options *opt;
  const exec_transport *tr;
  void *tctx;
  float *stream_buf[TRACE_STREAM_COUNT]; /* per used-stream index, working set */
  size_t stream_floats[TRACE_STREAM_COUNT];
  unsigned char *model_buf; /* the model's memory (weights, grads, optimizer, activations) */
  size_t model_bytes;
  int core;           /* core to bind to, -1: none */
  uint32_t *ordinal;  /* per op: ordinal of a comm op (see exec_coll_fn) */
  atomic_uchar *done; /* per op, this step */
  pthread_mutex_t mu;
  pthread_cond_t cv;
  uint32_t step;           /* steps started (message sequence numbers continue across steps) */
  double t0;               /* monotonic time of the step start */
  double *start_s, *end_s; /* per op, from t0, last step */
  double *cpu_s;           /* per compute op: the stream thread's CPU time (comm ops: 0) */
  atomic_uint micro_seen;  /* progress: highest micro-batch reported + 1 */
  atomic_int failed;       /* a stream thread failed */
  pthread_mutex_t err_mu;
  ts_status st;
  ts_err err;
};

/* Rank life cycle (exec_rank.c): buffers allocated and filled once, then steps. */
ts_status exec_rank_init(exec_rank *rk, const trace *t, int64_t rank, const exec_schedule *sch,
                         const exec_options *opt, const exec_transport *tr, void *tctx, int core,
                         ts_err *err);
/* One step: a world barrier, then every stream of the rank on its own thread. */
ts_status exec_rank_step(exec_rank *rk, ts_err *err);
void exec_rank_fini(exec_rank *rk);
bool exec_stop_requested(const exec_rank *rk);

double exec_now_s(void);

/* Compute ops (exec_ops.c, exec_attn.c): buf holds n floats of working set. */
void exec_compute(const trace *t, const trace_op *op, float *buf, size_t n, unsigned char *model,
                  size_t model_bytes);
void exec_attention(const trace_op *op, float *buf, size_t n);
size_t exec_attention_floats(const trace_op *op);
void exec_fill_random(float *p, size_t n, uint64_t seed);
/* Elementwise kernels work in blocks of EXEC_VB floats with branch-free arithmetic (no float
 * compare, so -ftrapping-math allows it; a constant trip count, so -O2's cheap vectoriser takes
 * it): what a decent CPU kernel does, without compiler flags of its own. */
enum { EXEC_VB = 16 };

/* min(max(x, lo), hi) with |.| instead of compares. */
static inline float exec_clampf(float x, float lo, float hi) {
  float a = 0.5f * (x + lo + fabsf(x - lo));
  return 0.5f * (a + hi - fabsf(a - hi));
}

/* exp as 2^(x log2 e): the integer part into the exponent bits, 2^f of the rest (|f| < 1) by a
 * polynomial (~1e-4 relative), as CPU kernels do. */
static inline float exec_fast_exp(float x) {
  float z = exec_clampf(x, -87.0f, 88.0f) * 1.4426950409f;
  int32_t i = (int32_t)z;
  float f = z - (float)i;
  float p = 1.0f + f * (0.6931472f +
                        f * (0.2402265f + f * (0.0555041f + f * (0.0096181f + f * 0.0013333f))));
  uint32_t bits = (uint32_t)(i + 127) << 23;
  float s;
  memcpy(&s, &bits, sizeof s);
  return p * s;
}

/* Largest of x[0..n) (n >= 1), max(a, b) = (a + b + |a - b|) / 2 in blocks. */
static inline float exec_row_max(const float *x, size_t n) {
  float acc[EXEC_VB], m = x[0];
  for (int j = 0; j < EXEC_VB; j++) acc[j] = x[0];
  size_t i = 0;
  for (; i + EXEC_VB <= n; i += EXEC_VB)
    for (int j = 0; j < EXEC_VB; j++)
      acc[j] = 0.5f * (acc[j] + x[i + j] + fabsf(acc[j] - x[i + j]));
  for (; i < n; i++) m = 0.5f * (m + x[i] + fabsf(m - x[i]));
  for (int j = 0; j < EXEC_VB; j++) m = 0.5f * (m + acc[j] + fabsf(m - acc[j]));
  return m;
}

/* x[i] = exp(x[i] - shift) in place; returns their sum. */
static inline float exec_exp_row(float *x, size_t n, float shift) {
  float acc[EXEC_VB] = {0}, s = 0.0f;
  size_t i = 0;
  for (; i + EXEC_VB <= n; i += EXEC_VB)
    for (int j = 0; j < EXEC_VB; j++) acc[j] += x[i + j] = exec_fast_exp(x[i + j] - shift);
  for (; i < n; i++) s += x[i] = exec_fast_exp(x[i] - shift);
  for (int j = 0; j < EXEC_VB; j++) s += acc[j];
  return s;
}

/* The ordinal of each op of class cls (see exec_coll_fn; 0 for compute ops) into out[n_ops]. */
void exec_op_ordinals(const trace *t, uint32_t cls, uint32_t *out);

/* Message floats of a comm op: the op's bytes as fp32 words (at least 1). */
size_t exec_comm_floats(const trace_op *op);

/* The result: every rank's op intervals (ranks not held by this process have none). */
struct exec_result {
  const trace *t; /* borrowed: the caller keeps the trace alive */
  int64_t ranks;
  double **start_s, **end_s; /* [rank][op], NULL for ranks not recorded */
  double **cpu_s;            /* [rank][op] */
  double step_s;
  bool root; /* holds every rank (threads, or MPI world rank 0) */
};
ts_status exec_result_new(const trace *t, exec_result **out, ts_err *err);
/* Copies rank rk's intervals into the result. */
ts_status exec_result_take(exec_result *r, const exec_rank *rk, ts_err *err);
/* Sets a rank's intervals from arrays of its class's op count (MPI gathers them on rank 0). */
ts_status exec_result_put(exec_result *r, int64_t rank, const double *start, const double *end,
                          const double *cpu, ts_err *err);
/* For results whose comm ops were timed from each rank's own call (MPI): moves the start of every
 * collective to its group's last arrival and of every send and its recv to the later of the two
 * calls (never past the op's end), so comm ops count from the moment every member had arrived,
 * as the thread transport measures them. Needs every rank's times on one clock (one host: the
 * monotonic clock, start times shifted to a common origin). */
ts_status exec_result_sync_arrivals(exec_result *r, ts_err *err);

#endif
