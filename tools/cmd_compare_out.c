/* trainsim compare output: the table for people (one row per system, then the ratios to the
 * first system, then the capacity table and the crossover), JSON with stable SI keys, CSV (one
 * row per system), and the SVG bar chart (time-to-train and cost per system). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tools/cli.h"
#include "tools/cmd_compare.h"

static void short_plan(const plan *p, char *buf, size_t cap) {
  int n = snprintf(buf, cap, "tp%d pp%d cp%d dp%d", p->tp, p->pp, p->cp, p->dp);
  if (p->ep > 1) n += snprintf(buf + n, cap - (size_t)n, " ep%d", p->ep);
  if (p->vpp > 1) n += snprintf(buf + n, cap - (size_t)n, " v%d", p->vpp);
  n += snprintf(buf + n, cap - (size_t)n, " mbs%d z%d", p->mbs, p->zero);
  if (p->recompute != PLAN_RECOMP_NONE)
    snprintf(buf + n, cap - (size_t)n, " rc=%s", plan_recompute_name(p->recompute));
}

static void limit_text(const compare_row *r, char *buf, size_t cap) {
  int n = snprintf(buf, cap, "%s %.0f%%", compare_limit_name(r->limit), 100 * r->limit_share);
  if (r->memory_recompute)
    n += snprintf(buf + n, cap - (size_t)n, " +memory(recompute=%s)",
                  plan_recompute_name(r->plan.recompute));
  if (r->memory_tight && r->hbm_bytes_per_chip > 0)
    n += snprintf(buf + n, cap - (size_t)n, " +memory(HBM %.0f%%)",
                  100 * r->report.memory_bytes_per_chip / r->hbm_bytes_per_chip);
  if (r->chips < r->basis_chips)
    snprintf(buf + n, cap - (size_t)n, " +batch(%lld of %lld chips idle)",
             (long long)(r->basis_chips - r->chips), (long long)r->basis_chips);
}

static void basis_text(const compare_options *o, char *buf, size_t cap) {
  switch (o->basis) {
  case COMPARE_BASIS_POWER:
    snprintf(buf, cap, "equal power %.4g MW (PUE %.2g, host overhead included)", o->power_w / 1e6,
             o->ttt.pue);
    break;
  case COMPARE_BASIS_BUDGET:
    snprintf(buf, cap, "equal spend %.6g USD/h", o->budget_usd_per_h);
    break;
  case COMPARE_BASIS_CHIPS: snprintf(buf, cap, "equal chips %lld", (long long)o->chips); break;
  }
}

static void print_basis(const cmp_report *r) {
  char basis[128];
  basis_text(&r->opt, basis, sizeof basis);
  int64_t gbs = r->n > 0 ? r->rows[0].plan.gbs : 0;
  printf("compare %s: %s, %.4g tokens, global batch %lld x %lld = %.4g tokens on every system, "
         "best plan of each by search\n",
         r->model_name, basis, r->opt.tokens, (long long)gbs, (long long)r->seq,
         (double)gbs * (double)r->seq);
  printf("%-20s %7s %-30s %8s %10s %5s %7s %8s %6s %9s %9s %9s %8s  %s\n", "system", "chips",
         "plan", "step_s", "tokens/s", "MFU", "mem_GiB", "days", "goodput", "cost_M$", "MWh",
         "PFLOP/$", "GFLOP/J", "limit");
  for (int i = 0; i < r->n; i++) {
    const compare_row *w = &r->rows[i];
    char p[96], lim[224];
    short_plan(&w->plan, p, sizeof p);
    limit_text(w, lim, sizeof lim);
    printf("%-20s %7lld %-30s %8.4f %10.4g %5.3f %7.1f %8.2f %6.3f %9.4g %9.4g %9.4g %8.4g  %s%s\n",
           w->system, (long long)w->chips, p, w->report.step_s, w->report.tokens_per_s,
           w->report.mfu, w->report.memory_bytes_per_chip / 1073741824.0, w->ttt.wall_s / 86400,
           w->ttt.goodput, w->ttt.cost_usd / 1e6, w->ttt.energy_mwh, w->flops_per_usd / 1e15,
           w->flops_per_j / 1e9, lim, w->projected ? " (projected)" : "");
  }
  printf("ratio to %s:\n%-20s %8s %8s %8s %10s %8s %8s\n", r->rows[0].system, "system", "time",
         "cost", "energy", "tokens/s", "FLOP/$", "FLOP/J");
  for (int i = 0; i < r->n; i++) {
    const compare_row *w = &r->rows[i];
    printf("%-20s %8.3f %8.3f %8.3f %10.3f %8.3f %8.3f\n", w->system, w->ratio_time, w->ratio_cost,
           w->ratio_energy, w->ratio_tokens_per_s, w->ratio_flops_per_usd, w->ratio_flops_per_j);
  }
}

static void date_after(int64_t start_day, double s, char *buf, size_t cap) {
  if (!isfinite(s)) snprintf(buf, cap, "never");
  else capacity_format_date(start_day + (int64_t)floor(s / 86400), buf, cap);
}

static void print_capacity(const cmp_report *r) {
  printf("capacity %s: %d draws, seed %llu, resharding %.0f s per re-plan\n", r->cap->path,
         r->draws, r->seed, CAPACITY_RESHARD_S);
  printf("%-20s %-10s %-10s %-10s %-10s %-10s %5s %12s %12s %9s %6s %6s\n", "system", "start",
         "planned", "mean", "P10", "P90", "never", "chip_h_used", "chip_h_idle", "cost_M$",
         "chips", "plans");
  for (int i = 0; i < r->n; i++) {
    const cmp_capacity_out *o = &r->capout[i];
    const capacity_summary *s = &o->summary;
    int64_t d0 = o->entry->start_day;
    char start[16], plan_d[16], mean[16], p10[16], p90[16];
    capacity_format_date(d0, start, sizeof start);
    date_after(d0, s->planned.finished ? s->planned.finish_s : INFINITY, plan_d, sizeof plan_d);
    date_after(d0, s->mean_finish_s, mean, sizeof mean);
    date_after(d0, s->p10_finish_s, p10, sizeof p10);
    date_after(d0, s->p90_finish_s, p90, sizeof p90);
    printf("%-20s %-10s %-10s %-10s %-10s %-10s %5d %12.4g %12.4g %9.4g %6lld %6d\n",
           r->systems[i]->name, start, plan_d, mean, p10, p90, s->unfinished,
           s->mean_chip_hours_used, s->mean_chip_hours_idle, s->mean_cost_usd / 1e6,
           (long long)s->planned.max_chips, o->searches);
  }
  if (r->fast < 0 || r->slow < 0) {
    printf("crossover: needs two systems that finish\n");
    return;
  }
  const char *f = r->systems[r->fast]->name, *w = r->systems[r->slow]->name;
  if (!r->crossover_found)
    printf("crossover: %s finishes first as planned and still wins against %s with 99%% of its "
           "chips missing\n", f, w);
  else
    printf("crossover: %s finishes first as planned; it stops winning against %s when its "
           "deliveries fall short by %.1f%% of plan\n", f, w, 100 * r->crossover_shortfall);
}

void cmp_print_table(const cmp_report *r) {
  if (r->have_basis) print_basis(r);
  if (r->have_basis && r->cap) printf("\n");
  if (r->cap) print_capacity(r);
}

/* ---- JSON --------------------------------------------------------------------------------- */
static json_t *row_json(const compare_row *w) {
  json_t *j = json_pack(
      "{s:s,s:b,s:I,s:I,s:s,s:f,s:f,s:f,s:f,s:f,s:o}", "system", w->system, "projected",
      w->projected, "chips", (json_int_t)w->chips, "basis_chips", (json_int_t)w->basis_chips,
      "plan", w->plan_text, "step_s", w->report.step_s,
      "tokens_per_s", w->report.tokens_per_s, "mfu", w->report.mfu, "memory_bytes_per_chip",
      w->report.memory_bytes_per_chip, "hbm_bytes_per_chip", w->hbm_bytes_per_chip, "breakdown",
      sim_breakdown_json(&w->report.breakdown));
  json_t *run = json_pack("{s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f}", "wall_s",
                          w->ttt.wall_s, "ideal_s", w->ttt.ideal_s, "goodput", w->ttt.goodput,
                          "chip_hours", w->ttt.chip_hours, "cost_usd", w->ttt.cost_usd,
                          "power_w", w->ttt.power_w, "energy_j", w->ttt.energy_j, "energy_mwh",
                          w->ttt.energy_mwh, "model_flops", w->model_flops_run,
                          "model_flops_per_usd", w->flops_per_usd, "model_flops_per_j",
                          w->flops_per_j);
  json_t *lim = json_pack("{s:s,s:f,s:b,s:b}", "what", compare_limit_name(w->limit), "share",
                          w->limit_share, "memory_forced_recompute", w->memory_recompute,
                          "memory_tight", w->memory_tight);
  json_t *ratio = json_pack("{s:f,s:f,s:f,s:f,s:f,s:f}", "time", w->ratio_time, "cost",
                            w->ratio_cost, "energy", w->ratio_energy, "tokens_per_s",
                            w->ratio_tokens_per_s, "model_flops_per_usd", w->ratio_flops_per_usd,
                            "model_flops_per_j", w->ratio_flops_per_j);
  json_object_set_new(j, "run", run);
  json_object_set_new(j, "limit", lim);
  json_object_set_new(j, "ratio_to_first", ratio);
  return j;
}

