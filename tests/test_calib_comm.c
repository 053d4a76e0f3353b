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
  static const trace_op_kind ops[KERN_COMM_KIND_COUNT] = {TRACE_OP_ALL_REDUCE, TRACE_OP_ALL_GATHER,
                                                          TRACE_OP_SEND, TRACE_OP_REDUCE_SCATTER};
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

/* On shared memory each kind has its own cost per byte. Points made by four different closed forms
 * (reduce-scatter twice the all-gather's cost per byte): each kind's fit gives its own latency and
 * bandwidth back; applied, coll_time on the host times each kind (and an all-to-all as an
 * all-gather, a recv as a send) by them; a kind without points keeps the link model. */
static const double KIND_L[KERN_COMM_KIND_COUNT] = {5e-6, 1e-6, 2e-6, 3e-6};
static const double KIND_B[KERN_COMM_KIND_COUNT] = {4e9, 1e10, 1.1e10, 5e9};

static void test_each_kind_is_fitted_and_timed_on_its_own(void **state) {
  (void)state;
  hw_system *s = host_system(), *plain = host_system();
  kern_calibration *cal = calloc(1, sizeof *cal);
  kern_calib_comm *c = &cal->comm;
  const double sizes[] = {4096, 1 << 20, 16 << 20, 64 << 20};
  for (int k = 0; k < KERN_COMM_KIND_COUNT; k++)
    for (int i = 0; i < 4; i++)
      c->points[c->n_points++] = (kern_comm_point){.kind = (uint8_t)k,
                                                   .ranks = 2,
                                                   .bytes = sizes[i],
                                                   .measured_s = KIND_L[k] + sizes[i] / KIND_B[k]};
  ts_err err = {0};
  assert_int_equal(kern_calib_comm_fit(c, s, &err), TS_OK);
  for (int k = 0; k < KERN_COMM_KIND_COUNT; k++) {
    assert_float_equal(c->kind_latency_s[k], KIND_L[k], KIND_L[k] * 1e-6);
    assert_float_equal(c->kind_Bps[k], KIND_B[k], KIND_B[k] * 1e-6);
  }
  assert_true(c->worst_error < 1e-6);
  c->present = true;
  kern_calibration_apply(cal, s);
  hw_topo *topo = NULL;
  assert_int_equal(hw_topo_new(s, 2, &topo, &err), TS_OK);
  int64_t chips[2] = {0, 1};
  coll_groups g = {.n_groups = 1, .group_size = 2, .chips = chips};
  const double n = 8 << 20;
  static const struct {
    trace_op_kind op;
    int kind;
  } cases[] = {{TRACE_OP_ALL_REDUCE, KERN_COMM_ALL_REDUCE},
               {TRACE_OP_ALL_GATHER, KERN_COMM_ALL_GATHER},
               {TRACE_OP_ALL_TO_ALL, KERN_COMM_ALL_GATHER},
               {TRACE_OP_SEND, KERN_COMM_P2P},
               {TRACE_OP_RECV, KERN_COMM_P2P},
               {TRACE_OP_REDUCE_SCATTER, KERN_COMM_REDUCE_SCATTER}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    coll_result r;
    assert_int_equal(coll_time(topo, s, cases[i].op, n, &g, COLL_ALGO_AUTO, &r, &err), TS_OK);
    double want = KIND_L[cases[i].kind] + n / KIND_B[cases[i].kind];
    assert_float_equal(r.seconds, want, want * 1e-9);
  }
  /* a kind never measured (an old file: no reduce-scatter points) keeps the link model */
  s->up.coll_Bps[KERN_COMM_REDUCE_SCATTER] = 0.0;
  plain->up = s->up;
  memset(plain->up.coll_Bps, 0, sizeof plain->up.coll_Bps);
  coll_result a, b;
  assert_int_equal(coll_time(topo, s, TRACE_OP_REDUCE_SCATTER, n, &g, COLL_ALGO_AUTO, &a, &err),
                   TS_OK);
  assert_int_equal(coll_time(topo, plain, TRACE_OP_REDUCE_SCATTER, n, &g, COLL_ALGO_AUTO, &b, &err),
                   TS_OK);
  assert_true(a.seconds == b.seconds);
  hw_topo_free(topo);
  free(cal);
  free(s);
  free(plain);
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
  /* the per-kind fits are not stored: one point per kind is too few, so none is set */
  for (int k = 0; k < KERN_COMM_KIND_COUNT; k++) assert_true(d->comm.kind_Bps[k] == 0.0);
  free(data);
  c->comm.n_points = 4; /* two reduce-scatter points (kind 3): refitted when read */
  c->comm.points[2] = (kern_comm_point){KERN_COMM_REDUCE_SCATTER, 2, 1 << 20, 2e-6 + 0.2e-3, 0};
  c->comm.points[3] = (kern_comm_point){KERN_COMM_REDUCE_SCATTER, 2, 4 << 20, 2e-6 + 0.8e-3, 0};
  assert_int_equal(kern_calibration_encode(c, &data, &len, &err), TS_OK);
  assert_int_equal(kern_calibration_decode("mem", data, len, d, &err), TS_OK);
  assert_float_equal(d->comm.kind_latency_s[KERN_COMM_REDUCE_SCATTER], 2e-6, 1e-12);
  assert_float_equal(d->comm.kind_Bps[KERN_COMM_REDUCE_SCATTER], (1 << 20) / 0.2e-3, 1.0);
  free(data);
  c->comm.n_points = 2;
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
  static const trace_op_kind kinds[] = {TRACE_OP_ALL_REDUCE, TRACE_OP_ALL_GATHER, TRACE_OP_SEND,
                                        TRACE_OP_REDUCE_SCATTER};
  ts_err err = {0};
  for (int k = 0; k < 4; k++) {
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
      cmocka_unit_test(test_each_kind_is_fitted_and_timed_on_its_own),
      cmocka_unit_test(test_netw_section_round_trips),
      cmocka_unit_test(test_corrupt_netw_section_is_refused_with_its_offset),
      cmocka_unit_test(test_applying_sets_the_hosts_scaleup_network),
      cmocka_unit_test(test_transport_benchmark_runs_each_kind),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
