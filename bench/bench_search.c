/* Benchmark of the plan search (issue 5): the whole space for Llama-3-405B on 16,384 dgx-h100
 * chips (gbs 2048, seq 8192) on 2 threads. Prints plans enumerated, refused, pruned by the bound,
 * simulated, plans evaluated per second, seconds (target: under 30 s on the 2-core machine) and
 * the process's CPU seconds (user + system: the wall time on a loaded machine says little; CPU
 * over 2 is what an idle 2-core machine would take at best). Prints, never asserts. Arguments override: bench_search [MODEL SYSTEM CHIPS GBS SEQ THREADS]. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "sim/search/search.h"

int main(int argc, char **argv) {
  /* Keep freed memory in the process: a search generates thousands of step traces of the same
   * size, and returning their pages to the kernel only to fault them in again cost ~15% of it. */
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_MMAP_THRESHOLD, 1 << 28);
  const char *model_name = argc > 1 ? argv[1] : "llama3-405b";
  const char *system_name = argc > 2 ? argv[2] : "dgx-h100";
  long long chips = argc > 3 ? atoll(argv[3]) : 16384, gbs = argc > 4 ? atoll(argv[4]) : 2048;
  long long seq = argc > 5 ? atoll(argv[5]) : 8192;
  int threads = argc > 6 ? atoi(argv[6]) : 2;
  ts_err err = {0};
  model m;
  hw_system sys;
  if (model_load(model_name, &m, &err) || hw_system_load(system_name, &sys, &err)) {
    fprintf(stderr, "bench_search: %s\n", err.msg);
    return 1;
  }
  m.seq = seq;
  plan fixed;
  char spec[64];
  snprintf(spec, sizeof spec, "gbs=%lld", gbs);
  if (plan_parse(spec, &fixed, &err)) {
    fprintf(stderr, "bench_search: %s\n", err.msg);
    return 1;
  }
  search_options opt;
  search_options_init(&opt);
  opt.threads = threads;
  search_result *r = NULL;
  if (search_best(&m, &sys, chips, &fixed, &opt, &r, &err)) {
    fprintf(stderr, "bench_search: %s\n", err.msg);
    return 1;
  }
  const search_stats *s = &r->stats;
  printf("search %s on %lld %s chips, gbs %lld, seq %lld, %d threads\n", model_name, chips,
         system_name, gbs, seq, threads);
  printf("  enumerated   %llu\n", (unsigned long long)s->enumerated);
  printf("  invalid      %llu\n", (unsigned long long)s->invalid);
  printf("  over memory  %llu\n", (unsigned long long)s->over_memory);
  printf("  candidates   %llu\n", (unsigned long long)s->candidates);
  printf("  pruned       %llu (lower bound above the 10th best; %llu after generating the step)\n",
         (unsigned long long)s->bounded, (unsigned long long)s->bounded_trace);
  printf("  simulated    %llu (%llu more were the same step as one simulated; %llu refused by "
         "the generator)\n",
         (unsigned long long)s->simulated, (unsigned long long)s->reused,
         (unsigned long long)s->failed);
  printf("  plans/s      %.1f evaluated (simulated or reused), %.0f enumerated\n",
         (double)(s->simulated + s->reused + s->failed) / s->seconds,
         (double)s->enumerated / s->seconds);
  printf("  seconds      %.2f (target < 30)\n", s->seconds);
  if (r->n > 0)
    printf("  best         %.4f s  mfu %.3f  %s\n", r->best[0].report.step_s, r->best[0].report.mfu,
           r->best[0].text);
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) == 0) {
    double user = (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec;
    double sys = (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
    printf("  cpu          %.2f s (%.2f user + %.2f system, whole process)\n", user + sys, user, sys);
  }
  search_result_free(r);
  return 0;
}
