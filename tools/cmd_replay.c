/* trainsim replay: simulate a trace on a system. The trace is a .tst file, its text form, or a
 * Chakra prefix (PREFIX.<rank>.et, imported in memory with chakra_import). A native trace carries
 * the system it was made for; --system re-targets it to another one (said on stderr) as long as the
 * trace's ranks fill whole chips of the new system. Imported traces carry no system and need
 * --system. Before simulating, --dp N (or --chips N on a trace that carries its plan) re-sizes the
 * data-parallel dimension (traces/trace_rescale.c), and measured durations of captured traces are
 * used as is or carried over from --captured-on S by the kernel model's ratio (replay_scale.c).
 * Every such change is said on stderr, so --json output stays the report alone. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hw/base/ts_io.h"
#include "tools/cli.h"
#include "tools/commands.h"
#include "tools/replay_scale.h"
#include "tools/sim_cli.h"
#include "traces/chakra/chakra.h"

typedef struct replay_args {
  const char *file, *system, *chips, *dp, *captured_on, *comm_groups, *elem_bytes;
  bool as_astra_sim;
  sim_cli_flags sim;
} replay_args;

static const cli_value_flag VALUE_FLAGS[] = {{"--system", offsetof(replay_args, system)},
                   {"--chips", offsetof(replay_args, chips)},
                   {"--dp", offsetof(replay_args, dp)},
                   {"--captured-on", offsetof(replay_args, captured_on)},
                   {"--comm-groups", offsetof(replay_args, comm_groups)},
                   {"--elem-bytes", offsetof(replay_args, elem_bytes)}};

/* Returns 1 when argv[*i] is one of VALUE_FLAGS, 0 if not, -1 after a usage error. */
static int value_flag(int argc, char **argv, int *i, replay_args *a) {
  return cli_match_value_flag("replay", argc, argv, i, VALUE_FLAGS,
                              sizeof VALUE_FLAGS / sizeof VALUE_FLAGS[0], a);
}

/* Returns 0 when parsed, else the exit code of the usage error already printed. */
static int parse_args(int argc, char **argv, replay_args *a) {
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--as-astra-sim") == 0) {
      a->as_astra_sim = true;
      continue;
    }
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

static int parse_positive(const char *flag, const char *text, long long max, long long *out) {
  if (!ts_parse_int64(text, out) || *out < 1 || *out > max)
    return cli_usage_error("replay", "%s: '%s' is not a positive integer up to %lld", flag, text,
                           max);
  return 0;
}

/* ---- loading: .tst, text form, or a Chakra prefix ---------------------------------------------
 */
static bool is_file(const char *path) {
  struct stat s;
  return stat(path, &s) == 0 && S_ISREG(s.st_mode);
}

static bool is_chakra_prefix(const char *prefix) {
  size_t n = strlen(prefix) + 8;
  char *p = malloc(n);
  if (!p) return false;
  snprintf(p, n, "%s.0.et", prefix);
  bool yes = is_file(p);
  free(p);
  return yes;
}

static int read_native(const replay_args *a, trace **t) {
  ts_err err = {0};
  char *data = NULL;
  size_t len = 0;
  if (ts_read_file(a->file, (size_t)1 << 33, &data, &len, &err) != TS_OK) return cli_fail(&err);
  ts_status st = len >= 14 && memcmp(data, "trainsim-trace", 14) == 0
                     ? trace_read_text(a->file, data, len, t, &err)
                     : trace_read_mem(a->file, (const unsigned char *)data, len, t, &err);
  free(data);
  return st ? cli_fail(&err) : 0;
}

static int import_chakra(const replay_args *a, trace **t) {
  if (!a->system)
    return cli_usage_error("replay", "%s is a Chakra trace and carries no system; give --system",
                           a->file);
  chakra_import_options opt = {.as_astra_sim = a->as_astra_sim};
  if (a->elem_bytes) {
    long long v = 0;
    int rc = parse_positive("--elem-bytes", a->elem_bytes, 64, &v);
    if (rc) return rc;
    opt.elem_bytes = (int)v;
  }
  ts_err err = {0};
  chakra_import_stats s = {0};
  if (chakra_import(a->file, a->comm_groups, &opt, t, &s, &err) != TS_OK) return cli_fail(&err);
  fprintf(stderr, "trainsim replay: imported Chakra %s.<0..%lld>.et: %llu nodes, %u classes%s\n",
          a->file, (long long)s.ranks - 1, (unsigned long long)s.nodes, s.classes,
          s.converted ? " (STG units converted: num_ops x2, sizes x elem bytes)" : "");
  return 0;
}

static int load_trace(const replay_args *a, trace **t) {
  bool chakra = !is_file(a->file) && is_chakra_prefix(a->file);
  if (!chakra && (a->comm_groups || a->elem_bytes || a->as_astra_sim))
    return cli_usage_error("replay",
                           "--comm-groups, --elem-bytes and --as-astra-sim apply to a Chakra "
                           "prefix (PREFIX.0.et ...), and %s is not one",
                           a->file);
  return chakra ? import_chakra(a, t) : read_native(a, t);
}

/* ---- re-sizing DP ------------------------------------------------------------------------------
 */
