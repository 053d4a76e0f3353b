/* Fitting the kernel model to the host's measurements: the host is timed with the very kern_gemm
 * the accelerators use, so a good fit here is evidence for the model's form on real kernels.
 *
 * Per scope (one core; all cores), from the medians of kern_calibrate:
 *   mem_Bps   = 12 n / t of the largest saxpy (y = a x + y moves 12 bytes per float element)
 *   tile_m, tile_n, launch_s, sgemm FLOP/s: weighted least squares on log error,
 *             sum over the scope's sgemm points of sqrt(measured) x ln(model / measured)^2 (a
 *             step's time is in its large GEMMs, so they weigh most; tiny and skinny shapes,
 *             whose efficiency the one-rate form cannot follow, weigh less, yet enough that a
 *             far-off launch time shows), by grid search over
 *             tiles in {1, 2, 4, ..., 128}^2 and launch in {0} + 1e-8 .. 1e-4 s (8 per decade),
 *             with the FLOP/s found for each by a coarse log grid then golden-section refinement
 *   dgemm FLOP/s: the same objective on the dgemm points, the other constants fixed
 * The chip the model sees: units = cores of the scope, peak fp32 = fitted FLOP/s, efficiencies 1
 * (kern_calib_chip); dgemm is evaluated on that chip with half the bandwidth (8-byte elements). */
#include "sim/sim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const int TILES[] = {1, 2, 4, 8, 16, 32, 64, 128};
enum {
  N_TILES = sizeof TILES / sizeof TILES[0],
  LAUNCH_STEPS = 33,
  RATE_STEPS = 48,
  GOLDEN_ITERS = 40
};
static const double RATE_LO = 1e7, RATE_HI = 1e14;

void kern_calib_chip(const kern_calib_fit *fit, hw_chip *chip) {
  memset(chip, 0, sizeof *chip);
  snprintf(chip->name, sizeof chip->name, "host-fit");
  chip->peak_flops[HW_FP32] = fit->sgemm_flops_per_s;
  chip->hbm_Bps = fit->mem_Bps;
  chip->compute_units = fit->units > 0 ? fit->units : 1;
  chip->tile_m = fit->tile_m > 0 ? fit->tile_m : 1;
  chip->tile_n = fit->tile_n > 0 ? fit->tile_n : 1;
  chip->tile_k = 1;
  chip->ranks_per_chip = 1;
  chip->kern = (hw_kernel_consts){.gemm_efficiency = 1.0,
                                  .attn_efficiency = 1.0,
                                  .mem_efficiency = 1.0,
                                  .launch_s = fit->launch_s};
}

/* The two chips a fit is evaluated on (sgemm and saxpy; dgemm), built once: hw_chip is large, so
 * the search only rewrites the fields the fit changes. */
typedef struct fitter {
  const kern_calibration *c;
  int scope;
  hw_chip single, dbl;
} fitter;

static void sync_chip(hw_chip *chip, const kern_calib_fit *fit, bool dbl) {
  chip->peak_flops[HW_FP32] = dbl ? fit->dgemm_flops_per_s : fit->sgemm_flops_per_s;
  chip->hbm_Bps = dbl ? fit->mem_Bps / 2.0 : fit->mem_Bps;
  chip->compute_units = fit->units > 0 ? fit->units : 1;
  chip->tile_m = fit->tile_m > 0 ? fit->tile_m : 1;
  chip->tile_n = fit->tile_n > 0 ? fit->tile_n : 1;
  chip->kern.launch_s = fit->launch_s;
}

static double point_model_s(fitter *ft, const kern_calib_fit *fit, const kern_calib_point *p) {
  bool dbl = p->kind == KERN_CALIB_DGEMM;
  hw_chip *chip = dbl ? &ft->dbl : &ft->single;
  sync_chip(chip, fit, dbl);
  if (p->kind == KERN_CALIB_SAXPY) {
    trace_op op = {.kind = TRACE_OP_ELEMENTWISE,
                   .dtype = HW_FP32,
                   .count = 1,
                   .flops = 2.0 * (double)p->n,
                   .bytes = 12.0 * (double)p->n};
    return kern_op(chip, &op, NULL).seconds;
  }
  return kern_gemm(chip, p->m, p->n, p->k, 1, HW_FP32).seconds;
}

/* Sum of squared log errors over the points of one scope and kind. */
static double objective(fitter *ft, int kind, const kern_calib_fit *fit) {
  double sum = 0.0;
  for (uint32_t i = 0; i < ft->c->n_points; i++) {
    const kern_calib_point *p = &ft->c->points[i];
    if (p->scope != ft->scope || p->kind != kind) continue;
    double m = point_model_s(ft, fit, p);
    double e = m > 0.0 ? log(m / p->measured_s) : 50.0;
    sum += sqrt(p->measured_s) * e * e; /* weighted: right where the time is spent */
  }
  return sum;
}

static double *rate_field(kern_calib_fit *fit, int kind) {
  return kind == KERN_CALIB_DGEMM ? &fit->dgemm_flops_per_s : &fit->sgemm_flops_per_s;
}

