/* Capacity (sim/study/capacity.c, compare_grow.c, compare_mc.c): civil dates by hand; a schedule
 * that delivers everything at the start trains exactly as the plain run (time-to-train with
 * goodput); one that delivers nothing for the first quarter finishes that quarter (90 days) later;
 * a second batch triggers one re-plan and finishes sooner than the first batch alone; the Monte
 * Carlo is deterministic for a seed; the crossover of a 2x faster system by hand; the usable chip
 * grid; the planner searches once and rescales dp for the other counts; and every bad capacity
 * file names its file and line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/study/compare.h"

#define SMALL_MODEL "layers=4,hidden=1024,ffn=4096,heads=16,vocab=32000,seq=1024,mlp=gelu"

typedef struct fixture {
  model m;
  hw_system slow, fast;
  plan fixed;
  compare_options o;
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  ts_err err = {0};
  assert_int_equal(model_load(SMALL_MODEL, &f->m, &err), TS_OK);
  assert_int_equal(hw_system_load(TESTS_DIR "/data/compare/sys-slow.yaml", &f->slow, &err), TS_OK);
  assert_int_equal(hw_system_load(TESTS_DIR "/data/compare/sys-fast.yaml", &f->fast, &err), TS_OK);
  assert_int_equal(plan_parse("pp=1,cp=1,recompute=none,zero=1,mbs=1", &f->fixed, &err), TS_OK);
  compare_options_init(&f->o);
  f->o.fixed = &f->fixed;
  f->o.tokens = 2e11;
  /* 48 sequences per step: 8, 16, 24 and 32 chips all hold it with pp = 1 (dp x tp = chips,
   * dp | 48, tp | 16: 8 = 8 x 1, 16 = 16 x 1, 24 = 24 x 1, 32 = 16 x 2) */
  f->o.batch_tokens = 48.0 * 1024;
  f->o.ttt.failure_rate_per_chip_h = 1e-3; /* failures on: goodput < 1 must carry over */
  *state = f;
  return 0;
}

static int teardown(void **state) {
  free(*state);
  return 0;
}

static capacity_file *load_text(const char *text) {
  capacity_file *c = NULL;
  ts_err err = {0};
  ts_status st = capacity_load_string("cap.yaml", text, &c, &err);
  if (st) fprintf(stderr, "%s\n", err.msg);
  assert_int_equal(st, TS_OK);
  return c;
}

static void test_civil_dates_by_hand(void **state) {
  (void)state;
  int64_t d = -1;
  assert_true(capacity_parse_date("1970-01-01", &d) && d == 0);
  assert_true(capacity_parse_date("2000-03-01", &d) && d == 11017); /* 30 y x 365 + 7 leap + 60 */
  int64_t q1, q2;
  assert_true(capacity_parse_date("2026-Q1", &q1) && capacity_parse_date("2026-Q2", &q2));
  assert_int_equal(q2 - q1, 31 + 28 + 31);
  assert_true(capacity_parse_date("2024-02-29", &d));
  assert_false(capacity_parse_date("2025-02-29", &d));
  assert_false(capacity_parse_date("2026-Q5", &d));
  assert_false(capacity_parse_date("2026-13", &d));
  assert_false(capacity_parse_date("26-01-01", &d));
  char buf[16];
  assert_true(capacity_parse_date("2026-07", &d));
  capacity_format_date(d, buf, sizeof buf);
  assert_string_equal(buf, "2026-07-01");
}

static void test_usable_chips_grid(void **state) {
  fixture *f = *state; /* domains of 8 chips */
  assert_int_equal(capacity_usable_chips(&f->fast, 7), 0);
  assert_int_equal(capacity_usable_chips(&f->fast, 23), 16);
  assert_int_equal(capacity_usable_chips(&f->fast, 64), 64);     /* 8 domains */
  assert_int_equal(capacity_usable_chips(&f->fast, 8 * 11), 80); /* 11 domains -> 10 */
  assert_int_equal(capacity_usable_chips(&f->fast, 8 * 27), 192); /* 27 -> 24 */
}

static double planned_finish(fixture *f, const hw_system *sys, const char *text,
                             capacity_outcome *o) {
  capacity_file *c = load_text(text);
  capacity_planner *p = NULL;
  ts_err err = {0};
  assert_int_equal(capacity_planner_new(&f->m, sys, &f->o, &p, &err), TS_OK);
  capacity_draw d;
  capacity_draw_planned(&c->systems[0], 0, &d);
  assert_int_equal(capacity_run_draw(p, &c->systems[0], &d, f->o.tokens, o, &err), TS_OK);
  double abs_s = (double)c->systems[0].start_day * 86400 + o->finish_s;
  capacity_planner_free(p);
  capacity_free(c);
  return abs_s;
}

