/* trainsim validate: predicted against published. Reads the validation CSV (sim/validate), runs
 * every row (model, system, partial plan searched with the published fields fixed, simulation,
 * conversion to the row's metric) and prints id, metric, published, predicted and the signed
 * error, then the mean absolute percentage error overall and per hardware family. A CSV error
 * stops it (exit 2); a row that cannot be simulated is reported and left out of the MAPE (exit 1
 * at the end). `--json`: {"rows": [{"id", "metric", "published", "predicted", "error", ...}],
 * "mape", "mape_by_family"}, errors and MAPE as fractions. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/base/ts_io.h"
#include "sim/validate/validate.h"
#include "tools/cli.h"
#include "tools/commands.h"

enum { MAX_FAMILIES = 16 };

typedef struct family_mape {
  char name[32];
  double sum;
  int n;
} family_mape;

typedef struct validate_summary {
  double sum;
  int n, failed;
  bool chip_hours;
  int n_families;
  family_mape families[MAX_FAMILIES];
} validate_summary;

typedef struct validate_args {
  const char *file, *threads;
  bool json;
} validate_args;

static int parse_args(int argc, char **argv, validate_args *a) {
  for (int i = 1; i < argc; i++) {
    bool missing = false;
    const char *v = cli_flag_value(argc, argv, &i, "--threads", &missing);
    if (missing) return cli_usage_error("validate", "--threads needs a value");
    if (v) a->threads = v;
    else if (strcmp(argv[i], "--json") == 0) a->json = true;
    else if (argv[i][0] == '-' && argv[i][1] != '\0')
      return cli_usage_error("validate", "unknown argument '%s'", argv[i]);
    else if (a->file) return cli_usage_error("validate", "more than one file: '%s'", argv[i]);
    else a->file = argv[i];
  }
  if (!a->file) return cli_usage_error("validate", "missing FILE.csv");
  return 0;
}

static void add_error(validate_summary *s, const char *family, double error) {
  double abs_err = fabs(error);
  s->sum += abs_err;
  s->n++;
  int i = 0;
  while (i < s->n_families && strcmp(s->families[i].name, family) != 0) i++;
  if (i == s->n_families) {
    if (s->n_families == MAX_FAMILIES) return;
    snprintf(s->families[s->n_families++].name, sizeof s->families[0].name, "%s", family);
  }
  s->families[i].sum += abs_err;
  s->families[i].n++;
}

/* The plan fields the search chose, "vpp=1 mbs=2", or "-" when the row gave them all. */
static void chosen_fields(const validate_outcome *o, char *buf, size_t cap) {
  const plan *p = &o->entry.plan;
  size_t n = 0;
  buf[0] = '\0';
#define ADD(bit, fmt, ...)                                                        \
  if ((o->chosen & (bit)) && n < cap)                                             \
  n += (size_t)snprintf(buf + n, cap - n, "%s" fmt, n ? " " : "", __VA_ARGS__)
  ADD(PLAN_SET_TP, "tp=%d", p->tp);
  ADD(PLAN_SET_PP, "pp=%d", p->pp);
  ADD(PLAN_SET_DP, "dp=%d", p->dp);
  ADD(PLAN_SET_CP, "cp=%d", p->cp);
  ADD(PLAN_SET_EP, "ep=%d", p->ep);
  ADD(PLAN_SET_VPP, "vpp=%d", p->vpp);
  ADD(PLAN_SET_MBS, "mbs=%d", p->mbs);
  ADD(PLAN_SET_RECOMPUTE, "recompute=%s", plan_recompute_name(p->recompute));
  ADD(PLAN_SET_ZERO, "zero=%d", p->zero);
  ADD(PLAN_SET_DTYPE, "dtype=%s", hw_dtype_name(p->dtype));
#undef ADD
  if (!n) snprintf(buf, cap, "-");
}

static json_t *row_json(const validate_row *r, const validate_outcome *o) {
  json_t *j = json_object();
  json_object_set_new(j, "id", json_string(r->id));
  json_object_set_new(j, "metric", json_string(validate_metric_name(r->metric)));
  json_object_set_new(j, "published", json_real(r->value));
  json_object_set_new(j, "predicted", json_real(o->predicted));
  json_object_set_new(j, "error", json_real(o->error));
  json_object_set_new(j, "family", json_string(o->family));
  json_object_set_new(j, "plan", json_string(o->entry.text));
  json_object_set_new(j, "step_s", json_real(o->entry.report.step_s));
  json_object_set_new(j, "over_memory", json_boolean(o->over_memory));
  return j;
}

