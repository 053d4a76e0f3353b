/* One reference training run on a system, the unit every study repeats: the cluster size for a
 * comparison basis (equal power, equal hourly spend, equal chips), the best plan by search_best in
 * a reduced space, or a given plan, then one simulated step and ttt_compute for the token budget.
 * Capability per dollar and per joule = model FLOPs of the whole run (Megatron's count, per token
 * x tokens) over its cost and its energy at the wall. */
#include "sim/study/studies.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "models/gen.h"

const char *study_basis_name(study_basis b) {
  static const char *const NAMES[] = {"power", "budget", "chips"};
  return (unsigned)b < 3 ? NAMES[b] : "?";
}

/* Largest 2^a or 3 x 2^a not above n (n >= 1). */
static int64_t smooth_floor(int64_t n) {
  int64_t p = 1;
  while (p * 2 <= n) p *= 2;
  return (p / 2) * 3 <= n && p >= 2 ? (p / 2) * 3 : p;
}

int64_t study_chips_for_basis(const hw_system *sys, study_basis basis, double value, double pue) {
  int64_t domain = sys->up.domain_chips > 0 ? sys->up.domain_chips : 1;
  double chips = 0;
  if (basis == STUDY_BASIS_CHIPS) {
    int64_t n = (int64_t)value;
    if (n < domain) return n > 0 ? n : 0;
    return n / domain * domain;
  }
  if (basis == STUDY_BASIS_POWER) {
    double w = (sys->chip.power_w + sys->host_overhead_w_per_chip) * (pue > 0 ? pue : 1);
    chips = w > 0 ? value / w : 0;
  } else {
    chips = sys->chip.price_usd_per_chip_h > 0 ? value / sys->chip.price_usd_per_chip_h : 0;
  }
  if (!(chips >= 1) || chips > 1e12) return 0;
  int64_t domains = (int64_t)floor(chips / (double)domain);
  if (domains < 1) return 0;
  return smooth_floor(domains) * domain;
}

void study_run_cfg_init(study_run_cfg *c, const model *m) {
  memset(c, 0, sizeof *c);
  c->m = m;
  c->fixed = STUDY_FIXED_DEFAULT;
  search_options_init(&c->search);
  c->search.top_k = 1;
  c->search.threads = 2;
  ttt_options_init(&c->ttt);
}

static void run_fail(study_run *out, const ts_err *e) {
  out->ok = false;
  out->status = e->code;
  snprintf(out->error, sizeof out->error, "%s", e->msg);
}

static uint32_t trace_kinds(const trace *t) {
  uint32_t bits = 0;
  for (uint32_t c = 0; c < t->n_classes; c++)
    for (uint32_t i = 0; i < t->classes[c].n_ops; i++) bits |= 1u << t->classes[c].ops[i].kind;
  return bits;
}

/* Time-to-train and the capability figures from a filled report and plan. */
static void finish(const study_run_cfg *cfg, const hw_system *sys, study_run *out) {
  ttt_input in;
  ttt_input_from_report(&out->report, cfg->m, &out->plan, cfg->m->seq, cfg->tokens, out->chips,
                        &in);
  ts_err e = {0};
  if (ttt_compute(sys, &in, &cfg->ttt, &out->ttt, &e) != TS_OK) {
    run_fail(out, &e);
    return;
  }
  out->model_flops = model_flops_per_token(cfg->m, cfg->m->seq) * cfg->tokens;
  out->flops_per_usd = out->ttt.cost_usd > 0 ? out->model_flops / out->ttt.cost_usd : 0;
  out->flops_per_j = out->ttt.energy_j > 0 ? out->model_flops / out->ttt.energy_j : 0;
  out->ok = true;
}

