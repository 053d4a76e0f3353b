/* Kernel model (sim/kern.c) against hand-computed closed forms on a made-up chip: 100 units,
 * tile 128x128, 100 TFLOP/s bf16 (50 fp32), 2 TB/s, efficiencies 1, no launch cost unless a test
 * sets one. Every expected number below is worked out in the comment beside it. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "sim/sim.h"

static void chip_init(hw_chip *c) {
  memset(c, 0, sizeof *c);
  snprintf(c->name, sizeof c->name, "test-chip");
  c->peak_flops[HW_BF16] = 100e12;
  c->peak_flops[HW_FP32] = 50e12;
  c->hbm_Bps = 2e12;
  c->compute_units = 100;
  c->tile_m = 128, c->tile_n = 128, c->tile_k = 64;
  c->kern = (hw_kernel_consts){
      .gemm_efficiency = 1.0, .attn_efficiency = 1.0, .mem_efficiency = 1.0, .launch_s = 0.0};
}

static void assert_close(double got, double want) {
  if (fabs(got - want) > 1e-9 * fabs(want) + 1e-30) fail_msg("got %.17g, want %.17g", got, want);
}

/* One full tile at one unit's share: 128*128*8192*2 FLOP / (100e12 / 100) = 2.68435456e-4 s. */
static const double WAVE_K8192_S = 2.68435456e-4;

static void test_gemm_with_exactly_one_wave_of_tiles_takes_one_tile_time(void **state) {
  (void)state;
  hw_chip c;
  chip_init(&c);
  /* 1280x1280 = 10x10 = 100 tiles = one wave; memory (1280*8192*2 + 1280^2) * 2 B / 2e12 B/s
   * = 2.260992e-5 s, below compute. */
  kern_estimate e = kern_gemm(&c, 1280, 1280, 8192, 1, HW_BF16);
  assert_close(e.seconds, WAVE_K8192_S);
  assert_int_equal(e.bound, KERN_BOUND_COMPUTE);
  assert_close(e.tiles, 100);
  assert_close(e.waves, 1);
  assert_close(e.memory_s, 2.260992e-5);
  assert_close(e.flops_per_s, 100e12); /* full tiles, full wave: the peak */
}

static void test_gemm_with_101_tiles_takes_two_waves_and_is_wave_bound(void **state) {
  (void)state;
  hw_chip c;
  chip_init(&c);
  /* 12928 = 101 * 128 rows, one tile column: 101 tiles on 100 units = 2 waves, twice the one-wave
   * time although the work is only 1.01 waves; memory (12928*8192 + 8192*128 + 12928*128) * 2 B
   * / 2e12 = 1.08609536e-4 s. */
  kern_estimate e = kern_gemm(&c, 12928, 128, 8192, 1, HW_BF16);
  assert_close(e.seconds, 2 * WAVE_K8192_S);
  assert_close(e.waves, 2);
  assert_close(e.tiles, 101);
  assert_close(e.memory_s, 1.08609536e-4);
  assert_int_equal(e.bound, KERN_BOUND_WAVE);
  assert_string_equal(kern_bound_name(e.bound), "wave quantisation");
}

static void test_partial_tiles_cost_full_tiles(void **state) {
  (void)state;
  hw_chip c;
  chip_init(&c);
  /* 1281 rows need 11 tile rows: 11 x 10 = 110 tiles = 2 waves. */
  kern_estimate e = kern_gemm(&c, 1281, 1280, 8192, 1, HW_BF16);
  assert_close(e.tiles, 110);
  assert_close(e.seconds, 2 * WAVE_K8192_S);
  assert_int_equal(e.bound, KERN_BOUND_WAVE);
}

static void test_grouped_gemm_counts_every_product_in_the_tiles(void **state) {
  (void)state;
  hw_chip c;
  chip_init(&c);
  /* 4 products of 100 tiles = 400 tiles = 4 full waves: compute bound, 4 times one wave. */
  kern_estimate e = kern_gemm(&c, 1280, 1280, 8192, 4, HW_BF16);
  assert_close(e.tiles, 400);
  assert_close(e.seconds, 4 * WAVE_K8192_S);
  assert_int_equal(e.bound, KERN_BOUND_COMPUTE);
}

