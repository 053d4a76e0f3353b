/* trainsim exec: run a trace made for the `host` system for real on this machine (sim/exec) and
 * hold the simulator to it: the measured step next to sim_run of the same trace on the calibrated
 * host, the signed error, per op kind measured against simulated time, and optionally the measured
 * timeline (Chrome trace, same shape as `replay --timeline`) and the measured kernel table (CSV
 * for `--kernel-table`). Ranks are threads, or MPI processes under mpirun when built with MPI.
 * Ctrl-C stops the ranks between ops; nothing is written then (outputs are written at the end).
 * The SIGINT flag is the one piece of static state: a signal handler can reach nothing else. */
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hw/base/ts_io.h"
#include "sim/exec/exec.h"
#include "sim/sim.h"
#include "tools/cli.h"
#include "tools/commands.h"

static volatile sig_atomic_t exec_interrupted;

static void on_sigint(int sig) {
  (void)sig;
  exec_interrupted = 1;
}

typedef struct exec_args {
  const char *file, *ranks, *timeline, *kernel_table_out, *calibration, *warmup;
  bool json;
} exec_args;

static const cli_value_flag VALUE_FLAGS[] = {
    {"--ranks", offsetof(exec_args, ranks)},
    {"--timeline", offsetof(exec_args, timeline)},
    {"--kernel-table-out", offsetof(exec_args, kernel_table_out)},
    {"--calibration", offsetof(exec_args, calibration)},
    {"--warmup", offsetof(exec_args, warmup)}};

static int parse_args(int argc, char **argv, exec_args *a) {
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--json") == 0) {
      a->json = true;
      continue;
    }
    int used = cli_match_value_flag("exec", argc, argv, &i, VALUE_FLAGS,
                                    sizeof VALUE_FLAGS / sizeof VALUE_FLAGS[0], a);
    if (used < 0) return 2;
    if (used) continue;
    if (argv[i][0] == '-' && argv[i][1] != '\0')
      return cli_usage_error("exec", "unknown argument '%s'", argv[i]);
    if (a->file)
      return cli_usage_error("exec", "one trace file only ('%s' and '%s')", a->file, argv[i]);
    a->file = argv[i];
  }
  if (!a->file) return cli_usage_error("exec", "missing the trace FILE.tst");
  return 0;
}

static int parse_count(const char *flag, const char *text, long long lo, long long *out) {
  if (!ts_parse_int64(text, out) || *out < lo)
    return cli_usage_error("exec", "%s: '%s' is not an integer >= %lld", flag, text, lo);
  return 0;
}

/* The calibrated host system (a missing or foreign calibration is bad input: exit 2). */
static int host_system(const exec_args *a, hw_system *sys) {
  ts_err err = {0};
  hw_host host;
  if (hw_system_host(sys, &err) || hw_host_describe(&host, &err)) return cli_fail(&err);
  ts_status st = kern_calibration_load(a->calibration, &host, sys, &err);
  if (st == TS_ENOTFOUND || st == TS_EINPUT || st == TS_EIO) {
    fprintf(stderr, "trainsim: %s\n", err.msg);
    return 2;
  }
  return st ? cli_fail(&err) : 0;
}

static void progress(void *ctx, int64_t rank, uint32_t micro, uint32_t n_micro) {
  (void)ctx;
  fprintf(stderr, "\r[exec] rank %lld: micro-batch %u of %u   ", (long long)rank, micro + 1,
          n_micro);
  fflush(stderr);
}

static double rel_error(double simulated, double measured) {
  return measured > 0.0 ? simulated / measured - 1.0 : 0.0;
}

static bool kind_used(const trace *t, int k) {
  for (uint32_t i = 0; i < t->classes[0].n_ops; i++)
    if (t->classes[0].ops[i].kind == k) return true;
  return false;
}

static const char *exec_dtype_note(const trace *t) {
  return t->has_model && t->plan.dtype != HW_FP32 ? " (executed as fp32)" : "";
}

