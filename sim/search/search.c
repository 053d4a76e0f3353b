/* search_best: resolve the options, enumerate and bound the space (search_space.c,
 * search_bound.c), evaluate it on the thread pool (search_eval.c), and explain an empty result.
 * Also the merge of disjoint parts' results (MPI ranks), which keeps the same deterministic order. */
#include "sim/search/search.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/search/search_int.h"

void search_options_init(search_options *o) {
  memset(o, 0, sizeof *o);
  o->top_k = SEARCH_DEFAULT_TOP;
  o->dtypes = 1u << HW_BF16;
  o->sim.fidelity = SIM_FIDELITY_SYMMETRIC;
  o->sim.algo = COLL_ALGO_AUTO;
  o->parts = 1;
}

static double wall_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static ts_status resolve(const model *m, const hw_system *sys, int64_t chips, const plan *fixed,
                         const search_options *opt, search_ctx *c, ts_err *err) {
  memset(c, 0, sizeof *c);
  if (opt) c->opt = *opt;
  else search_options_init(&c->opt);
  if (c->opt.top_k < 1) c->opt.top_k = SEARCH_DEFAULT_TOP;
  if (c->opt.dtypes == 0) c->opt.dtypes = 1u << HW_BF16;
  if (c->opt.max_mbs < 1) c->opt.max_mbs = SEARCH_DEFAULT_MAX_MBS;
  if (c->opt.max_cp < 1) c->opt.max_cp = m->seq / 1024 > 1 ? (int32_t)(m->seq / 1024) : 1;
  if (c->opt.parts < 1) c->opt.parts = 1;
  if (c->opt.part < 0 || c->opt.part >= c->opt.parts)
    return ts_fail(err, TS_EUSAGE, "search: part %d of %d", c->opt.part, c->opt.parts);
  if (!(fixed->set & PLAN_SET_GBS))
    return ts_fail(err, TS_EUSAGE, "search: the global batch (gbs) must be given");
  if (chips < 1) return ts_fail(err, TS_EUSAGE, "search: %lld chips", (long long)chips);
  int64_t rpc = sys->chip.ranks_per_chip > 0 ? sys->chip.ranks_per_chip : 1;
  c->m = m, c->sys = sys, c->chips = chips, c->ranks = chips * rpc, c->fixed = fixed;
  sim_rank_chip(&sys->chip, &c->rank_chip);
  return search_bound_init(c, err);
}

/* Why nothing came out: no valid plan, none that fits, or every simulation refused. */
static ts_status explain_empty(const search_space *s, const search_result *r, ts_err *err) {
  if (s->counts.enumerated == 0)
    return ts_fail(err, TS_EINPUT,
                   "search: no combination of the free fields uses every rank with the fixed "
                   "fields (check tp*pp*dp*cp against the chips)");
  if (s->counts.candidates == 0 && s->have_nofit) {
    *err = s->nofit;
    ts_err_prefix(err, "search: none of the %llu valid plans fits in memory",
                  (unsigned long long)(s->counts.enumerated - s->counts.invalid));
    return TS_ENOFIT;
  }
  if (s->counts.candidates == 0) {
    *err = s->first_invalid;
    ts_err_prefix(err, "search: none of the %llu plans is valid; the first",
                  (unsigned long long)s->counts.enumerated);
    return TS_EINPUT;
  }
  if (r->stats.simulated == 0 && r->stats.failed > 0)
    return ts_fail(err, TS_ERUN, "search: the generator or simulator refused all %llu plans",
                   (unsigned long long)r->stats.failed);
  return TS_OK;
}

static uint32_t chosen_bits(const plan *fixed) {
  const uint32_t searched = PLAN_SET_TP | PLAN_SET_PP | PLAN_SET_DP | PLAN_SET_CP | PLAN_SET_EP |
                            PLAN_SET_VPP | PLAN_SET_MBS | PLAN_SET_RECOMPUTE | PLAN_SET_ZERO |
                            PLAN_SET_DTYPE; /* schedule and sp follow from vpp and tp */
  return searched & ~fixed->set;
}

ts_status search_best(const model *m, const hw_system *sys, int64_t chips, const plan *fixed,
                      const search_options *opt, search_result **out, ts_err *err) {
  *out = NULL;
  double t0 = wall_s();
  /* A stack that runs unfused attention (dgx-a100) keeps the s^2 scores: the plans say so, so
   * that the memory fit counts them (models/memory.c sees only the plan). */
  plan run_fixed = *fixed;
  if (sys->naive_attention && !(fixed->set & PLAN_SET_ATTENTION)) {
    run_fixed.naive_attention = true;
    run_fixed.set |= PLAN_SET_ATTENTION;
  }
  fixed = &run_fixed;
  search_ctx c;
  ts_status st = resolve(m, sys, chips, fixed, opt, &c, err);
  if (st) return st;
  search_result *r = calloc(1, sizeof *r);
  if (!r) return ts_fail(err, TS_ENOMEM, "search: out of memory");
  search_space s;
  st = search_space_enumerate(&c, &s, err);
  if (!st) st = search_evaluate(&c, &s, r, err);
  if (!st) {
    r->stats.enumerated = s.counts.enumerated;
    r->stats.invalid = s.counts.invalid;
    r->stats.over_memory = s.counts.over_memory;
    r->stats.candidates = s.counts.candidates;
    r->chosen = chosen_bits(fixed);
    /* Another part may hold the plans (MPI): only a whole search explains an empty result. */
    if (c.opt.parts == 1 || s.counts.candidates == 0) st = explain_empty(&s, r, err);
  }
  search_space_free(&s);
  if (st) {
    search_result_free(r);
    return st;
  }
  r->stats.seconds = wall_s() - t0;
  *out = r;
  return TS_OK;
}

void search_result_free(search_result *r) {
  if (!r) return;
  free(r->best);
  free(r);
}

static int compare_entries(const void *a, const void *b) {
  return search_entry_compare(a, b);
}

ts_status search_result_merge(const search_result *const *parts, int n, int32_t top_k,
                              search_result **out, ts_err *err) {
  *out = NULL;
  size_t total = 0;
  for (int i = 0; i < n; i++) total += (size_t)parts[i]->n;
  search_result *r = calloc(1, sizeof *r);
  search_entry *all = calloc(total ? total : 1, sizeof *all);
  if (!r || !all) {
    free(r);
    free(all);
    return ts_fail(err, TS_ENOMEM, "search: out of memory merging %zu plans", total);
  }
  size_t k = 0;
  for (int i = 0; i < n; i++) {
    memcpy(all + k, parts[i]->best, (size_t)parts[i]->n * sizeof *all);
    k += (size_t)parts[i]->n;
    if (i == 0) r->stats = parts[i]->stats, r->chosen = parts[i]->chosen;
    else {
      r->stats.bounded += parts[i]->stats.bounded;
      r->stats.bounded_trace += parts[i]->stats.bounded_trace;
      r->stats.simulated += parts[i]->stats.simulated;
      r->stats.reused += parts[i]->stats.reused;
      r->stats.failed += parts[i]->stats.failed;
      if (parts[i]->stats.seconds > r->stats.seconds) r->stats.seconds = parts[i]->stats.seconds;
    }
  }
  if (total > 1) qsort(all, total, sizeof *all, compare_entries);
  r->best = all;
  r->n = (int32_t)(total < (size_t)top_k ? total : (size_t)top_k);
  *out = r;
  return TS_OK;
}
