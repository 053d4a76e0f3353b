/* bench_topo: how fast the topology graph builds and answers route queries at cluster scale.
 * Systems are built in code to look like dgx-h100 (8-GPU NVSwitch domains, 400 Gb/s rail-optimised
 * NDR fabric) and trn2-ultraserver (4x4x4 NeuronLink torus, EFAv3): 16,384 and 100,000 chips, and
 * a 1,000,000-chip trn2 cluster to show the build stays linear. Prints figures; asserts nothing.
 * Usage: bench_topo [route_queries (default 10000000)] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hw/hw.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static hw_system dgx_h100_like(void) {
  hw_system s;
  memset(&s, 0, sizeof s);
  strcpy(s.name, "dgx-h100-like");
  s.up = (hw_scaleup){.kind = HW_TOPO_SWITCH,
                      .domain_chips = 8,
                      .link_Bps = 25e9,
                      .links_per_chip = 18,
                      .chip_Bps = 450e9,
                      .latency_s = 1e-6};
  s.out = (hw_scaleout){.nic_Bps_per_chip = 50e9,
                        .latency_s = 5e-6,
                        .rail_optimized = true,
                        .oversubscription = 1,
                        .leaf_chips = 32,
                        .max_chips = 32768};
  return s;
}

static hw_system trn2_ultraserver_like(void) {
  hw_system s;
  memset(&s, 0, sizeof s);
  strcpy(s.name, "trn2-ultraserver-like");
  s.up = (hw_scaleup){.kind = HW_TOPO_TORUS,
                      .domain_chips = 64,
                      .ndims = 3,
                      .dims = {4, 4, 4},
                      .link_Bps = 256e9,
                      .links_per_chip = 1,
                      .latency_s = 1e-6,
                      .dim_link_Bps = {256e9, 256e9, 128e9}};
  s.out = (hw_scaleout){.nic_Bps_per_chip = 25e9,
                        .latency_s = 10e-6,
                        .rail_optimized = true,
                        .oversubscription = 1,
                        .leaf_chips = 32,
                        .max_chips = 1000000};
  return s;
}

static uint64_t lcg(uint64_t *state) {
  *state = *state * 6364136223846793005ull + 1442695040888963407ull;
  return *state >> 33;
}

/* Routes `queries` pseudo-random pairs (a quarter inside one domain) and prints the rate. */
static int bench_one(const hw_system *sys, int64_t chips, long queries) {
  ts_err err = {0};
  hw_topo *t = NULL;
  double t0 = now_s();
  if (hw_topo_new(sys, chips, &t, &err) != TS_OK) {
    fprintf(stderr, "bench_topo: %s\n", err.msg);
    return 1;
  }
  double build_s = now_s() - t0;
  enum { PAIRS = 1 << 16 };
  int64_t *src = malloc(2 * PAIRS * sizeof *src), *dst = src + PAIRS;
  if (!src) {
    hw_topo_free(t);
    return 1;
  }
  uint64_t rng = 12345;
  for (int i = 0; i < PAIRS; i++) {
    src[i] = (int64_t)(lcg(&rng) % (uint64_t)chips);
    dst[i] = i % 4 == 0 ? src[i] / sys->up.domain_chips * sys->up.domain_chips +
                              (int64_t)(lcg(&rng) % (uint64_t)sys->up.domain_chips)
                        : (int64_t)(lcg(&rng) % (uint64_t)chips);
    if (dst[i] >= chips) dst[i] = chips - 1;
  }
  int32_t links[HW_ROUTE_MAX];
  long hops = 0;
  t0 = now_s();
  for (long q = 0; q < queries; q++)
    hops += hw_topo_route(t, src[q % PAIRS], dst[q % PAIRS], links);
  double route_s = now_s() - t0;
  printf(
      "%-22s %9lld chips  %10d links  %6.1f MB  build %7.3f s  %6.1f M routes/s  "
      "mean hops %.2f  diameter %d  bisection %.1f TB/s\n",
      sys->name, (long long)chips, hw_topo_link_count(t),
      (double)hw_topo_link_count(t) * sizeof(hw_link) / 1e6, build_s,
      (double)queries / route_s / 1e6, (double)hops / (double)queries, hw_topo_diameter(t),
      hw_topo_bisection_Bps(t) / 1e12);
  free(src);
  hw_topo_free(t);
  return 0;
}

int main(int argc, char **argv) {
  long queries = argc > 1 ? strtol(argv[1], NULL, 10) : 10000000;
  if (queries < 1) {
    fprintf(stderr, "usage: bench_topo [route_queries]\n");
    return 2;
  }
  hw_system dgx = dgx_h100_like(), trn2 = trn2_ultraserver_like();
  int rc = bench_one(&dgx, 16384, queries);
  rc |= bench_one(&trn2, 100000, queries);
  rc |= bench_one(&trn2, 1000000, queries);
  return rc;
}
