/* trainsim migrate: what it costs to move a training stack from system A to system B — the plans
 * (best on A, A's plan on B, best on B), the rework inventory and its cost under hw/stacks.yaml,
 * and break-even (migrate_compute in sim/study/migrate.c); with --roadmap, the cumulative rework of
 * following one vendor's generations against switching vendors in a given year (migrate_roadmap).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/cli.h"
#include "tools/commands.h"
#include "tools/study_cli.h"

typedef struct migrate_args {
  const char *model, *from, *to, *chips, *power, *tokens, *stacks, *team, *seq, *gbs, *switch_year,
      *years, *threads;
  bool json, roadmap;
} migrate_args;

static const cli_bool_flag BOOL_FLAGS[] = {
    {"--json", offsetof(migrate_args, json)},
    {"--roadmap", offsetof(migrate_args, roadmap)},
};

static const cli_value_flag VALUE_FLAGS[] = {
    {"--model", offsetof(migrate_args, model)},
    {"--from", offsetof(migrate_args, from)},
    {"--to", offsetof(migrate_args, to)},
    {"--chips", offsetof(migrate_args, chips)},
    {"--power-mw", offsetof(migrate_args, power)},
    {"--tokens", offsetof(migrate_args, tokens)},
    {"--stacks", offsetof(migrate_args, stacks)},
    {"--team", offsetof(migrate_args, team)},
    {"--seq", offsetof(migrate_args, seq)},
    {"--gbs", offsetof(migrate_args, gbs)},
    {"--switch-year", offsetof(migrate_args, switch_year)},
    {"--years", offsetof(migrate_args, years)},
    {"--threads", offsetof(migrate_args, threads)},
};

static int parse_flags(int argc, char **argv, migrate_args *a) {
  if (cli_parse_flags("migrate", argc, argv, BOOL_FLAGS, sizeof BOOL_FLAGS / sizeof BOOL_FLAGS[0],
                      VALUE_FLAGS, sizeof VALUE_FLAGS / sizeof VALUE_FLAGS[0], a))
    return 2;
  if (!a->from) return cli_usage_error("migrate", "missing --from");
  if (!a->to) return cli_usage_error("migrate", "missing --to");
  if (a->chips && a->power)
    return cli_usage_error("migrate", "give --chips or --power-mw, not both");
  if (!a->roadmap && !a->model) return cli_usage_error("migrate", "missing --model");
  if (!a->roadmap && (a->switch_year || a->years))
    return cli_usage_error("migrate", "--switch-year and --years need --roadmap");
  return 0;
}

/* ---- A -> B ---------------------------------------------------------------------------------- */
static void print_run(const char *label, const char *sys, const study_run *x) {
  printf("  %-9s %-20s %6lld chips  ", label, sys, (long long)x->chips);
  if (!x->ok) {
    printf("does not run: %s\n", x->error);
    return;
  }
  char wall[32], cost[32];
  study_cli_days(x->ttt.wall_s, wall, sizeof wall);
  study_cli_usd(x->ttt.cost_usd, cost, sizeof cost);
  printf("step %.3f s  MFU %.1f%%  train %s  %s\n", x->report.step_s, 100 * x->report.mfu, wall,
         cost);
  printf("  %-9s %s\n", "", x->plan_text);
}

static void print_rework(const rework_model *rm, const rework_result *r, int64_t chips_b) {
  printf("2. rework inventory (stack %s -> %s)\n", r->stack_a ? r->stack_a->name : "?",
         r->stack_b ? r->stack_b->name : "?");
  for (int i = 0; i < r->n_items; i++)
    printf("  %-20s %5.1f wk  %s\n", rework_kind_name(r->items[i].kind), r->items[i].weeks,
           r->items[i].detail);
  if (r->n_items == 0) printf("  (nothing to change)\n");
  char eng[32], val[32], tot[32];
  study_cli_usd(r->engineer_usd, eng, sizeof eng);
  study_cli_usd(r->validation_usd, val, sizeof val);
  study_cli_usd(r->total_usd, tot, sizeof tot);
  printf(
      "3. cost: %.1f engineer-weeks, team of %g -> %.1f calendar weeks; engineers %s;\n"
      "   revalidation %g runs x %g h x %lld chips = %.4g chip-h on B (%s); total %s\n",
      r->engineer_weeks, rm->team_engineers, r->calendar_weeks, eng, rm->validation_runs,
      rm->validation_hours_per_run, (long long)chips_b, r->validation_chip_hours, val, tot);
}

