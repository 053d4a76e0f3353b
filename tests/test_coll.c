/* Collectives on an idle network against closed forms (B: bandwidth, a: per-hop latency,
 * S: bytes, n: ranks), link sharing between sibling groups, AUTO's choice table, fallbacks and
 * the error paths. Systems are built in code so every figure is known. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "sim/sim.h"

static const double B = 100e9, ALPHA = 1e-6, S = 64e6;

static void assert_close(double got, double want) {
  if (fabs(got - want) > 1e-9 * fabs(want)) fail_msg("got %.15g, want %.15g", got, want);
}

static hw_system ring_system(int n) {
  hw_system s = {.name = "test-ring", .stack = "nccl"};
  s.up = (hw_scaleup){.kind = HW_TOPO_RING,
                      .domain_chips = n,
                      .ndims = 1,
                      .dims = {n},
                      .link_Bps = B,
                      .links_per_chip = 1,
                      .latency_s = ALPHA};
  return s;
}

static hw_system torus_system(const char *stack) {
  hw_system s = {.name = "test-torus"};
  strcpy(s.stack, stack);
  s.up = (hw_scaleup){.kind = HW_TOPO_TORUS,
                      .domain_chips = 16,
                      .ndims = 2,
                      .dims = {4, 4},
                      .link_Bps = B,
                      .links_per_chip = 1,
                      .latency_s = ALPHA};
  s.out = (hw_scaleout){
      .nic_Bps_per_chip = 25e9, .latency_s = 4 * ALPHA, .leaf_chips = 16, .oversubscription = 1};
  return s;
}

/* NVSwitch-like domains of `domain` chips; scale-out NIC nic_Bps, leaves of leaf_chips. */
static hw_system switch_system(int domain, double nic_Bps, int leaf_chips, double over) {
  hw_system s = {.name = "test-switch", .stack = "nccl"};
  s.up = (hw_scaleup){
      .kind = HW_TOPO_SWITCH, .domain_chips = domain, .chip_Bps = B, .latency_s = ALPHA};
  s.out = (hw_scaleout){.nic_Bps_per_chip = nic_Bps,
                        .latency_s = 4 * ALPHA,
                        .leaf_chips = leaf_chips,
                        .oversubscription = over};
  s.chip.hbm_Bps = 1e12;
  return s;
}

static hw_topo *topo_of(const hw_system *sys, int64_t chips) {
  hw_topo *t = NULL;
  ts_err err = {0};
  if (hw_topo_new(sys, chips, &t, &err) != TS_OK) fail_msg("%s", err.msg);
  return t;
}

static coll_result time_of(const hw_topo *t, const hw_system *sys, trace_op_kind kind, double bytes,
                           int64_t n_groups, int64_t size, const int64_t *chips, coll_algo algo) {
  coll_groups g = {.n_groups = n_groups, .group_size = size, .chips = chips};
  coll_result r = {0};
  ts_err err = {0};
  if (coll_time(t, sys, kind, bytes, &g, algo, &r, &err) != TS_OK) fail_msg("%s", err.msg);
  return r;
}

static void iota(int64_t *c, int64_t n, int64_t first, int64_t stride) {
  for (int64_t i = 0; i < n; i++) c[i] = first + i * stride;
}

static void test_ring_allreduce_on_ring_is_2_nminus1_alpha_plus_S_over_nB(void **state) {
  (void)state;
  hw_system sys = ring_system(8);
  hw_topo *t = topo_of(&sys, 8);
  int64_t c[8];
  iota(c, 8, 0, 1);
  coll_result r = time_of(t, &sys, TRACE_OP_ALL_REDUCE, S, 1, 8, c, COLL_ALGO_RING);
  assert_close(r.seconds, 2 * 7 * (ALPHA + S / (8 * B)));
  assert_int_equal(r.algo, COLL_ALGO_RING);
  assert_int_equal(r.steps, 14);
  r = time_of(t, &sys, TRACE_OP_ALL_GATHER, S, 1, 8, c, COLL_ALGO_RING);
  assert_close(r.seconds, 7 * (ALPHA + S / (8 * B)));
  r = time_of(t, &sys, TRACE_OP_REDUCE_SCATTER, S, 1, 8, c, COLL_ALGO_RING);
  assert_close(r.seconds, 7 * (ALPHA + S / (8 * B)));
  hw_topo_free(t);
}

