/* libFuzzer target for the model readers (models/model.c, models/model_file.c,
 * models/model_check.c over hw/base/ts_yaml.c). The first input byte picks the form: even, a
 * YAML zoo file (read through model_load from an in-memory file); odd, the inline form
 * "layers=..,hidden=..,.." given to model_load as text (NUL bytes end it, as on a command line).
 * Besides "no crash, no leak, no undefined behaviour": a rejected model gets a one-line message;
 * an accepted one passes model_check and its parameter and FLOP counts are finite and positive. */
#include <math.h>
#include <stdbool.h>

#include "fuzz_util.h"
#include "models/models.h"

static const char T[] = "fuzz_model";

static void check_accepted(const model *m) {
  ts_err err = {0};
  fuzz_check(model_check(m, &err) == TS_OK, T, "accepted model fails model_check", err.msg);
  double total = model_params_total(m), active = model_params_active(m);
  double flops = model_flops_per_token(m, m->seq);
  fuzz_check(isfinite(total) && total > 0, T, "parameter count not finite", m->name);
  fuzz_check(isfinite(active) && active > 0 && active <= total, T, "active parameters", m->name);
  fuzz_check(isfinite(flops) && flops > 0, T, "FLOPs per token not finite", m->name);
  plan p;
  plan_init(&p);
  p.gbs = 1024;
  model_step_flops f = model_step_flops_count(m, &p);
  fuzz_check(isfinite(f.model_flops) && isfinite(f.hw_flops) && f.hw_flops >= f.model_flops, T,
             "step FLOPs", m->name);
  model_memory mem;
  if (model_memory_per_rank(m, &p, &mem, &err) == TS_OK)
    fuzz_check(isfinite(mem.total_bytes) && mem.total_bytes > 0, T, "memory per rank", m->name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  bool inline_form = data[0] & 1;
  data++;
  size--;
  model m;
  ts_err err = {0};
  ts_status st;
  if (inline_form) {
    char *spec = malloc(size + 1);
    if (!spec) return 0;
    memcpy(spec, data, size);
    spec[size] = '\0';
    /* Only the inline form: a spec with '/' or ending in .yaml would name a file, one without '='
     * a zoo entry (both fuzzed through the YAML mode). */
    if (!strchr(spec, '=') || strchr(spec, '/') ||
        (strlen(spec) >= 5 && strcmp(spec + strlen(spec) - 5, ".yaml") == 0)) {
      free(spec);
      return 0;
    }
    st = model_load(spec, &m, &err);
    free(spec);
  } else {
    st = model_load(fuzz_memfile(data, size), &m, &err);
  }
  if (st == TS_OK)
    check_accepted(&m);
  else
    fuzz_check_rejected(T, st, &err);
  return 0;
}
