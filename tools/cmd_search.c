/* trainsim search: the best plans for a model on a system (sim/search/search.h). Parses the flags,
 * holds the fields of --fix (and --gbs) fixed, runs search_best (search_best_mpi when launched by
 * mpirun: the space split round-robin over the ranks, the top K gathered at rank 0), and prints the
 * best K as a table, JSON or CSV. The JSON holds only what is deterministic; the speed of the
 * search (plans evaluated per second) goes to stderr. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/base/ts_io.h"
#include "sim/search/search.h"
#include "tools/cli.h"
#include "tools/commands.h"
#include "tools/sim_cli.h"
#include "tools/study_cli.h"

typedef struct search_args {
  const char *model, *system, *chips, *gbs, *seq, *fix, *top, *threads, *dtypes, *max_cp, *max_mbs;
  bool csv, exhaustive, quiet;
  sim_cli_flags sim;
} search_args;

static const cli_value_flag VALUE_FLAGS[] = {
    {"--model", offsetof(search_args, model)},     {"--system", offsetof(search_args, system)},
    {"--chips", offsetof(search_args, chips)},     {"--gbs", offsetof(search_args, gbs)},
    {"--seq", offsetof(search_args, seq)},         {"--fix", offsetof(search_args, fix)},
    {"--top", offsetof(search_args, top)},         {"--threads", offsetof(search_args, threads)},
    {"--dtypes", offsetof(search_args, dtypes)},   {"--max-cp", offsetof(search_args, max_cp)},
    {"--max-mbs", offsetof(search_args, max_mbs)},
};

static int value_flag(int argc, char **argv, int *i, search_args *a) {
  return cli_match_value_flag("search", argc, argv, i, VALUE_FLAGS,
                              sizeof VALUE_FLAGS / sizeof VALUE_FLAGS[0], a);
}

static int parse_args(int argc, char **argv, search_args *a) {
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (strcmp(arg, "--csv") == 0 || strcmp(arg, "--exhaustive") == 0 || strcmp(arg, "--quiet") == 0) {
      bool *b = arg[2] == 'c' ? &a->csv : arg[2] == 'e' ? &a->exhaustive : &a->quiet;
      *b = true;
      continue;
    }
    int used = sim_cli_flag("search", argc, argv, &i, &a->sim);
    if (!used) used = value_flag(argc, argv, &i, a);
    if (used < 0) return 2;
    if (!used) return cli_usage_error("search", "unknown argument '%s'", arg);
  }
  if (!a->model) return cli_usage_error("search", "missing --model");
  if (!a->system) return cli_usage_error("search", "missing --system");
  if (a->sim.timeline) return cli_usage_error("search", "--timeline is for run and replay");
  if (a->csv && a->sim.json) return cli_usage_error("search", "--json and --csv exclude each other");
  return 0;
}

static int parse_count(const char *flag, const char *text, long long max, long long *out) {
  return cli_parse_count("search", flag, text, max, out);
}

/* --dtypes bf16,fp8 into a bit set. */
static int parse_dtypes(const char *text, uint32_t *out) {
  char buf[128];
  snprintf(buf, sizeof buf, "%s", text);
  *out = 0;
  for (char *tok = buf, *next; tok; tok = next) {
    next = strchr(tok, ',');
    if (next) *next++ = '\0';
    hw_dtype dt;
    if (!hw_dtype_parse(tok, &dt))
      return cli_usage_error("search", "--dtypes: '%s' is not fp32, fp16, bf16, fp8 or fp4", tok);
    *out |= 1u << dt;
  }
  return 0;
}

typedef struct search_inputs {
  model m;
  hw_system sys;
  plan fixed;
  int64_t chips;
  search_options opt;
  kern_table *kt;
  double tokens;        /* --tokens: time-to-train of each plan (0: not asked) */
  ttt_options ttt;
} search_inputs;

static int load_numbers(const search_args *a, search_inputs *in) {
  long long v = 0;
  int rc = 0;
  if (a->top && !(rc = parse_count("--top", a->top, 100000, &v))) in->opt.top_k = (int32_t)v;
  if (!rc && a->threads && !(rc = parse_count("--threads", a->threads, 256, &v)))
    in->opt.threads = (int32_t)v;
  if (!rc && a->max_cp && !(rc = parse_count("--max-cp", a->max_cp, 1 << 20, &v)))
    in->opt.max_cp = (int32_t)v;
  if (!rc && a->max_mbs && !(rc = parse_count("--max-mbs", a->max_mbs, 1 << 20, &v)))
    in->opt.max_mbs = (int32_t)v;
  if (!rc && a->dtypes) rc = parse_dtypes(a->dtypes, &in->opt.dtypes);
  if (!rc && a->seq && !(rc = parse_count("--seq", a->seq, (long long)1 << 32, &v))) in->m.seq = v;
  if (!rc && a->chips && !(rc = parse_count("--chips", a->chips, (long long)1 << 40, &v)))
    in->chips = v;
  in->opt.exhaustive = a->exhaustive;
  return rc;
}

