/* sim/study/compare: systems head to head, and the capacity bet (issue 12).
 *   compare_*   for each system, the cluster size under one basis (equal power, equal hourly spend
 *               or equal chips), the best plan by search_best, the step, time-to-train with
 *               goodput (ttt_compute), cost, energy, capability per USD and per joule, the ratios
 *               to the first system, and what limits it (sim/study/compare.c, compare_limit.c);
 *               one global batch for every system, and the chips a plan can train it on
 *               (compare_batch.c);
 *   capacity_*  a capacity file (chips delivered per period, with a delivery probability or a
 *               low/expected/high range, and the date the run may start), the run on a cluster
 *               that grows as chips arrive (re-planned at the next checkpoint, resharding
 *               charged), a Monte Carlo of deliveries and the shortfall crossover
 *               (sim/study/capacity.c, compare_grow.c, compare_mc.c);
 *   svg_bars_*  a grouped bar chart as SVG (sim/study/svg_bars.c).
 * Nothing here prints; every function returns ts_status and fills ts_err (file:line or field). */
#ifndef SIM_STUDY_COMPARE_H
#define SIM_STUDY_COMPARE_H

#include <stdbool.h>
#include <stdint.h>

#include "hw/base/ts_err.h"
#include "hw/hw.h"
#include "models/models.h"
#include "sim/search/search.h"
#include "sim/sim.h"
#include "sim/study/study.h"

/* ---- the comparison --------------------------------------------------------------------------- */
typedef enum { COMPARE_BASIS_POWER, COMPARE_BASIS_BUDGET, COMPARE_BASIS_CHIPS } compare_basis;
const char *compare_basis_name(compare_basis b); /* "power", "budget", "chips" */

enum {
  COMPARE_DEFAULT_POWER_W = 50000000,            /* 50 MW: a large training hall's contract */
  COMPARE_DEFAULT_BATCH_TOKENS = 16 * 1024 * 1024 /* one global batch for every system: 2^24
                                                     tokens, Llama 3 405B's final batch (16M
                                                     tokens, arXiv 2407.21783 sec. 3.4.1) */
};
#define COMPARE_DEFAULT_TOKENS 15e12 /* Llama 3's pre-training budget (arXiv 2407.21783) */

/* What limits a system: the largest part of the critical rank's step breakdown. */
typedef enum {
  COMPARE_LIMIT_COMPUTE,
  COMPARE_LIMIT_TP_COMM, /* exposed TP and CP communication */
  COMPARE_LIMIT_EP_COMM, /* exposed expert-parallel all-to-all */
  COMPARE_LIMIT_BUBBLE,  /* pipeline fill and drain */
  COMPARE_LIMIT_DP_COMM, /* exposed data-parallel gradient communication */
  COMPARE_LIMIT_OPTIMIZER,
  COMPARE_LIMIT_COUNT
} compare_limit;
const char *compare_limit_name(compare_limit l); /* "compute", "TP comm", "EP comm", ... */

typedef struct compare_options {
  compare_basis basis;
  double power_w;            /* basis power: cluster power, PUE and host overhead included */
  double budget_usd_per_h;   /* basis budget */
  int64_t chips;             /* basis chips */
  double tokens;             /* token budget (default COMPARE_DEFAULT_TOKENS) */
  const plan *fixed;         /* partial plan held by the search (NULL: nothing fixed) */
  int64_t gbs;               /* global batch in sequences, the same on every system; 0: from
                                batch_tokens (a gbs in fixed wins over both) */
  double batch_tokens;       /* tokens per step when gbs is not given (COMPARE_DEFAULT_...) */
  search_options search;     /* top_k 1, threads 2, bf16 unless the caller changes them */
  ttt_options ttt;
} compare_options;

void compare_options_init(compare_options *o);

/* Chips a system gets under the basis: power -> P / ((power_w + host_w) x PUE), budget ->
 * B / price, both rounded down to whole scale-up domains; chips -> as given. 0 when the basis
 * leaves none (the caller turns that into an error naming the system). */
int64_t compare_basis_chips(const hw_system *sys, const compare_options *o);
/* The global batch in sequences, one for every system (sim/study/compare_batch.c): fixed->gbs,
 * else o->gbs, else batch_tokens / seq rounded to whole sequences (at least 1). */
int64_t compare_gbs(const model *m, const compare_options *o);
/* The largest chip count <= chips on which some practical layout holds that batch exactly: dp x
 * mbs divides gbs, tp divides the heads within one domain, cp <= max_cp, tp x cp at most 16 chips'
 * ranks (when both free), a free pp with an interleaved bubble estimate of at most 1/4, fixed
 * fields held, and the plan fits HBM at its most frugal. 0 when none. */
int64_t compare_batch_chips(const model *m, const hw_system *sys, int64_t chips,
                            const compare_options *o);

