/* Calibration of the host executor's own kernels (sim/calib_ops.c) and the file's version 2: the
 * KOPS section byte for byte (a file built here from the documented layout must read back), the
 * version-1 files that stay readable, the refusals with payload offsets, the fit on synthetic
 * measurements with known constants (including a non-negative solution), applying the fits to
 * the host system, and the kernel model's use of them (kern_op: the host only). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <cmocka.h>

#include "sim/sim.h"
#include "calib_bytes.h"

enum {
  KOPS_GOOD,
  KOPS_NONE,
  KOPS_CLASSES,
  KOPS_NAN,
  KOPS_POINT_CLASS,
  KOPS_EXTRA_BYTE,
  KOPS_TWICE
};

/* KOPS body per the layout at the top of sim/calib_ops.c: norm c0 = 2 us, c1 = 1/(20 GB/s);
 * attention_fwd c1 = 3 ns, c2 = 0.05 ns; one point of each. */
static void kops_body(bytes *w, int variant) {
  le(w, variant == KOPS_CLASSES ? 8 : 9, 4);
  for (int c = 0; c < 9; c++) {
    double c0 = c == KERN_HOST_NORM ? 2e-6 : 0.0, c1 = c == KERN_HOST_NORM ? 5e-11 : 0.0;
    double c2 = 0.0;
    if (c == KERN_HOST_ATTENTION_FWD) c1 = 3e-9, c2 = 5e-11;
    f64(w, variant == KOPS_NAN && c == 3 ? NAN : c0), f64(w, c1), f64(w, c2);
    f64(w, 0.01), f64(w, 0.02), le(w, c == KERN_HOST_NORM || c == KERN_HOST_ATTENTION_FWD, 4);
  }
  le(w, 2, 4);
  le(w, variant == KOPS_POINT_CLASS ? 9 : KERN_HOST_NORM, 1);
  le(w, 0, 8), le(w, 0, 8), le(w, 0, 8), f64(w, 1048576), f64(w, 5.4e-5), f64(w, 5.44e-5);
  le(w, KERN_HOST_ATTENTION_FWD, 1);
  le(w, 1, 8), le(w, 128, 8), le(w, 64, 8), f64(w, 0), f64(w, 8e-5), f64(w, 7.6e-5);
  if (variant == KOPS_EXTRA_BYTE) le(w, 0, 1);
}

static void payload(bytes *p, int variant) {
  bytes host = {0}, f1 = {0}, fa = {0}, pts = {0}, ops = {0};
  host_body(&host);
  fit_body(&f1, 1, 4e10);
  fit_body(&fa, 4, 4e10);
  points_body(&pts);
  kops_body(&ops, variant);
  memset(p, 0, sizeof *p);
  section(p, "HOST", &host);
  section(p, "FIT1", &f1);
  section(p, "FITA", &fa);
  section(p, "PNTS", &pts);
  if (variant != KOPS_NONE) section(p, "KOPS", &ops);
  if (variant == KOPS_TWICE) section(p, "KOPS", &ops);
}

static void expect_corrupt(int variant, uint32_t version, const char *needle) {
  bytes p, f;
  payload(&p, variant);
  file_of(&p, version, &f);
  kern_calibration *c = malloc(sizeof *c);
  ts_err err = {0};
  assert_int_equal(kern_calibration_decode("cal.bin", f.b, f.n, c, &err), TS_EINPUT);
  free(c);
  if (!strstr(err.msg, "cal.bin: payload offset") || !strstr(err.msg, needle))
    fail_msg("'%s' lacks the payload offset or '%s'", err.msg, needle);
}