/* gbs: --gbs, or --fix's, or the default (about 4M tokens per step, a power of two). */
static int settle_gbs(const search_args *a, search_inputs *in) {
  long long g = 0;
  if (a->gbs) {
    int rc = parse_count("--gbs", a->gbs, (long long)1 << 40, &g);
    if (rc) return rc;
    if ((in->fixed.set & PLAN_SET_GBS) && in->fixed.gbs != g)
      return cli_usage_error("search", "--gbs %lld and --fix gbs=%lld disagree", g,
                             (long long)in->fixed.gbs);
    in->fixed.gbs = g;
    in->fixed.set |= PLAN_SET_GBS;
  }
  if (!(in->fixed.set & PLAN_SET_GBS)) {
    int64_t gbs = 1;
    while (gbs * in->m.seq < ((int64_t)4 << 20) && gbs < ((int64_t)1 << 30)) gbs *= 2;
    in->fixed.gbs = gbs;
    in->fixed.set |= PLAN_SET_GBS;
  }
  return 0;
}

/* --chips: given, or tp*pp*dp*cp of --fix on whole chips. */
static int settle_chips(search_inputs *in) {
  if (in->chips > 0) return 0;
  const uint32_t all = PLAN_SET_TP | PLAN_SET_PP | PLAN_SET_DP | PLAN_SET_CP;
  if ((in->fixed.set & all) != all)
    return cli_usage_error("search", "missing --chips (or --fix with tp, pp, dp and cp)");
  int64_t ranks = (int64_t)in->fixed.tp * in->fixed.pp * in->fixed.dp * in->fixed.cp;
  int64_t rpc = in->sys.chip.ranks_per_chip > 0 ? in->sys.chip.ranks_per_chip : 1;
  if (ranks % rpc != 0)
    return cli_usage_error("search", "tp*pp*dp*cp = %lld ranks do not fill whole chips of %lld "
                           "ranks (give --chips)", (long long)ranks, (long long)rpc);
  in->chips = ranks / rpc;
  return 0;
}

static int load_inputs(const search_args *a, search_inputs *in) {
  ts_err err = {0};
  search_options_init(&in->opt);
  if (sim_cli_options("search", &a->sim, &in->opt.sim)) return 2;
  if (sim_cli_ttt_options("search", &a->sim, &in->ttt, &in->tokens)) return 2;
  if (model_load(a->model, &in->m, &err) != TS_OK) return cli_fail(&err);
  int rc = load_numbers(a, in);
  if (rc) return rc;
  if (cli_system_load(a->system, &in->sys, &err) != TS_OK) return cli_fail(&err);
  if (plan_parse(a->fix ? a->fix : "", &in->fixed, &err) != TS_OK) return cli_fail(&err);
  rc = settle_gbs(a, in);
  if (!rc) rc = settle_chips(in);
  if (rc) return rc;
  if (a->sim.kernel_table) {
    if (kern_table_load(a->sim.kernel_table, &in->kt, &err) != TS_OK) return cli_fail(&err);
    in->opt.sim.kernel_table = in->kt;
  }
  return 0;
}

/* ---- output ------------------------------------------------------------------------------------ */
/* Time-to-train of one plan for --tokens (failures, checkpoints and restarts included). */
static ts_status entry_ttt(const search_inputs *in, const search_entry *e, ttt_result *out,
                           ts_err *err) {
  ttt_input t;
  ttt_input_from_report(&e->report, &in->m, &e->plan, in->m.seq, in->tokens, in->chips, &t);
  return ttt_compute(&in->sys, &t, &in->ttt, out, err);
}
static const struct {
  uint32_t bit;
  const char *name;
} FIELDS[] = {
    {PLAN_SET_TP, "tp"},   {PLAN_SET_PP, "pp"},   {PLAN_SET_DP, "dp"},
    {PLAN_SET_CP, "cp"},   {PLAN_SET_EP, "ep"},   {PLAN_SET_VPP, "vpp"},
    {PLAN_SET_MBS, "mbs"}, {PLAN_SET_RECOMPUTE, "recompute"}, {PLAN_SET_ZERO, "zero"},
    {PLAN_SET_DTYPE, "dtype"}, {PLAN_SET_SCHEDULE, "schedule"}, {PLAN_SET_SP, "sp"},
};

