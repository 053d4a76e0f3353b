/* Topology graph: closed forms per kind (diameter, bisection, hop counts) checked against
 * brute force on small graphs built by hw_topo itself — BFS for hop counts and diameters,
 * enumeration of every balanced cut for bisection — plus route validity, partly filled domains,
 * the scale-out fat-tree and every error path. Systems are built in code (no YAML). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hw/hw.h"

enum { GBPS = 1000000000 };

/* cmocka's assert_float_equal works in float; these figures need double. */
#define assert_near(a, b, eps) assert_near_at((a), (b), (eps), __FILE__, __LINE__)
static void assert_near_at(double a, double b, double eps, const char *file, int line) {
  if (!(fabs(a - b) <= eps)) fail_msg("%s:%d: %.17g != %.17g (within %g)", file, line, a, b, eps);
}

/* ---- fixtures ------------------------------------------------------------------------------ */
static hw_system sys_base(hw_topo_kind kind, int domain_chips) {
  hw_system s;
  memset(&s, 0, sizeof s);
  strcpy(s.name, "test-system");
  s.up.kind = kind;
  s.up.domain_chips = domain_chips;
  s.up.link_Bps = 100.0 * GBPS;
  s.up.links_per_chip = 1;
  s.up.latency_s = 1e-6;
  s.out.nic_Bps_per_chip = 50.0 * GBPS;
  s.out.latency_s = 8e-6;
  s.out.oversubscription = 1;
  s.out.leaf_chips = 4;
  s.out.rail_optimized = true;
  s.out.max_chips = 1 << 20;
  return s;
}

static hw_system sys_torus(int dx, int dy, int dz) {
  hw_system s = sys_base(HW_TOPO_TORUS, dx * dy * dz);
  s.up.ndims = dz > 1 ? 3 : 2;
  s.up.dims[0] = dx;
  s.up.dims[1] = dy;
  s.up.dims[2] = dz;
  return s;
}

static hw_system sys_ring(int n) {
  hw_system s = sys_base(HW_TOPO_RING, n);
  s.up.ndims = 1;
  s.up.dims[0] = n;
  return s;
}

static hw_system sys_switch(int n) {
  hw_system s = sys_base(HW_TOPO_SWITCH, n);
  s.up.chip_Bps = 450.0 * GBPS;
  return s;
}

static hw_system sys_switch2(int n, int group) {
  hw_system s = sys_switch(n);
  s.up.kind = HW_TOPO_SWITCH2;
  s.up.group_chips = group;
  return s;
}

static hw_topo *topo_ok(const hw_system *s, int64_t chips) {
  hw_topo *t = NULL;
  ts_err err = {0};
  ts_status st = hw_topo_new(s, chips, &t, &err);
  if (st != TS_OK) fail_msg("hw_topo_new: %s", err.msg);
  return t;
}

static void expect_error(const hw_system *s, int64_t chips, const char *needle) {
  hw_topo *t = NULL;
  ts_err err = {0};
  assert_int_equal(hw_topo_new(s, chips, &t, &err), TS_EINPUT);
  assert_null(t);
  if (!strstr(err.msg, needle)) fail_msg("message '%s' lacks '%s'", err.msg, needle);
}

/* ---- brute force oracles ------------------------------------------------------------------- */
/* Hop distances from src by BFS over the links of the given tier (or both when tier < 0). */
static void bfs(const hw_topo *t, int64_t src, int tier, int *dist) {
  int64_t nv = hw_topo_vertex_count(t);
  int32_t nl = hw_topo_link_count(t);
  for (int64_t v = 0; v < nv; v++) dist[v] = -1;
  dist[src] = 0;
  for (int level = 0, grew = 1; grew; level++) {
    grew = 0;
    for (int32_t i = 0; i < nl; i++) {
      const hw_link *l = hw_topo_link(t, i);
      if ((tier < 0 || l->tier == tier) && dist[l->from] == level && dist[l->to] < 0) {
        dist[l->to] = level + 1;
        grew = 1;
      }
    }
  }
}

/* Largest BFS distance between two chips over the given tier. */
static int bfs_diameter(const hw_topo *t, int tier) {
  int64_t chips = hw_topo_chips(t);
  int *dist = malloc((size_t)hw_topo_vertex_count(t) * sizeof *dist);
  int best = 0;
  for (int64_t a = 0; a < chips; a++) {
    bfs(t, a, tier, dist);
    for (int64_t b = 0; b < chips; b++)
      if (dist[b] > best) best = dist[b];
  }
  free(dist);
  return best;
}