/* gen_step + sim_run of p; fills report, memory and op kinds; false (and out's error) on failure. */
static bool simulate(const study_run_cfg *cfg, const hw_system *sys, const plan *p,
                     study_run *out) {
  ts_err e = {0};
  trace *t = NULL;
  sim_result *res = NULL;
  if (gen_step(cfg->m, p, sys, out->chips, NULL, &t, &e) != TS_OK ||
      sim_run(t, sys, &cfg->search.sim, &res, &e) != TS_OK) {
    trace_free(t);
    run_fail(out, &e);
    return false;
  }
  out->report = *sim_result_report(res);
  out->op_kinds = trace_kinds(t);
  sim_result_free(res);
  trace_free(t);
  return true;
}

static ts_status check_cfg(const study_run_cfg *cfg, int64_t chips, ts_err *err) {
  if (!cfg || !cfg->m) return ts_fail(err, TS_EINPUT, "study: no model");
  if (cfg->gbs < 1) return ts_fail(err, TS_EINPUT, "study: gbs %lld, expected >= 1",
                                   (long long)cfg->gbs);
  if (!(cfg->tokens > 0)) return ts_fail(err, TS_EINPUT, "study: tokens %g, expected > 0",
                                         cfg->tokens);
  if (chips < 0) return ts_fail(err, TS_EINPUT, "study: chips %lld", (long long)chips);
  return TS_OK;
}

ts_status study_run_best(const study_run_cfg *cfg, const hw_system *sys, int64_t chips,
                         study_run *out, ts_err *err) {
  ts_status st = check_cfg(cfg, chips, err);
  if (st) return st;
  memset(out, 0, sizeof *out);
  out->chips = chips;
  ts_err e = {0};
  if (chips < 1) {
    ts_fail(&e, TS_ENOFIT, "%s: the basis buys no whole scale-up domain", sys->name);
    run_fail(out, &e);
    return TS_OK;
  }
  char spec[512];
  snprintf(spec, sizeof spec, "gbs=%lld%s%s", (long long)cfg->gbs,
           cfg->fixed && *cfg->fixed ? "," : "", cfg->fixed ? cfg->fixed : "");
  plan fixed;
  st = plan_parse(spec, &fixed, err);
  if (st) return st;
  search_result *r = NULL;
  st = search_best(cfg->m, sys, chips, &fixed, &cfg->search, &r, &e);
  if (st == TS_ENOFIT && (fixed.set & PLAN_SET_RECOMPUTE)) {
    /* the reference recipe does not fit: let the search pick the recomputation too */
    fixed.set &= ~(uint32_t)PLAN_SET_RECOMPUTE;
    st = search_best(cfg->m, sys, chips, &fixed, &cfg->search, &r, &e);
  }
  if (st == TS_OK && r->n < 1) st = ts_fail(&e, TS_ENOFIT, "%s: no plan found", sys->name);
  if (st != TS_OK) {
    search_result_free(r);
    if (st == TS_ENOMEM) return ts_fail(err, st, "%s", e.msg);
    run_fail(out, &e);
    return TS_OK;
  }
  out->plan = r->best[0].plan;
  snprintf(out->plan_text, sizeof out->plan_text, "%s", r->best[0].text);
  out->memory = r->best[0].memory;
  search_result_free(r);
  /* the search keeps no trace: one more step gives the op kinds and the report */
  if (simulate(cfg, sys, &out->plan, out)) finish(cfg, sys, out);
  return TS_OK;
}

ts_status study_run_plan(const study_run_cfg *cfg, const hw_system *sys, int64_t chips,
                         const plan *p, study_run *out, ts_err *err) {
  ts_status st = check_cfg(cfg, chips, err);
  if (st) return st;
  memset(out, 0, sizeof *out);
  out->chips = chips;
  out->plan = *p;
  plan_format(p, out->plan_text, sizeof out->plan_text);
  ts_err e = {0};
  if (plan_check(p, cfg->m, sys, chips, &e) != TS_OK ||
      model_memory_per_rank(cfg->m, p, &out->memory, &e) != TS_OK ||
      model_memory_check(&out->memory, &sys->chip, &e) != TS_OK) {
    run_fail(out, &e);
    return TS_OK;
  }
  if (simulate(cfg, sys, p, out)) finish(cfg, sys, out);
  return TS_OK;
}
