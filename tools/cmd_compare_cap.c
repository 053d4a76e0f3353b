/* trainsim compare --capacity: for each compared system, its entry in the capacity file, the run
 * on its planned deliveries and a Monte Carlo of random deliveries (sim/study/compare_mc.c), then
 * the crossover between the system that finishes first as planned and the runner-up. */
#include <math.h>
#include <string.h>

#include "tools/cli.h"
#include "tools/cmd_compare.h"

static const capacity_system *entry_for(const capacity_file *c, const hw_system *sys) {
  const capacity_system *e = capacity_find(c, sys->name);
  if (e) return e;
  for (int i = 0; i < c->n_systems; i++) { /* an entry naming a path to this system's file */
    const char *slash = strrchr(c->systems[i].system, '/');
    const char *base = slash ? slash + 1 : c->systems[i].system;
    size_t n = strlen(sys->name);
    if (strncmp(base, sys->name, n) == 0 && strcmp(base + n, ".yaml") == 0) return &c->systems[i];
  }
  return NULL;
}

static double planned_abs(const cmp_capacity_out *o) {
  const capacity_outcome *p = &o->summary.planned;
  return p->finished ? (double)p->start_day * 86400.0 + p->finish_s : INFINITY;
}

static void pick_pair(cmp_report *r) {
  r->fast = r->slow = -1;
  for (int i = 0; i < r->n; i++) {
    double t = planned_abs(&r->capout[i]);
    if (r->fast < 0 || t < planned_abs(&r->capout[r->fast])) r->slow = r->fast, r->fast = i;
    else if (r->slow < 0 || t < planned_abs(&r->capout[r->slow])) r->slow = i;
  }
  if (r->fast >= 0 && !isfinite(planned_abs(&r->capout[r->fast]))) r->fast = r->slow = -1;
}

static ts_status run_all(cmp_report *r, const model *m, capacity_planner **pl, ts_err *err) {
  compare_options o = r->opt;
  for (int i = 0; i < r->n; i++) {
    cmp_capacity_out *out = &r->capout[i];
    out->entry = entry_for(r->cap, r->systems[i]);
    if (!out->entry)
      return ts_fail(err, TS_EINPUT, "%s: no capacity entry for system %s", r->cap->path,
                     r->systems[i]->name);
    out->present = true;
    ts_status st = capacity_planner_new(m, r->systems[i], &o, &pl[i], err);
    if (!st)
      st = capacity_monte_carlo(pl[i], out->entry, o.tokens, r->draws, r->seed, &out->summary,
                                err);
    if (st) return st;
  }
  pick_pair(r);
  if (r->fast >= 0 && r->slow >= 0) {
    ts_status st = capacity_crossover(pl[r->fast], r->capout[r->fast].entry, pl[r->slow],
                                      r->capout[r->slow].entry, o.tokens,
                                      &r->crossover_shortfall, &r->crossover_found, err);
    if (st) return st;
  }
  for (int i = 0; i < r->n; i++) r->capout[i].searches = capacity_planner_searches(pl[i]);
  return TS_OK;
}

int cmp_run_capacity(cmp_report *r, const model *m) {
  capacity_planner *pl[CMP_MAX_SYSTEMS] = {0};
  ts_err err = {0};
  ts_status st = run_all(r, m, pl, &err);
  for (int i = 0; i < r->n; i++) capacity_planner_free(pl[i]);
  return st ? cli_fail(&err) : 0;
}
