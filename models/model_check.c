/* model_check: ranges and consistency of a model record, whatever built it (zoo file, inline
 * form, a program). One line per problem, naming the field, what was found and what was
 * expected. */
#include <stdio.h>

#include "models/models.h"

static const int64_t CHECK_MAX = (int64_t)1 << 32;

typedef struct positive_field {
  const char *key;
  int64_t value;
} positive_field;

static ts_status check_positive(const model *m, ts_err *err) {
  const positive_field fields[] = {
      {"layers", m->layers}, {"hidden", m->hidden},     {"ffn", m->ffn},
      {"heads", m->heads},   {"kv_heads", m->kv_heads}, {"head_dim", m->head_dim},
      {"vocab", m->vocab},   {"seq", m->seq},
  };
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
    if (fields[i].value < 1 || fields[i].value > CHECK_MAX)
      return ts_fail(err, TS_EINPUT,
                     "model '%s': field '%s': %lld is out of range (expected 1..%lld)", m->name,
                     fields[i].key, (long long)fields[i].value, (long long)CHECK_MAX);
  return TS_OK;
}

static ts_status check_moe(const model *m, ts_err *err) {
  if (m->moe_experts < 0 || m->moe_experts > CHECK_MAX)
    return ts_fail(err, TS_EINPUT, "model '%s': field 'moe_experts': %lld is out of range", m->name,
                   (long long)m->moe_experts);
  if (m->moe_experts == 0) {
    if (m->moe_topk || m->moe_shared || m->dense_layers)
      return ts_fail(
          err, TS_EINPUT,
          "model '%s': fields 'moe_topk', 'moe_shared', 'dense_layers' need moe_experts > 0",
          m->name);
    return TS_OK;
  }
  if (m->moe_topk < 1 || m->moe_topk > m->moe_experts)
    return ts_fail(err, TS_EINPUT,
                   "model '%s': field 'moe_topk': %lld is out of range (expected 1..%lld)", m->name,
                   (long long)m->moe_topk, (long long)m->moe_experts);
  if (m->moe_ffn < 1 || m->moe_ffn > CHECK_MAX)
    return ts_fail(err, TS_EINPUT,
                   "model '%s': field 'moe_ffn': %lld is out of range (expected >= 1)", m->name,
                   (long long)m->moe_ffn);
  if (m->moe_shared < 0 || m->moe_shared > CHECK_MAX)
    return ts_fail(err, TS_EINPUT, "model '%s': field 'moe_shared': %lld is negative", m->name,
                   (long long)m->moe_shared);
  if (m->dense_layers < 0 || m->dense_layers >= m->layers)
    return ts_fail(err, TS_EINPUT,
                   "model '%s': field 'dense_layers': %lld is out of range (expected 0..%lld)",
                   m->name, (long long)m->dense_layers, (long long)(m->layers - 1));
  return TS_OK;
}

static ts_status check_latent(const model *m, ts_err *err) {
  if (m->attn != MODEL_ATTN_LATENT) {
    if (m->q_lora_rank || m->kv_lora_rank || m->qk_rope_dim || m->qk_nope_dim || m->v_head_dim)
      return ts_fail(err, TS_EINPUT,
                     "model '%s': latent-attention fields (q_lora_rank, kv_lora_rank, qk_rope_dim, "
                     "qk_nope_dim, v_head_dim) need attention=latent",
                     m->name);
    return TS_OK;
  }
  const positive_field need[] = {{"kv_lora_rank", m->kv_lora_rank},
                                 {"qk_nope_dim", m->qk_nope_dim},
                                 {"v_head_dim", m->v_head_dim}};
  for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
    if (need[i].value < 1 || need[i].value > CHECK_MAX)
      return ts_fail(err, TS_EINPUT,
                     "model '%s': field '%s': %lld is out of range (attention=latent "
                     "needs 1..%lld)",
                     m->name, need[i].key, (long long)need[i].value, (long long)CHECK_MAX);
  if (m->q_lora_rank < 0 || m->qk_rope_dim < 0 || m->q_lora_rank > CHECK_MAX ||
      m->qk_rope_dim > CHECK_MAX)
    return ts_fail(err, TS_EINPUT,
                   "model '%s': fields 'q_lora_rank', 'qk_rope_dim' must be 0..%lld", m->name,
                   (long long)CHECK_MAX);
  if (m->kv_heads != m->heads)
    return ts_fail(err, TS_EINPUT,
                   "model '%s': field 'kv_heads': %lld, latent attention needs %lld (= heads)",
                   m->name, (long long)m->kv_heads, (long long)m->heads);
  return TS_OK;
}

ts_status model_check(const model *m, ts_err *err) {
  if (!m->name[0]) return ts_fail(err, TS_EINPUT, "model: field 'name' is empty");
  ts_status st = check_latent(m, err);
  if (st == TS_OK) st = check_positive(m, err);
  if (st != TS_OK) return st;
  if (m->kv_heads > m->heads || m->heads % m->kv_heads != 0)
    return ts_fail(err, TS_EINPUT, "model '%s': field 'kv_heads': %lld does not divide heads %lld",
                   m->name, (long long)m->kv_heads, (long long)m->heads);
  if ((unsigned)m->mlp > MODEL_MLP_RELU2)
    return ts_fail(err, TS_EINPUT, "model '%s': field 'mlp': unknown kind %d", m->name,
                   (int)m->mlp);
  if ((unsigned)m->attn > MODEL_ATTN_LATENT)
    return ts_fail(err, TS_EINPUT, "model '%s': field 'attention': unknown kind %d", m->name,
                   (int)m->attn);
  return check_moe(m, err);
}
