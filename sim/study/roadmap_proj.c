/* Which generation each track offers in a year, and the projected systems past the last listed
 * generation. Projection: generation k (k >= 1) past the last listed one L arrives in the
 * calendar year floor(year_L + k x cadence) and is L with every fitted figure multiplied by
 * growth^k: dense FLOP/s (fp32, fp16 and bf16 follow the bf16 multiplier; fp8 and fp4 the fp8
 * one), HBM bandwidth and capacity, scale-up bandwidth (per link, per chip, per torus dimension),
 * NIC bandwidth, chip power, price per chip-hour. Everything else (topology, domain size, compute
 * units and tiles, kernel-model efficiencies, failure rate, host overhead) stays as L has it. The
 * system is marked projected, says what it was projected from, and every source says so too. */
#include "sim/study/study.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const double YEAR_EPS = 1e-9;

static int projected_year(int base_year, double cadence, int k) {
  return (int)floor(base_year + k * cadence + YEAR_EPS);
}

static void describe(const hw_system *base, const roadmap_fit *fit, int k, const char *track,
                     char *buf, size_t cap) {
  int n = snprintf(buf, cap, "%s (%d) x %d generation%s of %s growth (", base->name,
                   base->chip.year, k, k == 1 ? "" : "s", track);
  for (int g = 0; g < ROADMAP_G_COUNT && n >= 0 && (size_t)n < cap; g++)
    n += snprintf(buf + n, cap - (size_t)n, "%s%s x%.2f", g ? ", " : "",
                  roadmap_growth_name((roadmap_growth)g), fit->growth[g]);
  if (n >= 0 && (size_t)n < cap)
    snprintf(buf + n, cap - (size_t)n, "), cadence %.2f y", fit->cadence_years);
}

static void mark_sources(hw_source *sources, int n, const char *text) {
  for (int i = 0; i < n; i++)
    snprintf(sources[i].text, sizeof sources[i].text, "projected: %s", text);
}

void roadmap_project_system(const hw_system *base, const roadmap_fit *fit, int generations,
                            const char *track, int year, hw_system *out) {
  *out = *base;
  double m[ROADMAP_G_COUNT];
  for (int g = 0; g < ROADMAP_G_COUNT; g++) m[g] = pow(fit->growth[g], generations);
  hw_chip *c = &out->chip;
  c->peak_flops[HW_FP32] *= m[ROADMAP_G_BF16];
  c->peak_flops[HW_FP16] *= m[ROADMAP_G_BF16];
  c->peak_flops[HW_BF16] *= m[ROADMAP_G_BF16];
  c->peak_flops[HW_FP8] *= m[ROADMAP_G_FP8];
  c->peak_flops[HW_FP4] *= m[ROADMAP_G_FP8];
  c->hbm_Bps *= m[ROADMAP_G_HBM_BPS];
  c->hbm_bytes *= m[ROADMAP_G_HBM_BYTES];
  out->up.link_Bps *= m[ROADMAP_G_LINK];
  out->up.chip_Bps *= m[ROADMAP_G_LINK];
  for (int d = 0; d < 3; d++) out->up.dim_link_Bps[d] *= m[ROADMAP_G_LINK];
  out->out.nic_Bps_per_chip *= m[ROADMAP_G_NIC];
  c->power_w *= m[ROADMAP_G_POWER];
  c->price_usd_per_chip_h *= m[ROADMAP_G_PRICE];
  c->year = year;
  c->projected = true;
  describe(base, fit, generations, track, c->projected_from, sizeof c->projected_from);
  snprintf(out->name, sizeof out->name, "%s-proj-%d", track, year);
  snprintf(out->chip_name, sizeof out->chip_name, "%s-proj-%d", track, year);
  snprintf(c->name, sizeof c->name, "%s-proj-%d", track, year);
  snprintf(c->generation, sizeof c->generation, "%s %d (projected)", track, year);
  snprintf(out->description, sizeof out->description, "projected %s generation of %d: %s", track,
           year, c->projected_from);
  mark_sources(c->sources, c->n_sources, c->projected_from);
  mark_sources(out->sources, out->n_sources, c->projected_from);
}