/* What was measured: the step and, per op kind, wall and CPU time (see exec_result_kind_totals). */
typedef struct measured {
  double step_s;
  double kind_s[TRACE_OP_KIND_COUNT], kind_cpu_s[TRACE_OP_KIND_COUNT];
} measured;

static void print_load(void) {
  double load[1];
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  if (getloadavg(load, 1) == 1 && cores > 0 && load[0] > 0.75 * (double)cores)
    printf(
        "load        %.1f on %ld cores: other processes share them, so measured times include "
        "waiting for them (cpu_s leaves that out)\n",
        load[0], cores);
}

static void print_kinds(const trace *t, const measured *m, const sim_report *rep) {
  printf("\n%-16s %12s %12s %12s %9s %9s\n", "op kind", "measured_s", "cpu_s", "simulated_s",
         "error", "cpu_error");
  for (int k = 0; k < TRACE_OP_KIND_COUNT; k++) {
    if (!kind_used(t, k)) continue;
    double sim = rep->kind_total_s[k];
    printf("%-16s %12.6g ", trace_op_kind_name((trace_op_kind)k), m->kind_s[k]);
    if (trace_op_is_comm((trace_op_kind)k))
      printf("%12s %12.6g %+8.1f%% %9s\n", "-", sim, 100.0 * rel_error(sim, m->kind_s[k]), "-");
    else
      printf("%12.6g %12.6g %+8.1f%% %+8.1f%%\n", m->kind_cpu_s[k], sim,
             100.0 * rel_error(sim, m->kind_s[k]), 100.0 * rel_error(sim, m->kind_cpu_s[k]));
  }
}

static void print_text(const trace *t, const exec_args *a, const char *transport, const measured *m,
                       const sim_report *rep) {
  printf("trace       %s: %lld ranks, %s%s\n", a->file, (long long)t->ranks,
         t->has_model ? hw_dtype_name(t->plan.dtype) : "imported", exec_dtype_note(t));
  printf("ranks       %s, one per core\n", transport);
  print_load();
  printf("measured    step %.6g s\n", m->step_s);
  printf("simulated   step %.6g s\n", rep->step_s);
  printf("error       %+.1f%% (simulated vs measured)\n",
         100.0 * rel_error(rep->step_s, m->step_s));
  print_kinds(t, m, rep);
  printf(
      "(op kinds: rank %lld of class %s; cpu_s: the op thread's CPU time; communication timed "
      "%s)\n",
      (long long)t->classes[0].first_rank, t->classes[0].name,
      strcmp(transport, "threads") == 0
          ? "from the moment every member had arrived"
          : "from the last member's call (every rank's calls gathered on one clock)");
}

static int print_json(const trace *t, const char *transport, const measured *m,
                      const sim_report *rep) {
  json_t *j = json_object(), *kinds = json_object();
  json_object_set_new(j, "measured_step_s", json_real(m->step_s));
  json_object_set_new(j, "simulated_step_s", json_real(rep->step_s));
  json_object_set_new(j, "error", json_real(rel_error(rep->step_s, m->step_s)));
  json_object_set_new(j, "ranks", json_integer(t->ranks));
  json_object_set_new(j, "transport", json_string(transport));
  json_object_set_new(j, "executed_dtype", json_string("fp32"));
  for (int k = 0; k < TRACE_OP_KIND_COUNT; k++) {
    if (!kind_used(t, k)) continue;
    json_t *o = json_object();
    double sim = rep->kind_total_s[k];
    json_object_set_new(o, "measured_s", json_real(m->kind_s[k]));
    json_object_set_new(o, "simulated_s", json_real(sim));
    json_object_set_new(o, "error", json_real(rel_error(sim, m->kind_s[k])));
    if (!trace_op_is_comm((trace_op_kind)k)) {
      json_object_set_new(o, "measured_cpu_s", json_real(m->kind_cpu_s[k]));
      json_object_set_new(o, "cpu_error", json_real(rel_error(sim, m->kind_cpu_s[k])));
    }
    json_object_set_new(kinds, trace_op_kind_name((trace_op_kind)k), o);
  }
  json_object_set_new(j, "kinds", kinds);
  return cli_print_json(j);
}