static json_t *finish_json(double s) {
  return isfinite(s) ? json_real(s) : json_null();
}

static json_t *capacity_json(const cmp_report *r) {
  json_t *list = json_array();
  for (int i = 0; i < r->n; i++) {
    const capacity_summary *s = &r->capout[i].summary;
    char start[16];
    capacity_format_date(r->capout[i].entry->start_day, start, sizeof start);
    json_t *o = json_pack("{s:s,s:s,s:o,s:o,s:o,s:o,s:i,s:f,s:f,s:f,s:I,s:i}", "system",
                          r->systems[i]->name, "start", start, "planned_finish_s",
                          finish_json(s->planned.finished ? s->planned.finish_s : INFINITY),
                          "mean_finish_s", finish_json(s->mean_finish_s), "p10_finish_s",
                          finish_json(s->p10_finish_s), "p90_finish_s",
                          finish_json(s->p90_finish_s), "unfinished_draws", s->unfinished,
                          "chip_hours_used", s->mean_chip_hours_used, "chip_hours_idle",
                          s->mean_chip_hours_idle, "cost_usd", s->mean_cost_usd, "max_chips",
                          (json_int_t)s->planned.max_chips, "plans_searched",
                          r->capout[i].searches);
    json_array_append_new(list, o);
  }
  json_t *c = json_pack("{s:s,s:i,s:I,s:f,s:o}", "file", r->cap->path, "draws", r->draws, "seed",
                        (json_int_t)r->seed, "reshard_s", CAPACITY_RESHARD_S, "systems", list);
  if (r->fast >= 0 && r->slow >= 0)
    json_object_set_new(c, "crossover",
                        json_pack("{s:s,s:s,s:o}", "faster", r->systems[r->fast]->name, "slower",
                                  r->systems[r->slow]->name, "shortfall",
                                  r->crossover_found ? json_real(r->crossover_shortfall)
                                                     : json_null()));
  return c;
}