/* The newest generation of track t available in year; false when none yet. */
static ts_status pick_track(const roadmap *rm, int t, int year, roadmap_pick *p, bool *found,
                            ts_err *err) {
  const roadmap_track *tr = &rm->tracks[t];
  const roadmap_gen *last = &tr->gens[tr->n_gens - 1];
  *p = (roadmap_pick){.track = t, .gen = -1};
  *found = false;
  double c = tr->fit.cadence_years;
  /* generation k is out in year floor(year_L + k c): the largest k with year_L + k c < year + 1 */
  int k = c > 0 ? (int)floor((year + 1 - last->year) / c - YEAR_EPS) : 0;
  if (year > last->year && !(c > 0))
    return ts_fail(err, TS_EINPUT,
                   "%s:%d: track '%s' cannot be projected to %d: its cadence is unknown (%d "
                   "shipped generation%s to fit on); give one, e.g. cadence %s=2",
                   rm->path, tr->line, tr->name, year, tr->fit.n_fitted,
                   tr->fit.n_fitted == 1 ? "" : "s", tr->name);
  if (k >= 1) {
    p->generations_ahead = k;
    p->year = projected_year(last->year, c, k);
    p->projected = true;
    *found = true;
    return TS_OK;
  }
  for (int g = tr->n_gens - 1; g >= 0; g--)
    if (tr->gens[g].year <= year) {
      p->gen = g;
      p->year = tr->gens[g].year;
      p->projected = tr->gens[g].sys->chip.projected;
      *found = true;
      break;
    }
  return TS_OK;
}

ts_status roadmap_available(const roadmap *rm, int year, roadmap_pick picks[ROADMAP_MAX_TRACKS],
                            int *n, ts_err *err) {
  *n = 0;
  for (int t = 0; t < rm->n_tracks; t++) {
    bool found;
    ts_status st = pick_track(rm, t, year, &picks[*n], &found, err);
    if (st) return st;
    if (found) (*n)++;
  }
  return TS_OK;
}

ts_status roadmap_pick_system(const roadmap *rm, const roadmap_pick *pick, hw_system *out,
                              ts_err *err) {
  if (pick->track < 0 || pick->track >= rm->n_tracks)
    return ts_fail(err, TS_EINPUT, "roadmap: track index %d out of range (0..%d)", pick->track,
                   rm->n_tracks - 1);
  const roadmap_track *tr = &rm->tracks[pick->track];
  if (pick->gen >= tr->n_gens || (pick->gen < 0 && pick->generations_ahead < 1))
    return ts_fail(err, TS_EINPUT, "roadmap: track '%s' has no generation %d (ahead %d)", tr->name,
                   pick->gen, pick->generations_ahead);
  if (pick->gen >= 0) {
    *out = *tr->gens[pick->gen].sys;
    return TS_OK;
  }
  roadmap_project_system(tr->gens[tr->n_gens - 1].sys, &tr->fit, pick->generations_ahead, tr->name,
                         pick->year, out);
  return TS_OK;
}

ts_status roadmap_system_for_year(const roadmap *rm, int track, int year, hw_system *out,
                                  roadmap_pick *pick, ts_err *err) {
  if (track < 0 || track >= rm->n_tracks)
    return ts_fail(err, TS_EINPUT, "roadmap: track index %d out of range (0..%d)", track,
                   rm->n_tracks - 1);
  bool found;
  roadmap_pick p;
  ts_status st = pick_track(rm, track, year, &p, &found, err);
  if (st) return st;
  if (!found)
    return ts_fail(err, TS_ENOTFOUND,
                   "roadmap: track '%s' has no generation available in %d "
                   "(its first is %d)",
                   rm->tracks[track].name, year, rm->tracks[track].gens[0].year);
  if (pick) *pick = p;
  return roadmap_pick_system(rm, &p, out, err);
}
