/* Capacity files (`compare --capacity FILE`): per system, when the run may start and the chips
 * delivered per period (quarter or month), each period either a planned quantity with the
 * probability that it arrives on time, or a low/expected/high range. Format (README "Capacity"):
 *
 *   capacity:
 *     - system: gb300-nvl72          # catalog name or path, as --systems names it
 *       start: 2026-01-01            # the run may start (YYYY-MM-DD, YYYY-MM or YYYY-Qn)
 *       deliveries:                  # in date order; chips arrive on the period's first day
 *         - {at: 2026-Q1, planned: 4608, probability: 0.6}
 *         - {at: 2026-Q2, low: 2304, expected: 4608, high: 4608}
 *         - {at: 2026-Q3, total: 13824}   # cumulative form: planned = total - delivered so far
 *
 * Every error names file:line: unknown or duplicate fields, a bad date, dates out of order, a
 * negative quantity, a probability outside [0, 1], a range with low > expected or expected > high,
 * a cumulative total that goes down (non-monotone schedule), a duplicate system, too many periods.
 * Dates are days since 1970-01-01 in the proleptic Gregorian calendar (Hinnant's
 * days_from_civil). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/base/ts_yaml.h"
#include "sim/study/compare.h"

int64_t capacity_days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void capacity_format_date(int64_t z, char *buf, size_t cap) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1;
  int64_t m = mp < 10 ? mp + 3 : mp - 9;
  snprintf(buf, cap, "%04lld-%02lld-%02lld", (long long)(y + (m <= 2)), (long long)m,
           (long long)d);
}

static bool leap(int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static bool digits(const char *s, int n) {
  for (int i = 0; i < n; i++)
    if (!isdigit((unsigned char)s[i])) return false;
  return true;
}

bool capacity_parse_date(const char *t, int64_t *day) {
  size_t n = strlen(t);
  if (n < 7 || !digits(t, 4) || t[4] != '-') return false;
  int64_t y = atoi(t);
  if (y < 1900 || y > 2200) return false;
  if (n == 7 && t[5] == 'Q' && t[6] >= '1' && t[6] <= '4') {
    *day = capacity_days_from_civil(y, 1 + 3 * (t[6] - '1'), 1);
    return true;
  }
  if (!digits(t + 5, 2)) return false;
  int m = atoi(t + 5), d = 1;
  if (m < 1 || m > 12) return false;
  if (n == 10 && t[7] == '-' && digits(t + 8, 2)) {
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    d = atoi(t + 8);
    if (d < 1 || d > mdays[m - 1] + (m == 2 && leap(y))) return false;
  } else if (n != 7) {
    return false;
  }
  *day = capacity_days_from_civil(y, m, d);
  return true;
}

static ts_status get_date(const ts_yaml *y, ts_ynode map, const char *key, int64_t *day,
                          ts_err *err) {
  char text[32];
  ts_status st = ts_yaml_req_str(y, map, key, text, sizeof text, err);
  if (st) return st;
  if (!capacity_parse_date(text, day))
    return ts_yaml_fail(y, ts_yaml_get(y, map, key), TS_EINPUT, err,
                        "field '%s': '%s' is not a date (YYYY-MM-DD, YYYY-MM or YYYY-Qn)", key,
                        text);
  return TS_OK;
}

static ts_status nonneg(const ts_yaml *y, ts_ynode map, const char *key, double v, ts_err *err) {
  if (v >= 0) return TS_OK;
  return ts_yaml_fail(y, ts_yaml_get(y, map, key), TS_EINPUT, err,
                      "field '%s': %g chips: a delivery cannot be negative", key, v);
}

/* The quantity of one period: planned (+ probability), low/expected/high, or a cumulative total. */
static ts_status parse_quantity(const ts_yaml *y, ts_ynode n, double *delivered,
                                capacity_period *p, ts_err *err) {
  bool has_planned = false, has_total = false, has_range = false, has_p = false;
  double total = 0;
  ts_status st = ts_yaml_opt_double(y, n, "planned", &p->planned, &has_planned, err);
  if (!st) st = ts_yaml_opt_double(y, n, "total", &total, &has_total, err);
  if (!st) st = ts_yaml_opt_double(y, n, "expected", &p->expected, &has_range, err);
  if (!st) st = ts_yaml_opt_double(y, n, "probability", &p->probability, &has_p, err);
  if (st) return st;
  if (has_planned + has_total + has_range != 1)
    return ts_yaml_fail(y, n, TS_EINPUT, err,
                        "delivery: give exactly one of 'planned', 'total' or "
                        "'low'/'expected'/'high'");
  if (has_range) {
    p->kind = CAPACITY_RANGE;
    st = ts_yaml_req_double(y, n, "low", &p->low, err);
    if (!st) st = ts_yaml_req_double(y, n, "high", &p->high, err);
    if (!st) st = nonneg(y, n, "low", p->low, err);
    if (st) return st;
    if (has_p)
      return ts_yaml_fail(y, n, TS_EINPUT, err, "delivery: 'probability' goes with 'planned'");
    if (p->low > p->expected || p->expected > p->high)
      return ts_yaml_fail(y, n, TS_EINPUT, err,
                          "delivery: range not monotone: expected low <= expected <= high, found "
                          "%g, %g, %g",
                          p->low, p->expected, p->high);
    *delivered += p->expected;
    return TS_OK;
  }
  p->kind = CAPACITY_PLANNED;
  if (has_total) {
    if (total < *delivered)
      return ts_yaml_fail(y, ts_yaml_get(y, n, "total"), TS_EINPUT, err,
                          "field 'total': non-monotone schedule: %g chips, below the %g "
                          "delivered before",
                          total, *delivered);
    p->planned = total - *delivered;
  } else if ((st = nonneg(y, n, "planned", p->planned, err))) {
    return st;
  }
  if (!has_p) p->probability = 1;
  if (!(p->probability >= 0 && p->probability <= 1))
    return ts_yaml_fail(y, ts_yaml_get(y, n, "probability"), TS_EINPUT, err,
                        "field 'probability': %g: expected 0..1", p->probability);
  *delivered += p->planned;
  return TS_OK;
}

