/* bench_coll: how many collectives per second the collective model times (sim/coll*.c), on the
 * placements the engine asks about for Llama-3-405B-class plans on a 16,384-chip dgx-h100
 * cluster (ranks tp innermost, then dp, then pp), plus a Trainium2 torus. "cold" uses a fresh
 * workspace each call (routes and max-min rates from scratch); "warm" reuses one workspace while
 * the size changes (profiles cached). Prints figures; asserts nothing about time. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sim/sim.h"

typedef struct bench_case {
  const char *what;
  const char *system;
  int64_t chips;
  trace_op_kind kind;
  double bytes;
  int64_t n_groups, group_size;
  int64_t tp, dp; /* chip of (group g, rank r): layout below */
  int layout;     /* 0: groups of consecutive chips; 1: DP groups (stride tp, one per tp index) */
} bench_case;

static const bench_case cases[] = {
    {"DP all-reduce, one stage (tp8 pp16 dp128): 8 groups x 128", "dgx-h100", 16384,
     TRACE_OP_ALL_REDUCE, 25e6, 8, 128, 8, 128, 1},
    {"DP all-reduce, whole cluster (tp8 dp2048): 8 groups x 2048", "dgx-h100", 16384,
     TRACE_OP_ALL_REDUCE, 25e6, 8, 2048, 8, 2048, 1},
    {"DP reduce-scatter, whole cluster (tp8 dp2048)", "dgx-h100", 16384, TRACE_OP_REDUCE_SCATTER,
     25e6, 8, 2048, 8, 2048, 1},
    {"DP all-reduce, one group of 16384 ranks", "dgx-h100", 16384, TRACE_OP_ALL_REDUCE, 1e9, 1,
     16384, 1, 16384, 0},
    {"TP all-reduce: 2048 groups x 8 (one per node)", "dgx-h100", 16384, TRACE_OP_ALL_REDUCE, 64e6,
     2048, 8, 8, 1, 0},
    {"TP all-reduce: 4096 groups x 4 (two per node)", "dgx-h100", 16384, TRACE_OP_ALL_REDUCE, 64e6,
     4096, 4, 4, 1, 0},
    {"EP all-to-all: 16 groups x 64 across 8 nodes each", "dgx-h100", 1024, TRACE_OP_ALL_TO_ALL,
     64e6, 16, 64, 1, 64, 0},
    {"FSDP all-gather on trn2-48xl: 64 instances, 1 group x 1024", "trn2-48xl", 1024,
     TRACE_OP_ALL_GATHER, 100e6, 1, 1024, 1, 1024, 0},
};

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void layout(const bench_case *c, int64_t *chips) {
  for (int64_t g = 0; g < c->n_groups; g++)
    for (int64_t r = 0; r < c->group_size; r++)
      chips[g * c->group_size + r] = c->layout == 1 ? g + r * c->tp : g * c->group_size + r;
}

/* Calls per second over about 0.3 s of wall time, cold or warm. */
static int run_case(const bench_case *c) {
  hw_system sys;
  hw_topo *topo = NULL;
  ts_err err = {0};
  if (hw_system_load(c->system, &sys, &err) != TS_OK ||
      hw_topo_new(&sys, c->chips, &topo, &err) != TS_OK) {
    fprintf(stderr, "bench_coll: %s\n", err.msg);
    return 1;
  }
  int64_t *chips = malloc((size_t)(c->n_groups * c->group_size) * sizeof *chips);
  coll_workspace *ws = NULL;
  if (!chips || coll_workspace_new(&ws, &err) != TS_OK) return 1;
  layout(c, chips);
  coll_groups g = {.n_groups = c->n_groups, .group_size = c->group_size, .chips = chips};
  coll_result r = {0};
  double rate[2] = {0, 0};
  for (int warm = 0; warm < 2; warm++) {
    int64_t calls = 0;
    double t0 = now_s(), t = t0;
    for (; t - t0 < 0.3; t = now_s(), calls++) {
      double bytes = warm ? c->bytes * (1 + (double)(calls % 16)) : c->bytes;
      if (coll_time_ws(warm ? ws : NULL, topo, &sys, c->kind, bytes, &g, COLL_ALGO_AUTO, &r,
                       &err) != TS_OK) {
        fprintf(stderr, "bench_coll: %s\n", err.msg);
        return 1;
      }
    }
    rate[warm] = (double)calls / (t - t0);
  }
  coll_time_ws(ws, topo, &sys, c->kind, c->bytes, &g, COLL_ALGO_AUTO, &r, &err);
  printf("%-62s %-8s %6.0f MB  %-6s %10.3f ms  %10.0f cold/s  %10.0f warm/s\n", c->what, c->system,
         c->bytes / 1e6, coll_algo_name(r.algo), r.seconds * 1e3, rate[0], rate[1]);
  coll_workspace_free(ws);
  free(chips);
  hw_topo_free(topo);
  return 0;
}

int main(void) {
  printf("collectives timed per second (AUTO algorithm; model time of one call)\n");
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    if (run_case(&cases[i]) != 0) return 1;
  return 0;
}
