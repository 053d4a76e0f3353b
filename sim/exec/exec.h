/* sim/exec: ground truth on this machine. Executes the ops of a trace made for the `host` system
 * for real — GEMMs with OpenBLAS sgemm, the attention core as blocked causal flash attention,
 * norms, activations, residuals and the optimizer as passes over buffers of the op's bytes,
 * embedding and loss as gathers and reductions, collectives as real all-reduce / reduce-scatter /
 * all-gather / all-to-all / send-recv — and measures the step, so `trainsim exec` can hold the
 * simulator to it.
 *
 * Ranks are threads of this process (thread transport, exec_thread.c: shared-memory collectives)
 * or, when built with MPI, one MPI process each (exec_mpi.c). Both run the same rank executor
 * (exec_rank.c) over the same schedule (exec_schedule): per rank, one thread per stream the
 * rank's class uses; each stream thread takes its ops in FIFO order and starts one when all its
 * deps are done — exactly the trace's execution semantics (traces/trace.h). So the overlap of
 * communication with compute is real: a comm stream's collective runs on its own thread while the
 * compute stream goes on (on one core per rank they share the core, as a CPU does).
 *
 * Data is random (fixed seed): the point is the time. Traces in bf16/fp8 execute as fp32: GEMM
 * and attention shapes are kept (so FLOPs match), and every byte-sized op (memory-bound kernels and
 * messages) moves the op's bytes as fp32 words, so traffic matches what the simulator charges. */
#ifndef SIM_EXEC_EXEC_H
#define SIM_EXEC_EXEC_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "hw/base/ts_err.h"
#include "hw/hw.h"
#include "traces/trace.h"

/* ---- schedule: what each rank runs, shared by every transport ------------------------------- */
/* Per class: its ops split into FIFO streams in trace order, and each comm op's peer position. */
typedef struct exec_schedule {
  uint32_t n_streams;                       /* streams the class uses */
  uint8_t stream_id[TRACE_STREAM_COUNT];    /* trace_stream of each used stream */
  uint32_t stream_len[TRACE_STREAM_COUNT];  /* ops on used stream s */
  uint32_t *stream_ops[TRACE_STREAM_COUNT]; /* op indices, FIFO order (one malloc'd block) */
  uint32_t n_micro;                         /* micro-batches (max op micro + 1) */
} exec_schedule;

/* The schedule of class ci (used by the thread and MPI executors alike). */
ts_status exec_schedule_build(const trace *t, uint32_t ci, exec_schedule *out, ts_err *err);
void exec_schedule_fini(exec_schedule *s);

/* The class rank r runs (classes are contiguous rank blocks; -1 when none), and the rank that a
 * rank's comm op talks to: the member of its group on comm `comm` that belongs to class peer_cls.
 */
int32_t exec_class_of(const trace *t, int64_t rank);
int64_t exec_comm_base(const trace_comm *cm, int64_t rank);
int64_t exec_p2p_peer(const trace *t, int64_t rank, uint32_t comm, uint32_t peer_cls);

/* ---- memory ------------------------------------------------------------------------------- */
typedef struct exec_memory {
  double stream_bytes[TRACE_STREAM_COUNT]; /* worst rank: largest working set per stream */
  double model_bytes;                      /* model_memory_per_rank total (0 without a model) */
  double rank_bytes;                       /* worst rank: sum of the above */
  double total_bytes;                      /* all ranks of this process */
} exec_memory;

/* Working set of one op in bytes as executed (fp32 buffers). */
double exec_op_bytes(const trace *t, const trace_op *op);
/* Memory of ranks [first, first + n) of the trace. */
ts_status exec_memory_need(const trace *t, int64_t first, int64_t n, exec_memory *out, ts_err *err);

/* ---- running ------------------------------------------------------------------------------ */
typedef void (*exec_progress_fn)(void *ctx, int64_t rank, uint32_t micro, uint32_t n_micro);
/* Test instrumentation: called when an op of a rank starts (start = true) and when it ends. */
typedef void (*exec_op_hook_fn)(void *ctx, int64_t rank, uint32_t op, bool start);