static void test_bidirectional_ring_halves_the_bandwidth_term(void **state) {
  (void)state;
  hw_system sys = ring_system(8);
  hw_topo *t = topo_of(&sys, 8);
  int64_t c[8];
  iota(c, 8, 0, 1);
  coll_result r = time_of(t, &sys, TRACE_OP_ALL_REDUCE, S, 1, 8, c, COLL_ALGO_RING_BIDIR);
  assert_close(r.seconds, 2 * 7 * (ALPHA + S / (2 * 8 * B)));
  assert_int_equal(r.algo, COLL_ALGO_RING_BIDIR);
  hw_topo_free(t);
}

static void test_ring_on_nvswitch_pays_two_hops_per_step(void **state) {
  (void)state;
  hw_system sys = switch_system(8, 0, 0, 1);
  hw_topo *t = topo_of(&sys, 8);
  int64_t c[8];
  iota(c, 8, 0, 1);
  coll_result r = time_of(t, &sys, TRACE_OP_ALL_REDUCE, S, 1, 8, c, COLL_ALGO_RING);
  assert_close(r.seconds, 2 * 7 * (2 * ALPHA + S / (8 * B)));
  r = time_of(t, &sys, TRACE_OP_ALL_GATHER, S, 1, 8, c, COLL_ALGO_RING);
  assert_close(r.seconds, 7 * (2 * ALPHA + S / (8 * B)));
  hw_topo_free(t);
}

/* Recursive halving then doubling, n = 2^m: 2 x sum_j (2a + S/(2^j B)) = 2(2am + S(n-1)/(nB)). */
static void test_rhd_allreduce_on_nvswitch_matches_closed_form(void **state) {
  (void)state;
  hw_system sys = switch_system(8, 0, 0, 1);
  hw_topo *t = topo_of(&sys, 8);
  int64_t c[8];
  iota(c, 8, 0, 1);
  coll_result r = time_of(t, &sys, TRACE_OP_ALL_REDUCE, S, 1, 8, c, COLL_ALGO_RHD);
  assert_close(r.seconds, 2 * (2 * ALPHA * 3 + S * 7 / (8 * B)));
  assert_int_equal(r.steps, 6);
  r = time_of(t, &sys, TRACE_OP_ALL_GATHER, S, 1, 8, c, COLL_ALGO_RHD);
  assert_close(r.seconds, 2 * ALPHA * 3 + S * 7 / (8 * B));
  hw_topo_free(t);
}

/* Double binary tree, pipelined in k chunks of S/(2k): (2D + k - 1) ticks, D = log2 n, and a
 * tick moves one chunk over every tree edge both ways: a rank carries at most 4 flows per
 * direction (3 edges where it is an inner node, 1 where it is a leaf), tick = 2a + 4c/B. The
 * best k is found here by brute force. */
static void test_tree_allreduce_on_nvswitch_matches_pipelined_closed_form(void **state) {
  (void)state;
  hw_system sys = switch_system(8, 0, 0, 1);
  hw_topo *t = topo_of(&sys, 8);
  int64_t c[8];
  iota(c, 8, 0, 1);
  double best = INFINITY, depth = 3;
  for (int k = 1; k <= 100000; k++) {
    double chunk = S / (2.0 * k), s = (2 * depth + k - 1) * (2 * ALPHA + 4 * chunk / B);
    if (s < best) best = s;
  }
  coll_result r = time_of(t, &sys, TRACE_OP_ALL_REDUCE, S, 1, 8, c, COLL_ALGO_TREE);
  assert_close(r.seconds, best);
  assert_int_equal(r.algo, COLL_ALGO_TREE);
  hw_topo_free(t);
}

/* A 4x4 torus: rows of 4 on S, then columns of 4 on S/4, reduce-scatter and all-gather. */
static void test_torus_allreduce_is_sum_of_its_dimensions_rings(void **state) {
  (void)state;
  hw_system sys = torus_system("nccl");
  hw_topo *t = topo_of(&sys, 16);
  int64_t all[16], rows[16], cols[16];
  iota(all, 16, 0, 1);
  iota(rows, 16, 0, 1);
  for (int x = 0; x < 4; x++) iota(cols + 4 * x, 4, x, 4);
  coll_result r = time_of(t, &sys, TRACE_OP_ALL_REDUCE, S, 1, 16, all, COLL_ALGO_TORUS);
  double closed = 6 * (ALPHA + S / (4 * B)) + 6 * (ALPHA + S / (16 * B));
  assert_close(r.seconds, closed);
  assert_int_equal(r.algo, COLL_ALGO_TORUS);
  double x_rings = time_of(t, &sys, TRACE_OP_ALL_REDUCE, S, 4, 4, rows, COLL_ALGO_RING).seconds;
  double y_rings = time_of(t, &sys, TRACE_OP_ALL_REDUCE, S / 4, 4, 4, cols, COLL_ALGO_RING).seconds;
  assert_close(r.seconds, x_rings + y_rings);
  hw_topo_free(t);
}

