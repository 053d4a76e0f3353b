/* sim/search: the plan search. Given a model, a system, a chip count and a partial plan (the fields
 * in plan.set are held fixed, DESIGN.md "partial plans"), it enumerates every valid plan over the
 * free fields (TP, CP, PP, DP, EP, vpp, mbs, recomputation, ZeRO stage, dtype), prunes before
 * simulating (plan_check and the generator's rules, memory fit against HBM, and a lower bound on
 * the step time that cannot beat the current K-th best), simulates the rest with gen_step +
 * sim_run on a pool of threads, and returns the best K sorted by (step_s, plan text) — the same
 * K, byte for byte, whatever the thread count or the number of MPI ranks.
 * `validate`, `roadmap`, `migrate` and `compare` call search_best; `trainsim search` prints it. */
#ifndef SIM_SEARCH_SEARCH_H
#define SIM_SEARCH_SEARCH_H

#include <stdbool.h>
#include <stdint.h>

#include "hw/base/ts_err.h"
#include "hw/hw.h"
#include "models/models.h"
#include "sim/sim.h"

enum { SEARCH_PLAN_TEXT_MAX = 1024, SEARCH_DEFAULT_TOP = 10, SEARCH_DEFAULT_MAX_MBS = 16 };

typedef struct search_options {
  int32_t top_k;       /* plans kept (default 10) */
  int32_t threads;     /* worker threads; 0 = the online CPUs */
  uint32_t dtypes;     /* bit (1u << hw_dtype) per dtype tried when dtype is not fixed; 0 = bf16 */
  int32_t max_cp;      /* largest CP tried when cp is free; 0 = seq / 1024 (at least 1) */
  int32_t max_mbs;     /* largest micro-batch tried when mbs is free; 0 = 16 */
  bool allow_oom;      /* keep plans that exceed HBM (validate predicts published plans) */
  bool exhaustive;     /* no lower-bound pruning (tests; checking the bound) */
  sim_options sim;     /* fidelity, collective algorithm, kernel table */
  int32_t part, parts; /* evaluate only candidates whose index % parts == part (MPI); parts 0 = 1 */
} search_options;

/* Defaults: top 10, threads = online CPUs, bf16, symmetric fidelity, automatic collectives. */
void search_options_init(search_options *o);

typedef struct search_entry {
  plan plan;
  char text[SEARCH_PLAN_TEXT_MAX]; /* plan_format of plan */
  sim_report report;
  model_memory memory;
  bool over_memory;                /* exceeds HBM (only with allow_oom) */
  double bound_s;                  /* the lower bound the search gave it */
} search_entry;

/* Counts over the whole space (enumerated .. candidates are the same on every MPI rank) and over
 * this process's share (bounded .. failed). Wall-clock seconds are for people, never for JSON. */
typedef struct search_stats {
  uint64_t enumerated;  /* combinations of the free fields' values */
  uint64_t invalid;     /* refused by plan_check or the generator's divisibility rules */
  uint64_t over_memory; /* do not fit in HBM (not counted with allow_oom) */
  uint64_t candidates;  /* valid and fitting: what is left to bound or simulate */
  uint64_t bounded;     /* skipped: a lower bound above the K-th best step time */
  uint64_t bounded_trace; /* of those, by the bound of the generated step (search_bound.c) */
  uint64_t simulated;   /* generated and simulated */
  uint64_t reused;      /* generated, and the same step as one simulated before: its report */
  uint64_t failed;      /* the generator or the simulator refused (counted, not fatal) */
  double seconds;       /* wall clock of the whole search */
} search_stats;

typedef struct search_result {
  int32_t n;           /* entries in best (<= top_k) */
  search_entry *best;  /* sorted by (step_s, text) */
  uint32_t chosen;     /* PLAN_SET_* bits of the fields the search chose (not fixed) */
  search_stats stats;
} search_result;

/* fixed: the partial plan (plan_parse's set bits say which fields are held); gbs must be set
 * (PLAN_SET_GBS). m->seq is the sequence length searched. opt NULL: defaults. Fails with
 * TS_ENOFIT when no valid plan fits (the message names the closest one and its overflow),
 * TS_EINPUT when no plan is valid at all (the first refusal's reason). */
ts_status search_best(const model *m, const hw_system *sys, int64_t chips, const plan *fixed,
                      const search_options *opt, search_result **out, ts_err *err);
void search_result_free(search_result *r);

/* Merges results of disjoint parts of one space (MPI ranks): keeps the best top_k by
 * (step_s, text); stats summed where they are per part. Entries are copied. */
ts_status search_result_merge(const search_result *const *parts, int n, int32_t top_k,
                              search_result **out, ts_err *err);

/* Orders entries by step_s, then plan text (the deterministic order of every result). */
int search_entry_compare(const search_entry *a, const search_entry *b);

/* ---- MPI (sim/search/search_mpi.c; a single-process fallback when built without MPI) ---------- */
/* Whether this build has MPI. */
bool search_mpi_built(void);
/* Starts MPI when the process was launched by mpirun/mpiexec (a no-op otherwise, and without
 * MPI): *rank and *size of MPI_COMM_WORLD (0 and 1 when not started). */
ts_status search_mpi_begin(int *argc, char ***argv, int *rank, int *size, ts_err *err);
void search_mpi_end(void);
/* search_best with the candidates split round-robin over the ranks and the top-K gathered at
 * rank 0 (byte-identical to search_best in one process). On other ranks *out holds the rank's own
 * share. Without MPI, or when MPI was not started, it is search_best. */
ts_status search_best_mpi(const model *m, const hw_system *sys, int64_t chips, const plan *fixed,
                          const search_options *opt, search_result **out, ts_err *err);

#endif