typedef struct exec_options {
  int64_t ranks;               /* ranks the caller asked for; 0 = the trace's */
  int32_t warmup_steps;        /* unmeasured steps before the measured one (default 1 if < 0) */
  bool no_bind;                /* skip hwloc binding (tests) */
  double memory_limit_bytes;   /* 0: the host's memory (hwloc) */
  volatile sig_atomic_t *stop; /* set (by a SIGINT handler) to stop between ops; may be NULL */
  exec_progress_fn progress;   /* may be NULL; called from worker threads */
  void *progress_ctx;
  exec_op_hook_fn on_op; /* may be NULL */
  void *hook_ctx;
} exec_options;

/* Refusals made before anything runs: the trace's system is not `host` (TS_EINPUT), the rank
 * count differs from the trace's (TS_EUSAGE), the memory does not fit (TS_ENOFIT, by how much). */
ts_status exec_check(const trace *t, int64_t ranks, double memory_limit_bytes, ts_err *err);

typedef struct exec_result exec_result;

/* Every rank as a thread of this process. TS_ERUN with "interrupted" when *opt->stop was set. */
ts_status exec_run_threads(const trace *t, const exec_options *opt, exec_result **out, ts_err *err);
/* Built with MPI: this process is one rank of MPI_COMM_WORLD (whose size must be the trace's
 * ranks); the result on world rank 0 holds every rank's times, elsewhere only its own. */
bool exec_mpi_available(void);
ts_status exec_run_mpi(const trace *t, const exec_options *opt, exec_result **out, ts_err *err);

/* Whether this process holds the whole result (threads; MPI world rank 0): the one that reports. */
bool exec_result_is_root(const exec_result *r);
double exec_result_step_s(const exec_result *r);
/* Measured op time summed by kind on the representative rank of class 0 (as sim_report's
 * kind_total_s); comm ops counted from the moment every member arrived (threads) or the last
 * member called (MPI, found after the run from every rank's calls). cpu_out (may be NULL): the same sums of the stream thread's CPU time for compute ops (0
 * for comm), which leave out the time other processes held the core (as calibration measures). */
void exec_result_kind_totals(const exec_result *r, double out[TRACE_OP_KIND_COUNT],
                             double cpu_out[TRACE_OP_KIND_COUNT]);
/* One op's measured interval on a rank, seconds from the step start; false if not recorded. */
bool exec_result_op(const exec_result *r, int64_t rank, uint32_t op, double *start_s,
                    double *end_s);
/* Chrome trace JSON in the simulator's timeline shape: pid per rank, tid per stream, "X" events. */
ts_status exec_timeline_write(const exec_result *r, const char *path, ts_err *err);
/* Kernel table CSV (op,dtype,m,n,k,bytes,seconds): mean measured time of each compute-op key over
 * all ranks; GEMM rows are the time of one product. */
ts_status exec_kernel_table_write(const exec_result *r, const char *path, ts_err *err);
void exec_result_free(exec_result *r);

/* Microbenchmark of the transport (for `trainsim calibrate`): `reps` rounds, each an elementwise
 * pass over 8 MiB on every rank's compute stream (pushing the buffers out of the core's cache, as
 * a step's GEMMs do) then one op of kind (all_reduce, all_gather, reduce_scatter, send) of `bytes`
 * among `ranks` thread ranks bound one per core; the median op time, from the moment every
 * member arrived to the end, on rank 0 (run it on a quiet host). */
ts_status exec_comm_bench(trace_op_kind kind, int64_t ranks, double bytes, int reps,
                          double *seconds, ts_err *err);

/* Microbenchmark of one compute op as the executor runs it (for `trainsim calibrate`,
 * sim/calib_ops.c): op (kind, phase, shape, bytes) on fp32 buffers of its working set, as in a
 * trace without a model (rows of 1024, loss rows of 4096), the embedding gathering from a table
 * of table_bytes. Runs once to warm up, then `batches` batches of repeats lasting about batch_s
 * each; *seconds is the median batch's time of one run, measured as the calling thread's CPU time
 * (the caller binds the thread to one core; flush-to-zero is set during the run, as in exec).
 * evict_bytes > 0: cold instead, `batches` single runs each after a pass over a buffer of that
 * many bytes (larger than the last-level cache), as ops whose data the step's other ops evicted. */
ts_status exec_op_bench(const trace_op *op, double table_bytes, int batches, double batch_s,
                        double evict_bytes, double *seconds, ts_err *err);

#endif