/* Capacity from side 0 to side 1 of one assignment of every vertex. */
static double cut_Bps(const hw_topo *t, const uint8_t *side) {
  double Bps = 0;
  for (int32_t i = 0; i < hw_topo_link_count(t); i++) {
    const hw_link *l = hw_topo_link(t, i);
    if (side[l->from] == 0 && side[l->to] == 1) Bps += l->Bps;
  }
  return Bps;
}

/* Minimum over every split of the chips into floor(n/2) | ceil(n/2) (chip 0 on the small side
 * when n is even, both ways otherwise) and every placement of the switch vertices. */
static double brute_bisection_Bps(const hw_topo *t) {
  int n = (int)hw_topo_chips(t);
  int nv = (int)hw_topo_vertex_count(t), ns = nv - n;
  assert_true(n <= 20 && ns <= 12);
  uint8_t *side = calloc((size_t)nv, 1);
  double best = INFINITY;
  for (uint32_t mask = 0; mask < (1u << n); mask++) {
    if (__builtin_popcount(mask) != n / 2) continue;
    if (n % 2 == 0 && !(mask & 1)) continue;
    for (int c = 0; c < n; c++) side[c] = (mask >> c) & 1 ? 0 : 1;
    for (uint32_t sw = 0; sw < (1u << ns); sw++) {
      for (int s = 0; s < ns; s++) side[n + s] = (sw >> s) & 1;
      double cut = cut_Bps(t, side);
      if (cut < best) best = cut;
    }
  }
  free(side);
  return best;
}

/* Checks that a route starts at src, its links chain, it ends at dst, and that a route inside
 * one domain stays on the scale-up tier. Returns the hop count. */
static int check_route(const hw_topo *t, int64_t src, int64_t dst) {
  int32_t links[HW_ROUTE_MAX];
  int hops = hw_topo_route(t, src, dst, links);
  assert_true(hops >= 0 && hops <= HW_ROUTE_MAX);
  if (src == dst) {
    assert_int_equal(hops, 0);
    return 0;
  }
  assert_true(hops >= 1);
  bool same_domain = hw_topo_domain_of(t, src) == hw_topo_domain_of(t, dst);
  int64_t at = src;
  for (int i = 0; i < hops; i++) {
    const hw_link *l = hw_topo_link(t, links[i]);
    assert_non_null(l);
    assert_int_equal(l->from, at);
    assert_int_equal(l->tier, same_domain ? HW_TIER_SCALEUP : HW_TIER_SCALEOUT);
    at = l->to;
  }
  assert_int_equal(at, dst);
  assert_int_equal(hw_topo_hops(t, src, dst), hops);
  return hops;
}

/* Every pair: route valid and its hop count equals the BFS distance over its tier. */
static void check_routes_are_shortest(const hw_topo *t) {
  int64_t chips = hw_topo_chips(t);
  int *up = malloc((size_t)hw_topo_vertex_count(t) * sizeof *up);
  int *out = malloc((size_t)hw_topo_vertex_count(t) * sizeof *out);
  for (int64_t a = 0; a < chips; a++) {
    bfs(t, a, HW_TIER_SCALEUP, up);
    bfs(t, a, HW_TIER_SCALEOUT, out);
    for (int64_t b = 0; b < chips; b++) {
      bool same = hw_topo_domain_of(t, a) == hw_topo_domain_of(t, b);
      assert_int_equal(check_route(t, a, b), same ? up[b] : out[b]);
    }
  }
  free(up);
  free(out);
}

static int max_route_hops(const hw_topo *t) {
  int best = 0;
  for (int64_t a = 0; a < hw_topo_chips(t); a++)
    for (int64_t b = 0; b < hw_topo_chips(t); b++) {
      int h = hw_topo_hops(t, a, b);
      if (h > best) best = h;
    }
  return best;
}

static uint64_t lcg(uint64_t *state) {
  *state = *state * 6364136223846793005ull + 1442695040888963407ull;
  return *state >> 33;
}

/* ---- torus and ring ------------------------------------------------------------------------ */
static void test_torus_kxk_each_chip_has_four_neighbours(void **state) {
  (void)state;
  for (int k = 4; k <= 6; k += 2) {
    hw_system s = sys_torus(k, k, 1);
    hw_topo *t = topo_ok(&s, k * k);
    int n = k * k;
    assert_int_equal(hw_topo_link_count(t), 4 * n); /* 2n physical links, two directions */
    for (int c = 0; c < n; c++) {
      int neighbours[8], count = 0;
      for (int32_t i = 0; i < hw_topo_link_count(t); i++) {
        const hw_link *l = hw_topo_link(t, i);
        if (l->from != c) continue;
        bool seen = false;
        for (int j = 0; j < count; j++) seen |= neighbours[j] == l->to;
        if (!seen) neighbours[count++] = l->to;
      }
      assert_int_equal(count, 4);
    }
    hw_topo_free(t);
  }
}

