/* Parameters and FLOPs by the published conventions (Narayanan et al. SC21, Korthikanti et al.
 * 2022): a matrix of P weights costs 2P FLOPs per token forward and 4P backward; the attention
 * core (QK^T and PV) costs 2*s*heads*(qk_dim + v_dim) per token forward, counted in full (not
 * halved for causal masking); the logits cost 2*h*V per token forward, once even when tied.
 * For GPT (gelu, MHA, ffn = 4h) this is exactly 72*B*s*l*h^2*(1 + s/6h + V/12lh) per step.
 * Hardware FLOPs add the recomputed forward work: the attention core (selective) or every layer
 * (full: 96*B*s*l*h^2*(1 + s/6h + V/16lh) for GPT). Norms, softmax and elementwise work are not
 * counted, as in the papers. */
#include "models/models_int.h"

static double layer_params(const model *m, int64_t layer, bool active) {
  double h = (double)m->hidden;
  double p = model_attn_params(m) + h; /* attention block + the MLP's norm */
  if (!model_layer_is_moe(m, layer)) return p + model_mlp_params(m, (double)m->ffn);
  double experts = (double)((active ? m->moe_topk : m->moe_experts) + m->moe_shared);
  return p + h * (double)m->moe_experts + experts * model_mlp_params(m, (double)m->moe_ffn);
}

static double params(const model *m, bool active) {
  double h = (double)m->hidden, vocab = (double)m->vocab;
  double total = vocab * h * (m->tied_embeddings ? 1.0 : 2.0) + h; /* embeddings, final norm */
  int64_t dense = m->moe_experts > 0 ? m->dense_layers : m->layers;
  total += (double)dense * layer_params(m, 0, active);
  if (m->layers > dense)
    total += (double)(m->layers - dense) * layer_params(m, m->layers - 1, active);
  return total;
}

double model_params_total(const model *m) {
  return params(m, false);
}
double model_params_active(const model *m) {
  return params(m, true);
}

/* Forward FLOPs per token of all layers (dense and MoE layers counted separately). */
static double layers_fwd_flops(const model *m, int64_t seq) {
  int64_t dense = m->moe_experts > 0 ? m->dense_layers : m->layers;
  double f = (double)dense * model_layer_fwd_flops(m, 0, seq);
  if (m->layers > dense)
    f += (double)(m->layers - dense) * model_layer_fwd_flops(m, m->layers - 1, seq);
  return f;
}

double model_flops_per_token(const model *m, int64_t seq) {
  double logits = 2.0 * (double)m->hidden * (double)m->vocab;
  return 3.0 * (layers_fwd_flops(m, seq) + logits);
}

model_step_flops model_step_flops_count(const model *m, const plan *p) {
  model_step_flops f = {0, 0};
  double tokens = (double)p->gbs * (double)m->seq;
  f.model_flops = tokens * model_flops_per_token(m, m->seq);
  double recomputed = 0;
  if (p->recompute == PLAN_RECOMP_SELECTIVE)
    recomputed = (double)m->layers * model_attn_core_flops(m, m->seq);
  else if (p->recompute == PLAN_RECOMP_FULL)
    recomputed = layers_fwd_flops(m, m->seq);
  f.hw_flops = f.model_flops + tokens * recomputed;
  return f;
}
