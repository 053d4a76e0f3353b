/* The shapes inside one transformer layer that the accounting (parameters, FLOPs, memory) shares:
 * attention projection widths for standard (MHA/GQA/MQA) and multi-head latent attention
 * (DeepSeek-V2/V3: W_DQ h x q_lora, W_UQ q_lora x heads*(nope+rope), W_DKV h x (kv_lora+rope),
 * W_UKV kv_lora x heads*(nope+v), W_O heads*v x h, RMS norms on both latents), MLP matrices
 * (gelu/relu2: 2, swiglu: 3) and which layers are MoE (all but the first dense_layers).
 * Norms count hidden weights each (RMSNorm / LayerNorm without bias); biases are not counted. */
#include "models/models_int.h"

model_attn_dims model_attn_dims_of(const model *m) {
  model_attn_dims d;
  if (m->attn == MODEL_ATTN_LATENT) {
    d.qk_head = (double)(m->qk_nope_dim + m->qk_rope_dim);
    d.v_head = (double)m->v_head_dim;
    d.q_dim = (double)m->heads * d.qk_head;
    d.kv_dim = d.q_dim;
    d.v_dim = (double)m->heads * d.v_head;
  } else {
    d.qk_head = d.v_head = (double)m->head_dim;
    d.q_dim = (double)m->heads * d.qk_head;
    d.kv_dim = (double)m->kv_heads * d.qk_head;
    d.v_dim = (double)m->kv_heads * d.v_head;
  }
  d.o_dim = (double)m->heads * d.v_head;
  return d;
}

bool model_layer_is_moe(const model *m, int64_t layer) {
  return m->moe_experts > 0 && layer >= m->dense_layers;
}

int model_mlp_matrices(const model *m) {
  return m->mlp == MODEL_MLP_SWIGLU ? 3 : 2;
}

double model_mlp_params(const model *m, double f) {
  return model_mlp_matrices(m) * (double)m->hidden * f;
}

/* Weight matrices of the attention block (no norms). */
static double attn_matrix_params(const model *m) {
  double h = (double)m->hidden;
  model_attn_dims d = model_attn_dims_of(m);
  if (m->attn != MODEL_ATTN_LATENT) return h * (d.q_dim + d.kv_dim + d.v_dim) + d.o_dim * h;
  double q = m->q_lora_rank > 0 ? h * (double)m->q_lora_rank + (double)m->q_lora_rank * d.q_dim
                                : h * d.q_dim;
  double kv_lora = (double)m->kv_lora_rank;
  double kv = h * (kv_lora + (double)m->qk_rope_dim) +
              kv_lora * (double)m->heads * (double)(m->qk_nope_dim + m->v_head_dim);
  return q + kv + d.o_dim * h;
}

double model_attn_params(const model *m) {
  double norms = (double)m->hidden;
  if (m->attn == MODEL_ATTN_LATENT) norms += (double)(m->q_lora_rank + m->kv_lora_rank);
  return attn_matrix_params(m) + norms;
}

double model_attn_core_flops(const model *m, int64_t seq) {
  model_attn_dims d = model_attn_dims_of(m);
  return 2.0 * (double)seq * (d.q_dim + d.o_dim); /* QK^T: 2*s*heads*qk; PV: 2*s*heads*v */
}

/* Matrix FLOPs of the MLP part of one layer, forward, per token (router included). */
static double mlp_fwd_flops(const model *m, int64_t layer) {
  if (!model_layer_is_moe(m, layer)) return 2.0 * model_mlp_params(m, (double)m->ffn);
  double experts = (double)(m->moe_topk + m->moe_shared);
  return 2.0 * ((double)m->hidden * (double)m->moe_experts +
                experts * model_mlp_params(m, (double)m->moe_ffn));
}

double model_layer_fwd_flops(const model *m, int64_t layer, int64_t seq) {
  return 2.0 * attn_matrix_params(m) + model_attn_core_flops(m, seq) + mlp_fwd_flops(m, layer);
}