static void test_torus_diameter_is_sum_of_half_dims(void **state) {
  (void)state;
  const int cases[][4] = {{4, 4, 1, 4}, {6, 6, 1, 6}, {4, 4, 4, 6}, {3, 5, 1, 3}, {2, 4, 2, 4}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    hw_system s = sys_torus(cases[i][0], cases[i][1], cases[i][2]);
    hw_topo *t = topo_ok(&s, s.up.domain_chips);
    assert_int_equal(hw_topo_domain_diameter(t), cases[i][3]);
    assert_int_equal(hw_topo_diameter(t), cases[i][3]);
    assert_int_equal(bfs_diameter(t, HW_TIER_SCALEUP), cases[i][3]);
    check_routes_are_shortest(t);
    hw_topo_free(t);
  }
}

/* k x k torus, k even, one link of B per neighbour and direction. Cut it into two k x k/2 halves
 * across y: each of the k columns (a ring of k along y) is cut twice — between rows k/2-1 and k/2
 * and at the wrap-around between rows k-1 and 0 — so 2k links cross, and in one direction the
 * cut carries 2k·B. No balanced cut is smaller (edge isoperimetry of the torus, Bollobás–Leader);
 * brute force over all C(16,8)/2 splits checks it for k=4. For k=6 (C(36,18) splits) the test
 * checks the straight cut on the built graph and that local search from many starts finds
 * nothing smaller. */
static double local_search_cut(const hw_topo *t, uint64_t *rng) {
  int n = (int)hw_topo_chips(t);
  uint8_t side[64];
  for (int c = 0; c < n; c++) side[c] = c < n / 2 ? 0 : 1;
  for (int i = n - 1; i > 0; i--) { /* shuffle */
    int j = (int)(lcg(rng) % (uint64_t)(i + 1));
    uint8_t tmp = side[i];
    side[i] = side[j];
    side[j] = tmp;
  }
  double cut = cut_Bps(t, side);
  for (bool better = true; better;) {
    better = false;
    for (int a = 0; a < n; a++)
      for (int b = 0; b < n; b++) {
        if (side[a] != 0 || side[b] != 1) continue;
        side[a] = 1, side[b] = 0;
        double c2 = cut_Bps(t, side);
        if (c2 < cut)
          cut = c2, better = true;
        else
          side[a] = 0, side[b] = 1;
      }
  }
  return cut;
}

static void test_torus_kxk_bisection_is_2k_links(void **state) {
  (void)state;
  hw_system s = sys_torus(4, 4, 1);
  hw_topo *t = topo_ok(&s, 16);
  double B = s.up.link_Bps;
  assert_near(hw_topo_domain_bisection_Bps(t), 2 * 4 * B, 1);
  assert_near(hw_topo_bisection_Bps(t), 2 * 4 * B, 1);
  assert_near(brute_bisection_Bps(t), 2 * 4 * B, 1);
  hw_topo_free(t);

  s = sys_torus(6, 6, 1);
  t = topo_ok(&s, 36);
  assert_near(hw_topo_domain_bisection_Bps(t), 2 * 6 * B, 1);
  uint8_t side[36];
  for (int c = 0; c < 36; c++) side[c] = c < 18 ? 0 : 1; /* rows 0-2 | rows 3-5 */
  assert_near(cut_Bps(t, side), 2 * 6 * B, 1);
  uint64_t rng = 42;
  for (int start = 0; start < 30; start++) assert_true(local_search_cut(t, &rng) >= 2 * 6 * B - 1);
  hw_topo_free(t);
}

static void test_torus_bisection_follows_the_narrowest_dimension(void **state) {
  (void)state;
  /* 4x4x4 UltraServer with a slower Z ring: the cut across z meets 16 z-rings twice. */
  hw_system s = sys_torus(4, 4, 4);
  s.up.dim_link_Bps[0] = s.up.dim_link_Bps[1] = 256.0 * GBPS;
  s.up.dim_link_Bps[2] = 64.0 * GBPS;
  hw_topo *t = topo_ok(&s, 64);
  assert_near(hw_topo_domain_bisection_Bps(t), 2 * 16 * 64.0 * GBPS, 1);
  hw_topo_free(t);
  /* 2x4x2 with different links per dimension: brute force agrees with min_i 2 N/d_i B_i. */
  s = sys_torus(2, 4, 2);
  s.up.dim_link_Bps[0] = 10.0 * GBPS;
  s.up.dim_link_Bps[1] = 30.0 * GBPS;
  s.up.dim_link_Bps[2] = 25.0 * GBPS;
  t = topo_ok(&s, 16);
  double expect = fmin(fmin(2 * 8 * 10.0, 2 * 4 * 30.0), 2 * 8 * 25.0) * GBPS;
  assert_near(hw_topo_domain_bisection_Bps(t), expect, 1);
  assert_near(brute_bisection_Bps(t), expect, 1);
  hw_topo_free(t);
}

