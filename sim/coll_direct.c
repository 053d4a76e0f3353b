/* coll_direct: all-to-all with every pair at once (NCCL and Neuron post every send and receive
 * together). Each rank sends S/n to each of the n - 1 others, so (n - 1)/n of its bytes leave it:
 *   T_direct = step_allpairs(S/n),
 * one step whose flows share each link max-min fairly. When the sibling groups together would
 * route more than COLL_MAX_PAIR_FLOWS flows at once, it becomes the pairwise exchange that MPI
 * uses for large all-to-all: n - 1 steps, step k: r -> r + k, each timed on its own:
 *   T_pairwise = sum_{k=1..n-1} step_k(S/n). */
#include "sim/coll_int.h"

ts_status coll_all_pairs(coll_ctx *ctx, double bytes, double repeat, coll_sum *sum, ts_err *err) {
  const coll_shape *sh = &ctx->comm->shape;
  double flows = (double)sh->solve_groups * (double)sh->n * (double)(sh->n - 1);
  if (flows <= COLL_MAX_PAIR_FLOWS)
    return coll_add_steps(ctx, (coll_key){COLL_PAT_ALL_PAIRS, 0}, bytes, repeat, sum, err);
  for (int64_t k = 1; k < sh->n; k++) {
    ts_status st =
        coll_add_steps(ctx, (coll_key){COLL_PAT_SHIFT, (int32_t)k}, bytes, repeat, sum, err);
    if (st != TS_OK) return st;
  }
  return TS_OK;
}

static bool direct_applies(const coll_ctx *ctx, trace_op_kind kind) {
  (void)ctx;
  return kind == TRACE_OP_ALL_TO_ALL;
}

static ts_status direct_run(coll_ctx *ctx, trace_op_kind kind, double bytes, coll_sum *sum,
                            ts_err *err) {
  (void)kind;
  return coll_all_pairs(ctx, bytes / (double)ctx->comm->shape.n, 1, sum, err);
}

const coll_algo_impl coll_direct_impl = {
    .algo = COLL_ALGO_DIRECT,
    .fallback = COLL_ALGO_MESH,
    .applies = direct_applies,
    .run = direct_run,
};
