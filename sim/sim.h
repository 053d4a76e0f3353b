/* sim: how long it takes. The discrete-event core that replays a trace on a system, the collective
 * algorithms on the modeled topology, the kernel model (calibrated on the host with OpenBLAS), and
 * the step report. sim/ reads traces and systems; it never parses descriptor files itself.
 * Inside the engine time is integer picoseconds; seconds in double appear only in reports. */
#ifndef SIM_SIM_H
#define SIM_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "hw/base/ts_err.h"
#include "hw/hw.h"
#include "traces/trace.h"

typedef int64_t sim_ps; /* picoseconds */
#define SIM_PS_PER_S 1000000000000.0
static inline sim_ps sim_ps_from_s(double s) { return (sim_ps)(s * SIM_PS_PER_S + 0.5); }
static inline double sim_s_from_ps(sim_ps ps) { return (double)ps / SIM_PS_PER_S; }

/* ---- kernel model ---------------------------------------------------------------------------- */
typedef enum {
  KERN_BOUND_COMPUTE, KERN_BOUND_MEMORY, KERN_BOUND_WAVE, KERN_BOUND_LAUNCH, KERN_BOUND_TABLE,
  KERN_BOUND_MEASURED, /* the op's measured duration_s (captured traces) */
  KERN_BOUND_COUNT
} kern_bound;
const char *kern_bound_name(kern_bound b); /* "compute", "memory", "wave quantisation", ... */

typedef struct kern_estimate {
  double seconds;
  kern_bound bound;
  double flops_per_s; /* achieved */
  /* Parts of the model (0 where they do not apply, e.g. for a table row): */
  double compute_s, memory_s, launch_s;
  double tiles, waves; /* GEMM: output tiles (all products) and waves over the compute units */
} kern_estimate;

/* A user's table of measured kernel times (CSV: op,dtype,m,n,k,bytes,seconds) that overrides the
 * model for the ops it covers. */
typedef struct kern_table kern_table;
ts_status kern_table_load(const char *path, kern_table **out, ts_err *err);
void kern_table_free(kern_table *kt);

kern_estimate kern_gemm(const hw_chip *chip, int64_t m, int64_t n, int64_t k, int64_t count,
                        hw_dtype dt);
/* Duration of a compute op of a trace on chip: its measured duration_s when it carries one (bound
 * KERN_BOUND_MEASURED), else the table when given, else the model. A communication op is
 * not a kernel: it gets 0 seconds and bound KERN_BOUND_COUNT (kern_bound_name says "none"). A
 * GEMM table row gives the time of one product; an op of count c takes c times it. */
kern_estimate kern_op(const hw_chip *chip, const trace_op *op, const kern_table *kt);
/* Row count; and whether a row matches a key (GEMMs by kind, dtype, m, n, k; other ops by kind,
 * dtype, bytes), its seconds through *seconds. kt may be NULL (no rows). */
size_t kern_table_rows(const kern_table *kt);
bool kern_table_find(const kern_table *kt, trace_op_kind kind, hw_dtype dt, int64_t m, int64_t n,
                     int64_t k, double bytes, double *seconds);

/* Op classes the host executor (sim/exec) runs with kernels of its own, each timed by `trainsim
 * calibrate` and fitted (sim/calib_ops.c): seconds = c0 + c1 u1 + c2 u2 with the constants in the
 * host chip's host_op_s (hw/hw.h; all 0 on other chips: the generic forms time these ops there).
 * Work measures (kern_host_op_units): memory-bound classes u1 = the op's bytes, u2 = 0, except
 * embedding u2 = its rows (op m; a trace without rows: bytes / 4 KiB, rows of 1,024 fp32);
 * attention u1 = the score elements the blocked causal kernel computes (m x sum over 64-row query
 * blocks of rows x keys up to the block's last row, blocks of 64), u2 = u1 x head_dim. */
typedef enum {
  KERN_HOST_NORM, KERN_HOST_ELEMENTWISE, KERN_HOST_EMBEDDING_FWD, KERN_HOST_EMBEDDING_BWD,
  KERN_HOST_LOSS_FWD, KERN_HOST_LOSS_BWD, KERN_HOST_OPTIMIZER, KERN_HOST_ATTENTION_FWD,
  KERN_HOST_ATTENTION_BWD, KERN_HOST_OP_COUNT
} kern_host_op;
const char *kern_host_op_name(kern_host_op c);
/* The row a trace without embedding rows (op m = 0, traces before rows were written) is taken to
 * gather: 1,024 fp32 elements, what the executor gathers when it knows no width. */
