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
  KERN_BOUND_COUNT
} kern_bound;
const char *kern_bound_name(kern_bound b); /* "compute", "memory", "wave quantisation", ... */

typedef struct kern_estimate {
  double seconds;
  kern_bound bound;
  double flops_per_s; /* achieved */
} kern_estimate;

/* A user's table of measured kernel times (CSV: op,dtype,m,n,k,bytes,seconds) that overrides the
 * model for the ops it covers. */
typedef struct kern_table kern_table;
ts_status kern_table_load(const char *path, kern_table **out, ts_err *err);
void kern_table_free(kern_table *kt);

kern_estimate kern_gemm(const hw_chip *chip, int64_t m, int64_t n, int64_t k, int64_t count,
                        hw_dtype dt);
/* Duration of a compute op of a trace on chip (table first when given). */
kern_estimate kern_op(const hw_chip *chip, const trace_op *op, const kern_table *kt);

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
  double kind_total_s[TRACE_OP_KIND_COUNT]; /* per rank class 0 .. summed op time by kind */
  int32_t n_top;
  sim_top_op top[SIM_TOP_OPS];
  uint64_t events;
} sim_report;

typedef struct sim_result sim_result;

ts_status sim_run(const trace *t, const hw_system *sys, const sim_options *opt, sim_result **out,
                  ts_err *err);
const sim_report *sim_result_report(const sim_result *r);
/* Chrome trace event JSON (Perfetto opens it); whole file or nothing. */
ts_status sim_timeline_write(const sim_result *r, const char *path, ts_err *err);
void sim_result_free(sim_result *r);

#endif
