/* Internals shared by the files of the plan search (search.c, search_space.c, search_bound.c,
 * search_eval.c, search_mpi.c); no other folder includes this. */
#ifndef SIM_SEARCH_SEARCH_INT_H
#define SIM_SEARCH_SEARCH_INT_H

#include <stddef.h>
#include <stdint.h>

#include "sim/search/search.h"

/* One point of the space: the searched fields only (the rest come from the fixed plan). */
typedef struct search_cand {
  int32_t tp, pp, dp, cp, ep, vpp, mbs;
  uint8_t recompute, zero, dtype;
  uint64_t index;   /* enumeration order: the tie-break that keeps sorting deterministic */
  double bound_s;   /* lower bound on the step time */
  double layer_s;   /* kernel seconds of one layer, one micro-batch (search_layer_s; 0 unknown) */
} search_cand;

/* What the lower bound needs, computed once per search (search_bound.c). */
typedef struct search_bound_data {
  /* FLOPs of one layer for one sequence, the cheapest layer kind, per recomputation mode, with
   * the part of the attention core that causal kernels skip taken out (so it stays a bound). */
  double layer_flops[3];
} search_bound_data;

typedef struct search_ctx {
  const model *m;
  const hw_system *sys;
  hw_chip rank_chip; /* the share of a chip one rank runs on (sim_rank_chip): what sim_run times */
  int64_t chips, ranks;
  const plan *fixed;
  search_options opt; /* resolved: top_k, threads, dtypes, max_cp, max_mbs filled in */
  search_bound_data bound;
} search_ctx;

/* search_layer_s of one (tp, cp, ep, mbs, recompute, dtype). */
typedef struct search_layer_time {
  int32_t tp, cp, ep, mbs;
  uint8_t recompute, dtype;
  double layer_s;
} search_layer_time;

typedef struct search_space {
  search_layer_time *layer_times;
  size_t n_layer_times, cap_layer_times;
  search_cand *cands; /* valid, fitting candidates, sorted by (bound_s, index) */
  size_t n, cap;
  search_stats counts; /* enumerated, invalid, over_memory, candidates */
  ts_err first_invalid; /* the first refusal (for the error when nothing is valid) */
  bool have_nofit;
  double least_overflow_bytes;
  ts_err nofit; /* the refusal of the plan closest to fitting */
} search_space;

/* The full plan of a candidate: the fixed plan's fields and set bits, the candidate's degrees,
 * and the defaults that follow from them (sp = tp > 1, schedule from vpp) unless fixed. */
void search_plan_build(const search_ctx *c, const search_cand *cand, plan *out);
/* Enumerates, checks and sizes the space; fills bound_s and sorts. */
ts_status search_space_enumerate(const search_ctx *c, search_space *s, ts_err *err);
void search_space_free(search_space *s);

ts_status search_bound_init(search_ctx *c, ts_err *err);
/* Kernel seconds of one layer (the cheapest), one micro-batch, one rank, from a one-stage,
 * one-micro-batch probe step; 0 when the probe cannot be generated. */
double search_layer_s(const search_ctx *c, const plan *p);
/* Seconds no simulation of plan p can beat: per stage its layers for every micro-batch plus the
 * pipeline's fill/drain around it, per layer the larger of layer_s and the FLOP bound. */
double search_bound(const search_ctx *c, const plan *p, double layer_s);
/* The schedule bound (search_sched.c): each class's program scheduled alone with the durations of
 * the prepared step (sim_cache_prepare of t), and on the way each class's compute picoseconds
 * (optimizer left out) for the trace bound; one per worker thread (it owns its scratch). */
typedef struct search_sched search_sched;
ts_status search_sched_new(const search_ctx *c, search_sched **out, ts_err *err);
void search_sched_free(search_sched *s);
ts_status search_sched_bound(search_sched *s, const trace *t, const sim_cache *prepared,
                             double *bound_s, ts_err *err);
/* Class -> compute picoseconds of the last search_sched_bound. */
const sim_ps *search_sched_compute(const search_sched *s);
/* The last search_sched_bound's schedule with the DP stream and the optimizer left out: a bound
 * on the step of every plan that differs from its plan only in the ZeRO stage (search_sched.c). */
double search_sched_nodp_s(const search_sched *s);

/* Kernel seconds, one micro-batch, one rank, of the compute outside the transformer layers, as
 * the replay times it: the embedding (first stage, forward and backward) and the head — final
 * norm, logits, loss (last stage). Like search_layer_s they depend only on (tp, cp, ep, mbs,
 * recompute, dtype); 0 when the probe cannot be generated. */
typedef struct search_edges {
  double first_s, last_s;
} search_edges;
search_edges search_edges_s(const search_ctx *c, const plan *p);
/* search_bound with the edges added before generating: per stage its layers and its edge ops for
 * every micro-batch, plus the fill/drain (which for stages after the first also runs the first
 * stage's embedding forward and backward). */
double search_bound_edges(const search_ctx *c, const plan *p, double layer_s, search_edges e);

/* The bound from the generated step: per class its compute as the replay times it (compute_ps,
 * from search_sched_bound), optimizer left out, plus the fill/drain of its stage. Valid for every
 * ZeRO stage of the plan. */
double search_bound_trace(const search_ctx *c, const plan *p, const trace *t,
                          const sim_ps *compute_ps, double layer_s);

/* Simulates the candidates of this part (index % parts == part) in bound order on the thread
 * pool, skipping those whose bound exceeds the K-th best; fills res->best, n and the per-part
 * stats. */
ts_status search_evaluate(const search_ctx *c, const search_space *s, search_result *res,
                          ts_err *err);

#endif
