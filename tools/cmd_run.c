/* trainsim run: `gen` and `replay` without a file — generate the step's trace in memory for a
 * model, a system and a plan (models/gen.h), then simulate it (sim_run) and print the report. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "hw/base/ts_io.h"
#include "models/gen.h"
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

static int parse_count(const char *flag, const char *text, long long max, long long *out) {
  return cli_parse_count("run", flag, text, max, out);
}

typedef struct run_inputs {
  model m;
  hw_system sys;
  plan p;
  int64_t chips;
} run_inputs;

/* Model (with --seq), system, plan, and the chip count (default: the plan's ranks on whole chips).
 */
static int load_inputs(const run_args *a, run_inputs *in) {
  ts_err err = {0};
  long long v = 0, chips = 0;
  int rc = a->seq ? parse_count("--seq", a->seq, (long long)1 << 32, &v) : 0;
  if (!rc && a->chips) rc = parse_count("--chips", a->chips, (long long)1 << 40, &chips);
  if (rc) return rc;
  in->chips = chips;
  if (model_load(a->model, &in->m, &err) != TS_OK) return cli_fail(&err);
  if (a->seq) in->m.seq = v;
  if (cli_system_load(a->system, &in->sys, &err) != TS_OK) return cli_fail(&err);
  if (plan_parse(a->plan, &in->p, &err) != TS_OK) return cli_fail(&err);
  int64_t ranks = (int64_t)in->p.tp * in->p.pp * in->p.dp * in->p.cp;
  int64_t per_chip = in->sys.chip.ranks_per_chip > 0 ? in->sys.chip.ranks_per_chip : 1;
  if (a->chips) return 0;
  if (ranks % per_chip != 0)
    return cli_usage_error("run",
                           "tp*pp*dp*cp = %lld ranks do not fill whole chips of %lld ranks "
                           "(give --chips)",
                           (long long)ranks, (long long)per_chip);
  in->chips = ranks / per_chip;
  return 0;
}

int cmd_run(int argc, char **argv) {
  run_args a = {0};
  int rc = parse_args(argc, argv, &a);
  if (rc) return rc;
  run_inputs in;
  memset(&in, 0, sizeof in);
  rc = load_inputs(&a, &in);
  if (rc) return rc;
  ts_err err = {0};
  gen_options opt = {.allow_oom = a.allow_oom};
  trace *t = NULL;
  if (gen_step(&in.m, &in.p, &in.sys, in.chips, &opt, &t, &err) != TS_OK) return cli_fail(&err);
  rc = sim_cli_run("run", t, &in.sys, &a.sim);
  trace_free(t);
  return rc;
}
