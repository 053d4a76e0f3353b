/* Deliveries drawn at random, the Monte Carlo of finish dates, and the shortfall crossover.
 * PRNG: xoshiro256** (Blackman & Vigna 2018) seeded through splitmix64, state in a context, so a
 * seed gives the same draws on every machine. A draw, period by period:
 *   planned q, probability p: the batch arrives on its period's first day with probability p,
 *     else it slips one period (the next period's day; past the last, one more period of the last
 *     period's length, 91 days for a single period) and is tried again with the same p — "sold
 *     out, allocated quarter to quarter". After CAPACITY_MAX_PERIODS slips it never arrives.
 *   low/expected/high: a triangular distribution with that mode, rounded to whole chips.
 * Planned deliveries (no randomness): every planned batch on time, ranges at their expected value.
 * The Monte Carlo runs `draws` draws and reports the mean and the P10/P90 (nearest rank) finish;
 * a draw that never finishes counts as infinitely late.
 * Both first make the planned peak (every planned quantity on time) the planner's reference count:
 * its one full search, the other counts rescaled from it (compare_grow.c).
 * Crossover: bisection (40 halvings) over the shortfall s in [0, 0.99] that scales every planned
 * quantity of the faster system by (1 - s), until its finish date reaches the slower one's. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/study/compare.h"

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

void capacity_rng_seed(capacity_rng *r, uint64_t seed) {
  for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

uint64_t capacity_rng_next(capacity_rng *r) {
  uint64_t *s = r->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

double capacity_rng_uniform(capacity_rng *r) {
  return (double)(capacity_rng_next(r) >> 11) * 0x1.0p-53;
}

/* ---- draws ------------------------------------------------------------------------------------ */
static double period_quantity(const capacity_period *p) {
  return p->kind == CAPACITY_PLANNED ? p->planned : p->expected;
}

void capacity_draw_planned(const capacity_system *cs, double shortfall, capacity_draw *out) {
  out->n = cs->n_periods;
  for (int i = 0; i < cs->n_periods; i++) {
    out->day[i] = cs->periods[i].day;
    out->chips[i] = floor(period_quantity(&cs->periods[i]) * (1 - shortfall) + 0.5);
  }
}

static double triangular(double a, double c, double b, double u) {
  if (b <= a) return a;
  double fc = (c - a) / (b - a);
  if (u < fc) return a + sqrt(u * (b - a) * (c - a));
  return b - sqrt((1 - u) * (b - a) * (b - c));
}

/* The day of the k-th period past period i (k may run past the schedule's end). */
static int64_t day_after(const capacity_system *cs, int i, int k) {
  int last = cs->n_periods - 1;
  if (i + k <= last) return cs->periods[i + k].day;
  int64_t len = last > 0 ? cs->periods[last].day - cs->periods[last - 1].day : 91;
  return cs->periods[last].day + (int64_t)(i + k - last) * len;
}

void capacity_draw_random(const capacity_system *cs, capacity_rng *rng, capacity_draw *out) {
  out->n = 0;
  for (int i = 0; i < cs->n_periods; i++) {
    const capacity_period *p = &cs->periods[i];
    double chips;
    int64_t day = p->day;
    if (p->kind == CAPACITY_RANGE) {
      chips = floor(triangular(p->low, p->expected, p->high, capacity_rng_uniform(rng)) + 0.5);
    } else {
      int k = 0;
      while (k < CAPACITY_MAX_PERIODS && !(capacity_rng_uniform(rng) < p->probability)) k++;
      if (k == CAPACITY_MAX_PERIODS) continue;
      chips = p->planned;
      day = day_after(cs, i, k);
    }
    /* keep the events in day order (insertion; slipped batches land later) */
    int j = out->n++;
    for (; j > 0 && out->day[j - 1] > day; j--) {
      out->day[j] = out->day[j - 1];
      out->chips[j] = out->chips[j - 1];
    }
    out->day[j] = day;
    out->chips[j] = chips;
  }
}

int64_t capacity_planned_peak(const hw_system *sys, const capacity_system *cs) {
  double total = 0;
  for (int i = 0; i < cs->n_periods; i++) total += period_quantity(&cs->periods[i]);
  return capacity_usable_chips(sys, total < 9e15 ? (int64_t)floor(total + 0.5) : 0);
}

