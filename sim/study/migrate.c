/* The migration study A -> B (issue 6, `trainsim migrate`): the best plan on A; that plan moved to
 * B unchanged except dp, which is re-derived to fill B's ranks (a plan that cannot be moved or
 * does not fit B's memory is a re-partitioning item, never an error); the best plan on B; the
 * speed left on the table (A's plan on B against B's best); the rework inventory and cost from
 * rework_compute with the op kinds of B's trace; and break-even: the rework's total USD over the
 * saving per training run (cost of the run on A - on B, each from time-to-train x price), and
 * that many back-to-back runs on B in months (30.44 days). Along the roadmap (migrate_roadmap):
 * the cumulative rework of following one track's generations against switching tracks in a year. */
#include "sim/study/studies.h"

#include <stdio.h>
#include <string.h>


enum { SECONDS_PER_MONTH = 2629746 }; /* 365.2425 / 12 days */

bool migrate_same_plan(const plan *pa, const hw_system *b, int64_t chips_b, plan *out, char *why,
                       size_t cap) {
  *out = *pa;
  int64_t rpc = b->chip.ranks_per_chip > 0 ? b->chip.ranks_per_chip : 1;
  int64_t ranks = chips_b * rpc, other = (int64_t)pa->tp * pa->pp * pa->cp;
  if (other < 1 || ranks % other != 0) {
    snprintf(why, cap, "tp*pp*cp = %lld does not divide %s's %lld ranks (%lld chips x %lld)",
             (long long)other, b->name, (long long)ranks, (long long)chips_b, (long long)rpc);
    return false;
  }
  int64_t dp = ranks / other;
  if (dp > INT32_MAX || pa->gbs % (dp * pa->mbs) != 0) {
    snprintf(why, cap, "dp = %lld on %s does not divide gbs %lld into micro-batches of %d",
             (long long)dp, b->name, (long long)pa->gbs, pa->mbs);
    return false;
  }
  out->dp = (int32_t)dp;
  return true;
}

static void break_even(migrate_result *r) {
  const ttt_result *a = &r->a_best.ttt, *b = &r->b_best.ttt;
  r->saving_usd_per_run = a->cost_usd - b->cost_usd;
  r->saving_s_per_run = a->wall_s - b->wall_s;
  r->runs_to_break_even = -1;
  r->months_to_break_even = -1;
  if (r->saving_usd_per_run > 0) {
    r->runs_to_break_even = r->rework.total_usd / r->saving_usd_per_run;
    r->months_to_break_even = r->runs_to_break_even * b->wall_s / SECONDS_PER_MONTH;
  }
}

ts_status migrate_compute(const rework_model *rm, const study_run_cfg *cfg, const hw_system *a,
                          int64_t chips_a, const hw_system *b, int64_t chips_b,
                          migrate_result *out, ts_err *err) {
  memset(out, 0, sizeof *out);
  ts_status st = study_run_best(cfg, a, chips_a, &out->a_best, err);
  if (st) return st;
  if (!out->a_best.ok)
    return ts_fail(err, out->a_best.status ? out->a_best.status : TS_ERUN, "%s: %s", a->name,
                   out->a_best.error);
  plan moved;
  char why[512];
  if (migrate_same_plan(&out->a_best.plan, b, chips_b, &moved, why, sizeof why)) {
    st = study_run_plan(cfg, b, chips_b, &moved, &out->b_same, err);
    if (st) return st;
  } else {
    out->b_same.chips = chips_b;
    out->b_same.status = TS_ENOFIT;
    snprintf(out->b_same.error, sizeof out->b_same.error, "%s", why);
  }
  out->fits_b = out->b_same.ok;
  st = study_run_best(cfg, b, chips_b, &out->b_best, err);
  if (st) return st;
  const plan *pb = out->b_best.ok ? &out->b_best.plan : NULL;
  if (out->b_same.ok && out->b_best.ok && out->b_best.report.step_s > 0)
    out->speed_left = out->b_same.report.step_s / out->b_best.report.step_s - 1;
  out->plan_diff = pb ? rework_plan_diff(&out->a_best.plan, pb) : 0;
  uint32_t kinds = out->b_best.ok ? out->b_best.op_kinds
                   : out->b_same.ok ? out->b_same.op_kinds
                                    : out->a_best.op_kinds;
  rework_input in = {.a = a, .b = b, .plan_a = &out->a_best.plan, .plan_b = pb,
                     .fits_b = out->fits_b, .op_kinds = kinds, .chips_b = chips_b};
  st = rework_compute(rm, &in, &out->rework, err);
  if (st) return st;
  if (out->b_best.ok) break_even(out);
  else out->runs_to_break_even = out->months_to_break_even = -1;
  return TS_OK;
}