#define KERN_EMBEDDING_ROW_BYTES 4096.0 /* "norm", "elementwise", "embedding_fwd", ... */
/* The class of a compute op; false for GEMMs and communication (the generic model times them). */
bool kern_host_op_of(const trace_op *op, kern_host_op *out);
void kern_host_op_units(const trace_op *op, double *u1, double *u2);

/* ---- host calibration (sim/calib*.c) ----------------------------------------------------------
 * `trainsim calibrate` runs OpenBLAS sgemm/dgemm and saxpy on this host over a grid of shapes,
 * threads bound to cores with hwloc, once on one core and once on all cores, and fits the kernel
 * model's constants (the same kern_gemm form as the accelerators) to the medians. The file holds
 * the host fingerprint, the fits and every measurement (format at the top of sim/calib_file.c). */
typedef enum { KERN_CALIB_SGEMM, KERN_CALIB_DGEMM, KERN_CALIB_SAXPY, KERN_CALIB_KIND_COUNT } kern_calib_kind;
typedef enum { KERN_CALIB_ONE_CORE, KERN_CALIB_ALL_CORES, KERN_CALIB_SCOPE_COUNT } kern_calib_scope;
const char *kern_calib_kind_name(kern_calib_kind k);   /* "sgemm", "dgemm", "saxpy" */
const char *kern_calib_scope_name(kern_calib_scope s); /* "1 core", "all cores" */

enum { KERN_CALIB_MAX_POINTS = 256 };

typedef struct kern_calib_point {
  uint8_t kind;       /* kern_calib_kind */
  uint8_t scope;      /* kern_calib_scope */
  int64_t m, n, k;    /* GEMM shape (C[MxN] = A[MxK] B[KxN]); saxpy: n elements, m = k = 1 */
  double measured_s;  /* median of the repeats */
  double model_s;     /* what the fitted model predicts */
} kern_calib_point;

/* Constants fitted for one scope (threads on one core, or one thread on every core). */
typedef struct kern_calib_fit {
  int32_t units;            /* cores the scope uses = the model's compute units */
  int32_t tile_m, tile_n;   /* tile of the model's wave quantisation */
  double sgemm_flops_per_s; /* peak x gemm_efficiency, all units together */
  double dgemm_flops_per_s;
  double mem_Bps;           /* streaming bandwidth (saxpy: 12 bytes per element) */
  double launch_s;          /* fixed cost per call */
  double median_error, worst_error; /* |model / measured - 1| over the scope's points */
} kern_calib_fit;

/* Measured communication between the host's ranks (sim/calib_comm.c, section NETW of the file):
 * all-reduce, all-gather, point-to-point and reduce-scatter through the executor's transport
 * (sim/exec) at a grid of sizes, fitted per kind to a latency and a bandwidth (the host system's
 * hw_scaleup.coll_latency_s / coll_Bps, which coll_time then uses), and across kinds to the
 * scale-up link latency and bandwidth (what the other kinds, and the link figures, use). */
typedef enum {
  KERN_COMM_ALL_REDUCE,
  KERN_COMM_ALL_GATHER,
  KERN_COMM_P2P,
  KERN_COMM_REDUCE_SCATTER, /* after p2p: files written before it still read */
  KERN_COMM_KIND_COUNT
} kern_comm_kind;
/* "all_reduce", "all_gather", "p2p", "reduce_scatter" */
const char *kern_comm_kind_name(kern_comm_kind k);
enum { KERN_COMM_MAX_POINTS = 64 };
_Static_assert((int)KERN_COMM_KIND_COUNT <= (int)HW_COLL_KINDS, "hw_scaleup has room per kind");
typedef struct kern_comm_point {
  uint8_t kind;       /* kern_comm_kind */
  int32_t ranks;
  double bytes;       /* trace_op convention */
  double measured_s;  /* median repeat (exec_comm_bench) */
  double model_s;     /* coll_time on the host with the fitted constants */
} kern_comm_point;
typedef struct kern_calib_comm {
  bool present;       /* false: the file has no NETW section (the host keeps nominal figures) */
  char transport[16]; /* "threads" or "mpi" */
  double latency_s;   /* fitted scale-up latency per step */
  double link_Bps;    /* fitted scale-up bandwidth per chip, one direction */
  /* per kind, fitted on that kind's points alone (recomputed from the points when a file is
   * read): seconds = kind_latency_s + bytes / kind_Bps; kind_Bps 0: under 2 points, link model */
  double kind_latency_s[KERN_COMM_KIND_COUNT], kind_Bps[KERN_COMM_KIND_COUNT];
  double median_error, worst_error;
  uint32_t n_points;
  kern_comm_point points[KERN_COMM_MAX_POINTS];
} kern_calib_comm;

