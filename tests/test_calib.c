/* Host calibration (sim/calib*.c): the file format byte for byte (a file built here from the
 * documented layout must read back), round trips, the refusals (another host, corrupt files, each
 * naming an offset), applying the fit to the host system, the default location, the fit on
 * synthetic measurements with known constants, and a quick real OpenBLAS run. */
#include <cblas.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "sim/sim.h"
#include "calib_bytes.h"

static void sample(kern_calibration *c, const char *fingerprint) {
  memset(c, 0, sizeof *c);
  c->version = 1;
  snprintf(c->fingerprint, sizeof c->fingerprint, "%s", fingerprint);
  snprintf(c->cpu_model, sizeof c->cpu_model, "Test CPU");
  snprintf(c->blas, sizeof c->blas, "OpenBLAS test");
  c->cores = 2;
  c->fit[0] = (kern_calib_fit){1, 8, 16, 5e10, 2.5e10, 2e10, 1.5e-6, 0.05, 0.2};
  c->fit[1] = (kern_calib_fit){2, 16, 16, 9e10, 4.5e10, 3e10, 4e-6, 0.07, 0.3};
  c->n_points = 3;
  c->points[0] =
      (kern_calib_point){KERN_CALIB_SGEMM, KERN_CALIB_ONE_CORE, 64, 128, 256, 1e-4, 1.1e-4};
  c->points[1] = (kern_calib_point){KERN_CALIB_DGEMM, KERN_CALIB_ALL_CORES, 8, 8, 8, 2e-6, 1.9e-6};
  c->points[2] =
      (kern_calib_point){KERN_CALIB_SAXPY, KERN_CALIB_ONE_CORE, 1, 1 << 20, 1, 6e-4, 6e-4};
}

static void assert_same(const kern_calibration *a, const kern_calibration *b) {
  assert_string_equal(a->fingerprint, b->fingerprint);
  assert_string_equal(a->cpu_model, b->cpu_model);
  assert_string_equal(a->blas, b->blas);
  assert_int_equal(a->cores, b->cores);
  assert_memory_equal(a->fit, b->fit, sizeof a->fit);
  assert_int_equal(a->n_points, b->n_points);
  for (uint32_t i = 0; i < a->n_points; i++) {
    const kern_calib_point *p = &a->points[i], *q = &b->points[i];
    assert_int_equal(p->kind, q->kind);
    assert_int_equal(p->scope, q->scope);
    assert_true(p->m == q->m && p->n == q->n && p->k == q->k);
    assert_true(p->measured_s == q->measured_s && p->model_s == q->model_s);
  }
}

/* ---- a file built from the documented layout, independently of the writer ----------------------
 */
enum { OMIT_NONE, OMIT_FITA, DUP_HOST, EXTRA_SECTION, BAD_UNITS, SHORT_HOST };

static void payload(bytes *p, int variant) {
  bytes host = {0}, f1 = {0}, fa = {0}, pts = {0}, extra = {0};
  host_body(&host);
  if (variant == SHORT_HOST) host.n -= 2;
  fit_body(&f1, variant == BAD_UNITS ? 0 : 1, 4e10);
  fit_body(&fa, 4, 1.6e11);
  points_body(&pts);
  memset(p, 0, sizeof *p);
  section(p, "HOST", &host);
  if (variant == DUP_HOST) section(p, "HOST", &host);
  if (variant == EXTRA_SECTION) le(&extra, 0xdeadbeef, 4), section(p, "COMM", &extra);
  section(p, "FIT1", &f1);
  if (variant != OMIT_FITA) section(p, "FITA", &fa);
  section(p, "PNTS", &pts);
}

static void expect_corrupt(const bytes *f, const char *where, const char *needle) {
  kern_calibration *c = malloc(sizeof *c);
  ts_err err = {0};
  assert_int_equal(kern_calibration_decode("cal.bin", f->b, f->n, c, &err), TS_EINPUT);
  free(c);
  if (!strstr(err.msg, where) || !strstr(err.msg, needle))
    fail_msg("'%s' lacks '%s' or '%s'", err.msg, where, needle);
}

