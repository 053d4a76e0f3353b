/* The lower bound that lets the search skip a plan without simulating it: no simulation of plan p
 * can finish its step faster than
 *   T = seconds of one layer, one micro-batch, one rank (below)
 *   bound = max over stages s of (micro-batches x layers of s + layers of chunks 0..s-1) x T
 * The second term is the pipeline's fill and drain around stage s: it cannot start before
 * micro-batch 0 went forward through chunks 0..s-1 (one after the other, each on its own stage),
 * and after its last backward the same chunks still run backward for the last micro-batch (in
 * 1F1B, interleaved and GPipe alike); T counts forward, backward and recomputation of a layer, so
 * fill and drain together take at least (layers of chunks 0..s-1) x T. A rank has one compute
 * stream, so its own layers take micro-batches x layers x T.
 * T is the larger of two bounds. The FLOP bound: per-layer FLOPs of one micro-batch on one rank /
 * (peak[dtype] x best kernel efficiency), times 0.98 (the generator's FLOPs agree with the closed
 * form to 1%). The kernel bound (search_layer_s): the kernel model's own time for the cheapest
 * layer, taken from a probe step of one stage and one micro-batch with the plan's tp, cp, ep, mbs,
 * recomputation and dtype (per-layer ops do not depend on pp, vpp, dp or ZeRO), so every plan
 * sharing those six fields shares one probe.
 * Per-layer FLOPs come from the Megatron closed form (model_step_flops_count, recomputation
 * included) for the cheapest layer kind, minus half of the attention core in every pass (causal
 * kernels skip the masked half; the closed form counts it in full), and for MoE layers without the
 * routed experts — every simplification makes the bound lower, never higher. Communication,
 * memory-bound ops, launches and the optimizer only add to the simulated time. The rate is the
 * chip's dense peak for the dtype (fp32 when it has none, as the kernel model does) times the
 * larger of its GEMM and attention efficiencies, per rank as the kernel model times it.
 *
 * A second, tighter bound once the step is generated and prepared (search_bound_trace): the
 * compute ops of each rank class with the very durations the replay gives them (sim_cache_prepare:
 * kern_op, on the one compute stream a rank has; summed by search_sched_bound), the optimizer left
 * out, in place of the FLOP estimate:
 *   max over classes of (compute + the fill/drain chain of the class's stage).
 * The optimizer is the only compute op the ZeRO stage changes, so plans that differ only in ZeRO
 * share this bound (search_eval.c caches it).
 *
 * Between the two, before generating a plan's step (search_bound_edges): the bound above plus the
 * compute outside the transformer layers, timed as the replay times it from a one-layer probe
 * step (search_edges_s): the embedding, forward and backward, runs on stage 0 for every
 * micro-batch; the head (final norm, logits GEMM, loss) on the last stage; and the fill/drain of
 * every later stage also runs micro-batch 0's embedding forward and the last one's embedding
 * backward (on stage 0, one after the other with the chain's layers). Only compute ops on the
 * rank's one compute stream are added, with their replay durations, so it stays a lower bound; it
 * is taken a hair (1e-9) under the sum against rounding. */
#include <math.h>
#include <stdlib.h>

#include "models/gen.h"
#include "sim/search/search_int.h"

static const double FLOPS_AGREEMENT = 0.98;

static double or_one(double x) {
  return x > 0.0 ? x : 1.0;
}

/* Hardware FLOPs of one layer for one sequence: the difference between 2 and 1 layers. */
static double layer_flops(const model *m0, plan_recompute r, bool moe_layer) {
  model m = *m0;
  plan p;
  plan_init(&p);
  p.gbs = 1;
  p.recompute = r;
  m.dense_layers = 0;
  if (moe_layer)
    m.moe_topk = 0; /* routed experts left out: their split varies with ep */
  else
    m.moe_experts = 0;
  m.layers = 1;
  double one = model_step_flops_count(&m, &p).hw_flops;
  m.layers = 2;
  return model_step_flops_count(&m, &p).hw_flops - one;
}

/* Forward FLOPs of the attention core of one layer, one sequence, counted in full. */
static double attention_core_flops(const model *m) {
  double hd = m->head_dim > 0 ? (double)m->head_dim : (double)m->hidden / (double)m->heads;
  double qk = fmax(hd, (double)(m->qk_nope_dim + m->qk_rope_dim));
  double v = fmax(hd, (double)m->v_head_dim);
  double s = (double)m->seq;
  return 2.0 * s * s * (double)m->heads * (qk + v);
}

