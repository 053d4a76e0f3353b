/* Time-to-train (sim/study/ttt.c): Young and Daly intervals against their closed forms evaluated
 * by hand, cost and energy of one small run by hand, a failing run's wall time by hand, the zero
 * failure case, monotonicity in the failure rate, the checkpoint size rule, and each error path.
 * Systems are built in code: only the fields the model reads are set. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "sim/study/study.h"

static void make_system(hw_system *s, double price, double power_w, double host_w, double rate) {
  memset(s, 0, sizeof *s);
  snprintf(s->name, sizeof s->name, "testsys");
  s->chip.price_usd_per_chip_h = price;
  s->chip.power_w = power_w;
  s->chip.failure_rate_per_chip_h = rate;
  s->host_overhead_w_per_chip = host_w;
}

/* 10 chips, 1 s steps of 1000 tokens, 3.6e6 tokens: exactly one hour of compute. */
static ttt_input small_run(void) {
  return (ttt_input){.step_s = 1,
                     .tokens_per_step = 1000,
                     .tokens = 3.6e6,
                     .chips = 10,
                     .busy_fraction = 0.6,
                     .params_total = 1e9};
}

static void test_young_interval_is_sqrt_2_delta_mtbf(void **state) {
  (void)state;
  /* sqrt(2 x 60 x 3600) = sqrt(432000) = 657.267069... */
  assert_true(fabs(ttt_young_interval_s(60, 3600) - 657.2670690062) < 1e-6);
}

static void test_daly_interval_matches_higher_order_closed_form(void **state) {
  (void)state;
  /* d = 60, M = 3600: d/2M = 1/120; sqrt(2dM) = 657.267069; factor 1 + sqrt(1/120)/3 + 1/1080
   * = 1.0313549565; 657.267069 x 1.0313549565 - 60 = 617.875650. */
  assert_true(fabs(ttt_daly_interval_s(60, 3600) - 617.8756496) < 1e-6);
  /* Daly is below Young by less than d for d << M. */
  double young = ttt_young_interval_s(1, 1e6), daly = ttt_daly_interval_s(1, 1e6);
  assert_true(daly < young && young - daly < 1);
}

static void test_daly_interval_is_mtbf_when_write_exceeds_twice_mtbf(void **state) {
  (void)state;
  assert_true(ttt_daly_interval_s(100, 50) == 50);
  assert_true(ttt_daly_interval_s(100, 40) == 40);
}

static void test_cost_and_energy_of_small_run_by_hand(void **state) {
  (void)state;
  hw_system s;
  make_system(&s, 2.0, 1000, 200, 0);
  ttt_input in = small_run();
  ttt_result r;
  ts_err err = {0};
  assert_int_equal(ttt_compute(&s, &in, NULL, &r, &err), TS_OK);
  /* 3600 steps of 1 s = 3600 s; 10 chips x 1 h = 10 chip-hours; x 2 USD = 20 USD. */
  assert_true(fabs(r.wall_s - 3600) < 1e-9);
  assert_true(fabs(r.chip_hours - 10) < 1e-9);
  assert_true(fabs(r.cost_usd - 20) < 1e-9);
  /* per chip 1000 x (0.5 + 0.5 x 0.6) + 200 = 1000 W; x 10 chips x PUE 1.2 = 12 kW;
   * x 3600 s = 43.2 MJ = 0.012 MWh. */
  assert_true(fabs(r.power_w - 12000) < 1e-9);
  assert_true(fabs(r.energy_j - 43.2e6) < 1e-3);
  assert_true(fabs(r.energy_mwh - 0.012) < 1e-12);
}

static void test_price_and_pue_overrides_apply(void **state) {
  (void)state;
  hw_system s;
  make_system(&s, 2.0, 1000, 200, 0);
  ttt_input in = small_run();
  ttt_options o;
  ttt_options_init(&o);
  o.price_usd_per_chip_h = 3.5;
  o.pue = 1.0;
  o.idle_power_fraction = 1.0; /* flat TDP whatever the busy share */
  ttt_result r;
  ts_err err = {0};
  assert_int_equal(ttt_compute(&s, &in, &o, &r, &err), TS_OK);
  assert_true(fabs(r.cost_usd - 35) < 1e-9);
  assert_true(fabs(r.power_w - 12000) < 1e-9); /* 10 x (1000 + 200) x 1.0 */
}

