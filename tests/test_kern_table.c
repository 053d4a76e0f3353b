/* Kernel table (sim/kern_table.c): the CSV of measured kernel times, its override of the model,
 * and every way a row can be refused (each names file:line). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sim/sim.h"

static const char HEADER[] = "op,dtype,m,n,k,bytes,seconds\n";

typedef struct csv_path {
  char s[256];
} csv_path;

/* Writes text to a file named after the test in the working folder; returns the path. */
static csv_path write_csv(const char *name, const char *text) {
  csv_path path;
  snprintf(path.s, sizeof path.s, "kt_%s.csv", name);
  FILE *fp = fopen(path.s, "wb");
  assert_non_null(fp);
  fwrite(text, 1, strlen(text), fp);
  fclose(fp);
  return path;
}

static kern_table *load_ok(const char *name, const char *text) {
  kern_table *kt = NULL;
  ts_err err = {0};
  csv_path path = write_csv(name, text);
  ts_status st = kern_table_load(path.s, &kt, &err);
  unlink(path.s);
  if (st) fail_msg("load failed: %s", err.msg);
  assert_non_null(kt);
  return kt;
}

/* Loads text, expects TS_EINPUT with "kt_<name>.csv:<line>:" and `needle` in the message. */
static void expect_error(const char *name, const char *text, int line, const char *needle) {
  kern_table *kt = (kern_table *)1;
  ts_err err = {0};
  csv_path path = write_csv(name, text);
  ts_status st = kern_table_load(path.s, &kt, &err);
  unlink(path.s);
  assert_int_equal(st, TS_EINPUT);
  assert_null(kt);
  char where[128];
  snprintf(where, sizeof where, "kt_%s.csv:%d: ", name, line);
  if (strncmp(err.msg, where, strlen(where)) != 0)
    fail_msg("'%s' does not start with '%s'", err.msg, where);
  if (!strstr(err.msg, needle)) fail_msg("'%s' does not mention '%s'", err.msg, needle);
}

static void test_rows_are_found_by_their_keys(void **state) {
  (void)state;
  kern_table *kt = load_ok("find",
                           "op,dtype,m,n,k,bytes,seconds\n"
                           "gemm,bf16,4096,1024,512,,1.5e-4\n"
                           "norm,bf16,,,,33554432,2e-5\n"
                           "gemm,fp32,4096,1024,512,0,3e-4\n");
  assert_int_equal(kern_table_rows(kt), 3);
  double s = 0;
  assert_true(kern_table_find(kt, TRACE_OP_GEMM, HW_BF16, 4096, 1024, 512, 0, &s));
  assert_true(s == 1.5e-4);
  assert_true(kern_table_find(kt, TRACE_OP_GEMM, HW_FP32, 4096, 1024, 512, 0, &s));
  assert_true(s == 3e-4);
  assert_true(kern_table_find(kt, TRACE_OP_NORM, HW_BF16, 0, 0, 0, 33554432.0, &s));
  assert_true(s == 2e-5);
  assert_false(
      kern_table_find(kt, TRACE_OP_GEMM, HW_BF16, 4096, 512, 1024, 0, &s)); /* M,N,K order */
  assert_false(kern_table_find(kt, TRACE_OP_NORM, HW_FP32, 0, 0, 0, 33554432.0, &s));
  assert_false(kern_table_find(kt, TRACE_OP_NORM, HW_BF16, 0, 0, 0, 33554433.0, &s));
  assert_false(kern_table_find(NULL, TRACE_OP_NORM, HW_BF16, 0, 0, 0, 33554432.0, &s));
  kern_table_free(kt);
}

static void test_spaces_blank_lines_and_crlf_are_accepted(void **state) {
  (void)state;
  kern_table *kt = load_ok("lenient",
                           "op,dtype,m,n,k,bytes,seconds\r\n"
                           "\r\n"
                           " gemm , bf16 , 8 , 16 , 32 , , 1e-6 \r\n"
                           "\n");
  double s = 0;
  assert_int_equal(kern_table_rows(kt), 1);
  assert_true(kern_table_find(kt, TRACE_OP_GEMM, HW_BF16, 8, 16, 32, 0, &s));
  assert_true(s == 1e-6);
  kern_table_free(kt);
}

