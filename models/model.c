/* Models: the architecture record, its fields (one table shared by the inline form and the zoo
 * files, so both accept the same keys with the same rules), the inline form
 * "layers=..,hidden=..,...", loading by zoo name, path or inline text, and the consistency check.
 * Defaults (documented in the README): kv_heads = heads, head_dim = hidden / heads (latent
 * attention: qk_nope_dim + qk_rope_dim), moe_ffn = ffn, attention standard, untied embeddings. */
#include "models/models.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "hw/base/ts_io.h"
#include "models/models_int.h"

/* Integer fields: key, where it lives, smallest value allowed when given. */
typedef struct model_int_field {
  const char *key;
  size_t offset;
  int64_t min;
} model_int_field;

#define MF(key, min) \
  { #key, offsetof(model, key), min }
static const model_int_field INT_FIELDS[] = {
    MF(layers, 1),       MF(hidden, 1),      MF(ffn, 1),          MF(heads, 1),
    MF(kv_heads, 1),     MF(head_dim, 1),    MF(vocab, 1),        MF(seq, 1),
    MF(moe_experts, 0),  MF(moe_topk, 0),    MF(moe_ffn, 1),      MF(moe_shared, 0),
    MF(dense_layers, 0), MF(q_lora_rank, 0), MF(kv_lora_rank, 1), MF(qk_rope_dim, 0),
    MF(qk_nope_dim, 1),  MF(v_head_dim, 1),
};
#undef MF
enum { N_INT_FIELDS = sizeof INT_FIELDS / sizeof INT_FIELDS[0] };
/* Slots after the integers: the other keys that take part in presence tracking. */
enum { SLOT_MLP = N_INT_FIELDS, SLOT_ATTENTION, SLOT_TIED };
/* Largest value of any integer field: keeps every product in the accounting exact enough. */
static const int64_t FIELD_MAX = (int64_t)1 << 32;

const char *const MODEL_FILE_KEYS[] = {
    "name",         "source",      "notes",       "layers",       "hidden",
    "ffn",          "heads",       "kv_heads",    "head_dim",     "vocab",
    "seq",          "mlp",         "attention",   "tied",         "moe_experts",
    "moe_topk",     "moe_ffn",     "moe_shared",  "dense_layers", "q_lora_rank",
    "kv_lora_rank", "qk_rope_dim", "qk_nope_dim", "v_head_dim",   NULL};

static int64_t *int_field(model *m, int i) {
  return (int64_t *)((char *)m + INT_FIELDS[i].offset);
}

const char *model_mlp_name(model_mlp m) {
  switch (m) {
    case MODEL_MLP_GELU:
      return "gelu";
    case MODEL_MLP_SWIGLU:
      return "swiglu";
    case MODEL_MLP_RELU2:
      return "relu2";
  }
  return "?";
}

bool model_mlp_parse(const char *text, model_mlp *out) {
  static const model_mlp ALL[] = {MODEL_MLP_GELU, MODEL_MLP_SWIGLU, MODEL_MLP_RELU2};
  for (size_t i = 0; text && i < sizeof ALL / sizeof ALL[0]; i++)
    if (strcmp(text, model_mlp_name(ALL[i])) == 0) {
      *out = ALL[i];
      return true;
    }
  return false;
}

static bool copy_text(char *dst, size_t cap, const char *key, const char *value, char *msg,
                      size_t msg_cap) {
  if (strlen(value) >= cap) {
    snprintf(msg, msg_cap, "field '%s': text longer than %zu characters", key, cap - 1);
    return false;
  }
  snprintf(dst, cap, "%s", value);
  return true;
}

static bool set_bool(bool *out, const char *key, const char *value, char *msg, size_t cap) {
  if (strcmp(value, "true") == 0)
    *out = true;
  else if (strcmp(value, "false") == 0)
    *out = false;
  else {
    snprintf(msg, cap, "field '%s': '%s' is not true or false", key, value);
    return false;
  }
  return true;
}

static bool set_text_field(model *m, const char *key, const char *value, int *index, char *msg,
                           size_t cap) {
  if (strcmp(key, "name") == 0) return copy_text(m->name, sizeof m->name, key, value, msg, cap);
  if (strcmp(key, "source") == 0)
    return copy_text(m->source, sizeof m->source, key, value, msg, cap);
  if (strcmp(key, "notes") == 0) return true;
  if (strcmp(key, "mlp") == 0) {
    *index = SLOT_MLP;
    if (model_mlp_parse(value, &m->mlp)) return true;
    snprintf(msg, cap, "field 'mlp': '%s' is not gelu, swiglu or relu2", value);
    return false;
  }
  if (strcmp(key, "attention") == 0) {
    *index = SLOT_ATTENTION;
    if (strcmp(value, "standard") == 0)
      m->attn = MODEL_ATTN_STANDARD;
    else if (strcmp(value, "latent") == 0)
      m->attn = MODEL_ATTN_LATENT;
    else {
      snprintf(msg, cap, "field 'attention': '%s' is not standard or latent", value);
      return false;
    }
    return true;
  }
  if (strcmp(key, "tied") == 0) {
    *index = SLOT_TIED;
    return set_bool(&m->tied_embeddings, key, value, msg, cap);
  }
  snprintf(msg, cap,
           "unknown field '%s' (expected layers, hidden, ffn, heads, kv_heads, head_dim, "
           "vocab, seq, mlp, attention, tied, moe_*, dense_layers, q_lora_rank, kv_lora_rank, "
           "qk_rope_dim, qk_nope_dim, v_head_dim, name)",
           key);
  return false;
}

bool model_field_set(model *m, const char *key, const char *value, int *index, char *msg,
                     size_t cap) {
  *index = -1;
  for (int i = 0; i < N_INT_FIELDS; i++) {
    if (strcmp(key, INT_FIELDS[i].key) != 0) continue;
    long long v = 0;
    if (!ts_parse_int64(value, &v)) {
      snprintf(msg, cap, "field '%s': '%s' is not an integer", key, value);
      return false;
    }
    if (v < INT_FIELDS[i].min || v > FIELD_MAX) {
      snprintf(msg, cap, "field '%s': %lld is out of range (expected %lld..%lld)", key, v,
               (long long)INT_FIELDS[i].min, (long long)FIELD_MAX);
      return false;
    }
    *int_field(m, i) = v;
    *index = i;
    return true;
  }
  return set_text_field(m, key, value, index, msg, cap);
}

static int slot_of(const char *key) {
  for (int i = 0; i < N_INT_FIELDS; i++)
    if (strcmp(key, INT_FIELDS[i].key) == 0) return i;
  return -1;
}

bool model_field_finish(model *m, const bool present[MODEL_FIELD_MAX], char *msg, size_t cap) {
  static const char *const REQUIRED[] = {"layers", "hidden", "ffn", "heads", "vocab", "seq"};
  for (size_t i = 0; i < sizeof REQUIRED / sizeof REQUIRED[0]; i++)
    if (!present[slot_of(REQUIRED[i])]) {
      snprintf(msg, cap, "model '%s': missing required field '%s'", m->name, REQUIRED[i]);
      return false;
    }
  if (!present[SLOT_MLP]) {
    snprintf(msg, cap, "model '%s': missing required field 'mlp' (gelu, swiglu or relu2)", m->name);
    return false;
  }
  if (!present[slot_of("kv_heads")]) m->kv_heads = m->heads;
  if (m->moe_experts > 0 && !present[slot_of("moe_ffn")]) m->moe_ffn = m->ffn;
  if (!present[slot_of("head_dim")]) {
    if (m->attn == MODEL_ATTN_LATENT) {
      m->head_dim = m->qk_nope_dim + m->qk_rope_dim;
    } else if (m->hidden % m->heads != 0) {
      snprintf(msg, cap,
               "model '%s': field 'heads': %lld does not divide hidden %lld (give head_dim)",
               m->name, (long long)m->heads, (long long)m->hidden);
      return false;
    } else {
      m->head_dim = m->hidden / m->heads;
    }
  }
  ts_err e = {0};
  if (model_check(m, &e) != TS_OK) {
    snprintf(msg, cap, "%s", e.msg);
    return false;
  }
  return true;
}

/* Inline form: comma-separated key=value pairs; every key at most once. */
static ts_status load_inline(const char *spec, model *out, ts_err *err) {
  char buf[1024];
  if (strlen(spec) >= sizeof buf)
    return ts_fail(err, TS_EINPUT, "inline model: longer than %zu characters", sizeof buf - 1);
  /* Messages quote the text: refuse control characters so that every message stays one line. */
  for (size_t i = 0; spec[i]; i++)
    if ((unsigned char)spec[i] < 0x20 || spec[i] == 0x7f)
      return ts_fail(err, TS_EINPUT,
                     "inline model: control character 0x%02x at character %zu (expected one line "
                     "of key=value pairs)",
                     (unsigned)(unsigned char)spec[i], i + 1);
  snprintf(buf, sizeof buf, "%s", spec);
  memset(out, 0, sizeof *out);
  snprintf(out->name, sizeof out->name, "inline");
  snprintf(out->source, sizeof out->source, "given inline on the command line");
  bool present[MODEL_FIELD_MAX] = {false};
  char seen_text[8][16] = {{0}}; /* keys without a slot (name, source, notes): at most once too */
  int n_text = 0;
  char msg[512];
  int index = 0;
  for (char *item = buf; item; index++) {
    char *comma = strchr(item, ',');
    if (comma) *comma = '\0';
    if (!*item)
      return ts_fail(err, TS_EINPUT, "inline model: item %d is empty (stray ',')", index + 1);
    char *eq = strchr(item, '=');
    if (!eq || eq == item)
      return ts_fail(err, TS_EINPUT, "inline model: '%s' is not key=value", item);
    *eq = '\0';
    int slot = -1;
    if (!model_field_set(out, item, eq + 1, &slot, msg, sizeof msg))
      return ts_fail(err, TS_EINPUT, "inline model: %s", msg);
    bool twice = slot >= 0 && present[slot];
    for (int i = 0; slot < 0 && i < n_text; i++) twice |= strcmp(seen_text[i], item) == 0;
    if (twice) return ts_fail(err, TS_EINPUT, "inline model: field '%s' given twice", item);
    if (slot >= 0) present[slot] = true;
    else if (n_text < 8) snprintf(seen_text[n_text++], sizeof seen_text[0], "%s", item);
    item = comma ? comma + 1 : NULL;
  }
  if (!model_field_finish(out, present, msg, sizeof msg)) return ts_fail(err, TS_EINPUT, "%s", msg);
  return TS_OK;
}

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n >= k && strcmp(s + n - k, suffix) == 0;
}

ts_status model_load(const char *spec, model *out, ts_err *err) {
  if (!spec || !*spec) return ts_fail(err, TS_EUSAGE, "model: empty model name");
  if (strchr(spec, '/') || ends_with(spec, ".yaml")) return model_load_file(spec, out, err);
  if (strchr(spec, '=')) return load_inline(spec, out, err);
  char path[4096];
  ts_status st = model_zoo_path(spec, path, sizeof path, err);
  if (st != TS_OK) return st;
  return model_load_file(path, out, err);
}
