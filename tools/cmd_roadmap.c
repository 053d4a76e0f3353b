/* trainsim roadmap: the ten-year question. For each year and each vendor track of hw/roadmap.yaml,
 * the newest generation (listed, or projected by the track's fitted cadence and growth), sized by
 * a comparison basis (equal power, equal hourly spend or equal chips), runs one reference training
 * with its best plan; printed as a table, JSON, CSV, and an SVG chart (roadmap_study_run,
 * roadmap_svg_write in sim/study/). Default: Llama 3 405B, 15T tokens, 50 MW. */
#include <stdio.h>
#include <string.h>

#include "hw/base/ts_io.h"
#include "tools/cli.h"
#include "tools/commands.h"
#include "tools/study_cli.h"

typedef struct roadmap_args {
  const char *model, *tokens, *years, *power, *budget, *chips, *cadence, *growth, *ttt_thr,
      *dollar_thr, *svg, *out, *seq, *gbs, *pue, *file, *threads;
  bool json, csv;
} roadmap_args;

static const cli_bool_flag BOOL_FLAGS[] = {
    {"--json", offsetof(roadmap_args, json)},
    {"--csv", offsetof(roadmap_args, csv)},
};

static const cli_value_flag VALUE_FLAGS[] = {
    {"--model", offsetof(roadmap_args, model)},
    {"--tokens", offsetof(roadmap_args, tokens)},
    {"--years", offsetof(roadmap_args, years)},
    {"--power-mw", offsetof(roadmap_args, power)},
    {"--budget-usd-per-h", offsetof(roadmap_args, budget)},
    {"--chips", offsetof(roadmap_args, chips)},
    {"--cadence", offsetof(roadmap_args, cadence)},
    {"--growth", offsetof(roadmap_args, growth)},
    {"--ttt-threshold", offsetof(roadmap_args, ttt_thr)},
    {"--dollar-threshold", offsetof(roadmap_args, dollar_thr)},
    {"--svg", offsetof(roadmap_args, svg)},
    {"-o", offsetof(roadmap_args, out)},
    {"--seq", offsetof(roadmap_args, seq)},
    {"--gbs", offsetof(roadmap_args, gbs)},
    {"--pue", offsetof(roadmap_args, pue)},
    {"--roadmap-file", offsetof(roadmap_args, file)},
    {"--threads", offsetof(roadmap_args, threads)},
};

static int parse_flags(int argc, char **argv, roadmap_args *a) {
  if (cli_parse_flags("roadmap", argc, argv, BOOL_FLAGS, sizeof BOOL_FLAGS / sizeof BOOL_FLAGS[0],
                      VALUE_FLAGS, sizeof VALUE_FLAGS / sizeof VALUE_FLAGS[0], a))
    return 2;
  if (a->json && a->csv) return cli_usage_error("roadmap", "--json and --csv exclude each other");
  if (!!a->power + !!a->budget + !!a->chips > 1)
    return cli_usage_error("roadmap", "give one of --power-mw, --budget-usd-per-h, --chips");
  if (a->out && !a->json && !a->csv) return cli_usage_error("roadmap", "-o needs --json or --csv");
  return 0;
}

