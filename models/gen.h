/* The workload generator: (model, plan, system, chips) → the trace of one training step.
 * Kept apart from models.h because it is the one part of models/ that knows the trace. */
#ifndef MODELS_GEN_H
#define MODELS_GEN_H

#include "models/models.h"
#include "traces/trace.h"

typedef struct gen_options {
  bool allow_oom; /* report memory overflow instead of refusing */
} gen_options;

/* Checks the plan (plan_check), the memory fit (unless allow_oom) and emits the trace. */
ts_status gen_step(const model *m, const plan *p, const hw_system *sys, int64_t chips,
                   const gen_options *opt, trace **out, ts_err *err);

#endif