static void test_ring_diameter_is_half_n(void **state) {
  (void)state;
  for (int n = 2; n <= 9; n++) {
    hw_system s = sys_ring(n);
    hw_topo *t = topo_ok(&s, n);
    assert_int_equal(hw_topo_domain_diameter(t), n / 2);
    assert_int_equal(bfs_diameter(t, HW_TIER_SCALEUP), n / 2);
    check_routes_are_shortest(t);
    hw_topo_free(t);
  }
}

static void test_ring_bisection_is_two_links(void **state) {
  (void)state;
  for (int n = 2; n <= 10; n++) { /* n = 2: the + and - links are two parallel links */
    hw_system s = sys_ring(n);
    s.up.links_per_chip = 2; /* two links per neighbour: 2 x link_Bps each way */
    hw_topo *t = topo_ok(&s, n);
    double B = 2 * s.up.link_Bps;
    assert_near(hw_topo_dim_link_Bps(t, 0), B, 1);
    assert_near(hw_topo_domain_bisection_Bps(t), 2 * B, 1);
    assert_near(brute_bisection_Bps(t), 2 * B, 1);
    hw_topo_free(t);
  }
}

static void test_ring_without_dims_spans_the_domain(void **state) {
  (void)state;
  hw_system s = sys_base(HW_TOPO_RING, 6);
  hw_topo *t = topo_ok(&s, 6);
  assert_int_equal(hw_topo_domain_diameter(t), 3);
  hw_topo_free(t);
}

/* ---- switches and mesh --------------------------------------------------------------------- */
static void test_switch_domain_every_pair_two_hops(void **state) {
  (void)state;
  hw_system s = sys_switch(8);
  hw_topo *t = topo_ok(&s, 8);
  for (int a = 0; a < 8; a++)
    for (int b = 0; b < 8; b++) assert_int_equal(check_route(t, a, b), a == b ? 0 : 2);
  assert_int_equal(hw_topo_diameter(t), 2);
  assert_int_equal(bfs_diameter(t, HW_TIER_SCALEUP), 2);
  assert_near(hw_topo_domain_bisection_Bps(t), 4 * s.up.chip_Bps, 1);
  assert_near(brute_bisection_Bps(t), 4 * s.up.chip_Bps, 1);
  assert_near(hw_topo_dim_Bps(t, 0), s.up.chip_Bps, 1);
  hw_topo_free(t);
}

static void test_switch2_two_hops_in_group_four_across(void **state) {
  (void)state;
  hw_system s = sys_switch2(8, 2);
  hw_topo *t = topo_ok(&s, 8);
  for (int a = 0; a < 8; a++)
    for (int b = 0; b < 8; b++)
      assert_int_equal(check_route(t, a, b), a == b ? 0 : a / 2 == b / 2 ? 2 : 4);
  check_routes_are_shortest(t);
  assert_int_equal(hw_topo_domain_diameter(t), 4);
  assert_int_equal(bfs_diameter(t, HW_TIER_SCALEUP), 4);
  /* non-blocking: half the chips' links, whichever way the cut runs */
  assert_near(hw_topo_domain_bisection_Bps(t), 4 * s.up.chip_Bps, 1);
  assert_near(brute_bisection_Bps(t), 4 * s.up.chip_Bps, 1);
  hw_topo_free(t);
  s = sys_switch2(6, 6); /* one group: no second level needed */
  t = topo_ok(&s, 6);
  assert_int_equal(hw_topo_domain_diameter(t), 2);
  hw_topo_free(t);
}

