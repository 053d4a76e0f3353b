/* The measured-communication part of the host calibration (sim/calib_comm.c): the fit recovers the
 * latency and bandwidth that generated its points, the optional NETW section of the calibration
 * file round-trips and is refused when corrupt (naming the payload offset), a file without it
 * leaves the host's network alone, applying it sets the host's scale-up figures, and the transport
 * microbenchmark runs (its time is not asserted). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim/exec/exec.h"
#include "sim/sim.h"

static hw_system *host_system(void) {
  hw_system *s = malloc(sizeof *s);
  ts_err err = {0};
  assert_int_equal(hw_system_host(s, &err), TS_OK);
  return s;
}

/* Points timed by the collective model itself on a host whose network is L = 7 us, B = 3 GB/s:
 * the fit, started from the nominal host, must give those two numbers back. */
static void test_fit_recovers_the_latency_and_bandwidth_that_made_the_points(void **state) {
  (void)state;
  hw_system *base = host_system(), *gen = malloc(sizeof *gen);
  *gen = *base;
  gen->up.latency_s = 7e-6;
  gen->up.link_Bps = gen->up.chip_Bps = 3e9;
  static const trace_op_kind ops[] = {TRACE_OP_ALL_REDUCE, TRACE_OP_ALL_GATHER, TRACE_OP_SEND};
  const double sizes[] = {4096, 1 << 20, 8 << 20};
  kern_calib_comm c;
  memset(&c, 0, sizeof c);
  ts_err err = {0};
  hw_topo *topo = NULL;
  assert_int_equal(hw_topo_new(gen, 2, &topo, &err), TS_OK);
  int64_t chips[2] = {0, 1};
  coll_groups g = {.n_groups = 1, .group_size = 2, .chips = chips};
  for (int k = 0; k < KERN_COMM_KIND_COUNT; k++)
    for (int i = 0; i < 3; i++) {
      kern_comm_point *p = &c.points[c.n_points++];
      *p = (kern_comm_point){.kind = (uint8_t)k, .ranks = 2, .bytes = sizes[i]};
      coll_result r;
      assert_int_equal(coll_time(topo, gen, ops[k], sizes[i], &g, COLL_ALGO_AUTO, &r, &err), TS_OK);
      p->measured_s = r.seconds;
    }
  hw_topo_free(topo);
  assert_int_equal(kern_calib_comm_fit(&c, base, &err), TS_OK);
  assert_float_equal(c.latency_s, 7e-6, 7e-6 * 1e-6);
  assert_float_equal(c.link_Bps, 3e9, 3e9 * 1e-6);
  assert_true(c.worst_error < 1e-6);
  free(gen);
  free(base);
}

static kern_calibration *with_comm(void) {
  kern_calibration *c = calloc(1, sizeof *c);
  snprintf(c->fingerprint, sizeof c->fingerprint, "fp");
  for (int s = 0; s < KERN_CALIB_SCOPE_COUNT; s++)
    c->fit[s] = (kern_calib_fit){
        .units = 1, .tile_m = 4, .tile_n = 4, .sgemm_flops_per_s = 1e10, .mem_Bps = 1e10};
  c->cores = 2;
  kern_calib_comm *m = &c->comm;
  m->present = true;
  snprintf(m->transport, sizeof m->transport, "threads");
  m->latency_s = 4e-6, m->link_Bps = 2.5e10, m->median_error = 0.1, m->worst_error = 0.3;
  m->n_points = 2;
  m->points[0] = (kern_comm_point){KERN_COMM_ALL_REDUCE, 2, 4096, 2e-5, 1.9e-5};
  m->points[1] = (kern_comm_point){KERN_COMM_P2P, 2, 1 << 20, 5e-5, 4.5e-5};
  return c;
}

