/* The simulation half of `trainsim replay` and `trainsim run` (see sim_cli.h): flags, sim_run,
 * the step report as a table or as JSON, and the timeline file; and the inputs of the step that
 * `run` and `gen` generate. */
#include "tools/sim_cli.h"

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "hw/base/ts_io.h"
#include "models/gen.h"
#include "tools/cli.h"
#include "tools/study_cli.h"

/* Where each value goes in sim_cli_flags. */
static const cli_value_flag VALUE_FLAGS[] = {
    {"--fidelity", offsetof(sim_cli_flags, fidelity)},
    {"--coll-algo", offsetof(sim_cli_flags, coll_algo)},
    {"--kernel-table", offsetof(sim_cli_flags, kernel_table)},
    {"--timeline", offsetof(sim_cli_flags, timeline)},
    {"--tokens", offsetof(sim_cli_flags, tokens)},
    {"--price", offsetof(sim_cli_flags, price)},
    {"--pue", offsetof(sim_cli_flags, pue)},
};

int sim_cli_flag(const char *cmd, int argc, char **argv, int *i, sim_cli_flags *f) {
  if (strcmp(argv[*i], "--json") == 0) {
    f->json = true;
    return 1;
  }
  return cli_match_value_flag(cmd, argc, argv, i, VALUE_FLAGS,
                              sizeof VALUE_FLAGS / sizeof VALUE_FLAGS[0], f);
}

static const char *const FIDELITY_NAMES[] = {"symmetric", "full"};

/* --tokens, --price, --pue: checked, into the ttt options (opt may be NULL: check only). */
static int ttt_flags(const char *cmd, const sim_cli_flags *f, ttt_options *opt);

int sim_cli_ttt_options(const char *cmd, const sim_cli_flags *f, ttt_options *opt, double *tokens) {
  int rc = ttt_flags(cmd, f, opt);
  *tokens = 0;
  if (!rc && f->tokens) ts_parse_double(f->tokens, tokens);
  return rc;
}

static int ttt_flags(const char *cmd, const sim_cli_flags *f, ttt_options *opt) {
  ttt_options o;
  ttt_options_init(&o);
  double tokens = 0;
  int rc = 0;
  if (!f->tokens && (f->price || f->pue))
    return cli_usage_error(cmd, "%s needs --tokens", f->price ? "--price" : "--pue");
  if (f->tokens) rc = study_cli_double(cmd, "--tokens", f->tokens, 1, 1e18, &tokens);
  if (!rc && f->price)
    rc = study_cli_double(cmd, "--price", f->price, 0, 1e6, &o.price_usd_per_chip_h);
  if (!rc && f->pue) rc = study_cli_double(cmd, "--pue", f->pue, 1, 10, &o.pue);
  if (opt) *opt = o;
  return rc;
}

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
  return ttt_flags(cmd, f, NULL);
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

/* Time-to-train of the simulated step for --tokens: 0, or the exit code after an error. */
static int time_to_train(const char *cmd, const trace *t, const hw_system *sys,
                         const sim_cli_flags *f, const sim_report *r, ttt_result *out) {
  ttt_options o;
  int rc = ttt_flags(cmd, f, &o);
  if (rc) return rc;
  if (!t->has_model)
    return cli_usage_error(cmd, "--tokens needs a trace that carries its model (not an import)");
  double tokens = 0;
  ts_parse_double(f->tokens, &tokens);
  ttt_input in;
  ttt_input_from_report(r, &t->model, &t->plan, t->model.seq, tokens, t->chips, &in);
  ts_err err = {0};
  if (ttt_compute(sys, &in, &o, out, &err) != TS_OK) return cli_fail(&err);
  return 0;
}

static int print_all(const char *cmd, const trace *t, const hw_system *sys, const sim_cli_flags *f,
                     const sim_options *opt, const sim_report *r) {
  ttt_result tr;
  if (f->tokens) {
    int rc = time_to_train(cmd, t, sys, f, r, &tr);
    if (rc) return rc;
  }
  double tokens = 0;
  if (f->tokens) ts_parse_double(f->tokens, &tokens);
  if (!f->json) {
    print_report(t, sys, opt, r);
    if (f->tokens) {
      ttt_options o;
      ttt_flags(cmd, f, &o);
      study_cli_print_ttt(&tr, tokens, o.pue);
    }
    return 0;
  }
  json_t *j = report_json(t, sys, opt, r);
  if (j && f->tokens) {
    json_t *tj = study_cli_ttt_json(&tr, tokens);
    if (!tj || json_object_set_new(j, "time_to_train", tj) != 0) {
      json_decref(j);
      j = NULL;
    }
  }
  return cli_print_json(j);
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
  rc = print_all(cmd, t, sys, f, &opt, sim_result_report(res));
  sim_result_free(res);
  kern_table_free(kt);
  return rc;
}

/* ---- the inputs of a generated step --------------------------------------------------------- */
int sim_cli_chips(const char *cmd, const char *text, int64_t *chips) {
  long long v = 0;
  int rc = cli_parse_count(cmd, "--chips", text, (long long)1 << 40, &v);
  if (!rc) *chips = v;
  return rc;
}

int sim_cli_step_load(const char *cmd, const char *system, const char *plan_spec, const char *chips,
                      sim_cli_step *s) {
  ts_err err = {0};
  if (cli_system_load(system, &s->sys, &err) != TS_OK) return cli_fail(&err);
  if (plan_parse(plan_spec, &s->p, &err) != TS_OK) return cli_fail(&err);
  if (chips) return sim_cli_chips(cmd, chips, &s->chips);
  int64_t ranks = (int64_t)s->p.tp * s->p.pp * s->p.dp * s->p.cp;
  int64_t per_chip = s->sys.chip.ranks_per_chip > 0 ? s->sys.chip.ranks_per_chip : 1;
  if (ranks % per_chip != 0)
    return cli_usage_error(cmd,
                           "tp*pp*dp*cp = %lld ranks do not fill whole chips of %lld ranks "
                           "(give --chips)",
                           (long long)ranks, (long long)per_chip);
  s->chips = ranks / per_chip;
  return 0;
}

int sim_cli_step_trace(const sim_cli_step *s, bool allow_oom, trace **out) {
  ts_err err = {0};
  gen_options opt = {.allow_oom = allow_oom};
  if (gen_step(&s->m, &s->p, &s->sys, s->chips, &opt, out, &err) != TS_OK) return cli_fail(&err);
  return 0;
}