static ts_status parse_period(const ts_yaml *y, ts_ynode n, const capacity_period *prev,
                              double *delivered, capacity_period *p, ts_err *err) {
  static const char *const keys[] = {"at",       "planned", "probability", "total",
                                     "expected", "low",     "high",        NULL};
  ts_status st = ts_yaml_check_keys(y, n, keys, "delivery", err);
  if (!st) st = get_date(y, n, "at", &p->day, err);
  if (st) return st;
  p->line = ts_yaml_line(y, n);
  if (prev && p->day <= prev->day) {
    char a[16], b[16];
    capacity_format_date(p->day, a, sizeof a);
    capacity_format_date(prev->day, b, sizeof b);
    return ts_yaml_fail(y, ts_yaml_get(y, n, "at"), TS_EINPUT, err,
                        "field 'at': dates out of order: %s is not after %s (line %d)", a, b,
                        prev->line);
  }
  return parse_quantity(y, n, delivered, p, err);
}

static ts_status parse_system(const ts_yaml *y, ts_ynode n, capacity_system *s, ts_err *err) {
  static const char *const keys[] = {"system", "start", "deliveries", NULL};
  ts_status st = ts_yaml_check_keys(y, n, keys, "capacity entry", err);
  if (!st) st = ts_yaml_req_str(y, n, "system", s->system, sizeof s->system, err);
  if (!st) st = get_date(y, n, "start", &s->start_day, err);
  if (st) return st;
  s->line = ts_yaml_line(y, n);
  ts_ynode list = ts_yaml_get(y, n, "deliveries");
  size_t len = ts_yaml_seq_len(y, list);
  if (!list || !ts_yaml_is_seq(y, list) || len == 0)
    return ts_yaml_fail(y, list ? list : n, TS_EINPUT, err,
                        "field 'deliveries': expected a non-empty list of periods");
  if (len > CAPACITY_MAX_PERIODS)
    return ts_yaml_fail(y, list, TS_EINPUT, err, "field 'deliveries': %zu periods, at most %d",
                        len, CAPACITY_MAX_PERIODS);
  double delivered = 0;
  for (size_t i = 0; i < len; i++) {
    capacity_period *p = &s->periods[s->n_periods];
    st = parse_period(y, ts_yaml_seq_item(y, list, i), i ? p - 1 : NULL, &delivered, p, err);
    if (st) return st;
    s->n_periods++;
  }
  return TS_OK;
}

static ts_status parse_file(capacity_file *c, const ts_yaml *y, ts_err *err) {
  static const char *const keys[] = {"capacity", NULL};
  ts_ynode root = ts_yaml_root(y);
  ts_status st = ts_yaml_check_keys(y, root, keys, "capacity file", err);
  if (st) return st;
  ts_ynode list = ts_yaml_get(y, root, "capacity");
  size_t len = ts_yaml_seq_len(y, list);
  if (!list || !ts_yaml_is_seq(y, list) || len == 0)
    return ts_yaml_fail(y, list ? list : root, TS_EINPUT, err,
                        "field 'capacity': expected a non-empty list of systems");
  if (len > CAPACITY_MAX_SYSTEMS)
    return ts_yaml_fail(y, list, TS_EINPUT, err, "field 'capacity': %zu systems, at most %d", len,
                        CAPACITY_MAX_SYSTEMS);
  for (size_t i = 0; i < len; i++) {
    ts_ynode n = ts_yaml_seq_item(y, list, i);
    capacity_system *s = &c->systems[c->n_systems];
    st = parse_system(y, n, s, err);
    if (st) return st;
    if (capacity_find(c, s->system))
      return ts_yaml_fail(y, n, TS_EINPUT, err, "system '%s' listed twice", s->system);
    c->n_systems++;
  }
  return TS_OK;
}

static ts_status load(const char *name, const char *text, const char *path, capacity_file **out,
                      ts_err *err) {
  *out = NULL;
  capacity_file *c = calloc(1, sizeof *c);
  if (!c) return ts_fail(err, TS_ENOMEM, "capacity: out of memory");
  snprintf(c->path, sizeof c->path, "%s", path ? path : name);
  ts_yaml *y = NULL;
  ts_status st = path ? ts_yaml_load_file(path, &y, err)
                      : ts_yaml_load_string(name, text, strlen(text), &y, err);
  if (!st) {
    st = parse_file(c, y, err);
    ts_yaml_free(y);
  }
  if (st) {
    free(c);
    return st;
  }
  *out = c;
  return TS_OK;
}

ts_status capacity_load(const char *path, capacity_file **out, ts_err *err) {
  return load(NULL, NULL, path, out, err);
}

ts_status capacity_load_string(const char *name, const char *text, capacity_file **out,
                               ts_err *err) {
  return load(name, text, NULL, out, err);
}

void capacity_free(capacity_file *c) {
  free(c);
}

const capacity_system *capacity_find(const capacity_file *c, const char *system) {
  for (int i = 0; i < c->n_systems; i++)
    if (strcmp(c->systems[i].system, system) == 0) return &c->systems[i];
  return NULL;
}
