/* sim/study: the studies built on one simulated step. Three library parts that the `run --tokens`,
 * `roadmap`, `migrate` and `compare` commands call:
 *   ttt_*      time-to-train for a token budget with goodput (failures, Young/Daly checkpoints,
 *              restarts), chip-hours, cost and energy (sim/study/ttt.c);
 *   roadmap_*  the vendor roadmap data file hw/roadmap.yaml, the per-track fit of cadence and
 *              per-generation growth, and projected systems for years past the last generation
 *              (sim/study/roadmap.c, roadmap_fit.c, roadmap_proj.c);
 *   rework_*   the software-stack data file hw/stacks.yaml and the migration rework inventory and
 *              cost model (sim/study/rework.c, rework_file.c).
 * Nothing here prints; every function returns ts_status and fills ts_err (file:line or field). */
#ifndef SIM_STUDY_STUDY_H
#define SIM_STUDY_STUDY_H

#include <stdbool.h>
#include <stdint.h>

#include "hw/base/ts_err.h"
#include "hw/hw.h"
#include "models/models.h"
#include "sim/sim.h"
#include "traces/trace.h"

/* ---- time-to-train --------------------------------------------------------------------------- */
/* What one simulated step says about the run. */
typedef struct ttt_input {
  double step_s;          /* one training step */
  double tokens_per_step; /* global batch x sequence length */
  double tokens;          /* token budget of the run */
  int64_t chips;
  double busy_fraction; /* 0..1: share of the step the chips compute (compute_s / step_s) */
  double params_total;  /* model parameters, for the checkpoint size (unused when
                           ttt_options.checkpoint_bytes >= 0) */
} ttt_input;

/* Every default is documented in ttt.c's header and /work/notes/readme-ttt.md. A negative value
 * in an override field means "take it from the system / the default rule". */
typedef struct ttt_options {
  double pue;                        /* datacenter power usage effectiveness (1.2) */
  double idle_power_fraction;        /* chip power when not computing, fraction of TDP (0.5) */
  double price_usd_per_chip_h;       /* < 0: the system's price */
  double failure_rate_per_chip_h;    /* < 0: the chip's rate */
  double checkpoint_bytes;           /* < 0: params_total x checkpoint_bytes_per_param */
  double checkpoint_bytes_per_param; /* 2 B bf16 weights + 12 B fp32 master + Adam m, v (14) */
  double storage_Bps;                /* aggregate checkpoint write bandwidth (2e12) */
  double restart_s;                  /* reschedule, re-initialise, reload a checkpoint (600) */
} ttt_options;

typedef struct ttt_result {
  double ideal_s;              /* tokens / throughput, no failures and no checkpoints */
  double wall_s;               /* expected wall-clock time to train */
  double goodput;              /* ideal_s / wall_s */
  double steps;                /* tokens / tokens_per_step (fractional) */
  double chip_hours;           /* chips x wall_s / 3600 */
  double price_usd_per_chip_h; /* the price used */
  double cost_usd;
  double power_w; /* average cluster power at the wall, PUE included */
  double energy_j, energy_mwh;
  double failure_rate_per_chip_h; /* the rate used */
  double mtbf_s;                  /* of the whole job: 1 / (rate x chips); 0 when rate is 0 */
  double interruptions;           /* expected over wall_s */
  double checkpoint_bytes;
  double checkpoint_write_s;    /* delta = checkpoint_bytes / storage_Bps */
  double checkpoint_interval_s; /* compute time between checkpoints (Daly); 0 = no failures, none */
  double checkpoints;           /* expected checkpoints written */
  double lost_s_per_interruption; /* restart + (interval + write) / 2 */
} ttt_result;

void ttt_options_init(ttt_options *opt);
/* Young's first-order interval sqrt(2 delta M). */
double ttt_young_interval_s(double checkpoint_write_s, double mtbf_s);
/* Daly's higher-order interval: sqrt(2dM)(1 + sqrt(d/2M)/3 + d/18M) - d for d < 2M, else M. */
double ttt_daly_interval_s(double checkpoint_write_s, double mtbf_s);
/* Time-to-train, goodput, cost and energy. opt NULL: defaults. Fails (TS_EINPUT, naming the
 * field) on a bad input or option, and (TS_ERUN) when the job's MTBF is too short for the run to
 * make progress (each interruption loses more than the time between interruptions). */
ts_status ttt_compute(const hw_system *sys, const ttt_input *in, const ttt_options *opt,
                      ttt_result *out, ts_err *err);
/* Fills in from a step report: step_s, tokens_per_step = gbs x seq, busy = (compute_s +
 * optimizer_s) / step_s of the critical rank,
 * params_total from the model; tokens and chips as given. */
void ttt_input_from_report(const sim_report *r, const model *m, const plan *p, int64_t seq,
                           double tokens, int64_t chips, ttt_input *out);

/* ---- roadmap -----------------------------------------------------------------------------------
 */
