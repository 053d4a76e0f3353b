/* Regression inputs (issue 7): every input a fuzz target (tests/fuzz/) found to crash, leak, hit
 * undefined behaviour or break an invariant lives in tests/data/regress/<reader>/, named for what
 * it broke. Each must now be refused cleanly: status with exit code 2, a one-line message, and,
 * where NAME.expected exists, exactly that message. Run under ASan/UBSan and valgrind as well. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "reader_corpus.h"

static void check_folder(const char *reader) {
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/data/regress/%s", TESTS_DIR, reader);
  corpus_result r = corpus_run(dir, reader, false);
  if (r.failures)
    fail_msg("%d of %d inputs failed; first: %s", r.failures, r.inputs, r.first_failure);
  assert_true(r.inputs >= 1);
}

static void test_regress_chip_inputs_are_refused_cleanly(void **state) {
  (void)state;
  check_folder("chip");
}

static void test_regress_system_inputs_are_refused_cleanly(void **state) {
  (void)state;
  check_folder("system");
}

static void test_regress_model_inputs_are_refused_cleanly(void **state) {
  (void)state;
  check_folder("model");
}

static void test_regress_inline_model_inputs_are_refused_cleanly(void **state) {
  (void)state;
  check_folder("model_inline");
}

static void test_regress_plan_inputs_are_refused_cleanly(void **state) {
  (void)state;
  check_folder("plan");
}

static void test_regress_kernel_table_inputs_are_refused_cleanly(void **state) {
  (void)state;
  check_folder("kernel_table");
}

static void test_regress_calibration_inputs_are_refused_cleanly(void **state) {
  (void)state;
  check_folder("calibration");
}

static void test_regress_validation_csv_inputs_are_refused_cleanly(void **state) {
  (void)state;
  check_folder("validate");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_regress_chip_inputs_are_refused_cleanly),
      cmocka_unit_test(test_regress_system_inputs_are_refused_cleanly),
      cmocka_unit_test(test_regress_model_inputs_are_refused_cleanly),
      cmocka_unit_test(test_regress_inline_model_inputs_are_refused_cleanly),
      cmocka_unit_test(test_regress_plan_inputs_are_refused_cleanly),
      cmocka_unit_test(test_regress_kernel_table_inputs_are_refused_cleanly),
      cmocka_unit_test(test_regress_calibration_inputs_are_refused_cleanly),
      cmocka_unit_test(test_regress_validation_csv_inputs_are_refused_cleanly),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