static void test_send_over_one_link_is_alpha_plus_S_over_B(void **state) {
  (void)state;
  hw_system sys = ring_system(4);
  hw_topo *t = topo_of(&sys, 4);
  int64_t c[2] = {0, 1};
  coll_result r = time_of(t, &sys, TRACE_OP_SEND, S, 1, 2, c, COLL_ALGO_AUTO);
  assert_close(r.seconds, ALPHA + S / B);
  assert_int_equal(r.steps, 1);
  hw_topo_free(t);
}

/* Two domains of 2 chips, leaves of 2 NICs (N each) with uplinks of 2N/2 = N. Group {0,2}
 * alone: each step's flow crosses NIC, uplink, downlink, NIC at N: 2 x (L + S/(2N)). With
 * group {1,3} beside it, two flows share each uplink: 2 x (L + S/N). Without oversubscription
 * (uplinks 2N) the two groups do not slow each other down. */
static void test_dp_groups_sharing_an_oversubscribed_uplink_slow_each_other(void **state) {
  (void)state;
  const double N = 10e9, L = 4 * ALPHA;
  hw_system sys = switch_system(2, N, 2, 2);
  hw_topo *t = topo_of(&sys, 4);
  int64_t both[4] = {0, 2, 1, 3};
  double alone = time_of(t, &sys, TRACE_OP_ALL_REDUCE, S, 1, 2, both, COLL_ALGO_RING).seconds;
  double shared = time_of(t, &sys, TRACE_OP_ALL_REDUCE, S, 2, 2, both, COLL_ALGO_RING).seconds;
  assert_close(alone, 2 * (L + S / (2 * N)));
  assert_close(shared, 2 * (L + S / N));
  hw_topo_free(t);
  sys.out.oversubscription = 1;
  t = topo_of(&sys, 4);
  assert_close(time_of(t, &sys, TRACE_OP_ALL_REDUCE, S, 2, 2, both, COLL_ALGO_RING).seconds, alone);
  hw_topo_free(t);
}

/* Rail-optimised leaves hold the chips of one local index: DP groups {0,2} and {1,3} each stay
 * on their own rail's leaf (chip -> leaf -> chip, 2 of the 4 scale-out hops of latency), so even
 * with oversubscribed uplinks they do not meet: 2 x (L/2 + S/(2N)) together or alone. */
static void test_rail_optimised_leaves_keep_dp_groups_apart(void **state) {
  (void)state;
  const double N = 10e9, L = 4 * ALPHA;
  hw_system sys = switch_system(2, N, 2, 2);
  sys.out.rail_optimized = true;
  hw_topo *t = topo_of(&sys, 4);
  int64_t both[4] = {0, 2, 1, 3};
  assert_close(time_of(t, &sys, TRACE_OP_ALL_REDUCE, S, 2, 2, both, COLL_ALGO_RING).seconds,
               2 * (L / 2 + S / (2 * N)));
  hw_topo_free(t);
}

/* Two domains of 4: intra reduce-scatter (3 steps of S/4 at 2a), inter all-reduce of the S/4
 * shard between the 2 domains (2 steps of S/8, four rails at N each through a leaf uplink of
 * 4N), intra all-gather (3 steps of S/4). */
static void test_hierarchical_allreduce_matches_closed_form(void **state) {
  (void)state;
  const double N = 25e9, L = 4 * ALPHA;
  hw_system sys = switch_system(4, N, 4, 1);
  hw_topo *t = topo_of(&sys, 8);
  int64_t c[8];
  iota(c, 8, 0, 1);
  coll_result r = time_of(t, &sys, TRACE_OP_ALL_REDUCE, S, 1, 8, c, COLL_ALGO_HIER);
  assert_close(r.seconds, 6 * (2 * ALPHA + S / (4 * B)) + 2 * (L + S / (8 * N)));
  assert_int_equal(r.algo, COLL_ALGO_HIER);
  r = time_of(t, &sys, TRACE_OP_ALL_GATHER, S, 1, 8, c, COLL_ALGO_HIER);
  assert_close(r.seconds, 3 * (2 * ALPHA + S / (4 * B)) + (L + S / (8 * N)));
  hw_topo_free(t);
}

