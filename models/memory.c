/* Memory of one rank, by the fullest pipeline stage.
 *  - Weights, gradients, optimizer state: mixed-precision Adam as Megatron-LM keeps it: 16-bit
 *    weights (2 B/param; fp32 runs 4 B), fp32 main gradients (4 B), fp32 master weights and two
 *    moments (12 B; fp32 runs 8 B). ZeRO shards over the data-parallel group (dp*cp; expert
 *    parameters over dp*cp/ep): zero=1 the optimizer, zero=2 also the gradients, zero=3 also the
 *    weights. Matrices are split over tp (KV projections replicated when tp > kv_heads); experts
 *    over ep (and tp, as expert TP); norms and the router are replicated.
 *  - Activations per layer per micro-batch after Korthikanti et al. 2022 (16-bit, dropout masks
 *    1 B): GPT gives s*b*h*(10 + 24/t) bytes, (34/t) with sequence parallelism; the 5*a*s^2*b/t
 *    softmax term only with attention=naive and no recomputation (flash attention is the
 *    default); full recomputation keeps the layer input, 2*s*b*h (/t with SP). Sequence length
 *    per rank is seq/cp. The general count (GQA, SwiGLU, MoE, latent attention) stores the same
 *    tensors at their real widths: see act_layer. fp32 runs keep 4-byte activations; fp8/fp4 runs
 *    keep the GEMM inputs saved for backward in the low precision (Transformer Engine), so a GPT
 *    layer under fp8 + SP holds 29*s*b*h/t.
 *  - In-flight micro-batches: 1F1B stage i holds min(pp - i, m); GPipe all m; interleaved
 *    stage i holds min(2(pp-i-1) + (v-1)pp + 1, m*v) chunks of layers/v (Megatron's warm-up
 *    count; stage 0 gives Korthikanti's L*pp*(1 + (pp-1)/(pp*v)) layer-micro-batches).
 *  - First stage: embedding dropout mask per in-flight micro-batch; last stage: final norm input,
 *    logits input and fp32 logits, 4*s*b*h + 4*s*b*V/t (Korthikanti), once (GPipe: m times).
 *  - Buffers (assumption, see README): the SP all-gather buffer (2*s*b*h), pipeline send/recv
 *    buffers (4 x one activation), EP dispatch/combine (2 x top-k copies of the tokens), ZeRO-2/3
 *    gradient buckets (2 x 40M fp32 params) and ZeRO-3 prefetch of two layers' weights. */
#include <stdio.h>

#include "models/models_int.h"

#define GIB 1073741824.0 /* memory is shown in GiB, the unit HBM capacities come in */

typedef struct mem_ctx {
  const model *m;
  const plan *p;
  double t, rep_div, tokens, seq_rank; /* tokens: (seq/cp)*mbs per micro-batch on one rank */
  double weight_b, grad_b, opt_b;
  double act_b, gemm_b;      /* activation element; saved GEMM input */
  double act_dense, act_moe; /* bytes per layer per micro-batch */
  double micro_batches;
} mem_ctx;

/* KV heads one rank's projections produce, times tp (replicated heads when tp > kv_heads). */
static double kv_heads_eff(const model *m, double t) {
  if (m->attn == MODEL_ATTN_LATENT) return (double)m->heads;
  return (double)m->kv_heads > t ? (double)m->kv_heads : t;
}

/* Bytes of one token's MLP tensors kept for backward: the activation's input (gate and up for
 * SwiGLU), act_b each, and its output (the down projection's input), gemm_b. */
static double mlp_act(const mem_ctx *c, double f) {
  return c->act_b * (model_mlp_matrices(c->m) - 1) * f + c->gemm_b * f;
}

/* Activation bytes of one layer for one micro-batch on one rank. act_b: bytes of an activation
 * element (2; fp32 runs 4); gemm_b: bytes of a GEMM input saved for backward (fp8/fp4 runs keep
 * the low-precision copy, as Transformer Engine does); dropout masks 1 byte. */
