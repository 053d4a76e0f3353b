/* One transformer layer, forward and backward, as the kernels a Megatron-Core rank runs.
 *
 * Per-rank shapes: T = mbs·seq/cp tokens enter each GEMM (after the SP all-gather); TP splits the
 * attention heads (QKV columns, output-projection rows) and the FFN (fc1 columns, fc2 rows).
 * GQA: K and V have kv_heads·head_dim columns; when tp > kv_heads each rank holds one replicated
 * KV head (Megatron, NeuronX). Latent attention (DeepSeek-V2/V3, Megatron-Core MLA): the q and kv
 * down-projections are duplicated on every TP rank (parallel_mode="duplicated"), the
 * up-projections are column-parallel, RMSNorms sit on the latents.
 *
 * Attention core: one fused flash-attention op. Its FLOPs are the causal work the kernel does:
 * half of the full 2·T·S·heads·(d_qk + d_v) of the two matmuls. Backward = 2.5 × forward: flash-
 * attention's backward recomputes QKᵀ and runs four more matmuls (dV, dP, dQ, dK) — 5 matmuls
 * against the forward's 2 (Dao 2023). FLOP *accounting* in reports uses Megatron's convention
 * (full s², backward 2×); the trace records what the kernel executes.
 * Attention bytes: Q, K, V read and O written (forward); Q, K, V, O, dO read and dQ, dK, dV
 * written (backward). Under CP the query block of T tokens attends over all mbs·seq keys: K/V are
 * all-gathered over "cp" before the core (forward and again in backward) and dK/dV
 * reduce-scattered after the backward — the bytes of Megatron's ring exchange, expressed as
 * collectives (acceptable simplification; the ring's overlap with the core is not modelled).
 *
 * Unfused attention (plan attention=naive, or a system whose stack has no flash attention:
 * Megatron-LM 2021-22): the core is separate kernels over the full (masked, not skipped) s²
 * scores of each of the mbs·heads (query block × keys) products: batched GEMM S = QKᵀ, fused
 * scale-mask-softmax (reads and writes the scores), dropout (reads the probabilities, writes them
 * and a one-byte mask), batched GEMM O = PV. Backward: dP = dO·Vᵀ and dV = Pᵀ·dO, dropout backward
 * (gradient and mask read, gradient written), softmax backward (P and dP read, dS written),
 * dQ = dS·K and dK = dSᵀ·Q. Selective recomputation re-runs the forward core.
 *
 * Memory-bound ops (bytes, no FLOPs): norms read and write the hidden state (2·h per token;
 * backward 3·h), residual adds read two and write one (3·h), activations read the fc1 output and
 * write the fc2 input (gelu/relu2 2·f, swiglu 3·f; backward 3·f and 5·f).
 *
 * Recomputation: selective re-runs the attention core (phase "recompute") before its backward;
 * full re-runs the whole layer forward, TP/CP/EP communication included, before the layer's
 * backward (Megatron's uniform recompute, one layer per checkpoint). */
#include "models/gen_int.h"

bool gen_layer_is_moe(const model *m, int64_t layer) {
  return m->moe_experts > 0 && layer >= m->dense_layers;
}

double gen_attention_full_flops(const gen_shape *sh) {
  return 2.0 * (double)sh->tokens * (double)sh->seq * (double)sh->heads *
         (double)(sh->qk_dim + sh->v_dim);
}

static double q_o_elems(const gen_shape *sh) {
  return (double)sh->tokens * (double)sh->heads * (double)(sh->qk_dim + sh->v_dim);
}

static double kv_elems(const gen_shape *sh) {
  return (double)sh->seq_kv * (double)sh->kv_heads * (double)(sh->qk_dim + sh->v_dim);
}

static void naive_core(gen_ctx *g, bool backward, int64_t dep);