ts_status search_bound_init(search_ctx *c, ts_err *err) {
  const model *m = c->m;
  if (m->layers < 1 || m->heads < 1 || m->seq < 1)
    return ts_fail(err, TS_EINPUT, "search: model '%s' has no layers, heads or sequence", m->name);
  double attn = attention_core_flops(m);
  for (int r = 0; r < 3; r++) {
    double f = layer_flops(m, (plan_recompute)r, false);
    if (m->moe_experts > 0) {
      double moe = layer_flops(m, (plan_recompute)r, true);
      f = m->dense_layers > 0 ? fmin(f, moe) : moe;
    }
    double passes = 3.0 + (r != PLAN_RECOMP_NONE ? 1.0 : 0.0);
    c->bound.layer_flops[r] = fmax(0.0, f - 0.5 * attn * passes);
  }
  return TS_OK;
}

/* Seconds of one layer, one micro-batch, one rank, from the FLOP count (a bound: before the
 * agreement factor). */
static double flops_layer_s(const search_ctx *c, const plan *p) {
  const hw_chip *chip = &c->rank_chip;
  double peak =
      chip->peak_flops[p->dtype] > 0 ? chip->peak_flops[p->dtype] : chip->peak_flops[HW_FP32];
  double rate = peak * fmax(or_one(chip->kern.gemm_efficiency), or_one(chip->kern.attn_efficiency));
  if (!(rate > 0)) return 0.0;
  return FLOPS_AGREEMENT * c->bound.layer_flops[p->recompute] * p->mbs / ((double)p->tp * p->cp) /
         rate;
}

/* Seconds of the fill and drain around pipeline stage s: chunks 0..s-1 (one per stage before it)
 * forward for the first micro-batch before s can start, backward for the last one after s ends. */
static double chain_s(const search_ctx *c, const plan *p, int32_t stage, double t) {
  if (stage <= 0 || stage >= p->pp) return 0.0;
  return (double)plan_chunk_first_layer(p, c->m, stage) * t;
}

/* Per stage: its layers for every micro-batch, plus its fill and drain; the largest. */
static double pipeline_bound(const search_ctx *c, const plan *p, double t) {
  double micro = (double)plan_micro_batches(p), best = 0.0;
  for (int32_t s = 0; s < p->pp; s++)
    best = fmax(best, micro * (double)plan_stage_layers(p, c->m, s) * t + chain_s(c, p, s, t));
  return best;
}

double search_bound(const search_ctx *c, const plan *p, double layer_s) {
  return pipeline_bound(c, p, fmax(layer_s, flops_layer_s(c, p)));
}

/* A rank count for the probe: the smallest dp that fills whole chips and lets ep divide dp*cp. */
static int32_t probe_dp(const plan *p, int64_t rpc) {
  for (int32_t dp = 1; dp <= 1 << 20; dp++)
    if (((int64_t)p->tp * p->cp * dp) % rpc == 0 && ((int64_t)dp * p->cp) % p->ep == 0) return dp;
  return 0;
}

/* The probe step of plan p on model m: one stage, one micro-batch, ZeRO-1, the plan's tp, cp, ep,
 * mbs, recompute and dtype, on the fewest ranks that fill whole chips. NULL when it cannot be
 * generated (the caller's bound then stands without it). */
static trace *probe_step(const search_ctx *c, const model *m, const plan *p) {
  int64_t rpc = c->sys->chip.ranks_per_chip > 0 ? c->sys->chip.ranks_per_chip : 1;
  plan q = *p;
  q.pp = 1, q.vpp = 1, q.n_stage_layers = 0;
  q.schedule = PLAN_SCHED_1F1B;
  q.dp = probe_dp(p, rpc);
  q.gbs = (int64_t)q.dp * q.mbs;
  q.zero = 1;
  if (q.dp == 0) return NULL;
  gen_options go = {.allow_oom = true};
  trace *t = NULL;
  if (gen_step(m, &q, c->sys, (int64_t)q.tp * q.cp * q.dp / rpc, &go, &t, NULL) != TS_OK)
    return NULL;
  return t;
}

