/* The studies of issue 6 (sim/study/study_run.c, roadmap_run.c, migrate.c): cluster sizes for the
 * three bases by hand, moving a plan to another system's ranks, a migration between two
 * generations of one vendor listing fewer rework items than one between vendors, a plan that fits
 * A but not B reported as re-partitioning (not an error), the roadmap study's rows, cache and
 * marks, the rework along the roadmap, and the error paths. Small models and chip counts keep
 * the searches short. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/study/studies.h"

/* A small dense model: searches over a few chips take well under a second. */
#define SMALL_MODEL "layers=8,hidden=1024,ffn=4096,heads=16,vocab=32000,seq=1024,mlp=gelu"

static hw_system *load_sys(const char *name) {
  hw_system *s = malloc(sizeof *s);
  assert_non_null(s);
  ts_err err = {0};
  assert_int_equal(hw_system_load(name, s, &err), TS_OK);
  return s;
}

static void test_chips_for_power_budget_and_count_by_hand(void **state) {
  (void)state;
  hw_system *h = load_sys("dgx-h100");
  /* (700 W + 575 W host) x PUE 1.2 = 1530 W: 50 MW buys 32,679 chips = 4,084 domains of 8;
   * the largest 2^a or 3 x 2^a under 4,084 is 3,072: 24,576 chips. */
  assert_int_equal(study_chips_for_basis(h, STUDY_BASIS_POWER, 50e6, 1.2), 24576);
  /* $100,000/h at $6.875 = 14,545 chips = 1,818 domains -> 1,536 domains = 12,288 chips */
  assert_int_equal(study_chips_for_basis(h, STUDY_BASIS_BUDGET, 1e5, 1.2), 12288);
  assert_int_equal(study_chips_for_basis(h, STUDY_BASIS_CHIPS, 100, 1.2), 96);
  assert_int_equal(study_chips_for_basis(h, STUDY_BASIS_CHIPS, 5, 1.2), 5);
  /* 1 kW buys no whole domain */
  assert_int_equal(study_chips_for_basis(h, STUDY_BASIS_POWER, 1e3, 1.2), 0);
  assert_string_equal(study_basis_name(STUDY_BASIS_BUDGET), "budget");
  free(h);
}

static void test_same_plan_rederives_dp_for_target_ranks(void **state) {
  (void)state;
  hw_system *trn = load_sys("trn2-48xl"); /* 4 ranks per chip */
  ts_err err = {0};
  plan a, out;
  assert_int_equal(plan_parse("tp=8,pp=2,dp=4,gbs=64", &a, &err), TS_OK);
  char why[256] = "";
  /* 16 chips x 4 ranks = 64 ranks / (8 x 2) = dp 4 */
  assert_true(migrate_same_plan(&a, trn, 16, &out, why, sizeof why));
  assert_int_equal(out.dp, 4);
  assert_int_equal(out.tp, 8);
  /* 3 chips = 12 ranks: 16 does not divide them */
  assert_false(migrate_same_plan(&a, trn, 3, &out, why, sizeof why));
  assert_non_null(strstr(why, "does not divide"));
  /* 64 chips = 256 ranks: dp 16, and gbs 40 is not a multiple of 16 micro-batches of 1 */
  a.gbs = 40;
  assert_false(migrate_same_plan(&a, trn, 64, &out, why, sizeof why));
  assert_non_null(strstr(why, "gbs 40"));
  free(trn);
}

static void small_cfg(study_run_cfg *c, model *m) {
  ts_err err = {0};
  assert_int_equal(model_load(SMALL_MODEL, m, &err), TS_OK);
  study_run_cfg_init(c, m);
  c->gbs = 16;
  c->tokens = 1e9;
}

static int count_kind(const rework_result *r, rework_kind k) {
  int n = 0;
  for (int i = 0; i < r->n_items; i++) n += r->items[i].kind == k;
  return n;
}