/* Every rank sends S/n to each of n - 1 peers at once: n - 1 flows share each chip link. */
static void test_direct_all_to_all_and_mesh_share_chip_links(void **state) {
  (void)state;
  hw_system sys = switch_system(8, 0, 0, 1);
  hw_topo *t = topo_of(&sys, 8);
  int64_t c[8];
  iota(c, 8, 0, 1);
  double step = 2 * ALPHA + (S / 8) * 7 / B;
  coll_result r = time_of(t, &sys, TRACE_OP_ALL_TO_ALL, S, 1, 8, c, COLL_ALGO_AUTO);
  assert_close(r.seconds, step);
  assert_int_equal(r.algo, COLL_ALGO_DIRECT);
  r = time_of(t, &sys, TRACE_OP_ALL_REDUCE, S, 1, 8, c, COLL_ALGO_MESH);
  assert_close(r.seconds, 2 * step);
  hw_topo_free(t);
}

/* Ranks of one chip (NeuronCores) exchange through HBM: an all-gather of 2 ranks is one step of
 * S/2 at the HBM bandwidth, no link latency. */
static void test_ranks_on_one_chip_exchange_at_hbm_bandwidth(void **state) {
  (void)state;
  hw_system sys = switch_system(8, 0, 0, 1);
  hw_topo *t = topo_of(&sys, 8);
  int64_t c[2] = {3, 3};
  coll_result r = time_of(t, &sys, TRACE_OP_ALL_GATHER, S, 1, 2, c, COLL_ALGO_RING);
  assert_close(r.seconds, S / 2 / sys.chip.hbm_Bps);
  hw_topo_free(t);
}

/* Two ranks per chip on a ring of 4 chips: the torus algorithm rings the chip's two ranks first
 * (2 steps of S/2 through HBM), then the 4 chips (6 steps of S/8; the two ranks' rings share
 * each chip-to-chip link, so each flow gets B/2). */
static void test_torus_rings_ranks_of_one_chip_through_hbm_first(void **state) {
  (void)state;
  hw_system sys = ring_system(4);
  sys.chip.hbm_Bps = 1e12;
  hw_topo *t = topo_of(&sys, 4);
  int64_t c[8] = {0, 0, 1, 1, 2, 2, 3, 3};
  coll_result r = time_of(t, &sys, TRACE_OP_ALL_REDUCE, S, 1, 8, c, COLL_ALGO_TORUS);
  assert_close(r.seconds, 2 * (S / 2) / sys.chip.hbm_Bps + 6 * (ALPHA + S / (8 * (B / 2))));
  assert_int_equal(r.steps, 8);
  hw_topo_free(t);
}

/* Neuron numbers the 4x4 torus as a 4-cube (Gray code per ring of 4), so every recursive-halving
 * partner is the next chip along one axis: each step j sends S/2^j over its own link, one hop,
 * T_RS = 4a + S(1/2 + 1/4 + 1/8 + 1/16)/B. (With binary numbering the xor-2 and xor-8 partners
 * are two hops away and share the + links: those steps would take a + S/2^j / (B/2) + a.) */
static void test_rhd_on_torus_pairs_gray_coded_neighbours_one_hop_apart(void **state) {
  (void)state;
  hw_system sys = torus_system("nccl");
  hw_topo *t = topo_of(&sys, 16);
  int64_t c[16];
  iota(c, 16, 0, 1);
  coll_result r = time_of(t, &sys, TRACE_OP_REDUCE_SCATTER, S, 1, 16, c, COLL_ALGO_RHD);
  assert_int_equal(r.algo, COLL_ALGO_RHD);
  assert_int_equal(r.steps, 4);
  assert_close(r.seconds, 4 * ALPHA + S * 15 / (16 * B));
  r = time_of(t, &sys, TRACE_OP_ALL_REDUCE, S, 1, 16, c, COLL_ALGO_RHD);
  assert_close(r.seconds, 2 * (4 * ALPHA + S * 15 / (16 * B)));
  hw_topo_free(t);
  /* a ring of 4 is a 2-cube too: partners 0-1, 2-3 (xor 1) and 0-3, 1-2 (xor 2) are neighbours */
  sys = ring_system(4);
  t = topo_of(&sys, 4);
  int64_t four[4] = {0, 1, 2, 3};
  r = time_of(t, &sys, TRACE_OP_ALL_GATHER, S, 1, 4, four, COLL_ALGO_RHD);
  assert_close(r.seconds, 2 * ALPHA + S * 3 / (4 * B));
  hw_topo_free(t);
}

/* Two ranks per chip: the on-chip exchange takes the largest half (S/2 over HBM, no link), then
 * the chips' four Gray-coded steps carry S/4 .. S/32 per rank, both ranks of a chip over the
 * same link (B/2 each): T_RS = S/(2H) + 4a + 2S(1/4 + 1/8 + 1/16 + 1/32)/B. */
