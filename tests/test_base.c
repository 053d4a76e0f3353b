/* Base utilities: error records, strict number parsing, whole-or-nothing files, YAML with lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <signal.h>
#include <unistd.h>

#include "hw/base/ts_err.h"
#include "hw/base/ts_io.h"
#include "hw/base/ts_yaml.h"

static void test_input_errors_exit_2_and_run_errors_exit_1(void **state) {
  (void)state;
  assert_int_equal(ts_status_exit_code(TS_OK), 0);
  assert_int_equal(ts_status_exit_code(TS_EINPUT), 2);
  assert_int_equal(ts_status_exit_code(TS_EUSAGE), 2);
  assert_int_equal(ts_status_exit_code(TS_EIO), 1);
  ts_err err = {0};
  assert_int_equal(ts_fail(&err, TS_EINPUT, "field '%s': bad", "x"), TS_EINPUT);
  ts_err_prefix(&err, "%s", "file.yaml");
  assert_string_equal(err.msg, "file.yaml: field 'x': bad");
}

static void test_numbers_must_be_whole_and_finite(void **state) {
  (void)state;
  double d;
  long long i;
  assert_true(ts_parse_double("1.5e3", &d));
  assert_true(d == 1500.0);
  assert_false(ts_parse_double("nan", &d));
  assert_false(ts_parse_double("inf", &d));
  assert_false(ts_parse_double("1e999", &d));
  assert_false(ts_parse_double("12abc", &d));
  assert_false(ts_parse_double("", &d));
  assert_true(ts_parse_int64("2048", &i));
  assert_int_equal(i, 2048);
  assert_true(ts_parse_int64("1e9", &i));
  assert_int_equal(i, 1000000000);
  assert_false(ts_parse_int64("1.5", &i));
  assert_false(ts_parse_int64("99999999999999999999", &i));
}

static void test_atomic_write_replaces_whole_file(void **state) {
  (void)state;
  char path[] = "/tmp/ts_io_testXXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  ts_err err = {0};
  assert_int_equal(ts_write_file_atomic(path, "hello", 5, &err), TS_OK);
  char *data;
  size_t len;
  assert_int_equal(ts_read_file(path, 100, &data, &len, &err), TS_OK);
  assert_int_equal(len, 5);
  assert_string_equal(data, "hello");
  free(data);
  assert_int_equal(ts_read_file(path, 3, &data, &len, &err), TS_EINPUT);
  assert_non_null(strstr(err.msg, "larger than the limit"));
  unlink(path);
}

static void test_failed_write_keeps_old_file(void **state) {
  (void)state;
  char path[] = "/tmp/ts_io_testXXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, "old", 3), 3);
  close(fd);
  /* A file-size limit makes the write fail like a full disk would. */
  struct rlimit old_limit, small = {.rlim_cur = 1024, .rlim_max = RLIM_INFINITY};
  getrlimit(RLIMIT_FSIZE, &old_limit);
  small.rlim_max = old_limit.rlim_max;
  signal(SIGXFSZ, SIG_IGN);
  assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
  size_t big = 1 << 20;
  char *buf = calloc(1, big);
  ts_err err = {0};
  ts_status st = ts_write_file_atomic(path, buf, big, &err);
  setrlimit(RLIMIT_FSIZE, &old_limit);
  free(buf);
  assert_int_equal(st, TS_EIO);
  assert_non_null(strstr(err.msg, "old file left untouched"));
  char *data;
  size_t len;
  assert_int_equal(ts_read_file(path, 100, &data, &len, &err), TS_OK);
  assert_string_equal(data, "old");
  free(data);
  unlink(path);
}

static const char DOC[] =
    "name: h100\n"
    "peak:\n"
    "  bf16: 989\n"
    "  fp8: nan\n"
    "list: [1, 2, 3]\n"
    "flag: yes\n";

static void test_yaml_errors_name_file_line_and_field(void **state) {
  (void)state;
  ts_yaml *y;
  ts_err err = {0};
  assert_int_equal(ts_yaml_load_string("doc.yaml", DOC, strlen(DOC), &y, &err), TS_OK);
  ts_ynode root = ts_yaml_root(y);
  char name[16];
  assert_int_equal(ts_yaml_req_str(y, root, "name", name, sizeof name, &err), TS_OK);
  assert_string_equal(name, "h100");
  ts_ynode peak = ts_yaml_get(y, root, "peak");
  assert_int_equal(ts_yaml_line(y, peak), 3);
  double v;
  assert_int_equal(ts_yaml_req_double(y, peak, "bf16", &v, &err), TS_OK);
  assert_true(v == 989.0);
  assert_int_equal(ts_yaml_req_double(y, peak, "fp8", &v, &err), TS_EINPUT);
  assert_string_equal(err.msg, "doc.yaml:4: field 'fp8': expected a finite number, got 'nan'");
  assert_int_equal(ts_yaml_req_double(y, peak, "fp4", &v, &err), TS_EINPUT);
  assert_string_equal(err.msg, "doc.yaml:3: missing required field 'fp4'");
  bool b;
  assert_int_equal(ts_yaml_req_bool(y, root, "flag", &b, &err), TS_EINPUT);
  assert_int_equal(ts_yaml_seq_len(y, ts_yaml_get(y, root, "list")), 3);
  static const char *const allowed[] = {"name", "peak", "list", NULL};
  assert_int_equal(ts_yaml_check_keys(y, root, allowed, "chip", &err), TS_EINPUT);
  assert_string_equal(err.msg, "doc.yaml:6: chip: unknown field 'flag'");
  ts_yaml_free(y);
}

static void test_yaml_duplicate_keys_and_syntax_errors(void **state) {
  (void)state;
  ts_yaml *y;
  ts_err err = {0};
  const char dup[] = "a: 1\nb: 2\na: 3\n";
  assert_int_equal(ts_yaml_load_string("d.yaml", dup, strlen(dup), &y, &err), TS_OK);
  static const char *const allowed[] = {"a", "b", NULL};
  assert_int_equal(ts_yaml_check_keys(y, ts_yaml_root(y), allowed, "x", &err), TS_EINPUT);
  assert_string_equal(err.msg, "d.yaml:3: x: duplicate field 'a'");
  ts_yaml_free(y);
  const char bad[] = "a: [1, 2\nb: 3\n";
  assert_int_equal(ts_yaml_load_string("bad.yaml", bad, strlen(bad), &y, &err), TS_EINPUT);
  assert_non_null(strstr(err.msg, "bad.yaml:"));
  assert_int_equal(ts_yaml_load_string("e.yaml", "", 0, &y, &err), TS_EINPUT);
  assert_string_equal(err.msg, "e.yaml:1: empty document");
  assert_int_equal(ts_yaml_load_string("z.yaml", "a\0b", 3, &y, &err), TS_EINPUT);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_input_errors_exit_2_and_run_errors_exit_1),
      cmocka_unit_test(test_numbers_must_be_whole_and_finite),
      cmocka_unit_test(test_atomic_write_replaces_whole_file),
      cmocka_unit_test(test_failed_write_keeps_old_file),
      cmocka_unit_test(test_yaml_errors_name_file_line_and_field),
      cmocka_unit_test(test_yaml_duplicate_keys_and_syntax_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