/* One system's row. */
typedef struct compare_row {
  char system[HW_NAME_MAX];
  bool projected;
  int64_t basis_chips;   /* chips the basis gives the system */
  int64_t chips;         /* chips in the plan: compare_batch_chips of basis_chips (the rest idle) */
  double power_budget_w; /* the basis power when basis is power; else the cluster's ttt power */
  plan plan;
  char plan_text[SEARCH_PLAN_TEXT_MAX];
  sim_report report;
  model_memory memory;
  double hbm_bytes_per_chip;
  ttt_result ttt;
  double model_flops_run;   /* model FLOPs of the whole run (tokens x FLOPs per token) */
  double flops_per_usd, flops_per_j;
  compare_limit limit;
  double limit_share;       /* that part / step_s */
  bool memory_recompute;    /* the search chose recomputation (memory forced it) */
  bool memory_tight;        /* memory per chip above 90% of HBM */
  /* Ratios to row 0: time-to-train, cost, energy, FLOPs per USD, FLOPs per J, tokens/s. */
  double ratio_time, ratio_cost, ratio_energy, ratio_flops_per_usd, ratio_flops_per_j,
      ratio_tokens_per_s;
} compare_row;

/* The best plan and the run on chips of sys (no ratios): the building block of compare_run and of
 * the capacity runs. The plan trains on compare_batch_chips(chips) chips with compare_gbs
 * sequences; TS_EINPUT naming the system when no count up to chips can hold the batch. */
ts_status compare_system(const model *m, const hw_system *sys, int64_t chips,
                         const compare_options *o, compare_row *out, ts_err *err);
/* compare_system with the search held to shape (a partial plan that replaces o->fixed for the
 * search and the chip count; o->fixed still decides what the limit column calls user-fixed). */
ts_status compare_system_shape(const model *m, const hw_system *sys, int64_t chips,
                               const compare_options *o, const plan *shape, compare_row *out,
                               ts_err *err);
/* Every system under the basis; rows[i] for systems[i]; ratios to rows[0]. A system the basis
 * leaves with zero chips is TS_EINPUT naming it. */
ts_status compare_run(const model *m, const hw_system *const *systems, int n,
                      const compare_options *o, compare_row *rows, ts_err *err);
/* Fills the ratio fields of rows[0..n-1] against rows[0]. */
void compare_ratios(compare_row *rows, int n);
/* The limit of a row from its breakdown and plan (compare_limit.c). */
void compare_classify(compare_row *row, const plan *fixed);

/* ---- capacity files ----------------------------------------------------------------------------
 * Dates are days since 1970-01-01 (UTC civil calendar). */
enum { CAPACITY_MAX_SYSTEMS = 16, CAPACITY_MAX_PERIODS = 120, CAPACITY_REF_MAX = 512 };

typedef enum { CAPACITY_PLANNED, CAPACITY_RANGE } capacity_kind;

typedef struct capacity_period {
  int64_t day; /* the first day of the period: chips arrive then */
  int line;
  capacity_kind kind;
  double planned, probability; /* CAPACITY_PLANNED: planned chips arrive with that probability,
                                  else slip to the next period (and so on) */
  double low, expected, high;  /* CAPACITY_RANGE: triangular(low, expected, high) chips */
} capacity_period;

typedef struct capacity_system {
  char system[CAPACITY_REF_MAX];
  int line;
  int64_t start_day; /* the run may start */
  int n_periods;
  capacity_period periods[CAPACITY_MAX_PERIODS];
} capacity_system;

typedef struct capacity_file {
  char path[CAPACITY_REF_MAX];
  int n_systems;
  capacity_system systems[CAPACITY_MAX_SYSTEMS];
} capacity_file;

/* Parses "2026-03-15", "2026-03" (first of the month) or "2026-Q2" (first of the quarter). */
bool capacity_parse_date(const char *text, int64_t *day);
void capacity_format_date(int64_t day, char *buf, size_t cap); /* "2026-03-15" */
int64_t capacity_days_from_civil(int64_t y, int m, int d);
ts_status capacity_load(const char *path, capacity_file **out, ts_err *err);
ts_status capacity_load_string(const char *name, const char *text, capacity_file **out,
                               ts_err *err);
void capacity_free(capacity_file *c);
/* The entry for a system name, or NULL. */
const capacity_system *capacity_find(const capacity_file *c, const char *system);

/* ---- runs on a growing cluster (compare_grow.c) -------------------------------------------- */
#define CAPACITY_RESHARD_S 1800.0 /* documented constant: see compare_grow.c */

/* Small PRNG in a context (xoshiro256** seeded by splitmix64): no global state. */
typedef struct capacity_rng {
  uint64_t s[4];
} capacity_rng;
void capacity_rng_seed(capacity_rng *r, uint64_t seed);
uint64_t capacity_rng_next(capacity_rng *r);
double capacity_rng_uniform(capacity_rng *r); /* [0, 1) */