enum { ROADMAP_MAX_TRACKS = 8, ROADMAP_MAX_GENS = 24, ROADMAP_REF_MAX = 512 };

/* The figures a generation grows by, one multiplier each per generation. */
typedef enum {
  ROADMAP_G_BF16,      /* dense bf16 FLOP/s (fp32 and fp16 follow it) */
  ROADMAP_G_FP8,       /* dense fp8 FLOP/s (fp4 follows it) */
  ROADMAP_G_HBM_BPS,   /* HBM bandwidth */
  ROADMAP_G_HBM_BYTES, /* HBM capacity */
  ROADMAP_G_LINK,      /* scale-up link bandwidth (per link, per chip, per torus dimension) */
  ROADMAP_G_NIC,       /* scale-out NIC bandwidth per chip */
  ROADMAP_G_POWER,     /* chip power */
  ROADMAP_G_PRICE,     /* price per chip-hour */
  ROADMAP_G_COUNT
} roadmap_growth;
const char *roadmap_growth_name(roadmap_growth g); /* "bf16", "fp8", "hbm_bw", "hbm", "link", ... */

typedef struct roadmap_fit {
  int n_fitted;                      /* shipped generations the fit used */
  double cadence_years;              /* mean years between them; 0 when fewer than two */
  double growth[ROADMAP_G_COUNT];    /* geometric mean of successive ratios (1 when no pair) */
  int growth_pairs[ROADMAP_G_COUNT]; /* successive pairs with both figures > 0 */
  bool cadence_overridden;
  uint32_t growth_overridden; /* bit per roadmap_growth */
} roadmap_fit;

typedef struct roadmap_gen {
  char name[48];                    /* "hopper" */
  char system_ref[ROADMAP_REF_MAX]; /* catalog name, or a path (relative to the roadmap file) */
  int year;                         /* year available */
  bool shipped;                     /* generally available (fitted on); else announced */
  char source[HW_SOURCE_MAX];
  int line;       /* line in the roadmap file */
  hw_system *sys; /* loaded; owned by the roadmap */
} roadmap_gen;

typedef struct roadmap_track {
  char name[32]; /* "nvidia", "trainium", "amd" */
  int line;
  int n_gens;
  roadmap_gen gens[ROADMAP_MAX_GENS]; /* in year order (checked) */
  roadmap_fit fit;
} roadmap_track;

typedef struct roadmap {
  char path[ROADMAP_REF_MAX];
  int n_tracks;
  roadmap_track tracks[ROADMAP_MAX_TRACKS];
} roadmap;

/* A generation offered in a year: a real one (gen >= 0) or the k-th projected past the last. */
typedef struct roadmap_pick {
  int track;
  int gen;               /* index into the track's gens, -1 when projected */
  int generations_ahead; /* projected: k >= 1 generations past the last listed one; else 0 */
  int year;              /* year that generation is available */
  bool projected;        /* projected by the fit, or a listed generation whose chip is projected */
} roadmap_pick;

/* path NULL: <data dir>/hw/roadmap.yaml. Loads every listed system and fits every track. */
ts_status roadmap_load(const char *path, roadmap **out, ts_err *err);
void roadmap_free(roadmap *rm);
/* Fit on systems[0..n-1] of years[0..n-1] (increasing years; the shipped generations). */
ts_status roadmap_fit_systems(const hw_system *const *systems, const int *years, int n,
                              roadmap_fit *out, ts_err *err);
/* Refits one track on its shipped generations (keeps overrides already applied). */
ts_status roadmap_fit_track(roadmap_track *t, ts_err *err);
/* "nvidia=1,trainium=2": years between generations per track. */
ts_status roadmap_set_cadence(roadmap *rm, const char *spec, ts_err *err);
/* "nvidia.bf16=2,price=1.1": per-generation multipliers; a field without a track sets it for
 * every track. Fields: bf16 fp8 hbm_bw hbm link nic power price. */
ts_status roadmap_set_growth(roadmap *rm, const char *spec, ts_err *err);
int roadmap_track_index(const roadmap *rm, const char *name); /* -1 when absent */
/* Per track, the newest generation available in year (tracks with nothing yet are left out). */
ts_status roadmap_available(const roadmap *rm, int year, roadmap_pick picks[ROADMAP_MAX_TRACKS],
                            int *n, ts_err *err);
/* The system of a pick: a copy of the listed one, or the last listed one x growth^k. */
ts_status roadmap_pick_system(const roadmap *rm, const roadmap_pick *pick, hw_system *out,
                              ts_err *err);
/* The newest system of track in year (roadmap_available + roadmap_pick_system for one track). */
ts_status roadmap_system_for_year(const roadmap *rm, int track, int year, hw_system *out,
                                  roadmap_pick *pick, ts_err *err);
/* base x growth^generations, marked projected (year, name "<track>-proj-<year>", projected_from,
 * every source rewritten to say so). */
void roadmap_project_system(const hw_system *base, const roadmap_fit *fit, int generations,
                            const char *track, int year, hw_system *out);