static double act_layer(const mem_ctx *c, bool moe) {
  const model *m = c->m;
  double h = (double)m->hidden, a = c->act_b, g = c->gemm_b;
  if (c->p->recompute == PLAN_RECOMP_FULL) return a * c->tokens * h / c->rep_div;
  model_attn_dims d = model_attn_dims_of(m);
  double kv = kv_heads_eff(m, c->t);
  /* Replicated across TP unless SP: two norm inputs, the QKV and MLP inputs, two dropout masks;
   * latent attention adds its two latents (norm input and up-projection input). */
  double rep = 2 * a * h + 2 * g * h + 2 * h;
  if (m->attn == MODEL_ATTN_LATENT) rep += (a + g) * (double)(m->q_lora_rank + m->kv_lora_rank);
  /* Split across TP: Q, K, V and the attention output (kept by flash attention; a low-precision
   * run also keeps the output projection's own copy), and the MLP's inner tensors. */
  double split = a * (d.q_dim + kv * d.qk_head + kv * d.v_head + d.o_dim);
  if (g < a) split += g * d.o_dim;
  if (moe) {
    rep += 4.0 * (double)m->moe_experts; /* router logits, fp32 */
    split += (double)m->moe_topk * (g * h + mlp_act(c, (double)m->moe_ffn)) +
             (double)m->moe_shared * mlp_act(c, (double)m->moe_ffn);
  } else {
    split += mlp_act(c, (double)m->ffn);
  }
  double bytes = c->tokens * (rep / c->rep_div + split / c->t);
  if (c->p->naive_attention &&
      c->p->recompute == PLAN_RECOMP_NONE) /* softmax out, mask, dropout out */
    bytes += (2 * a + 1) * (double)m->heads * c->seq_rank * c->tokens / c->t;
  return bytes;
}

/* Layers of [first, first+n) that are MoE. */
static double moe_layers_in(const model *m, int64_t first, int64_t n) {
  if (m->moe_experts == 0) return 0;
  int64_t start = first > m->dense_layers ? first : m->dense_layers;
  return start < first + n ? (double)(first + n - start) : 0;
}

static double chunk_act(const mem_ctx *c, int32_t chunk) {
  int64_t first = plan_chunk_first_layer(c->p, c->m, chunk),
          n = plan_chunk_layers(c->p, c->m, chunk);
  double moe = moe_layers_in(c->m, first, n);
  return ((double)n - moe) * c->act_dense + moe * c->act_moe;
}

/* In-flight micro-batches of stage i, in units of whole-stage micro-batches. */
static double in_flight(const mem_ctx *c, int32_t stage) {
  const plan *p = c->p;
  double m = c->micro_batches;
  if (p->schedule == PLAN_SCHED_GPIPE) return m;
  if (p->schedule == PLAN_SCHED_INTERLEAVED) {
    double v = p->vpp, chunks = 2.0 * (p->pp - stage - 1) + (v - 1.0) * p->pp + 1.0;
    return (chunks < m * v ? chunks : m * v) / v;
  }
  double n = (double)(p->pp - stage);
  return n < m ? n : m;
}

static double stage_activations(const mem_ctx *c, int32_t stage) {
  const plan *p = c->p;
  double h = (double)c->m->hidden, act = 0;
  for (int32_t v = 0; v < p->vpp; v++) act += chunk_act(c, stage + v * p->pp);
  double flight = in_flight(c, stage);
  act *= flight;
  if (stage == 0) act += flight * c->tokens * h / c->rep_div; /* embedding dropout mask */
  if (stage == p->pp - 1) /* in flight once under 1F1B, m times under GPipe */
    act += (p->schedule == PLAN_SCHED_GPIPE ? flight : 1.0) * c->tokens *
           (2 * c->act_b * h / c->rep_div + 4.0 * (double)c->m->vocab / c->t);
  return act;
}

