/* trainsim compare: systems head to head for one model (sim/study/compare.h), and with
 * --capacity the run on each system's delivery schedule: Monte Carlo of finish dates and the
 * shortfall crossover. This file parses the request, resolves the systems (a list, one vendor
 * track's generations from hw/roadmap.yaml, or by default the newest shipped system of each
 * track) and runs the study; cmd_compare_out.c prints it. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/base/ts_io.h"
#include "tools/cli.h"
#include "tools/cmd_compare.h"
#include "tools/commands.h"

typedef struct cmp_args {
  const char *model, *systems, *chips, *power, *budget, *tokens, *fixed, *capacity, *seed,
      *draws, *svg, *seq, *track, *gbs;
  bool json, csv;
} cmp_args;

static const cli_value_flag VALUE_FLAGS[] = {
    {"--model", offsetof(cmp_args, model)},       {"--systems", offsetof(cmp_args, systems)},
    {"--chips", offsetof(cmp_args, chips)},       {"--power-mw", offsetof(cmp_args, power)},
    {"--budget-usd-per-h", offsetof(cmp_args, budget)},
    {"--tokens", offsetof(cmp_args, tokens)},     {"--plan-fixed", offsetof(cmp_args, fixed)},
    {"--capacity", offsetof(cmp_args, capacity)}, {"--seed", offsetof(cmp_args, seed)},
    {"--draws", offsetof(cmp_args, draws)},       {"--svg", offsetof(cmp_args, svg)},
    {"--seq", offsetof(cmp_args, seq)},           {"--gbs", offsetof(cmp_args, gbs)},
};

static int value_flag(int argc, char **argv, int *i, cmp_args *a) {
  return cli_match_value_flag("compare", argc, argv, i, VALUE_FLAGS,
                              sizeof VALUE_FLAGS / sizeof VALUE_FLAGS[0], a);
}

static int parse_args(int argc, char **argv, cmp_args *a) {
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--json") == 0) a->json = true;
    else if (strcmp(argv[i], "--csv") == 0) a->csv = true;
    else {
      int used = value_flag(argc, argv, &i, a);
      if (used < 0) return 2;
      /* "--systems all-generations-of nvidia": the track is the next argument */
      if (used && a->systems && strcmp(a->systems, "all-generations-of") == 0 && !a->track &&
          i + 1 < argc && argv[i + 1][0] != '-')
        a->track = argv[++i];
      if (!used) return cli_usage_error("compare", "unknown argument '%s'", argv[i]);
    }
  }
  if (!a->model) return cli_usage_error("compare", "missing --model");
  if ((a->chips != NULL) + (a->power != NULL) + (a->budget != NULL) > 1)
    return cli_usage_error("compare", "give one of --chips, --power-mw, --budget-usd-per-h");
  if (a->json && a->csv) return cli_usage_error("compare", "give --json or --csv, not both");
  return 0;
}

static int positive(const char *flag, const char *text, double *out) {
  if (!ts_parse_double(text, out) || !(*out > 0))
    return cli_usage_error("compare", "%s: '%s' is not a positive number", flag, text);
  return 0;
}

static int count(const char *flag, const char *text, long long max, long long *out) {
  if (!ts_parse_int64(text, out) || *out < 0 || *out > max)
    return cli_usage_error("compare", "%s: '%s' is not an integer 0..%lld", flag, text, max);
  return 0;
}

/* Basis, tokens, seed and draws into the report's options. */
static int numbers(const cmp_args *a, cmp_report *r) {
  compare_options *o = &r->opt;
  double v = 0;
  long long n = 0;
  int rc = 0;
  if (a->power && !(rc = positive("--power-mw", a->power, &v)))
    o->basis = COMPARE_BASIS_POWER, o->power_w = v * 1e6;
  if (!rc && a->budget && !(rc = positive("--budget-usd-per-h", a->budget, &v)))
    o->basis = COMPARE_BASIS_BUDGET, o->budget_usd_per_h = v;
  if (!rc && a->chips && !(rc = count("--chips", a->chips, (long long)1 << 40, &n))) {
    if (n < 1) return cli_usage_error("compare", "--chips: expected at least 1");
    o->basis = COMPARE_BASIS_CHIPS, o->chips = n;
  }
  if (!rc && a->tokens && !(rc = positive("--tokens", a->tokens, &v))) o->tokens = v;
  if (!rc && a->gbs && !(rc = count("--gbs", a->gbs, (long long)1 << 40, &n))) {
    if (n < 1) return cli_usage_error("compare", "--gbs: expected at least 1");
    o->gbs = n;
  }
  r->seed = 1;
  if (!rc && a->seed && !(rc = count("--seed", a->seed, (long long)1 << 62, &n)))
    r->seed = (unsigned long long)n;
  r->draws = 1000;
  if (!rc && a->draws && !(rc = count("--draws", a->draws, 1000000, &n))) {
    if (n < 1) return cli_usage_error("compare", "--draws: expected at least 1");
    r->draws = (int)n;
  }
  return rc;
}

static ts_status add_system_err(cmp_report *r, const char *name, ts_err *err) {
  if (r->n == CMP_MAX_SYSTEMS)
    return ts_fail(err, TS_EUSAGE, "compare: at most %d systems", CMP_MAX_SYSTEMS);
  hw_system *s = malloc(sizeof *s);
  if (!s) return ts_fail(err, TS_ENOMEM, "compare: out of memory");
  ts_status st = hw_system_load(name, s, err);
  if (st) {
    free(s);
    return st;
  }
  r->systems[r->n++] = s;
  return TS_OK;
}