static void test_everything_at_start_matches_plain_run(void **state) {
  fixture *f = *state;
  compare_row row;
  ts_err err = {0};
  assert_int_equal(compare_system(&f->m, &f->fast, 16, &f->o, &row, &err), TS_OK);
  assert_true(row.ttt.goodput < 1);
  capacity_outcome o;
  planned_finish(f, &f->fast,
                 "capacity:\n  - system: x\n    start: 2026-01-01\n    deliveries:\n"
                 "      - {at: 2026-01-01, planned: 16}\n",
                 &o);
  assert_true(o.finished);
  assert_true(fabs(o.finish_s / row.ttt.wall_s - 1) < 1e-12);
  assert_int_equal(o.replans, 0);
  assert_true(fabs(o.chip_hours_used / row.ttt.chip_hours - 1) < 1e-12);
  assert_true(o.chip_hours_idle == 0);
}

static void test_nothing_for_a_quarter_delays_by_that_quarter(void **state) {
  fixture *f = *state;
  capacity_outcome a, b;
  double at_start = planned_finish(f, &f->fast,
                                   "capacity:\n  - system: x\n    start: 2026-01-01\n"
                                   "    deliveries:\n      - {at: 2026-Q1, planned: 16}\n",
                                   &a);
  double late = planned_finish(f, &f->fast,
                               "capacity:\n  - system: x\n    start: 2026-01-01\n"
                               "    deliveries:\n      - {at: 2026-Q1, planned: 0}\n"
                               "      - {at: 2026-Q2, planned: 16}\n",
                               &b);
  if (fabs((late - at_start) - 90.0 * 86400) >= 1e-3) fprintf(stderr, "late %.6f start %.6f diff %.6f\n", late, at_start, late - at_start);
  assert_true(fabs((late - at_start) - 90.0 * 86400) < 1e-3); /* Jan + Feb + Mar 2026 */
}

static void test_second_batch_replans_once_and_finishes_sooner(void **state) {
  fixture *f = *state;
  capacity_outcome one, two;
  double t1 = planned_finish(f, &f->fast,
                             "capacity:\n  - system: x\n    start: 2026-01-01\n"
                             "    deliveries:\n      - {at: 2026-01-01, planned: 8}\n",
                             &one);
  double t2 = planned_finish(f, &f->fast,
                             "capacity:\n  - system: x\n    start: 2026-01-01\n"
                             "    deliveries:\n      - {at: 2026-01-01, planned: 8}\n"
                             "      - {at: 2026-01-02, planned: 8}\n",
                             &two);
  assert_int_equal(two.replans, 1);
  assert_int_equal(two.max_chips, 16);
  assert_true(t2 < t1);
  /* the reshard pause is charged as idle chip time: at least 16 chips x 1800 s */
  assert_true(two.chip_hours_idle >= 16 * CAPACITY_RESHARD_S / 3600 - 1e-9);
}

static void test_monte_carlo_is_deterministic_for_a_seed(void **state) {
  fixture *f = *state;
  capacity_file *c = NULL;
  ts_err err = {0};
  assert_int_equal(capacity_load(TESTS_DIR "/data/compare/cap-ok.yaml", &c, &err), TS_OK);
  capacity_planner *p = NULL;
  assert_int_equal(capacity_planner_new(&f->m, &f->fast, &f->o, &p, &err), TS_OK);
  capacity_summary a, b, other;
  assert_int_equal(capacity_monte_carlo(p, &c->systems[0], f->o.tokens, 200, 42, &a, &err), TS_OK);
  assert_int_equal(capacity_monte_carlo(p, &c->systems[0], f->o.tokens, 200, 42, &b, &err), TS_OK);
  assert_int_equal(capacity_monte_carlo(p, &c->systems[0], f->o.tokens, 200, 7, &other, &err),
                   TS_OK);
  assert_memory_equal(&a, &b, sizeof a);
  assert_true(a.mean_finish_s != other.mean_finish_s);
  assert_true(a.p10_finish_s <= a.p90_finish_s);
  assert_int_equal(a.draws, 200);
  capacity_rng r1, r2;
  capacity_rng_seed(&r1, 5);
  capacity_rng_seed(&r2, 5);
  for (int i = 0; i < 100; i++) assert_true(capacity_rng_next(&r1) == capacity_rng_next(&r2));
  capacity_planner_free(p);
  capacity_free(c);
}

