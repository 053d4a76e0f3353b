/* Tests of the event queue and the match table of the discrete-event core (sim/engine.c,
 * sim/match.c): order by time then insertion, pool reuse and growth, and the hash table's
 * insert/find/remove against a plain list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim/engine_int.h"

static void test_queue_pops_in_time_order(void **state) {
  (void)state;
  sim_engine e;
  assert_int_equal(sim_engine_init(&e, 16, NULL), TS_OK);
  const sim_ps times[] = {50, 10, 40, 20, 30};
  for (uint32_t i = 0; i < 5; i++) assert_true(sim_engine_schedule(&e, times[i], 1, i, 0, 0, 0));
  const sim_ps want[] = {10, 20, 30, 40, 50};
  const uint32_t want_a[] = {1, 3, 4, 2, 0};
  sim_event ev;
  for (int i = 0; i < 5; i++) {
    assert_true(sim_engine_pop(&e, &ev));
    assert_int_equal(ev.time, want[i]);
    assert_int_equal(ev.a, want_a[i]);
    assert_int_equal(e.now, want[i]);
  }
  assert_false(sim_engine_pop(&e, &ev));
  assert_int_equal(e.processed, 5);
  sim_engine_fini(&e);
}

static void test_queue_breaks_ties_by_insertion_order(void **state) {
  (void)state;
  sim_engine e;
  assert_int_equal(sim_engine_init(&e, 4, NULL), TS_OK);
  /* 100 events at three times, interleaved: each time's events come out in insertion order */
  for (uint32_t i = 0; i < 100; i++)
    assert_true(sim_engine_schedule(&e, (sim_ps)(i % 3), 7, i, 0, 0, 0));
  sim_event ev;
  uint32_t last[3] = {0, 0, 0};
  bool seen[3] = {false, false, false};
  sim_ps prev_time = 0;
  for (int i = 0; i < 100; i++) {
    assert_true(sim_engine_pop(&e, &ev));
    assert_true(ev.time >= prev_time);
    prev_time = ev.time;
    if (seen[ev.time]) assert_true(ev.a > last[ev.time]);
    seen[ev.time] = true;
    last[ev.time] = ev.a;
    assert_int_equal(ev.a % 3, (uint32_t)ev.time);
    assert_int_equal(ev.type, 7);
  }
  sim_engine_fini(&e);
}

typedef struct ref_event {
  sim_ps time;
  uint32_t id;
} ref_event;

static int cmp_ref(const void *x, const void *y) {
  const ref_event *a = x, *b = y;
  if (a->time != b->time) return a->time < b->time ? -1 : 1;
  return (a->id > b->id) - (a->id < b->id);
}

static void test_queue_matches_a_stable_sort_while_growing_and_reusing(void **state) {
  (void)state;
  sim_engine e;
  assert_int_equal(sim_engine_init(&e, 16, NULL), TS_OK); /* grows past 16 */
  enum { N = 5000 };
  ref_event *ref = malloc(N * sizeof *ref);
  uint64_t x = 12345;
  uint32_t id = 0, n_ref = 0, popped = 0;
  sim_ps now = 0;
  /* hold model: keep ~1000 pending; ids are insertion order, so the oracle is (time, id) */
  for (int round = 0; round < 2 * N && id < N; round++) {
    if (sim_engine_pending(&e) < 1000) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      sim_ps t = now + (sim_ps)((x >> 33) % 64);
      assert_true(sim_engine_schedule(&e, t, 1, id, 0, 0, 0));
      ref[n_ref++] = (ref_event){t, id++};
    } else {
      sim_event ev;
      assert_true(sim_engine_pop(&e, &ev));
      assert_true(ev.time >= now);
      now = ev.time;
      popped++;
    }
  }
  sim_event ev;
  while (sim_engine_pop(&e, &ev)) popped++;
  assert_int_equal(popped, n_ref);
  assert_true(e.pool_cap >= 1000);
  sim_engine_fini(&e);
  /* the same events scheduled at once pop exactly in stable-sort order */
  assert_int_equal(sim_engine_init(&e, 16, NULL), TS_OK);
  for (uint32_t i = 0; i < n_ref; i++)
    assert_true(sim_engine_schedule(&e, ref[i].time, 1, ref[i].id, 0, 0, 0));
  qsort(ref, n_ref, sizeof *ref, cmp_ref);
  for (uint32_t i = 0; i < n_ref; i++) {
    assert_true(sim_engine_pop(&e, &ev));
    assert_int_equal(ev.time, ref[i].time);
    assert_int_equal(ev.a, ref[i].id);
  }
  sim_engine_fini(&e);
  free(ref);
}

