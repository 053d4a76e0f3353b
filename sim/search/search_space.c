/* The search space: every value of every free plan field, the fixed fields held, then the checks
 * that refuse a plan before anything is simulated. Value rules (documented in the README):
 *   tp   divisors of the ranks, at most the ranks of one scale-up domain
 *   cp   divisors of ranks/tp, at most max_cp (default seq/1024)
 *   pp   divisors of ranks/(tp*cp), at most the layers (and PLAN_MAX_PP)
 *   dp   ranks/(tp*cp*pp), the quotient (so the plan uses every chip)
 *   ep   1 for dense models; MoE: divisors of gcd(experts, dp*cp)
 *   vpp  1 and, with pp > 1, the divisors of floor(layers/pp) and ceil(layers/pp) that leave no
 *        chunk empty (near-even chunks: what Megatron and NeMo configure)
 *   mbs  divisors of gbs/dp up to max_mbs (default 16)
 *   recompute none, selective, full; zero 0..3 (only the default 1 when dp*cp = 1: nothing to
 *   shard); dtype bf16 unless options.dtypes adds others the chip supports.
 * A plan is then refused by plan_check, by the generator's own rules (interleaving needs the
 * micro-batch count to be a multiple of pp; sequence parallelism needs mbs*seq/cp divisible by
 * tp), and by the memory fit (model_memory_per_rank against HBM per rank) unless allow_oom.
 * The rest get their lower bound and are sorted by (bound, enumeration index). */
#include <stdlib.h>
#include <string.h>

#include "hw/base/ts_math.h"
#include "sim/search/search_int.h"

enum { VALUES_MAX = PLAN_MAX_PP };

typedef struct values {
  int32_t n;
  int32_t v[VALUES_MAX];
} values;

static void add_value(values *vs, int64_t v) {
  for (int32_t i = 0; i < vs->n; i++)
    if (vs->v[i] == v) return;
  if (vs->n < VALUES_MAX) vs->v[vs->n++] = (int32_t)v;
}

/* Divisors of n up to limit, ascending. */
static void divisors(int64_t n, int64_t limit, values *out) {
  out->n = 0;
  if (limit > VALUES_MAX) limit = VALUES_MAX;
  for (int64_t d = 1; d <= limit && d <= n && out->n < VALUES_MAX; d++)
    if (n % d == 0) out->v[out->n++] = (int32_t)d;
}

static void single(int64_t v, values *out) {
  out->n = 1;
  out->v[0] = (int32_t)v;
}

static bool fixed(const search_ctx *c, uint32_t bit) {
  return (c->fixed->set & bit) != 0;
}

static int64_t domain_ranks(const search_ctx *c) {
  int64_t rpc = c->sys->chip.ranks_per_chip > 0 ? c->sys->chip.ranks_per_chip : 1;
  int64_t d = (int64_t)c->sys->up.domain_chips * rpc;
  return d > 0 ? d : rpc;
}

static void vpp_values(const search_ctx *c, int32_t pp, values *out) {
  const plan *f = c->fixed;
  if (fixed(c, PLAN_SET_VPP)) return single(f->vpp, out);
  out->n = 0;
  bool interleaved_only = fixed(c, PLAN_SET_SCHEDULE) && f->schedule == PLAN_SCHED_INTERLEAVED;
  bool no_interleave = fixed(c, PLAN_SET_SCHEDULE) && f->schedule != PLAN_SCHED_INTERLEAVED;
  if (!interleaved_only) add_value(out, 1);
  if (pp < 2 || no_interleave) return;
  int64_t per = c->m->layers / pp, per_up = (c->m->layers + pp - 1) / pp;
  if (f->n_stage_layers == pp) { /* an explicit split: chunks of the smallest stage */
    per = per_up = f->stage_layers[0];
    for (int32_t s = 1; s < pp; s++)
      if (f->stage_layers[s] < per) per = per_up = f->stage_layers[s];
  }
  values d;
  int64_t bases[2] = {per, per_up};
  for (int b = 0; b < 2; b++) {
    divisors(bases[b], bases[b], &d);
    for (int32_t i = 0; i < d.n; i++)
      if (d.v[i] > 1 && (int64_t)pp * d.v[i] <= c->m->layers && d.v[i] <= per)
        add_value(out, d.v[i]);
  }
  /* ascending, so the enumeration order is the natural one */
  for (int32_t i = 1; i < out->n; i++)
    for (int32_t j = i; j > 0 && out->v[j - 1] > out->v[j]; j--) {
      int32_t t = out->v[j];
      out->v[j] = out->v[j - 1];
      out->v[j - 1] = t;
    }
}