static void print_result(const rework_model *rm, const hw_system *a, const hw_system *b,
                         const migrate_result *r) {
  printf("1. plans\n");
  print_run("best on", a->name, &r->a_best);
  print_run("same on", b->name, &r->b_same);
  print_run("best on", b->name, &r->b_best);
  if (r->fits_b && r->b_best.ok)
    printf("  speed left on the table without re-tuning: %.1f%%\n", 100 * r->speed_left);
  printf("  plan diff:");
  uint32_t bit;
  const char *name;
  for (size_t i = 0; (name = rework_plan_field(i, &bit)) != NULL; i++)
    if (r->plan_diff & bit) printf(" %s", name);
  printf("%s\n", r->plan_diff ? "" : " none");
  print_rework(rm, &r->rework, r->b_best.ok ? r->b_best.chips : r->b_same.chips);
  char save[32], tot[32];
  study_cli_usd(r->saving_usd_per_run >= 0 ? r->saving_usd_per_run : -r->saving_usd_per_run, save,
                sizeof save);
  study_cli_usd(r->rework.total_usd, tot, sizeof tot);
  if (!r->b_best.ok)
    printf("4. break-even: no plan runs on %s\n", b->name);
  else if (r->runs_to_break_even >= 0)
    printf(
        "4. break-even: a run is %s cheaper on %s; the rework (%s) pays back after %.2f runs "
        "(%.1f months of back-to-back runs)\n",
        save, b->name, tot, r->runs_to_break_even, r->months_to_break_even);
  else
    printf("4. break-even: never on cost: a run is %s dearer on %s (and %.1f days %s)\n", save,
           b->name, (r->saving_s_per_run >= 0 ? r->saving_s_per_run : -r->saving_s_per_run) / 86400,
           r->saving_s_per_run >= 0 ? "faster" : "slower");
}

static json_t *run_json(const study_run *x, double tokens) {
  json_t *j = json_pack("{s:b, s:I}", "ok", x->ok, "chips", (json_int_t)x->chips);
  if (!j) return NULL;
  if (!x->ok) {
    json_object_set_new(j, "error", json_string(x->error));
    return j;
  }
  json_object_set_new(j, "plan", json_string(x->plan_text));
  json_object_set_new(j, "step_s", json_real(x->report.step_s));
  json_object_set_new(j, "mfu", json_real(x->report.mfu));
  json_object_set_new(j, "memory_bytes_per_chip", json_real(x->memory.total_bytes));
  json_object_set_new(j, "time_to_train", study_cli_ttt_json(&x->ttt, tokens));
  return j;
}

static json_t *rework_json(const rework_model *rm, const rework_result *r) {
  json_t *items = json_array();
  for (int i = 0; items && i < r->n_items; i++) {
    const rework_item *it = &r->items[i];
    json_array_append_new(
        items, json_pack("{s:s, s:s?, s:f, s:s}", "kind", rework_kind_name(it->kind), "op",
                         it->op_kind >= 0 ? trace_op_kind_name((trace_op_kind)it->op_kind) : NULL,
                         "weeks", it->weeks, "detail", it->detail));
  }
  return json_pack(
      "{s:s?, s:s?, s:o, s:f, s:f, s:f, s:f, s:f, s:f, s:f}", "stack_a",
      r->stack_a ? r->stack_a->name : NULL, "stack_b", r->stack_b ? r->stack_b->name : NULL,
      "items", items, "engineer_weeks", r->engineer_weeks, "team_engineers", rm->team_engineers,
      "calendar_weeks", r->calendar_weeks, "engineer_usd", r->engineer_usd, "validation_chip_hours",
      r->validation_chip_hours, "validation_usd", r->validation_usd, "total_usd", r->total_usd);
}

static json_t *result_json(const rework_model *rm, const study_run_cfg *c, const hw_system *a,
                           const hw_system *b, const migrate_result *r) {
  json_t *diff = json_array();
  uint32_t bit;
  const char *name;
  for (size_t i = 0; diff && (name = rework_plan_field(i, &bit)) != NULL; i++)
    if (r->plan_diff & bit) json_array_append_new(diff, json_string(name));
  json_t *be = r->runs_to_break_even >= 0
                   ? json_pack("{s:f, s:f, s:f, s:f}", "saving_usd_per_run", r->saving_usd_per_run,
                               "saving_s_per_run", r->saving_s_per_run, "runs",
                               r->runs_to_break_even, "months", r->months_to_break_even)
                   : json_pack("{s:f, s:f, s:n, s:n}", "saving_usd_per_run", r->saving_usd_per_run,
                               "saving_s_per_run", r->saving_s_per_run, "runs", "months");
  return json_pack("{s:s, s:f, s:I, s:s, s:s, s:o, s:o, s:o, s:b, s:f, s:o, s:o, s:o}", "model",
                   c->m->name, "tokens", c->tokens, "gbs", (json_int_t)c->gbs, "from", a->name,
                   "to", b->name, "best_a", run_json(&r->a_best, c->tokens), "same_on_b",
                   run_json(&r->b_same, c->tokens), "best_b", run_json(&r->b_best, c->tokens),
                   "fits_b", r->fits_b, "speed_left", r->speed_left, "plan_diff", diff, "rework",
                   rework_json(rm, &r->rework), "break_even", be);
}