static void expect_pop(sim_engine *e, sim_ps time, uint32_t id) {
  sim_event ev;
  assert_true(sim_engine_pop(e, &ev));
  assert_int_equal(ev.time, time);
  assert_int_equal(ev.a, id);
}

static void test_queue_runs_of_equal_times_keep_insertion_order(void **state) {
  (void)state;
  sim_engine e;
  assert_int_equal(sim_engine_init(&e, 16, NULL), TS_OK);
  /* A, B back to back at 5 share a node; C at 3 closes that run; D, E at 5 form a second one */
  const sim_ps t[] = {5, 5, 3, 5, 5};
  for (uint32_t i = 0; i < 5; i++) assert_true(sim_engine_schedule(&e, t[i], 1, i, 0, 0, 0));
  expect_pop(&e, 3, 2);
  expect_pop(&e, 5, 0);
  /* scheduled now for time 5: after everything already pending at 5 */
  assert_true(sim_engine_schedule(&e, 5, 1, 5, 0, 0, 0));
  assert_true(sim_engine_schedule(&e, 4, 1, 6, 0, 0, 0)); /* earlier than the rest */
  assert_true(sim_engine_schedule(&e, 5, 1, 7, 0, 0, 0));
  expect_pop(&e, 4, 6);
  expect_pop(&e, 5, 1);
  expect_pop(&e, 5, 3);
  expect_pop(&e, 5, 4);
  expect_pop(&e, 5, 5);
  expect_pop(&e, 5, 7);
  assert_int_equal(sim_engine_pending(&e), 0);
  /* the open run was consumed: a new event at the same time starts a new node */
  assert_true(sim_engine_schedule(&e, 5, 1, 8, 0, 0, 0));
  assert_true(sim_engine_schedule(&e, 2, 1, 9, 0, 0, 0));
  expect_pop(&e, 2, 9);
  expect_pop(&e, 5, 8);
  sim_engine_fini(&e);
}

static void test_queue_payload_survives_inline(void **state) {
  (void)state;
  sim_engine e;
  assert_int_equal(sim_engine_init(&e, 16, NULL), TS_OK);
  assert_true(sim_engine_schedule(&e, 5, 2, 0xdeadbeef, 17, 99, 3));
  sim_event ev;
  assert_true(sim_engine_pop(&e, &ev));
  assert_int_equal(ev.type, 2);
  assert_int_equal(ev.a, 0xdeadbeef);
  assert_int_equal(ev.b, 17);
  assert_int_equal(ev.c, 99);
  assert_int_equal(ev.d, 3);
  sim_engine_fini(&e);
}

static void test_match_table_inserts_finds_and_removes_like_a_list(void **state) {
  (void)state;
  sim_match m;
  assert_int_equal(sim_match_init(&m, 4, NULL), TS_OK);
  enum { N = 3000 };
  bool present[N] = {false};
  uint64_t x = 99;
  for (int step = 0; step < 20000; step++) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    uint32_t k = (uint32_t)((x >> 33) % N);
    bool created;
    sim_match_entry *e = sim_match_get(&m, SIM_MATCH_KEY | k, k * 7ull, &created);
    assert_non_null(e);
    assert_int_equal(created, !present[k]);
    if (created) {
      e->count = k;
      present[k] = true;
    } else {
      assert_int_equal(e->count, k);
      if ((x >> 20) & 1) {
        sim_match_remove(&m, e);
        present[k] = false;
      }
    }
  }
  uint32_t n = 0;
  for (int k = 0; k < N; k++) n += present[k];
  assert_int_equal(m.n, n);
  for (uint32_t k = 0; k < N; k++) { /* every present key still found with its value */
    if (!present[k]) continue;
    bool created;
    sim_match_entry *e = sim_match_get(&m, SIM_MATCH_KEY | k, k * 7ull, &created);
    assert_false(created);
    assert_int_equal(e->count, k);
  }
  sim_match_fini(&m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_queue_pops_in_time_order),
      cmocka_unit_test(test_queue_breaks_ties_by_insertion_order),
      cmocka_unit_test(test_queue_matches_a_stable_sort_while_growing_and_reusing),
      cmocka_unit_test(test_queue_runs_of_equal_times_keep_insertion_order),
      cmocka_unit_test(test_queue_payload_survives_inline),
      cmocka_unit_test(test_match_table_inserts_finds_and_removes_like_a_list),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