/* The executor's own kernels measured one by one (sim/calib_ops.c, section KOPS of the file): each
 * class of kern_host_op at a grid of sizes on one core (the thread's CPU time, median of batches),
 * and the fit of its constants. */
enum { KERN_OPS_MAX_POINTS = 128 };
typedef struct kern_ops_point {
  uint8_t op;         /* kern_host_op */
  int64_t m, n, k;    /* attention: heads, sequence, head dim; else 0 */
  double bytes;       /* memory-bound classes: the op's bytes; attention 0 */
  double measured_s;  /* median */
  double model_s;     /* the fitted constants' prediction */
} kern_ops_point;
typedef struct kern_ops_fit {
  double c[3];        /* seconds = c[0] + c[1] u1 + c[2] u2 (kern_host_op_units) */
  double median_error, worst_error;
  uint32_t n_points;
} kern_ops_fit;
typedef struct kern_calib_ops {
  bool present;       /* false: a version-1 file (the host keeps the generic forms for these ops) */
  kern_ops_fit fit[KERN_HOST_OP_COUNT];
  uint32_t n_points;
  kern_ops_point points[KERN_OPS_MAX_POINTS];
} kern_calib_ops;

typedef struct kern_calibration {
  uint32_t version;
  char fingerprint[256];    /* hw_host.fingerprint of the host that made it */
  char cpu_model[128];
  char blas[128];           /* openblas_get_config() */
  int32_t cores;
  kern_calib_fit fit[KERN_CALIB_SCOPE_COUNT];
  uint32_t n_points;
  kern_calib_point points[KERN_CALIB_MAX_POINTS];
  kern_calib_comm comm;     /* measured communication (section NETW; optional) */
  kern_calib_ops ops;       /* the executor's kernels (section KOPS; version 2 on) */
} kern_calibration;

typedef void (*kern_calib_progress_fn)(void *ctx, int done, int total, const char *what);
typedef struct kern_calib_options {
  bool quick;                       /* a small grid that runs in a few seconds (CI) */
  kern_calib_progress_fn progress;  /* may be NULL; called before each shape and at the end */
  void *progress_ctx;
} kern_calib_options;

/* Measures and fits (restores OpenBLAS's thread count and the thread's binding afterwards). */
ts_status kern_calibrate(const hw_host *host, const kern_calib_options *opt, kern_calibration *out,
                         ts_err *err);
/* Measures the host's rank-to-rank communication (thread transport, ranks = min(cores, 8) but at
 * least 2) and fits it (sim/calib_comm.c); quick: fewer sizes. Fills out->comm. */
ts_status kern_calibrate_comm(const hw_host *host, bool quick, kern_calibration *out, ts_err *err);
/* Fits c->comm's latency and bandwidth to its points against coll_time on host_sys (a copy is
 * changed, not host_sys) and fills each point's model_s. */
ts_status kern_calib_comm_fit(kern_calib_comm *c, const hw_system *host_sys, ts_err *err);
/* Measures the executor's own kernels (every kern_host_op class; quick: fewer sizes) on one core
 * and fits them (sim/calib_ops.c). Fills out->ops. Called by kern_calibrate, bound to one core. */
ts_status kern_calibrate_ops(bool quick, kern_calibration *out, ts_err *err);
/* Fits o->fit[] to o->points[] (per class: least squares on the relative error, constants >= 0)
 * and fills each point's model_s. */