static void test_gemm_with_small_k_is_memory_bound_at_bytes_over_bandwidth(void **state) {
  (void)state;
  hw_chip c;
  chip_init(&c);
  /* 12800x12800x16: bytes (12800*16*2 + 12800^2) * 2 = 328499200 B -> 1.642496e-4 s; compute
   * 10000 tiles = 100 waves of 128*128*16*2*100/100e12 = 5.24288e-7 s = 5.24288e-5 s. */
  kern_estimate e = kern_gemm(&c, 12800, 12800, 16, 1, HW_BF16);
  assert_close(e.seconds, 1.642496e-4);
  assert_close(e.compute_s, 5.24288e-5);
  assert_int_equal(e.bound, KERN_BOUND_MEMORY);
}

static void test_tiny_gemm_is_launch_bound(void **state) {
  (void)state;
  hw_chip c;
  chip_init(&c);
  c.kern.launch_s = 5e-6;
  /* 128^3 is one tile on one of the 100 units: 128^3 * 2 / 1e12 = 4.194304e-6 s of compute;
   * memory 3 * 128^2 * 2 B / 2e12 = 4.9152e-8 s; both below the 5 us launch. */
  kern_estimate e = kern_gemm(&c, 128, 128, 128, 1, HW_BF16);
  assert_close(e.seconds, 5e-6 + 4.194304e-6);
  assert_int_equal(e.bound, KERN_BOUND_LAUNCH);
}

static void test_efficiencies_scale_compute_and_memory(void **state) {
  (void)state;
  hw_chip c;
  chip_init(&c);
  c.kern.gemm_efficiency = 0.5;
  assert_close(kern_gemm(&c, 1280, 1280, 8192, 1, HW_BF16).seconds, 2 * WAVE_K8192_S);
  c.kern.mem_efficiency = 0.25;
  assert_close(kern_gemm(&c, 12800, 12800, 16, 1, HW_BF16).seconds, 4 * 1.642496e-4);
}

static void test_dtype_without_peak_runs_at_fp32_peak(void **state) {
  (void)state;
  hw_chip c;
  chip_init(&c);
  /* fp8 has no peak: fp32's 50e12, so one wave takes twice the bf16 time. */
  kern_estimate e = kern_gemm(&c, 1280, 1280, 8192, 1, HW_FP8);
  assert_close(e.seconds, 2 * WAVE_K8192_S);
}

static void test_empty_gemm_costs_only_the_launch(void **state) {
  (void)state;
  hw_chip c;
  chip_init(&c);
  c.kern.launch_s = 3e-6;
  kern_estimate e = kern_gemm(&c, 0, 128, 128, 1, HW_BF16);
  assert_close(e.seconds, 3e-6);
  assert_int_equal(e.bound, KERN_BOUND_LAUNCH);
}

static void test_attention_is_flops_at_attention_efficiency_against_bytes(void **state) {
  (void)state;
  hw_chip c;
  chip_init(&c);
  c.kern.attn_efficiency = 0.5;
  c.kern.launch_s = 1e-6;
  /* 1e12 FLOP at 100e12 * 0.5 = 0.02 s; 1e9 B at 2e12 = 5e-4 s; plus launch. */
  trace_op op = {.kind = TRACE_OP_ATTENTION,
                 .dtype = HW_BF16,
                 .count = 1,
                 .flops = 1e12,
                 .bytes = 1e9,
                 .comm = TRACE_NO_COMM,
                 .peer = -1};
  kern_estimate e = kern_op(&c, &op, NULL);
  assert_close(e.seconds, 0.02 + 1e-6);
  assert_int_equal(e.bound, KERN_BOUND_COMPUTE);
  op.bytes = 1e11; /* 0.05 s of memory */
  e = kern_op(&c, &op, NULL);
  assert_close(e.seconds, 0.05 + 1e-6);
  assert_int_equal(e.bound, KERN_BOUND_MEMORY);
}