/* ---- along the roadmap ----------------------------------------------------------------------- */
/* The op kinds of a dense transformer step (no all-to-all). */
static uint32_t dense_kinds(void) {
  uint32_t bits = 0;
  for (int k = 0; k < TRACE_OP_KIND_COUNT; k++) {
    trace_op_kind kind = (trace_op_kind)k;
    if (strcmp(trace_op_kind_name(kind), "all_to_all") != 0) bits |= 1u << k;
  }
  return bits;
}

typedef struct side {
  hw_system cur, next;
  bool have;
  double cum_weeks, cum_usd;
} side;

/* Moves s to next (its system for this year); adds the rework when the system changed. */
static ts_status step(const rework_model *rm, side *s, const plan *p, int64_t chips,
                      int *items, double *weeks, ts_err *err) {
  *items = 0;
  *weeks = 0;
  if (s->have && strcmp(s->cur.name, s->next.name) != 0) {
    rework_input in = {.a = &s->cur, .b = &s->next, .plan_a = p, .plan_b = NULL, .fits_b = true,
                       .op_kinds = dense_kinds(), .chips_b = chips};
    rework_result r;
    ts_status st = rework_compute(rm, &in, &r, err);
    if (st) return st;
    *items = r.n_items;
    *weeks = r.engineer_weeks;
    s->cum_weeks += r.engineer_weeks;
    s->cum_usd += r.total_usd;
  }
  s->cur = s->next;
  s->have = true;
  return TS_OK;
}

ts_status migrate_roadmap(const roadmap *road, const rework_model *rm, int from_track,
                          int to_track, int switch_year, int year_from, int year_to,
                          const plan *p, int64_t chips, migrate_roadmap_row *rows, int *n,
                          ts_err *err) {
  *n = 0;
  if (from_track < 0 || from_track >= road->n_tracks || to_track < 0 ||
      to_track >= road->n_tracks || from_track == to_track)
    return ts_fail(err, TS_EUSAGE, "migrate --roadmap: two different tracks are needed");
  if (year_to < year_from || year_to - year_from >= 200)
    return ts_fail(err, TS_EUSAGE, "migrate --roadmap: years %d-%d", year_from, year_to);
  side stay, sw;
  memset(&stay, 0, sizeof stay);
  memset(&sw, 0, sizeof sw);
  ts_status st = TS_OK;
  for (int y = year_from; y <= year_to && !st; y++) {
    migrate_roadmap_row *row = &rows[*n];
    memset(row, 0, sizeof *row);
    row->year = y;
    roadmap_pick pk;
    st = roadmap_system_for_year(road, from_track, y, &stay.next, &pk, err);
    if (st) break;
    row->stay_projected = pk.projected;
    int track = y >= switch_year ? to_track : from_track;
    st = roadmap_system_for_year(road, track, y, &sw.next, &pk, err);
    if (st) break;
    row->switch_projected = pk.projected;
    st = step(rm, &stay, p, chips, &row->stay_items, &row->stay_weeks, err);
    if (!st) st = step(rm, &sw, p, chips, &row->switch_items, &row->switch_weeks, err);
    snprintf(row->stay_system, sizeof row->stay_system, "%s", stay.cur.name);
    snprintf(row->switch_system, sizeof row->switch_system, "%s", sw.cur.name);
    row->stay_cum_weeks = stay.cum_weeks;
    row->switch_cum_weeks = sw.cum_weeks;
    row->stay_cum_usd = stay.cum_usd;
    row->switch_cum_usd = sw.cum_usd;
    (*n)++;
  }
  return st;
}
