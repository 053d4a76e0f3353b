/* sim/study/studies.h: the studies of issue 6 put together from the parts in study.h and the plan
 * search: one reference training run on a system (best plan + time-to-train), the cluster size
 * for a comparison basis, the year-by-year roadmap study (sim/study/roadmap_run.c), the migration
 * study A -> B (sim/study/migrate.c), and the roadmap SVG chart (sim/study/svg.c).
 * `trainsim roadmap` and `trainsim migrate` print what these return. Nothing here prints. */
#ifndef SIM_STUDY_STUDIES_H
#define SIM_STUDY_STUDIES_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/search/search.h"
#include "sim/study/study.h"

/* ---- cluster size for a comparison basis ----------------------------------------------------- */
typedef enum { STUDY_BASIS_POWER, STUDY_BASIS_BUDGET, STUDY_BASIS_CHIPS } study_basis;
const char *study_basis_name(study_basis b); /* "power", "budget", "chips" */

/* Chips of sys under a basis: power W -> W / ((power_w + host_overhead) x pue); budget USD/h ->
 * B / price; chips -> N. Power and budget round down to whole scale-up domains, and the domain
 * count down to 2^a or 3 x 2^a (so that a power-of-two data-parallel degree divides the global
 * batch: at most 25% of the basis is left unused, and the chips and power used are reported).
 * chips rounds down to whole domains (kept as given below one domain). 0 when nothing fits. */
int64_t study_chips_for_basis(const hw_system *sys, study_basis basis, double value, double pue);

/* ---- one reference run ----------------------------------------------------------------------- */
typedef struct study_run_cfg {
  const model *m;       /* seq is the training sequence length */
  int64_t gbs;          /* global batch, sequences */
  double tokens;        /* token budget */
  const char *fixed;    /* extra fixed plan fields for the search ("" or NULL: none), e.g.
                           "mbs=1,zero=1,dtype=bf16,cp=1,schedule=1f1b" */
  search_options search;
  ttt_options ttt;
} study_run_cfg;

/* The fixed fields roadmap and migrate use by default: a reduced, fast search space. */
#define STUDY_FIXED_DEFAULT "mbs=1,zero=1,dtype=bf16,cp=1,ep=1,schedule=1f1b,recompute=selective"

/* Defaults: gbs 0 (must be set), search top 1 on 2 threads, ttt defaults. */
void study_run_cfg_init(study_run_cfg *c, const model *m);

typedef struct study_run {
  bool ok;
  ts_status status;        /* of the failure when !ok */
  char error[768];           /* ts_err message of the failure */
  int64_t chips;
  plan plan;
  char plan_text[SEARCH_PLAN_TEXT_MAX];
  sim_report report;
  model_memory memory;
  ttt_result ttt;
  double model_flops;      /* of the whole run: model FLOPs per token x tokens */
  double flops_per_usd;    /* model FLOPs per USD */
  double flops_per_j;      /* model FLOPs per joule at the wall */
  uint32_t op_kinds;       /* bit (1u << trace_op_kind) per kind in the step's trace */
} study_run;

/* Best plan by search_best (gbs, seq and cfg->fixed held) on chips of sys, then ttt_compute.
 * A search that finds no plan, or a run that cannot progress, is returned in out (ok false,
 * status and error), not as a failure: only bad configuration fails. */
ts_status study_run_best(const study_run_cfg *cfg, const hw_system *sys, int64_t chips,
                         study_run *out, ts_err *err);
/* A given plan (not searched) on chips of sys: plan_check, memory, gen_step + sim_run, ttt. A
 * plan that does not fit is out->ok false with the reason (status TS_ENOFIT or TS_EINPUT). */
ts_status study_run_plan(const study_run_cfg *cfg, const hw_system *sys, int64_t chips,
                         const plan *p, study_run *out, ts_err *err);

/* ---- roadmap study --------------------------------------------------------------------------- */
typedef struct roadmap_study_cfg {
  study_run_cfg run;
  int year_from, year_to;   /* inclusive */
  study_basis basis;
  double basis_value;       /* W, USD/h or chips */
  double ttt_threshold;     /* years where time-to-train is within this of each other (0.2) */
  double dollar_threshold;  /* years where FLOPs per USD diverge by more than this (0.5) */
} roadmap_study_cfg;

typedef struct roadmap_row {
  bool present;             /* the track has a generation in this year */
  roadmap_pick pick;
  char gen_name[48];        /* "rubin", or "projected" */
  char system[HW_NAME_MAX];
  double power_w;           /* chip power + host overhead per chip, for the basis */
  bool cached;              /* same (system, chips) as an earlier year: search not repeated */
  study_run run;
} roadmap_row;