/* A cache of compare_system results per usable chip count for one system and model: one full
 * search at the reference count, every other count the reference plan's shape with dp rescaled
 * (a full search only where that shape does not apply; compare_grow.c). */
typedef struct capacity_planner capacity_planner;
ts_status capacity_planner_new(const model *m, const hw_system *sys, const compare_options *o,
                               capacity_planner **out, ts_err *err);
void capacity_planner_free(capacity_planner *p);
/* Usable chips out of delivered: whole domains, on the grid 1..8 domains then four steps per
 * doubling (8, 10, 12, 14, 16, 20, ...). 0 when less than one domain. */
int64_t capacity_usable_chips(const hw_system *sys, int64_t delivered);
/* The cached row for a usable chip count (searched on first use). */
ts_status capacity_planner_row(capacity_planner *p, int64_t chips, const compare_row **row,
                               ts_err *err);
/* Makes chips (a usable count) the reference: searched in full, its plan's shape reused for the
 * other counts. A no-op once a count has been planned. */
ts_status capacity_planner_reference(capacity_planner *p, int64_t chips, ts_err *err);
int capacity_planner_searches(const capacity_planner *p); /* full searches run */
int capacity_planner_counts(const capacity_planner *p);   /* usable counts planned */
const hw_system *capacity_planner_system(const capacity_planner *p);
/* The largest usable count of the planned schedule (every planned quantity on time, ranges at
 * their expected value): the reference count of capacity_monte_carlo and capacity_crossover. */
int64_t capacity_planned_peak(const hw_system *sys, const capacity_system *cs);

/* Chips delivered per period of one draw (or of the planned schedule). */
typedef struct capacity_draw {
  int n;
  int64_t day[CAPACITY_MAX_PERIODS * 2];
  double chips[CAPACITY_MAX_PERIODS * 2];
} capacity_draw;

/* Planned: every planned quantity on time, ranges at their expected value; both scaled by
 * (1 - shortfall). */
void capacity_draw_planned(const capacity_system *cs, double shortfall, capacity_draw *out);
/* One Monte Carlo draw (slips of one period per failed probability trial; triangular ranges). */
void capacity_draw_random(const capacity_system *cs, capacity_rng *rng, capacity_draw *out);

typedef struct capacity_outcome {
  bool finished;           /* false: not enough chips ever arrive */
  int64_t start_day;
  double finish_s;         /* seconds after the start day at which the budget is reached */
  double chip_hours_used;  /* chips in the plan, while training */
  double chip_hours_idle;  /* delivered but out of the plan, or resharding */
  double cost_usd;         /* (used + idle) x price */
  int replans;
  int64_t max_chips;       /* largest plan */
} capacity_outcome;

/* Trains tokens on the delivered chips of a draw from the start day. */
ts_status capacity_run_draw(capacity_planner *p, const capacity_system *cs,
                            const capacity_draw *d, double tokens, capacity_outcome *out,
                            ts_err *err);

/* ---- Monte Carlo and crossover (compare_mc.c) -------------------------------------------- */
typedef struct capacity_summary {
  capacity_outcome planned; /* deliveries as planned */
  int draws;
  int unfinished;           /* draws that never reach the budget */
  double mean_finish_s, p10_finish_s, p90_finish_s; /* over finished draws */
  double mean_chip_hours_used, mean_chip_hours_idle, mean_cost_usd;
} capacity_summary;

ts_status capacity_monte_carlo(capacity_planner *p, const capacity_system *cs, double tokens,
                               int draws, uint64_t seed, capacity_summary *out, ts_err *err);

/* The shortfall s in [0, 1) of the faster system's planned deliveries at which it stops
 * finishing first against the slower one (both as planned, absolute finish dates). *found false
 * when the faster system still wins at a 99% shortfall. */
ts_status capacity_crossover(capacity_planner *fast, const capacity_system *fast_cs,
                             capacity_planner *slow, const capacity_system *slow_cs,
                             double tokens, double *shortfall, bool *found, ts_err *err);

/* ---- SVG grouped bar chart (svg_bars.c) ----------------------------------------------------- */
enum { SVG_BARS_MAX_GROUPS = 64, SVG_BARS_MAX_SERIES = 4 };
typedef struct svg_bars {
  const char *title;
  int n_groups, n_series;
  const char *group[SVG_BARS_MAX_GROUPS];   /* x labels */
  const char *series[SVG_BARS_MAX_SERIES];  /* legend, each with its own unit and scale */
  double value[SVG_BARS_MAX_SERIES][SVG_BARS_MAX_GROUPS];
  bool dashed[SVG_BARS_MAX_GROUPS];         /* projected systems */
} svg_bars;
/* Each series is scaled to its own maximum (the bar's label prints the value). */
ts_status svg_bars_write(const svg_bars *chart, const char *path, ts_err *err);

#endif