static void say_rescale(const replay_args *a, const trace *t, const trace_comm *old,
                        const trace_rescale_info *in) {
  fprintf(stderr,
          "trainsim replay: re-sized the data-parallel dimension of %s (communicator %s) from %lld "
          "to %lld: %lld -> %lld ranks",
          a->file, t->comms[in->dp_comm].name, (long long)in->old_dp, (long long)in->new_dp,
          (long long)in->old_ranks, (long long)in->new_ranks);
  for (uint32_t k = 0; k < t->n_comms; k++) {
    if (old[k].size != t->comms[k].size)
      fprintf(stderr, ", %s size %lld -> %lld", t->comms[k].name, (long long)old[k].size,
              (long long)t->comms[k].size);
    if (old[k].stride != t->comms[k].stride)
      fprintf(stderr, ", %s stride %lld -> %lld", t->comms[k].name, (long long)old[k].stride,
              (long long)t->comms[k].stride);
  }
  if (t->has_model)
    fprintf(stderr, ", gbs %lld -> %lld%s", (long long)in->old_gbs, (long long)in->new_gbs,
            t->plan.zero >= 1 ? ", optimizer shard rescaled" : "");
  fputc('\n', stderr);
}

/* The new DP degree asked for: --dp, or --chips on a trace with its plan when it differs from the
 * trace's size and divides evenly (else 0: --chips stays a check, done by target()). */
static int wanted_dp(const replay_args *a, const trace *t, const hw_system *sys, int64_t *dp) {
  *dp = 0;
  long long v = 0;
  if (a->dp) {
    int rc = parse_positive("--dp", a->dp, 1 << 24, &v);
    if (rc) return rc;
    *dp = v;
    return 0;
  }
  if (!a->chips || !t->has_model) return 0;
  int rc = parse_positive("--chips", a->chips, (long long)1 << 32, &v);
  if (rc) return rc;
  int64_t per_chip = sys->chip.ranks_per_chip > 0 ? sys->chip.ranks_per_chip : 1;
  int64_t ranks = v * per_chip, per_dp = t->ranks / (t->plan.dp > 0 ? t->plan.dp : 1);
  if (ranks != t->ranks && per_dp > 0 && ranks % per_dp == 0) *dp = ranks / per_dp;
  return 0;
}

static int rescale(const replay_args *a, trace *t, const hw_system *sys) {
  int64_t dp = 0;
  int rc = wanted_dp(a, t, sys, &dp);
  if (rc || dp == 0) return rc;
  trace_comm old[TRACE_MAX_COMMS];
  memcpy(old, t->comms, sizeof old);
  trace_rescale_info in;
  ts_err err = {0};
  if (trace_rescale_dp(t, dp, &in, &err) != TS_OK) {
    fprintf(stderr, "trainsim: %s: --dp %lld: %s\n", a->file, (long long)dp, err.msg);
    return 2;
  }
  say_rescale(a, t, old, &in);
  return 0;
}

/* ---- target system and measured durations ---------------------------------------------------- */
static int load_system(const replay_args *a, const trace *t, hw_system *sys) {
  ts_err err = {0};
  if (!a->system && !t->system[0])
    return cli_usage_error("replay", "%s carries no system; give --system", a->file);
  if (cli_system_load(a->system ? a->system : t->system, sys, &err) != TS_OK) return cli_fail(&err);
  return 0;
}

/* Makes t->chips / t->system describe sys, checking that the ranks fit it. */
static int target(const replay_args *a, trace *t, const hw_system *sys) {
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

static int durations(const replay_args *a, trace *t, const hw_system *sys) {
  hw_system from;
  ts_err err = {0};
  if (a->captured_on && hw_system_load(a->captured_on, &from, &err) != TS_OK) return cli_fail(&err);
  replay_durations d;
  replay_scale_durations(t, a->captured_on ? &from : NULL, sys, &d);
  if (d.measured == 0) {
    if (a->captured_on)
      fprintf(stderr,
              "trainsim replay: %s has no measured durations; --captured-on changes nothing\n",
              a->file);
    return 0;
  }
  if (!a->captured_on)
    fprintf(stderr,
            "trainsim replay: %llu compute ops carry a measured duration, used as is on %s "
            "(give --captured-on SYSTEM to scale them by the kernel model)\n",
            (unsigned long long)d.measured, sys->name);
  else if (strcmp(from.name, sys->name) == 0)
    fprintf(stderr, "trainsim replay: %llu measured durations stand (captured on %s)\n",
            (unsigned long long)d.measured, sys->name);
  else
    fprintf(stderr,
            "trainsim replay: %llu measured durations scaled from %s to %s by the kernel model's "
            "ratio (x%.4g .. x%.4g; %llu kept: no model time on %s)\n",
            (unsigned long long)d.measured, from.name, sys->name, d.min_ratio, d.max_ratio,
            (unsigned long long)(d.measured - d.scaled), from.name);
  return 0;
}

int cmd_replay(int argc, char **argv) {
  replay_args a = {0};
  int rc = parse_args(argc, argv, &a);
  if (rc) return rc;
  trace *t = NULL;
  rc = load_trace(&a, &t);
  if (rc) return rc;
  hw_system sys;
  rc = load_system(&a, t, &sys);
  if (!rc) rc = rescale(&a, t, &sys);
  if (!rc) rc = target(&a, t, &sys);
  if (!rc) rc = durations(&a, t, &sys);
  if (!rc) rc = sim_cli_run("replay", t, &sys, &a.sim);
  trace_free(t);
  return rc;
}
