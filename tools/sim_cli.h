/* What `trainsim replay` and `trainsim run` share: the simulation flags (--fidelity, --coll-algo,
 * --kernel-table, --timeline, --json, and --tokens/--price/--pue for the time-to-train), running
 * sim_run on a trace, and printing the step report as a table for people or as JSON with the stable
 * keys of DESIGN.md. Also what `run` and `gen` share: the inputs of one generated step. */
#ifndef TOOLS_SIM_CLI_H
#define TOOLS_SIM_CLI_H

#include <stdbool.h>

#include "sim/sim.h"
#include "sim/study/study.h"

typedef struct sim_cli_flags {
  const char *fidelity, *coll_algo, *kernel_table, *timeline;
  const char *tokens, *price, *pue; /* time-to-train after the step (--tokens; study_cli.h) */
  bool json;
} sim_cli_flags;

/* Tries argv[*i] as a simulation flag: 1 consumed (advancing *i past a value), 0 not one of them,
 * -1 a usage error already printed (exit code 2). */
int sim_cli_flag(const char *cmd, int argc, char **argv, int *i, sim_cli_flags *f);

/* The sim_options the flags ask for (kernel table not loaded yet): 0, or the exit code of a usage
 * error already printed. Call it right after parsing, before any slow work. */
int sim_cli_options(const char *cmd, const sim_cli_flags *f, sim_options *opt);

/* Simulates t on sys under the flags and prints the report; returns the exit code. */
int sim_cli_run(const char *cmd, const trace *t, const hw_system *sys, const sim_cli_flags *f);

/* --tokens, --price, --pue checked into time-to-train options; *tokens is 0 without --tokens.
 * 0, or the exit code (2) of a usage error already printed. */
int sim_cli_ttt_options(const char *cmd, const sim_cli_flags *f, ttt_options *opt, double *tokens);

/* The inputs of one generated step (`run`, `gen`): model (with --seq), system, plan and chips. */
typedef struct sim_cli_step {
  model m;
  hw_system sys;
  plan p;
  int64_t chips;
} sim_cli_step;

/* --chips TEXT: a whole number 1..2^40 into *chips; 0, or the exit code of the usage error. */
int sim_cli_chips(const char *cmd, const char *text, int64_t *chips);

/* Loads the system (cli_system_load) and parses the plan into s, then s->chips: --chips when given
 * (chips not NULL), else the plan's ranks on whole chips of the system. 0, or the exit code of the
 * error already printed. */
int sim_cli_step_load(const char *cmd, const char *system, const char *plan_spec, const char *chips,
                      sim_cli_step *s);

/* Generates the step's trace (gen_step); 0, or the exit code of the error already printed. */
int sim_cli_step_trace(const sim_cli_step *s, bool allow_oom, trace **out);

#endif