static void test_same_vendor_migration_lists_fewer_items_than_cross_vendor(void **state) {
  (void)state;
  model m;
  study_run_cfg c;
  small_cfg(&c, &m);
  ts_err err = {0};
  rework_model *rm = NULL;
  assert_int_equal(rework_model_load(NULL, &rm, &err), TS_OK);
  hw_system *h100 = load_sys("dgx-h100"), *b200 = load_sys("b200-hgx");
  hw_system *trn2 = load_sys("trn2-48xl");
  migrate_result *same = malloc(sizeof *same), *cross = malloc(sizeof *cross);
  assert_non_null(same);
  assert_non_null(cross);
  assert_int_equal(migrate_compute(rm, &c, h100, 8, b200, 8, same, &err), TS_OK);
  assert_int_equal(migrate_compute(rm, &c, h100, 8, trn2, 8, cross, &err), TS_OK);
  assert_true(same->a_best.ok && same->b_best.ok && cross->b_best.ok);
  assert_true(same->rework.n_items < cross->rework.n_items);
  assert_true(same->rework.engineer_weeks < cross->rework.engineer_weeks);
  /* CUDA -> NKI ports the attention kernel; Hopper -> Blackwell only re-tunes it */
  assert_int_equal(count_kind(&cross->rework, REWORK_KERNEL_PORT), 1);
  assert_int_equal(count_kind(&same->rework, REWORK_KERNEL_PORT), 0);
  assert_int_equal(count_kind(&cross->rework, REWORK_PLACEMENT), 1);
  /* break-even is total rework USD over the saving per run, when there is one */
  if (same->saving_usd_per_run > 0)
    assert_true(fabs(same->runs_to_break_even * same->saving_usd_per_run -
                     same->rework.total_usd) < 1e-6 * same->rework.total_usd);
  else
    assert_true(same->runs_to_break_even < 0);
  /* the saving is the difference of the two runs' costs */
  assert_true(fabs(cross->saving_usd_per_run -
                   (cross->a_best.ttt.cost_usd - cross->b_best.ttt.cost_usd)) < 1e-6);
  free(same);
  free(cross);
  free(h100);
  free(b200);
  free(trn2);
  rework_model_free(rm);
}

static void test_plan_fitting_a_but_not_b_is_repartitioning_not_an_error(void **state) {
  (void)state;
  ts_err err = {0};
  model m;
  assert_int_equal(model_load("llama3-70b", &m, &err), TS_OK);
  m.seq = 2048;
  study_run_cfg c;
  study_run_cfg_init(&c, &m);
  c.gbs = 64;
  c.tokens = 1e9;
  rework_model *rm = NULL;
  assert_int_equal(rework_model_load(NULL, &rm, &err), TS_OK);
  /* 70B on 8 chips: fits 8 x 192 GB (MI300X), not 8 x 80 GB (A100) */
  hw_system *mi = load_sys("mi300x-8"), *a100 = load_sys("dgx-a100");
  migrate_result *r = malloc(sizeof *r);
  assert_non_null(r);
  assert_int_equal(migrate_compute(rm, &c, mi, 8, a100, 8, r, &err), TS_OK);
  assert_true(r->a_best.ok);
  assert_false(r->fits_b);
  assert_false(r->b_same.ok);
  assert_int_equal(r->b_same.status, TS_ENOFIT);
  assert_int_equal(count_kind(&r->rework, REWORK_MEMORY), 1);
  assert_true(r->runs_to_break_even < 0); /* no plan at all runs on B */
  free(r);
  free(mi);
  free(a100);
  rework_model_free(rm);
}

static void test_roadmap_study_rows_cache_and_marks(void **state) {
  (void)state;
  ts_err err = {0};
  roadmap *rm = NULL;
  assert_int_equal(roadmap_load(NULL, &rm, &err), TS_OK);
  model m;
  roadmap_study_cfg c = {.year_from = 2028, .year_to = 2029, .basis = STUDY_BASIS_CHIPS,
                         .basis_value = 8, .ttt_threshold = 1e9, .dollar_threshold = 0};
  small_cfg(&c.run, &m);
  roadmap_study *s = NULL;
  assert_int_equal(roadmap_study_run(rm, &c, &s, &err), TS_OK);
  assert_int_equal(s->n_years, 2);
  assert_int_equal(s->n_tracks, rm->n_tracks);
  int nv = roadmap_track_index(rm, "nvidia");
  /* nvidia's first projected generation is 2027 + 1.67 -> 2028, the next 2030: 2029 repeats it */
  const roadmap_row *r28 = roadmap_study_row(s, 0, nv), *r29 = roadmap_study_row(s, 1, nv);
  assert_true(r28->present && r29->present);
  assert_true(r28->pick.projected && r28->pick.gen < 0);
  assert_string_equal(r28->system, "nvidia-proj-2028");
  assert_false(r28->cached);
  assert_true(r29->cached);
  assert_true(r28->run.ok);
  assert_int_equal(r28->run.chips, 8);
  assert_true(r29->run.ttt.wall_s == r28->run.ttt.wall_s);
  /* capability per dollar: model FLOPs of the run over its cost */
  assert_true(fabs(r28->run.flops_per_usd * r28->run.ttt.cost_usd -
                   model_flops_per_token(&m, m.seq) * 1e9) < 1e-6 * r28->run.model_flops);
  int distinct = 0;
  for (int i = 0; i < s->n_years * s->n_tracks; i++) distinct += s->rows[i].present && !s->rows[i].cached;
  assert_int_equal(s->searches, distinct);
  /* thresholds: any spread is within 1e9, and any spread > 0 diverges */
  assert_true(s->ttt_close[0]);
  assert_true(s->dollar_diverge[0] == (s->dollar_spread[0] > 0));
  roadmap_study_free(s);
  roadmap_free(rm);
}