/* Every number flag into the configuration (model and roadmap loaded later). */
static int numbers(const roadmap_args *a, roadmap_study_cfg *c, double *seq, double *gbs) {
  const char *cmd = "roadmap";
  double threads = 2;
  int rc = 0;
  c->basis = STUDY_BASIS_POWER;
  c->basis_value = 50;
  if (a->budget) c->basis = STUDY_BASIS_BUDGET;
  if (a->chips) c->basis = STUDY_BASIS_CHIPS;
  const char *bv = a->power ? a->power : a->budget ? a->budget : a->chips;
  if (bv)
    rc = study_cli_double(cmd,
                          a->power    ? "--power-mw"
                          : a->budget ? "--budget-usd-per-h"
                                      : "--chips",
                          bv, 1e-6, 1e12, &c->basis_value);
  if (c->basis == STUDY_BASIS_POWER) c->basis_value *= 1e6;
  if (!rc && a->tokens) rc = study_cli_double(cmd, "--tokens", a->tokens, 1, 1e18, &c->run.tokens);
  if (!rc && a->years) rc = study_cli_years(cmd, a->years, &c->year_from, &c->year_to);
  if (!rc && a->ttt_thr)
    rc = study_cli_double(cmd, "--ttt-threshold", a->ttt_thr, 0, 100, &c->ttt_threshold);
  if (!rc && a->dollar_thr)
    rc = study_cli_double(cmd, "--dollar-threshold", a->dollar_thr, 0, 100, &c->dollar_threshold);
  if (!rc && a->seq) rc = study_cli_double(cmd, "--seq", a->seq, 1, 1 << 24, seq);
  if (!rc && a->gbs) rc = study_cli_double(cmd, "--gbs", a->gbs, 1, 1 << 24, gbs);
  if (!rc && a->pue) rc = study_cli_double(cmd, "--pue", a->pue, 1, 10, &c->run.ttt.pue);
  if (!rc && a->threads) rc = study_cli_double(cmd, "--threads", a->threads, 1, 256, &threads);
  c->run.search.threads = (int32_t)threads;
  return rc;
}

static const char *status_of(const roadmap *rm, const roadmap_row *r) {
  if (r->pick.gen < 0) return "projected";
  return rm->tracks[r->pick.track].gens[r->pick.gen].shipped ? "shipped" : "announced";
}

static void print_fits(const roadmap *rm) {
  printf("fitted per track on its shipped generations (* = overridden); growth per generation:\n");
  printf("  %-10s %9s", "track", "cadence");
  for (int g = 0; g < ROADMAP_G_COUNT; g++) printf(" %7s", roadmap_growth_name((roadmap_growth)g));
  printf("\n");
  for (int t = 0; t < rm->n_tracks; t++) {
    const roadmap_fit *f = &rm->tracks[t].fit;
    printf("  %-10s %6.2f y%s", rm->tracks[t].name, f->cadence_years,
           f->cadence_overridden ? "*" : " ");
    for (int g = 0; g < ROADMAP_G_COUNT; g++)
      printf("  x%4.2f%s", f->growth[g], (f->growth_overridden >> g) & 1 ? "*" : " ");
    printf("\n");
  }
}

static void print_row(const roadmap *rm, const roadmap_row *r) {
  char wall[32], cost[32];
  const study_run *x = &r->run;
  printf(" %-9s %-16s %-20s %-9s %7lld ", rm->tracks[r->pick.track].name, r->gen_name, r->system,
         status_of(rm, r), (long long)x->chips);
  if (!x->ok) {
    printf("no result: %s\n", x->error);
    return;
  }
  study_cli_days(x->ttt.wall_s, wall, sizeof wall);
  study_cli_usd(x->ttt.cost_usd, cost, sizeof cost);
  char par[40];
  snprintf(par, sizeof par, "%d/%d/%d", x->plan.tp, x->plan.pp, x->plan.dp);
  printf("%-13s %-9s %6.3g %5.1f%% %11s %9s %6.3g %9.0f %8.3g %8.3g\n", par,
         plan_recompute_name(x->plan.recompute), x->report.step_s, 100 * x->report.mfu, wall, cost,
         x->ttt.power_w / 1e6, x->ttt.energy_mwh, x->flops_per_usd / 1e15, x->flops_per_j / 1e9);
}

static void print_table(const roadmap *rm, const roadmap_study_cfg *c, const roadmap_study *s) {
  print_fits(rm);
  printf("\n%-5s %-9s %-16s %-20s %-9s %7s %-13s %-9s %6s %6s %11s %9s %6s %9s %8s %8s\n", "year",
         "track", "generation", "system", "status", "chips", "tp/pp/dp", "recompute", "step s",
         "MFU", "train time", "cost", "MW", "MWh", "PFLOP/$", "GFLOP/J");
  for (int y = 0; y < s->n_years; y++) {
    bool first = true;
    for (int t = 0; t < s->n_tracks; t++) {
      const roadmap_row *r = roadmap_study_row(s, y, t);
      if (!r->present) continue;
      if (first)
        printf("%-5d", s->year_from + y);
      else
        printf("%-5s", "");
      print_row(rm, r);
      first = false;
    }
    if (s->ttt_close[y] || s->dollar_diverge[y]) {
      printf("      marks:");
      if (s->ttt_close[y])
        printf(" time-to-train within %.0f%% (spread %.0f%%)", 100 * c->ttt_threshold,
               100 * s->ttt_spread[y]);
      if (s->dollar_diverge[y])
        printf("%s FLOPs per $ diverge by more than %.0f%% (spread %.0f%%)",
               s->ttt_close[y] ? ";" : "", 100 * c->dollar_threshold, 100 * s->dollar_spread[y]);
      printf("\n");
    }
  }
  printf(
      "\nprojected rows: the last listed generation x the track's growth per generation, one\n"
      "generation per cadence (status \"projected\"; dashed in the SVG). %d distinct systems "
      "searched.\n",
      s->searches);
}