/* The planner's one full search at the planned peak, whatever count the draws reach first, so
 * the plans (and the results) do not depend on the order of the calls. */
static ts_status set_reference(capacity_planner *p, const capacity_system *cs, ts_err *err) {
  return capacity_planner_reference(p, capacity_planned_peak(capacity_planner_system(p), cs), err);
}

/* ---- Monte Carlo ------------------------------------------------------------------------------ */
static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double nearest_rank(const double *sorted, int n, double q) {
  int k = (int)ceil(q * n) - 1;
  if (k < 0) k = 0;
  if (k >= n) k = n - 1;
  return sorted[k];
}

ts_status capacity_monte_carlo(capacity_planner *p, const capacity_system *cs, double tokens,
                               int draws, uint64_t seed, capacity_summary *out, ts_err *err) {
  memset(out, 0, sizeof *out);
  if (draws < 1 || draws > 10000000)
    return ts_fail(err, TS_EUSAGE, "capacity: %d draws: expected 1..10000000", draws);
  capacity_draw d;
  capacity_draw_planned(cs, 0, &d);
  ts_status st = set_reference(p, cs, err);
  if (!st) st = capacity_run_draw(p, cs, &d, tokens, &out->planned, err);
  double *finish = malloc((size_t)draws * sizeof *finish);
  if (!st && !finish) st = ts_fail(err, TS_ENOMEM, "capacity: out of memory");
  capacity_rng rng;
  capacity_rng_seed(&rng, seed);
  double sum = 0;
  for (int k = 0; !st && k < draws; k++) {
    capacity_outcome o;
    capacity_draw_random(cs, &rng, &d);
    st = capacity_run_draw(p, cs, &d, tokens, &o, err);
    if (st) break;
    finish[k] = o.finished ? o.finish_s : INFINITY;
    if (o.finished) sum += o.finish_s;
    else out->unfinished++;
    out->mean_chip_hours_used += o.chip_hours_used / draws;
    out->mean_chip_hours_idle += o.chip_hours_idle / draws;
    out->mean_cost_usd += o.cost_usd / draws;
  }
  if (!st) {
    out->draws = draws;
    qsort(finish, (size_t)draws, sizeof *finish, cmp_double);
    int done = draws - out->unfinished;
    out->mean_finish_s = done > 0 ? sum / done : INFINITY;
    out->p10_finish_s = nearest_rank(finish, draws, 0.10);
    out->p90_finish_s = nearest_rank(finish, draws, 0.90);
  }
  free(finish);
  return st;
}

/* ---- crossover -------------------------------------------------------------------------------- */
static ts_status planned_finish_abs(capacity_planner *p, const capacity_system *cs, double tokens,
                                    double shortfall, double *abs_s, ts_err *err) {
  capacity_draw d;
  capacity_outcome o;
  capacity_draw_planned(cs, shortfall, &d);
  ts_status st = capacity_run_draw(p, cs, &d, tokens, &o, err);
  *abs_s = o.finished ? (double)cs->start_day * 86400.0 + o.finish_s : INFINITY;
  return st;
}

ts_status capacity_crossover(capacity_planner *fast, const capacity_system *fast_cs,
                             capacity_planner *slow, const capacity_system *slow_cs,
                             double tokens, double *shortfall, bool *found, ts_err *err) {
  *found = false;
  *shortfall = 0;
  double target, f;
  ts_status st = set_reference(slow, slow_cs, err);
  if (!st) st = set_reference(fast, fast_cs, err);
  if (!st) st = planned_finish_abs(slow, slow_cs, tokens, 0, &target, err);
  if (!st) st = planned_finish_abs(fast, fast_cs, tokens, 0, &f, err);
  if (st) return st;
  if (f >= target) { /* the "faster" one does not win even as planned */
    *found = true;
    return TS_OK;
  }
  const double hi_limit = 0.99;
  if ((st = planned_finish_abs(fast, fast_cs, tokens, hi_limit, &f, err))) return st;
  if (f < target) return TS_OK;
  double lo = 0, hi = hi_limit;
  for (int k = 0; k < 40; k++) {
    double mid = (lo + hi) / 2;
    if ((st = planned_finish_abs(fast, fast_cs, tokens, mid, &f, err))) return st;
    if (f < target) lo = mid;
    else hi = mid;
  }
  *found = true;
  *shortfall = hi;
  return TS_OK;
}
