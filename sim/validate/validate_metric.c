/* The metrics published runs report, from one simulated step (README of the validation set):
 *   hw_tflops_per_chip     hw_flops / step_s / chips / 1e12   (Megatron: recomputation included)
 *   model_tflops_per_chip  model_flops / step_s / chips / 1e12
 *   mfu                    the report's MFU: model FLOP/s per chip over the dtype's dense peak
 *   step_s                 seconds per global batch
 *   seqs_per_s             gbs / step_s
 *   tokens_per_s_per_chip  gbs * seq / step_s / chips
 *   chip_hours             chips * (tokens / (gbs * seq)) * step_s / 3600 from step time alone;
 *                          validate_row_run replaces it by time-to-train with goodput (failures,
 *                          checkpoints and restarts: sim/study/ttt.c)
 * "per chip" is per accelerator chip, whatever the ranks per chip (a Trn1 chip is 2 NeuronCores).
 * Also the hardware family that MAPE is grouped by. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "sim/validate/validate.h"

static const char *const METRIC_NAMES[VALIDATE_METRIC_COUNT] = {
    [VALIDATE_HW_TFLOPS_PER_CHIP] = "hw_tflops_per_chip",
    [VALIDATE_MODEL_TFLOPS_PER_CHIP] = "model_tflops_per_chip",
    [VALIDATE_MFU] = "mfu",
    [VALIDATE_STEP_S] = "step_s",
    [VALIDATE_SEQS_PER_S] = "seqs_per_s",
    [VALIDATE_TOKENS_PER_S_PER_CHIP] = "tokens_per_s_per_chip",
    [VALIDATE_CHIP_HOURS] = "chip_hours",
};

const char *validate_metric_name(validate_metric m) {
  return (unsigned)m < VALIDATE_METRIC_COUNT ? METRIC_NAMES[m] : "?";
}

bool validate_metric_parse(const char *text, validate_metric *out) {
  for (int i = 0; i < VALIDATE_METRIC_COUNT; i++)
    if (strcmp(text, METRIC_NAMES[i]) == 0) {
      *out = (validate_metric)i;
      return true;
    }
  return false;
}

double validate_metric_value(validate_metric m, const sim_report *r, const validate_scale *s) {
  double step = r->step_s, chips = (double)s->chips;
  double tokens_per_step = (double)s->gbs * (double)s->seq;
  if (!(step > 0) || !(chips > 0)) return 0.0;
  switch (m) {
    case VALIDATE_HW_TFLOPS_PER_CHIP:
      return r->hw_flops / step / chips / 1e12;
    case VALIDATE_MODEL_TFLOPS_PER_CHIP:
      return r->model_flops / step / chips / 1e12;
    case VALIDATE_MFU:
      return r->mfu;
    case VALIDATE_STEP_S:
      return step;
    case VALIDATE_SEQS_PER_S:
      return (double)s->gbs / step;
    case VALIDATE_TOKENS_PER_S_PER_CHIP:
      return tokens_per_step / step / chips;
    case VALIDATE_CHIP_HOURS:
      return tokens_per_step > 0 ? chips * (s->tokens / tokens_per_step) * step / 3600.0 : 0.0;
    case VALIDATE_METRIC_COUNT:
      break;
  }
  return 0.0;
}

static bool has_digit(const char *w, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (isdigit((unsigned char)w[i])) return true;
  return false;
}

void validate_family(const hw_chip *chip, char *buf, size_t cap) {
  if (strcmp(chip->family, "trainium") == 0) {
    snprintf(buf, cap, "Trainium");
    return;
  }
  const char *g = chip->generation;
  while (*g) {
    size_t n = strcspn(g, " ");
    if (n > 0 && has_digit(g, n)) {
      snprintf(buf, cap, "%.*s", (int)n, g);
      return;
    }
    g += n;
    while (*g == ' ') g++;
  }
  snprintf(buf, cap, "%s", chip->family[0] ? chip->family : chip->name);
}
