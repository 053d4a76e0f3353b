/* Speed of the discrete-event core, printed, never asserted (issue 4, "Speed"):
 * 1. the event queue on the classic hold model: N events pending, each pop schedules one new event
 *    a random increment later (target: >= 10 million events/s on one core);
 * 2. one step of Llama-3-405B on 16,384 dgx-h100 chips (tp=8 pp=16 dp=128, gbs 2048, seq 8192)
 *    replayed in symmetric (target <= 100 ms) and full (target <= 10 s) fidelity, with peak RSS.
 * Usage: bench_engine [--hold-only] [--no-hold] [--no-full] */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "models/gen.h"
#include "sim/engine_int.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double peak_rss_mib(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_maxrss / 1024.0;
}

static void hold(uint32_t pending, uint64_t events) {
  sim_engine e;
  ts_err err = {0};
  if (sim_engine_init(&e, pending, &err)) {
    fprintf(stderr, "bench_engine: %s\n", err.msg);
    return;
  }
  uint64_t x = 42;
  for (uint32_t i = 0; i < pending; i++) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    sim_engine_schedule(&e, (sim_ps)(x >> 44), 1, i, 0, 0, 0);
  }
  double t0 = now_s();
  sim_event ev;
  for (uint64_t n = 0; n < events && sim_engine_pop(&e, &ev); n++) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    sim_engine_schedule(&e, ev.time + (sim_ps)(x >> 44), 1, ev.a, 0, 0, 0);
  }
  double dt = now_s() - t0;
  printf("hold model   %8u pending  %llu events  %.3f s  %.1f M events/s\n", pending,
         (unsigned long long)events, dt, (double)events / dt / 1e6);
  sim_engine_fini(&e);
}

static int replay_405b(bool full) {
  ts_err err = {0};
  model m;
  plan p;
  hw_system sys;
  if (model_load("llama3-405b", &m, &err) || plan_parse("tp=8,pp=16,dp=128,gbs=2048", &p, &err) ||
      hw_system_load("dgx-h100", &sys, &err)) {
    fprintf(stderr, "bench_engine: %s\n", err.msg);
    return 1;
  }
  m.seq = 8192;
  trace *t = NULL;
  gen_options go = {.allow_oom = true};
  double t0 = now_s();
  if (gen_step(&m, &p, &sys, 16384, &go, &t, &err)) {
    fprintf(stderr, "bench_engine: %s\n", err.msg);
    return 1;
  }
  uint64_t ops = 0;
  for (uint32_t c = 0; c < t->n_classes; c++) ops += t->classes[c].n_ops;
  printf("405b gen     %u classes, %llu ops, %lld ranks: %.3f s, peak RSS %.0f MiB\n", t->n_classes,
         (unsigned long long)ops, (long long)t->ranks, now_s() - t0, peak_rss_mib());
  for (int f = 0; f < (full ? 2 : 1); f++) {
    sim_options opt = {.fidelity = (sim_fidelity)f, .algo = COLL_ALGO_AUTO};
    sim_result *r = NULL;
    t0 = now_s();
    if (sim_run(t, &sys, &opt, &r, &err)) {
      fprintf(stderr, "bench_engine: %s\n", err.msg);
      trace_free(t);
      return 1;
    }
    const sim_report *rep = sim_result_report(r);
    printf(
        "405b %-9s step %.4f s, MFU %.1f%%, %llu events: %.3f s (%.1f M events/s), peak RSS %.0f "
        "MiB\n",
        f ? "full" : "symmetric", rep->step_s, 100 * rep->mfu, (unsigned long long)rep->events,
        now_s() - t0, (double)rep->events / (now_s() - t0) / 1e6, peak_rss_mib());
    sim_result_free(r);
  }
  trace_free(t);
  return 0;
}

int main(int argc, char **argv) {
  bool hold_only = false, no_hold = false, full = true;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--hold-only") == 0)
      hold_only = true;
    else if (strcmp(argv[i], "--no-hold") == 0)
      no_hold = true;
    else if (strcmp(argv[i], "--no-full") == 0)
      full = false;
    else {
      fprintf(stderr, "usage: bench_engine [--hold-only] [--no-hold] [--no-full]\n");
      return 2;
    }
  }
  if (!no_hold) {
    hold(1000, 20000000);
    hold(100000, 10000000);
  }
  return hold_only ? 0 : replay_405b(full);
}