static void print_row(const validate_row *r, const validate_outcome *o) {
  char chosen[160];
  chosen_fields(o, chosen, sizeof chosen);
  printf("%-26s %-22s %11.4g %11.4g %+8.1f%%%s  %s\n", r->id, validate_metric_name(r->metric),
         r->value, o->predicted, 100.0 * o->error, o->over_memory ? "*" : " ", chosen);
}

static void print_summary(const validate_summary *s) {
  printf("MAPE %.1f%% over %d rows", s->n ? 100.0 * s->sum / s->n : 0.0, s->n);
  if (s->failed) printf(" (%d rows failed)", s->failed);
  printf("\n");
  for (int i = 0; i < s->n_families; i++)
    printf("  %-10s %5.1f%% (%d rows)\n", s->families[i].name,
           100.0 * s->families[i].sum / s->families[i].n, s->families[i].n);
  printf("* = the plan exceeds HBM (predicted anyway); last column: plan fields the search chose\n");
  if (s->chip_hours)
    printf("note: chip_hours include failures, checkpoints and restarts (time-to-train with goodput)\n");
}

static json_t *summary_json(const validate_summary *s, json_t *rows) {
  json_t *o = json_object(), *fam = json_object();
  json_object_set_new(o, "rows", rows);
  json_object_set_new(o, "mape", json_real(s->n ? s->sum / s->n : 0.0));
  for (int i = 0; i < s->n_families; i++)
    json_object_set_new(fam, s->families[i].name,
                        json_real(s->families[i].sum / s->families[i].n));
  json_object_set_new(o, "mape_by_family", fam);
  json_object_set_new(o, "failed_rows", json_integer(s->failed));
  if (s->chip_hours)
    json_object_set_new(o, "note", json_string("chip_hours include failures, checkpoints "
                                               "and restarts (time-to-train with goodput)"));
  return o;
}

static void run_rows(const char *file, const validate_set *set, const search_options *opt,
                     bool json, json_t *rows, validate_summary *s) {
  validate_outcome *o = malloc(sizeof *o);
  if (!o) {
    s->failed = set->n;
    return;
  }
  if (!json)
    printf("%-26s %-22s %11s %11s %9s  %s\n", "id", "metric", "published", "predicted", "error",
           "chosen");
  for (int i = 0; i < set->n; i++) {
    const validate_row *r = &set->rows[i];
    ts_err err = {0};
    if (validate_row_run(r, opt, o, &err) != TS_OK) {
      fprintf(stderr, "trainsim validate: %s:%d: row '%s': %s\n", file, r->line, r->id, err.msg);
      s->failed++;
      continue;
    }
    if (r->metric == VALIDATE_CHIP_HOURS) s->chip_hours = true;
    add_error(s, o->family, o->error);
    if (json) json_array_append_new(rows, row_json(r, o));
    else print_row(r, o);
  }
  free(o);
}

int cmd_validate(int argc, char **argv) {
  validate_args a = {0};
  int rc = parse_args(argc, argv, &a);
  if (rc) return rc;
  search_options opt;
  search_options_init(&opt);
  long long threads = 0;
  if (a.threads && (!ts_parse_int64(a.threads, &threads) || threads < 1 || threads > 256))
    return cli_usage_error("validate", "--threads: '%s' is not an integer in 1..256", a.threads);
  opt.threads = (int32_t)threads;
  ts_err err = {0};
  validate_set *set = NULL;
  if (validate_read(a.file, &set, &err) != TS_OK) return cli_fail(&err);
  validate_summary s = {0};
  json_t *rows = a.json ? json_array() : NULL;
  run_rows(a.file, set, &opt, a.json, rows, &s);
  validate_set_free(set);
  if (a.json) rc = cli_print_json(summary_json(&s, rows));
  else print_summary(&s);
  return rc ? rc : s.failed ? 1 : 0;
}
