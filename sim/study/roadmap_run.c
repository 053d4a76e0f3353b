/* The roadmap study: for each year and each track of the roadmap, the newest generation available
 * (listed, or projected by the track's fit: roadmap_available / roadmap_pick_system), sized by the
 * comparison basis (study_chips_for_basis), runs the reference training with its best plan
 * (study_run_best). A generation repeats for several years, so results are cached per (system
 * name, chips): the search runs once per distinct pair. Per year, the spread between tracks:
 * max/min - 1 of the time-to-train (marked when <= ttt_threshold: "within 20% of each other") and
 * of the model FLOPs per USD (marked when > dollar_threshold: "diverge by more than 50%"). */
#include "sim/study/studies.h"

#include <stdlib.h>
#include <string.h>


static ts_status check(const roadmap *rm, const roadmap_study_cfg *c, ts_err *err) {
  if (!rm || rm->n_tracks < 1) return ts_fail(err, TS_EINPUT, "roadmap: no tracks");
  if (c->year_from < 1990 || c->year_to > 2100 || c->year_to < c->year_from)
    return ts_fail(err, TS_EUSAGE, "roadmap: years %d-%d, expected 1990 <= from <= to <= 2100",
                   c->year_from, c->year_to);
  if (!(c->basis_value > 0))
    return ts_fail(err, TS_EUSAGE, "roadmap: %s basis %g, expected > 0",
                   study_basis_name(c->basis), c->basis_value);
  if (!(c->ttt_threshold >= 0) || !(c->dollar_threshold >= 0))
    return ts_fail(err, TS_EUSAGE, "roadmap: thresholds must be >= 0");
  return TS_OK;
}

/* An earlier row of the same system and chip count, or NULL. */
static const roadmap_row *cached(const roadmap_study *s, size_t upto, const char *name,
                                 int64_t chips) {
  for (size_t i = 0; i < upto; i++) {
    const roadmap_row *r = &s->rows[i];
    if (r->present && !r->cached && r->run.chips == chips && strcmp(r->system, name) == 0)
      return r;
  }
  return NULL;
}

static ts_status run_row(const roadmap *rm, const roadmap_study_cfg *c, roadmap_study *s,
                         size_t idx, const roadmap_pick *pick, ts_err *err) {
  roadmap_row *row = &s->rows[idx];
  hw_system *sys = malloc(sizeof *sys);
  if (!sys) return ts_fail(err, TS_ENOMEM, "roadmap: out of memory");
  ts_status st = roadmap_pick_system(rm, pick, sys, err);
  if (st) {
    free(sys);
    return st;
  }
  row->present = true;
  row->pick = *pick;
  const roadmap_track *t = &rm->tracks[pick->track];
  snprintf(row->gen_name, sizeof row->gen_name, "%s",
           pick->gen >= 0 ? t->gens[pick->gen].name : "projected");
  snprintf(row->system, sizeof row->system, "%s", sys->name);
  row->power_w = sys->chip.power_w + sys->host_overhead_w_per_chip;
  int64_t chips = study_chips_for_basis(sys, c->basis, c->basis_value, c->run.ttt.pue);
  const roadmap_row *prev = cached(s, idx, sys->name, chips);
  if (prev) {
    row->run = prev->run;
    row->cached = true;
  } else {
    st = study_run_best(&c->run, sys, chips, &row->run, err);
    if (chips > 0) s->searches++;
  }
  free(sys);
  return st;
}

static double spread(double lo, double hi) { return lo > 0 ? hi / lo - 1 : 0; }

static void mark_year(const roadmap_study_cfg *c, roadmap_study *s, int y) {
  double tlo = 0, thi = 0, dlo = 0, dhi = 0;
  int n = 0;
  for (int t = 0; t < s->n_tracks; t++) {
    const roadmap_row *r = roadmap_study_row(s, y, t);
    if (!r->present || !r->run.ok) continue;
    double w = r->run.ttt.wall_s, d = r->run.flops_per_usd;
    if (n == 0 || w < tlo) tlo = w;
    if (n == 0 || w > thi) thi = w;
    if (n == 0 || d < dlo) dlo = d;
    if (n == 0 || d > dhi) dhi = d;
    n++;
  }
  if (n < 2) return;
  s->ttt_spread[y] = spread(tlo, thi);
  s->dollar_spread[y] = spread(dlo, dhi);
  s->ttt_close[y] = s->ttt_spread[y] <= c->ttt_threshold;
  s->dollar_diverge[y] = s->dollar_spread[y] > c->dollar_threshold;
}

ts_status roadmap_study_run(const roadmap *rm, const roadmap_study_cfg *c, roadmap_study **out,
                            ts_err *err) {
  *out = NULL;
  ts_status st = check(rm, c, err);
  if (st) return st;
  roadmap_study *s = calloc(1, sizeof *s);
  if (!s) return ts_fail(err, TS_ENOMEM, "roadmap: out of memory");
  s->n_years = c->year_to - c->year_from + 1;
  s->n_tracks = rm->n_tracks;
  s->year_from = c->year_from;
  size_t ny = (size_t)s->n_years;
  s->rows = calloc(ny * (size_t)s->n_tracks, sizeof *s->rows);
  s->ttt_close = calloc(ny, sizeof *s->ttt_close);
  s->dollar_diverge = calloc(ny, sizeof *s->dollar_diverge);
  s->ttt_spread = calloc(ny, sizeof *s->ttt_spread);
  s->dollar_spread = calloc(ny, sizeof *s->dollar_spread);
  if (!s->rows || !s->ttt_close || !s->dollar_diverge || !s->ttt_spread || !s->dollar_spread) {
    roadmap_study_free(s);
    return ts_fail(err, TS_ENOMEM, "roadmap: out of memory");
  }
  for (int y = 0; y < s->n_years && !st; y++) {
    roadmap_pick picks[ROADMAP_MAX_TRACKS];
    int n = 0;
    st = roadmap_available(rm, c->year_from + y, picks, &n, err);
    for (int k = 0; k < n && !st; k++)
      st = run_row(rm, c, s, (size_t)y * (size_t)s->n_tracks + (size_t)picks[k].track, &picks[k],
                   err);
    if (!st) mark_year(c, s, y);
  }
  if (st) {
    roadmap_study_free(s);
    return st;
  }
  *out = s;
  return TS_OK;
}

void roadmap_study_free(roadmap_study *s) {
  if (!s) return;
  free(s->rows);
  free(s->ttt_close);
  free(s->dollar_diverge);
  free(s->ttt_spread);
  free(s->dollar_spread);
  free(s);
}