static void test_netw_section_round_trips(void **state) {
  (void)state;
  kern_calibration *c = with_comm(), *d = malloc(sizeof *d);
  unsigned char *data = NULL;
  size_t len = 0;
  ts_err err = {0};
  assert_int_equal(kern_calibration_encode(c, &data, &len, &err), TS_OK);
  assert_int_equal(kern_calibration_decode("mem", data, len, d, &err), TS_OK);
  assert_true(d->comm.present);
  assert_string_equal(d->comm.transport, "threads");
  assert_true(d->comm.latency_s == 4e-6 && d->comm.link_Bps == 2.5e10);
  assert_int_equal(d->comm.n_points, 2);
  assert_int_equal(d->comm.points[1].kind, KERN_COMM_P2P);
  assert_true(d->comm.points[1].bytes == 1 << 20 && d->comm.points[0].measured_s == 2e-5);
  free(data);
  c->comm.present = false; /* a file without the section */
  assert_int_equal(kern_calibration_encode(c, &data, &len, &err), TS_OK);
  assert_int_equal(kern_calibration_decode("mem", data, len, d, &err), TS_OK);
  assert_false(d->comm.present);
  free(data);
  free(c);
  free(d);
}

static void test_corrupt_netw_section_is_refused_with_its_offset(void **state) {
  (void)state;
  kern_calibration *c = with_comm(), *d = malloc(sizeof *d);
  c->comm.points[0].kind = 9; /* out of range */
  unsigned char *data = NULL;
  size_t len = 0;
  ts_err err = {0};
  assert_int_equal(kern_calibration_encode(c, &data, &len, &err), TS_OK);
  assert_int_equal(kern_calibration_decode("mem", data, len, d, &err), TS_EINPUT);
  assert_non_null(strstr(err.msg, "payload offset"));
  assert_non_null(strstr(err.msg, "NETW"));
  assert_non_null(strstr(err.msg, "kind"));
  free(data);
  c->comm.points[0].kind = 0;
  c->comm.link_Bps = 0.0; /* bandwidth must be positive */
  assert_int_equal(kern_calibration_encode(c, &data, &len, &err), TS_OK);
  assert_int_equal(kern_calibration_decode("mem", data, len, d, &err), TS_EINPUT);
  assert_non_null(strstr(err.msg, "bandwidth"));
  free(data);
  free(c);
  free(d);
}

static void test_applying_sets_the_hosts_scaleup_network(void **state) {
  (void)state;
  kern_calibration *c = with_comm();
  hw_system *s = host_system();
  kern_calibration_apply(c, s);
  assert_true(s->up.latency_s == 4e-6);
  assert_true(s->up.link_Bps == 2.5e10 && s->up.chip_Bps == 2.5e10);
  const char *src = hw_system_source(s, "scaleup.link_GBps");
  assert_non_null(src);
  assert_non_null(strstr(src, "trainsim calibrate"));
  free(s);
  free(c);
}

static void test_transport_benchmark_runs_each_kind(void **state) {
  (void)state;
  static const trace_op_kind kinds[] = {TRACE_OP_ALL_REDUCE, TRACE_OP_ALL_GATHER, TRACE_OP_SEND};
  ts_err err = {0};
  for (int k = 0; k < 3; k++) {
    double s = -1.0;
    assert_int_equal(exec_comm_bench(kinds[k], 2, 4096, 3, &s, &err), TS_OK);
    assert_true(s >= 0.0);
  }
  double s;
  assert_int_equal(exec_comm_bench(TRACE_OP_ALL_REDUCE, 1, 4096, 3, &s, &err), TS_EUSAGE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fit_recovers_the_latency_and_bandwidth_that_made_the_points),
      cmocka_unit_test(test_netw_section_round_trips),
      cmocka_unit_test(test_corrupt_netw_section_is_refused_with_its_offset),
      cmocka_unit_test(test_applying_sets_the_hosts_scaleup_network),
      cmocka_unit_test(test_transport_benchmark_runs_each_kind),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
