/* Shared parts of the study commands (see study_cli.h): number and year flags, human units, and
 * the time-to-train block that `run --tokens` prints after its step report. */
#include "tools/study_cli.h"

#include <stdio.h>
#include <string.h>

#include "hw/base/ts_io.h"
#include "tools/cli.h"

int study_cli_double(const char *cmd, const char *flag, const char *text, double lo, double hi,
                     double *out) {
  if (!ts_parse_double(text, out) || *out < lo || *out > hi)
    return cli_usage_error(cmd, "%s: '%s' is not a number in [%g, %g]", flag, text, lo, hi);
  return 0;
}

int study_cli_years(const char *cmd, const char *text, int *from, int *to) {
  char a[16] = "", b[16] = "";
  const char *dash = strchr(text, '-');
  size_t n = dash ? (size_t)(dash - text) : strlen(text);
  long long y0 = 0, y1 = 0;
  if (n < sizeof a) {
    memcpy(a, text, n);
    snprintf(b, sizeof b, "%s", dash ? dash + 1 : a);
  }
  if (n >= sizeof a || !ts_parse_int64(a, &y0) || !ts_parse_int64(b, &y1) || y0 < 1990 ||
      y1 > 2100 || y1 < y0)
    return cli_usage_error(cmd, "--years: '%s' is not FROM-TO with 1990 <= FROM <= TO <= 2100",
                           text);
  *from = (int)y0;
  *to = (int)y1;
  return 0;
}

int study_cli_model(const char *spec, long long seq, model *out) {
  ts_err err = {0};
  if (model_load(spec, out, &err) != TS_OK) return cli_fail(&err);
  if (seq > 0) out->seq = seq;
  return 0;
}

void study_cli_days(double s, char *buf, size_t cap) {
  if (s >= 86400 * 2)
    snprintf(buf, cap, "%.1f days", s / 86400);
  else if (s >= 3600)
    snprintf(buf, cap, "%.1f h", s / 3600);
  else
    snprintf(buf, cap, "%.0f s", s);
}

void study_cli_usd(double usd, char *buf, size_t cap) {
  if (usd >= 1e9)
    snprintf(buf, cap, "$%.2fB", usd / 1e9);
  else if (usd >= 1e6)
    snprintf(buf, cap, "$%.2fM", usd / 1e6);
  else if (usd >= 1e3)
    snprintf(buf, cap, "$%.1fk", usd / 1e3);
  else
    snprintf(buf, cap, "$%.2f", usd);
}

void study_cli_print_ttt(const ttt_result *r, double tokens, double pue) {
  char wall[32], ideal[32], cost[32];
  study_cli_days(r->wall_s, wall, sizeof wall);
  study_cli_days(r->ideal_s, ideal, sizeof ideal);
  study_cli_usd(r->cost_usd, cost, sizeof cost);
  printf("time to train  %s for %.4g tokens (%s without failures), goodput %.1f%%\n", wall, tokens,
         ideal, 100.0 * r->goodput);
  printf("chip-hours     %.4g at $%.3f/chip-h: cost %s\n", r->chip_hours,
         r->price_usd_per_chip_h, cost);
  printf("energy         %.4g MWh (%.3g MW average at the wall, PUE %.2f)\n", r->energy_mwh,
         r->power_w / 1e6, pue);
  if (r->mtbf_s > 0)
    printf("interruptions  %.3g expected (job MTBF %.4g h); checkpoint every %.0f s (%.3g TB, "
           "%.1f s to write)\n",
           r->interruptions, r->mtbf_s / 3600, r->checkpoint_interval_s,
           r->checkpoint_bytes / 1e12, r->checkpoint_write_s);
  else
    printf("interruptions  none (no failure rate): no checkpoints charged\n");
}

json_t *study_cli_ttt_json(const ttt_result *r, double tokens) {
  json_t *j = json_object();
  if (!j) return NULL;
  const struct {
    const char *key;
    double v;
  } KEYS[] = {{"tokens", tokens},
              {"seconds", r->wall_s},
              {"ideal_s", r->ideal_s},
              {"goodput", r->goodput},
              {"chip_hours", r->chip_hours},
              {"price_usd_per_chip_h", r->price_usd_per_chip_h},
              {"cost_usd", r->cost_usd},
              {"power_w", r->power_w},
              {"energy_j", r->energy_j},
              {"interruptions", r->interruptions},
              {"mtbf_s", r->mtbf_s},
              {"checkpoint_interval_s", r->checkpoint_interval_s},
              {"checkpoint_write_s", r->checkpoint_write_s}};
  for (size_t i = 0; i < sizeof KEYS / sizeof KEYS[0]; i++)
    if (json_object_set_new(j, KEYS[i].key, json_real(KEYS[i].v)) != 0) {
      json_decref(j);
      return NULL;
    }
  return j;
}