static void test_table_overrides_the_model_for_covered_ops_only(void **state) {
  (void)state;
  kern_table *kt = load_ok("override",
                           "op,dtype,m,n,k,bytes,seconds\n"
                           "gemm,bf16,1024,1024,1024,,0.002\n"
                           "elementwise,bf16,,,,1000,0.5\n");
  hw_chip c;
  memset(&c, 0, sizeof c);
  c.peak_flops[HW_BF16] = 1e14;
  c.hbm_Bps = 1e12;
  c.compute_units = 1, c.tile_m = 1, c.tile_n = 1;
  trace_op gemm = {.kind = TRACE_OP_GEMM,
                   .dtype = HW_BF16,
                   .m = 1024,
                   .n = 1024,
                   .k = 1024,
                   .count = 3,
                   .flops = 3 * 2.0 * 1024 * 1024 * 1024};
  kern_estimate e = kern_op(&c, &gemm, kt);
  assert_true(fabs(e.seconds - 3 * 0.002) < 1e-15); /* a row is one product; count 3 */
  assert_int_equal(e.bound, KERN_BOUND_TABLE);
  assert_true(fabs(e.flops_per_s - gemm.flops / 0.006) < 1.0);
  gemm.k = 2048; /* not in the table: the model, 2*1024*1024*2048 / 1e14 per product */
  e = kern_op(&c, &gemm, kt);
  assert_int_not_equal(e.bound, KERN_BOUND_TABLE);
  assert_true(fabs(e.seconds - 3 * 2.0 * 1024 * 1024 * 2048 / 1e14) < 1e-12);
  trace_op ew = {.kind = TRACE_OP_ELEMENTWISE, .dtype = HW_BF16, .count = 1, .bytes = 1000};
  e = kern_op(&c, &ew, kt);
  assert_true(e.seconds == 0.5);
  assert_int_equal(e.bound, KERN_BOUND_TABLE);
  ew.kind = TRACE_OP_NORM; /* same bytes, other op: the model (1000 B / 1e12) */
  e = kern_op(&c, &ew, kt);
  assert_true(fabs(e.seconds - 1e-9) < 1e-18);
  kern_table_free(kt);
}

static void test_header_only_table_is_empty(void **state) {
  (void)state;
  kern_table *kt = load_ok("empty", HEADER);
  assert_int_equal(kern_table_rows(kt), 0);
  kern_table_free(kt);
}

static void test_wrong_header_is_refused(void **state) {
  (void)state;
  expect_error("header", "op,dtype,m,n,k,seconds\ngemm,bf16,1,1,1,0.1\n", 1,
               "header must be exactly");
  expect_error("noheader", "", 1, "empty file");
}

static void test_wrong_column_count_is_refused(void **state) {
  (void)state;
  expect_error("few", "op,dtype,m,n,k,bytes,seconds\ngemm,bf16,1,1,1,0.1\n", 2,
               "expected 7 columns");
  expect_error("many", "op,dtype,m,n,k,bytes,seconds\n\ngemm,bf16,1,1,1,,0.1,9\n", 3,
               "expected 7 columns");
}

static void test_unknown_op_is_refused(void **state) {
  (void)state;
  expect_error("op", "op,dtype,m,n,k,bytes,seconds\nmatmul,bf16,1,1,1,,0.1\n", 2,
               "unknown op 'matmul'");
}

static void test_collective_op_is_refused(void **state) {
  (void)state;
  expect_error("comm", "op,dtype,m,n,k,bytes,seconds\nall_reduce,bf16,,,,1024,0.1\n", 2,
               "collective");
}

static void test_unknown_dtype_is_refused(void **state) {
  (void)state;
  expect_error("dtype", "op,dtype,m,n,k,bytes,seconds\ngemm,int8,1,1,1,,0.1\n", 2,
               "unknown dtype 'int8'");
}

static void test_bad_gemm_shape_is_refused(void **state) {
  (void)state;
  expect_error("m0", "op,dtype,m,n,k,bytes,seconds\ngemm,bf16,0,1,1,,0.1\n", 2,
               "m must be an integer");
  expect_error("nx", "op,dtype,m,n,k,bytes,seconds\ngemm,bf16,1,x,1,,0.1\n", 2,
               "n must be an integer");
  expect_error("kempty", "op,dtype,m,n,k,bytes,seconds\ngemm,bf16,1,1,,,0.1\n", 2,
               "k must be an integer");
}

