/* trainsim replay: simulate a trace file on a system. A native trace carries the system it was
 * made for; --system re-targets it to another one (said on stderr) as long as the trace's ranks
 * fill whole chips of the new system. Imported traces carry no system and need --system. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "hw/base/ts_io.h"
#include "tools/cli.h"
#include "tools/commands.h"
#include "tools/sim_cli.h"

typedef struct replay_args {
  const char *file, *system, *chips;
  sim_cli_flags sim;
} replay_args;

static const struct {
  const char *name;
  size_t offset; /* of the const char * field in replay_args */
} VALUE_FLAGS[] = {{"--system", offsetof(replay_args, system)},
                   {"--chips", offsetof(replay_args, chips)}};

/* Returns 1 when argv[*i] is one of VALUE_FLAGS, 0 if not, -1 after a usage error. */
static int value_flag(int argc, char **argv, int *i, replay_args *a) {
  for (size_t f = 0; f < sizeof VALUE_FLAGS / sizeof VALUE_FLAGS[0]; f++) {
    bool missing = false;
    const char *v = cli_flag_value(argc, argv, i, VALUE_FLAGS[f].name, &missing);
    if (missing) {
      cli_usage_error("replay", "%s needs a value", VALUE_FLAGS[f].name);
      return -1;
    }
    if (!v) continue;
    *(const char **)((char *)a + VALUE_FLAGS[f].offset) = v;
    return 1;
  }
  return 0;
}

/* Returns 0 when parsed, else the exit code of the usage error already printed. */
static int parse_args(int argc, char **argv, replay_args *a) {
  for (int i = 1; i < argc; i++) {
    int used = sim_cli_flag("replay", argc, argv, &i, &a->sim);
    if (!used) used = value_flag(argc, argv, &i, a);
    if (used < 0) return 2;
    if (used) continue;
    if (argv[i][0] == '-' && argv[i][1] != '\0')
      return cli_usage_error("replay", "unknown argument '%s'", argv[i]);
    if (a->file)
      return cli_usage_error("replay", "one trace file only ('%s' and '%s')", a->file, argv[i]);
    a->file = argv[i];
  }
  if (!a->file) return cli_usage_error("replay", "missing the trace FILE");
  sim_options opt;
  return sim_cli_options("replay", &a->sim, &opt);
}

/* Loads the system to replay on and makes t->chips / t->system describe it. */
static int target(const replay_args *a, trace *t, hw_system *sys) {
  ts_err err = {0};
  if (!a->system && !t->system[0])
    return cli_usage_error("replay", "%s carries no system; give --system", a->file);
  if (hw_system_load(a->system ? a->system : t->system, sys, &err) != TS_OK) return cli_fail(&err);
  int64_t per_chip = sys->chip.ranks_per_chip > 0 ? sys->chip.ranks_per_chip : 1;
  if (t->ranks % per_chip != 0) {
    fprintf(stderr,
            "trainsim: %s: %lld ranks do not fill whole chips of %s (%lld ranks per chip)\n",
            a->file, (long long)t->ranks, sys->name, (long long)per_chip);
    return 2;
  }
  int64_t chips = t->ranks / per_chip;
  if (a->chips) {
    long long n = 0;
    if (!ts_parse_int64(a->chips, &n) || n < 1)
      return cli_usage_error("replay", "--chips: '%s' is not a positive integer", a->chips);
    if (n != chips) {
      fprintf(stderr, "trainsim: %s: %lld ranks run on %lld chips of %s, not %lld\n", a->file,
              (long long)t->ranks, (long long)chips, sys->name, n);
      return 2;
    }
  }
  bool retarget = t->system[0] && strcmp(t->system, sys->name) != 0;
  if (retarget)
    fprintf(stderr, "trainsim replay: re-targeting %s from %s (%lld chips) to %s (%lld chips)\n",
            a->file, t->system, (long long)t->chips, sys->name, (long long)chips);
  else if (t->system[0] && t->chips != chips) {
    fprintf(stderr, "trainsim: %s: %lld ranks on %lld chips do not fit %s (%lld ranks per chip)\n",
            a->file, (long long)t->ranks, (long long)t->chips, sys->name, (long long)per_chip);
    return 2;
  }
  t->chips = chips;
  snprintf(t->system, sizeof t->system, "%s", sys->name);
  return 0;
}

int cmd_replay(int argc, char **argv) {
  replay_args a = {0};
  int rc = parse_args(argc, argv, &a);
  if (rc) return rc;
  ts_err err = {0};
  trace *t = NULL;
  if (trace_read_file(a.file, &t, &err) != TS_OK) return cli_fail(&err);
  hw_system sys;
  rc = target(&a, t, &sys);
  if (!rc) rc = sim_cli_run("replay", t, &sys, &a.sim);
  trace_free(t);
  return rc;
}