static void test_roadmap_study_bad_configuration_fails(void **state) {
  (void)state;
  ts_err err = {0};
  roadmap *rm = NULL;
  assert_int_equal(roadmap_load(NULL, &rm, &err), TS_OK);
  model m;
  roadmap_study_cfg c = {.year_from = 2030, .year_to = 2029, .basis = STUDY_BASIS_CHIPS,
                         .basis_value = 8};
  small_cfg(&c.run, &m);
  roadmap_study *s = NULL;
  assert_int_equal(roadmap_study_run(rm, &c, &s, &err), TS_EUSAGE);
  assert_non_null(strstr(err.msg, "2030-2029"));
  c.year_to = 2030;
  c.basis_value = 0;
  assert_int_equal(roadmap_study_run(rm, &c, &s, &err), TS_EUSAGE);
  c.basis_value = 8;
  c.run.gbs = 0;
  hw_system *h = load_sys("dgx-h100");
  study_run run;
  assert_int_equal(study_run_best(&c.run, h, 8, &run, &err), TS_EINPUT);
  assert_non_null(strstr(err.msg, "gbs"));
  free(h);
  assert_null(s);
  roadmap_free(rm);
}

static void test_rework_along_roadmap_accumulates_and_switch_costs_more(void **state) {
  (void)state;
  ts_err err = {0};
  roadmap *road = NULL;
  rework_model *rm = NULL;
  assert_int_equal(roadmap_load(NULL, &road, &err), TS_OK);
  assert_int_equal(rework_model_load(NULL, &rm, &err), TS_OK);
  plan p;
  plan_init(&p);
  migrate_roadmap_row rows[8];
  int n = 0;
  int nv = roadmap_track_index(road, "nvidia"), trn = roadmap_track_index(road, "trainium");
  assert_int_equal(migrate_roadmap(road, rm, nv, trn, 2027, 2026, 2028, &p, 64, rows, &n, &err),
                   TS_OK);
  assert_int_equal(n, 3);
  assert_int_equal(rows[0].stay_items, 0); /* the first year is where both start */
  assert_string_equal(rows[1].switch_system, "trn4");
  /* the cross-vendor move in 2027 lists more than nvidia's own upgrade that year */
  assert_true(rows[1].switch_items > rows[1].stay_items);
  for (int i = 1; i < n; i++) {
    assert_true(rows[i].stay_cum_weeks == rows[i - 1].stay_cum_weeks + rows[i].stay_weeks);
    assert_true(rows[i].switch_cum_weeks >= rows[i - 1].switch_cum_weeks);
  }
  assert_int_equal(migrate_roadmap(road, rm, nv, nv, 2027, 2026, 2028, &p, 64, rows, &n, &err),
                   TS_EUSAGE);
  rework_model_free(rm);
  roadmap_free(road);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_chips_for_power_budget_and_count_by_hand),
      cmocka_unit_test(test_same_plan_rederives_dp_for_target_ranks),
      cmocka_unit_test(test_same_vendor_migration_lists_fewer_items_than_cross_vendor),
      cmocka_unit_test(test_plan_fitting_a_but_not_b_is_repartitioning_not_an_error),
      cmocka_unit_test(test_roadmap_study_rows_cache_and_marks),
      cmocka_unit_test(test_roadmap_study_bad_configuration_fails),
      cmocka_unit_test(test_rework_along_roadmap_accumulates_and_switch_costs_more),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
