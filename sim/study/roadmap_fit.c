/* Fitting a roadmap track: the cadence (mean years between the shipped generations) and, per
 * figure, the per-generation multiplier: the geometric mean of the successive ratios
 * x[i+1]/x[i] over the shipped generations, pairs where either figure is 0 (a data type the
 * older chip lacks) left out; 1 when no pair has both. With two generations the multiplier is
 * exactly their ratio. The user's overrides (`--cadence nvidia=1,trainium=2`,
 * `--growth nvidia.bf16=2,price=1.1`) replace fitted values and are marked as such. */
#include "sim/study/study.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/base/ts_io.h"

static const char *const GROWTH_NAMES[ROADMAP_G_COUNT] = {
    [ROADMAP_G_BF16] = "bf16",     [ROADMAP_G_FP8] = "fp8",    [ROADMAP_G_HBM_BPS] = "hbm_bw",
    [ROADMAP_G_HBM_BYTES] = "hbm", [ROADMAP_G_LINK] = "link",  [ROADMAP_G_NIC] = "nic",
    [ROADMAP_G_POWER] = "power",   [ROADMAP_G_PRICE] = "price"};

const char *roadmap_growth_name(roadmap_growth g) {
  return g < ROADMAP_G_COUNT ? GROWTH_NAMES[g] : "?";
}

/* The figure a multiplier is fitted on. */
static double figure(const hw_system *s, roadmap_growth g) {
  switch (g) {
    case ROADMAP_G_BF16:
      return s->chip.peak_flops[HW_BF16];
    case ROADMAP_G_FP8:
      return s->chip.peak_flops[HW_FP8];
    case ROADMAP_G_HBM_BPS:
      return s->chip.hbm_Bps;
    case ROADMAP_G_HBM_BYTES:
      return s->chip.hbm_bytes;
    case ROADMAP_G_LINK:
      return s->up.chip_Bps;
    case ROADMAP_G_NIC:
      return s->out.nic_Bps_per_chip;
    case ROADMAP_G_POWER:
      return s->chip.power_w;
    case ROADMAP_G_PRICE:
      return s->chip.price_usd_per_chip_h;
    case ROADMAP_G_COUNT:
      break;
  }
  return 0;
}

ts_status roadmap_fit_systems(const hw_system *const *systems, const int *years, int n,
                              roadmap_fit *out, ts_err *err) {
  memset(out, 0, sizeof *out);
  for (int g = 0; g < ROADMAP_G_COUNT; g++) out->growth[g] = 1;
  if (n < 0) return ts_fail(err, TS_EINPUT, "roadmap fit: %d generations", n);
  for (int i = 1; i < n; i++)
    if (years[i] < years[i - 1])
      return ts_fail(err, TS_EINPUT, "roadmap fit: year %d of '%s' is before %d of '%s'", years[i],
                     systems[i]->name, years[i - 1], systems[i - 1]->name);
  out->n_fitted = n;
  if (n < 2) return TS_OK;
  out->cadence_years = (double)(years[n - 1] - years[0]) / (n - 1);
  for (int g = 0; g < ROADMAP_G_COUNT; g++) {
    double log_sum = 0;
    int pairs = 0;
    for (int i = 1; i < n; i++) {
      double a = figure(systems[i - 1], (roadmap_growth)g),
             b = figure(systems[i], (roadmap_growth)g);
      if (a > 0 && b > 0) {
        log_sum += log(b / a);
        pairs++;
      }
    }
    out->growth_pairs[g] = pairs;
    out->growth[g] = pairs ? exp(log_sum / pairs) : 1;
  }
  return TS_OK;
}

ts_status roadmap_fit_track(roadmap_track *t, ts_err *err) {
  const hw_system *systems[ROADMAP_MAX_GENS];
  int years[ROADMAP_MAX_GENS];
  int n = 0;
  for (int i = 0; i < t->n_gens; i++)
    if (t->gens[i].shipped && t->gens[i].sys) {
      systems[n] = t->gens[i].sys;
      years[n++] = t->gens[i].year;
    }
  roadmap_fit old = t->fit, fit;
  ts_status st = roadmap_fit_systems(systems, years, n, &fit, err);
  if (st) {
    ts_err_prefix(err, "track '%s'", t->name);
    return st;
  }
  if (old.cadence_overridden) {
    fit.cadence_years = old.cadence_years;
    fit.cadence_overridden = true;
  }
  for (int g = 0; g < ROADMAP_G_COUNT; g++)
    if (old.growth_overridden & (1u << g)) fit.growth[g] = old.growth[g];
  fit.growth_overridden = old.growth_overridden;
  t->fit = fit;
  return TS_OK;
}

