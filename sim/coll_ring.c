/* coll_ring: the ring algorithms (Patarasuk & Yuan 2009; NCCL's ring).
 *
 * ring: rank r sends to r + 1. Reduce-scatter and all-gather are n - 1 steps of S/n each; an
 * all-reduce is both, 2(n - 1) steps. Every step has the same flow pattern, so it is timed once:
 *   T_ring = phases x (n - 1) x step(S/n),  step(b) = max over flows (latency + b / rate),
 * which on an idle ring of link bandwidth B and per-hop latency a is 2(n - 1)(a + S/(nB)).
 * ring_bidir: two rings in opposite directions, S/2 each, at the same time (each step carries
 * S/(2n) both ways): T = phases x (n - 1) x step(S/(2n)) with both flows in the step. */
#include "sim/coll_int.h"

static bool ring_applies(const coll_ctx *ctx, trace_op_kind kind) {
  (void)ctx;
  return coll_is_reduction_family(kind);
}

static ts_status ring_run(coll_ctx *ctx, trace_op_kind kind, double bytes, coll_sum *sum,
                          ts_err *err) {
  double n = (double)ctx->comm->shape.n;
  return coll_add_steps(ctx, (coll_key){COLL_PAT_SHIFT, 1}, bytes / n, coll_phases(kind) * (n - 1),
                        sum, err);
}

static ts_status ring_bidir_run(coll_ctx *ctx, trace_op_kind kind, double bytes, coll_sum *sum,
                                ts_err *err) {
  double n = (double)ctx->comm->shape.n;
  return coll_add_steps(ctx, (coll_key){COLL_PAT_BIDIR, 0}, bytes / (2 * n),
                        coll_phases(kind) * (n - 1), sum, err);
}

const coll_algo_impl coll_ring_impl = {
    .algo = COLL_ALGO_RING,
    .fallback = COLL_ALGO_DIRECT,
    .applies = ring_applies,
    .run = ring_run,
};

const coll_algo_impl coll_ring_bidir_impl = {
    .algo = COLL_ALGO_RING_BIDIR,
    .fallback = COLL_ALGO_DIRECT,
    .applies = ring_applies,
    .run = ring_bidir_run,
};