static void test_version_2_file_from_the_documented_layout_reads_back(void **state) {
  (void)state;
  bytes p, f;
  payload(&p, KOPS_GOOD);
  file_of(&p, 2, &f);
  kern_calibration *c = malloc(sizeof *c);
  ts_err err = {0};
  assert_int_equal(kern_calibration_decode("doc", f.b, f.n, c, &err), TS_OK);
  assert_int_equal(c->version, 2);
  assert_true(c->ops.present);
  assert_true(c->ops.fit[KERN_HOST_NORM].c[0] == 2e-6 && c->ops.fit[KERN_HOST_NORM].c[1] == 5e-11);
  assert_true(c->ops.fit[KERN_HOST_ATTENTION_FWD].c[2] == 5e-11);
  assert_int_equal(c->ops.fit[KERN_HOST_NORM].n_points, 1);
  assert_int_equal(c->ops.n_points, 2);
  assert_int_equal(c->ops.points[1].op, KERN_HOST_ATTENTION_FWD);
  assert_true(c->ops.points[1].n == 128 && c->ops.points[1].k == 64);
  assert_true(c->ops.points[0].bytes == 1048576.0 && c->ops.points[0].measured_s == 5.4e-5);
  free(c);
}

static void test_version_1_file_reads_without_the_executor_fits(void **state) {
  (void)state;
  bytes p, f;
  payload(&p, KOPS_NONE);
  file_of(&p, 1, &f);
  kern_calibration *c = malloc(sizeof *c);
  ts_err err = {0};
  assert_int_equal(kern_calibration_decode("old", f.b, f.n, c, &err), TS_OK);
  assert_int_equal(c->version, 1);
  assert_false(c->ops.present);
  /* written back as it was read: still version 1, still no KOPS */
  unsigned char *data = NULL;
  size_t len = 0;
  assert_int_equal(kern_calibration_encode(c, &data, &len, &err), TS_OK);
  assert_int_equal(data[8], 1);
  assert_int_equal(kern_calibration_decode("again", data, len, c, &err), TS_OK);
  assert_false(c->ops.present);
  free(data);
  free(c);
}

static void test_bad_kops_sections_are_refused_with_payload_offsets(void **state) {
  (void)state;
  expect_corrupt(KOPS_NONE, 2, "section 'KOPS' is missing");
  expect_corrupt(KOPS_CLASSES, 2, "section KOPS: class count is not 9");
  expect_corrupt(KOPS_NAN, 2, "section KOPS: fit constant must be finite and >= 0");
  expect_corrupt(KOPS_POINT_CLASS, 2, "section KOPS: point class out of range");
  expect_corrupt(KOPS_EXTRA_BYTE, 2, "section KOPS: length does not match its contents");
  expect_corrupt(KOPS_TWICE, 2, "section 'KOPS' appears twice");
  /* version 3 is not known */
  bytes p, f;
  payload(&p, KOPS_GOOD);
  file_of(&p, 3, &f);
  kern_calibration *c = malloc(sizeof *c);
  ts_err err = {0};
  assert_int_equal(kern_calibration_decode("cal.bin", f.b, f.n, c, &err), TS_EINPUT);
  assert_string_equal(err.msg, "cal.bin: offset 8: version 3 not supported (expected 1 or 2)");
  free(c);
}

