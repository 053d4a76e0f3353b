/* coll_torus: one ring per torus dimension, in turn (the per-dimension rings of a torus
 * all-reduce; Trainium NeuronLink).
 *
 * The group is factored fastest first (coll_eval.c): ranks of one chip, the torus dimensions
 * (x fastest, as hw/topo numbers chips), then the scale-up domains. Reduce-scatter runs a ring
 * along factor 0 on S, then along factor 1 on the S/f0 shard, and so on; all-gather runs them
 * back. Along factor k the data is D_k = S / (f_0 ... f_{k-1}), and the ring takes f_k - 1 steps of
 * D_k / f_k, every ring of that dimension at the same time over its own links:
 *   T_torus = phases x sum_k (f_k - 1) x step_k(S / (f_0 ... f_k)),
 * the sum of the dimensions' rings. Groups that do not factor over the dimensions, and systems
 * that are not tori or rings, fall back to the flat ring. */
#include "sim/coll_int.h"

static bool torus_applies(const coll_ctx *ctx, trace_op_kind kind) {
  return coll_is_reduction_family(kind) && ctx->comm->shape.torus_ok;
}

static ts_status torus_run(coll_ctx *ctx, trace_op_kind kind, double bytes, coll_sum *sum,
                           ts_err *err) {
  const coll_shape *sh = &ctx->comm->shape;
  double chunk = bytes;
  for (int k = 0; k < sh->n_factors; k++) {
    double f = (double)sh->factor[k];
    chunk /= f;
    ts_status st = coll_add_steps(ctx, (coll_key){COLL_PAT_TORUS_DIM, k}, chunk,
                                  coll_phases(kind) * (f - 1), sum, err);
    if (st != TS_OK) return st;
  }
  return TS_OK;
}

const coll_algo_impl coll_torus_impl = {
    .algo = COLL_ALGO_TORUS,
    .fallback = COLL_ALGO_RING,
    .applies = torus_applies,
    .run = torus_run,
};
