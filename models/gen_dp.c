/* Data parallelism and the optimizer step, following Megatron-LM's DistributedDataParallel and
 * distributed optimizer (and PyTorch FSDP for ZeRO-3).
 *
 * Gradient buckets: Megatron's default bucket of max(40e6, 1e6·dp·cp) parameters (of the rank's
 * TP/PP-local model). As each layer's wgrads finish in the backward of a chunk's last micro-batch,
 * its parameters join the open bucket; a full bucket is reduced at once on the DP stream, so the
 * reduction overlaps the rest of the backward (overlap_grad_reduce). The last partial bucket of a
 * chunk is reduced when that chunk's backward ends. Dense parameters reduce over "dp" (DP x CP),
 * expert parameters over "edp" (DP x CP / EP), in separate buckets as Megatron keeps them.
 * With dp_overlap off the buckets are all reduced after the last backward instead.
 *   ZeRO 0: all-reduce of the buffer; ZeRO 1/2 (distributed optimizer): reduce-scatter, then after
 *   the optimizer an all-gather of the updated parameters in buckets of the same size.
 *   ZeRO 3 / FSDP: every micro-batch gathers each layer's parameters before its forward and again
 *   before its backward (prefetched: the gather for a layer may start once the previous layer's
 *   first op has started — FSDP's one-layer forward/backward prefetch), and reduce-scatters that
 *   layer's gradients right after its wgrads; no parameter gather after the optimizer.
 * Bytes: gradients reduce in fp32 (Megatron accumulates and reduces grads in fp32 when training in
 * bf16: accumulate_allreduce_grads_in_fp32); parameters gather in the parameter dtype (bf16 for
 * bf16/fp8/fp4 training — the fp8 copies are made from bf16 weights —, fp16, or fp32).
 * Optimizer (mixed-precision Adam) over the rank's shard: reads fp32 grad, master weight, m, v
 * (16 B) and writes master, m, v (12 B) and the bf16 weight (2 B): 30 bytes per parameter (fp32
 * training: no separate master, 28). Its FLOPs (~10 per parameter) are left out, as every
 * published count does. */
#include <math.h>

#include "models/gen_int.h"

static double mlp_matrices(const model *m) {
  return m->mlp == MODEL_MLP_SWIGLU ? 3.0 : 2.0;
}

static double attention_params(const model *m, const gen_shape *sh) {
  double h = (double)m->hidden;
  if (m->attn != MODEL_ATTN_LATENT)
    return h * (double)((sh->heads + 2 * sh->kv_heads) * sh->head_dim) +
           (double)(sh->heads * sh->head_dim) * h;
  double q =
      m->q_lora_rank > 0
          ? h * m->q_lora_rank + (double)m->q_lora_rank * sh->heads * sh->qk_dim + m->q_lora_rank
          : h * (double)(sh->heads * sh->qk_dim);
  double kv = h * (double)(m->kv_lora_rank + m->qk_rope_dim) +
              (double)m->kv_lora_rank * sh->heads * (m->qk_nope_dim + sh->v_dim) + m->kv_lora_rank;
  return q + kv + (double)(sh->heads * sh->v_dim) * h;
}

gen_params gen_layer_params(const model *m, const gen_shape *sh, int64_t layer) {
  double h = (double)m->hidden;
  gen_params p = {attention_params(m, sh) + 2.0 * h, 0.0};
  if (!gen_layer_is_moe(m, layer)) {
    p.dense += mlp_matrices(m) * h * (double)(m->ffn / sh->tp);
    return p;
  }
  p.dense += h * (double)m->moe_experts;
  p.dense += mlp_matrices(m) * h * (double)(m->moe_shared * m->moe_ffn / sh->tp);
  p.expert =
      (double)(m->moe_experts / sh->ep) * mlp_matrices(m) * h * (double)(m->moe_ffn / sh->tp);
  return p;
}

gen_params gen_embedding_params(const model *m, const gen_shape *sh) {
  gen_params p = {(double)(m->vocab / sh->tp) * (double)m->hidden, 0.0};
  return p;
}

gen_params gen_output_params(const model *m, const plan *p, const gen_shape *sh) {
  gen_params out = {(double)m->hidden, 0.0}; /* final norm */
  if (!(m->tied_embeddings && p->pp == 1))
    out.dense += (double)(m->vocab / sh->tp) * (double)m->hidden;
  return out;
}

static int64_t group_size(const gen_ctx *g, gen_comm_id c) {
  const plan *p = g->p;
  int64_t dpcp = (int64_t)p->dp * p->cp;
  return c == GEN_EDP ? dpcp / (p->ep > 0 ? p->ep : 1) : dpcp;
}

static hw_dtype param_dtype(const gen_ctx *g) {
  return g->sh.param_b >= 4.0 ? HW_FP32 : g->p->dtype == HW_FP16 ? HW_FP16 : HW_BF16;
}