static void test_bad_bytes_are_refused(void **state) {
  (void)state;
  expect_error("bneg", "op,dtype,m,n,k,bytes,seconds\nnorm,bf16,,,,-5,0.1\n", 2, "bytes must be");
  expect_error("bempty", "op,dtype,m,n,k,bytes,seconds\nnorm,bf16,,,,,0.1\n", 2, "bytes must be");
}

static void test_negative_or_nan_seconds_are_refused(void **state) {
  (void)state;
  expect_error("sneg", "op,dtype,m,n,k,bytes,seconds\ngemm,bf16,1,1,1,,-0.1\n", 2,
               "seconds must be");
  expect_error("snan", "op,dtype,m,n,k,bytes,seconds\ngemm,bf16,1,1,1,,nan\n", 2,
               "seconds must be");
  expect_error("sinf", "op,dtype,m,n,k,bytes,seconds\nnorm,bf16,,,,8,inf\n", 2, "seconds must be");
  expect_error("stext", "op,dtype,m,n,k,bytes,seconds\nnorm,bf16,,,,8,fast\n", 2,
               "seconds must be");
}

static void test_duplicate_key_is_refused_naming_both_lines(void **state) {
  (void)state;
  expect_error("dup",
               "op,dtype,m,n,k,bytes,seconds\n"
               "gemm,bf16,8,8,8,,0.1\n"
               "norm,bf16,,,,64,0.1\n"
               "gemm,bf16,8,8,8,123,0.2\n",
               4, "duplicate key");
  expect_error("dup2",
               "op,dtype,m,n,k,bytes,seconds\n"
               "norm,bf16,1,2,3,64,0.1\n"
               "norm,bf16,4,5,6,64,0.2\n",
               3, "as line 2");
}

static void test_missing_file_and_nul_bytes_are_refused(void **state) {
  (void)state;
  kern_table *kt = NULL;
  ts_err err = {0};
  assert_int_equal(kern_table_load("kt_does_not_exist.csv", &kt, &err), TS_EINPUT);
  assert_non_null(strstr(err.msg, "kt_does_not_exist.csv"));
  FILE *fp = fopen("kt_nul.csv", "wb");
  assert_non_null(fp);
  fwrite("op,dtype,m,n,k,bytes,seconds\n\0", 1, 30, fp);
  fclose(fp);
  assert_int_equal(kern_table_load("kt_nul.csv", &kt, &err), TS_EINPUT);
  assert_non_null(strstr(err.msg, "NUL"));
  unlink("kt_nul.csv");
}

static void test_lookup_is_deterministic_over_many_rows(void **state) {
  (void)state;
  char text[64 * 1024];
  size_t n = (size_t)snprintf(text, sizeof text, "%s", HEADER);
  for (int i = 999; i >= 0; i--) /* reverse order: the loader sorts */
    n += (size_t)snprintf(text + n, sizeof text - n, "gemm,bf16,%d,64,64,,%d\n", i + 1, i + 1);
  kern_table *kt = load_ok("many", text);
  assert_int_equal(kern_table_rows(kt), 1000);
  for (int i = 1; i <= 1000; i++) {
    double s = 0;
    assert_true(kern_table_find(kt, TRACE_OP_GEMM, HW_BF16, i, 64, 64, 0, &s));
    assert_true(s == (double)i);
  }
  kern_table_free(kt);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rows_are_found_by_their_keys),
      cmocka_unit_test(test_spaces_blank_lines_and_crlf_are_accepted),
      cmocka_unit_test(test_table_overrides_the_model_for_covered_ops_only),
      cmocka_unit_test(test_header_only_table_is_empty),
      cmocka_unit_test(test_wrong_header_is_refused),
      cmocka_unit_test(test_wrong_column_count_is_refused),
      cmocka_unit_test(test_unknown_op_is_refused),
      cmocka_unit_test(test_collective_op_is_refused),
      cmocka_unit_test(test_unknown_dtype_is_refused),
      cmocka_unit_test(test_bad_gemm_shape_is_refused),
      cmocka_unit_test(test_bad_bytes_are_refused),
      cmocka_unit_test(test_negative_or_nan_seconds_are_refused),
      cmocka_unit_test(test_duplicate_key_is_refused_naming_both_lines),
      cmocka_unit_test(test_missing_file_and_nul_bytes_are_refused),
      cmocka_unit_test(test_lookup_is_deterministic_over_many_rows),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
