/* compare (sim/study/compare.c, compare_limit.c, svg_bars.c): two hand-made systems that differ
 * only in peak FLOP/s (tests/data/compare/sys-slow.yaml 100 TFLOP/s, sys-fast.yaml 200) ranked
 * in that order and by the right ratio on equal chips when compute-bound; the power and budget
 * bases by hand; a basis that leaves a system no chips; the default batch rule; the limit read
 * from a breakdown; the SVG parses as XML (well-formed tags, escaped text). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/base/ts_io.h"
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
  /* a small search: the plan's layout held, only tp, dp and the batch split free */
  assert_int_equal(plan_parse("pp=1,cp=1,recompute=none,zero=1,mbs=1,gbs=64", &f->fixed, &err),
                   TS_OK);
  compare_options_init(&f->o);
  f->o.fixed = &f->fixed;
  f->o.tokens = 1e9;
  *state = f;
  return 0;
}

static int teardown(void **state) {
  free(*state);
  return 0;
}

static void test_equal_chips_ranks_by_peak_flops_and_ratio_when_compute_bound(void **state) {
  fixture *f = *state;
  f->o.basis = COMPARE_BASIS_CHIPS;
  f->o.chips = 8;
  const hw_system *sys[2] = {&f->slow, &f->fast};
  compare_row rows[2];
  ts_err err = {0};
  assert_int_equal(compare_run(&f->m, sys, 2, &f->o, rows, &err), TS_OK);
  /* Both compute-bound (the fixtures' links and HBM are generous, no launch cost). */
  assert_int_equal(rows[0].limit, COMPARE_LIMIT_COMPUTE);
  assert_int_equal(rows[1].limit, COMPARE_LIMIT_COMPUTE);
  assert_true(rows[1].ttt.wall_s < rows[0].ttt.wall_s);
  /* Twice the peak: half the time, twice the tokens/s, half the cost (same price), within 1%. */
  assert_true(fabs(rows[1].ratio_time - 0.5) < 0.005);
  assert_true(fabs(rows[1].ratio_tokens_per_s - 2.0) < 0.02);
  assert_true(fabs(rows[1].ratio_cost - 0.5) < 0.005);
  assert_true(fabs(rows[1].ratio_flops_per_usd - 2.0) < 0.02);
  assert_true(rows[0].ratio_time == 1.0);
  assert_int_equal(rows[0].chips, 8);
}

static void test_power_basis_is_whole_domains_of_power_per_chip(void **state) {
  fixture *f = *state;
  /* (1000 W chip + 200 W host) x PUE 1.2 = 1440 W; 20 chips' worth -> 16 (domains of 8). */
  f->o.basis = COMPARE_BASIS_POWER;
  f->o.power_w = 1440.0 * 20;
  assert_int_equal(compare_basis_chips(&f->slow, &f->o), 16);
  f->o.power_w = 1440.0 * 24;
  assert_int_equal(compare_basis_chips(&f->slow, &f->o), 24);
  f->o.power_w = 1440.0 * 7;
  assert_int_equal(compare_basis_chips(&f->slow, &f->o), 0);
}

static void test_budget_basis_is_whole_domains_of_price(void **state) {
  fixture *f = *state;
  f->o.basis = COMPARE_BASIS_BUDGET;
  f->o.budget_usd_per_h = 35; /* 2 USD per chip-hour: 17.5 chips -> 16 */
  assert_int_equal(compare_basis_chips(&f->fast, &f->o), 16);
}

static void test_basis_leaving_zero_chips_names_the_system(void **state) {
  fixture *f = *state;
  f->o.basis = COMPARE_BASIS_POWER;
  f->o.power_w = 5000;
  const hw_system *sys[2] = {&f->fast, &f->slow};
  compare_row rows[2];
  ts_err err = {0};
  assert_int_equal(compare_run(&f->m, sys, 2, &f->o, rows, &err), TS_EINPUT);
  assert_non_null(strstr(err.msg, "sys-fast"));
  assert_non_null(strstr(err.msg, "zero chips"));
}