static void chosen_text(uint32_t chosen, char *buf, size_t cap) {
  size_t n = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < sizeof FIELDS / sizeof FIELDS[0] && n < cap; i++)
    if (chosen & FIELDS[i].bit)
      n += (size_t)snprintf(buf + n, cap - n, "%s%s", n ? ", " : "", FIELDS[i].name);
  if (!n) snprintf(buf, cap, "nothing (every field fixed)");
}

/* The searched fields of a plan in short form. */
static void short_plan(const plan *p, char *buf, size_t cap) {
  snprintf(buf, cap, "tp=%d pp=%d dp=%d cp=%d ep=%d vpp=%d mbs=%d %s zero=%d %s", p->tp, p->pp,
           p->dp, p->cp, p->ep, p->vpp, p->mbs, plan_recompute_name(p->recompute), p->zero,
           hw_dtype_name(p->dtype));
}

static void print_table(const search_inputs *in, const search_result *r) {
  char chosen[256];
  chosen_text(r->chosen, chosen, sizeof chosen);
  const search_stats *s = &r->stats;
  printf("search   %s (seq %lld, gbs %lld) on %lld %s chips\n", in->m.name, (long long)in->m.seq,
         (long long)in->fixed.gbs, (long long)in->chips, in->sys.name);
  printf("chosen   %s\n", chosen);
  printf("space    %llu plans: %llu invalid, %llu over memory, %llu candidates\n",
         (unsigned long long)s->enumerated, (unsigned long long)s->invalid,
         (unsigned long long)s->over_memory, (unsigned long long)s->candidates);
  printf("%4s %10s %6s %9s %8s %7s %7s %7s %7s %7s %7s  %s\n", "rank", "step_s", "mfu", "mem_GiB",
         "compute", "tp", "cp", "ep", "bubble", "dp", "optim", "plan");
  for (int32_t i = 0; i < r->n; i++) {
    const search_entry *e = &r->best[i];
    const sim_breakdown *b = &e->report.breakdown;
    char sp[160];
    short_plan(&e->plan, sp, sizeof sp);
    printf("%4d %10.4f %6.3f %9.2f %8.3f %7.3f %7.3f %7.3f %7.3f %7.3f %7.3f  %s%s\n", i + 1,
           e->report.step_s, e->report.mfu, e->report.memory_bytes_per_chip / 1073741824.0, b->compute_s,
           b->exposed_tp_s, b->exposed_cp_s, b->exposed_ep_s, b->bubble_s, b->exposed_dp_s,
           b->optimizer_s, sp, e->over_memory ? " (over memory)" : "");
  }
  if (r->n > 0) printf("best     %s\n", r->best[0].text);
  if (in->tokens <= 0) return;
  printf("time to train %.3g tokens (goodput: failures, checkpoints, restarts):\n", in->tokens);
  printf("%4s %12s %8s %14s %14s %12s\n", "rank", "days", "goodput", "chip_hours", "cost_usd",
         "energy_MWh");
  for (int32_t i = 0; i < r->n; i++) {
    ttt_result t;
    ts_err err = {0};
    if (entry_ttt(in, &r->best[i], &t, &err) != TS_OK) {
      printf("%4d %s\n", i + 1, err.msg);
      continue;
    }
    printf("%4d %12.2f %8.4f %14.4g %14.4g %12.4g\n", i + 1, t.wall_s / 86400.0, t.goodput,
           t.chip_hours, t.cost_usd, t.energy_mwh);
  }
}

static json_t *entry_json(const search_inputs *in, int rank, const search_entry *e) {
  json_t *o = json_object();
  json_object_set_new(o, "rank", json_integer(rank));
  json_object_set_new(o, "plan", json_string(e->text));
  json_object_set_new(o, "step_s", json_real(e->report.step_s));
  json_object_set_new(o, "mfu", json_real(e->report.mfu));
  json_object_set_new(o, "tokens_per_s", json_real(e->report.tokens_per_s));
  json_object_set_new(o, "hw_flops_per_s_per_chip", json_real(e->report.hw_flops_per_s_per_chip));
  json_object_set_new(o, "memory_bytes_per_chip", json_real(e->report.memory_bytes_per_chip));
  json_object_set_new(o, "over_memory", json_boolean(e->over_memory));
  json_object_set_new(o, "breakdown", sim_breakdown_json(&e->report.breakdown));
  ttt_result t;
  ts_err err = {0};
  if (in->tokens > 0 && entry_ttt(in, e, &t, &err) == TS_OK)
    json_object_set_new(o, "time_to_train", study_cli_ttt_json(&t, in->tokens));
  return o;
}