/* ---- migration rework --------------------------------------------------------------------------
 */
typedef enum {
  REWORK_IMPL_VENDOR_LIBRARY, /* cuBLAS, hipBLASLt, the Neuron compiler's own GEMM */
  REWORK_IMPL_COMPILER,       /* generated by a compiler (XLA / neuronx-cc, torch.compile) */
  REWORK_IMPL_CUSTOM_KERNEL,  /* hand-written kernel the team owns (FlashAttention, NKI) */
  REWORK_IMPL_COLLECTIVE,     /* collective library (NCCL, RCCL, Neuron collectives) */
  REWORK_IMPL_COUNT
} rework_impl;
const char *rework_impl_name(rework_impl i); /* "vendor_library", "compiler", ... */

typedef enum {
  REWORK_KERNEL_PORT,       /* custom kernel re-implemented in another kernel language */
  REWORK_KERNEL_RETUNE,     /* same language, new chip family: re-tile, re-tune */
  REWORK_COLLECTIVE_TUNING, /* stack or scale-up topology changes */
  REWORK_DTYPE,             /* data type unsupported on B, or another low-precision recipe */
  REWORK_MEMORY,            /* plan does not fit B, or HBM capacity changes */
  REWORK_PLACEMENT,         /* switch <-> torus, or another torus shape */
  REWORK_PARALLELISM,       /* best plan on B differs from the plan on A */
  REWORK_KIND_COUNT
} rework_kind;
const char *rework_kind_name(rework_kind k); /* the cost keys in stacks.yaml */

enum { REWORK_MAX_STACKS = 8, REWORK_MAX_ITEMS = 32, REWORK_TEXT_MAX = 200 };

typedef struct rework_op_impl {
  bool given;
  rework_impl impl;
  char lang[24]; /* kernel language: "cuda", "nki", "hip", "" */
  char detail[REWORK_TEXT_MAX];
} rework_op_impl;

typedef struct rework_stack {
  char name[32]; /* matches hw_system.stack */
  char description[REWORK_TEXT_MAX];
  int line;
  rework_op_impl ops[TRACE_OP_KIND_COUNT];
  bool dtype_supported[HW_DTYPE_COUNT];
  char dtype_recipe[HW_DTYPE_COUNT][REWORK_TEXT_MAX]; /* how the stack trains in that dtype */
} rework_stack;

typedef struct rework_model {
  char path[ROADMAP_REF_MAX];
  int n_stacks;
  rework_stack stacks[REWORK_MAX_STACKS];
  double weeks[REWORK_KIND_COUNT]; /* engineer-weeks per item */
  char rationale[REWORK_KIND_COUNT][REWORK_TEXT_MAX];
  double team_engineers;
  double engineer_usd_per_week;
  double hbm_change_fraction; /* HBM change that calls for re-partitioning */
  double validation_runs;
  double validation_hours_per_run; /* wall-clock hours of one revalidation run on B */
} rework_model;

typedef struct rework_input {
  const hw_system *a, *b;
  const plan *plan_a; /* best plan on A */
  const plan *plan_b; /* best plan on B; NULL when not searched (no parallelism item) */
  bool fits_b;        /* plan_a fits in B's memory */
  uint32_t op_kinds;  /* bit (1u << trace_op_kind) per kind present in the trace */
  int64_t chips_b;    /* chips of the revalidation runs on B */
} rework_input;

typedef struct rework_item {
  rework_kind kind;
  int op_kind; /* trace_op_kind for kernel items, -1 otherwise */
  double weeks;
  char detail[REWORK_TEXT_MAX];
} rework_item;

typedef struct rework_result {
  int n_items;
  rework_item items[REWORK_MAX_ITEMS];
  const rework_stack *stack_a, *stack_b; /* point into the model */
  double engineer_weeks;
  double calendar_weeks; /* max(engineer_weeks / team, largest item) */
  double engineer_usd;
  double validation_chip_hours, validation_usd; /* runs x hours x chips_b, at B's price */
  double total_usd;
  uint32_t plan_diff; /* PLAN_SET_* bits of the fields plan_b changes */
} rework_result;

/* path NULL: <data dir>/hw/stacks.yaml. */
ts_status rework_model_load(const char *path, rework_model **out, ts_err *err);
void rework_model_free(rework_model *m);
const rework_stack *rework_model_stack(const rework_model *m, const char *name);
/* PLAN_SET_* bits of the fields (tp pp dp cp ep vpp mbs recompute zero dtype schedule) that
 * differ between a and b. */
uint32_t rework_plan_diff(const plan *a, const plan *b);
/* The i-th plan field a migration can change, in report order: its name ("tp", ..., "sp") and
 * PLAN_SET_* bit in *bit; NULL past the last. */
const char *rework_plan_field(size_t i, uint32_t *bit);
ts_status rework_compute(const rework_model *m, const rework_input *in, rework_result *out,
                         ts_err *err);

#endif
