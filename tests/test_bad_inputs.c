/* The malformed-input corpus (issue 7): tests/data/bad/<reader>/NAME.<ext> holds inputs that break
 * one rule each, NAME.expected the exact one-line message the reader must give (exit code 2).
 * tests/data/bad/make_bad.py writes the inputs; the messages were checked by hand against what
 * each input breaks. Every input must be refused with exactly its message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "reader_corpus.h"

static void check_folder(const char *reader, int min_inputs) {
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/data/bad/%s", TESTS_DIR, reader);
  corpus_result r = corpus_run(dir, reader, true);
  if (r.failures)
    fail_msg("%d of %d inputs failed; first: %s", r.failures, r.inputs, r.first_failure);
  assert_true(r.inputs >= min_inputs);
  assert_int_equal(r.checked_messages, r.inputs);
}

static void test_bad_chip_descriptors_give_their_messages(void **state) {
  (void)state;
  check_folder("chip", 20);
}

static void test_bad_system_descriptors_give_their_messages(void **state) {
  (void)state;
  check_folder("system", 20);
}

static void test_bad_model_files_give_their_messages(void **state) {
  (void)state;
  check_folder("model", 20);
}

static void test_bad_inline_models_give_their_messages(void **state) {
  (void)state;
  check_folder("model_inline", 10);
}

static void test_bad_plans_give_their_messages(void **state) {
  (void)state;
  check_folder("plan", 30);
}

static void test_bad_kernel_tables_give_their_messages(void **state) {
  (void)state;
  check_folder("kernel_table", 20);
}

static void test_bad_calibration_files_give_their_messages(void **state) {
  (void)state;
  check_folder("calibration", 20);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bad_chip_descriptors_give_their_messages),
      cmocka_unit_test(test_bad_system_descriptors_give_their_messages),
      cmocka_unit_test(test_bad_model_files_give_their_messages),
      cmocka_unit_test(test_bad_inline_models_give_their_messages),
      cmocka_unit_test(test_bad_plans_give_their_messages),
      cmocka_unit_test(test_bad_kernel_tables_give_their_messages),
      cmocka_unit_test(test_bad_calibration_files_give_their_messages),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
