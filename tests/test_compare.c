/* compare (sim/study/compare.c, compare_limit.c, svg_bars.c): two hand-made systems that differ
 * only in peak FLOP/s (tests/data/compare/sys-slow.yaml 100 TFLOP/s, sys-fast.yaml 200) ranked
 * in that order and by the right ratio on equal chips when compute-bound; the power and budget
 * bases by hand; a basis that leaves a system no chips; the batch rule (one batch of the requested
 * tokens rounded to sequences for every system; the largest chip count a layout can train it on,
 * by hand; idle chips reported, never a larger batch); the limit read from a breakdown; the SVG
 * parses as XML (well-formed tags, escaped text). */
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

static void test_batch_is_requested_tokens_rounded_to_sequences(void **state) {
  fixture *f = *state;
  compare_options o;
  compare_options_init(&o);
  /* default 2^24 tokens / seq 1024 = 16384 sequences */
  assert_int_equal(compare_gbs(&f->m, &o), 16384);
  o.batch_tokens = 5000.0 * 1024 + 400; /* 5000.39 sequences -> 5000 */
  assert_int_equal(compare_gbs(&f->m, &o), 5000);
  o.batch_tokens = 5000.0 * 1024 + 600; /* 5000.59 -> 5001 */
  assert_int_equal(compare_gbs(&f->m, &o), 5001);
  o.batch_tokens = 100; /* less than a sequence: one */
  assert_int_equal(compare_gbs(&f->m, &o), 1);
  o.gbs = 100; /* --gbs wins over the tokens */
  assert_int_equal(compare_gbs(&f->m, &o), 100);
  o.fixed = &f->fixed; /* --plan-fixed gbs=64 wins over both */
  assert_int_equal(compare_gbs(&f->m, &o), 64);
}

static void test_batch_chips_is_largest_count_a_layout_divides(void **state) {
  fixture *f = *state; /* pp=1, cp=1, mbs=1 fixed: chips = dp x tp, dp | gbs, tp | 16, tp <= 8 */
  f->fixed.set &= ~(uint32_t)PLAN_SET_GBS;
  f->o.gbs = 64;
  /* 24 = dp x tp needs dp in {3, 6, 12, 24}: none divides 64 -> 16 (dp 16, or 8 x 2, ...) */
  assert_int_equal(compare_batch_chips(&f->m, &f->slow, 24, &f->o), 16);
  assert_int_equal(compare_batch_chips(&f->m, &f->slow, 20, &f->o), 16);
  assert_int_equal(compare_batch_chips(&f->m, &f->slow, 16, &f->o), 16);
  /* dp <= 64 and tp <= 8 (one domain): at most 512; below 200 the largest power of two, 128 */
  assert_int_equal(compare_batch_chips(&f->m, &f->slow, 200, &f->o), 128);
  assert_int_equal(compare_batch_chips(&f->m, &f->slow, 1000, &f->o), 512);
  /* gbs 48 = 3 x 16: 24 = 3 x 8 */
  f->o.gbs = 48;
  assert_int_equal(compare_batch_chips(&f->m, &f->slow, 24, &f->o), 24);
  /* gbs 5: dp in {1, 5}, tp in {1, 2, 4, 8}: 5 x 4 = 20 is the largest up to 24 */
  f->o.gbs = 5;
  assert_int_equal(compare_batch_chips(&f->m, &f->slow, 24, &f->o), 20);
  /* a free pp keeps the bubble estimate (pp - 1) / (v x micro) <= 1/4 with v = layers / pp:
   * gbs 2 on 8 chips, tp = cp = 1, 4 layers: dp 1 x pp 2 (1 / (2 x 2)) or dp 2 x pp 1, so 2
   * chips; dp 1 x pp 4 (3 / (1 x 2)) and pp 3 (2 / (1 x 2)) are refused */
  plan p;
  ts_err err = {0};
  assert_int_equal(plan_parse("tp=1,cp=1,mbs=1", &p, &err), TS_OK);
  f->o.fixed = &p;
  f->o.gbs = 2;
  assert_int_equal(compare_batch_chips(&f->m, &f->slow, 8, &f->o), 2);
  /* gbs 8 with dp 1 fixed: pp 4 has 3 / (1 x 8) > 1/4, pp 3 has 2 / (1 x 8) = 1/4: 3 chips */
  assert_int_equal(plan_parse("tp=1,cp=1,mbs=1,dp=1", &p, &err), TS_OK);
  f->o.gbs = 8;
  assert_int_equal(compare_batch_chips(&f->m, &f->slow, 8, &f->o), 3);
  /* tp x cp at most 16 chips when both are free: seq 8192 allows cp up to 8 and the domain tp up
   * to 8, but one sequence (gbs 1, pp 1) spreads over 16 chips, not 64 */
  model longseq;
  assert_int_equal(
      model_load("layers=4,hidden=1024,ffn=4096,heads=16,vocab=32000,seq=8192,mlp=gelu",
                 &longseq, &err),
      TS_OK);
  assert_int_equal(plan_parse("pp=1,mbs=1", &p, &err), TS_OK);
  f->o.gbs = 1;
  assert_int_equal(compare_batch_chips(&longseq, &f->slow, 64, &f->o), 16);
  /* a layout that cannot shrink to the chips: tp=2 fixed on one chip */
  assert_int_equal(plan_parse("tp=2,pp=1,cp=1", &p, &err), TS_OK);
  assert_int_equal(compare_batch_chips(&f->m, &f->slow, 1, &f->o), 0);
}

