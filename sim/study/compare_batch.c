/* The global batch of a comparison, and how many chips can train on it.
 *
 * One batch for every system: the comparison trains the same model with the same
 * hyperparameters, and the batch is one of them (it moves convergence). Its size in sequences:
 * a gbs fixed in the partial plan (--plan-fixed gbs=...), else compare_options.gbs (--gbs), else
 * batch_tokens / seq rounded to the nearest whole sequence (default 2^24 = 16,777,216 tokens, Llama
 * 3 405B's final batch of 16M tokens; at least one sequence).
 *
 * A plan uses every chip it is given (ranks = tp x cp x pp x dp) and its dp x mbs must divide the
 * batch, so not every chip count can train on a given batch. compare_batch_chips gives the
 * largest count, at most the basis's, for which some layout exists:
 *   dp       a divisor of gbs / mbs (mbs 1 unless fixed);
 *   tp       a divisor of the heads, at most one scale-up domain's ranks (the search's rule);
 *   cp       1 .. max_cp (seq / 1024 unless set), dividing seq (2 x cp for the causal split);
 *   tp x cp  at most 16 chips' ranks when both are free: one micro-batch split wider than that
 *            pays an all-gather or reduce-scatter per layer over more chips than a node pair
 *            (Llama 3 trained tp 8 x cp 1-2 at 8K tokens; assumption, documented);
 *   pp       1 .. layers when free, with the bubble (pp - 1) / (v x micro) at most 1/4, where
 *            micro = gbs / (dp x mbs) and v = layers / pp, the most virtual stages, when micro is
 *            a multiple of pp (the interleaved schedule's rule), else 1 (Narayanan et al. 2021:
 *            bubble (p - 1) / (v m));
 *   ranks    tp x cp x pp x dp, a whole number of chips;
 * and the layout passes plan_check and fits in HBM at its most frugal (full recomputation, ZeRO-3
 * when dp x cp > 1, unless those are fixed). Fields fixed in the partial plan are held. The
 * remaining chips are left out of the plan and reported, never used to inflate the batch. The
 * search then picks the best plan on that count (any layout of that count, not only these).
 * Without the two practical bounds the largest count is reached with absurd layouts (pp 42 with a
 * 64% bubble, tp x cp 128) that train slower than fewer chips. */
#include <math.h>
#include <stdlib.h>

#include "hw/base/ts_math.h"
#include "sim/study/compare.h"

int64_t compare_gbs(const model *m, const compare_options *o) {
  if (o->fixed && (o->fixed->set & PLAN_SET_GBS)) return o->fixed->gbs;
  if (o->gbs > 0) return o->gbs;
  double seqs = o->batch_tokens / (double)(m->seq > 0 ? m->seq : 1);
  if (!(seqs >= 1.5)) return 1;
  if (seqs > 1e12) return (int64_t)1e12;
  return (int64_t)llround(seqs);
}

typedef struct batch_ctx {
  const model *m;
  const hw_system *sys;
  plan base; /* the fixed fields, gbs set */
  int64_t gbs, ranks, rpc, domain_ranks, max_cp;
  int32_t mbs;
} batch_ctx;

static bool held(const batch_ctx *c, uint32_t bit) {
  return (c->base.set & bit) != 0;
}

/* Does (tp, cp, pp, dp) make a valid plan that fits on chips at its most frugal? */
static bool layout_fits(const batch_ctx *c, int32_t tp, int32_t cp, int32_t pp, int32_t dp,
                        int64_t chips) {
  plan p = c->base;
  p.tp = tp, p.cp = cp, p.pp = pp, p.dp = dp, p.mbs = c->mbs;
  if (!held(c, PLAN_SET_EP)) /* MoE: the widest expert split dp x cp allows, else 1 */
    p.ep = c->m->moe_experts > 0 ? (int32_t)ts_gcd64(c->m->moe_experts, (int64_t)dp * cp) : 1;
  if (!held(c, PLAN_SET_VPP)) p.vpp = 1;
  if (!held(c, PLAN_SET_SCHEDULE))
    p.schedule = p.vpp > 1 ? PLAN_SCHED_INTERLEAVED : PLAN_SCHED_1F1B;
  if (!held(c, PLAN_SET_SP)) p.sp = tp > 1;
  if (!held(c, PLAN_SET_RECOMPUTE)) p.recompute = PLAN_RECOMP_FULL;
  if (!held(c, PLAN_SET_ZERO)) p.zero = (int64_t)dp * cp > 1 ? 3 : 1;
  ts_err why = {0};
  model_memory mem;
  return plan_check(&p, c->m, c->sys, chips, &why) == TS_OK &&
         model_memory_per_rank(c->m, &p, &mem, &why) == TS_OK &&
         model_memory_check(&mem, &c->sys->chip, &why) == TS_OK;
}