/* Rework model with --stacks and --team; 0 or the exit code. */
static int load_rework(const migrate_args *a, rework_model **rm) {
  double team = 0;
  if (a->team && study_cli_double("migrate", "--team", a->team, 1, 1e4, &team)) return 2;
  ts_err err = {0};
  if (rework_model_load(a->stacks, rm, &err) != TS_OK) return cli_fail(&err);
  if (team > 0) (*rm)->team_engineers = team;
  return 0;
}

/* ---- --roadmap ------------------------------------------------------------------------------- */
static int track_of(const roadmap *road, const char *name, int *out) {
  *out = roadmap_track_index(road, name);
  if (*out >= 0) return 0;
  char names[256] = "";
  for (int t = 0; t < road->n_tracks; t++) {
    size_t n = strlen(names);
    snprintf(names + n, sizeof names - n, "%s%s", t ? ", " : "", road->tracks[t].name);
  }
  return cli_usage_error("migrate", "--roadmap: '%s' is not a track (%s)", name, names);
}

static void print_roadmap(const migrate_roadmap_row *rows, int n, const char *from, const char *to,
                          int switch_year) {
  printf("cumulative rework: staying on %s vs switching to %s in %d (plan held; engineer-weeks)\n",
         from, to, switch_year);
  printf("%-5s %-22s %5s %7s %9s   %-22s %5s %7s %9s\n", "year", "stay", "wk", "cum wk", "cum $",
         "switch", "wk", "cum wk", "cum $");
  for (int i = 0; i < n; i++) {
    const migrate_roadmap_row *r = &rows[i];
    char su[32], wu[32];
    study_cli_usd(r->stay_cum_usd, su, sizeof su);
    study_cli_usd(r->switch_cum_usd, wu, sizeof wu);
    printf("%-5d %-21s%s %5.0f %7.0f %9s   %-21s%s %5.0f %7.0f %9s\n", r->year, r->stay_system,
           r->stay_projected ? "*" : " ", r->stay_weeks, r->stay_cum_weeks, su, r->switch_system,
           r->switch_projected ? "*" : " ", r->switch_weeks, r->switch_cum_weeks, wu);
  }
  printf("* projected generation\n");
}

static json_t *roadmap_json(const migrate_roadmap_row *rows, int n, const char *from,
                            const char *to, int switch_year) {
  json_t *arr = json_array();
  for (int i = 0; arr && i < n; i++) {
    const migrate_roadmap_row *r = &rows[i];
    json_array_append_new(
        arr,
        json_pack("{s:i, s:s, s:b, s:f, s:f, s:f, s:s, s:b, s:f, s:f, s:f}", "year", r->year,
                  "stay_system", r->stay_system, "stay_projected", r->stay_projected, "stay_weeks",
                  r->stay_weeks, "stay_cum_weeks", r->stay_cum_weeks, "stay_cum_usd",
                  r->stay_cum_usd, "switch_system", r->switch_system, "switch_projected",
                  r->switch_projected, "switch_weeks", r->switch_weeks, "switch_cum_weeks",
                  r->switch_cum_weeks, "switch_cum_usd", r->switch_cum_usd));
  }
  return json_pack("{s:s, s:s, s:i, s:o}", "from", from, "to", to, "switch_year", switch_year,
                   "rows", arr);
}