static void test_rhd_on_torus_exchanges_on_chip_first(void **state) {
  (void)state;
  hw_system sys = torus_system("nccl");
  const double H = 1e12;
  sys.chip.hbm_Bps = H;
  hw_topo *t = topo_of(&sys, 16);
  int64_t c[32];
  for (int r = 0; r < 32; r++) c[r] = r / 2;
  coll_result r = time_of(t, &sys, TRACE_OP_REDUCE_SCATTER, S, 1, 32, c, COLL_ALGO_RHD);
  assert_int_equal(r.steps, 5);
  assert_close(r.seconds, S / (2 * H) + 4 * ALPHA + 2 * S * 15 / (32 * B));
  hw_topo_free(t);
}

/* KangaRing on the 4x4 torus, one rank per chip: 15 steps round the snake cycle, S/32 each way
 * per step, every directed link carrying one flow: T_RS = 15 (a + S/(32B)), half the link time
 * of the per-dimension rings. Two ranks per chip: the on-chip step first (S/2 over HBM), then
 * the same 15 steps with both ranks of a chip on each link (S/64 each at B/2). */
static void test_kangaring_goes_both_ways_round_a_hamiltonian_cycle(void **state) {
  (void)state;
  hw_system sys = torus_system("nccl");
  const double H = 1e12;
  sys.chip.hbm_Bps = H;
  hw_topo *t = topo_of(&sys, 16);
  int64_t c[16];
  iota(c, 16, 0, 1);
  coll_result r = time_of(t, &sys, TRACE_OP_REDUCE_SCATTER, S, 1, 16, c, COLL_ALGO_KANGARING);
  assert_int_equal(r.algo, COLL_ALGO_KANGARING);
  assert_int_equal(r.steps, 15);
  assert_close(r.seconds, 15 * (ALPHA + S / (32 * B)));
  r = time_of(t, &sys, TRACE_OP_ALL_REDUCE, S, 1, 16, c, COLL_ALGO_KANGARING);
  assert_close(r.seconds, 2 * 15 * (ALPHA + S / (32 * B)));
  int64_t pairs[32];
  for (int i = 0; i < 32; i++) pairs[i] = i / 2;
  r = time_of(t, &sys, TRACE_OP_ALL_GATHER, S, 1, 32, pairs, COLL_ALGO_KANGARING);
  assert_int_equal(r.steps, 16);
  assert_close(r.seconds, S / (2 * H) + 15 * (ALPHA + S / (64 * (B / 2))));
  hw_topo_free(t);
  /* a group over two instances has no cycle inside one torus: the per-dimension rings */
  t = topo_of(&sys, 32);
  int64_t both[32];
  iota(both, 32, 0, 1);
  assert_int_equal(time_of(t, &sys, TRACE_OP_ALL_REDUCE, S, 1, 32, both, COLL_ALGO_KANGARING).algo,
                   COLL_ALGO_TORUS);
  hw_topo_free(t);
}

/* A workspace notices a different topology even at the same address and with the same groups. */
static void test_workspace_notices_a_new_topology(void **state) {
  (void)state;
  hw_system sys = ring_system(8);
  int64_t c[8];
  iota(c, 8, 0, 1);
  coll_groups g = {.n_groups = 1, .group_size = 8, .chips = c};
  coll_workspace *ws = NULL;
  ts_err err = {0};
  coll_result r;
  assert_int_equal(coll_workspace_new(&ws, &err), TS_OK);
  hw_topo *t = topo_of(&sys, 8);
  assert_int_equal(coll_time_ws(ws, t, &sys, TRACE_OP_ALL_REDUCE, S, &g, 1, &r, &err), TS_OK);
  assert_close(r.seconds, 14 * (ALPHA + S / (8 * B)));
  hw_topo_free(t);
  sys.up.link_Bps = B / 2;
  t = topo_of(&sys, 8);
  assert_int_equal(coll_time_ws(ws, t, &sys, TRACE_OP_ALL_REDUCE, S, &g, 1, &r, &err), TS_OK);
  assert_close(r.seconds, 14 * (ALPHA + S / (4 * B)));
  hw_topo_free(t);
  coll_workspace_free(ws);
}