static int64_t grad_coll(gen_ctx *g, gen_comm_id c, double params, int64_t dep) {
  if (params <= 0.0 || g->comm[c] < 0) return -1;
  if (c == GEN_DP)
    g->buckets_dense += 1.0;
  else
    g->buckets_expert += 1.0;
  trace_op_kind kind = g->p->zero == 0 ? TRACE_OP_ALL_REDUCE : TRACE_OP_REDUCE_SCATTER;
  int64_t idx = gen_coll(g, kind, c, params * g->sh.grad_b, HW_FP32, dep, true);
  if (idx >= 0) g->last_dp_op = idx;
  return idx;
}

/* Emits n collectives of equal size over comm c (n = ceil(params / bucket) when 0). */
static void in_buckets(gen_ctx *g, gen_comm_id c, trace_op_kind kind, double params, double elem_b,
                       hw_dtype dt, int64_t dep, double n) {
  if (params <= 0.0 || g->comm[c] < 0) return;
  if (n < 1.0) n = ceil(params / g->bucket_params);
  for (double i = 0; i < n; i += 1.0) {
    int64_t idx = gen_coll(g, kind, c, params / n * elem_b, dt, dep, true);
    if (idx >= 0) g->last_dp_op = idx;
  }
}

void gen_dp_add(gen_ctx *g, gen_params params, int64_t dep) {
  if (g->p->zero >= 3) {
    grad_coll(g, GEN_DP, params.dense, dep);
    grad_coll(g, GEN_EDP, params.expert, dep);
    return;
  }
  if (!g->reduce_grads) return;
  if (!g->p->dp_overlap) {
    g->deferred.dense += params.dense;
    g->deferred.expert += params.expert;
    return;
  }
  g->bucket.dense += params.dense;
  g->bucket.expert += params.expert;
  g->bucket_dep = dep;
  if (g->bucket.dense >= g->bucket_params) {
    grad_coll(g, GEN_DP, g->bucket.dense, dep);
    g->bucket.dense = 0.0;
  }
  if (g->bucket.expert >= g->bucket_params) {
    grad_coll(g, GEN_EDP, g->bucket.expert, dep);
    g->bucket.expert = 0.0;
  }
}

void gen_dp_flush(gen_ctx *g) {
  grad_coll(g, GEN_DP, g->bucket.dense, g->bucket_dep);
  grad_coll(g, GEN_EDP, g->bucket.expert, g->bucket_dep);
  g->bucket.dense = g->bucket.expert = 0.0;
}

void gen_fsdp_gather(gen_ctx *g, gen_params params) {
  hw_dtype dt = param_dtype(g);
  for (int i = 0; i < 2; i++) {
    gen_comm_id c = i == 0 ? GEN_DP : GEN_EDP;
    double n = i == 0 ? params.dense : params.expert;
    if (n <= 0.0) continue;
    int64_t idx = gen_coll(g, TRACE_OP_ALL_GATHER, c, n * g->sh.param_b, dt, g->fsdp_prev, true);
    if (idx >= 0) g->pending[i] = g->last_dp_op = idx;
  }
}

void gen_dp_finish(gen_ctx *g, gen_params stage) {
  g->phase = TRACE_PHASE_OPTIMIZER;
  g->micro = 0;
  g->chain = -1;
  g->layer = TRACE_NO_LAYER;
  const plan *p = g->p;
  if (p->zero < 3) {
    trace_op_kind kind = p->zero == 0 ? TRACE_OP_ALL_REDUCE : TRACE_OP_REDUCE_SCATTER;
    double nd = ceil(g->deferred.dense / g->bucket_params),
           ne = ceil(g->deferred.expert / g->bucket_params);
    in_buckets(g, GEN_DP, kind, g->deferred.dense, g->sh.grad_b, HW_FP32, g->last_compute, nd);
    in_buckets(g, GEN_EDP, kind, g->deferred.expert, g->sh.grad_b, HW_FP32, g->last_compute, ne);
    if (g->comm[GEN_DP] >= 0) g->buckets_dense += nd;
    if (g->comm[GEN_EDP] >= 0) g->buckets_expert += ne;
  }
  double shard = stage.dense + stage.expert;
  if (p->zero >= 1)
    shard =
        stage.dense / (double)group_size(g, GEN_DP) + stage.expert / (double)group_size(g, GEN_EDP);
  trace_op op = {0};
  op.kind = TRACE_OP_OPTIMIZER;
  op.dtype = HW_FP32;
  op.stream = TRACE_STREAM_COMPUTE;
  op.comm = TRACE_NO_COMM;
  op.peer = -1;
  op.count = 1;
  op.m = (int64_t)llround(shard);
  op.bytes = shard * (p->dtype == HW_FP32 ? 28.0 : 30.0);
  int64_t opt = gen_emit(g, op, &g->last_dp_op, 1);
  if (p->zero == 1 || p->zero == 2) {
    /* Megatron gathers the updated parameters bucket by bucket: as many gathers as reductions. */
    in_buckets(g, GEN_DP, TRACE_OP_ALL_GATHER, stage.dense, g->sh.param_b, param_dtype(g), opt,
               g->buckets_dense);
    in_buckets(g, GEN_EDP, TRACE_OP_ALL_GATHER, stage.expert, g->sh.param_b, param_dtype(g), opt,
               g->buckets_expert);
  }
}
