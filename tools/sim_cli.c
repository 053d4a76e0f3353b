/* The simulation half of `trainsim replay` and `trainsim run` (see sim_cli.h): flags, sim_run,
 * the step report as a table or as JSON, and the timeline file. */
#include "tools/sim_cli.h"

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "tools/cli.h"

typedef struct value_flag {
  const char *name;
  size_t offset; /* of the const char * field in sim_cli_flags */
} value_flag;

static const value_flag VALUE_FLAGS[] = {
    {"--fidelity", offsetof(sim_cli_flags, fidelity)},
    {"--coll-algo", offsetof(sim_cli_flags, coll_algo)},
    {"--kernel-table", offsetof(sim_cli_flags, kernel_table)},
    {"--timeline", offsetof(sim_cli_flags, timeline)},
};

int sim_cli_flag(const char *cmd, int argc, char **argv, int *i, sim_cli_flags *f) {
  if (strcmp(argv[*i], "--json") == 0) {
    f->json = true;
    return 1;
  }
  for (size_t k = 0; k < sizeof VALUE_FLAGS / sizeof VALUE_FLAGS[0]; k++) {
    bool missing = false;
    const char *v = cli_flag_value(argc, argv, i, VALUE_FLAGS[k].name, &missing);
    if (missing) {
      cli_usage_error(cmd, "%s needs a value", VALUE_FLAGS[k].name);
      return -1;
    }
    if (!v) continue;
    *(const char **)((char *)f + VALUE_FLAGS[k].offset) = v;
    return 1;
  }
  return 0;
}

static const char *const FIDELITY_NAMES[] = {"symmetric", "full"};

int sim_cli_options(const char *cmd, const sim_cli_flags *f, sim_options *opt) {
  *opt = (sim_options){.fidelity = SIM_FIDELITY_SYMMETRIC,
                       .algo = COLL_ALGO_AUTO,
                       .record_timeline = f->timeline != NULL};
  if (f->fidelity) {
    if (strcmp(f->fidelity, "symmetric") == 0)
      opt->fidelity = SIM_FIDELITY_SYMMETRIC;
    else if (strcmp(f->fidelity, "full") == 0)
      opt->fidelity = SIM_FIDELITY_FULL;
    else
      return cli_usage_error(cmd, "--fidelity: '%s' is not symmetric or full", f->fidelity);
  }
  if (f->coll_algo && !coll_algo_parse(f->coll_algo, &opt->algo)) {
    char names[256] = "";
    for (int a = 0; a < COLL_ALGO_COUNT; a++) {
      strncat(names, a ? ", " : "", sizeof names - strlen(names) - 1);
      strncat(names, coll_algo_name((coll_algo)a), sizeof names - strlen(names) - 1);
    }
    return cli_usage_error(cmd, "--coll-algo: '%s' is not one of %s", f->coll_algo, names);
  }
  return 0;
}

/* ---- human output ---------------------------------------------------------------------------- */
static void put_time(double s, char *buf, size_t cap) {
  if (s == 0)
    snprintf(buf, cap, "0");
  else if (s >= 1.0)
    snprintf(buf, cap, "%.3f s", s);
  else if (s >= 1e-3)
    snprintf(buf, cap, "%.3f ms", s * 1e3);
  else
    snprintf(buf, cap, "%.3f us", s * 1e6);
}

static void print_row(const char *label, double s, double step_s) {
  char t[32];
  put_time(s, t, sizeof t);
  printf("  %-26s %12s %7.1f%%\n", label, t, step_s > 0 ? 100.0 * s / step_s : 0.0);
}

static void print_header(const trace *t, const hw_system *sys, const sim_options *opt) {
  if (t->has_model) {
    char plan_text[1024];
    plan_format(&t->plan, plan_text, sizeof plan_text);
    printf("model          %s (seq %lld)\n", t->model.name, (long long)t->model.seq);
    printf("plan           %s\n", plan_text);
  }
  printf("system         %s, %lld chips, %lld ranks, %s fidelity\n", sys->name, (long long)t->chips,
         (long long)t->ranks, FIDELITY_NAMES[opt->fidelity]);
}

