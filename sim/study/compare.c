/* compare: systems head to head under one basis (issue 12).
 * Basis (what the buyer holds equal):
 *   power  chips = P / ((chip power_w + host_overhead_w_per_chip) x PUE), the datacenter contract
 *          (default 50 MW; PUE from the ttt options, 1.2);
 *   budget chips = B / price per chip-hour (equal hourly spend);
 *   chips  as given.
 * Power and budget round down to whole scale-up domains (a rack is bought whole).
 * For each system: search_best (top 1, the caller's options) under the same partial plan, then
 * ttt_compute for the token budget (goodput, cost, energy), model FLOPs of the run per USD and per
 * joule, and the ratios to the first system. One global batch for every system (compare_gbs,
 * default 2^24 tokens): each system trains on the largest chip count up to its basis that a plan
 * can use with that batch (compare_batch_chips, compare_batch.c); the chips left over are
 * reported, never used to inflate the batch. Time, cost and energy count the chips in the plan. */
#include "sim/study/compare.h"

#include <math.h>
#include <string.h>

const char *compare_basis_name(compare_basis b) {
  static const char *const names[] = {"power", "budget", "chips"};
  return (unsigned)b < 3 ? names[b] : "?";
}

void compare_options_init(compare_options *o) {
  memset(o, 0, sizeof *o);
  o->basis = COMPARE_BASIS_POWER;
  o->power_w = COMPARE_DEFAULT_POWER_W;
  o->tokens = COMPARE_DEFAULT_TOKENS;
  o->batch_tokens = COMPARE_DEFAULT_BATCH_TOKENS;
  search_options_init(&o->search);
  o->search.top_k = 1;
  o->search.threads = 2;
  o->search.dtypes = 1u << HW_BF16;
  ttt_options_init(&o->ttt);
}

static int64_t whole_domains(const hw_system *sys, double chips) {
  int64_t domain = sys->up.domain_chips > 0 ? sys->up.domain_chips : 1;
  if (!(chips >= 1) || chips > 9e15) return 0;
  int64_t n = (int64_t)floor(chips);
  return n / domain * domain;
}

int64_t compare_basis_chips(const hw_system *sys, const compare_options *o) {
  switch (o->basis) {
  case COMPARE_BASIS_POWER: {
    double pue = o->ttt.pue > 0 ? o->ttt.pue : 1.2;
    double per_chip_w = (sys->chip.power_w + sys->host_overhead_w_per_chip) * pue;
    return per_chip_w > 0 ? whole_domains(sys, o->power_w / per_chip_w) : 0;
  }
  case COMPARE_BASIS_BUDGET: {
    double price = o->ttt.price_usd_per_chip_h >= 0 ? o->ttt.price_usd_per_chip_h
                                                    : sys->chip.price_usd_per_chip_h;
    return price > 0 ? whole_domains(sys, o->budget_usd_per_h / price) : 0;
  }
  case COMPARE_BASIS_CHIPS: return o->chips > 0 ? o->chips : 0;
  }
  return 0;
}

static void fill_run(const model *m, const compare_options *o, compare_row *row) {
  double tokens_per_step = (double)row->plan.gbs * (double)m->seq;
  row->model_flops_run = row->report.model_flops / tokens_per_step * o->tokens;
  row->flops_per_usd = row->ttt.cost_usd > 0 ? row->model_flops_run / row->ttt.cost_usd : 0;
  row->flops_per_j = row->ttt.energy_j > 0 ? row->model_flops_run / row->ttt.energy_j : 0;
}

static ts_status no_batch_chips(const model *m, const hw_system *sys, int64_t chips,
                                const compare_options *o, ts_err *err) {
  int64_t gbs = compare_gbs(m, o);
  return ts_fail(err, TS_EINPUT,
                 "%s on %lld chips: no plan holds the global batch of %lld sequences (%.4g "
                 "tokens): dp x mbs must divide it and the layout must fit in memory; change "
                 "--gbs or the basis",
                 sys->name, (long long)chips, (long long)gbs, (double)gbs * (double)m->seq);
}