/* Most virtual stages per pipeline stage of pp stages: layers / pp when interleaving is free and
 * allowed (the interleaved schedule needs the micro-batches to be a multiple of pp), else 1. */
static int64_t virtual_stages(const batch_ctx *c, int64_t pp, int64_t micro) {
  if (held(c, PLAN_SET_VPP)) return c->base.vpp;
  if (held(c, PLAN_SET_SCHEDULE) && c->base.schedule != PLAN_SCHED_INTERLEAVED) return 1;
  if (micro % pp != 0) return 1;
  int64_t v = c->m->layers / pp;
  return v > 1 ? v : 1;
}

/* The largest chip count for one (dp, tp, cp) over pp, above best; best when none. */
static int64_t best_pp(const batch_ctx *c, int32_t dp, int32_t tp, int32_t cp, int64_t best) {
  int64_t per = (int64_t)dp * tp * cp;
  bool free_pp = !held(c, PLAN_SET_PP) && c->base.n_stage_layers == 0;
  int64_t hi = free_pp ? c->ranks / per : c->base.pp, lo = free_pp ? 1 : c->base.pp;
  if (free_pp && hi > c->m->layers) hi = c->m->layers;
  if (free_pp && hi > PLAN_MAX_PP) hi = PLAN_MAX_PP;
  int64_t micro = c->gbs / ((int64_t)dp * c->mbs);
  for (int64_t pp = hi; pp >= lo; pp--) {
    int64_t ranks = per * pp;
    if (ranks > c->ranks || ranks % c->rpc != 0) continue;
    if (free_pp && 4 * (pp - 1) > virtual_stages(c, pp, micro) * micro) continue; /* bubble > 1/4 */
    int64_t chips = ranks / c->rpc;
    if (chips <= best) break; /* pp only goes down from here */
    if (layout_fits(c, tp, cp, (int32_t)pp, dp, chips)) return chips;
  }
  return best;
}

static int64_t best_for_dp(const batch_ctx *c, int32_t dp, int64_t best) {
  int64_t tp_hi = c->domain_ranks < c->m->heads ? c->domain_ranks : c->m->heads;
  for (int64_t tp = 1; tp <= tp_hi; tp++) {
    if (c->m->heads % tp != 0 || (held(c, PLAN_SET_TP) && tp != c->base.tp)) continue;
    for (int64_t cp = 1; cp <= c->max_cp; cp++) {
      if (held(c, PLAN_SET_CP) ? cp != c->base.cp : c->m->seq % cp != 0) continue;
      if ((int64_t)dp * tp * cp > c->ranks) break;
      bool free_split = !held(c, PLAN_SET_TP) && !held(c, PLAN_SET_CP);
      if (free_split && tp * cp > 16 * c->rpc) break;
      best = best_pp(c, dp, (int32_t)tp, (int32_t)cp, best);
    }
  }
  return best;
}

int64_t compare_batch_chips(const model *m, const hw_system *sys, int64_t chips,
                            const compare_options *o) {
  batch_ctx c = {.m = m, .sys = sys};
  if (o->fixed)
    c.base = *o->fixed;
  else
    plan_init(&c.base);
  c.gbs = compare_gbs(m, o);
  c.base.gbs = c.gbs;
  c.base.set |= PLAN_SET_GBS;
  c.rpc = sys->chip.ranks_per_chip > 0 ? sys->chip.ranks_per_chip : 1;
  c.ranks = chips > 0 && chips < ((int64_t)1 << 40) ? chips * c.rpc : 0;
  c.domain_ranks = (int64_t)(sys->up.domain_chips > 0 ? sys->up.domain_chips : 1) * c.rpc;
  c.max_cp = o->search.max_cp > 0 ? o->search.max_cp : m->seq / 1024;
  if (c.max_cp < 1) c.max_cp = 1;
  if (held(&c, PLAN_SET_CP) && c.base.cp > c.max_cp) c.max_cp = c.base.cp;
  c.mbs = held(&c, PLAN_SET_MBS) ? c.base.mbs : 1;
  if (c.ranks < 1 || c.mbs < 1 || c.gbs % c.mbs != 0) return 0;
  int64_t per_mbs = c.gbs / c.mbs, best = 0;
  /* every divisor dp of gbs / mbs up to the ranks, by trial division up to the square root */
  for (int64_t d = 1; d * d <= per_mbs; d++) {
    if (per_mbs % d != 0) continue;
    int64_t pair[2] = {d, per_mbs / d};
    for (int k = 0; k < (pair[0] == pair[1] ? 1 : 2); k++) {
      int64_t dp = pair[k];
      if (dp > c.ranks || dp > INT32_MAX || (held(&c, PLAN_SET_DP) && dp != c.base.dp)) continue;
      best = best_for_dp(&c, (int32_t)dp, best);
    }
  }
  return best;
}