static void test_mesh_every_pair_one_hop(void **state) {
  (void)state;
  hw_system s = sys_base(HW_TOPO_MESH, 8);
  s.up.link_Bps = 64.0 * GBPS;
  hw_topo *t = topo_ok(&s, 8);
  for (int a = 0; a < 8; a++)
    for (int b = 0; b < 8; b++) assert_int_equal(check_route(t, a, b), a == b ? 0 : 1);
  assert_int_equal(hw_topo_link_count(t), 8 * 7);
  assert_near(hw_topo_dim_Bps(t, 0), 7 * 64.0 * GBPS, 1);
  assert_near(hw_topo_domain_bisection_Bps(t), 16 * 64.0 * GBPS, 1);
  assert_near(brute_bisection_Bps(t), 16 * 64.0 * GBPS, 1);
  hw_topo_free(t);
}

static void test_mesh_shares_chip_bandwidth_when_no_link_given(void **state) {
  (void)state;
  hw_system s = sys_base(HW_TOPO_MESH, 8);
  s.up.link_Bps = 0;
  s.up.chip_Bps = 7 * 64.0 * GBPS;
  hw_topo *t = topo_ok(&s, 8);
  assert_near(hw_topo_dim_link_Bps(t, 0), 64.0 * GBPS, 1);
  hw_topo_free(t);
}

/* ---- scale-out fat-tree -------------------------------------------------------------------- */
static void test_fat_tree_oversubscription_divides_bisection(void **state) {
  (void)state;
  /* 4 domains x 2 chips, rail leaves of 2 NICs: 4 leaves, each side of the cut holds two. */
  double bis[2];
  const double ratio[2] = {1, 2};
  for (int i = 0; i < 2; i++) {
    hw_system s = sys_switch(2);
    s.out.leaf_chips = 2;
    s.out.oversubscription = ratio[i];
    hw_topo *t = topo_ok(&s, 8);
    bis[i] = hw_topo_bisection_Bps(t);
    assert_near(bis[i], 8 * s.out.nic_Bps_per_chip / (2 * ratio[i]), 1);
    assert_near(brute_bisection_Bps(t), bis[i], 1);
    hw_topo_free(t);
  }
  assert_near(bis[0] / bis[1], 2, 1e-12);
}

static void test_fat_tree_below_one_is_limited_by_the_nics(void **state) {
  (void)state;
  hw_system s = sys_switch(2);
  s.out.leaf_chips = 2;
  s.out.oversubscription = 0.5;
  hw_topo *t = topo_ok(&s, 8);
  assert_near(hw_topo_bisection_Bps(t), 8 * s.out.nic_Bps_per_chip / 2, 1);
  assert_near(brute_bisection_Bps(t), 8 * s.out.nic_Bps_per_chip / 2, 1);
  hw_topo_free(t);
}

static void test_rail_optimized_leaf_groups_same_local_index(void **state) {
  (void)state;
  hw_system s = sys_switch(8);
  s.out.leaf_chips = 4;
  hw_topo *t = topo_ok(&s, 64); /* 8 domains: rails of 4 consecutive domains */
  assert_int_equal(hw_topo_leaf_of(t, 3), hw_topo_leaf_of(t, 3 + 8 * 3));
  assert_true(hw_topo_leaf_of(t, 3) != hw_topo_leaf_of(t, 3 + 8 * 4));
  assert_true(hw_topo_leaf_of(t, 3) != hw_topo_leaf_of(t, 4 + 8));
  assert_int_equal(check_route(t, 3, 3 + 8 * 3), 2); /* same rail, same leaf */
  assert_int_equal(check_route(t, 3, 3 + 8 * 4), 4); /* same rail, next leaf */
  assert_int_equal(check_route(t, 3, 4 + 8), 4);     /* other rail */
  assert_int_equal(check_route(t, 3, 5), 2);         /* same domain: NVSwitch */
  assert_int_equal(hw_topo_diameter(t), 4);
  hw_topo_free(t);
  s.out.rail_optimized = false;
  t = topo_ok(&s, 64);
  assert_int_equal(hw_topo_leaf_of(t, 0), hw_topo_leaf_of(t, 3));
  assert_true(hw_topo_leaf_of(t, 3) != hw_topo_leaf_of(t, 4));
  hw_topo_free(t);
}

static void test_routes_are_shortest_over_domains_and_fat_tree(void **state) {
  (void)state;
  hw_system systems[4] = {sys_switch(4), sys_torus(4, 2, 1), sys_switch2(4, 2),
                          sys_base(HW_TOPO_MESH, 4)};
  for (int i = 0; i < 4; i++)
    for (int rail = 0; rail < 2; rail++) {
      systems[i].out.rail_optimized = rail;
      systems[i].out.leaf_chips = 3;
      hw_topo *t = topo_ok(&systems[i], 30); /* last domain partly filled */
      check_routes_are_shortest(t);
      assert_int_equal(hw_topo_diameter(t), max_route_hops(t));
      hw_topo_free(t);
    }
}

