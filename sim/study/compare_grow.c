/* A training run on a cluster that grows as chips are delivered (`compare --capacity`).
 * The run starts on the start day with whatever has arrived (or when the first whole scale-up
 * domain arrives). It trains on the usable chips: whole domains, on a grid of 1..8 domains and
 * then four steps per doubling (8, 10, 12, 14, 16, 20, 24, 28, 32, ... domains), so that at most
 * a few dozen chip counts are ever planned and at most a fifth of the delivered chips wait idle.
 * On a usable count the plan holds the comparison's global batch (compare_system): it trains on
 * compare_batch_chips of that count, the rest wait idle too.
 * Plans per count (capacity_planner, cached per usable count): one full search, at the reference
 * count (the largest the planned schedule reaches; else the first count asked for); every other
 * count holds the reference plan's shape (tp, cp, pp, vpp, mbs, recomputation, ZeRO, dtype,
 * schedule) and rescales dp to the largest divisor of the batch that fits, which is one
 * simulation instead of a search; a count the shape cannot use (too few ranks, or it does not
 * fit in memory) gets its own full search. When arrivals
 * raise the usable count, the run goes on with its current plan until its next checkpoint
 * (expected wait: half the Daly interval of the current plan; none when failures are off), then
 * stops for CAPACITY_RESHARD_S = 1800 s (documented assumption: write the checkpoint, restart on
 * the new layout, reshard and reload the weights and optimizer state, warm up — the restart alone
 * is ttt's 600 s) and continues with the best plan for the new count. Progress between events is
 * tokens / wall_s of ttt_compute for that count, so a constant cluster reproduces the plain
 * time-to-train exactly, goodput included. Chip-hours: used = chips in the plan while it trains;
 * idle = delivered chips outside the plan, and all chips while resharding. Cost = (used + idle) x
 * price: delivered capacity is paid for whether it trains or not. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/study/compare.h"

typedef struct planner_entry {
  int64_t chips;
  compare_row row;
} planner_entry;

struct capacity_planner {
  model m;
  hw_system sys;
  plan fixed;
  compare_options opt;
  double price_usd_per_chip_h;
  int n, cap;
  planner_entry *entries;
  bool have_shape;
  plan shape;   /* the reference plan's layout, dp free */
  int searches; /* full searches */
};

ts_status capacity_planner_new(const model *m, const hw_system *sys, const compare_options *o,
                               capacity_planner **out, ts_err *err) {
  *out = NULL;
  capacity_planner *p = calloc(1, sizeof *p);
  if (!p) return ts_fail(err, TS_ENOMEM, "capacity: out of memory");
  p->m = *m;
  p->sys = *sys;
  p->opt = *o;
  if (o->fixed) {
    p->fixed = *o->fixed;
    p->opt.fixed = &p->fixed;
  }
  p->price_usd_per_chip_h = o->ttt.price_usd_per_chip_h >= 0 ? o->ttt.price_usd_per_chip_h
                                                             : sys->chip.price_usd_per_chip_h;
  *out = p;
  return TS_OK;
}

void capacity_planner_free(capacity_planner *p) {
  if (!p) return;
  free(p->entries);
  free(p);
}

int capacity_planner_searches(const capacity_planner *p) {
  return p->searches;
}

int capacity_planner_counts(const capacity_planner *p) {
  return p->n;
}

const hw_system *capacity_planner_system(const capacity_planner *p) {
  return &p->sys;
}

/* Every layout field of best held except dp (and ep unless the user fixed it: it must divide
 * dp x cp, so the search picks it again). */
static void set_shape(capacity_planner *p, const plan *best) {
  p->shape = *best;
  p->shape.set |= PLAN_SET_TP | PLAN_SET_CP | PLAN_SET_PP | PLAN_SET_VPP | PLAN_SET_MBS |
                  PLAN_SET_RECOMPUTE | PLAN_SET_ZERO | PLAN_SET_DTYPE | PLAN_SET_SCHEDULE |
                  PLAN_SET_SP | PLAN_SET_GBS;
  p->shape.set &= ~(uint32_t)PLAN_SET_DP;
  if (!p->opt.fixed || !(p->fixed.set & PLAN_SET_EP)) p->shape.set &= ~(uint32_t)PLAN_SET_EP;
  p->have_shape = true;
}

static ts_status plan_count(capacity_planner *p, int64_t chips, compare_row *row, ts_err *err) {
  if (p->have_shape) {
    ts_err shaped = {0};
    ts_status st = compare_system_shape(&p->m, &p->sys, chips, &p->opt, &p->shape, row, &shaped);
    if (st == TS_OK || st == TS_ENOMEM) {
      if (st) *err = shaped;
      return st;
    }
  }
  ts_status st = compare_system(&p->m, &p->sys, chips, &p->opt, row, err);
  if (st) return st;
  p->searches++;
  if (!p->have_shape) set_shape(p, &row->plan);
  return TS_OK;
}

int64_t capacity_usable_chips(const hw_system *sys, int64_t delivered) {
  int64_t domain = sys->up.domain_chips > 0 ? sys->up.domain_chips : 1;
  int64_t d = delivered / domain;
  if (d <= 8) return d * domain;
  int64_t top = 8;
  while (top * 2 <= d) top *= 2;
  int64_t step = top / 4;
  return d / step * step * domain;
}

ts_status capacity_planner_row(capacity_planner *p, int64_t chips, const compare_row **row,
                               ts_err *err) {
  for (int i = 0; i < p->n; i++)
    if (p->entries[i].chips == chips) {
      *row = &p->entries[i].row;
      return TS_OK;
    }
  if (p->n == p->cap) {
    int cap = p->cap ? 2 * p->cap : 8;
    planner_entry *e = realloc(p->entries, (size_t)cap * sizeof *e);
    if (!e) return ts_fail(err, TS_ENOMEM, "capacity: out of memory");
    p->entries = e;
    p->cap = cap;
  }
  planner_entry *e = &p->entries[p->n];
  e->chips = chips;
  ts_status st = plan_count(p, chips, &e->row, err);
  if (st) return st;
  p->n++;
  *row = &e->row;
  return TS_OK;
}

