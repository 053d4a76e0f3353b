/* Benchmark of `compare` (issue 12): (1) the three newest shipped systems of each vendor track
 * of hw/roadmap.yaml compared at equal power (50 MW) for one model, plan search included (target
 * under 30 s on the 2-core machine); (2) one capacity Monte Carlo of 1,000 delivery draws on the
 * first entry of hw/capacity/nvidia-sold-out.yaml (target under 10 s), timed cold (the searches
 * for each chip count included) and warm (the plans cached: the Monte Carlo itself).
 * Each part also prints the CPU seconds it used (user + system, all threads). Prints, never
 * asserts. Arguments override: bench_compare [MODEL [POWER_MW [DRAWS]]]. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "sim/study/compare.h"

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The three newest shipped generations of each track. */
/* CPU seconds of the process so far (user + system, every thread). */
static double cpu_s(void) {
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) != 0) return 0.0;
  return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
         (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
}

static int newest_systems(const roadmap *rm, const hw_system **out, int cap) {
  int n = 0;
  for (int t = 0; t < rm->n_tracks; t++) {
    const roadmap_track *tr = &rm->tracks[t];
    int last = -1;
    for (int g = 0; g < tr->n_gens; g++)
      if (tr->gens[g].shipped) last = g;
    for (int g = last - 2 < 0 ? 0 : last - 2; g <= last && n < cap; g++) out[n++] = tr->gens[g].sys;
  }
  return n;
}

static int bench_equal_power(const model *m, double power_mw) {
  ts_err err = {0};
  roadmap *rm = NULL;
  if (roadmap_load(NULL, &rm, &err)) {
    fprintf(stderr, "bench_compare: %s\n", err.msg);
    return 1;
  }
  const hw_system *sys[ROADMAP_MAX_TRACKS * 3];
  int n = newest_systems(rm, sys, ROADMAP_MAX_TRACKS * 3);
  compare_options o;
  compare_options_init(&o);
  o.power_w = power_mw * 1e6;
  compare_row *rows = calloc((size_t)n, sizeof *rows);
  double t0 = now_s(), c0 = cpu_s();
  ts_status st = compare_run(m, sys, n, &o, rows, &err);
  double dt = now_s() - t0, dc = cpu_s() - c0;
  if (st) fprintf(stderr, "bench_compare: %s\n", err.msg);
  else {
    printf("compare %s, %d systems at equal power %.0f MW (search: top 1, 2 threads, bf16)\n",
           m->name, n, power_mw);
    for (int i = 0; i < n; i++)
      printf("  %-20s %7lld chips  step %.3f s  %6.1f days  %s\n", rows[i].system,
             (long long)rows[i].chips, rows[i].report.step_s, rows[i].ttt.wall_s / 86400,
             rows[i].plan_text);
    printf("  seconds      %.2f (target < 30)\n", dt);
    printf("  cpu          %.2f s (user + system, all threads)\n", dc);
  }
  free(rows);
  roadmap_free(rm);
  return st ? 1 : 0;
}

static int bench_monte_carlo(const model *m, int draws) {
  ts_err err = {0};
  char path[1024];
  snprintf(path, sizeof path, "%s/hw/capacity/nvidia-sold-out.yaml", hw_data_dir());
  capacity_file *c = NULL;
  hw_system *sys = malloc(sizeof *sys);
  capacity_planner *p = NULL;
  compare_options o;
  compare_options_init(&o);
  ts_status st = capacity_load(path, &c, &err);
  if (!st) st = hw_system_load(c->systems[0].system, sys, &err);
  if (!st) st = capacity_planner_new(m, sys, &o, &p, &err);
  capacity_summary s;
  double t0 = now_s(), cold = 0, warm = 0;
  if (!st) st = capacity_monte_carlo(p, &c->systems[0], o.tokens, draws, 1, &s, &err);
  cold = now_s() - t0;
  t0 = now_s();
  if (!st) st = capacity_monte_carlo(p, &c->systems[0], o.tokens, draws, 1, &s, &err);
  warm = now_s() - t0;
  if (st) fprintf(stderr, "bench_compare: %s\n", err.msg);
  else {
    printf("capacity Monte Carlo: %s on %s (%s), %d draws\n", m->name, sys->name, path, draws);
    printf("  chip counts planned %d; mean finish %.1f days after the start, P10 %.1f, P90 %.1f\n",
           capacity_planner_searches(p), s.mean_finish_s / 86400, s.p10_finish_s / 86400,
           s.p90_finish_s / 86400);
    printf("  seconds      %.2f cold (searches included), %.3f warm (target < 10)\n", cold, warm);
  }
  capacity_planner_free(p);
  capacity_free(c);
  free(sys);
  return st ? 1 : 0;
}

int main(int argc, char **argv) {
  /* Keep freed memory in the process: a search generates thousands of step traces of the same
   * size, and returning their pages to the kernel only to fault them in again cost ~15% of it. */
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_MMAP_THRESHOLD, 1 << 28);
  const char *model_name = argc > 1 ? argv[1] : "llama3-70b";
  double power_mw = argc > 2 ? atof(argv[2]) : 50;
  int draws = argc > 3 ? atoi(argv[3]) : 1000;
  model m;
  ts_err err = {0};
  if (model_load(model_name, &m, &err)) {
    fprintf(stderr, "bench_compare: %s\n", err.msg);
    return 1;
  }
  int rc = bench_equal_power(&m, power_mw);
  rc |= bench_monte_carlo(&m, draws);
  return rc;
}
