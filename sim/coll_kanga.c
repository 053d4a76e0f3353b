/* coll_kanga: Neuron's KangaRing for large messages inside one torus domain (HARDWARE.md S7:
 * "two disjoint Hamiltonian cycles of the torus, primary rank of each on-chip pair").
 *
 * The ranks of one chip first combine over the chip's HBM (a ring over the c_r ranks of a chip,
 * c_r - 1 steps of S/c_r); then every rank's S/c_r share goes round the chips of the group, half
 * of it each way round a Hamiltonian cycle of the torus (coll_eval.c, COLL_PAT_CYCLE_BIDIR: the
 * boustrophedon order, whose consecutive chips are neighbours). Going both ways round one cycle
 * loads each chip's two cycle links in both directions, as the two disjoint cycles that Neuron
 * uses each way do: each chip sends on two links at once. With c chips:
 *   T = phases x [(c_r - 1) step_chip(S/c_r) + (c - 1) step_cycle(S/(2 c_r c))],
 * which on an idle torus of per-direction link bandwidth B is about
 *   phases x (c - 1) S / (2 c B)
 * for the links, half of what the per-dimension rings (coll_torus.c) need on a 4x4 torus. Groups
 * that span domains or do not factor over the torus fall back to the per-dimension rings. */
#include "sim/coll_int.h"

static bool kanga_applies(const coll_ctx *ctx, trace_op_kind kind) {
  const coll_shape *sh = &ctx->comm->shape;
  return coll_is_reduction_family(kind) && sh->torus_ok && sh->m == 1;
}

static ts_status kanga_run(coll_ctx *ctx, trace_op_kind kind, double bytes, coll_sum *sum,
                           ts_err *err) {
  const coll_shape *sh = &ctx->comm->shape;
  double chip = (double)sh->chip_ranks, chips = (double)sh->n / chip, phases = coll_phases(kind);
  ts_status st = TS_OK;
  if (sh->chip_ranks > 1) /* factor 0 is the chip's ranks (coll_eval.c, torus_analyse) */
    st = coll_add_steps(ctx, (coll_key){COLL_PAT_TORUS_DIM, 0}, bytes / chip,
                        phases * (chip - 1), sum, err);
  if (st != TS_OK) return st;
  return coll_add_steps(ctx, (coll_key){COLL_PAT_CYCLE_BIDIR, 0}, bytes / (2 * chip * chips),
                        phases * (chips - 1), sum, err);
}

const coll_algo_impl coll_kangaring_impl = {
    .algo = COLL_ALGO_KANGARING,
    .fallback = COLL_ALGO_TORUS,
    .applies = kanga_applies,
    .run = kanga_run,
};