static int run_roadmap(const migrate_args *a) {
  int y0 = 2026, y1 = 2036, rc = 0;
  double sy = 2028, chips = 1024;
  if (a->years) rc = study_cli_years("migrate", a->years, &y0, &y1);
  if (!rc && a->switch_year)
    rc = study_cli_double("migrate", "--switch-year", a->switch_year, 1990, 2100, &sy);
  if (!rc && a->chips) rc = study_cli_double("migrate", "--chips", a->chips, 1, 1e9, &chips);
  if (!rc && a->power) rc = cli_usage_error("migrate", "--roadmap takes --chips, not --power-mw");
  if (rc) return rc;
  rework_model *rm = NULL;
  roadmap *road = NULL;
  ts_err err = {0};
  rc = load_rework(a, &rm);
  if (!rc && roadmap_load(NULL, &road, &err) != TS_OK) rc = cli_fail(&err);
  int from = 0, to = 0;
  if (!rc) rc = track_of(road, a->from, &from);
  if (!rc) rc = track_of(road, a->to, &to);
  migrate_roadmap_row rows[200];
  int n = 0;
  plan p;
  plan_init(&p);
  if (!rc && migrate_roadmap(road, rm, from, to, (int)sy, y0, y1, &p, (int64_t)chips, rows, &n,
                             &err) != TS_OK)
    rc = cli_fail(&err);
  if (!rc && a->json)
    rc = cli_print_json(roadmap_json(rows, n, a->from, a->to, (int)sy));
  else if (!rc)
    print_roadmap(rows, n, a->from, a->to, (int)sy);
  roadmap_free(road);
  rework_model_free(rm);
  return rc;
}

/* ---- A -> B ---------------------------------------------------------------------------------- */
static int sizes(const migrate_args *a, double pue, const hw_system *sa, const hw_system *sb,
                 int64_t *ca, int64_t *cb) {
  double v = 50;
  study_basis basis = a->chips ? STUDY_BASIS_CHIPS : STUDY_BASIS_POWER;
  int rc = 0;
  if (a->chips) rc = study_cli_double("migrate", "--chips", a->chips, 1, 1e9, &v);
  if (a->power) rc = study_cli_double("migrate", "--power-mw", a->power, 1e-6, 1e6, &v);
  if (rc) return rc;
  if (basis == STUDY_BASIS_POWER) v *= 1e6;
  *ca = study_chips_for_basis(sa, basis, v, pue);
  *cb = study_chips_for_basis(sb, basis, v, pue);
  if (*ca < 1 || *cb < 1)
    return cli_usage_error("migrate", "the basis buys no whole scale-up domain of %s",
                           *ca < 1 ? sa->name : sb->name);
  return 0;
}

static int run_pair(const migrate_args *a, hw_system *sa, hw_system *sb) {
  model m;
  double seq = 0, gbs = 0, tokens = 15e12, threads = 2;
  int rc = 0;
  if (a->seq) rc = study_cli_double("migrate", "--seq", a->seq, 1, 1 << 24, &seq);
  if (!rc && a->gbs) rc = study_cli_double("migrate", "--gbs", a->gbs, 1, 1 << 24, &gbs);
  if (!rc && a->tokens) rc = study_cli_double("migrate", "--tokens", a->tokens, 1, 1e18, &tokens);
  if (!rc && a->threads)
    rc = study_cli_double("migrate", "--threads", a->threads, 1, 256, &threads);
  if (!rc) rc = study_cli_model(a->model, (long long)seq, &m);
  if (rc) return rc;
  study_run_cfg c;
  study_run_cfg_init(&c, &m);
  c.tokens = tokens;
  c.search.threads = (int32_t)threads;
  c.gbs = gbs > 0 ? (int64_t)gbs : (16LL << 20) / m.seq > 0 ? (16LL << 20) / m.seq : 1;
  ts_err err = {0};
  if (hw_system_load(a->from, sa, &err) != TS_OK || hw_system_load(a->to, sb, &err) != TS_OK)
    return cli_fail(&err);
  int64_t ca = 0, cb = 0;
  rc = sizes(a, c.ttt.pue, sa, sb, &ca, &cb);
  rework_model *rm = NULL;
  if (!rc) rc = load_rework(a, &rm);
  if (rc) return rc;
  migrate_result r;
  if (migrate_compute(rm, &c, sa, ca, sb, cb, &r, &err) != TS_OK)
    rc = cli_fail(&err);
  else if (a->json)
    rc = cli_print_json(result_json(rm, &c, sa, sb, &r));
  else {
    printf("migrate %s (seq %lld, gbs %lld, %.4g tokens) from %s to %s\n", m.name, (long long)m.seq,
           (long long)c.gbs, tokens, sa->name, sb->name);
    print_result(rm, sa, sb, &r);
  }
  rework_model_free(rm);
  return rc;
}

int cmd_migrate(int argc, char **argv) {
  migrate_args a = {0};
  int rc = parse_flags(argc, argv, &a);
  if (rc) return rc;
  if (a.roadmap) return run_roadmap(&a);
  hw_system *sys = calloc(2, sizeof *sys);
  if (!sys) {
    fprintf(stderr, "trainsim: out of memory\n");
    return 1;
  }
  rc = run_pair(&a, &sys[0], &sys[1]);
  free(sys);
  return rc;
}
