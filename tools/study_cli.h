/* What `run --tokens`, `roadmap` and `migrate` share: checked number flags, the time-to-train
 * block (text and JSON, SI keys), and human units (days, USD with k/M/B, MWh). */
#ifndef TOOLS_STUDY_CLI_H
#define TOOLS_STUDY_CLI_H

#include <jansson.h>
#include <stddef.h>

#include "sim/study/studies.h"

/* A number flag in [lo, hi]: 0, or the exit code (2) of a usage error already printed. */
int study_cli_double(const char *cmd, const char *flag, const char *text, double lo, double hi,
                     double *out);
/* "2026-2036" or "2030": 0, or 2 after a usage error. */
int study_cli_years(const char *cmd, const char *text, int *from, int *to);
/* The model (zoo name, path or inline) with --seq applied when given (seq > 0). */
int study_cli_model(const char *spec, long long seq, model *out);

/* "70.8 days", "5.2 h", "$1.91M", "40.3 GWh"-style figures into buf. */
void study_cli_days(double s, char *buf, size_t cap);
void study_cli_usd(double usd, char *buf, size_t cap);

/* The time-to-train lines printed after a step report. */
void study_cli_print_ttt(const ttt_result *r, double tokens, double pue);
/* {"tokens", "seconds", "ideal_s", "goodput", "chip_hours", "price_usd_per_chip_h", "cost_usd",
 *  "power_w", "energy_j", "interruptions", "mtbf_s", "checkpoint_interval_s",
 *  "checkpoint_write_s"}; NULL on allocation failure. */
json_t *study_cli_ttt_json(const ttt_result *r, double tokens);

#endif