/* Parameters one rank holds for one layer: the dense part (sharded over dp*cp by ZeRO) and the
 * expert part (over dp*cp/ep). */
static void layer_params_rank(const mem_ctx *c, bool moe, double *dense, double *expert) {
  const model *m = c->m;
  double h = (double)m->hidden, t = c->t;
  model_attn_dims d = model_attn_dims_of(m);
  double attn = model_attn_params(m) - h;
  if (m->attn != MODEL_ATTN_LATENT) /* replicate KV projections when tp > kv_heads */
    attn = h * (d.q_dim + kv_heads_eff(m, t) * (d.qk_head + d.v_head)) + d.o_dim * h;
  *dense = attn / t + 2.0 * h;
  *expert = 0;
  if (!moe) {
    *dense += model_mlp_params(m, (double)m->ffn) / t;
    return;
  }
  *dense += h * (double)m->moe_experts +
            (double)m->moe_shared * model_mlp_params(m, (double)m->moe_ffn) / t;
  *expert = (double)m->moe_experts / c->p->ep * model_mlp_params(m, (double)m->moe_ffn) / t;
}

static void stage_params(const mem_ctx *c, int32_t stage, double *dense, double *expert) {
  const model *m = c->m;
  double h = (double)m->hidden, vh = (double)m->vocab * h / c->t;
  double d_dense, e_dense, d_moe, e_moe;
  layer_params_rank(c, false, &d_dense, &e_dense);
  layer_params_rank(c, true, &d_moe, &e_moe);
  *dense = *expert = 0;
  for (int32_t v = 0; v < c->p->vpp; v++) {
    int32_t chunk = stage + v * c->p->pp;
    int64_t first = plan_chunk_first_layer(c->p, m, chunk), n = plan_chunk_layers(c->p, m, chunk);
    double moe = moe_layers_in(m, first, n);
    *dense += ((double)n - moe) * d_dense + moe * d_moe;
    *expert += ((double)n - moe) * e_dense + moe * e_moe;
  }
  if (stage == 0) *dense += vh;
  if (stage == c->p->pp - 1) *dense += h + ((!m->tied_embeddings || c->p->pp > 1) ? vh : 0);
}

static double buffers(const mem_ctx *c, int32_t stage, double dense_params, double expert_params) {
  const plan *p = c->p;
  const model *m = c->m;
  double act = c->act_b * c->tokens * (double)m->hidden; /* one activation, s*b*h elements */
  double b = 0;
  if (p->tp > 1 && p->sp) b += act;
  if (p->pp > 1) b += 4.0 * act / c->rep_div;
  if (m->moe_experts > 0) b += 2.0 * (double)m->moe_topk * act / c->rep_div;
  double dpcp = (double)p->dp * p->cp;
  if (p->zero >= 2 && dpcp > 1) {
    double bucket = 40e6, held = dense_params + expert_params;
    b += 2.0 * (bucket < held ? bucket : held) * c->grad_b;
  }
  if (p->zero >= 3 && dpcp > 1) {
    double layers = (double)plan_stage_layers(p, m, stage);
    double per_layer = layers > 0 ? (dense_params + expert_params) / layers : 0;
    b += 2.0 * per_layer * c->weight_b;
  }
  return b;
}

static void stage_memory(const mem_ctx *c, int32_t stage, model_memory *out) {
  const plan *p = c->p;
  double dense, expert;
  stage_params(c, stage, &dense, &expert);
  double d_dense = (double)p->dp * p->cp, d_exp = d_dense / p->ep;
  if (d_exp < 1) d_exp = 1;
  out->weights_bytes =
      c->weight_b * (p->zero >= 3 ? dense / d_dense + expert / d_exp : dense + expert);
  out->grads_bytes = c->grad_b * (p->zero >= 2 ? dense / d_dense + expert / d_exp : dense + expert);
  out->optimizer_bytes =
      c->opt_b * (p->zero >= 1 ? dense / d_dense + expert / d_exp : dense + expert);
  out->activations_bytes = stage_activations(c, stage);
  out->buffers_bytes = buffers(c, stage, dense, expert);
  out->total_bytes = out->weights_bytes + out->grads_bytes + out->optimizer_bytes +
                     out->activations_bytes + out->buffers_bytes;
  out->worst_stage = stage;
}

