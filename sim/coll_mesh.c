/* coll_mesh: one exchange over direct routes (Neuron's "Mesh" algorithm for messages < 1 MB:
 * one step, hardware-routed).
 *
 * Reduce-scatter: every rank sends each peer that peer's S/n slice, all at once (one step);
 * all-gather: every rank sends its S/n slice to every peer (one step); all-reduce is the two
 * (two steps of the same all-pairs pattern):
 *   T_mesh = phases x step_allpairs(S/n).
 * Latency is paid once per phase, which is why it wins for small messages; every byte crosses
 * the network once, spread over all routes at the same time. */
#include "sim/coll_int.h"

static bool mesh_applies(const coll_ctx *ctx, trace_op_kind kind) {
  (void)ctx;
  return coll_is_reduction_family(kind);
}

static ts_status mesh_run(coll_ctx *ctx, trace_op_kind kind, double bytes, coll_sum *sum,
                          ts_err *err) {
  return coll_all_pairs(ctx, bytes / (double)ctx->comm->shape.n, coll_phases(kind), sum, err);
}

const coll_algo_impl coll_mesh_impl = {
    .algo = COLL_ALGO_MESH,
    .fallback = COLL_ALGO_DIRECT,
    .applies = mesh_applies,
    .run = mesh_run,
};