static void test_every_system_trains_the_same_batch_and_idle_chips_are_reported(void **state) {
  fixture *f = *state;
  f->fixed.set &= ~(uint32_t)PLAN_SET_GBS;
  f->o.batch_tokens = 64.4 * 1024; /* 64.4 sequences -> 64 */
  f->o.basis = COMPARE_BASIS_CHIPS;
  f->o.chips = 24;
  const hw_system *sys[2] = {&f->slow, &f->fast};
  compare_row rows[2];
  ts_err err = {0};
  assert_int_equal(compare_run(&f->m, sys, 2, &f->o, rows, &err), TS_OK);
  for (int i = 0; i < 2; i++) {
    assert_int_equal(rows[i].plan.gbs, 64); /* not inflated to a multiple of 24 */
    assert_int_equal(rows[i].basis_chips, 24);
    assert_int_equal(rows[i].chips, 16);
    assert_int_equal((int64_t)rows[i].plan.tp * rows[i].plan.dp, 16);
    /* the run's chip-hours count the chips in the plan */
    assert_true(fabs(rows[i].ttt.chip_hours / (16 * rows[i].ttt.wall_s / 3600) - 1) < 1e-12);
  }
}

static void test_batch_no_chip_count_can_hold_names_the_system(void **state) {
  fixture *f = *state;
  plan p;
  ts_err err = {0};
  assert_int_equal(plan_parse("tp=16,pp=1,cp=1,gbs=8", &p, &err), TS_OK);
  f->o.fixed = &p; /* tp 16 is two domains of 8: no layout */
  compare_row row;
  assert_int_equal(compare_system(&f->m, &f->slow, 64, &f->o, &row, &err), TS_EINPUT);
  assert_non_null(strstr(err.msg, "sys-slow"));
  assert_non_null(strstr(err.msg, "global batch of 8 sequences"));
  assert_null(strchr(err.msg, '\n'));
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
      cmocka_unit_test_setup_teardown(test_batch_is_requested_tokens_rounded_to_sequences,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_batch_chips_is_largest_count_a_layout_divides, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(
          test_every_system_trains_the_same_batch_and_idle_chips_are_reported, setup, teardown),
      cmocka_unit_test_setup_teardown(test_batch_no_chip_count_can_hold_names_the_system, setup,
                                      teardown),
      cmocka_unit_test(test_limit_is_largest_breakdown_part_and_marks_memory),
      cmocka_unit_test(test_svg_is_well_formed_and_escapes_labels),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