ts_status compare_system_shape(const model *m, const hw_system *sys, int64_t chips,
                               const compare_options *o, const plan *shape, compare_row *out,
                               ts_err *err) {
  memset(out, 0, sizeof *out);
  snprintf(out->system, sizeof out->system, "%s", sys->name);
  out->projected = sys->chip.projected;
  out->basis_chips = chips;
  compare_options so = *o;
  so.fixed = shape;
  plan fixed;
  if (shape) fixed = *shape;
  else plan_init(&fixed);
  fixed.gbs = compare_gbs(m, &so);
  fixed.set |= PLAN_SET_GBS;
  so.fixed = &fixed;
  int64_t used = compare_batch_chips(m, sys, chips, &so);
  if (used < 1) return no_batch_chips(m, sys, chips, &so, err);
  out->chips = used;
  search_result *res = NULL;
  ts_status st = search_best(m, sys, used, &fixed, &o->search, &res, err);
  if (st) {
    ts_err_prefix(err, "%s on %lld chips", sys->name, (long long)used);
    return st;
  }
  if (res->n < 1) {
    search_result_free(res);
    return ts_fail(err, TS_ERUN, "%s on %lld chips: the search returned no plan", sys->name,
                   (long long)used);
  }
  const search_entry *best = &res->best[0];
  out->plan = best->plan;
  snprintf(out->plan_text, sizeof out->plan_text, "%s", best->text);
  out->report = best->report;
  out->memory = best->memory;
  search_result_free(res);
  out->hbm_bytes_per_chip = sys->chip.hbm_bytes;
  ttt_input in;
  ttt_input_from_report(&out->report, m, &out->plan, m->seq, o->tokens, used, &in);
  st = ttt_compute(sys, &in, &o->ttt, &out->ttt, err);
  if (st) {
    ts_err_prefix(err, "%s on %lld chips", sys->name, (long long)used);
    return st;
  }
  out->power_budget_w = o->basis == COMPARE_BASIS_POWER ? o->power_w : out->ttt.power_w;
  fill_run(m, o, out);
  compare_classify(out, o->fixed);
  return TS_OK;
}

ts_status compare_system(const model *m, const hw_system *sys, int64_t chips,
                         const compare_options *o, compare_row *out, ts_err *err) {
  return compare_system_shape(m, sys, chips, o, o->fixed, out, err);
}

static double ratio(double x, double x0) {
  return x0 != 0 ? x / x0 : 0;
}

void compare_ratios(compare_row *rows, int n) {
  if (n < 1) return;
  const compare_row *r0 = &rows[0];
  for (int i = 0; i < n; i++) {
    compare_row *r = &rows[i];
    r->ratio_time = ratio(r->ttt.wall_s, r0->ttt.wall_s);
    r->ratio_cost = ratio(r->ttt.cost_usd, r0->ttt.cost_usd);
    r->ratio_energy = ratio(r->ttt.energy_j, r0->ttt.energy_j);
    r->ratio_flops_per_usd = ratio(r->flops_per_usd, r0->flops_per_usd);
    r->ratio_flops_per_j = ratio(r->flops_per_j, r0->flops_per_j);
    r->ratio_tokens_per_s = ratio(r->report.tokens_per_s, r0->report.tokens_per_s);
  }
}

ts_status compare_run(const model *m, const hw_system *const *systems, int n,
                      const compare_options *o, compare_row *rows, ts_err *err) {
  if (n < 1) return ts_fail(err, TS_EUSAGE, "compare: no systems");
  if (!(o->tokens > 0) || !isfinite(o->tokens))
    return ts_fail(err, TS_EUSAGE, "compare: tokens %g: expected a positive number", o->tokens);
  /* Every basis is checked before any search, so a bad basis fails fast. */
  for (int i = 0; i < n; i++)
    if (compare_basis_chips(systems[i], o) < 1)
      return ts_fail(err, TS_EINPUT,
                     "compare: the %s basis leaves system %s with zero chips (it buys whole "
                     "scale-up domains of %d chips)",
                     compare_basis_name(o->basis), systems[i]->name, systems[i]->up.domain_chips);
  /* ... and so is a batch that a system cannot hold on any chip count */
  for (int i = 0; i < n; i++) {
    int64_t chips = compare_basis_chips(systems[i], o);
    if (compare_batch_chips(m, systems[i], chips, o) < 1)
      return no_batch_chips(m, systems[i], chips, o, err);
  }
  for (int i = 0; i < n; i++) {
    ts_status st = compare_system(m, systems[i], compare_basis_chips(systems[i], o), o, &rows[i],
                                  err);
    if (st) return st;
  }
  compare_ratios(rows, n);
  return TS_OK;
}