/* TP groups, one per domain, do not share links: 4 of them take as long as one. */
static void test_sibling_groups_in_their_own_domains_take_as_long_as_one(void **state) {
  (void)state;
  hw_system sys = switch_system(4, 25e9, 4, 1);
  hw_topo *t = topo_of(&sys, 16);
  int64_t c[16];
  iota(c, 16, 0, 1);
  double one = time_of(t, &sys, TRACE_OP_ALL_REDUCE, S, 1, 4, c, COLL_ALGO_RING).seconds;
  double four = time_of(t, &sys, TRACE_OP_ALL_REDUCE, S, 4, 4, c, COLL_ALGO_RING).seconds;
  assert_close(one, 2 * 3 * (2 * ALPHA + S / (4 * B)));
  assert_close(four, one);
  /* two groups of 2 per domain: 8 groups take as long as the 2 of one domain, which share no link
   */
  double two = time_of(t, &sys, TRACE_OP_ALL_REDUCE, S, 2, 2, c, COLL_ALGO_RING).seconds;
  double eight = time_of(t, &sys, TRACE_OP_ALL_REDUCE, S, 8, 2, c, COLL_ALGO_RING).seconds;
  assert_close(two, 2 * 1 * (2 * ALPHA + S / (2 * B)));
  assert_close(eight, two);
  hw_topo_free(t);
}

static void test_auto_on_neuron_torus_picks_mesh_rhd_kangaring_by_size(void **state) {
  (void)state;
  hw_system sys = torus_system("neuron");
  hw_topo *t = topo_of(&sys, 16);
  int64_t c[16];
  iota(c, 16, 0, 1);
  const double MB = 1024.0 * 1024.0;
  assert_int_equal(time_of(t, &sys, TRACE_OP_ALL_REDUCE, 0.5 * MB, 1, 16, c, 0).algo,
                   COLL_ALGO_MESH);
  assert_int_equal(time_of(t, &sys, TRACE_OP_ALL_REDUCE, 10 * MB, 1, 16, c, 0).algo, COLL_ALGO_RHD);
  assert_int_equal(time_of(t, &sys, TRACE_OP_ALL_REDUCE, 100 * MB, 1, 16, c, 0).algo,
                   COLL_ALGO_KANGARING);
  hw_topo_free(t);
  t = topo_of(&sys, 32); /* two instances: hierarchical at every size */
  int64_t both[32];
  iota(both, 32, 0, 1);
  assert_int_equal(time_of(t, &sys, TRACE_OP_ALL_REDUCE, 0.5 * MB, 1, 32, both, 0).algo,
                   COLL_ALGO_HIER);
  assert_int_equal(time_of(t, &sys, TRACE_OP_ALL_REDUCE, 100 * MB, 1, 32, both, 0).algo,
                   COLL_ALGO_HIER);
  hw_topo_free(t);
}

/* NCCL: ring inside a domain; across 16 one-chip domains the tree for a small all-reduce
 * (fewer latency-bound steps), the ring for a large one; hier across domains of several ranks. */
static void test_auto_nccl_picks_tree_small_ring_large_hier_across_domains(void **state) {
  (void)state;
  hw_system sys = switch_system(1, 50e9, 16, 1);
  hw_topo *t = topo_of(&sys, 16);
  int64_t c[16];
  iota(c, 16, 0, 1);
  assert_int_equal(time_of(t, &sys, TRACE_OP_ALL_REDUCE, 4096, 1, 16, c, 0).algo, COLL_ALGO_TREE);
  assert_int_equal(time_of(t, &sys, TRACE_OP_ALL_REDUCE, 1e9, 1, 16, c, 0).algo, COLL_ALGO_RING);
  hw_topo_free(t);
  sys = switch_system(8, 50e9, 8, 1);
  t = topo_of(&sys, 16);
  assert_int_equal(time_of(t, &sys, TRACE_OP_ALL_REDUCE, 4096, 1, 8, c, 0).algo, COLL_ALGO_RING);
  assert_int_equal(time_of(t, &sys, TRACE_OP_ALL_GATHER, 1e9, 1, 16, c, 0).algo, COLL_ALGO_HIER);
  assert_int_equal(time_of(t, &sys, TRACE_OP_ALL_REDUCE, 1e9, 1, 16, c, 0).algo, COLL_ALGO_HIER);
  hw_topo_free(t);
}

/* RCCL on an 8-GPU full mesh (one link per peer): AUTO uses every link at once, so an all-reduce
 * is two all-pairs steps of S/8 per link, one hop each: 2 (alpha + S / (8 B)); a single ring
 * would be 2 x 7 (alpha + S / (8 B)) on one link per GPU. */