static int add_system(cmp_report *r, const char *name) {
  ts_err err = {0};
  return add_system_err(r, name, &err) == TS_OK ? 0 : cli_fail(&err);
}

/* Per track of the roadmap: the newest shipped generation, or every generation of one track. */
static int roadmap_systems(cmp_report *r, const char *track) {
  ts_err err = {0};
  roadmap *rm = NULL;
  if (roadmap_load(NULL, &rm, &err) != TS_OK) return cli_fail(&err);
  int rc = 0, t0 = 0, t1 = rm->n_tracks;
  if (track) {
    t0 = roadmap_track_index(rm, track);
    t1 = t0 + 1;
    if (t0 < 0) rc = cli_usage_error("compare", "all-generations-of: no track '%s'", track);
  }
  for (int t = t0; !rc && t < t1; t++) {
    const roadmap_track *tr = &rm->tracks[t];
    for (int g = 0; !rc && g < tr->n_gens; g++) {
      bool newest_shipped = tr->gens[g].shipped && (g + 1 == tr->n_gens || !tr->gens[g + 1].shipped);
      if (track || newest_shipped) rc = add_system(r, tr->gens[g].sys->name);
    }
  }
  roadmap_free(rm);
  return rc;
}

static int list_systems(cmp_report *r, const char *list) {
  char buf[2048];
  snprintf(buf, sizeof buf, "%s", list);
  int rc = 0;
  for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok && !rc;
       tok = strtok_r(NULL, ",", &save))
    rc = add_system(r, tok);
  if (!rc && r->n == 0) rc = cli_usage_error("compare", "--systems: empty list");
  return rc;
}

static int resolve_systems(const cmp_args *a, cmp_report *r) {
  static const char prefix[] = "all-generations-of";
  if (a->systems && strncmp(a->systems, prefix, sizeof prefix - 1) == 0) {
    const char *track = a->track ? a->track : a->systems + sizeof prefix - 1;
    if (*track == ' ' || *track == '=' || *track == ':') track++;
    if (!*track)
      return cli_usage_error("compare", "--systems all-generations-of needs a track "
                                        "(nvidia, trainium, amd)");
    return roadmap_systems(r, track);
  }
  if (a->systems) return list_systems(r, a->systems);
  if (r->cap) { /* the capacity file's systems */
    ts_err err = {0};
    for (int i = 0; i < r->cap->n_systems; i++)
      if (add_system_err(r, r->cap->systems[i].system, &err) != TS_OK) {
        ts_err_prefix(&err, "%s:%d", r->cap->path, r->cap->systems[i].line);
        return cli_fail(&err);
      }
    return 0;
  }
  return roadmap_systems(r, NULL);
}

static int run(const cmp_args *a, cmp_report *r, model *m, plan *fixed) {
  ts_err err = {0};
  if (model_load(a->model, m, &err) != TS_OK) return cli_fail(&err);
  long long seq = 0;
  if (a->seq) {
    int rc = count("--seq", a->seq, (long long)1 << 32, &seq);
    if (rc || seq < 1) return rc ? rc : cli_usage_error("compare", "--seq: expected at least 1");
    m->seq = seq;
  }
  r->model_name = m->name;
  r->seq = m->seq;
  if (a->fixed) {
    if (plan_parse(a->fixed, fixed, &err) != TS_OK) return cli_fail(&err);
    r->opt.fixed = fixed;
    if (fixed->set & PLAN_SET_DTYPE) r->opt.search.dtypes = 1u << fixed->dtype;
    if ((fixed->set & PLAN_SET_GBS) && r->opt.gbs > 0 && fixed->gbs != r->opt.gbs)
      return cli_usage_error("compare", "--gbs %lld and --plan-fixed gbs=%lld disagree",
                             (long long)r->opt.gbs, (long long)fixed->gbs);
  }
  capacity_file *cap = NULL;
  if (a->capacity && capacity_load(a->capacity, &cap, &err) != TS_OK) return cli_fail(&err);
  r->cap = cap;
  int rc = resolve_systems(a, r);
  r->have_basis = !cap || a->chips || a->power || a->budget;
  if (!rc && r->have_basis) {
    const hw_system *sys[CMP_MAX_SYSTEMS];
    for (int i = 0; i < r->n; i++) sys[i] = r->systems[i];
    if (compare_run(m, sys, r->n, &r->opt, r->rows, &err) != TS_OK) rc = cli_fail(&err);
  }
  if (!rc && cap) rc = cmp_run_capacity(r, m);
  return rc;
}

int cmd_compare(int argc, char **argv) {
  cmp_args a = {0};
  int rc = parse_args(argc, argv, &a);
  cmp_report *r = calloc(1, sizeof *r);
  if (!r) return 1;
  compare_options_init(&r->opt);
  r->fast = r->slow = -1;
  if (!rc) rc = numbers(&a, r);
  model m;
  plan fixed;
  if (!rc) rc = run(&a, r, &m, &fixed);
  if (!rc && a.svg) rc = cmp_write_svg(r, a.svg);
  if (!rc) {
    if (a.json) rc = cmp_print_json(r);
    else if (a.csv) cmp_print_csv(r);
    else cmp_print_table(r);
  }
  for (int i = 0; i < r->n; i++) free(r->systems[i]);
  capacity_free((capacity_file *)r->cap);
  free(r);
  return rc;
}