/* Calls item(rm, key, value) for each "key=value" of a comma-separated spec. */
typedef ts_status (*spec_item_fn)(roadmap *rm, const char *what, const char *key, double value,
                                  ts_err *err);

static ts_status parse_spec(roadmap *rm, const char *what, const char *spec, double max,
                            spec_item_fn item, ts_err *err) {
  if (!spec || !*spec) return ts_fail(err, TS_EUSAGE, "%s: empty (expected key=value,...)", what);
  char buf[1024];
  if (strlen(spec) >= sizeof buf) return ts_fail(err, TS_EUSAGE, "%s: too long", what);
  snprintf(buf, sizeof buf, "%s", spec);
  char *save = NULL;
  for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    char *eq = strchr(tok, '=');
    double v;
    if (!eq || eq == tok) return ts_fail(err, TS_EUSAGE, "%s: '%s' is not key=value", what, tok);
    *eq = '\0';
    if (!ts_parse_double(eq + 1, &v) || !(v > 0) || v > max)
      return ts_fail(err, TS_EUSAGE, "%s: '%s' has value '%s' (expected a number in (0, %g])", what,
                     tok, eq + 1, max);
    ts_status st = item(rm, what, tok, v, err);
    if (st) return st;
  }
  return TS_OK;
}

static ts_status unknown_track(const roadmap *rm, const char *what, const char *name, ts_err *err) {
  char names[256] = "";
  for (int t = 0; t < rm->n_tracks; t++) {
    size_t len = strlen(names);
    snprintf(names + len, sizeof names - len, "%s%s", t ? ", " : "", rm->tracks[t].name);
  }
  return ts_fail(err, TS_EUSAGE, "%s: unknown track '%s' (tracks: %s)", what, name, names);
}

static ts_status cadence_item(roadmap *rm, const char *what, const char *key, double v,
                              ts_err *err) {
  int t = roadmap_track_index(rm, key);
  if (t < 0) return unknown_track(rm, what, key, err);
  rm->tracks[t].fit.cadence_years = v;
  rm->tracks[t].fit.cadence_overridden = true;
  return TS_OK;
}

ts_status roadmap_set_cadence(roadmap *rm, const char *spec, ts_err *err) {
  return parse_spec(rm, "cadence", spec, 20, cadence_item, err);
}

static void set_growth(roadmap_track *t, int g, double v) {
  t->fit.growth[g] = v;
  t->fit.growth_overridden |= 1u << g;
}

static ts_status growth_item(roadmap *rm, const char *what, const char *key, double v,
                             ts_err *err) {
  const char *dot = strchr(key, '.');
  const char *field = dot ? dot + 1 : key;
  int g = 0;
  while (g < ROADMAP_G_COUNT && strcmp(field, GROWTH_NAMES[g]) != 0) g++;
  if (g == ROADMAP_G_COUNT)
    return ts_fail(err, TS_EUSAGE,
                   "%s: unknown field '%s' (expected bf16, fp8, hbm_bw, hbm, link, nic, power or "
                   "price)",
                   what, field);
  if (!dot) {
    for (int t = 0; t < rm->n_tracks; t++) set_growth(&rm->tracks[t], g, v);
    return TS_OK;
  }
  char track[64];
  snprintf(track, sizeof track, "%.*s", (int)(dot - key), key);
  int t = roadmap_track_index(rm, track);
  if (t < 0) return unknown_track(rm, what, track, err);
  set_growth(&rm->tracks[t], g, v);
  return TS_OK;
}

ts_status roadmap_set_growth(roadmap *rm, const char *spec, ts_err *err) {
  return parse_spec(rm, "growth", spec, 100, growth_item, err);
}
