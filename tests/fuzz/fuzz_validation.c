/* libFuzzer target for the validation CSV (sim/validate/validate_csv.c), with the steps of
 * validate_row_run that need no search: each accepted row's model (a zoo name with architecture
 * overrides, or the architecture columns alone) and partial plan. Besides "no crash, no leak, no
 * undefined behaviour": a rejected file or row gets a one-line input error; an accepted file has
 * no more rows than lines, and rows keep their fields in range. */
#include <stdbool.h>

#include "fuzz_util.h"
#include "models/models.h"
#include "sim/validate/validate.h"

static const char T[] = "fuzz_validation";

static void check_row(const validate_row *r, int lines) {
  fuzz_check(r->line >= 2 && r->line <= lines, T, "row line outside the file", r->id);
  fuzz_check(r->id[0] != '\0', T, "row without an id", NULL);
  fuzz_check(r->value > 0 && r->value == r->value, T, "metric value not positive", r->id);
  ts_err err = {0};
  model m;
  ts_status st = validate_row_model(r, &m, &err);
  if (st) fuzz_check_rejected(T, st, &err);
  else fuzz_check(m.layers > 0 && m.hidden > 0, T, "accepted model without layers", r->id);
  plan p;
  err = (ts_err){0};
  st = validate_row_plan(r, &p, &err);
  if (st) fuzz_check_rejected(T, st, &err);
  else fuzz_check(p.gbs > 0, T, "accepted plan without a global batch", r->id);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  validate_set *set = NULL;
  ts_err err = {0};
  ts_status st = validate_parse("fuzz.csv", (const char *)data, size, &set, &err);
  if (st != TS_OK) {
    fuzz_check(set == NULL, T, "failed parse returned a set", NULL);
    fuzz_check_rejected(T, st, &err);
    return 0;
  }
  int lines = 1;
  for (size_t i = 0; i < size; i++) lines += data[i] == '\n';
  fuzz_check(set->n >= 1 && set->n < lines, T, "row count outside 1..lines-1", NULL);
  for (int i = 0; i < set->n; i++) check_row(&set->rows[i], lines);
  validate_set_free(set);
  return 0;
}