static void test_default_gbs_follows_the_batch_rule(void **state) {
  fixture *f = *state;
  /* 16 chips, 64 x 1024 tokens / seq 1024 = 64 sequences >= 16 ranks: multiple of 16 -> 64. */
  assert_int_equal(compare_default_gbs(&f->m, &f->slow, 16, 64.0 * 1024), 64);
  /* 24 chips: multiple of 24 nearest 64 -> 72. */
  assert_int_equal(compare_default_gbs(&f->m, &f->slow, 24, 64.0 * 1024), 72);
  /* fewer sequences than ranks: unit = 24 / 8 (heads 16, domain 8) = 3, at least one unit. */
  assert_int_equal(compare_default_gbs(&f->m, &f->slow, 24, 1.0), 3);
  /* 20 sequences on 24 ranks: 20 / 3 = 6.67 -> 7 units = 21. */
  assert_int_equal(compare_default_gbs(&f->m, &f->slow, 24, 20.0 * 1024), 21);
}

static void test_limit_is_largest_breakdown_part_and_marks_memory(void **state) {
  (void)state;
  compare_row r;
  memset(&r, 0, sizeof r);
  r.report.step_s = 10;
  r.report.breakdown = (sim_breakdown){.compute_s = 3, .exposed_tp_s = 1, .exposed_cp_s = 1,
                                       .bubble_s = 4, .exposed_dp_s = 1};
  r.plan.recompute = PLAN_RECOMP_FULL;
  r.hbm_bytes_per_chip = 100;
  r.report.memory_bytes_per_chip = 95;
  compare_classify(&r, NULL);
  assert_int_equal(r.limit, COMPARE_LIMIT_BUBBLE);
  assert_true(fabs(r.limit_share - 0.4) < 1e-12);
  assert_true(r.memory_recompute);
  assert_true(r.memory_tight);
  /* TP + CP together beat compute */
  r.report.breakdown = (sim_breakdown){.compute_s = 3, .exposed_tp_s = 2, .exposed_cp_s = 2};
  plan fixed;
  plan_init(&fixed);
  fixed.set = PLAN_SET_RECOMPUTE; /* the user fixed it: not forced by memory */
  compare_classify(&r, &fixed);
  assert_int_equal(r.limit, COMPARE_LIMIT_TP_COMM);
  assert_false(r.memory_recompute);
}

/* Counts '<' and '>' outside text and checks every opened element is closed (a small XML
 * well-formedness check: no entity or tag soup in labels). */
static void assert_xml_balanced(const char *s) {
  int depth = 0;
  for (const char *p = s; *p; p++) {
    if (*p != '<') continue;
    const char *end = strchr(p, '>');
    assert_non_null(end);
    if (p[1] == '?') { p = end; continue; }
    if (p[1] == '/') depth--;
    else if (end[-1] != '/') depth++;
    for (const char *q = p + 1; q < end; q++) assert_true(*q != '<');
    p = end;
  }
  assert_int_equal(depth, 0);
}

static void test_svg_is_well_formed_and_escapes_labels(void **state) {
  (void)state;
  svg_bars c;
  memset(&c, 0, sizeof c);
  c.title = "a <b> & c";
  c.n_groups = 2;
  c.n_series = 2;
  c.group[0] = "sys<1>";
  c.group[1] = "sys&2";
  c.series[0] = "days";
  c.series[1] = "cost";
  c.value[0][0] = 3, c.value[0][1] = INFINITY, c.value[1][0] = 1, c.value[1][1] = 2;
  c.dashed[1] = true;
  char path[] = "test_compare_chart.svg";
  ts_err err = {0};
  assert_int_equal(svg_bars_write(&c, path, &err), TS_OK);
  char *text = NULL;
  size_t len = 0;
  assert_int_equal(ts_read_file(path, 1 << 20, &text, &len, &err), TS_OK);
  assert_non_null(strstr(text, "sys&lt;1&gt;"));
  assert_non_null(strstr(text, "sys&amp;2"));
  assert_non_null(strstr(text, ">never<"));
  assert_xml_balanced(text);
  free(text);
  remove(path);
  c.n_groups = 0;
  assert_int_equal(svg_bars_write(&c, path, &err), TS_EUSAGE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(
          test_equal_chips_ranks_by_peak_flops_and_ratio_when_compute_bound, setup, teardown),
      cmocka_unit_test_setup_teardown(test_power_basis_is_whole_domains_of_power_per_chip, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_budget_basis_is_whole_domains_of_price, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_basis_leaving_zero_chips_names_the_system, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_default_gbs_follows_the_batch_rule, setup,
                                      teardown),
      cmocka_unit_test(test_limit_is_largest_breakdown_part_and_marks_memory),
      cmocka_unit_test(test_svg_is_well_formed_and_escapes_labels),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