static void test_zero_failure_rate_gives_goodput_one_and_ideal_time(void **state) {
  (void)state;
  hw_system s;
  make_system(&s, 1, 700, 100, 0);
  ttt_input in = {.step_s = 2.5,
                  .tokens_per_step = 4e6,
                  .tokens = 15e12,
                  .chips = 16384,
                  .busy_fraction = 1,
                  .params_total = 70e9};
  ttt_result r;
  ts_err err = {0};
  assert_int_equal(ttt_compute(&s, &in, NULL, &r, &err), TS_OK);
  /* throughput 4e6 / 2.5 = 1.6e6 tokens/s; 15e12 / 1.6e6 = 9,375,000 s. */
  assert_true(r.goodput == 1);
  assert_true(fabs(r.wall_s - 9375000) < 1e-6);
  assert_true(r.interruptions == 0 && r.checkpoint_interval_s == 0);
}

static void test_failing_run_wall_time_by_hand(void **state) {
  (void)state;
  hw_system s;
  make_system(&s, 1, 700, 100, 1e-3);
  /* 1000 chips at 1e-3 per chip-hour: M = 3600 s. 60e9 B at 1e9 B/s: d = 60 s. Daly tau =
   * 617.875650 s; each interruption loses 600 + (617.875650 + 60) / 2 = 938.937825 s.
   * W = 36000 s; T = 36000 (1 + 60/617.875650) / (1 - 938.937825/3600) = 53431.6928 s. */
  ttt_input in = {.step_s = 1,
                  .tokens_per_step = 1000,
                  .tokens = 36e6,
                  .chips = 1000,
                  .busy_fraction = 1,
                  .params_total = 0};
  ttt_options o;
  ttt_options_init(&o);
  o.checkpoint_bytes = 60e9;
  o.storage_Bps = 1e9;
  o.restart_s = 600;
  ttt_result r;
  ts_err err = {0};
  assert_int_equal(ttt_compute(&s, &in, &o, &r, &err), TS_OK);
  assert_true(fabs(r.mtbf_s - 3600) < 1e-9);
  assert_true(fabs(r.checkpoint_write_s - 60) < 1e-12);
  assert_true(fabs(r.checkpoint_interval_s - 617.8756496) < 1e-6);
  assert_true(fabs(r.wall_s - 53431.6928) < 1e-3);
  assert_true(fabs(r.goodput - 36000 / 53431.6928) < 1e-7);
  assert_true(fabs(r.interruptions - 53431.6928 / 3600) < 1e-6);
  assert_true(fabs(r.chip_hours - 1000 * 53431.6928 / 3600) < 1e-3);
}

static void test_checkpoint_bytes_are_14_per_parameter_by_default(void **state) {
  (void)state;
  hw_system s;
  make_system(&s, 1, 700, 100, 1e-6);
  ttt_input in = small_run(); /* 1e9 parameters */
  ttt_result r;
  ts_err err = {0};
  assert_int_equal(ttt_compute(&s, &in, NULL, &r, &err), TS_OK);
  assert_true(fabs(r.checkpoint_bytes - 14e9) < 1);
  assert_true(fabs(r.checkpoint_write_s - 14e9 / 2e12) < 1e-12); /* default 2 TB/s */
}

static void test_time_to_train_grows_with_failure_rate(void **state) {
  (void)state;
  ttt_input in = {.step_s = 5,
                  .tokens_per_step = 16e6,
                  .tokens = 15e12,
                  .chips = 16384,
                  .busy_fraction = 0.8,
                  .params_total = 405e9};
  double rates[] = {0, 1e-6, 1e-5, 2e-5, 5e-5};
  double last_wall = 0, last_goodput = 2;
  for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++) {
    hw_system s;
    make_system(&s, 2, 700, 100, rates[i]);
    ttt_result r;
    ts_err err = {0};
    assert_int_equal(ttt_compute(&s, &in, NULL, &r, &err), TS_OK);
    assert_true(r.wall_s > last_wall);
    assert_true(r.goodput < last_goodput);
    last_wall = r.wall_s;
    last_goodput = r.goodput;
  }
}

static void test_run_that_cannot_progress_is_an_error(void **state) {
  (void)state;
  hw_system s;
  make_system(&s, 1, 700, 100, 0.5); /* 16384 chips: MTBF 0.44 s */
  ttt_input in = small_run();
  in.chips = 16384;
  ttt_result r;
  ts_err err = {0};
  assert_int_equal(ttt_compute(&s, &in, NULL, &r, &err), TS_ERUN);
  assert_non_null(strstr(err.msg, "cannot progress"));
}