static void test_auto_rccl_on_full_mesh_uses_every_link(void **state) {
  (void)state;
  hw_system sys = {.name = "test-mesh", .stack = "rccl"};
  sys.up = (hw_scaleup){.kind = HW_TOPO_MESH,
                        .domain_chips = 8,
                        .link_Bps = B,
                        .links_per_chip = 1,
                        .chip_Bps = 7 * B,
                        .latency_s = ALPHA};
  hw_topo *t = topo_of(&sys, 8);
  int64_t c[8];
  iota(c, 8, 0, 1);
  coll_result r = time_of(t, &sys, TRACE_OP_ALL_REDUCE, S, 1, 8, c, COLL_ALGO_AUTO);
  assert_int_equal(r.algo, COLL_ALGO_MESH);
  assert_close(r.seconds, 2 * (ALPHA + S / (8 * B)));
  coll_result ring = time_of(t, &sys, TRACE_OP_ALL_REDUCE, S, 1, 8, c, COLL_ALGO_RING);
  assert_close(ring.seconds, 2 * 7 * (ALPHA + S / (8 * B)));
  hw_topo_free(t);
}

static void test_algorithms_that_do_not_apply_fall_back(void **state) {
  (void)state;
  hw_system sys = switch_system(8, 0, 0, 1);
  hw_topo *t = topo_of(&sys, 8);
  int64_t c[8];
  iota(c, 8, 0, 1);
  assert_int_equal(time_of(t, &sys, TRACE_OP_ALL_REDUCE, S, 1, 6, c, COLL_ALGO_RHD).algo,
                   COLL_ALGO_RING);
  assert_int_equal(time_of(t, &sys, TRACE_OP_ALL_GATHER, S, 1, 8, c, COLL_ALGO_TREE).algo,
                   COLL_ALGO_RING);
  assert_int_equal(time_of(t, &sys, TRACE_OP_ALL_REDUCE, S, 1, 8, c, COLL_ALGO_TORUS).algo,
                   COLL_ALGO_RING);
  assert_int_equal(time_of(t, &sys, TRACE_OP_ALL_TO_ALL, S, 1, 8, c, COLL_ALGO_RING).algo,
                   COLL_ALGO_DIRECT);
  coll_result one = time_of(t, &sys, TRACE_OP_ALL_REDUCE, S, 1, 1, c, COLL_ALGO_RING);
  assert_true(one.seconds == 0 && one.steps == 0);
  hw_topo_free(t);
}

/* A workspace gives the same answers as fresh calls, across changing groups and sizes. */
static void test_workspace_reuse_matches_fresh_calls(void **state) {
  (void)state;
  hw_system sys = switch_system(4, 25e9, 4, 2);
  hw_topo *t = topo_of(&sys, 16);
  int64_t dp[16], tp[16];
  for (int i = 0; i < 4; i++) iota(dp + 4 * i, 4, i, 4);
  iota(tp, 16, 0, 1);
  coll_workspace *ws = NULL;
  ts_err err = {0};
  assert_int_equal(coll_workspace_new(&ws, &err), TS_OK);
  for (int rep = 0; rep < 2; rep++)
    for (int which = 0; which < 2; which++)
      for (double bytes = 1e3; bytes <= 1e9; bytes *= 100) {
        coll_groups g = {.n_groups = 4, .group_size = 4, .chips = which ? tp : dp};
        coll_result a, b;
        assert_int_equal(coll_time_ws(ws, t, &sys, TRACE_OP_ALL_REDUCE, bytes, &g, 0, &a, &err),
                         TS_OK);
        assert_int_equal(coll_time(t, &sys, TRACE_OP_ALL_REDUCE, bytes, &g, 0, &b, &err), TS_OK);
        assert_true(a.seconds == b.seconds && a.algo == b.algo && a.steps == b.steps);
      }
  coll_workspace_free(ws);
  hw_topo_free(t);
}

/* More communicators than a workspace keeps (the least recently used are replaced): every answer
 * still matches a fresh call, on both passes. */
static void test_workspace_with_many_communicators_matches_fresh_calls(void **state) {
  (void)state;
  hw_system sys = switch_system(4, 25e9, 4, 2);
  hw_topo *t = topo_of(&sys, 16);
  coll_workspace *ws = NULL;
  ts_err err = {0};
  assert_int_equal(coll_workspace_new(&ws, &err), TS_OK);
  for (int pass = 0; pass < 2; pass++)
    for (int64_t a = 0; a < 16; a++)
      for (int64_t b = a + 1; b < 16; b += 2) {
        int64_t c[2] = {a, b};
        coll_groups g = {.n_groups = 1, .group_size = 2, .chips = c};
        coll_result x, y;
        assert_int_equal(coll_time_ws(ws, t, &sys, TRACE_OP_ALL_GATHER, S, &g, 0, &x, &err), TS_OK);
        assert_int_equal(coll_time(t, &sys, TRACE_OP_ALL_GATHER, S, &g, 0, &y, &err), TS_OK);
        assert_true(x.seconds == y.seconds);
      }
  coll_workspace_free(ws);
  hw_topo_free(t);
}