static void test_round_trip_keeps_the_executor_fits_and_points(void **state) {
  (void)state;
  kern_calibration *a = calloc(1, sizeof *a), *b = malloc(sizeof *b);
  a->version = 2;
  snprintf(a->fingerprint, sizeof a->fingerprint, "fp");
  a->cores = 2;
  for (int s = 0; s < KERN_CALIB_SCOPE_COUNT; s++)
    a->fit[s] = (kern_calib_fit){1 + s, 8, 8, 5e10, 2e10, 2e10, 1e-6, 0.01, 0.02};
  a->ops.present = true;
  for (int c = 0; c < KERN_HOST_OP_COUNT; c++)
    a->ops.fit[c] =
        (kern_ops_fit){{1e-6 * c, 1e-10 * (c + 1), c >= 7 ? 1e-11 : 0.0}, 0.01, 0.03, 1};
  a->ops.n_points = KERN_HOST_OP_COUNT;
  for (uint32_t i = 0; i < a->ops.n_points; i++)
    a->ops.points[i] = (kern_ops_point){(uint8_t)i,
                                        i >= 7 ? 2 : 0,
                                        i >= 7 ? 256 : 0,
                                        i >= 7 ? 64 : 0,
                                        i >= 7 ? 0.0 : 4096.0 * (i + 1),
                                        1e-5 * (i + 1),
                                        1.1e-5 * (i + 1)};
  unsigned char *data = NULL;
  size_t len = 0;
  ts_err err = {0};
  assert_int_equal(kern_calibration_encode(a, &data, &len, &err), TS_OK);
  assert_int_equal(data[8], 2);
  assert_int_equal(kern_calibration_decode("mem", data, len, b, &err), TS_OK);
  assert_true(b->ops.present);
  assert_memory_equal(a->ops.fit, b->ops.fit, sizeof a->ops.fit);
  assert_int_equal(b->ops.n_points, a->ops.n_points);
  for (uint32_t i = 0; i < a->ops.n_points; i++) {
    const kern_ops_point *p = &a->ops.points[i], *q = &b->ops.points[i];
    assert_true(p->op == q->op && p->m == q->m && p->n == q->n && p->k == q->k);
    assert_true(p->bytes == q->bytes && p->measured_s == q->measured_s && p->model_s == q->model_s);
  }
  free(data);
  free(a);
  free(b);
}

/* ---- the fit -------------------------------------------------------------------------------- */
static void add(kern_calib_ops *o, kern_host_op c, int64_t m, int64_t n, int64_t k, double bytes,
                double t) {
  o->points[o->n_points++] = (kern_ops_point){(uint8_t)c, m, n, k, bytes, t, 0.0};
}

static void test_fit_recovers_known_constants(void **state) {
  (void)state;
  kern_calib_ops *o = calloc(1, sizeof *o);
  /* GELU: 0.5 us + bytes / 9 GB/s */
  const double sizes[] = {262144, 1048576, 4194304, 16777216};
  for (int i = 0; i < 4; i++)
    add(o, KERN_HOST_ELEMENTWISE, 0, 0, 0, sizes[i], 5e-7 + sizes[i] / 9e9);
  /* attention forward: 1 us + 3 ns per score + 0.05 ns per score x head dim, the score counts by
   * hand (blocks of 64, causal): n = 128: 64x64 + 64x128 = 12288; n = 256: 64 x (64 + 128 +
   * 192 + 256) = 40960; n = 512: 4096 x (1 + ... + 8) = 147456; n = 100: 64x64 + 36x100 = 7696 */
  const int64_t shapes[][3] = {
      {1, 128, 64}, {1, 256, 64}, {1, 512, 32}, {2, 128, 128}, {1, 100, 64}};
  const double scores[] = {12288, 40960, 147456, 2 * 12288, 7696};
  for (int i = 0; i < 5; i++)
    add(o, KERN_HOST_ATTENTION_FWD, shapes[i][0], shapes[i][1], shapes[i][2], 0.0,
        1e-6 + 3e-9 * scores[i] + 5e-11 * scores[i] * (double)shapes[i][2]);
  /* a negative intercept is not a time: bytes / 10 GB/s - 1 us gives c0 = 0 */
  const double opt[] = {1835008, 7340032, 29360128};
  for (int i = 0; i < 3; i++) add(o, KERN_HOST_OPTIMIZER, 0, 0, 0, opt[i], opt[i] / 1e10 - 1e-6);
  ts_err err = {0};
  assert_int_equal(kern_calib_ops_fit(o, &err), TS_OK);
  const kern_ops_fit *g = &o->fit[KERN_HOST_ELEMENTWISE], *a = &o->fit[KERN_HOST_ATTENTION_FWD];
  assert_true(fabs(g->c[0] / 5e-7 - 1.0) < 1e-6 && fabs(g->c[1] * 9e9 - 1.0) < 1e-9);
  assert_true(g->c[2] == 0.0 && g->worst_error < 1e-9 && g->n_points == 4);
  assert_true(fabs(a->c[0] / 1e-6 - 1.0) < 1e-5 && fabs(a->c[1] / 3e-9 - 1.0) < 1e-6);
  assert_true(fabs(a->c[2] / 5e-11 - 1.0) < 1e-6 && a->worst_error < 1e-9);
  const kern_ops_fit *p = &o->fit[KERN_HOST_OPTIMIZER];
  assert_true(p->c[0] == 0.0 && p->c[1] > 0.0 && p->c[2] == 0.0);
  assert_true(o->fit[KERN_HOST_NORM].n_points == 0 && o->fit[KERN_HOST_NORM].c[1] == 0.0);
  for (uint32_t i = 0; i < 9; i++)
    assert_true(fabs(o->points[i].model_s / o->points[i].measured_s - 1) < 1e-5);
  free(o);
}

