/* The host described by hwloc, and the `host` system built on it (one rank per core, bf16/fp8
 * run as fp32). Facts checked are the ones true of any machine this runs on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hw/hw.h"

static void test_host_has_cores_memory_and_caches(void **state) {
  (void)state;
  hw_host h;
  ts_err err = {0};
  assert_int_equal(hw_host_describe(&h, &err), TS_OK);
  assert_true(h.packages >= 1);
  assert_true(h.cores >= h.packages);
  assert_true(h.pus >= h.cores);
  assert_true(h.numa_nodes >= 1);
  assert_true(h.memory_bytes > 0);
  assert_true(h.cpu_model[0] != '\0');
  long online = sysconf(_SC_NPROCESSORS_ONLN); /* an independent count of hardware threads */
  if (online > 0) assert_true(h.pus <= online);
  assert_true(h.l1d_bytes >= 0 && h.l2_bytes >= 0 && h.l3_bytes >= 0);
  assert_true(h.l3_count >= 0);
}

static void test_fingerprint_is_non_empty_and_stable(void **state) {
  (void)state;
  hw_host a, b;
  ts_err err = {0};
  assert_int_equal(hw_host_describe(&a, &err), TS_OK);
  assert_int_equal(hw_host_describe(&b, &err), TS_OK);
  assert_true(strlen(a.fingerprint) > 0);
  assert_string_equal(a.fingerprint, b.fingerprint);
  assert_non_null(strstr(a.fingerprint, a.cpu_model));
  assert_non_null(strstr(a.fingerprint, "OpenBLAS"));
}

static void test_host_system_has_one_rank_per_core(void **state) {
  (void)state;
  hw_host h;
  hw_system *s = malloc(sizeof *s);
  assert_non_null(s);
  ts_err err = {0};
  assert_int_equal(hw_host_describe(&h, &err), TS_OK);
  assert_int_equal(hw_system_host(s, &err), TS_OK);
  assert_string_equal(s->name, "host");
  assert_string_equal(s->chip.vendor, "host");
  assert_int_equal(s->up.domain_chips, h.cores);
  assert_int_equal(s->up.kind, HW_TOPO_SWITCH);
  assert_int_equal(s->chip.ranks_per_chip, 1);
  assert_int_equal(s->chip.compute_units, 1);
  for (int d = 0; d < HW_DTYPE_COUNT; d++)
    assert_true(s->chip.peak_flops[d] == s->chip.peak_flops[HW_FP32]);
  assert_true(fabs(s->chip.hbm_bytes * h.cores - h.memory_bytes) <= 1e-6 * h.memory_bytes);
  assert_true(s->out.max_chips >= s->up.domain_chips);
  assert_non_null(strstr(hw_chip_source(&s->chip, "fp32_tflops"), "uncalibrated"));
  const char *fields[] = {"year",
                          "fp16_tflops",
                          "bf16_tflops",
                          "fp8_tflops",
                          "fp4_tflops",
                          "hbm_gib",
                          "hbm_tbps",
                          "sram_mib",
                          "compute_units",
                          "tile_mnk",
                          "ranks_per_chip",
                          "power_w",
                          "price_usd_per_chip_h",
                          "kern.gemm_efficiency",
                          "kern.launch_us"};
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
    if (!hw_chip_source(&s->chip, fields[i])) fail_msg("host chip: no source for %s", fields[i]);
  assert_non_null(hw_system_source(s, "scaleup.link_GBps"));
  free(s);
}

static void test_host_loads_by_name_like_any_system(void **state) {
  (void)state;
  hw_system *a = malloc(sizeof *a), *b = malloc(sizeof *b);
  assert_non_null(a);
  assert_non_null(b);
  ts_err err = {0};
  assert_int_equal(hw_system_load("host", a, &err), TS_OK);
  assert_int_equal(hw_system_host(b, &err), TS_OK);
  assert_int_equal(a->up.domain_chips, b->up.domain_chips);
  assert_string_equal(a->chip.generation, b->chip.generation);
  hw_chip c;
  assert_int_equal(hw_chip_load("host", &c, &err), TS_OK);
  assert_string_equal(c.name, "host");
  free(a);
  free(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_host_has_cores_memory_and_caches),
      cmocka_unit_test(test_fingerprint_is_non_empty_and_stable),
      cmocka_unit_test(test_host_system_has_one_rank_per_core),
      cmocka_unit_test(test_host_loads_by_name_like_any_system),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