static int64_t attention_op(gen_ctx *g, bool backward, int64_t dep) {
  const gen_shape *sh = &g->sh;
  if (g->p->naive_attention) {
    naive_core(g, backward, dep);
    return g->chain;
  }
  trace_op op = {0};
  op.kind = TRACE_OP_ATTENTION;
  op.dtype = (uint8_t)sh->act_dt;
  op.stream = TRACE_STREAM_COMPUTE;
  op.comm = TRACE_NO_COMM;
  op.flags = TRACE_FLAG_CAUSAL;
  op.peer = -1;
  op.m = sh->mbs * sh->heads;
  op.n = sh->tokens / sh->mbs;
  op.k = sh->qk_dim;
  op.count = 1;
  double causal = gen_attention_full_flops(sh) / 2.0;
  op.flops = backward ? 2.5 * causal : causal;
  /* forward: Q,O + K,V; backward: Q,K,V,O,dO read, dQ,dK,dV written = twice that. */
  op.bytes = (backward ? 2.0 : 1.0) * (q_o_elems(sh) + kv_elems(sh)) * sh->act_b;
  int64_t deps[2] = {g->chain, dep};
  int64_t idx = gen_emit(g, op, deps, 2);
  if (idx >= 0) g->chain = idx;
  return idx;
}

/* One batched product of the unfused core: mbs·heads products in the activation dtype. */
static void attn_bmm(gen_ctx *g, int64_t m, int64_t n, int64_t k, int64_t dep) {
  const gen_shape *sh = &g->sh;
  trace_op op = {0};
  op.kind = TRACE_OP_GEMM;
  op.dtype = (uint8_t)sh->act_dt;
  op.stream = TRACE_STREAM_COMPUTE;
  op.comm = TRACE_NO_COMM;
  op.peer = -1;
  op.m = m;
  op.n = n;
  op.k = k;
  op.count = sh->mbs * sh->heads;
  op.flops = 2.0 * (double)op.count * (double)m * (double)n * (double)k;
  op.bytes = (double)op.count * ((double)m * k + (double)k * n + (double)m * n) * sh->act_b;
  int64_t deps[2] = {g->chain, dep};
  int64_t idx = gen_emit(g, op, deps, 2);
  if (idx >= 0) g->chain = idx;
}

/* Unfused attention core, forward or backward (see the top of the file); dep: K,V gathered. */
static void naive_core(gen_ctx *g, bool backward, int64_t dep) {
  const gen_shape *sh = &g->sh;
  int64_t sq = sh->tokens / sh->mbs, skv = sh->seq_kv / sh->mbs;
  double scores = (double)sh->mbs * sh->heads * sq * skv, b = sh->act_b;
  if (!backward) {
    attn_bmm(g, sq, skv, sh->qk_dim, dep);
    gen_mem(g, TRACE_OP_ELEMENTWISE, 2.0 * scores * b);
    gen_mem(g, TRACE_OP_ELEMENTWISE, scores * (2.0 * b + 1.0));
    attn_bmm(g, sq, sh->v_dim, skv, -1);
    return;
  }
  attn_bmm(g, sq, skv, sh->v_dim, dep);
  attn_bmm(g, skv, sh->v_dim, sq, -1);
  gen_mem(g, TRACE_OP_ELEMENTWISE, scores * (2.0 * b + 1.0));
  gen_mem(g, TRACE_OP_ELEMENTWISE, 3.0 * scores * b);
  attn_bmm(g, sq, sh->qk_dim, skv, -1);
  attn_bmm(g, skv, sh->qk_dim, sq, -1);
}

static int64_t cp_gather_kv(gen_ctx *g, bool detached) {
  return gen_coll(g, TRACE_OP_ALL_GATHER, GEN_CP, kv_elems(&g->sh) * g->sh.act_b, g->sh.act_dt,
                  g->chain, detached);
}