void search_plan_build(const search_ctx *c, const search_cand *k, plan *out) {
  *out = *c->fixed;
  out->tp = k->tp, out->pp = k->pp, out->dp = k->dp, out->cp = k->cp, out->ep = k->ep;
  out->vpp = k->vpp, out->mbs = k->mbs;
  out->recompute = (plan_recompute)k->recompute;
  out->zero = k->zero;
  out->dtype = (hw_dtype)k->dtype;
  if (!(out->set & PLAN_SET_SP)) out->sp = out->tp > 1;
  if (!(out->set & PLAN_SET_SCHEDULE))
    out->schedule = out->vpp > 1 ? PLAN_SCHED_INTERLEAVED : PLAN_SCHED_1F1B;
}

/* The generator's rules that plan_check leaves to it. */
static ts_status check_generator_rules(const plan *p, const model *m, ts_err *err) {
  int64_t micro = plan_micro_batches(p);
  if (p->vpp > 1 && micro % p->pp != 0)
    return ts_fail(err, TS_EINPUT,
                   "plan: the interleaved schedule needs the micro-batch count (%lld) to be a "
                   "multiple of pp=%d",
                   (long long)micro, p->pp);
  if (p->tp > 1 && p->sp && ((int64_t)p->mbs * m->seq / p->cp) % p->tp != 0)
    return ts_fail(err, TS_EINPUT, "plan: sequence parallelism needs mbs*seq/cp divisible by tp=%d",
                   p->tp);
  return TS_OK;
}

static ts_status push(search_space *s, const search_cand *k) {
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 1024;
    search_cand *n = realloc(s->cands, cap * sizeof *n);
    if (!n) return TS_ENOMEM;
    s->cands = n;
    s->cap = cap;
  }
  s->cands[s->n++] = *k;
  return TS_OK;
}

/* The per-layer kernel time of k's (tp, cp, ep, mbs, recompute, dtype), probed once. */
static ts_status layer_time(const search_ctx *c, search_space *s, const search_cand *k,
                            const plan *p, double *out, ts_err *err) {
  for (size_t i = 0; i < s->n_layer_times; i++) {
    const search_layer_time *l = &s->layer_times[i];
    if (l->tp == k->tp && l->cp == k->cp && l->ep == k->ep && l->mbs == k->mbs &&
        l->recompute == k->recompute && l->dtype == k->dtype) {
      *out = l->layer_s;
      return TS_OK;
    }
  }
  if (s->n_layer_times == s->cap_layer_times) {
    size_t cap = s->cap_layer_times ? 2 * s->cap_layer_times : 64;
    search_layer_time *n = realloc(s->layer_times, cap * sizeof *n);
    if (!n) return ts_fail(err, TS_ENOMEM, "search: out of memory for layer times");
    s->layer_times = n, s->cap_layer_times = cap;
  }
  *out = search_layer_s(c, p);
  s->layer_times[s->n_layer_times++] =
      (search_layer_time){k->tp, k->cp, k->ep, k->mbs, k->recompute, k->dtype, *out};
  return TS_OK;
}

/* One full combination: check, size, bound, keep. */
static ts_status consider(const search_ctx *c, search_space *s, search_cand *k, ts_err *err) {
  plan p;
  search_plan_build(c, k, &p);
  ts_err why = {0};
  k->index = s->counts.enumerated++;
  if (plan_check(&p, c->m, c->sys, c->chips, &why) || check_generator_rules(&p, c->m, &why)) {
    if (s->counts.invalid++ == 0) s->first_invalid = why;
    return TS_OK;
  }
  model_memory mem;
  if (model_memory_per_rank(c->m, &p, &mem, &why)) {
    if (s->counts.invalid++ == 0) s->first_invalid = why;
    return TS_OK;
  }
  if (!c->opt.allow_oom && model_memory_check(&mem, &c->sys->chip, &why)) {
    int rpc = c->sys->chip.ranks_per_chip > 0 ? c->sys->chip.ranks_per_chip : 1;
    double over = mem.total_bytes - c->sys->chip.hbm_bytes / rpc;
    if (!s->have_nofit || over < s->least_overflow_bytes) {
      s->have_nofit = true;
      s->least_overflow_bytes = over;
      char text[SEARCH_PLAN_TEXT_MAX];
      plan_format(&p, text, sizeof text);
      s->nofit = why;
      ts_err_prefix(&s->nofit, "closest plan %s", text);
    }
    s->counts.over_memory++;
    return TS_OK;
  }
  double layer_s = 0.0;
  ts_status st = layer_time(c, s, k, &p, &layer_s, err);
  if (st) return st;
  k->layer_s = layer_s;
  k->bound_s = search_bound(c, &p, layer_s);
  if (push(s, k)) return ts_fail(err, TS_ENOMEM, "search: out of memory listing candidates");
  s->counts.candidates++;
  return TS_OK;
}