static void test_file_built_from_the_documented_layout_reads_back(void **state) {
  (void)state;
  bytes p, f;
  payload(&p, OMIT_NONE);
  file_of(&p, 1, &f);
  kern_calibration *c = malloc(sizeof *c);
  ts_err err = {0};
  assert_int_equal(kern_calibration_decode("doc", f.b, f.n, c, &err), TS_OK);
  assert_string_equal(c->fingerprint, "fp-doc");
  assert_string_equal(c->cpu_model, "Doc CPU");
  assert_int_equal(c->cores, 4);
  assert_int_equal(c->fit[KERN_CALIB_ALL_CORES].units, 4);
  assert_true(c->fit[KERN_CALIB_ONE_CORE].sgemm_flops_per_s == 4e10);
  assert_int_equal(c->fit[KERN_CALIB_ONE_CORE].tile_m, 8);
  assert_int_equal(c->n_points, 1);
  assert_true(c->points[0].m == 100 && c->points[0].n == 200 && c->points[0].k == 300);
  assert_true(c->points[0].measured_s == 3e-4);
  free(c);
}

static void test_unknown_sections_are_skipped(void **state) {
  (void)state;
  bytes p, f;
  payload(&p, EXTRA_SECTION);
  file_of(&p, 1, &f);
  kern_calibration *c = malloc(sizeof *c);
  ts_err err = {0};
  assert_int_equal(kern_calibration_decode("doc", f.b, f.n, c, &err), TS_OK);
  assert_string_equal(c->fingerprint, "fp-doc");
  free(c);
}

static void test_encode_decode_round_trip(void **state) {
  (void)state;
  kern_calibration *a = malloc(sizeof *a), *b = malloc(sizeof *b);
  sample(a, "host-A");
  unsigned char *data = NULL;
  size_t len = 0;
  ts_err err = {0};
  assert_int_equal(kern_calibration_encode(a, &data, &len, &err), TS_OK);
  assert_memory_equal(data, "TSCALIB", 8);
  assert_int_equal(kern_calibration_decode("mem", data, len, b, &err), TS_OK);
  assert_same(a, b);
  free(data);
  assert_int_equal(kern_calibration_write(a, "calib_roundtrip.bin", &err), TS_OK);
  assert_int_equal(kern_calibration_read("calib_roundtrip.bin", b, &err), TS_OK);
  assert_same(a, b);
  unlink("calib_roundtrip.bin");
  free(a);
  free(b);
}

static void test_corrupt_headers_are_refused_with_offsets(void **state) {
  (void)state;
  bytes p, f;
  payload(&p, OMIT_NONE);
  file_of(&p, 1, &f);
  bytes g = f;
  g.n = 10;
  expect_corrupt(&g, "offset 0", "too short");
  g = f;
  g.b[0] = 'X';
  expect_corrupt(&g, "offset 0", "bad magic");
  file_of(&p, 7, &g);
  expect_corrupt(&g, "offset 8", "version 7");
  g = f;
  g.b[14] = 0x40; /* payload length 4 MiB + ... */
  expect_corrupt(&g, "offset 12", "limit");
  g = f;
  g.b[16] ^= 0xff;
  expect_corrupt(&g, "offset 20", "CRC");
  g = f;
  g.n -= 5;
  expect_corrupt(&g, "offset 20", "corrupt or truncated");
  g = f;
  g.b[12] = (unsigned char)(g.b[12] + 1);
  expect_corrupt(&g, "offset 20", "");
}

static void test_corrupt_payloads_are_refused_with_payload_offsets(void **state) {
  (void)state;
  bytes p, f;
  payload(&p, OMIT_FITA);
  file_of(&p, 1, &f);
  expect_corrupt(&f, "payload offset", "section 'FITA' is missing");
  payload(&p, DUP_HOST);
  file_of(&p, 1, &f);
  expect_corrupt(&f, "payload offset", "appears twice");
  payload(&p, BAD_UNITS);
  file_of(&p, 1, &f);
  expect_corrupt(&f, "payload offset", "fit units out of range");
  payload(&p, SHORT_HOST);
  file_of(&p, 1, &f);
  expect_corrupt(&f, "payload offset", "");
}

static void test_bad_values_from_a_writer_are_refused_on_read(void **state) {
  (void)state;
  kern_calibration *a = malloc(sizeof *a), *b = malloc(sizeof *b);
  unsigned char *data = NULL;
  size_t len = 0;
  ts_err err = {0};
  const char *needles[] = {"sgemm FLOP/s", "measured time", "point kind", "point shape"};
  for (int i = 0; i < 4; i++) {
    sample(a, "host-A");
    if (i == 0) a->fit[1].sgemm_flops_per_s = NAN;
    if (i == 1) a->points[2].measured_s = -1.0;
    if (i == 2) a->points[0].kind = 9;
    if (i == 3) a->points[1].k = 0;
    assert_int_equal(kern_calibration_encode(a, &data, &len, &err), TS_OK);
    assert_int_equal(kern_calibration_decode("bad", data, len, b, &err), TS_EINPUT);
    free(data);
    if (!strstr(err.msg, "payload offset") || !strstr(err.msg, needles[i]))
      fail_msg("'%s' lacks '%s'", err.msg, needles[i]);
  }
  free(a);
  free(b);
}