static bool under_mpirun(void) {
  return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") || getenv("PMIX_RANK");
}

static int run_and_report(const exec_args *a, const trace *t, const sim_report *rep,
                          exec_options *opt) {
  ts_err err = {0};
  exec_result *res = NULL;
  bool mpi = exec_mpi_available() && under_mpirun();
  const char *transport = mpi ? "MPI processes" : "threads";
  ts_status st = mpi ? exec_run_mpi(t, opt, &res, &err) : exec_run_threads(t, opt, &res, &err);
  if (opt->progress) fprintf(stderr, "\r%60s\r", "");
  if (exec_interrupted) {
    exec_result_free(res);
    fprintf(stderr, "trainsim: exec interrupted; no output written\n");
    return 130;
  }
  if (st) return cli_fail(&err);
  int rc = 0;
  if (exec_result_is_root(res)) {
    measured m = {.step_s = exec_result_step_s(res)};
    exec_result_kind_totals(res, m.kind_s, m.kind_cpu_s);
    if ((a->timeline && exec_timeline_write(res, a->timeline, &err)) ||
        (a->kernel_table_out && exec_kernel_table_write(res, a->kernel_table_out, &err)))
      rc = cli_fail(&err);
    else if (a->json)
      rc = print_json(t, transport, &m, rep);
    else
      print_text(t, a, transport, &m, rep);
  }
  exec_result_free(res);
  return rc;
}

static int simulate(const trace *t, const hw_system *sys, sim_result **res) {
  ts_err err = {0};
  sim_options so = {.fidelity = SIM_FIDELITY_SYMMETRIC, .algo = COLL_ALGO_AUTO};
  return sim_run(t, sys, &so, res, &err) ? cli_fail(&err) : 0;
}

static int exec_trace(const exec_args *a, trace *t, long long ranks, long long warmup) {
  ts_err err = {0};
  hw_host host;
  if (hw_host_describe(&host, &err)) return cli_fail(&err);
  if (exec_check(t, ranks, host.memory_bytes, &err)) return cli_fail(&err);
  hw_system *sys = malloc(sizeof *sys);
  if (!sys) return fprintf(stderr, "trainsim: out of memory\n"), 1;
  sim_result *res = NULL;
  int rc = host_system(a, sys);
  if (!rc) rc = simulate(t, sys, &res);
  free(sys);
  if (rc) return rc;
  struct sigaction sa = {0}, old;
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old);
  exec_options opt = {.ranks = ranks,
                      .warmup_steps = (int32_t)warmup,
                      .memory_limit_bytes = host.memory_bytes,
                      .stop = &exec_interrupted,
                      .progress = isatty(STDERR_FILENO) ? progress : NULL};
  rc = run_and_report(a, t, sim_result_report(res), &opt);
  sigaction(SIGINT, &old, NULL);
  sim_result_free(res);
  return rc;
}

int cmd_exec(int argc, char **argv) {
  exec_args a = {0};
  int rc = parse_args(argc, argv, &a);
  if (rc) return rc;
  long long ranks = 0, warmup = 1;
  if (a.ranks && (rc = parse_count("--ranks", a.ranks, 1, &ranks))) return rc;
  if (a.warmup && (rc = parse_count("--warmup", a.warmup, 0, &warmup))) return rc;
  ts_err err = {0};
  trace *t = NULL;
  if (trace_read_file(a.file, &t, &err)) return cli_fail(&err);
  rc = exec_trace(&a, t, ranks, warmup);
  trace_free(t);
  return rc;
}