/* The innermost fields for one (dtype, tp, cp, pp, dp). */
static ts_status inner(const search_ctx *c, search_space *s, search_cand *k, ts_err *err) {
  const plan *f = c->fixed;
  const model *m = c->m;
  values eps, vpps, mbss;
  if (fixed(c, PLAN_SET_EP))
    single(f->ep, &eps);
  else if (m->moe_experts == 0)
    single(1, &eps);
  else {
    int64_t g = ts_gcd64(m->moe_experts, (int64_t)k->dp * k->cp);
    divisors(g, g, &eps);
  }
  vpp_values(c, k->pp, &vpps);
  if (fixed(c, PLAN_SET_MBS))
    single(f->mbs, &mbss);
  else if (f->gbs % k->dp != 0)
    mbss.n = 0;
  else
    divisors(f->gbs / k->dp, c->opt.max_mbs, &mbss);
  int n_rc = fixed(c, PLAN_SET_RECOMPUTE) ? 1 : 3;
  bool shard = (int64_t)k->dp * k->cp > 1;
  int n_zero = fixed(c, PLAN_SET_ZERO) || !shard ? 1 : 4;
  for (int32_t e = 0; e < eps.n; e++)
    for (int32_t v = 0; v < vpps.n; v++)
      for (int32_t b = 0; b < mbss.n; b++)
        for (int r = 0; r < n_rc; r++)
          for (int z = 0; z < n_zero; z++) {
            k->ep = eps.v[e], k->vpp = vpps.v[v], k->mbs = mbss.v[b];
            k->recompute = (uint8_t)(n_rc == 1 ? (int)f->recompute : r);
            k->zero = (uint8_t)(fixed(c, PLAN_SET_ZERO) ? f->zero : shard ? z : 1);
            ts_status st = consider(c, s, k, err);
            if (st) return st;
          }
  return TS_OK;
}

/* pp and dp for one (dtype, tp, cp). */
static ts_status pipeline(const search_ctx *c, search_space *s, search_cand *k, ts_err *err) {
  const plan *f = c->fixed;
  int64_t rest = c->ranks / ((int64_t)k->tp * k->cp);
  bool all_fixed = fixed(c, PLAN_SET_TP) && fixed(c, PLAN_SET_CP) && fixed(c, PLAN_SET_PP) &&
                   fixed(c, PLAN_SET_DP);
  values pps;
  if (fixed(c, PLAN_SET_PP))
    single(f->pp, &pps);
  else
    divisors(rest, c->m->layers < PLAN_MAX_PP ? c->m->layers : PLAN_MAX_PP, &pps);
  for (int32_t i = 0; i < pps.n; i++) {
    k->pp = pps.v[i];
    if (all_fixed)
      k->dp = f->dp; /* plan_check explains a mismatch */
    else if (c->ranks % ((int64_t)k->tp * k->cp * k->pp) != 0)
      continue;
    else {
      int64_t dp = c->ranks / ((int64_t)k->tp * k->cp * k->pp);
      if (fixed(c, PLAN_SET_DP) && dp != f->dp) continue;
      if (dp > INT32_MAX) continue;
      k->dp = (int32_t)dp;
    }
    ts_status st = inner(c, s, k, err);
    if (st) return st;
  }
  return TS_OK;
}

static void dtype_values(const search_ctx *c, values *out) {
  if (fixed(c, PLAN_SET_DTYPE)) return single(c->fixed->dtype, out);
  out->n = 0;
  for (int d = 0; d < HW_DTYPE_COUNT; d++)
    if ((c->opt.dtypes & (1u << d)) && c->sys->chip.peak_flops[d] > 0) add_value(out, d);
  if (out->n == 0) single(HW_BF16, out); /* plan_check explains an unsupported bf16 */
}

static int compare_cands(const void *a, const void *b) {
  const search_cand *x = a, *y = b;
  if (x->bound_s != y->bound_s) return x->bound_s < y->bound_s ? -1 : 1;
  return x->index < y->index ? -1 : x->index > y->index;
}

ts_status search_space_enumerate(const search_ctx *c, search_space *s, ts_err *err) {
  memset(s, 0, sizeof *s);
  const plan *f = c->fixed;
  values dts, tps, cps;
  dtype_values(c, &dts);
  int64_t dom = domain_ranks(c);
  if (fixed(c, PLAN_SET_TP))
    single(f->tp, &tps);
  else
    divisors(c->ranks, dom < VALUES_MAX ? dom : VALUES_MAX, &tps);
  for (int32_t d = 0; d < dts.n; d++)
    for (int32_t t = 0; t < tps.n; t++) {
      search_cand k = {.dtype = (uint8_t)dts.v[d], .tp = tps.v[t]};
      if (fixed(c, PLAN_SET_CP))
        single(f->cp, &cps);
      else if (c->ranks % k.tp != 0)
        cps.n = 0;
      else
        divisors(c->ranks / k.tp, c->opt.max_cp, &cps);
      for (int32_t i = 0; i < cps.n; i++) {
        k.cp = cps.v[i];
        ts_status st = pipeline(c, s, &k, err);
        if (st) return st;
      }
    }
  if (s->n > 1) qsort(s->cands, s->n, sizeof *s->cands, compare_cands);
  return TS_OK;
}

void search_space_free(search_space *s) {
  free(s->layer_times);
  s->layer_times = NULL;
  free(s->cands);
  s->cands = NULL;
  s->n = s->cap = 0;
}