/* ---- the kernel model on the host ----------------------------------------------------------- */
static trace_op op(trace_op_kind kind, trace_phase phase, double bytes) {
  trace_op o;
  memset(&o, 0, sizeof o);
  o.kind = (uint8_t)kind, o.phase = (uint8_t)phase, o.dtype = HW_BF16, o.count = 1, o.bytes = bytes;
  return o;
}

static void test_host_fits_time_the_executor_ops_on_the_host_only(void **state) {
  (void)state;
  kern_calibration *c = calloc(1, sizeof *c);
  c->version = 2;
  c->fit[0] = (kern_calib_fit){1, 8, 8, 5e10, 2e10, 2e10, 0.0, 0.0, 0.0};
  c->ops.present = true;
  c->ops.fit[KERN_HOST_LOSS_BWD].c[0] = 4e-6, c->ops.fit[KERN_HOST_LOSS_BWD].c[1] = 1.0 / 3e9;
  c->ops.fit[KERN_HOST_ATTENTION_BWD].c[1] = 2e-9, c->ops.fit[KERN_HOST_ATTENTION_BWD].c[2] = 1e-10;
  hw_system *sys = calloc(1, sizeof *sys), *bare = calloc(1, sizeof *bare);
  sys->chip.peak_flops[HW_FP32] = sys->chip.peak_flops[HW_BF16] = 1e11;
  sys->chip.hbm_Bps = 1e11;
  sys->chip.compute_units = 1;
  *bare = *sys;
  kern_calibration_apply(c, sys);
  /* loss backward of 3 MB: 4 us + 1 ms */
  trace_op loss = op(TRACE_OP_LOSS, TRACE_PHASE_BACKWARD, 3e6);
  kern_estimate e = kern_op(&sys->chip, &loss, NULL);
  assert_true(fabs(e.seconds - 1.004e-3) < 1e-12);
  assert_int_equal(e.bound, KERN_BOUND_MEMORY);
  /* its forward has no fit: the generic form, bytes / fitted bandwidth */
  trace_op fwd = op(TRACE_OP_LOSS, TRACE_PHASE_FORWARD, 3e6);
  assert_true(fabs(kern_op(&sys->chip, &fwd, NULL).seconds - 3e6 / 2e10) < 1e-15);
  /* attention backward, 4 heads of 128 x 64: 4 x 12288 scores x (2 ns + 64 x 0.1 ns) */
  trace_op at = op(TRACE_OP_ATTENTION, TRACE_PHASE_BACKWARD, 1e6);
  at.m = 4, at.n = 128, at.k = 64, at.flops = 1e9;
  e = kern_op(&sys->chip, &at, NULL);
  assert_true(fabs(e.seconds - 4.0 * 12288.0 * 8.4e-9) < 1e-12);
  assert_int_equal(e.bound, KERN_BOUND_COMPUTE);
  /* a chip without fits (every catalog chip) keeps the generic forms */
  e = kern_op(&bare->chip, &loss, NULL);
  assert_true(fabs(e.seconds - 3e6 / 1e11) < 1e-15);
  free(c);
  free(sys);
  free(bare);
}