static int print_json(const search_inputs *in, const search_result *r) {
  json_t *o = json_object(), *chosen = json_array(), *plans = json_array(), *space = json_object();
  json_object_set_new(o, "model", json_string(in->m.name));
  json_object_set_new(o, "seq", json_integer(in->m.seq));
  json_object_set_new(o, "gbs", json_integer(in->fixed.gbs));
  json_object_set_new(o, "system", json_string(in->sys.name));
  json_object_set_new(o, "chips", json_integer(in->chips));
  for (size_t i = 0; i < sizeof FIELDS / sizeof FIELDS[0]; i++)
    if (r->chosen & FIELDS[i].bit) json_array_append_new(chosen, json_string(FIELDS[i].name));
  json_object_set_new(o, "chosen", chosen);
  json_object_set_new(space, "enumerated", json_integer((json_int_t)r->stats.enumerated));
  json_object_set_new(space, "invalid", json_integer((json_int_t)r->stats.invalid));
  json_object_set_new(space, "over_memory", json_integer((json_int_t)r->stats.over_memory));
  json_object_set_new(space, "candidates", json_integer((json_int_t)r->stats.candidates));
  json_object_set_new(o, "space", space);
  for (int32_t i = 0; i < r->n; i++) json_array_append_new(plans, entry_json(in, i + 1, &r->best[i]));
  json_object_set_new(o, "plans", plans);
  return cli_print_json(o);
}

static void print_csv(const search_result *r) {
  printf("rank,step_s,mfu,tokens_per_s,memory_bytes_per_chip,compute_s,exposed_tp_s,exposed_cp_s,"
         "exposed_ep_s,bubble_s,exposed_dp_s,optimizer_s,tp,pp,dp,cp,ep,vpp,mbs,gbs,recompute,"
         "zero,dtype,schedule\n");
  for (int32_t i = 0; i < r->n; i++) {
    const search_entry *e = &r->best[i];
    const sim_breakdown *b = &e->report.breakdown;
    const plan *p = &e->plan;
    printf("%d,%.9g,%.6g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%d,%d,%d,%d,%d,%d,%d,%lld,"
           "%s,%d,%s,%s\n",
           i + 1, e->report.step_s, e->report.mfu, e->report.tokens_per_s,
           e->report.memory_bytes_per_chip, b->compute_s, b->exposed_tp_s, b->exposed_cp_s,
           b->exposed_ep_s, b->bubble_s, b->exposed_dp_s, b->optimizer_s, p->tp, p->pp, p->dp,
           p->cp, p->ep, p->vpp, p->mbs, (long long)p->gbs, plan_recompute_name(p->recompute),
           p->zero, hw_dtype_name(p->dtype), plan_schedule_name(p->schedule));
  }
}

static void print_speed(const search_result *r, int ranks) {
  const search_stats *s = &r->stats;
  double evaluated = (double)(s->simulated + s->reused + s->failed);
  fprintf(stderr,
          "search: %llu simulated, %llu identical to one simulated, %llu pruned by the lower "
          "bounds (%llu after generating the step), %d process%s, %.2f s: %.1f plans evaluated "
          "per second\n",
          (unsigned long long)s->simulated, (unsigned long long)s->reused,
          (unsigned long long)s->bounded, (unsigned long long)s->bounded_trace, ranks,
          ranks == 1 ? "" : "es", s->seconds, s->seconds > 0 ? evaluated / s->seconds : 0.0);
}

static int search_and_print(const search_args *a, search_inputs *in) {
  ts_err err = {0};
  int rank = 0, size = 1;
  if (search_mpi_begin(NULL, NULL, &rank, &size, &err) != TS_OK) return cli_fail(&err);
  search_result *r = NULL;
  ts_status st = search_best_mpi(&in->m, &in->sys, in->chips, &in->fixed, &in->opt, &r, &err);
  int rc = 0;
  if (st) rc = rank == 0 ? cli_fail(&err) : ts_status_exit_code(st);
  else if (rank == 0) {
    if (a->sim.json) rc = print_json(in, r);
    else if (a->csv) print_csv(r);
    else print_table(in, r);
    if (!a->quiet) print_speed(r, size);
  }
  search_result_free(r);
  search_mpi_end();
  return rc;
}

int cmd_search(int argc, char **argv) {
  search_args a = {0};
  int rc = parse_args(argc, argv, &a);
  if (rc) return rc;
  search_inputs *in = calloc(1, sizeof *in);
  if (!in) {
    fprintf(stderr, "trainsim search: out of memory\n");
    return 1;
  }
  rc = load_inputs(&a, in);
  if (!rc) rc = search_and_print(&a, in);
  kern_table_free(in->kt);
  free(in);
  return rc;
}
