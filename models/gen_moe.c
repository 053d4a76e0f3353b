/* The mixture-of-experts block (Megatron-Core MoELayer with the all-to-all token dispatcher).
 *
 * Forward, per rank, with T tokens per micro-batch and Tl = T/tp held under SP (else T):
 *   router GEMM [Tl x E] (h x E, replicated on TP ranks) and top-k softmax;
 *   shared experts (moe_shared x moe_ffn, TP-split like a dense MLP);
 *   permute; all-to-all dispatch over "ep" (Tl·k tokens of h); with SP an all-gather over "tp" of
 *   the received tokens (expert weights are TP-split, expert TP = TP as Megatron's default);
 *   grouped fc1 / activation / grouped fc2 over the E/ep local experts (flag "expert"),
 *   M = T·k·ep/E tokens per expert under balanced routing, so the grouped GEMMs do the FLOPs of
 *   k dense MLPs of width moe_ffn; reduce-scatter over "tp" (all-reduce without SP);
 *   all-to-all combine over "ep"; unpermute (weighted sum of the k outputs).
 * Backward runs the mirror image with dgrad/wgrad for every GEMM. */
#include <math.h>

#include "models/gen_int.h"

typedef struct moe_dims {
  int64_t t, tl, h, e, k, local, f, mult, m_expert, fs;
  double routed; /* tokens at this rank's experts: T·k */
} moe_dims;

static moe_dims dims(const gen_ctx *g) {
  const model *m = g->m;
  const gen_shape *sh = &g->sh;
  moe_dims d;
  d.t = sh->tokens;
  d.tl = sh->tokens_sp;
  d.h = m->hidden;
  d.e = m->moe_experts;
  d.k = m->moe_topk;
  d.local = m->moe_experts / sh->ep;
  d.f = m->moe_ffn / sh->tp;
  d.mult = m->mlp == MODEL_MLP_SWIGLU ? 2 : 1;
  d.routed = (double)d.t * (double)d.k;
  double per_expert = d.routed / (double)d.local;
  d.m_expert = (int64_t)llround(per_expert);
  if (d.m_expert < 1) d.m_expert = 1;
  d.fs = m->moe_shared * m->moe_ffn / sh->tp;
  return d;
}

static double grouped_flops(const moe_dims *d, int64_t n, int64_t k) {
  return 2.0 * d->routed * (double)n * (double)k;
}

static void shared_fwd(gen_ctx *g, const moe_dims *d) {
  if (d->fs <= 0) return;
  double th = (double)d->t * d->h;
  gen_tp_enter_fwd(g, th);
  gen_gemm(g, d->t, d->mult * d->fs, d->h, 1, 0);
  gen_mem(g, TRACE_OP_ELEMENTWISE, (double)(d->mult + 1) * d->t * d->fs * g->sh.act_b);
  gen_gemm(g, d->t, d->h, d->fs, 1, 0);
  gen_tp_exit_fwd(g, th);
}

static void shared_bwd(gen_ctx *g, const moe_dims *d) {
  if (d->fs <= 0) return;
  double th = (double)d->t * d->h;
  gen_tp_exit_bwd(g, th);
  gen_linear_bwd(g, d->t, d->h, d->fs, 1, 0, -1);
  gen_mem(g, TRACE_OP_ELEMENTWISE, (double)(2 * d->mult + 1) * d->t * d->fs * g->sh.act_b);
  int64_t x = gen_sp_regather(g, th);
  gen_linear_bwd(g, d->t, d->mult * d->fs, d->h, 1, 0, x);
  gen_tp_enter_bwd(g, th);
}

void gen_moe_fwd(gen_ctx *g) {
  moe_dims d = dims(g);
  double b = g->sh.act_b;
  double a2a = (double)d.tl * d.k * d.h * b;
  gen_gemm(g, d.tl, d.e, d.h, 1, 0);
  gen_mem(g, TRACE_OP_ELEMENTWISE, 2.0 * d.tl * d.e * 4.0); /* fp32 softmax + top-k */
  shared_fwd(g, &d);
  gen_mem(g, TRACE_OP_ELEMENTWISE, 2.0 * d.tl * d.k * d.h * b); /* permute */
  gen_coll(g, TRACE_OP_ALL_TO_ALL, GEN_EP, a2a, g->sh.act_dt, -1, false);
  gen_tp_enter_fwd(g, d.routed * d.h);
  gen_gemm_flops(g, d.m_expert, d.mult * d.f, d.h, d.local, TRACE_FLAG_EXPERT,
                 grouped_flops(&d, d.mult * d.f, d.h));
  gen_mem(g, TRACE_OP_ELEMENTWISE, (double)(d.mult + 1) * d.routed * d.f * b);
  gen_gemm_flops(g, d.m_expert, d.h, d.f, d.local, TRACE_FLAG_EXPERT, grouped_flops(&d, d.h, d.f));
  if (g->sh.tp > 1) gen_tp_exit_fwd(g, d.routed * d.h);
  gen_coll(g, TRACE_OP_ALL_TO_ALL, GEN_EP, a2a, g->sh.act_dt, -1, false);
  gen_mem(g, TRACE_OP_ELEMENTWISE, 2.0 * d.tl * d.k * d.h * b); /* unpermute, weighted sum */
}

void gen_moe_bwd(gen_ctx *g) {
  moe_dims d = dims(g);
  double b = g->sh.act_b;
  double a2a = (double)d.tl * d.k * d.h * b;
  gen_mem(g, TRACE_OP_ELEMENTWISE, 3.0 * d.tl * d.k * d.h * b);
  gen_coll(g, TRACE_OP_ALL_TO_ALL, GEN_EP, a2a, g->sh.act_dt, -1, false);
  gen_tp_exit_bwd(g, d.routed * d.h);
  gen_linear_bwd_flops(g, d.m_expert, d.h, d.f, d.local, TRACE_FLAG_EXPERT,
                       grouped_flops(&d, d.h, d.f), -1);
  gen_mem(g, TRACE_OP_ELEMENTWISE, (double)(2 * d.mult + 1) * d.routed * d.f * b);
  gen_linear_bwd_flops(g, d.m_expert, d.mult * d.f, d.h, d.local, TRACE_FLAG_EXPERT,
                       grouped_flops(&d, d.mult * d.f, d.h), -1);
  if (g->sh.tp > 1) gen_tp_enter_bwd(g, d.routed * d.h);
  gen_coll(g, TRACE_OP_ALL_TO_ALL, GEN_EP, a2a, g->sh.act_dt, -1, false);
  gen_mem(g, TRACE_OP_ELEMENTWISE, 3.0 * d.tl * d.k * d.h * b); /* permute backward */
  shared_bwd(g, &d);
  gen_mem(g, TRACE_OP_ELEMENTWISE, 3.0 * d.tl * d.e * 4.0);
  gen_linear_bwd(g, d.tl, d.e, d.h, 1, 0, -1);
}