typedef struct roadmap_study {
  int n_years, n_tracks;
  int year_from;
  roadmap_row *rows;        /* n_years x n_tracks, year-major */
  bool *ttt_close;          /* per year: max/min time-to-train - 1 <= ttt_threshold (>= 2 ok) */
  bool *dollar_diverge;     /* per year: max/min FLOPs per USD - 1 > dollar_threshold */
  double *ttt_spread, *dollar_spread; /* per year: max/min - 1 (0 with fewer than 2 ok rows) */
  int searches;             /* distinct (system, chips > 0) searched */
} roadmap_study;

/* One row per (year, track) of rm. Fails only on a bad configuration. */
ts_status roadmap_study_run(const roadmap *rm, const roadmap_study_cfg *cfg, roadmap_study **out,
                            ts_err *err);
void roadmap_study_free(roadmap_study *s);
static inline const roadmap_row *roadmap_study_row(const roadmap_study *s, int y, int t) {
  return &s->rows[(size_t)y * (size_t)s->n_tracks + (size_t)t];
}

/* ---- migration study ------------------------------------------------------------------------- */
typedef struct migrate_result {
  study_run a_best;        /* best plan on A */
  study_run b_same;        /* A's plan on B (dp re-derived for B's ranks); ok false: does not fit */
  study_run b_best;        /* best plan on B */
  bool fits_b;             /* A's plan fits B (ok b_same) */
  double speed_left;       /* b_same step / b_best step - 1 (0 when b_same does not run) */
  uint32_t plan_diff;      /* rework_plan_diff(a_best.plan, b_best.plan) */
  rework_result rework;
  /* break-even: the run on A against the run on B, costs from time-to-train x price */
  double saving_usd_per_run;  /* a_best cost - b_best cost */
  double saving_s_per_run;    /* a_best wall - b_best wall */
  double runs_to_break_even;  /* rework total / saving per run; < 0: never (no saving) */
  double months_to_break_even; /* that many back-to-back runs on B; < 0: never */
} migrate_result;

/* A's plan moved to B's chips: same fields, dp = B's ranks / (tp pp cp). false with the reason
 * when B's ranks are not a multiple (re-partitioning). */
bool migrate_same_plan(const plan *pa, const hw_system *b, int64_t chips_b, plan *out,
                       char *why, size_t cap);
/* Plan search on A and B, A's plan on B, rework (rework_compute with op kinds of B's trace) and
 * break-even. Fails only on a bad configuration or when no plan runs on A. */
ts_status migrate_compute(const rework_model *rm, const study_run_cfg *cfg, const hw_system *a,
                          int64_t chips_a, const hw_system *b, int64_t chips_b,
                          migrate_result *out, ts_err *err);

/* Along the roadmap: the cumulative rework (engineer-weeks and USD) of following track `from`'s
 * generations year by year, against switching to track `to` in switch_year (one cross-vendor move
 * then, then `to`'s upgrades). The plan is held (no search per generation: no parallelism item),
 * op kinds are those of a dense trace, and it fits. */
typedef struct migrate_roadmap_row {
  int year;
  char stay_system[HW_NAME_MAX], switch_system[HW_NAME_MAX];
  bool stay_projected, switch_projected;
  int stay_items, switch_items;            /* items of this year's move (0 when none) */
  double stay_weeks, switch_weeks;         /* engineer-weeks of this year's move */
  double stay_cum_weeks, switch_cum_weeks; /* cumulative */
  double stay_cum_usd, switch_cum_usd;
} migrate_roadmap_row;

ts_status migrate_roadmap(const roadmap *road, const rework_model *rm, int from_track,
                          int to_track, int switch_year, int year_from, int year_to,
                          const plan *p, int64_t chips, migrate_roadmap_row *rows, int *n,
                          ts_err *err); /* rows: room for year_to - year_from + 1 */

/* ---- SVG chart ------------------------------------------------------------------------------- */
/* Two panels (time-to-train in days, cost in USD, log scales) against the year. Each track is
 * exactly one <path> (its listed generations in both panels, as subpaths); the years reached only
 * by projection are dashed <polyline>s continuing the line. */
ts_status roadmap_svg_render(const roadmap *rm, const roadmap_study *s, char **out, size_t *len,
                             ts_err *err);
/* Whole file or nothing. */
ts_status roadmap_svg_write(const roadmap *rm, const roadmap_study *s, const char *path,
                            ts_err *err);

#endif
