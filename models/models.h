/* models: what the work is. Transformer models (dense, GQA/MQA, MoE, latent attention), parallel
 * plans, the closed-form accounting (parameters, FLOPs, memory per rank) and the workload
 * generator that turns (model, plan, system) into the trace of one training step.
 * models/ knows hardware only through the memory check (hw_chip's HBM). */
#ifndef MODELS_MODELS_H
#define MODELS_MODELS_H

#include <stdbool.h>
#include <stdint.h>

#include "hw/base/ts_err.h"
#include "hw/hw.h"

/* ---- models ---------------------------------------------------------------------------------- */
typedef enum { MODEL_MLP_GELU, MODEL_MLP_SWIGLU, MODEL_MLP_RELU2 } model_mlp;
typedef enum { MODEL_ATTN_STANDARD, MODEL_ATTN_LATENT } model_attn;

typedef struct model {
  char name[64];
  char source[240];
  int64_t layers, hidden, ffn, heads, kv_heads, head_dim, vocab, seq;
  model_mlp mlp;
  model_attn attn;
  /* Mixture of experts; moe_experts == 0 for dense models. */
  int64_t moe_experts, moe_topk, moe_ffn, moe_shared, dense_layers;
  /* Multi-head latent attention (DeepSeek-V2/V3); zero unless attn == MODEL_ATTN_LATENT. */
  int64_t q_lora_rank, kv_lora_rank, qk_rope_dim, qk_nope_dim, v_head_dim;
  bool tied_embeddings;
} model;

const char *model_mlp_name(model_mlp m); /* "gelu", "swiglu", "relu2" */
bool model_mlp_parse(const char *text, model_mlp *out);

/* By zoo name ("llama3-70b"), by path (contains '/' or ends in .yaml), or inline
 * ("layers=32,hidden=4096,ffn=11008,heads=32,vocab=32000,seq=4096,mlp=swiglu"). */
ts_status model_load(const char *spec, model *out, ts_err *err);
/* Checks every field's range and consistency (heads divide hidden unless head_dim given, ...). */
ts_status model_check(const model *m, ts_err *err);
ts_status model_zoo_names(char (**names)[64], size_t *n, ts_err *err);

double model_params_total(const model *m);
double model_params_active(const model *m);   /* per token: shared + top-k experts */
/* Model FLOPs per token for forward + backward (no recomputation), attention counted in full
 * (Megatron's convention), at sequence length seq. */
double model_flops_per_token(const model *m, int64_t seq);

/* ---- plans ----------------------------------------------------------------------------------- */
typedef enum { PLAN_SCHED_1F1B, PLAN_SCHED_INTERLEAVED, PLAN_SCHED_GPIPE } plan_schedule;
typedef enum { PLAN_RECOMP_NONE, PLAN_RECOMP_SELECTIVE, PLAN_RECOMP_FULL } plan_recompute;

/* Bits of plan.set: which fields the user gave (the rest are defaults or chosen by search). */
enum {
  PLAN_SET_TP = 1 << 0, PLAN_SET_PP = 1 << 1, PLAN_SET_DP = 1 << 2, PLAN_SET_CP = 1 << 3,
  PLAN_SET_EP = 1 << 4, PLAN_SET_VPP = 1 << 5, PLAN_SET_MBS = 1 << 6, PLAN_SET_GBS = 1 << 7,
  PLAN_SET_RECOMPUTE = 1 << 8, PLAN_SET_ZERO = 1 << 9, PLAN_SET_DTYPE = 1 << 10,
  PLAN_SET_SCHEDULE = 1 << 11, PLAN_SET_SP = 1 << 12, PLAN_SET_TP_OVERLAP = 1 << 13,
  PLAN_SET_DP_OVERLAP = 1 << 14, PLAN_SET_PP_OVERLAP = 1 << 15, PLAN_SET_STAGE_LAYERS = 1 << 16,
  PLAN_SET_ATTENTION = 1 << 17
};

enum { PLAN_MAX_PP = 1024 };

typedef struct plan {
  int32_t tp, pp, dp, cp, ep, vpp, mbs; /* degrees count ranks (GPUs or NeuronCores) */
  int64_t gbs;                          /* global batch, sequences */
  plan_recompute recompute;
  int32_t zero;                         /* 0..3; 3 = FSDP */
  hw_dtype dtype;                       /* dtype of the matrix work */
  plan_schedule schedule;
  bool sp;                              /* sequence parallelism with TP (Megatron) */
  bool tp_overlap, dp_overlap, pp_overlap;
  uint32_t set;                         /* PLAN_SET_* bits */
  int32_t n_stage_layers;               /* 0 = split evenly (DESIGN.md); else == pp */
  int32_t stage_layers[PLAN_MAX_PP];
  bool naive_attention;                 /* attention=naive: unfused softmax, s^2 activations kept
                                           (default false: flash attention, DESIGN.md) */
} plan;

const char *plan_schedule_name(plan_schedule s);
const char *plan_recompute_name(plan_recompute r);

/* Defaults: tp=pp=dp=cp=ep=vpp=mbs=1, gbs = dp*mbs, recompute none, zero 1, bf16, 1f1b, sp = tp>1,
 * overlaps on. */
void plan_init(plan *p);
/* "tp=8,pp=16,dp=64,..."; unknown keys, bad values and duplicates are errors naming the field. */
ts_status plan_parse(const char *spec, plan *out, ts_err *err);
/* Divisibility against the model, chip count (ranks = chips x ranks_per_chip), dtype support. */
ts_status plan_check(const plan *p, const model *m, const hw_system *sys, int64_t chips, ts_err *err);
/* Canonical text form, every field: "tp=8,pp=16,...". Returns snprintf's count. */
int plan_format(const plan *p, char *buf, size_t cap);
/* Layers of pipeline stage s (0-based) under the plan's split. */
int64_t plan_stage_layers(const plan *p, const model *m, int32_t stage);
/* Layers of model chunk c (0-based, model order, 0..pp*vpp-1); chunk c runs on pipeline stage
 * c % pp as its virtual stage c / pp. Without vpp, chunk == stage. The even split gives the
 * extra layers to the middle chunks first, so the first (embedding) and last (loss) chunks take
 * the smaller shares (DESIGN.md). */
int64_t plan_chunk_layers(const plan *p, const model *m, int32_t chunk);
/* First layer (0-based, model order) of chunk c. */
int64_t plan_chunk_first_layer(const plan *p, const model *m, int32_t chunk);
int64_t plan_micro_batches(const plan *p); /* gbs / (dp * mbs) */

/* ---- accounting ------------------------------------------------------------------------------ */
/* FLOPs of one whole step (all ranks): model FLOPs (fwd + bwd, no recomputation) and hardware
 * FLOPs (recomputation included), attention counted in full as Megatron does. */
typedef struct model_step_flops {
  double model_flops;
  double hw_flops;
} model_step_flops;

model_step_flops model_step_flops_count(const model *m, const plan *p);

/* Memory of one rank (the fullest pipeline stage), bytes. */
typedef struct model_memory {
  double weights_bytes, grads_bytes, optimizer_bytes, activations_bytes, buffers_bytes;
  double total_bytes;
  int32_t worst_stage;
} model_memory;

ts_status model_memory_per_rank(const model *m, const plan *p, model_memory *out, ts_err *err);
/* Fails with TS_ENOFIT and the overflow in bytes when total exceeds HBM per rank. */
ts_status model_memory_check(const model_memory *mem, const hw_chip *chip, ts_err *err);

#endif
