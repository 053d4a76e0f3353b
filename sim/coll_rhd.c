/* coll_rhd: recursive halving / doubling (Thakur, Rabenseifner & Gropp 2005) for n = 2^m ranks.
 *
 * Reduce-scatter by recursive halving: step j = 1..m exchanges S/2^j with the partner across
 * bit n/2^j. All-gather by recursive doubling runs the same exchanges in reverse order. So
 *   T_rhd = phases x sum_{j=1..m} step_j(S/2^j),
 * and on an idle switch (chip bandwidth B, 2 hops of latency a) an all-reduce takes
 *   2 x (2am + S(n - 1)/(nB)).
 * Partners: on a switch, r xor n/2^j. On a torus or ring (Trainium NeuronLink) the group is a
 * hypercube in the way Neuron numbers it (HARDWARE.md S7: the 4x4 torus "treated as a 4D
 * hypercube"): each torus factor's position is Gray-coded (coll_eval.c, COLL_PAT_HCUBE), so a
 * partner across one bit is the next chip along one axis, one hop away, and the steps go one
 * axis at a time. With the binary numbering instead, half the partners of a 4-chip ring sit
 * two hops apart and every such step would share its links between twice the flows.
 * Ranks of one chip (Trainium's NeuronCores) exchange first, with the largest chunk (S/2 for two
 * ranks per chip), over the chip's HBM, as Neuron combines each on-chip pair before the links
 * (S7); the links then carry S/4, S/8, ... per rank, half of what they would carry with the
 * on-chip exchange last.
 * Groups whose size is not a power of two fall back to the ring. */
#include "sim/coll_int.h"

static bool rhd_applies(const coll_ctx *ctx, trace_op_kind kind) {
  int64_t n = ctx->comm->shape.n;
  return coll_is_reduction_family(kind) && (n & (n - 1)) == 0;
}

static ts_status rhd_run(coll_ctx *ctx, trace_op_kind kind, double bytes, coll_sum *sum,
                         ts_err *err) {
  const coll_shape *sh = &ctx->comm->shape;
  int32_t pat = sh->torus_ok ? COLL_PAT_HCUBE : COLL_PAT_XOR;
  /* the on-chip bits first (the largest chunks, over HBM), then the links' bits from the top */
  bool on_chip_first = sh->torus_ok && sh->n_factors > 0 && !sh->factor_is_dim[0];
  int64_t chip = on_chip_first && sh->chip_ranks > 1 ? sh->chip_ranks : 1;
  double chunk = bytes;
  for (int64_t d = chip / 2; d >= 1; d /= 2) {
    chunk /= 2;
    ts_status st =
        coll_add_steps(ctx, (coll_key){pat, (int32_t)d}, chunk, coll_phases(kind), sum, err);
    if (st != TS_OK) return st;
  }
  for (int64_t d = sh->n / 2; d >= chip; d /= 2) {
    chunk /= 2;
    ts_status st =
        coll_add_steps(ctx, (coll_key){pat, (int32_t)d}, chunk, coll_phases(kind), sum, err);
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