static void test_scaleout_route_latency_sums_to_end_to_end(void **state) {
  (void)state;
  hw_system s = sys_switch(8);
  hw_topo *t = topo_ok(&s, 64);
  int32_t links[HW_ROUTE_MAX];
  int hops = hw_topo_route(t, 0, 63, links);
  assert_int_equal(hops, 4);
  double latency_s = 0, min_Bps = INFINITY;
  for (int i = 0; i < hops; i++) {
    latency_s += hw_topo_link(t, links[i])->latency_s;
    min_Bps = fmin(min_Bps, hw_topo_link(t, links[i])->Bps);
  }
  assert_near(latency_s, s.out.latency_s, 1e-15);
  assert_near(min_Bps, s.out.nic_Bps_per_chip, 1);
  hw_topo_free(t);
}

/* ---- general properties -------------------------------------------------------------------- */
static void test_partly_filled_last_domain_keeps_only_present_chips(void **state) {
  (void)state;
  hw_system s = sys_switch(8);
  hw_topo *t = topo_ok(&s, 20);
  assert_int_equal(hw_topo_domain_count(t), 3);
  assert_int_equal(hw_topo_domain_size(t, 2), 4);
  assert_int_equal(hw_topo_domain_size(t, 3), 0);
  assert_int_equal(hw_topo_domain_of(t, 19), 2);
  assert_int_equal(hw_topo_local_index(t, 19), 3);
  assert_int_equal(check_route(t, 16, 19), 2);
  hw_topo_free(t);

  /* 4x4 torus, 16 + 6 chips: the last domain is row 0 (a ring of 4) and half of row 1. */
  s = sys_torus(4, 4, 1);
  s.out.leaf_chips = 2;
  t = topo_ok(&s, 22);
  for (int32_t i = 0; i < hw_topo_link_count(t); i++) {
    const hw_link *l = hw_topo_link(t, i);
    assert_true(l->from < hw_topo_vertex_count(t) && l->to < hw_topo_vertex_count(t));
    if (l->tier == HW_TIER_SCALEUP && l->from >= 16) assert_true(l->to >= 16 && l->to < 22);
  }
  /* links inside the partial domain: row 0 ring 4x2, row 1 pair 2, columns 2x2 = 14 */
  int partial = 0;
  for (int32_t i = 0; i < hw_topo_link_count(t); i++)
    partial += hw_topo_link(t, i)->tier == HW_TIER_SCALEUP && hw_topo_link(t, i)->from >= 16;
  assert_int_equal(partial, 14);
  check_routes_are_shortest(t);
  assert_int_equal(hw_topo_domain_diameter(t), 4);
  hw_topo_free(t);

  /* one partly filled domain alone: 8 of a 4x4 torus = rows 0 and 1 (y-wrap absent) */
  t = topo_ok(&s, 8);
  assert_int_equal(hw_topo_domain_count(t), 1);
  assert_int_equal(hw_topo_diameter(t), bfs_diameter(t, HW_TIER_SCALEUP));
  assert_near(hw_topo_bisection_Bps(t), brute_bisection_Bps(t), 1);
  hw_topo_free(t);
}

static void test_routes_connect_and_end_at_dst_for_random_pairs(void **state) {
  (void)state;
  hw_system systems[5] = {sys_switch(8), sys_torus(4, 4, 4), sys_switch2(144, 4), sys_ring(7),
                          sys_base(HW_TOPO_MESH, 8)};
  uint64_t rng = 7;
  for (int i = 0; i < 5; i++) {
    int64_t chips = 10 * systems[i].up.domain_chips + 3;
    hw_topo *t = topo_ok(&systems[i], chips);
    for (int k = 0; k < 2000; k++) {
      int64_t a = (int64_t)(lcg(&rng) % (uint64_t)chips),
              b = (int64_t)(lcg(&rng) % (uint64_t)chips);
      if (k % 4 == 0)
        b = hw_topo_domain_of(t, a) * systems[i].up.domain_chips +
            (int64_t)(lcg(&rng) % (uint64_t)hw_topo_domain_size(t, hw_topo_domain_of(t, a)));
      check_route(t, a, b);
    }
    hw_topo_free(t);
  }
}

static void test_route_hops_are_symmetric(void **state) {
  (void)state;
  hw_system systems[4] = {sys_torus(4, 4, 4), sys_torus(3, 5, 1), sys_switch2(8, 2), sys_ring(5)};
  for (int i = 0; i < 4; i++) {
    int64_t chips = 2 * systems[i].up.domain_chips + systems[i].up.domain_chips / 2 + 1;
    hw_topo *t = topo_ok(&systems[i], chips);
    for (int64_t a = 0; a < chips; a++)
      for (int64_t b = 0; b < chips; b++)
        assert_int_equal(hw_topo_hops(t, a, b), hw_topo_hops(t, b, a));
    hw_topo_free(t);
  }
}