ts_status kern_calib_ops_fit(kern_calib_ops *o, ts_err *err);
/* Fits c->fit[] from c->points[] and fills each point's model_s (used by kern_calibrate). */
ts_status kern_calib_fit_points(kern_calibration *c, ts_err *err);
/* The chip of one fitted scope as the kernel model sees it (fp32 GEMM peak = fitted FLOP/s). */
void kern_calib_chip(const kern_calib_fit *fit, hw_chip *chip);

/* $XDG_CACHE_HOME/trainsim/calibration-<16 hex digits of FNV-1a(fingerprint)>.bin (default
 * ~/.cache/trainsim/); with create_dir, makes the folders. */
ts_status kern_calibration_default_path(const hw_host *host, bool create_dir, char *buf, size_t cap,
                                        ts_err *err);
ts_status kern_calibration_write(const kern_calibration *c, const char *path, ts_err *err);
ts_status kern_calibration_read(const char *path, kern_calibration *out, ts_err *err);
ts_status kern_calibration_encode(const kern_calibration *c, unsigned char **data, size_t *len,
                                  ts_err *err);
ts_status kern_calibration_decode(const char *name, const unsigned char *data, size_t len,
                                  kern_calibration *out, ts_err *err);
/* Applies the one-core fit to the host system (one rank per core). */
void kern_calibration_apply(const kern_calibration *c, hw_system *host_sys);
/* Reads path (NULL: the default path for host), refuses a file from another host (naming both
 * fingerprints: TS_EINPUT) or a corrupt one (offset and reason: TS_EINPUT), and applies it.
 * A missing file is TS_ENOTFOUND. */
ts_status kern_calibration_load(const char *path_or_NULL, const hw_host *host, hw_system *host_sys,
                                ts_err *err);

/* ---- collectives ----------------------------------------------------------------------------- */
typedef enum {
  COLL_ALGO_AUTO,        /* what the system's software stack would pick for this size */
  COLL_ALGO_RING,        /* unidirectional ring */
  COLL_ALGO_RING_BIDIR,  /* two rings in opposite directions, half the data each */
  COLL_ALGO_TREE,        /* double binary tree */
  COLL_ALGO_RHD,         /* recursive halving / doubling */
  COLL_ALGO_HIER,        /* inside the scale-up domain, across it, then back */
  COLL_ALGO_TORUS,       /* a ring per torus dimension, one after the other */
  COLL_ALGO_MESH,        /* one step over direct links (Neuron "mesh", small messages) */
  COLL_ALGO_DIRECT,      /* all-to-all: every pair at once */
  COLL_ALGO_KANGARING,   /* on-chip step, then both ways round a Hamiltonian cycle (Neuron) */
  COLL_ALGO_COUNT
} coll_algo;
const char *coll_algo_name(coll_algo a);
bool coll_algo_parse(const char *text, coll_algo *out);

/* The groups that run the same collective at the same time (a communicator and its siblings, e.g.
 * every DP group of a stage): they share links, so they slow each other down. */
typedef struct coll_groups {
  int64_t n_groups;
  int64_t group_size;
  const int64_t *chips; /* n_groups x group_size chip ids, group-major, in rank order */
} coll_groups;

typedef struct coll_result {
  double seconds;
  coll_algo algo;   /* the algorithm used (resolved from AUTO) */
  int32_t steps;
} coll_result;

/* Time of one collective (kind: all_reduce, all_gather, reduce_scatter, all_to_all, send) of
 * `bytes` (trace_op convention) over the groups, links shared max-min fairly. */
ts_status coll_time(const hw_topo *topo, const hw_system *sys, trace_op_kind kind, double bytes,
                    const coll_groups *groups, coll_algo algo, coll_result *out, ts_err *err);

/* Reusable scratch for repeated coll_time_ws calls: no allocation once it has grown, and the
 * per-step link sharing (routes and max-min rates) is cached per communicator (topology, system
 * and groups; the 64 most recently used are kept), so timing a communicator again at any size
 * costs a few multiplications. Topology and system are recognised by pointer plus the fields the
 * model reads; use a fresh workspace after changing a topology or system in place. */
typedef struct coll_workspace coll_workspace;
ts_status coll_workspace_new(coll_workspace **out, ts_err *err);
void coll_workspace_free(coll_workspace *ws);
/* coll_time with a workspace; ws NULL: a temporary one. */
ts_status coll_time_ws(coll_workspace *ws, const hw_topo *topo, const hw_system *sys,
                       trace_op_kind kind, double bytes, const coll_groups *groups, coll_algo algo,
                       coll_result *out, ts_err *err);