ts_status capacity_planner_reference(capacity_planner *p, int64_t chips, ts_err *err) {
  if (p->have_shape || chips < 1) return TS_OK;
  const compare_row *row;
  return capacity_planner_row(p, chips, &row, err);
}

/* ---- the event loop ------------------------------------------------------------------------- */
typedef struct grow_state {
  double t;            /* seconds since the start day */
  double done;         /* tokens trained */
  double delivered;    /* chips on site */
  int64_t chips;       /* usable chips the current plan was made for (0: not started) */
  int64_t used;        /* chips in the current plan (compare_batch_chips of chips) */
  double rate;         /* tokens per second of the current plan, goodput included */
  double half_interval_s;
  double switch_at, pause_end; /* INFINITY when none */
} grow_state;

static ts_status set_plan(capacity_planner *p, grow_state *g, int64_t chips, double tokens,
                          ts_err *err) {
  const compare_row *row;
  ts_status st = capacity_planner_row(p, chips, &row, err);
  if (st) return st;
  g->chips = chips;
  g->used = row->chips;
  g->rate = row->ttt.wall_s > 0 ? p->opt.tokens / row->ttt.wall_s : 0;
  g->half_interval_s = row->ttt.checkpoint_interval_s / 2;
  (void)tokens;
  return TS_OK;
}

/* Advances to time t_next; returns true when the budget is reached on the way (out->finish_s). */
static bool advance(grow_state *g, double t_next, double tokens, capacity_outcome *out) {
  double dt = t_next - g->t;
  bool paused = g->pause_end < INFINITY;
  bool training = g->chips > 0 && !paused && g->rate > 0;
  double t_done = training ? g->t + (tokens - g->done) / g->rate : INFINITY;
  if (t_done <= t_next) { /* the same expression as the final stretch: no rounding gap */
    t_next = t_done;
    dt = t_next - g->t;
    out->finished = true;
    out->finish_s = t_next;
  }
  double used = training ? (double)g->used : 0;
  out->chip_hours_used += used * dt / 3600;
  out->chip_hours_idle += (g->delivered - used) * dt / 3600;
  if (training) g->done += g->rate * dt;
  g->t = t_next;
  return out->finished;
}

static ts_status on_arrival(capacity_planner *p, grow_state *g, double chips, double tokens,
                            ts_err *err) {
  g->delivered += chips;
  int64_t usable = capacity_usable_chips(&p->sys, (int64_t)g->delivered);
  if (g->chips == 0 && usable > 0) return set_plan(p, g, usable, tokens, err);
  if (usable > g->chips && g->switch_at == INFINITY && g->pause_end == INFINITY)
    g->switch_at = g->t + g->half_interval_s;
  return TS_OK;
}

/* At the checkpoint: re-plan when the new count's plan trains on more chips (a count whose
 * plan holds the batch on no more chips than now is not worth the resharding pause). */
static ts_status on_switch(capacity_planner *p, grow_state *g, double tokens,
                           capacity_outcome *out, ts_err *err) {
  g->switch_at = INFINITY;
  int64_t usable = capacity_usable_chips(&p->sys, (int64_t)g->delivered);
  const compare_row *row;
  ts_status st = capacity_planner_row(p, usable, &row, err);
  if (st) return st;
  if (row->chips <= g->used) {
    g->chips = usable;
    return TS_OK;
  }
  g->pause_end = g->t + CAPACITY_RESHARD_S;
  out->replans++;
  return set_plan(p, g, usable, tokens, err);
}

static void on_pause_end(capacity_planner *p, grow_state *g) {
  g->pause_end = INFINITY;
  if (capacity_usable_chips(&p->sys, (int64_t)g->delivered) > g->chips)
    g->switch_at = g->t + g->half_interval_s;
}

ts_status capacity_run_draw(capacity_planner *p, const capacity_system *cs,
                            const capacity_draw *d, double tokens, capacity_outcome *out,
                            ts_err *err) {
  memset(out, 0, sizeof *out);
  out->start_day = cs->start_day;
  grow_state g = {.switch_at = INFINITY, .pause_end = INFINITY};
  int i = 0;
  double arrivals = 0;
  for (; i < d->n && d->day[i] <= cs->start_day; i++) arrivals += d->chips[i];
  ts_status st = arrivals > 0 ? on_arrival(p, &g, arrivals, tokens, err) : TS_OK;
  while (!st) {
    double t_arr = i < d->n ? (double)(d->day[i] - cs->start_day) * 86400.0 : INFINITY;
    double t_next = fmin(t_arr, fmin(g.switch_at, g.pause_end));
    if (t_next == INFINITY) {
      if (g.chips > 0 && g.rate > 0) advance(&g, g.t + (tokens - g.done) / g.rate, tokens, out);
      break;
    }
    if (advance(&g, t_next, tokens, out)) break;
    if (t_next == g.pause_end) on_pause_end(p, &g);
    else if (t_next == g.switch_at) st = on_switch(p, &g, tokens, out, err);
    else st = on_arrival(p, &g, d->chips[i++], tokens, err);
    if (g.used > out->max_chips) out->max_chips = g.used;
  }
  if (st) return st;
  if (g.used > out->max_chips) out->max_chips = g.used;
  out->cost_usd = (out->chip_hours_used + out->chip_hours_idle) * p->price_usd_per_chip_h;
  return TS_OK;
}