/* Kernel seconds per layer (the cheapest layer) of one micro-batch on one rank: generates the
 * probe step (pp = 1, one micro-batch, the plan's tp, cp, ep, mbs, recompute and dtype) and times
 * each layer's compute ops with kern_op. Per-layer ops do not depend on pp, vpp, dp or ZeRO, so
 * every plan with the same (tp, cp, ep, mbs, recompute, dtype) shares it. 0 when the probe cannot
 * be generated (the FLOP bound then stands alone). */
double search_layer_s(const search_ctx *c, const plan *p) {
  trace *t = probe_step(c, c->m, p);
  if (!t) return 0.0;
  double best = 0.0;
  sim_ps *per_layer = calloc((size_t)c->m->layers, sizeof *per_layer);
  for (uint32_t k = 0; per_layer && t->n_classes > 0 && k < t->classes[0].n_ops; k++) {
    const trace_op *op = &t->classes[0].ops[k];
    if (op->layer == TRACE_NO_LAYER || op->layer >= c->m->layers ||
        trace_op_is_comm((trace_op_kind)op->kind))
      continue;
    per_layer[op->layer] +=
        sim_ps_from_s(kern_op(&c->rank_chip, op, c->opt.sim.kernel_table).seconds);
  }
  for (int64_t l = 0; per_layer && l < c->m->layers; l++) {
    double s = sim_s_from_ps(per_layer[l]);
    if (l == 0 || s < best) best = s;
  }
  free(per_layer);
  trace_free(t);
  return best;
}

/* Where a compute op outside the layers belongs: in a one-micro-batch, one-stage step the
 * embedding runs before the first layer forward and after the last layer backward; the head after
 * the last layer forward and before the first layer backward. */
static void add_edge(search_edges *e, const trace_op *op, bool layer_seen, double s) {
  bool first = op->phase == TRACE_PHASE_FORWARD ? !layer_seen : layer_seen;
  if (first)
    e->first_s += s;
  else
    e->last_s += s;
}

/* The edges, from a probe step of one layer (the edge ops do not depend on the layer count), one
 * stage and one micro-batch with the plan's tp, cp, ep, mbs, recompute and dtype; each op timed
 * as the replay times it (kern_op on the rank's share of the chip, in whole picoseconds). */
search_edges search_edges_s(const search_ctx *c, const plan *p) {
  search_edges e = {0.0, 0.0};
  model m = *c->m;
  m.layers = 1;
  m.dense_layers = 0;
  trace *t = probe_step(c, &m, p);
  if (!t) return e;
  bool seen[TRACE_PHASE_COUNT] = {false};
  for (uint32_t k = 0; t->n_classes > 0 && k < t->classes[0].n_ops; k++) {
    const trace_op *op = &t->classes[0].ops[k];
    if (op->phase != TRACE_PHASE_FORWARD && op->phase != TRACE_PHASE_BACKWARD) continue;
    if (op->layer != TRACE_NO_LAYER) {
      seen[op->phase] = true;
      continue;
    }
    if (trace_op_is_comm((trace_op_kind)op->kind) || op->kind == TRACE_OP_OPTIMIZER) continue;
    sim_ps ps = sim_ps_from_s(kern_op(&c->rank_chip, op, c->opt.sim.kernel_table).seconds);
    add_edge(&e, op, seen[op->phase], sim_s_from_ps(ps));
  }
  trace_free(t);
  return e;
}

/* A hair under the sum (rounding of the seconds against the replay's whole picoseconds). */
static const double EDGE_SLACK = 1.0 - 1e-9;

double search_bound_edges(const search_ctx *c, const plan *p, double layer_s, search_edges e) {
  double t = fmax(layer_s, flops_layer_s(c, p)), micro = (double)plan_micro_batches(p), best = 0.0;
  for (int32_t s = 0; s < p->pp; s++) {
    double own = (double)plan_stage_layers(p, c->m, s) * t;
    if (s == 0) own += e.first_s;
    if (s == p->pp - 1) own += e.last_s;
    double chain = s > 0 ? chain_s(c, p, s, t) + e.first_s : 0.0;
    best = fmax(best, micro * own + chain);
  }
  return best * EDGE_SLACK;
}

double search_bound_trace(const search_ctx *c, const plan *p, const trace *t,
                          const sim_ps *compute_ps, double layer_s) {
  double best = 0.0, per_layer = fmax(layer_s, flops_layer_s(c, p));
  for (uint32_t i = 0; i < t->n_classes; i++)
    best = fmax(best, sim_s_from_ps(compute_ps[i]) + chain_s(c, p, t->classes[i].stage, per_layer));
  return best;
}