/* Best FLOP/s for the other constants of fit: coarse log grid, then golden section; returns the
 * objective and leaves the rate in fit. */
static bool has_points(const fitter *ft, int kind) {
  for (uint32_t i = 0; i < ft->c->n_points; i++)
    if (ft->c->points[i].scope == ft->scope && ft->c->points[i].kind == kind) return true;
  return false;
}

static double fit_rate(fitter *ft, int kind, kern_calib_fit *fit) {
  double *rate = rate_field(fit, kind);
  if (!has_points(ft, kind)) { /* nothing measured: dgemm 0 (unknown); sgemm a nominal 1 GFLOP/s */
    *rate = kind == KERN_CALIB_DGEMM ? 0.0 : 1e9;
    return 0.0;
  }
  double lo = log(RATE_LO), hi = log(RATE_HI), step = (hi - lo) / (RATE_STEPS - 1);
  double best = INFINITY, best_x = lo;
  for (int i = 0; i < RATE_STEPS; i++) {
    *rate = exp(lo + i * step);
    double f = objective(ft, kind, fit);
    if (f < best) best = f, best_x = lo + i * step;
  }
  double a = best_x - step, b = best_x + step, g = (sqrt(5.0) - 1.0) / 2.0;
  for (int i = 0; i < GOLDEN_ITERS; i++) {
    double x1 = b - g * (b - a), x2 = a + g * (b - a);
    *rate = exp(x1);
    double f1 = objective(ft, kind, fit);
    *rate = exp(x2);
    double f2 = objective(ft, kind, fit);
    if (f1 < f2)
      b = x2;
    else
      a = x1;
  }
  *rate = exp((a + b) / 2.0);
  double f = objective(ft, kind, fit);
  if (f > best) *rate = exp(best_x), f = best;
  return f;
}

static double launch_at(int i) {
  return i == 0 ? 0.0 : 1e-8 * pow(10.0, (i - 1) / 8.0);
}

static void fit_bandwidth(const kern_calibration *c, int scope, kern_calib_fit *fit) {
  int64_t best_n = 0;
  for (uint32_t i = 0; i < c->n_points; i++) {
    const kern_calib_point *p = &c->points[i];
    if (p->scope == scope && p->kind == KERN_CALIB_SAXPY && p->n > best_n) {
      best_n = p->n;
      fit->mem_Bps = 12.0 * (double)p->n / p->measured_s;
    }
  }
  if (best_n == 0) fit->mem_Bps = 1e10; /* no streaming measurement: a nominal 10 GB/s */
}

static void fit_gemm(fitter *ft, kern_calib_fit *fit) {
  kern_calib_fit best = *fit, trial = *fit;
  double best_f = INFINITY;
  for (int a = 0; a < N_TILES; a++)
    for (int b = 0; b < N_TILES; b++)
      for (int l = 0; l < LAUNCH_STEPS; l++) {
        trial.tile_m = TILES[a], trial.tile_n = TILES[b], trial.launch_s = launch_at(l);
        double f = fit_rate(ft, KERN_CALIB_SGEMM, &trial);
        if (f < best_f) best_f = f, best = trial;
      }
  *fit = best;
  fit_rate(ft, KERN_CALIB_DGEMM, fit);
}

static int cmp_double(const void *pa, const void *pb) {
  double a = *(const double *)pa, b = *(const double *)pb;
  return (a > b) - (a < b);
}

/* Fills model_s of the scope's points and the fit's median and worst relative error. */
static void score(fitter *ft, kern_calibration *c, kern_calib_fit *fit) {
  double errs[KERN_CALIB_MAX_POINTS];
  size_t n = 0;
  for (uint32_t i = 0; i < c->n_points; i++) {
    kern_calib_point *p = &c->points[i];
    if (p->scope != ft->scope) continue;
    p->model_s = point_model_s(ft, fit, p);
    errs[n++] = fabs(p->model_s / p->measured_s - 1.0);
  }
  fit->median_error = fit->worst_error = 0.0;
  if (n == 0) return;
  qsort(errs, n, sizeof errs[0], cmp_double);
  fit->median_error = n % 2 ? errs[n / 2] : (errs[n / 2 - 1] + errs[n / 2]) / 2.0;
  fit->worst_error = errs[n - 1];
}

ts_status kern_calib_fit_points(kern_calibration *c, ts_err *err) {
  fitter *ft = malloc(sizeof *ft); /* two hw_chips: too large for a small stack */
  if (!ft) return ts_fail(err, TS_ENOMEM, "calibration fit: out of memory");
  for (int s = 0; s < KERN_CALIB_SCOPE_COUNT; s++) {
    kern_calib_fit *fit = &c->fit[s];
    if (fit->units < 1) fit->units = 1;
    fit_bandwidth(c, s, fit);
    ft->c = c;
    ft->scope = s;
    kern_calib_chip(fit, &ft->single);
    kern_calib_chip(fit, &ft->dbl);
    fit_gemm(ft, fit);
    if (!(fit->dgemm_flops_per_s > 0.0)) fit->dgemm_flops_per_s = 0.0;
    score(ft, c, fit);
  }
  free(ft);
  return TS_OK;
}
