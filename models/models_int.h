/* Internals shared by the files of models/ (model loading, zoo, accounting). No other folder
 * includes this header (STYLE.md: two-tier headers). */
#ifndef MODELS_MODELS_INT_H
#define MODELS_MODELS_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "models/models.h"

/* ---- zoo (zoo.c) ---------------------------------------------------------------------------- */
/* Path of the zoo file for name; TS_ENOTFOUND with the closest zoo names when there is none. */
ts_status model_zoo_path(const char *name, char *path, size_t cap, ts_err *err);
/* Reads one model from a YAML zoo file (model_file.c); errors name file:line. */
ts_status model_load_file(const char *path, model *out, ts_err *err);

/* ---- fields shared by the inline form and the YAML files (model.c) ------------------------- */
enum { MODEL_FIELD_MAX = 32 };
/* Sets one field from its text; on error fills msg (no prefix) and returns false. *index is the
 * field's slot (for presence tracking) or -1 for name/source/notes. */
bool model_field_set(model *m, const char *key, const char *value, int *index, char *msg,
                     size_t cap);
/* After every field was set: checks required fields, fills defaults, runs model_check. msg names
 * the first problem; returns false on error. present[i] tells which slots were given. */
bool model_field_finish(model *m, const bool present[MODEL_FIELD_MAX], char *msg, size_t cap);
/* The keys a YAML zoo file may hold (NULL-terminated). */
extern const char *const MODEL_FILE_KEYS[];

/* ---- per-layer shapes used by the accounting (flops.c) ----------------------------------- */
typedef struct model_attn_dims {
  double q_dim;  /* heads x QK head dim */
  double kv_dim; /* kv_heads x QK head dim */
  double v_dim;  /* kv_heads x V head dim */
  double o_dim;  /* heads x V head dim (output projection input) */
  double qk_head, v_head;
} model_attn_dims;

model_attn_dims model_attn_dims_of(const model *m);
bool model_layer_is_moe(const model *m, int64_t layer);
/* Parameters of the attention block (projections and its norms), of one layer. */
double model_attn_params(const model *m);
/* Parameters of an MLP with inner width f (2 or 3 matrices by m->mlp). */
double model_mlp_params(const model *m, double f);
/* Matrices per MLP: 2 (gelu, relu2) or 3 (swiglu). */
int model_mlp_matrices(const model *m);
/* Forward FLOPs per token of the attention core (QK^T and PV, counted in full) at seq. */
double model_attn_core_flops(const model *m, int64_t seq);
/* Forward FLOPs per token of one whole layer (matrices + attention core) at seq. */
double model_layer_fwd_flops(const model *m, int64_t layer, int64_t seq);

#endif