static ts_status check_split(const model *m, const plan *p, ts_err *err) {
  if (p->tp < 1 || p->pp < 1 || p->dp < 1 || p->cp < 1 || p->ep < 1 || p->vpp < 1 || p->mbs < 1 ||
      p->gbs < 1 || p->pp > PLAN_MAX_PP || p->vpp > PLAN_MAX_PP)
    return ts_fail(err, TS_EINPUT,
                   "memory: plan degrees and gbs must be positive (pp and vpp at most %d)",
                   PLAN_MAX_PP);
  if ((int64_t)p->pp * p->vpp > m->layers)
    return ts_fail(err, TS_EINPUT,
                   "memory: %lld layers of model '%s' cannot fill pp*vpp = %d*%d chunks "
                   "(a stage would be empty)",
                   (long long)m->layers, m->name, p->pp, p->vpp);
  for (int32_t c = 0; c < p->pp * p->vpp; c++)
    if (plan_chunk_layers(p, m, c) < 1)
      return ts_fail(err, TS_EINPUT, "memory: pipeline chunk %d of model '%s' would be empty", c,
                     m->name);
  return TS_OK;
}

ts_status model_memory_per_rank(const model *m, const plan *p, model_memory *out, ts_err *err) {
  ts_status st = check_split(m, p, err);
  if (st != TS_OK) return st;
  bool fp32 = p->dtype == HW_FP32;
  mem_ctx c = {.m = m,
               .p = p,
               .t = p->tp,
               .rep_div = p->sp ? p->tp : 1,
               .seq_rank = (double)m->seq / p->cp,
               .weight_b = fp32 ? 4 : 2,
               .grad_b = 4,
               .opt_b = fp32 ? 8 : 12};
  c.tokens = c.seq_rank * p->mbs;
  c.act_b = fp32 ? 4 : 2;
  c.gemm_b = p->dtype == HW_FP8 || p->dtype == HW_FP4 ? hw_dtype_bytes(p->dtype) : c.act_b;
  double mb = (double)p->gbs / ((double)p->dp * p->mbs);
  c.micro_batches = mb >= 1 ? mb : 1;
  c.act_dense = act_layer(&c, false);
  c.act_moe = m->moe_experts > 0 ? act_layer(&c, true) : c.act_dense;
  *out = (model_memory){0};
  for (int32_t s = 0; s < p->pp; s++) {
    model_memory here;
    stage_memory(&c, s, &here);
    if (s == 0 || here.total_bytes > out->total_bytes) *out = here;
  }
  return TS_OK;
}

ts_status model_memory_check(const model_memory *mem, const hw_chip *chip, ts_err *err) {
  int ranks = chip->ranks_per_chip > 0 ? chip->ranks_per_chip : 1;
  double hbm = chip->hbm_bytes / ranks;
  if (mem->total_bytes <= hbm) return TS_OK;
  double over = mem->total_bytes - hbm;
  return ts_fail(
      err, TS_ENOFIT,
      "memory: %.1f GiB per rank (weights %.1f, gradients %.1f, optimizer %.1f, "
      "activations %.1f, buffers %.1f GiB; stage %d) exceeds the %.1f GiB of HBM per rank of "
      "%s by %.1f GiB (%.0f bytes)",
      mem->total_bytes / GIB, mem->weights_bytes / GIB, mem->grads_bytes / GIB,
      mem->optimizer_bytes / GIB, mem->activations_bytes / GIB, mem->buffers_bytes / GIB,
      mem->worst_stage, hbm / GIB, chip->name, over / GIB, over);
}