static void host_system(hw_system *s) {
  memset(s, 0, sizeof *s);
  snprintf(s->name, sizeof s->name, "host");
  s->chip.peak_flops[HW_FP32] = 1e11;
  s->chip.peak_flops[HW_BF16] = 1e11;
  s->chip.hbm_Bps = 1e11;
  s->chip.compute_units = 1;
  s->chip.tile_m = 16, s->chip.tile_n = 4;
  s->chip.kern = (hw_kernel_consts){0.05, 0.8, 0.5, 1e-6};
}

static void test_load_applies_the_one_core_fit_to_the_host(void **state) {
  (void)state;
  kern_calibration *c = malloc(sizeof *c);
  sample(c, "host-A");
  ts_err err = {0};
  assert_int_equal(kern_calibration_write(c, "calib_apply.bin", &err), TS_OK);
  hw_host host = {.cores = 2};
  snprintf(host.fingerprint, sizeof host.fingerprint, "host-A");
  hw_system *s = malloc(sizeof *s);
  host_system(s);
  assert_int_equal(kern_calibration_load("calib_apply.bin", &host, s, &err), TS_OK);
  /* Nominal 100 GFLOP/s above the fitted 50: efficiency 0.5. Bandwidth 100 GB/s, fit 20: 0.2. */
  assert_true(s->chip.peak_flops[HW_FP32] == 1e11);
  assert_true(fabs(s->chip.kern.gemm_efficiency - 0.5) < 1e-12);
  assert_true(fabs(s->chip.kern.attn_efficiency - 0.5) < 1e-12);
  assert_true(fabs(s->chip.kern.mem_efficiency - 0.2) < 1e-12);
  assert_true(s->chip.kern.launch_s == 1.5e-6);
  assert_int_equal(s->chip.compute_units, 1);
  assert_int_equal(s->chip.tile_m, 8);
  assert_int_equal(s->chip.tile_n, 16);
  /* A nominal below the fit: the fit becomes the peak. */
  host_system(s);
  s->chip.peak_flops[HW_FP32] = 1e10;
  kern_calibration_apply(c, s);
  assert_true(s->chip.peak_flops[HW_FP32] == 5e10 && s->chip.kern.gemm_efficiency == 1.0);
  assert_true(s->chip.peak_flops[HW_BF16] == 5e10); /* bf16 runs as fp32 on the host */
  assert_true(s->chip.peak_flops[HW_FP8] == 0.0);   /* a dtype the host does not list stays off */
  unlink("calib_apply.bin");
  free(s);
  free(c);
}

static void test_file_from_another_host_is_refused_naming_both(void **state) {
  (void)state;
  kern_calibration *c = malloc(sizeof *c);
  sample(c, "host-A");
  ts_err err = {0};
  assert_int_equal(kern_calibration_write(c, "calib_other.bin", &err), TS_OK);
  hw_host host = {.cores = 2};
  snprintf(host.fingerprint, sizeof host.fingerprint, "host-B");
  hw_system *s = malloc(sizeof *s);
  host_system(s);
  assert_int_equal(kern_calibration_load("calib_other.bin", &host, s, &err), TS_EINPUT);
  assert_non_null(strstr(err.msg, "'host-A'"));
  assert_non_null(strstr(err.msg, "'host-B'"));
  assert_true(s->chip.kern.gemm_efficiency == 0.05); /* untouched */
  unlink("calib_other.bin");
  free(s);
  free(c);
}

static void test_missing_and_corrupt_files_are_refused_on_load(void **state) {
  (void)state;
  hw_host host = {.cores = 2};
  snprintf(host.fingerprint, sizeof host.fingerprint, "host-A");
  hw_system *s = malloc(sizeof *s);
  host_system(s);
  ts_err err = {0};
  assert_int_equal(kern_calibration_load("calib_missing.bin", &host, s, &err), TS_ENOTFOUND);
  FILE *fp = fopen("calib_garbage.bin", "wb");
  fputs("this is not a calibration file at all", fp);
  fclose(fp);
  assert_int_equal(kern_calibration_load("calib_garbage.bin", &host, s, &err), TS_EINPUT);
  assert_non_null(strstr(err.msg, "calib_garbage.bin: offset 0"));
  unlink("calib_garbage.bin");
  free(s);
}

