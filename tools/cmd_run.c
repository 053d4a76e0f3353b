/* trainsim run: `gen` and `replay` without a file — generate the step's trace in memory for a
 * model, a system and a plan (models/gen.h), then simulate it (sim_run) and print the report. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "hw/base/ts_io.h"
#include "tools/cli.h"
#include "tools/commands.h"
#include "tools/sim_cli.h"

typedef struct run_args {
  const char *model, *system, *chips, *plan, *seq;
  bool allow_oom;
  sim_cli_flags sim;
} run_args;

static const cli_value_flag VALUE_FLAGS[] = {
    {"--model", offsetof(run_args, model)}, {"--system", offsetof(run_args, system)},
    {"--chips", offsetof(run_args, chips)}, {"--plan", offsetof(run_args, plan)},
    {"--seq", offsetof(run_args, seq)},
};

/* Returns 1 when argv[*i] is one of VALUE_FLAGS, 0 if not, -1 after a usage error. */
static int value_flag(int argc, char **argv, int *i, run_args *a) {
  return cli_match_value_flag("run", argc, argv, i, VALUE_FLAGS,
                              sizeof VALUE_FLAGS / sizeof VALUE_FLAGS[0], a);
}

/* Returns 0 when parsed, else the exit code of the usage error already printed. */
static int parse_args(int argc, char **argv, run_args *a) {
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--allow-oom") == 0) {
      a->allow_oom = true;
      continue;
    }
    int used = sim_cli_flag("run", argc, argv, &i, &a->sim);
    if (!used) used = value_flag(argc, argv, &i, a);
    if (used < 0) return 2;
    if (!used) return cli_usage_error("run", "unknown argument '%s'", argv[i]);
  }
  if (!a->model) return cli_usage_error("run", "missing --model");
  if (!a->system) return cli_usage_error("run", "missing --system");
  if (!a->plan) return cli_usage_error("run", "missing --plan");
  sim_options opt;
  return sim_cli_options("run", &a->sim, &opt);
}

/* Model (with --seq), system, plan and chips (sim_cli_step_load); --seq and --chips are checked
 * first, before any loading (sim_cli_step_load reads the checked --chips again). */
static int load_inputs(const run_args *a, sim_cli_step *in) {
  memset(in, 0, sizeof *in);
  ts_err err = {0};
  long long v = 0;
  int rc = a->seq ? cli_parse_count("run", "--seq", a->seq, (long long)1 << 32, &v) : 0;
  if (!rc && a->chips) rc = sim_cli_chips("run", a->chips, &in->chips);
  if (rc) return rc;
  if (model_load(a->model, &in->m, &err) != TS_OK) return cli_fail(&err);
  if (a->seq) in->m.seq = v;
  return sim_cli_step_load("run", a->system, a->plan, a->chips, in);
}

int cmd_run(int argc, char **argv) {
  run_args a = {0};
  int rc = parse_args(argc, argv, &a);
  if (rc) return rc;
  sim_cli_step in;
  trace *t = NULL;
  rc = load_inputs(&a, &in);
  if (!rc) rc = sim_cli_step_trace(&in, a.allow_oom, &t);
  if (rc) return rc;
  rc = sim_cli_run("run", t, &in.sys, &a.sim);
  trace_free(t);
  return rc;
}
