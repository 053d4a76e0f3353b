/* sim/validate: trainsim against published training runs. Reads the CSV of
 * /work/shared/validation/README.md (one run per row: system, chips, model or architecture, the
 * published plan with empty fields for what the source did not publish, the metric and its value),
 * builds each row's model, system and partial plan, finds the plan (search_best with the published
 * fields fixed), simulates it, converts the step report to the row's metric, and summarises the
 * errors (MAPE overall and per hardware family). Nothing here prints. */
#ifndef SIM_VALIDATE_VALIDATE_H
#define SIM_VALIDATE_VALIDATE_H

#include <stdbool.h>
#include <stdint.h>

#include "hw/base/ts_err.h"
#include "hw/hw.h"
#include "models/models.h"
#include "sim/search/search.h"
#include "sim/sim.h"

/* ---- metrics --------------------------------------------------------------------------------- */
typedef enum {
  VALIDATE_HW_TFLOPS_PER_CHIP,    /* hw_flops / step_s / chips / 1e12 (recomputation included) */
  VALIDATE_MODEL_TFLOPS_PER_CHIP, /* model_flops / step_s / chips / 1e12 */
  VALIDATE_MFU,                   /* model FLOP/s per chip / dense peak of the dtype (0..1) */
  VALIDATE_STEP_S,                /* seconds per global batch */
  VALIDATE_SEQS_PER_S,            /* gbs / step_s */
  VALIDATE_TOKENS_PER_S_PER_CHIP, /* gbs * seq / step_s / chips */
  VALIDATE_CHIP_HOURS,            /* chips * tokens / (gbs * seq) * step_s / 3600 (no failures yet) */
  VALIDATE_METRIC_COUNT
} validate_metric;

const char *validate_metric_name(validate_metric m);
bool validate_metric_parse(const char *text, validate_metric *out);

/* What a conversion needs beside the report. */
typedef struct validate_scale {
  int64_t chips, gbs, seq;
  double tokens; /* training tokens (chip_hours only) */
} validate_scale;

/* The row's metric from a step report. */
double validate_metric_value(validate_metric m, const sim_report *r, const validate_scale *s);

/* ---- the CSV --------------------------------------------------------------------------------- */
/* Column bits of validate_row.given (one per column of the README, in its order). */
typedef enum {
  VC_ID, VC_SOURCE, VC_SYSTEM, VC_CHIPS, VC_MODEL, VC_LAYERS, VC_HIDDEN, VC_FFN, VC_HEADS,
  VC_KV_HEADS, VC_VOCAB, VC_SEQ, VC_MLP, VC_MOE_EXPERTS, VC_MOE_TOPK, VC_MOE_FFN, VC_MOE_SHARED,
  VC_DENSE_LAYERS, VC_TP, VC_PP, VC_DP, VC_CP, VC_EP, VC_VPP, VC_MBS, VC_GBS, VC_RECOMPUTE,
  VC_ZERO, VC_DTYPE, VC_NIC_GBPS, VC_TOKENS, VC_METRIC, VC_VALUE, VC_NOTES, VC_COUNT
} validate_column;

const char *validate_column_name(validate_column c); /* the header name */

typedef struct validate_row {
  int line;                 /* line of the file the row starts on */
  uint64_t given;           /* bit (1 << validate_column) per non-empty field */
  char id[64];
  char source[160];
  char system[HW_NAME_MAX];
  char model[64];
  char notes[240];
  int64_t chips;
  /* architecture, integer columns indexed by validate_column (VC_LAYERS .. VC_DENSE_LAYERS) */
  int64_t arch[VC_COUNT];
  model_mlp mlp;
  /* plan: degrees indexed by validate_column (VC_TP .. VC_GBS), then the rest */
  int64_t degree[VC_COUNT];
  plan_recompute recompute;
  int32_t zero;
  hw_dtype dtype;
  double nic_Gbps_per_chip;
  double tokens;
  validate_metric metric;
  double value;
} validate_row;

typedef struct validate_set {
  int n;
  validate_row *rows;
} validate_set;

/* Reads the whole file; the first error stops it: "FILE:LINE: column 'x': reason" (TS_EINPUT),
 * or a missing/unknown/duplicate header column, a row with the wrong number of fields, an
 * unterminated quote. */
ts_status validate_read(const char *path, validate_set **out, ts_err *err);
/* The same on text in memory; name is used in messages. */
ts_status validate_parse(const char *name, const char *text, size_t len, validate_set **out,
                         ts_err *err);
void validate_set_free(validate_set *s);

/* ---- one row --------------------------------------------------------------------------------- */
/* Model: the zoo entry named in `model` with the architecture columns given overriding it, or the
 * architecture columns alone. */
ts_status validate_row_model(const validate_row *r, model *out, ts_err *err);
/* System: the catalog entry, nic_Gbps_per_chip overriding the scale-out bandwidth. */
ts_status validate_row_system(const validate_row *r, hw_system *out, ts_err *err);
/* The partial plan: the plan columns given, with their PLAN_SET_* bits. */
ts_status validate_row_plan(const validate_row *r, plan *out, ts_err *err);

typedef struct validate_outcome {
  double predicted;       /* in the metric's unit */
  double error;           /* (predicted - published) / published, signed */
  search_entry entry;     /* the plan simulated (search's choice for empty fields) and its report */
  uint32_t chosen;        /* PLAN_SET_* bits the search chose */
  bool over_memory;       /* the plan exceeds HBM (predicted anyway: DESIGN.md) */
  char family[32];        /* "A100", "H100", "Trainium", ... */
} validate_outcome;

/* Builds, searches (empty plan fields) and simulates one row. opt: the search options (top_k is
 * forced to 1). A plan that does not fit is still predicted and flagged. */
ts_status validate_row_run(const validate_row *r, const search_options *opt, validate_outcome *out,
                           ts_err *err);

/* Hardware family of a chip for the per-family MAPE: "Trainium" for the trainium family, else the
 * first word of its generation that holds a digit ("A100", "H100", "MI300X"). */
void validate_family(const hw_chip *chip, char *buf, size_t cap);

#endif