static void test_default_path_is_under_the_xdg_cache_keyed_by_fingerprint(void **state) {
  (void)state;
  char cwd[2048], dir[2200], want[2400], path[4096];
  assert_non_null(getcwd(cwd, sizeof cwd));
  snprintf(dir, sizeof dir, "%s/calib_cache", cwd);
  setenv("XDG_CACHE_HOME", dir, 1);
  hw_host host = {0};
  snprintf(host.fingerprint, sizeof host.fingerprint, "a"); /* FNV-1a 64 of "a": af63dc4c8601ec8c */
  ts_err err = {0};
  assert_int_equal(kern_calibration_default_path(&host, true, path, sizeof path, &err), TS_OK);
  snprintf(want, sizeof want, "%s/trainsim/calibration-af63dc4c8601ec8c.bin", dir);
  assert_string_equal(path, want);
  struct stat sb;
  snprintf(want, sizeof want, "%s/trainsim", dir);
  assert_int_equal(stat(want, &sb), 0);
  assert_true(S_ISDIR(sb.st_mode));
  rmdir(want);
  rmdir(dir);
  setenv("XDG_CACHE_HOME", "relative/ignored", 1);
  setenv("HOME", "/home/someone", 1);
  assert_int_equal(kern_calibration_default_path(&host, false, path, sizeof path, &err), TS_OK);
  assert_string_equal(path, "/home/someone/.cache/trainsim/calibration-af63dc4c8601ec8c.bin");
  unsetenv("XDG_CACHE_HOME");
  unsetenv("HOME");
  assert_int_equal(kern_calibration_default_path(&host, false, path, sizeof path, &err), TS_EUSAGE);
}

static void test_fit_recovers_known_constants_from_synthetic_measurements(void **state) {
  (void)state;
  /* Measurements made by a 100 GFLOP/s core with 2 us per call and 20 GB/s: shapes that are
   * multiples of every candidate tile, and compute-bound at that bandwidth. */
  kern_calibration *c = malloc(sizeof *c);
  memset(c, 0, sizeof *c);
  static const int64_t SHAPES[][3] = {
      {128, 128, 128}, {256, 256, 256}, {512, 512, 512}, {1024, 1024, 1024}, {128, 1024, 1024}};
  for (int i = 0; i < 5; i++) {
    const int64_t *s = SHAPES[i];
    c->points[c->n_points++] = (kern_calib_point){KERN_CALIB_SGEMM,
                                                  KERN_CALIB_ONE_CORE,
                                                  s[0],
                                                  s[1],
                                                  s[2],
                                                  2.0 * s[0] * s[1] * s[2] / 1e11 + 2e-6,
                                                  0};
  }
  c->points[c->n_points++] = (kern_calib_point){
      KERN_CALIB_SAXPY, KERN_CALIB_ONE_CORE, 1, 1 << 22, 1, 12.0 * (1 << 22) / 2e10, 0};
  ts_err err = {0};
  assert_int_equal(kern_calib_fit_points(c, &err), TS_OK);
  const kern_calib_fit *f = &c->fit[KERN_CALIB_ONE_CORE];
  assert_true(fabs(f->mem_Bps / 2e10 - 1.0) < 1e-9);
  if (fabs(f->sgemm_flops_per_s / 1e11 - 1.0) > 0.03) fail_msg("sgemm %g", f->sgemm_flops_per_s);
  if (f->launch_s < 1e-6 || f->launch_s > 4e-6) fail_msg("launch %g", f->launch_s);
  if (f->worst_error > 0.05) fail_msg("worst error %g", f->worst_error);
  for (uint32_t i = 0; i < c->n_points; i++) assert_true(c->points[i].model_s > 0.0);
  assert_true(c->fit[KERN_CALIB_ALL_CORES].sgemm_flops_per_s > 0.0); /* no points: still valid */
  free(c);
}

typedef struct progress_log {
  int calls, last_done, last_total;
} progress_log;

static void on_progress(void *ctx, int done, int total, const char *what) {
  progress_log *log = ctx;
  assert_non_null(what);
  log->calls++;
  log->last_done = done;
  log->last_total = total;
}

