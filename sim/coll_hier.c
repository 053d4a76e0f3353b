/* coll_hier: hierarchical collectives across scale-up domains (NCCL across nodes; Neuron across
 * instances: "reduce-scatter intra-node first, then inter-node; all-gather inter-node first").
 *
 * The group holds c ranks in each of m domains (ranks with the same local index form the m-rank
 * inter-domain rings, one per local index, all at the same time, so they share the scale-out
 * links just as the rails of a real cluster do).
 *   all-reduce:      intra ring reduce-scatter of S   ((c - 1) steps of S/c)
 *                    inter ring all-reduce of the S/c shard   (2(m - 1) steps of S/(cm))
 *                    intra ring all-gather back to S   ((c - 1) steps of S/c)
 *   reduce-scatter:  intra (c - 1) steps of S/c, then inter (m - 1) steps of S/(cm)
 *   all-gather:      inter (m - 1) steps of S/(cm), then intra (c - 1) steps of S/c
 * Groups whose domains hold unequal numbers of ranks fall back to the flat ring. */
#include "sim/coll_int.h"

static bool hier_applies(const coll_ctx *ctx, trace_op_kind kind) {
  return coll_is_reduction_family(kind) && ctx->comm->shape.hier_ok;
}

static ts_status hier_run(coll_ctx *ctx, trace_op_kind kind, double bytes, coll_sum *sum,
                          ts_err *err) {
  const coll_shape *sh = &ctx->comm->shape;
  double c = (double)sh->c, m = (double)sh->m, phases = coll_phases(kind);
  ts_status st = coll_add_steps(ctx, (coll_key){COLL_PAT_HIER_INTRA, 0}, bytes / c,
                                phases * (c - 1), sum, err);
  if (st != TS_OK) return st;
  return coll_add_steps(ctx, (coll_key){COLL_PAT_HIER_INTER, 0}, bytes / (c * m), phases * (m - 1),
                        sum, err);
}

const coll_algo_impl coll_hier_impl = {
    .algo = COLL_ALGO_HIER,
    .fallback = COLL_ALGO_RING,
    .applies = hier_applies,
    .run = hier_run,
};