static void test_memory_ops_take_bytes_over_bandwidth_or_flops_at_peak(void **state) {
  (void)state;
  hw_chip c;
  chip_init(&c);
  c.kern.mem_efficiency = 0.8;
  c.kern.launch_s = 2e-6;
  static const uint8_t KINDS[] = {TRACE_OP_NORM, TRACE_OP_ELEMENTWISE, TRACE_OP_EMBEDDING,
                                  TRACE_OP_LOSS, TRACE_OP_OPTIMIZER};
  for (size_t i = 0; i < sizeof KINDS; i++) {
    /* 1.6e9 B at 2e12 * 0.8 = 1e-3 s, + 2 us. */
    trace_op op = {.kind = KINDS[i], .dtype = HW_BF16, .count = 1, .flops = 1e6, .bytes = 1.6e9};
    kern_estimate e = kern_op(&c, &op, NULL);
    assert_close(e.seconds, 1e-3 + 2e-6);
    assert_int_equal(e.bound, KERN_BOUND_MEMORY);
  }
  /* 1e12 FLOP at the bf16 peak (1e-2 s) outweighs 1 kB. */
  trace_op heavy = {
      .kind = TRACE_OP_LOSS, .dtype = HW_BF16, .count = 1, .flops = 1e12, .bytes = 1e3};
  kern_estimate e = kern_op(&c, &heavy, NULL);
  assert_close(e.seconds, 1e-2 + 2e-6);
  assert_int_equal(e.bound, KERN_BOUND_COMPUTE);
}

static void test_gemm_op_matches_kern_gemm(void **state) {
  (void)state;
  hw_chip c;
  chip_init(&c);
  trace_op op = {.kind = TRACE_OP_GEMM,
                 .dtype = HW_BF16,
                 .m = 12928,
                 .n = 128,
                 .k = 8192,
                 .count = 1,
                 .flops = 2.0 * 12928 * 128 * 8192};
  kern_estimate e = kern_op(&c, &op, NULL);
  assert_close(e.seconds, 2 * WAVE_K8192_S);
  assert_int_equal(e.bound, KERN_BOUND_WAVE);
}

static void test_communication_ops_take_no_kernel_time(void **state) {
  (void)state;
  hw_chip c;
  chip_init(&c);
  c.kern.launch_s = 1e-6;
  static const uint8_t KINDS[] = {TRACE_OP_ALL_REDUCE, TRACE_OP_ALL_GATHER, TRACE_OP_REDUCE_SCATTER,
                                  TRACE_OP_ALL_TO_ALL, TRACE_OP_SEND,       TRACE_OP_RECV};
  for (size_t i = 0; i < sizeof KINDS; i++) {
    trace_op op = {.kind = KINDS[i], .dtype = HW_BF16, .count = 1, .bytes = 1e9};
    kern_estimate e = kern_op(&c, &op, NULL);
    assert_true(e.seconds == 0.0);
    assert_string_equal(kern_bound_name(e.bound), "none");
  }
}

static void test_bound_names(void **state) {
  (void)state;
  assert_string_equal(kern_bound_name(KERN_BOUND_COMPUTE), "compute");
  assert_string_equal(kern_bound_name(KERN_BOUND_MEMORY), "memory");
  assert_string_equal(kern_bound_name(KERN_BOUND_WAVE), "wave quantisation");
  assert_string_equal(kern_bound_name(KERN_BOUND_LAUNCH), "launch");
  assert_string_equal(kern_bound_name(KERN_BOUND_TABLE), "table");
  assert_string_equal(kern_bound_name((kern_bound)99), "none");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_gemm_with_exactly_one_wave_of_tiles_takes_one_tile_time),
      cmocka_unit_test(test_gemm_with_101_tiles_takes_two_waves_and_is_wave_bound),
      cmocka_unit_test(test_partial_tiles_cost_full_tiles),
      cmocka_unit_test(test_grouped_gemm_counts_every_product_in_the_tiles),
      cmocka_unit_test(test_gemm_with_small_k_is_memory_bound_at_bytes_over_bandwidth),
      cmocka_unit_test(test_tiny_gemm_is_launch_bound),
      cmocka_unit_test(test_efficiencies_scale_compute_and_memory),
      cmocka_unit_test(test_dtype_without_peak_runs_at_fp32_peak),
      cmocka_unit_test(test_empty_gemm_costs_only_the_launch),
      cmocka_unit_test(test_attention_is_flops_at_attention_efficiency_against_bytes),
      cmocka_unit_test(test_memory_ops_take_bytes_over_bandwidth_or_flops_at_peak),
      cmocka_unit_test(test_gemm_op_matches_kern_gemm),
      cmocka_unit_test(test_communication_ops_take_no_kernel_time),
      cmocka_unit_test(test_bound_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