/* ---- simulation ------------------------------------------------------------------------------ */
typedef enum { SIM_FIDELITY_SYMMETRIC, SIM_FIDELITY_FULL } sim_fidelity;

typedef struct sim_options {
  sim_fidelity fidelity;
  coll_algo algo;                 /* COLL_ALGO_AUTO unless forced (--coll-algo) */
  const kern_table *kernel_table; /* NULL: model only */
  bool record_timeline;
} sim_options;

typedef struct sim_breakdown {
  double compute_s, exposed_tp_s, exposed_cp_s, exposed_ep_s, bubble_s, exposed_dp_s, optimizer_s;
} sim_breakdown;

enum { SIM_TOP_OPS = 5 };
typedef struct sim_top_op {
  char name[96];
  uint8_t kind;
  uint64_t count;
  double total_s;
} sim_top_op;

typedef struct sim_report {
  double step_s;
  sim_breakdown breakdown;
  double model_flops, hw_flops;   /* whole step, all ranks */
  double mfu;                     /* model FLOP/s per chip over dense peak of the plan's dtype */
  double hw_flops_per_s_per_chip, model_flops_per_s_per_chip;
  double tokens_per_s;
  double memory_bytes_per_chip;
  double kind_total_s[TRACE_OP_KIND_COUNT]; /* op time by kind on the critical rank */
  int32_t n_top;
  sim_top_op top[SIM_TOP_OPS]; /* the op shapes with most total time on the critical rank */
  uint64_t events;
} sim_report;

typedef struct sim_result sim_result;

/* The share of a chip one rank runs on when a chip runs several (Trainium NeuronCores): peak
 * FLOP/s, HBM bandwidth and capacity, SRAM and compute units divided by ranks per chip. sim_run
 * times kernels on it; bounds that must not exceed sim_run's times use it too. */
void sim_rank_chip(const hw_chip *chip, hw_chip *out);

ts_status sim_run(const trace *t, const hw_system *sys, const sim_options *opt, sim_result **out,
                  ts_err *err);
const sim_report *sim_result_report(const sim_result *r);

/* Many runs on one system and chip count (the plan search simulates thousands of steps that
 * repeat the same kernels and collectives): a sim_cache keeps the topology, the collective
 * workspace and a memo of op durations (sim/memo.c: kernels by every field the kernel model reads,
 * collectives by kind, bytes and the groups the class's ranks form) across traces. A run through
 * the cache gives the same report as sim_run with the cache's options, bit for bit. Not shared
 * between threads. sys must outlive the cache. */
typedef struct sim_cache sim_cache;
ts_status sim_cache_new(const hw_system *sys, int64_t chips, const sim_options *opt,
                        sim_cache **out, ts_err *err);
void sim_cache_free(sim_cache *c);
/* Builds t's class programs and times every op (what sim_run does before replaying). t must stay
 * unchanged and alive until the next prepare or sim_cache_release. */
ts_status sim_cache_prepare(sim_cache *c, const trace *t, ts_err *err);
/* The prepared trace's durations of class cls's ops, as the replay uses them (send/recv: the
 * transfer); NULL when nothing is prepared or cls is out of range. */
const sim_ps *sim_cache_durations(const sim_cache *c, uint32_t cls);
/* sim_run of the prepared trace (it stays prepared). */
ts_status sim_cache_run(sim_cache *c, sim_result **out, ts_err *err);
/* Frees what the prepared trace needed. */
void sim_cache_release(sim_cache *c);
/* Chrome trace event JSON (Perfetto opens it); whole file or nothing. */
ts_status sim_timeline_write(const sim_result *r, const char *path, ts_err *err);
void sim_result_free(sim_result *r);

/* The step report as JSON (stable keys, SI units; see DESIGN.md "Outputs"). NULL on allocation
 * failure. The caller adds model/plan/system/chips/fidelity. */
struct json_t;
struct json_t *sim_report_json(const sim_report *r);
/* The breakdown alone (compute_s, exposed_tp_s, ..., optimizer_s), as in sim_report_json. */
struct json_t *sim_breakdown_json(const sim_breakdown *b);

#endif
