/* coll_rhd: recursive halving / doubling (Thakur, Rabenseifner & Gropp 2005) for n = 2^m ranks.
 *
 * Reduce-scatter by recursive halving: step j = 1..m exchanges S/2^j with partner r xor n/2^j.
 * All-gather by recursive doubling runs the same exchanges in reverse order. So
 *   T_rhd = phases x sum_{j=1..m} step_j(S/2^j),
 * and on an idle switch (chip bandwidth B, 2 hops of latency a) an all-reduce takes
 *   2 x (2am + S(n - 1)/(nB)).
 * The first exchanges are the farthest apart in rank order: on Trainium's torus numbered x
 * fastest this is "one axis at a time", slowest axis first (Neuron's 1-56 MB algorithm).
 * Groups whose size is not a power of two fall back to the ring. */
#include "sim/coll_int.h"

static bool rhd_applies(const coll_ctx *ctx, trace_op_kind kind) {
  int64_t n = ctx->comm->shape.n;
  return coll_is_reduction_family(kind) && (n & (n - 1)) == 0;
}

static ts_status rhd_run(coll_ctx *ctx, trace_op_kind kind, double bytes, coll_sum *sum,
                         ts_err *err) {
  int64_t n = ctx->comm->shape.n;
  double chunk = bytes;
  for (int64_t d = n / 2; d >= 1; d /= 2) {
    chunk /= 2;
    ts_status st = coll_add_steps(ctx, (coll_key){COLL_PAT_XOR, (int32_t)d}, chunk,
                                  coll_phases(kind), sum, err);
    if (st != TS_OK) return st;
  }
  return TS_OK;
}

const coll_algo_impl coll_rhd_impl = {
    .algo = COLL_ALGO_RHD,
    .fallback = COLL_ALGO_RING,
    .applies = rhd_applies,
    .run = rhd_run,
};