static void test_bad_inputs_name_the_field(void **state) {
  (void)state;
  hw_system s;
  make_system(&s, 1, 700, 100, 1e-5);
  ttt_result r;
  ts_err err = {0};
  ttt_input in = small_run();
  in.step_s = 0;
  assert_int_equal(ttt_compute(&s, &in, NULL, &r, &err), TS_EINPUT);
  assert_non_null(strstr(err.msg, "'step_s'"));
  in = small_run();
  in.chips = 0;
  assert_int_equal(ttt_compute(&s, &in, NULL, &r, &err), TS_EINPUT);
  assert_non_null(strstr(err.msg, "'chips'"));
  in = small_run();
  in.busy_fraction = 1.5;
  assert_int_equal(ttt_compute(&s, &in, NULL, &r, &err), TS_EINPUT);
  assert_non_null(strstr(err.msg, "'busy_fraction'"));
  in = small_run();
  in.tokens = NAN;
  assert_int_equal(ttt_compute(&s, &in, NULL, &r, &err), TS_EINPUT);
  assert_non_null(strstr(err.msg, "'tokens'"));
  in = small_run();
  in.params_total = 0;
  assert_int_equal(ttt_compute(&s, &in, NULL, &r, &err), TS_EINPUT);
  assert_non_null(strstr(err.msg, "'params_total'"));
  in = small_run();
  ttt_options o;
  ttt_options_init(&o);
  o.pue = 0.9;
  assert_int_equal(ttt_compute(&s, &in, &o, &r, &err), TS_EINPUT);
  assert_non_null(strstr(err.msg, "'pue'"));
  ttt_options_init(&o);
  o.storage_Bps = 0;
  assert_int_equal(ttt_compute(&s, &in, &o, &r, &err), TS_EINPUT);
  assert_non_null(strstr(err.msg, "'storage_Bps'"));
  make_system(&s, -1, 700, 100, 0);
  assert_int_equal(ttt_compute(&s, &in, NULL, &r, &err), TS_EINPUT);
  assert_non_null(strstr(err.msg, "'price_usd_per_chip_h'"));
}

static void test_input_from_report_reads_step_batch_and_busy_share(void **state) {
  (void)state;
  sim_report rep;
  memset(&rep, 0, sizeof rep);
  rep.step_s = 4;
  rep.breakdown.compute_s = 2.5;
  rep.breakdown.optimizer_s = 0.5;
  model m;
  memset(&m, 0, sizeof m);
  m.layers = 2, m.hidden = 64, m.ffn = 256, m.heads = 4, m.kv_heads = 4, m.head_dim = 16;
  m.vocab = 1000, m.seq = 128;
  plan p;
  plan_init(&p);
  p.gbs = 512;
  ttt_input in;
  ttt_input_from_report(&rep, &m, &p, 2048, 1e9, 64, &in);
  assert_true(in.step_s == 4);
  assert_true(in.tokens_per_step == 512.0 * 2048);
  assert_true(fabs(in.busy_fraction - 0.75) < 1e-12);
  assert_true(in.tokens == 1e9 && in.chips == 64);
  assert_true(in.params_total == model_params_total(&m));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_young_interval_is_sqrt_2_delta_mtbf),
      cmocka_unit_test(test_daly_interval_matches_higher_order_closed_form),
      cmocka_unit_test(test_daly_interval_is_mtbf_when_write_exceeds_twice_mtbf),
      cmocka_unit_test(test_cost_and_energy_of_small_run_by_hand),
      cmocka_unit_test(test_price_and_pue_overrides_apply),
      cmocka_unit_test(test_zero_failure_rate_gives_goodput_one_and_ideal_time),
      cmocka_unit_test(test_failing_run_wall_time_by_hand),
      cmocka_unit_test(test_checkpoint_bytes_are_14_per_parameter_by_default),
      cmocka_unit_test(test_time_to_train_grows_with_failure_rate),
      cmocka_unit_test(test_run_that_cannot_progress_is_an_error),
      cmocka_unit_test(test_bad_inputs_name_the_field),
      cmocka_unit_test(test_input_from_report_reads_step_batch_and_busy_share),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