static void test_algorithm_names_round_trip_and_unknown_is_refused(void **state) {
  (void)state;
  for (int a = 0; a < COLL_ALGO_COUNT; a++) {
    coll_algo back;
    assert_true(coll_algo_parse(coll_algo_name((coll_algo)a), &back));
    assert_int_equal(back, a);
  }
  coll_algo x;
  assert_false(coll_algo_parse("butterfly", &x));
  assert_string_equal(coll_algo_name(COLL_ALGO_RING_BIDIR), "ring_bidir");
}

static void expect_error(const hw_topo *t, const hw_system *sys, trace_op_kind kind, double bytes,
                         int64_t size, const int64_t *chips, const char *needle) {
  coll_groups g = {.n_groups = 1, .group_size = size, .chips = chips};
  coll_result r;
  ts_err err = {0};
  assert_int_equal(coll_time(t, sys, kind, bytes, &g, COLL_ALGO_AUTO, &r, &err), TS_EINPUT);
  if (!strstr(err.msg, needle)) fail_msg("message '%s' lacks '%s'", err.msg, needle);
}

static void test_bad_requests_are_input_errors(void **state) {
  (void)state;
  hw_system sys = ring_system(4);
  hw_topo *t = topo_of(&sys, 4);
  int64_t ok[3] = {0, 1, 2}, bad[2] = {0, 9};
  expect_error(t, &sys, TRACE_OP_ALL_REDUCE, S, 2, bad, "groups.chips[1] is 9, expected 0..3");
  expect_error(t, &sys, TRACE_OP_SEND, S, 3, ok, "group_size 3, expected 2");
  expect_error(t, &sys, TRACE_OP_ALL_REDUCE, -1, 3, ok, "bytes is -1");
  expect_error(t, &sys, TRACE_OP_ALL_REDUCE, NAN, 3, ok, "bytes is nan");
  expect_error(t, &sys, TRACE_OP_GEMM, S, 3, ok, "not a collective");
  expect_error(t, &sys, TRACE_OP_ALL_REDUCE, S, 0, ok, "0 ranks");
  hw_topo_free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ring_allreduce_on_ring_is_2_nminus1_alpha_plus_S_over_nB),
      cmocka_unit_test(test_bidirectional_ring_halves_the_bandwidth_term),
      cmocka_unit_test(test_ring_on_nvswitch_pays_two_hops_per_step),
      cmocka_unit_test(test_rhd_allreduce_on_nvswitch_matches_closed_form),
      cmocka_unit_test(test_tree_allreduce_on_nvswitch_matches_pipelined_closed_form),
      cmocka_unit_test(test_torus_allreduce_is_sum_of_its_dimensions_rings),
      cmocka_unit_test(test_send_over_one_link_is_alpha_plus_S_over_B),
      cmocka_unit_test(test_dp_groups_sharing_an_oversubscribed_uplink_slow_each_other),
      cmocka_unit_test(test_rail_optimised_leaves_keep_dp_groups_apart),
      cmocka_unit_test(test_hierarchical_allreduce_matches_closed_form),
      cmocka_unit_test(test_direct_all_to_all_and_mesh_share_chip_links),
      cmocka_unit_test(test_ranks_on_one_chip_exchange_at_hbm_bandwidth),
      cmocka_unit_test(test_torus_rings_ranks_of_one_chip_through_hbm_first),
      cmocka_unit_test(test_rhd_on_torus_pairs_gray_coded_neighbours_one_hop_apart),
      cmocka_unit_test(test_rhd_on_torus_exchanges_on_chip_first),
      cmocka_unit_test(test_kangaring_goes_both_ways_round_a_hamiltonian_cycle),
      cmocka_unit_test(test_workspace_notices_a_new_topology),
      cmocka_unit_test(test_sibling_groups_in_their_own_domains_take_as_long_as_one),
      cmocka_unit_test(test_auto_on_neuron_torus_picks_mesh_rhd_kangaring_by_size),
      cmocka_unit_test(test_auto_nccl_picks_tree_small_ring_large_hier_across_domains),
      cmocka_unit_test(test_auto_rccl_on_full_mesh_uses_every_link),
      cmocka_unit_test(test_algorithms_that_do_not_apply_fall_back),
      cmocka_unit_test(test_workspace_reuse_matches_fresh_calls),
      cmocka_unit_test(test_workspace_with_many_communicators_matches_fresh_calls),
      cmocka_unit_test(test_algorithm_names_round_trip_and_unknown_is_refused),
      cmocka_unit_test(test_bad_requests_are_input_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