static void qkv_fwd(gen_ctx *g) {
  const model *m = g->m;
  const gen_shape *sh = &g->sh;
  int64_t t = sh->tokens, h = m->hidden;
  if (m->attn != MODEL_ATTN_LATENT) {
    gen_gemm(g, t, (sh->heads + 2 * sh->kv_heads) * sh->head_dim, h, 1, 0);
    return;
  }
  if (m->q_lora_rank > 0) {
    gen_gemm(g, t, m->q_lora_rank, h, 1, 0);
    gen_mem(g, TRACE_OP_NORM, 2.0 * t * m->q_lora_rank * sh->act_b);
    gen_gemm(g, t, sh->heads * sh->qk_dim, m->q_lora_rank, 1, 0);
  } else {
    gen_gemm(g, t, sh->heads * sh->qk_dim, h, 1, 0);
  }
  gen_gemm(g, t, m->kv_lora_rank + m->qk_rope_dim, h, 1, 0);
  gen_mem(g, TRACE_OP_NORM, 2.0 * t * m->kv_lora_rank * sh->act_b);
  gen_gemm(g, t, sh->heads * (m->qk_nope_dim + sh->v_dim), m->kv_lora_rank, 1, 0);
}

static void qkv_bwd(gen_ctx *g, int64_t x) {
  const model *m = g->m;
  const gen_shape *sh = &g->sh;
  int64_t t = sh->tokens, h = m->hidden;
  if (m->attn != MODEL_ATTN_LATENT) {
    gen_linear_bwd(g, t, (sh->heads + 2 * sh->kv_heads) * sh->head_dim, h, 1, 0, x);
    return;
  }
  gen_linear_bwd(g, t, sh->heads * (m->qk_nope_dim + sh->v_dim), m->kv_lora_rank, 1, 0, -1);
  gen_mem(g, TRACE_OP_NORM, 3.0 * t * m->kv_lora_rank * sh->act_b);
  gen_linear_bwd(g, t, m->kv_lora_rank + m->qk_rope_dim, h, 1, 0, x);
  if (m->q_lora_rank > 0) {
    gen_linear_bwd(g, t, sh->heads * sh->qk_dim, m->q_lora_rank, 1, 0, -1);
    gen_mem(g, TRACE_OP_NORM, 3.0 * t * m->q_lora_rank * sh->act_b);
    gen_linear_bwd(g, t, m->q_lora_rank, h, 1, 0, x);
  } else {
    gen_linear_bwd(g, t, sh->heads * sh->qk_dim, h, 1, 0, x);
  }
}

static void attention_fwd(gen_ctx *g) {
  const gen_shape *sh = &g->sh;
  double th = (double)sh->tokens * g->m->hidden;
  gen_tp_enter_fwd(g, th);
  qkv_fwd(g);
  cp_gather_kv(g, false);
  attention_op(g, false, -1);
  gen_gemm(g, sh->tokens, g->m->hidden, sh->heads * sh->v_dim, 1, 0);
  gen_tp_exit_fwd(g, th);
}

static void attention_bwd(gen_ctx *g) {
  const gen_shape *sh = &g->sh;
  double th = (double)sh->tokens * g->m->hidden;
  gen_tp_exit_bwd(g, th);
  gen_linear_bwd(g, sh->tokens, g->m->hidden, sh->heads * sh->v_dim, 1, 0, -1);
  int64_t kv = cp_gather_kv(g, true);
  if (g->p->recompute == PLAN_RECOMP_SELECTIVE) {
    uint8_t phase = g->phase;
    g->phase = TRACE_PHASE_RECOMPUTE;
    attention_op(g, false, kv);
    g->phase = phase;
  }
  attention_op(g, true, kv);
  gen_coll(g, TRACE_OP_REDUCE_SCATTER, GEN_CP, kv_elems(sh) * sh->act_b, sh->act_dt, -1, false);
  int64_t x = gen_sp_regather(g, th);
  qkv_bwd(g, x);
  gen_tp_enter_bwd(g, th);
}

