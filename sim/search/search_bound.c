/* The lower bound that lets the search skip a plan without simulating it: no simulation of plan p
 * can finish its step faster than
 *   T = per-layer FLOPs of one micro-batch on one rank / (peak[dtype] x best kernel efficiency)
 *   busy = micro-batches x layers of the fullest stage x T          (one compute stream per rank)
 *   pipe = (micro-batches x layers of the last stage + (pp-1) x smallest chunk) x T
 * times 0.98 (the generator's FLOPs agree with the closed form to 1%), bound = 0.98 max(busy, pipe).
 * `pipe` is the pipeline's fill and drain: the last stage cannot start before micro-batch 0 went
 * forward through chunks 0..pp-2, and after its last backward the same chunks still run backward
 * (in 1F1B, interleaved and GPipe alike).
 * Per-layer FLOPs come from the Megatron closed form (model_step_flops_count, recomputation
 * included) for the cheapest layer kind, minus half of the attention core in every pass (causal
 * kernels skip the masked half; the closed form counts it in full), and for MoE layers without the
 * routed experts — every simplification makes the bound lower, never higher. Communication,
 * memory-bound ops, launches and the optimizer only add to the simulated time. The rate is the
 * chip's dense peak for the dtype (fp32 when it has none, as the kernel model does) times the
 * larger of its GEMM and attention efficiencies, per rank as the kernel model times it.
 *
 * A second, tighter bound once the step is generated (search_bound_trace): the compute ops of each
 * rank class timed by the kernel model itself (kern_op, exactly as the simulator times them, on
 * the one compute stream a rank has), the optimizer left out, in place of the FLOP estimate:
 *   max(max over classes of compute, max over last-stage classes of compute + chain).
 * The optimizer is the only compute op the ZeRO stage changes, so plans that differ only in ZeRO
 * share this bound (search_eval.c caches it). */
#include <math.h>

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
  if (moe_layer) m.moe_topk = 0; /* routed experts left out: their split varies with ep */
  else m.moe_experts = 0;
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

/* The two parts of the bound, before the agreement factor: per rank, the fullest stage's compute
 * (busy) and the last stage's compute plus the fill/drain chain (pipe = last + chain). */
static void bound_parts(const search_ctx *c, const plan *p, double *busy, double *last,
                        double *chain) {
  const hw_chip *chip = &c->sys->chip;
  double peak = chip->peak_flops[p->dtype] > 0 ? chip->peak_flops[p->dtype] : chip->peak_flops[HW_FP32];
  double rate = peak * fmax(or_one(chip->kern.gemm_efficiency), or_one(chip->kern.attn_efficiency));
  *busy = *last = *chain = 0.0;
  if (!(rate > 0)) return;
  double t = c->bound.layer_flops[p->recompute] * p->mbs / ((double)p->tp * p->cp) / rate;
  double micro = (double)plan_micro_batches(p);
  int64_t fullest = 0, smallest = INT64_MAX;
  for (int32_t s = 0; s < p->pp; s++) {
    int64_t l = plan_stage_layers(p, c->m, s);
    if (l > fullest) fullest = l;
  }
  for (int32_t k = 0; k + 1 < p->pp; k++) {
    int64_t l = plan_chunk_layers(p, c->m, k);
    if (l < smallest) smallest = l;
  }
  if (p->pp < 2) smallest = 0;
  *busy = micro * (double)fullest * t;
  *last = micro * (double)plan_stage_layers(p, c->m, p->pp - 1) * t;
  *chain = (double)(p->pp - 1) * (double)smallest * t;
}

double search_bound(const search_ctx *c, const plan *p) {
  double busy, last, chain;
  bound_parts(c, p, &busy, &last, &chain);
  return FLOPS_AGREEMENT * fmax(busy, last + chain);
}

double search_bound_chain(const search_ctx *c, const plan *p) {
  double busy, last, chain;
  bound_parts(c, p, &busy, &last, &chain);
  return FLOPS_AGREEMENT * chain;
}

/* Compute seconds of one class's program as the kernel model times it, optimizer left out (it is
 * the one compute op the ZeRO stage changes). */
static double class_compute_s(const search_ctx *c, const trace_class *cls) {
  double sum = 0.0;
  for (uint32_t i = 0; i < cls->n_ops; i++) {
    const trace_op *op = &cls->ops[i];
    trace_op_kind kind = (trace_op_kind)op->kind;
    if (kind >= TRACE_OP_KIND_COUNT || trace_op_is_comm(kind) || kind == TRACE_OP_OPTIMIZER)
      continue;
    sum += kern_op(&c->sys->chip, op, c->opt.sim.kernel_table).seconds;
  }
  return sum;
}

double search_bound_trace(const search_ctx *c, const plan *p, const trace *t) {
  double busy = 0.0, last = 0.0;
  for (uint32_t i = 0; i < t->n_classes; i++) {
    double w = class_compute_s(c, &t->classes[i]);
    busy = fmax(busy, w);
    if (t->classes[i].stage == p->pp - 1) last = fmax(last, w);
  }
  return fmax(busy, last + search_bound_chain(c, p));
}
