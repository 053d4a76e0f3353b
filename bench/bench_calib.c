/* bench_calib: how well the kernel model fits this host, and how fast the model is.
 * Runs the full calibration grid (or --quick), prints the median and worst model error per scope
 * against the targets (median <= 10%, worst <= 25%) and the wall time it took, then times
 * kern_gemm evaluations per second (the plan search calls it for every op of every plan).
 * Prints figures; asserts nothing. Usage: bench_calib [--quick] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/sim.h"

static double wall_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int calibration(bool quick) {
  ts_err err = {0};
  hw_host host;
  if (hw_host_describe(&host, &err)) return fprintf(stderr, "bench_calib: %s\n", err.msg), 1;
  kern_calibration *c = malloc(sizeof *c);
  if (!c) return 1;
  kern_calib_options opt = {.quick = quick};
  double t0 = wall_s();
  if (kern_calibrate(&host, &opt, c, &err)) {
    fprintf(stderr, "bench_calib: %s\n", err.msg);
    free(c);
    return 1;
  }
  double took = wall_s() - t0;
  printf("calibration (%s grid, %u shapes) on %s: %.2f s\n", quick ? "quick" : "full", c->n_points,
         c->cpu_model, took);
  for (int s = 0; s < KERN_CALIB_SCOPE_COUNT; s++) {
    const kern_calib_fit *f = &c->fit[s];
    printf(
        "  %-9s sgemm %.4g GFLOP/s, bandwidth %.4g GB/s, launch %.3g us, tile %dx%d: "
        "median error %.1f%% (target 10%%), worst %.1f%% (target 25%%)\n",
        kern_calib_scope_name(s), f->sgemm_flops_per_s / 1e9, f->mem_Bps / 1e9, f->launch_s * 1e6,
        f->tile_m, f->tile_n, 100 * f->median_error, 100 * f->worst_error);
  }
  free(c);
  return 0;
}

static void model_speed(void) {
  hw_chip chip;
  memset(&chip, 0, sizeof chip);
  chip.peak_flops[HW_BF16] = 989e12;
  chip.hbm_Bps = 3.35e12;
  chip.compute_units = 132, chip.tile_m = 128, chip.tile_n = 256;
  chip.kern = (hw_kernel_consts){0.79, 0.6, 0.9, 4e-6};
  enum { N = 10 * 1000 * 1000 };
  double sum = 0.0, t0 = wall_s();
  for (int i = 0; i < N; i++)
    sum += kern_gemm(&chip, 1024 + (i & 1023), 4096, 8192 - (i & 511), 1, HW_BF16).seconds;
  double took = wall_s() - t0;
  printf("kern_gemm: %.1f million evaluations/s (checksum %.6g)\n", N / took / 1e6, sum);
}

int main(int argc, char **argv) {
  bool quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
  int rc = calibration(quick);
  model_speed();
  return rc;
}