static int64_t mlp_mult(const model *m) {
  return m->mlp == MODEL_MLP_SWIGLU ? 2 : 1;
}

static void mlp_fwd(gen_ctx *g) {
  const gen_shape *sh = &g->sh;
  int64_t t = sh->tokens, h = g->m->hidden, f = g->m->ffn / sh->tp, mult = mlp_mult(g->m);
  gen_tp_enter_fwd(g, (double)t * h);
  gen_gemm(g, t, mult * f, h, 1, 0);
  gen_mem(g, TRACE_OP_ELEMENTWISE, (double)(mult + 1) * t * f * sh->act_b);
  gen_gemm(g, t, h, f, 1, 0);
  gen_tp_exit_fwd(g, (double)t * h);
}

static void mlp_bwd(gen_ctx *g) {
  const gen_shape *sh = &g->sh;
  int64_t t = sh->tokens, h = g->m->hidden, f = g->m->ffn / sh->tp, mult = mlp_mult(g->m);
  gen_tp_exit_bwd(g, (double)t * h);
  gen_linear_bwd(g, t, h, f, 1, 0, -1);
  gen_mem(g, TRACE_OP_ELEMENTWISE, (double)(2 * mult + 1) * t * f * sh->act_b);
  int64_t x = gen_sp_regather(g, (double)t * h);
  gen_linear_bwd(g, t, mult * f, h, 1, 0, x);
  gen_tp_enter_bwd(g, (double)t * h);
}

static void layer_fwd_body(gen_ctx *g, int64_t layer) {
  const gen_shape *sh = &g->sh;
  double hidden_bytes = (double)sh->tokens_sp * g->m->hidden * sh->act_b;
  gen_mem(g, TRACE_OP_NORM, 2.0 * hidden_bytes);
  attention_fwd(g);
  gen_mem(g, TRACE_OP_ELEMENTWISE, 3.0 * hidden_bytes);
  gen_mem(g, TRACE_OP_NORM, 2.0 * hidden_bytes);
  if (gen_layer_is_moe(g->m, layer))
    gen_moe_fwd(g);
  else
    mlp_fwd(g);
  gen_mem(g, TRACE_OP_ELEMENTWISE, 3.0 * hidden_bytes);
}

void gen_layer_fwd(gen_ctx *g, int64_t layer) {
  g->layer = (uint16_t)layer;
  if (g->p->zero >= 3) gen_fsdp_gather(g, gen_layer_params(g->m, &g->sh, layer));
  layer_fwd_body(g, layer);
}

void gen_layer_bwd(gen_ctx *g, int64_t layer) {
  g->layer = (uint16_t)layer;
  gen_params params = gen_layer_params(g->m, &g->sh, layer);
  if (g->p->zero >= 3) gen_fsdp_gather(g, params);
  if (g->p->recompute == PLAN_RECOMP_FULL) {
    int64_t grad = g->chain;
    g->phase = TRACE_PHASE_RECOMPUTE;
    layer_fwd_body(g, layer);
    g->phase = TRACE_PHASE_BACKWARD;
    g->chain =
        grad; /* the backward consumes the incoming gradient (compute FIFO orders the rest) */
  }
  const gen_shape *sh = &g->sh;
  double hidden_bytes = (double)sh->tokens_sp * g->m->hidden * sh->act_b;
  if (gen_layer_is_moe(g->m, layer))
    gen_moe_bwd(g);
  else
    mlp_bwd(g);
  gen_mem(g, TRACE_OP_NORM, 3.0 * hidden_bytes);
  gen_mem(g, TRACE_OP_ELEMENTWISE, 3.0 * hidden_bytes);
  attention_bwd(g);
  gen_mem(g, TRACE_OP_NORM, 3.0 * hidden_bytes);
  gen_mem(g, TRACE_OP_ELEMENTWISE, 3.0 * hidden_bytes);
  gen_dp_add(g, params, g->last_compute);
}