/* An embedding costs per row (a cache and TLB miss each) besides per byte: u2 is its rows (op m);
 * a trace without rows counts rows of 4 KiB. With c1 = 1 ns/B and c2 = 300 ns/row, 1 MiB in 512
 * rows of 2 KiB takes 1.048576 ms + 153.6 us; as 256 rows of 4 KiB, 1.048576 ms + 76.8 us. */
static void test_embedding_costs_per_row_and_per_byte(void **state) {
  (void)state;
  trace_op o = op(TRACE_OP_EMBEDDING, TRACE_PHASE_FORWARD, 1048576.0);
  o.m = 512, o.k = 512;
  double u1, u2;
  kern_host_op_units(&o, &u1, &u2);
  assert_true(u1 == 1048576.0 && u2 == 512.0);
  kern_calibration *c = calloc(1, sizeof *c);
  c->version = 2;
  c->fit[0] = (kern_calib_fit){1, 8, 8, 5e10, 2e10, 2e10, 0.0, 0.0, 0.0};
  c->ops.present = true;
  c->ops.fit[KERN_HOST_EMBEDDING_FWD].c[1] = 1e-9, c->ops.fit[KERN_HOST_EMBEDDING_FWD].c[2] = 3e-7;
  hw_system *sys = calloc(1, sizeof *sys);
  sys->chip.peak_flops[HW_FP32] = 1e11;
  sys->chip.hbm_Bps = 1e11;
  sys->chip.compute_units = 1;
  kern_calibration_apply(c, sys);
  assert_true(fabs(kern_op(&sys->chip, &o, NULL).seconds - (1.048576e-3 + 153.6e-6)) < 1e-12);
  o.m = o.k = 0; /* an older trace */
  kern_host_op_units(&o, &u1, &u2);
  assert_true(u2 == 256.0);
  assert_true(fabs(kern_op(&sys->chip, &o, NULL).seconds - (1.048576e-3 + 76.8e-6)) < 1e-12);
  free(c);
  free(sys);
}

static void test_op_classes_and_names(void **state) {
  (void)state;
  kern_host_op c;
  trace_op o = op(TRACE_OP_EMBEDDING, TRACE_PHASE_BACKWARD, 1.0);
  assert_true(kern_host_op_of(&o, &c) && c == KERN_HOST_EMBEDDING_BWD);
  o = op(TRACE_OP_NORM, TRACE_PHASE_BACKWARD, 1.0);
  assert_true(kern_host_op_of(&o, &c) && c == KERN_HOST_NORM);
  o = op(TRACE_OP_GEMM, TRACE_PHASE_FORWARD, 1.0);
  assert_false(kern_host_op_of(&o, &c));
  o = op(TRACE_OP_ALL_REDUCE, TRACE_PHASE_BACKWARD, 1.0);
  assert_false(kern_host_op_of(&o, &c));
  assert_string_equal(kern_host_op_name(KERN_HOST_LOSS_FWD), "loss_fwd");
  assert_string_equal(kern_host_op_name(KERN_HOST_ATTENTION_BWD), "attention_bwd");
  assert_string_equal(kern_host_op_name(KERN_HOST_OP_COUNT), "?");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_version_2_file_from_the_documented_layout_reads_back),
      cmocka_unit_test(test_version_1_file_reads_without_the_executor_fits),
      cmocka_unit_test(test_bad_kops_sections_are_refused_with_payload_offsets),
      cmocka_unit_test(test_round_trip_keeps_the_executor_fits_and_points),
      cmocka_unit_test(test_fit_recovers_known_constants),
      cmocka_unit_test(test_host_fits_time_the_executor_ops_on_the_host_only),
      cmocka_unit_test(test_embedding_costs_per_row_and_per_byte),
      cmocka_unit_test(test_op_classes_and_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