static void test_dim_bandwidth_is_both_neighbours_per_dimension(void **state) {
  (void)state;
  hw_system s = sys_torus(4, 4, 4);
  s.up.dim_link_Bps[0] = s.up.dim_link_Bps[1] = 256.0 * GBPS;
  s.up.dim_link_Bps[2] = 64.0 * GBPS;
  hw_topo *t = topo_ok(&s, 64);
  assert_near(hw_topo_dim_Bps(t, 0), 512.0 * GBPS, 1);
  assert_near(hw_topo_dim_Bps(t, 2), 128.0 * GBPS, 1);
  assert_near(hw_topo_dim_link_Bps(t, 2), 64.0 * GBPS, 1);
  assert_near(hw_topo_dim_Bps(t, 3), 0, 0);
  int32_t links[HW_ROUTE_MAX];
  assert_int_equal(hw_topo_route(t, 0, 16, links), 1); /* +z neighbour */
  assert_int_equal(hw_topo_link(t, links[0])->dim, 2);
  hw_topo_free(t);
}

static void test_out_of_range_chips_have_no_route(void **state) {
  (void)state;
  hw_system s = sys_switch(8);
  hw_topo *t = topo_ok(&s, 8);
  int32_t links[HW_ROUTE_MAX];
  assert_int_equal(hw_topo_route(t, 0, 8, links), -1);
  assert_int_equal(hw_topo_route(t, -1, 0, links), -1);
  assert_null(hw_topo_link(t, hw_topo_link_count(t)));
  assert_int_equal(hw_topo_leaf_of(t, 0), -1); /* one domain: no scale-out */
  assert_near(hw_topo_bisection_Bps(t), hw_topo_domain_bisection_Bps(t), 0);
  hw_topo_free(t);
}

static void test_large_cluster_link_count_matches_closed_form(void **state) {
  (void)state;
  hw_system s = sys_torus(4, 4, 4); /* trn2 UltraServer-like, 20,000 chips */
  s.out.leaf_chips = 32;
  hw_topo *t = topo_ok(&s, 20000);
  int64_t domains = (20000 + 63) / 64, leaves = 64 * ((domains + 31) / 32);
  /* last domain: 32 chips = z layers 0 and 1; x and y rings whole (4 links out per chip), z only
   * between the two layers (16 pairs, both directions) */
  int64_t partial = 20000 - 64 * (domains - 1);
  assert_int_equal(partial, 32);
  assert_int_equal(hw_topo_link_count(t),
                   6 * 64 * (domains - 1) + 4 * partial + 2 * 16 + 2 * 20000 + 2 * leaves);
  assert_int_equal(check_route(t, 0, 19999), 4);
  assert_int_equal(check_route(t, 19990, 19999), hw_topo_hops(t, 19999, 19990));
  hw_topo_free(t);
}

/* ---- bad input ----------------------------------------------------------------------------- */
static void test_rejects_bad_chip_counts_and_kinds(void **state) {
  (void)state;
  hw_system s = sys_switch(8);
  expect_error(&s, 0, "chips is 0");
  s.up.kind = (hw_topo_kind)HW_TOPO_KIND_COUNT;
  expect_error(&s, 8, "up.kind");
  s = sys_switch(0);
  expect_error(&s, 8, "up.domain_chips is 0");
  s = sys_switch(8);
  s.up.latency_s = -1;
  expect_error(&s, 8, "up.latency_s");
}

static void test_rejects_torus_dims_not_multiplying_to_domain(void **state) {
  (void)state;
  hw_system s = sys_torus(4, 4, 1);
  s.up.domain_chips = 15;
  expect_error(&s, 15, "up.dims multiply to 16");
  s = sys_torus(4, 4, 1);
  s.up.ndims = 4;
  expect_error(&s, 16, "up.ndims is 4");
  s = sys_torus(4, 4, 1);
  s.up.dims[1] = 0;
  expect_error(&s, 16, "up.dims[1] is 0");
  s = sys_ring(8);
  s.up.ndims = 2;
  expect_error(&s, 8, "expected 1 for a ring");
  s = sys_ring(8);
  s.up.dims[0] = 7;
  expect_error(&s, 8, "up.dims multiply to 7");
}