static void print_report(const trace *t, const hw_system *sys, const sim_options *opt,
                         const sim_report *r) {
  char buf[32];
  print_header(t, sys, opt);
  put_time(r->step_s, buf, sizeof buf);
  printf("step time      %s\n", buf);
  printf("breakdown (critical rank)        time   %% step\n");
  const sim_breakdown *b = &r->breakdown;
  print_row("compute", b->compute_s, r->step_s);
  print_row("exposed TP communication", b->exposed_tp_s, r->step_s);
  print_row("exposed CP communication", b->exposed_cp_s, r->step_s);
  print_row("exposed EP communication", b->exposed_ep_s, r->step_s);
  print_row("pipeline bubble", b->bubble_s, r->step_s);
  print_row("exposed DP communication", b->exposed_dp_s, r->step_s);
  print_row("optimizer", b->optimizer_s, r->step_s);
  printf("MFU            %.2f%%\n", 100.0 * r->mfu);
  printf("TFLOP/s/chip   hardware %.1f, model %.1f\n", r->hw_flops_per_s_per_chip / 1e12,
         r->model_flops_per_s_per_chip / 1e12);
  if (t->has_model) {
    printf("tokens/s       %.0f\n", r->tokens_per_s);
    printf("memory/chip    %.2f GiB\n", r->memory_bytes_per_chip / (1024.0 * 1024.0 * 1024.0));
  }
  printf("top ops (critical rank)                        count         time   %% step\n");
  for (int i = 0; i < r->n_top; i++) {
    put_time(r->top[i].total_s, buf, sizeof buf);
    printf("  %-44s %6llu %12s %7.1f%%\n", r->top[i].name, (unsigned long long)r->top[i].count, buf,
           r->step_s > 0 ? 100.0 * r->top[i].total_s / r->step_s : 0.0);
  }
}

static json_t *report_json(const trace *t, const hw_system *sys, const sim_options *opt,
                           const sim_report *r) {
  json_t *j = json_object();
  json_t *rep = sim_report_json(r);
  if (!j || !rep) {
    json_decref(j);
    json_decref(rep);
    return NULL;
  }
  char plan_text[1024];
  if (t->has_model) plan_format(&t->plan, plan_text, sizeof plan_text);
  json_object_set_new(j, "model", t->has_model ? json_string(t->model.name) : json_null());
  json_object_set_new(j, "plan", t->has_model ? json_string(plan_text) : json_null());
  json_object_set_new(j, "system", json_string(sys->name));
  json_object_set_new(j, "chips", json_integer((json_int_t)t->chips));
  json_object_set_new(j, "fidelity", json_string(FIDELITY_NAMES[opt->fidelity]));
  json_object_update(j, rep);
  json_decref(rep);
  return j;
}

int sim_cli_run(const char *cmd, const trace *t, const hw_system *sys, const sim_cli_flags *f) {
  sim_options opt;
  int rc = sim_cli_options(cmd, f, &opt);
  if (rc) return rc;
  ts_err err = {0};
  kern_table *kt = NULL;
  if (f->kernel_table && kern_table_load(f->kernel_table, &kt, &err) != TS_OK)
    return cli_fail(&err);
  opt.kernel_table = kt;
  sim_result *res = NULL;
  ts_status st = sim_run(t, sys, &opt, &res, &err);
  if (!st && f->timeline) st = sim_timeline_write(res, f->timeline, &err);
  if (st) {
    sim_result_free(res);
    kern_table_free(kt);
    return cli_fail(&err);
  }
  const sim_report *r = sim_result_report(res);
  if (f->json)
    rc = cli_print_json(report_json(t, sys, &opt, r));
  else
    print_report(t, sys, &opt, r);
  sim_result_free(res);
  kern_table_free(kt);
  return rc;
}