int cmp_print_json(const cmp_report *r) {
  json_t *j = json_pack("{s:s,s:s,s:f}", "model", r->model_name, "basis",
                        compare_basis_name(r->opt.basis), "tokens", r->opt.tokens);
  if (r->opt.basis == COMPARE_BASIS_POWER) json_object_set_new(j, "power_w", json_real(r->opt.power_w));
  if (r->opt.basis == COMPARE_BASIS_BUDGET)
    json_object_set_new(j, "budget_usd_per_h", json_real(r->opt.budget_usd_per_h));
  if (r->opt.basis == COMPARE_BASIS_CHIPS)
    json_object_set_new(j, "chips", json_integer((json_int_t)r->opt.chips));
  if (r->have_basis && r->n > 0) {
    json_object_set_new(j, "gbs", json_integer((json_int_t)r->rows[0].plan.gbs));
    json_object_set_new(j, "batch_tokens",
                        json_real((double)r->rows[0].plan.gbs * (double)r->seq));
  }
  if (r->have_basis) {
    json_t *rows = json_array();
    for (int i = 0; i < r->n; i++) json_array_append_new(rows, row_json(&r->rows[i]));
    json_object_set_new(j, "systems", rows);
  }
  if (r->cap) json_object_set_new(j, "capacity", capacity_json(r));
  return cli_print_json(j);
}