static void test_rejects_nonpositive_bandwidths(void **state) {
  (void)state;
  hw_system s = sys_torus(4, 4, 1);
  s.up.link_Bps = 0;
  expect_error(&s, 16, "along dimension 0");
  s = sys_torus(4, 4, 1);
  s.up.links_per_chip = 0;
  expect_error(&s, 16, "up.links_per_chip is 0");
  s = sys_switch(8);
  s.up.chip_Bps = 0;
  s.up.link_Bps = NAN;
  expect_error(&s, 8, "up.chip_Bps");
  s = sys_base(HW_TOPO_MESH, 8);
  s.up.link_Bps = -1;
  expect_error(&s, 8, "up.link_Bps");
}

static void test_rejects_missing_scaleout_with_several_domains(void **state) {
  (void)state;
  hw_system s = sys_switch(8);
  s.out.leaf_chips = 0;
  hw_topo *t = topo_ok(&s, 8); /* one domain needs no scale-out */
  hw_topo_free(t);
  expect_error(&s, 16, "out.leaf_chips is 0");
  s = sys_switch(8);
  s.out.nic_Bps_per_chip = 0;
  expect_error(&s, 16, "out.nic_Bps_per_chip");
  s = sys_switch(8);
  s.out.oversubscription = 0;
  expect_error(&s, 16, "out.oversubscription");
  s = sys_switch(8);
  s.out.latency_s = INFINITY;
  expect_error(&s, 16, "out.latency_s");
}

static void test_rejects_switch2_group_not_dividing_domain(void **state) {
  (void)state;
  hw_system s = sys_switch2(144, 5);
  expect_error(&s, 144, "up.group_chips is 5");
  s = sys_switch2(144, 0);
  expect_error(&s, 144, "up.group_chips is 0");
}

static void test_rejects_diameter_beyond_route_max(void **state) {
  (void)state;
  hw_system s = sys_ring(34); /* diameter 17 > HW_ROUTE_MAX */
  expect_error(&s, 34, "diameter is 17");
  s = sys_ring(32);
  hw_topo *t = topo_ok(&s, 32);
  assert_int_equal(hw_topo_domain_diameter(t), 16);
  hw_topo_free(t);
  /* 32 + 18 chips: the last ring lacks its wrap-around, a path of 18 chips is 17 hops long */
  expect_error(&s, 50, "has diameter 17");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_torus_kxk_each_chip_has_four_neighbours),
      cmocka_unit_test(test_torus_diameter_is_sum_of_half_dims),
      cmocka_unit_test(test_torus_kxk_bisection_is_2k_links),
      cmocka_unit_test(test_torus_bisection_follows_the_narrowest_dimension),
      cmocka_unit_test(test_ring_diameter_is_half_n),
      cmocka_unit_test(test_ring_bisection_is_two_links),
      cmocka_unit_test(test_ring_without_dims_spans_the_domain),
      cmocka_unit_test(test_switch_domain_every_pair_two_hops),
      cmocka_unit_test(test_switch2_two_hops_in_group_four_across),
      cmocka_unit_test(test_mesh_every_pair_one_hop),
      cmocka_unit_test(test_mesh_shares_chip_bandwidth_when_no_link_given),
      cmocka_unit_test(test_fat_tree_oversubscription_divides_bisection),
      cmocka_unit_test(test_fat_tree_below_one_is_limited_by_the_nics),
      cmocka_unit_test(test_rail_optimized_leaf_groups_same_local_index),
      cmocka_unit_test(test_routes_are_shortest_over_domains_and_fat_tree),
      cmocka_unit_test(test_scaleout_route_latency_sums_to_end_to_end),
      cmocka_unit_test(test_partly_filled_last_domain_keeps_only_present_chips),
      cmocka_unit_test(test_routes_connect_and_end_at_dst_for_random_pairs),
      cmocka_unit_test(test_route_hops_are_symmetric),
      cmocka_unit_test(test_dim_bandwidth_is_both_neighbours_per_dimension),
      cmocka_unit_test(test_out_of_range_chips_have_no_route),
      cmocka_unit_test(test_large_cluster_link_count_matches_closed_form),
      cmocka_unit_test(test_rejects_bad_chip_counts_and_kinds),
      cmocka_unit_test(test_rejects_torus_dims_not_multiplying_to_domain),
      cmocka_unit_test(test_rejects_nonpositive_bandwidths),
      cmocka_unit_test(test_rejects_missing_scaleout_with_several_domains),
      cmocka_unit_test(test_rejects_switch2_group_not_dividing_domain),
      cmocka_unit_test(test_rejects_diameter_beyond_route_max),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