static void test_crossover_of_a_twice_faster_system(void **state) {
  fixture *f = *state;
  /* fast: 32 chips at 2x = 64 slow-chip equivalents; slow: 24 chips. With shortfall s the fast
   * system gets round(32 (1 - s)) chips in whole domains of 8: 2 domains (32 equivalents) still
   * win, 1 domain (16) loses. round(32 (1 - s)) < 16 <=> s > 1 - 15.5 / 32 = 0.515625. */
  capacity_file *c = load_text("capacity:\n"
                               "  - system: fast\n    start: 2026-01-01\n    deliveries:\n"
                               "      - {at: 2026-01-01, planned: 32}\n"
                               "  - system: slow\n    start: 2026-01-01\n    deliveries:\n"
                               "      - {at: 2026-01-01, planned: 24}\n");
  capacity_planner *pf = NULL, *ps = NULL;
  ts_err err = {0};
  assert_int_equal(capacity_planner_new(&f->m, &f->fast, &f->o, &pf, &err), TS_OK);
  assert_int_equal(capacity_planner_new(&f->m, &f->slow, &f->o, &ps, &err), TS_OK);
  double s = -1;
  bool found = false;
  assert_int_equal(capacity_crossover(pf, &c->systems[0], ps, &c->systems[1], f->o.tokens, &s,
                                      &found, &err),
                   TS_OK);
  assert_true(found);
  if (fabs(s - 0.515625) >= 1e-6) fprintf(stderr, "crossover %.9f\n", s);
  assert_true(fabs(s - 0.515625) < 1e-6);
  capacity_planner_free(pf);
  capacity_planner_free(ps);
  capacity_free(c);
}

static void test_planner_searches_once_and_rescales_dp(void **state) {
  fixture *f = *state;
  capacity_planner *p = NULL;
  ts_err err = {0};
  assert_int_equal(capacity_planner_new(&f->m, &f->fast, &f->o, &p, &err), TS_OK);
  assert_int_equal(capacity_planner_reference(p, 32, &err), TS_OK);
  const compare_row *r32, *r16, *r8;
  assert_int_equal(capacity_planner_row(p, 32, &r32, &err), TS_OK);
  assert_int_equal(capacity_planner_row(p, 16, &r16, &err), TS_OK);
  assert_int_equal(capacity_planner_row(p, 8, &r8, &err), TS_OK);
  assert_int_equal(capacity_planner_searches(p), 1);
  assert_int_equal(capacity_planner_counts(p), 3);
  /* the reference's tp kept, dp halved per halving of the chips, the batch the same */
  assert_int_equal(r32->chips, 32);
  assert_int_equal(r16->plan.tp, r32->plan.tp);
  assert_int_equal(r8->plan.tp, r32->plan.tp);
  assert_int_equal(r16->plan.dp * 2, r32->plan.dp);
  assert_int_equal(r8->plan.dp * 4, r32->plan.dp);
  assert_int_equal(r8->plan.gbs, 48);
  assert_int_equal(r16->plan.gbs, 48);
  /* a second reference is a no-op */
  assert_int_equal(capacity_planner_reference(p, 16, &err), TS_OK);
  assert_int_equal(capacity_planner_searches(p), 1);
  capacity_planner_free(p);
}

static void expect_bad(const char *name, const char *where, const char *what) {
  char path[512];
  snprintf(path, sizeof path, TESTS_DIR "/data/compare/%s", name);
  capacity_file *c = NULL;
  ts_err err = {0};
  ts_status st = capacity_load(path, &c, &err);
  if (!strstr(err.msg, where) || !strstr(err.msg, what)) fprintf(stderr, "%s\n", err.msg);
  assert_int_equal(st, TS_EINPUT);
  assert_null(c);
  assert_non_null(strstr(err.msg, where));
  assert_non_null(strstr(err.msg, what));
  assert_null(strchr(err.msg, '\n'));
}

static void test_bad_capacity_files_name_file_and_line(void **state) {
  (void)state;
  expect_bad("bad-negative.yaml", "bad-negative.yaml:6", "negative");
  expect_bad("bad-nonmonotone.yaml", "bad-nonmonotone.yaml:7", "non-monotone");
  expect_bad("bad-range.yaml", "bad-range.yaml:6", "not monotone");
  expect_bad("bad-order.yaml", "bad-order.yaml:7", "out of order");
  expect_bad("bad-date.yaml", "bad-date.yaml:4", "not a date");
  expect_bad("bad-probability.yaml", "bad-probability.yaml:6", "0..1");
  expect_bad("bad-key.yaml", "bad-key.yaml:6", "unknown field 'planed'");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_civil_dates_by_hand),
      cmocka_unit_test_setup_teardown(test_usable_chips_grid, setup, teardown),
      cmocka_unit_test_setup_teardown(test_everything_at_start_matches_plain_run, setup, teardown),
      cmocka_unit_test_setup_teardown(test_nothing_for_a_quarter_delays_by_that_quarter, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_second_batch_replans_once_and_finishes_sooner, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_monte_carlo_is_deterministic_for_a_seed, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_crossover_of_a_twice_faster_system, setup, teardown),
      cmocka_unit_test_setup_teardown(test_planner_searches_once_and_rescales_dp, setup,
                                      teardown),
      cmocka_unit_test(test_bad_capacity_files_name_file_and_line),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