/* ---- JSON and CSV ---------------------------------------------------------------------------- */
static json_t *fits_json(const roadmap *rm) {
  json_t *arr = json_array();
  for (int t = 0; arr && t < rm->n_tracks; t++) {
    const roadmap_fit *f = &rm->tracks[t].fit;
    json_t *g = json_object();
    for (int k = 0; g && k < ROADMAP_G_COUNT; k++)
      json_object_set_new(g, roadmap_growth_name((roadmap_growth)k), json_real(f->growth[k]));
    json_array_append_new(
        arr, json_pack("{s:s, s:i, s:f, s:b, s:o}", "track", rm->tracks[t].name,
                       "fitted_generations", f->n_fitted, "cadence_years", f->cadence_years,
                       "cadence_overridden", f->cadence_overridden, "growth", g));
  }
  return arr;
}

static json_t *row_json(const roadmap *rm, const roadmap_row *r, int year, double tokens) {
  const study_run *x = &r->run;
  json_t *j = json_pack("{s:i, s:s, s:s, s:s, s:s, s:b, s:I, s:b}", "year", year, "track",
                        rm->tracks[r->pick.track].name, "generation", r->gen_name, "system",
                        r->system, "status", status_of(rm, r), "projected", r->pick.projected,
                        "chips", (json_int_t)x->chips, "ok", x->ok);
  if (!j) return NULL;
  if (!x->ok) {
    json_object_set_new(j, "error", json_string(x->error));
    return j;
  }
  json_object_set_new(j, "plan", json_string(x->plan_text));
  json_object_set_new(j, "step_s", json_real(x->report.step_s));
  json_object_set_new(j, "mfu", json_real(x->report.mfu));
  json_object_set_new(j, "time_to_train", study_cli_ttt_json(&x->ttt, tokens));
  json_object_set_new(j, "model_flops", json_real(x->model_flops));
  json_object_set_new(j, "flops_per_usd", json_real(x->flops_per_usd));
  json_object_set_new(j, "flops_per_j", json_real(x->flops_per_j));
  return j;
}

static json_t *study_json(const roadmap *rm, const roadmap_study_cfg *c, const roadmap_study *s) {
  json_t *rows = json_array(), *years = json_array();
  for (int y = 0; rows && years && y < s->n_years; y++) {
    for (int t = 0; t < s->n_tracks; t++) {
      const roadmap_row *r = roadmap_study_row(s, y, t);
      if (r->present) json_array_append_new(rows, row_json(rm, r, s->year_from + y, c->run.tokens));
    }
    json_array_append_new(
        years, json_pack("{s:i, s:f, s:b, s:f, s:b}", "year", s->year_from + y, "ttt_spread",
                         s->ttt_spread[y], "ttt_close", s->ttt_close[y], "dollar_spread",
                         s->dollar_spread[y], "dollar_diverge", s->dollar_diverge[y]));
  }
  return json_pack("{s:s, s:I, s:I, s:f, s:{s:s, s:f}, s:f, s:f, s:f, s:o, s:o, s:o}", "model",
                   c->run.m->name, "seq", (json_int_t)c->run.m->seq, "gbs", (json_int_t)c->run.gbs,
                   "tokens", c->run.tokens, "basis", "kind", study_basis_name(c->basis), "value",
                   c->basis_value, "pue", c->run.ttt.pue, "ttt_threshold", c->ttt_threshold,
                   "dollar_threshold", c->dollar_threshold, "tracks", fits_json(rm), "rows", rows,
                   "years", years);
}

