/* libFuzzer target for the plan string (models/plan.c, models/plan_check.c,
 * models/plan_split.c). The input is the text after --plan (NUL bytes end it, as on a command
 * line). Besides "no crash, no leak, no undefined behaviour":
 *   - a rejected plan gets a one-line message;
 *   - an accepted plan prints (plan_format) to a string that parses back to the same string;
 *   - checked against a fixed model (llama3-8b-like, built in code) on a fixed chip count
 *     (tp*pp*dp*cp, one rank per chip), a plan that passes plan_check splits the layers into
 *     non-empty chunks that add up to the model's layers, and its FLOP and memory counts are
 *     finite. */
#include <math.h>
#include <stdbool.h>

#include "fuzz_util.h"
#include "models/models.h"

static const char T[] = "fuzz_plan";

static model fixed_model(void) {
  model m = {.name = "fuzz-8b",
             .layers = 32,
             .hidden = 4096,
             .ffn = 14336,
             .heads = 32,
             .kv_heads = 8,
             .head_dim = 128,
             .vocab = 128256,
             .seq = 8192,
             .mlp = MODEL_MLP_SWIGLU};
  return m;
}

static void check_formats_back(const plan *p) {
  char a[16384], b[16384];
  int n = plan_format(p, a, sizeof a);
  fuzz_check(n > 0 && (size_t)n < sizeof a, T, "plan_format length", NULL);
  plan q;
  ts_err err = {0};
  fuzz_check(plan_parse(a, &q, &err) == TS_OK, T, "formatted plan does not parse", err.msg);
  plan_format(&q, b, sizeof b);
  fuzz_check(strcmp(a, b) == 0, T, "plan_format round trip differs", a);
}

static void check_against_model(const plan *p) {
  model m = fixed_model();
  static hw_system sys; /* only the fields plan_check reads */
  memset(&sys, 0, sizeof sys);
  snprintf(sys.name, sizeof sys.name, "fuzz-system");
  snprintf(sys.chip.name, sizeof sys.chip.name, "fuzz-chip");
  sys.chip.ranks_per_chip = 1;
  for (int d = 0; d < HW_DTYPE_COUNT; d++) sys.chip.peak_flops[d] = 1e15;
  sys.chip.hbm_bytes = 80e9;
  /* Degrees are capped at 2^20 (pp at 2^10): their product reaches 2^70, past int64. */
  double ranks = (double)p->tp * p->pp * p->dp * p->cp;
  int64_t chips = ranks < 0x1p62 ? (int64_t)ranks : INT64_MAX;
  ts_err err = {0};
  ts_status st = plan_check(p, &m, &sys, chips, &err);
  if (st != TS_OK) {
    fuzz_check_rejected(T, st, &err);
    return;
  }
  int64_t sum = 0, chunks = (int64_t)p->pp * p->vpp;
  for (int32_t c = 0; c < chunks; c++) {
    int64_t n = plan_chunk_layers(p, &m, c);
    fuzz_check(n >= 1, T, "empty chunk in a checked plan", NULL);
    fuzz_check(plan_chunk_first_layer(p, &m, c) == sum, T, "chunk first layer", NULL);
    sum += n;
  }
  fuzz_check(sum == m.layers, T, "chunks do not add up to the layers", NULL);
  int64_t stages = 0;
  for (int32_t s = 0; s < p->pp; s++) stages += plan_stage_layers(p, &m, s);
  fuzz_check(stages == m.layers, T, "stages do not add up to the layers", NULL);
  fuzz_check(plan_micro_batches(p) >= 1, T, "micro-batches", NULL);
  model_step_flops f = model_step_flops_count(&m, p);
  fuzz_check(isfinite(f.model_flops) && isfinite(f.hw_flops) && f.model_flops > 0, T, "step FLOPs",
             NULL);
  model_memory mem;
  st = model_memory_per_rank(&m, p, &mem, &err);
  if (st == TS_OK)
    fuzz_check(isfinite(mem.total_bytes) && mem.total_bytes > 0, T, "memory per rank", NULL);
  else
    fuzz_check_rejected(T, st, &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *spec = malloc(size + 1);
  if (!spec) return 0;
  memcpy(spec, data, size);
  spec[size] = '\0';
  plan p;
  ts_err err = {0};
  ts_status st = plan_parse(spec, &p, &err);
  free(spec);
  if (st != TS_OK) {
    fuzz_check_rejected(T, st, &err);
    return 0;
  }
  check_formats_back(&p);
  check_against_model(&p);
  return 0;
}