static void test_quick_calibration_measures_and_fits_real_openblas(void **state) {
  (void)state;
  hw_host host = {.cores = 1};
  snprintf(host.fingerprint, sizeof host.fingerprint, "test-host");
  snprintf(host.cpu_model, sizeof host.cpu_model, "test cpu");
  progress_log log = {0};
  kern_calib_options opt = {.quick = true, .progress = on_progress, .progress_ctx = &log};
  kern_calibration *c = malloc(sizeof *c), *back = malloc(sizeof *back);
  ts_err err = {0};
  int threads = openblas_get_num_threads();
  assert_int_equal(kern_calibrate(&host, &opt, c, &err), TS_OK);
  assert_int_equal(openblas_get_num_threads(), threads); /* restored */
  assert_true(c->n_points >= 3);
  assert_int_equal(log.calls, (int)c->n_points + 2); /* each shape, the executor's kernels, done */
  /* the executor's own kernels: every class measured and fitted, each point positive */
  assert_true(c->ops.present);
  assert_int_equal(c->version, 2);
  for (int k = 0; k < KERN_HOST_OP_COUNT; k++) {
    assert_true(c->ops.fit[k].n_points >= 2);
    assert_true(c->ops.fit[k].c[1] > 0.0 || c->ops.fit[k].c[2] > 0.0);
  }
  for (uint32_t i = 0; i < c->ops.n_points; i++)
    assert_true(c->ops.points[i].measured_s > 0.0 && c->ops.points[i].model_s > 0.0);
  assert_int_equal(log.last_done, log.last_total);
  assert_string_equal(c->fingerprint, "test-host");
  for (uint32_t i = 0; i < c->n_points; i++) {
    const kern_calib_point *p = &c->points[i];
    assert_true(p->measured_s > 0.0 && isfinite(p->measured_s));
    assert_true(p->model_s > 0.0 && isfinite(p->model_s));
    /* Loose: the fitted model reproduces each one-core measurement (thread CPU time, so other
     * processes on this machine do not distort it) within a factor of 3. All-core times are
     * wall-clock and at the mercy of the machine's load: only checked for sanity above. */
    double ratio = p->model_s / p->measured_s;
    if (p->scope == KERN_CALIB_ONE_CORE && !(ratio > 1.0 / 3.0 && ratio < 3.0))
      fail_msg("%s %lldx%lldx%lld: model %g s, measured %g s", kern_calib_kind_name(p->kind),
               (long long)p->m, (long long)p->n, (long long)p->k, p->model_s, p->measured_s);
  }
  for (int s = 0; s < KERN_CALIB_SCOPE_COUNT; s++) {
    assert_true(c->fit[s].sgemm_flops_per_s > 0.0 && c->fit[s].mem_Bps > 0.0);
    assert_true(c->fit[s].units >= 1);
  }
  assert_int_equal(kern_calibration_write(c, "calib_quick.bin", &err), TS_OK);
  assert_int_equal(kern_calibration_read("calib_quick.bin", back, &err), TS_OK);
  assert_same(c, back);
  unlink("calib_quick.bin");
  free(c);
  free(back);
}

static void test_kind_and_scope_names(void **state) {
  (void)state;
  assert_string_equal(kern_calib_kind_name(KERN_CALIB_SGEMM), "sgemm");
  assert_string_equal(kern_calib_kind_name(KERN_CALIB_DGEMM), "dgemm");
  assert_string_equal(kern_calib_kind_name(KERN_CALIB_SAXPY), "saxpy");
  assert_string_equal(kern_calib_kind_name((kern_calib_kind)7), "?");
  assert_string_equal(kern_calib_scope_name(KERN_CALIB_ONE_CORE), "1 core");
  assert_string_equal(kern_calib_scope_name(KERN_CALIB_ALL_CORES), "all cores");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_file_built_from_the_documented_layout_reads_back),
      cmocka_unit_test(test_unknown_sections_are_skipped),
      cmocka_unit_test(test_encode_decode_round_trip),
      cmocka_unit_test(test_corrupt_headers_are_refused_with_offsets),
      cmocka_unit_test(test_corrupt_payloads_are_refused_with_payload_offsets),
      cmocka_unit_test(test_bad_values_from_a_writer_are_refused_on_read),
      cmocka_unit_test(test_load_applies_the_one_core_fit_to_the_host),
      cmocka_unit_test(test_file_from_another_host_is_refused_naming_both),
      cmocka_unit_test(test_missing_and_corrupt_files_are_refused_on_load),
      cmocka_unit_test(test_default_path_is_under_the_xdg_cache_keyed_by_fingerprint),
      cmocka_unit_test(test_fit_recovers_known_constants_from_synthetic_measurements),
      cmocka_unit_test(test_quick_calibration_measures_and_fits_real_openblas),
      cmocka_unit_test(test_kind_and_scope_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