/* ---- CSV ---------------------------------------------------------------------------------- */
static void print_capacity_csv(const cmp_report *r) {
  printf("system,start,planned_finish_s,mean_finish_s,p10_finish_s,p90_finish_s,"
         "unfinished_draws,chip_hours_used,chip_hours_idle,cost_usd\n");
  for (int i = 0; i < r->n; i++) {
    const capacity_summary *s = &r->capout[i].summary;
    char start[16];
    capacity_format_date(r->capout[i].entry->start_day, start, sizeof start);
    printf("%s,%s,%.9g,%.9g,%.9g,%.9g,%d,%.9g,%.9g,%.9g\n", r->systems[i]->name, start,
           s->planned.finished ? s->planned.finish_s : INFINITY, s->mean_finish_s,
           s->p10_finish_s, s->p90_finish_s, s->unfinished, s->mean_chip_hours_used,
           s->mean_chip_hours_idle, s->mean_cost_usd);
  }
}

void cmp_print_csv(const cmp_report *r) {
  if (!r->have_basis) {
    print_capacity_csv(r);
    return;
  }
  printf("system,chips,basis_chips,plan,step_s,tokens_per_s,mfu,memory_bytes_per_chip,wall_s,"
         "goodput,cost_usd,energy_j,model_flops_per_usd,model_flops_per_j,limit,ratio_time,"
         "ratio_cost,ratio_energy,ratio_model_flops_per_usd,ratio_model_flops_per_j\n");
  for (int i = 0; i < r->n; i++) {
    const compare_row *w = &r->rows[i];
    printf("%s,%lld,%lld,\"%s\",%.9g,%.9g,%.6g,%.9g,%.9g,%.6g,%.9g,%.9g,%.6g,%.6g,%s,%.6g,%.6g,"
           "%.6g,%.6g,%.6g\n",
           w->system, (long long)w->chips, (long long)w->basis_chips, w->plan_text,
           w->report.step_s, w->report.tokens_per_s,
           w->report.mfu, w->report.memory_bytes_per_chip, w->ttt.wall_s, w->ttt.goodput,
           w->ttt.cost_usd, w->ttt.energy_j, w->flops_per_usd, w->flops_per_j,
           compare_limit_name(w->limit), w->ratio_time, w->ratio_cost, w->ratio_energy,
           w->ratio_flops_per_usd, w->ratio_flops_per_j);
  }
}

/* ---- SVG ---------------------------------------------------------------------------------- */
int cmp_write_svg(const cmp_report *r, const char *path) {
  svg_bars c;
  memset(&c, 0, sizeof c);
  char title[200];
  c.n_groups = r->n < SVG_BARS_MAX_GROUPS ? r->n : SVG_BARS_MAX_GROUPS;
  c.n_series = 2;
  if (r->have_basis) {
    char basis[128];
    basis_text(&r->opt, basis, sizeof basis);
    snprintf(title, sizeof title, "%s: time-to-train and cost, %s", r->model_name, basis);
    c.series[0] = "time-to-train (days)";
    c.series[1] = "cost (million USD)";
  } else {
    snprintf(title, sizeof title, "%s: expected finish and cost on the delivery schedule",
             r->model_name);
    c.series[0] = "mean days from start to finish";
    c.series[1] = "mean cost (million USD)";
  }
  c.title = title;
  for (int i = 0; i < c.n_groups; i++) {
    c.group[i] = r->systems[i]->name;
    c.dashed[i] = r->systems[i]->chip.projected;
    c.value[0][i] = r->have_basis ? r->rows[i].ttt.wall_s / 86400
                                  : r->capout[i].summary.mean_finish_s / 86400;
    c.value[1][i] = r->have_basis ? r->rows[i].ttt.cost_usd / 1e6
                                  : r->capout[i].summary.mean_cost_usd / 1e6;
  }
  ts_err err = {0};
  return svg_bars_write(&c, path, &err) == TS_OK ? 0 : cli_fail(&err);
}
