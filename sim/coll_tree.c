/* coll_tree: NCCL's double binary tree all-reduce (Sanders, Speck & Träff 2009; NCCL 2.4).
 *
 * Two binary trees over the n ranks: tree 0 is NCCL's ncclGetBtree (rank 0 the root with one
 * child, parent of r = (r xor b) | 2b for b the lowest set bit of r, or r xor b past the end);
 * tree 1 is its mirror (r -> n - 1 - r) when n is even and its shift by one when n is odd, so a
 * rank that is an inner node of one tree is a leaf of the other. Each tree carries half the
 * buffer, split into k chunks that are pipelined: chunks are reduced up the tree and broadcast
 * back down, reduce and broadcast running at the same time. In steady state one "tick" moves one
 * chunk of c = S/(2k) bytes over every edge of both trees in both directions, so every tick has
 * the same flow pattern (timed once, links shared max-min fairly):
 *   T_tree(k) = (2D + k - 1) x tick(S/(2k)),  tick(c) = max over flows (latency + c / rate),
 * with D the deeper tree's depth (2D ticks for the first chunk to go up and down, one more per
 * further chunk). With tick(c) ~ a + c b (a, b: the largest latency and seconds per byte of a
 * tick), the best chunk count is k* = sqrt((2D - 1) b S / (2a)); we time floor and ceil of k*
 * (at least 1, chunks of at least COLL_TREE_MIN_CHUNK bytes) and keep the faster. On an idle
 * NVSwitch domain (chip bandwidth B, 2 hops of latency a) a rank carries at most 4 flows per
 * direction in a tick, so tick(c) = 2a + 4c/B. Only all-reduce uses the tree (others: ring). */
#include "sim/coll_int.h"

#include <math.h>

enum { COLL_TREE_MIN_CHUNK = 4096 };

static int64_t btree_parent(int64_t n, int64_t r) {
  if (r == 0) return -1;
  int64_t bit = r & -r;
  int64_t up = (r ^ bit) | (bit << 1);
  return up >= n ? r ^ bit : up;
}

int64_t coll_tree_parent(int64_t n, int t, int64_t r) {
  if (t == 0) return btree_parent(n, r);
  if (n % 2 == 0) {
    int64_t p = btree_parent(n, n - 1 - r);
    return p < 0 ? -1 : n - 1 - p;
  }
  int64_t p = btree_parent(n, (r - 1 + n) % n);
  return p < 0 ? -1 : (p + 1) % n;
}

static int64_t tree_depth(int64_t n) {
  int64_t depth = 0;
  for (int t = 0; t < COLL_TREE_COUNT; t++)
    for (int64_t r = 0; r < n; r++) {
      int64_t d = 0;
      for (int64_t p = coll_tree_parent(n, t, r); p >= 0; p = coll_tree_parent(n, t, p)) d++;
      if (d > depth) depth = d;
    }
  return depth;
}

static bool tree_applies(const coll_ctx *ctx, trace_op_kind kind) {
  (void)ctx;
  return kind == TRACE_OP_ALL_REDUCE;
}

/* The chunk counts worth timing: floor and ceil of the continuous optimum, clamped. */
static void tree_chunk_counts(const coll_comm *comm, coll_profile tick, double half, double depth,
                              double k[2]) {
  double a = 0, b = 0;
  for (size_t i = tick.first; i < tick.first + tick.count; i++) {
    if (comm->front_lat[i] > a) a = comm->front_lat[i];
    if (comm->front_spb[i] > b) b = comm->front_spb[i];
  }
  double kmax = floor(half / COLL_TREE_MIN_CHUNK);
  if (kmax < 1) kmax = 1;
  double best = a > 0 ? sqrt((2 * depth - 1) * b * half / a) : kmax;
  if (!(best >= 1)) best = 1;
  if (best > kmax) best = kmax;
  k[0] = floor(best);
  k[1] = ceil(best) > kmax ? kmax : ceil(best);
}

static ts_status tree_run(coll_ctx *ctx, trace_op_kind kind, double bytes, coll_sum *sum,
                          ts_err *err) {
  (void)kind;
  coll_profile tick;
  ts_status st = coll_profile_get(ctx, (coll_key){COLL_PAT_TREE, 0}, &tick, err);
  if (st != TS_OK) return st;
  coll_shape *sh = &ctx->comm->shape;
  if (sh->tree_depth < 0) sh->tree_depth = tree_depth(sh->n);
  double depth = (double)sh->tree_depth, half = bytes / 2, k[2];
  tree_chunk_counts(ctx->comm, tick, half, depth, k);
  double best_s = INFINITY, best_ticks = 0;
  for (int i = 0; i < 2; i++) {
    double ticks = 2 * depth + k[i] - 1;
    double s = ticks * coll_profile_seconds(ctx->comm, tick, half / k[i]);
    if (s < best_s) {
      best_s = s;
      best_ticks = ticks;
    }
  }
  sum->seconds += best_s;
  sum->steps += best_ticks;
  return TS_OK;
}

const coll_algo_impl coll_tree_impl = {
    .algo = COLL_ALGO_TREE,
    .fallback = COLL_ALGO_RING,
    .applies = tree_applies,
    .run = tree_run,
};
