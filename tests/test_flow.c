/* Flow solver: max-min fair rates by progressive filling, on links given as plain arrays. Every
 * expected rate is worked out by hand in the test's comment. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "sim/coll_int.h"

static void solve(const double *cap, int32_t n_links, const int64_t *first, const int32_t *links,
                  int64_t n_flows, double *rate) {
  flow_solver *s = NULL;
  ts_err err = {0};
  assert_int_equal(flow_solver_new(&s, &err), TS_OK);
  flow_problem p = {.n_links = n_links,
                    .link_Bps = cap,
                    .n_flows = n_flows,
                    .flow_first = first,
                    .flow_links = links};
  assert_int_equal(flow_maxmin(s, &p, rate, &err), TS_OK);
  flow_solver_free(s);
}

static void test_two_flows_on_one_link_each_get_half(void **state) {
  (void)state;
  double cap[] = {100e9}, rate[2];
  int64_t first[] = {0, 1, 2};
  int32_t links[] = {0, 0};
  solve(cap, 1, first, links, 2, rate);
  assert_true(rate[0] == 50e9 && rate[1] == 50e9);
}

static void test_lone_flow_gets_its_narrowest_link(void **state) {
  (void)state;
  double cap[] = {100, 30, 60}, rate[1];
  int64_t first[] = {0, 3};
  int32_t links[] = {0, 1, 2};
  solve(cap, 3, first, links, 1, rate);
  assert_true(rate[0] == 30);
}

/* Links L0 = 10, L1 = 3, L2 = 8. Flows A: L0; B: L0+L1; C: L1; D: L1+L2; E: L2.
 * Round 1: shares L0 10/2, L1 3/3, L2 8/2: L1 saturates at level 1, so B = C = D = 1.
 * Round 2: L0 has 10 - 2 = 8 left for A alone, L2 has 8 - 2 = 6 left for E alone: L2 saturates
 *   6 higher, E = 7.  Round 3: L0 saturates 2 higher, A = 9.
 * Check: L0 9 + 1 = 10, L1 1 + 1 + 1 = 3, L2 1 + 7 = 8. */
static void test_maxmin_three_links_worked_by_hand(void **state) {
  (void)state;
  double cap[] = {10, 3, 8}, rate[5];
  int64_t first[] = {0, 1, 3, 4, 6, 7};
  int32_t links[] = {0, 0, 1, 1, 1, 2, 2};
  solve(cap, 3, first, links, 5, rate);
  double want[] = {9, 1, 1, 1, 7};
  for (int f = 0; f < 5; f++) assert_true(fabs(rate[f] - want[f]) < 1e-12);
}

static void test_flow_without_links_is_unbounded(void **state) {
  (void)state;
  double cap[] = {5}, rate[2];
  int64_t first[] = {0, 0, 1};
  int32_t links[] = {0};
  solve(cap, 1, first, links, 2, rate);
  assert_true(isinf(rate[0]) && rate[1] == 5);
}

static void test_bad_capacity_and_link_index_are_errors(void **state) {
  (void)state;
  flow_solver *s = NULL;
  ts_err err = {0};
  assert_int_equal(flow_solver_new(&s, &err), TS_OK);
  double cap[] = {0}, rate[1];
  int64_t first[] = {0, 1};
  int32_t links[] = {0};
  flow_problem p = {
      .n_links = 1, .link_Bps = cap, .n_flows = 1, .flow_first = first, .flow_links = links};
  assert_int_equal(flow_maxmin(s, &p, rate, &err), TS_EINPUT);
  assert_non_null(strstr(err.msg, "link 0 has capacity 0"));
  double ok_cap[] = {1};
  int32_t bad_links[] = {3};
  p = (flow_problem){
      .n_links = 1, .link_Bps = ok_cap, .n_flows = 1, .flow_first = first, .flow_links = bad_links};
  assert_int_equal(flow_maxmin(s, &p, rate, &err), TS_EINPUT);
  assert_non_null(strstr(err.msg, "crosses link 3"));
  flow_solver_free(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_two_flows_on_one_link_each_get_half),
      cmocka_unit_test(test_lone_flow_gets_its_narrowest_link),
      cmocka_unit_test(test_maxmin_three_links_worked_by_hand),
      cmocka_unit_test(test_flow_without_links_is_unbounded),
      cmocka_unit_test(test_bad_capacity_and_link_index_are_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