static int write_csv(const roadmap *rm, const roadmap_study *s, const char *path) {
  ts_afile af;
  ts_err err = {0};
  FILE *f = stdout;
  if (path) {
    if (ts_afile_open(&af, path, &err) != TS_OK) return cli_fail(&err);
    f = af.fp;
  }
  fprintf(f,
          "year,track,generation,system,status,chips,plan,step_s,mfu,time_to_train_s,goodput,"
          "chip_hours,cost_usd,energy_j,flops_per_usd,flops_per_j,ttt_close,dollar_diverge,"
          "error\n");
  for (int y = 0; y < s->n_years; y++)
    for (int t = 0; t < s->n_tracks; t++) {
      const roadmap_row *r = roadmap_study_row(s, y, t);
      if (!r->present) continue;
      const study_run *x = &r->run;
      fprintf(f, "%d,%s,%s,%s,%s,%lld,", s->year_from + y, rm->tracks[t].name, r->gen_name,
              r->system, status_of(rm, r), (long long)x->chips);
      if (x->ok)
        fprintf(f, "\"%s\",%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,", x->plan_text,
                x->report.step_s, x->report.mfu, x->ttt.wall_s, x->ttt.goodput, x->ttt.chip_hours,
                x->ttt.cost_usd, x->ttt.energy_j, x->flops_per_usd, x->flops_per_j);
      else
        fprintf(f, ",,,,,,,,,,");
      fprintf(f, "%d,%d,", s->ttt_close[y], s->dollar_diverge[y]);
      if (!x->ok) {
        fputc('"', f);
        for (const char *p = x->error; *p; p++) fprintf(f, *p == '"' ? "\"\"" : "%c", *p);
        fputc('"', f);
      }
      fputc('\n', f);
    }
  if (path && ts_afile_commit(&af, &err) != TS_OK) return cli_fail(&err);
  return 0;
}

/* Model, roadmap and overrides; 0 or the exit code. */
static int load(const roadmap_args *a, roadmap_study_cfg *c, model *m, roadmap **rm) {
  double seq = 0, gbs = 0;
  int rc = numbers(a, c, &seq, &gbs);
  if (!rc) rc = study_cli_model(a->model ? a->model : "llama3-405b", (long long)seq, m);
  if (rc) return rc;
  /* 16M tokens per batch (Llama 3 405B: 2048 x 8192) unless --gbs */
  c->run.gbs = gbs > 0 ? (int64_t)gbs : (16LL << 20) / m->seq > 0 ? (16LL << 20) / m->seq : 1;
  ts_err err = {0};
  if (roadmap_load(a->file, rm, &err) != TS_OK ||
      (a->cadence && roadmap_set_cadence(*rm, a->cadence, &err) != TS_OK) ||
      (a->growth && roadmap_set_growth(*rm, a->growth, &err) != TS_OK))
    return cli_fail(&err);
  return 0;
}

int cmd_roadmap(int argc, char **argv) {
  roadmap_args a = {0};
  int rc = parse_flags(argc, argv, &a);
  if (rc) return rc;
  model m;
  roadmap_study_cfg c = {
      .year_from = 2026, .year_to = 2036, .ttt_threshold = 0.2, .dollar_threshold = 0.5};
  study_run_cfg_init(&c.run, &m);
  c.run.tokens = 15e12;
  roadmap *rm = NULL;
  rc = load(&a, &c, &m, &rm);
  ts_err err = {0};
  roadmap_study *s = NULL;
  if (!rc && roadmap_study_run(rm, &c, &s, &err) != TS_OK) rc = cli_fail(&err);
  if (!rc && a.svg && roadmap_svg_write(rm, s, a.svg, &err) != TS_OK) rc = cli_fail(&err);
  if (!rc) {
    if (a.csv)
      rc = write_csv(rm, s, a.out);
    else if (a.json)
      rc = a.out ? cli_write_json(study_json(rm, &c, s), a.out)
                 : cli_print_json(study_json(rm, &c, s));
    else
      print_table(rm, &c, s);
  }
  roadmap_study_free(s);
  roadmap_free(rm);
  return rc;
}
