/* The in-memory trace: construction, names, the totals of trace_summarize (hand counts of the
 * fixture) and trace_validate catching each kind of inconsistency with its exact message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_fixture.h"
#include "traces/trace.h"

static void test_names_round_trip_through_parse(void **state) {
  (void)state;
  for (int k = 0; k < TRACE_OP_KIND_COUNT; k++) {
    trace_op_kind back;
    assert_true(trace_op_kind_parse(trace_op_kind_name((trace_op_kind)k), &back));
    assert_int_equal(back, k);
  }
  for (int p = 0; p < TRACE_PHASE_COUNT; p++) {
    trace_phase back;
    assert_true(trace_phase_parse(trace_phase_name((trace_phase)p), &back));
    assert_int_equal(back, p);
  }
  for (int s = 0; s < TRACE_STREAM_COUNT; s++) {
    trace_stream back;
    assert_true(trace_stream_parse(trace_stream_name((trace_stream)s), &back));
    assert_int_equal(back, s);
  }
  assert_string_equal(trace_op_kind_name(TRACE_OP_REDUCE_SCATTER), "reduce_scatter");
  assert_string_equal(trace_phase_name(TRACE_PHASE_OPTIMIZER), "optim");
  assert_string_equal(trace_stream_name(TRACE_STREAM_PP_RECV), "pp_recv");
  trace_op_kind k;
  assert_false(trace_op_kind_parse("matmul", &k));
}

static void test_comm_kinds_are_the_collectives_and_p2p(void **state) {
  (void)state;
  assert_false(trace_op_is_comm(TRACE_OP_GEMM));
  assert_false(trace_op_is_comm(TRACE_OP_OPTIMIZER));
  assert_true(trace_op_is_comm(TRACE_OP_ALL_REDUCE));
  assert_true(trace_op_is_comm(TRACE_OP_ALL_TO_ALL));
  assert_true(trace_op_is_comm(TRACE_OP_SEND));
  assert_true(trace_op_is_comm(TRACE_OP_RECV));
}

static void test_fixture_is_valid_and_deps_are_stored_in_order(void **state) {
  (void)state;
  trace *t = fix_trace();
  ts_err err = {0};
  assert_int_equal(trace_validate(t, &err), TS_OK);
  assert_int_equal(t->n_classes, 2);
  assert_int_equal(t->classes[0].n_ops, 9);
  assert_int_equal(t->classes[1].n_ops, 7);
  assert_int_equal(t->classes[0].n_deps, 8); /* ops 1..8 one dep each, op 6 two, op 5 none */
  assert_int_equal(t->classes[0].ops[6].dep_first, 4); /* ops 1..4 one dep each, op 5 none */
  assert_int_equal(t->classes[0].ops[6].dep_count, 2);
  assert_int_equal(t->classes[0].deps[5], 5);
  trace_free(t);
}

static void test_add_op_refuses_forward_deps_and_bad_class(void **state) {
  (void)state;
  trace *t = fix_trace();
  trace_op o = fix_op(TRACE_OP_NORM, TRACE_PHASE_FORWARD, 0);
  uint32_t dep = 9; /* class 0 has ops 0..8: 9 would be the op itself */
  assert_int_equal(trace_add_op(t, 0, &o, &dep, 1), -1);
  assert_int_equal(trace_add_op(t, 2, &o, NULL, 0), -1);
  assert_int_equal(trace_add_op(t, -1, &o, NULL, 0), -1);
  dep = 8;
  assert_int_equal(trace_add_op(t, 0, &o, &dep, 1), 9);
  trace_free(t);
}

static void test_add_comm_stops_at_the_limit_and_long_names(void **state) {
  (void)state;
  trace *t = trace_new();
  assert_int_equal(trace_add_comm(t, "a-name-of-16-chr", 1, 1), -1);
  for (int i = 0; i < TRACE_MAX_COMMS; i++) assert_int_equal(trace_add_comm(t, "c", 1, 1), i);
  assert_int_equal(trace_add_comm(t, "c", 1, 1), -1);
  char long_name[40];
  memset(long_name, 'x', sizeof long_name - 1);
  long_name[39] = '\0';
  assert_int_equal(trace_add_class(t, long_name, 0, 0, 1), -1);
  trace_free(t);
  trace_free(NULL);
}

static void test_many_ops_grow_the_arrays(void **state) {
  (void)state;
  trace *t = trace_new();
  int32_t c = trace_add_class(t, "big", -1, 0, 1);
  trace_op o = fix_op(TRACE_OP_ELEMENTWISE, TRACE_PHASE_FORWARD, -1);
  for (uint32_t i = 0; i < 100000; i++) {
    uint32_t dep = i ? i - 1 : 0;
    assert_int_equal(trace_add_op(t, c, &o, &dep, i ? 1 : 0), i);
  }
  t->ranks = 1;
  ts_err err = {0};
  assert_int_equal(trace_validate(t, &err), TS_OK);
  assert_int_equal(t->classes[0].n_deps, 99999);
  trace_free(t);
}

static void test_summary_matches_hand_counts(void **state) {
  (void)state;
  trace *t = fix_trace();
  trace_summary s;
  trace_summarize(t, &s);
  assert_int_equal(s.total_ops, 16);
  assert_int_equal(s.ops_by_kind[TRACE_OP_GEMM], 4);
  assert_int_equal(s.ops_by_kind[TRACE_OP_SEND], 2);
  assert_int_equal(s.ops_by_kind[TRACE_OP_RECV], 2);
  assert_int_equal(s.ops_by_kind[TRACE_OP_REDUCE_SCATTER], 2);
  /* GEMMs: stage 0 fwd 1x + bwd 2x, stage 1 fwd 1x + bwd 1x = 5 GEMMs of 2*4096*3072*1024 FLOPs,
   * each on 4 ranks. */
  assert_true(s.flops_by_kind[TRACE_OP_GEMM] == 5 * 4 * 25769803776.0);
  assert_true(s.flops_by_kind[TRACE_OP_LOSS] == 4 * 3.0 * 4096 * 32000);
  double total = 5 * 4 * 25769803776.0 + 4 * 3.0 * 4096 * 32000 + 4 * (0.1 + 1e9);
  assert_true(fabs(s.total_flops - total) <= 1e-12 * total);
  /* tp: one all-reduce of 8 MiB on 4 ranks; pp: two sends of 8 MiB (recvs count too: 4 msgs). */
  assert_true(s.bytes_by_comm[0] == 4 * 8388608.0);
  assert_true(s.bytes_by_comm[1] == 8 * 1.5e7);
  assert_true(s.bytes_by_comm[2] == 4 * 4 * 8388608.0);
  trace_free(t);
}

/* ---- validation: one mutation per inconsistency, each with its message ---------------------- */
typedef void (*mutation)(trace *t);
static void m_dep_forward(trace *t) { t->classes[0].deps[3] = 7; }
static void m_dep_first(trace *t) { t->classes[0].ops[2].dep_first = 0; }
static void m_kind(trace *t) { t->classes[1].ops[2].kind = TRACE_OP_KIND_COUNT; }
static void m_dtype(trace *t) { t->classes[0].ops[0].dtype = 9; }
static void m_phase(trace *t) { t->classes[0].ops[0].phase = 4; }
static void m_stream(trace *t) { t->classes[0].ops[0].stream = 7; }
static void m_flags(trace *t) { t->classes[0].ops[2].flags = 0x80; }
static void m_comm_range(trace *t) { t->classes[0].ops[3].comm = 3; }
static void m_compute_comm(trace *t) { t->classes[0].ops[1].comm = 0; }
static void m_compute_stream(trace *t) { t->classes[0].ops[1].stream = TRACE_STREAM_TP; }
static void m_peer_range(trace *t) { t->classes[0].ops[4].peer = 2; }
static void m_peer_non_p2p(trace *t) { t->classes[0].ops[3].peer = 1; }
static void m_layer(trace *t) { t->classes[0].ops[1].layer = 2; }
static void m_nan(trace *t) { t->classes[0].ops[1].flops = NAN; }
static void m_negative(trace *t) { t->classes[1].ops[1].bytes = -1.0; }
static void m_infinite(trace *t) { t->classes[1].ops[1].bytes = INFINITY; }
static void m_count(trace *t) { t->classes[0].ops[1].count = 0; }
static void m_shape(trace *t) { t->classes[0].ops[1].k = -5; }
static void m_unmatched_send(trace *t) { t->classes[1].ops[0].kind = TRACE_OP_ELEMENTWISE,
                                         t->classes[1].ops[0].comm = TRACE_NO_COMM,
                                         t->classes[1].ops[0].peer = -1,
                                         t->classes[1].ops[0].stream = TRACE_STREAM_COMPUTE; }
static void m_send_bytes(trace *t) { t->classes[1].ops[0].bytes = 1.0; }
static void m_class_ranks(trace *t) { t->classes[1].ranks = 3; }
static void m_class_ranks_over(trace *t) { t->classes[1].ranks = 5; }
static void m_first_rank(trace *t) { t->classes[1].first_rank = 8; }
static void m_stage(trace *t) { t->classes[1].stage = -2; }
static void m_no_classes(trace *t) { t->n_classes = 0; }
static void m_world(trace *t) { t->plan.dp = 4; }
static void m_ranks_chips(trace *t) { t->chips = 3; }
static void m_comm_span(trace *t) { t->comms[2].stride = 8; }
static void m_comm_size(trace *t) { t->comms[0].size = 0; }
static void m_comm_dup(trace *t) { snprintf(t->comms[1].name, sizeof t->comms[1].name, "tp"); }
static void m_comm_chars(trace *t) { snprintf(t->comms[1].name, sizeof t->comms[1].name, "d p"); }
static void m_version(trace *t) { t->version = 3; }
static void m_stage_layers(trace *t) { t->plan.n_stage_layers = 3; }
static void m_model_layers(trace *t) { t->model.layers = 0; }
static void m_zero(trace *t) { t->plan.zero = 5; } /* found by fuzz_trace: text accepted it */
static void m_model_negative(trace *t) { t->model.vocab = -1; }
static void m_gbs(trace *t) { t->plan.gbs = -2; }
static void m_dtype_plan(trace *t) { t->plan.dtype = HW_DTYPE_COUNT; }
static void m_stage_count(trace *t) { t->has_model = false, t->plan.n_stage_layers = -1; }

typedef struct bad_case {
  mutation mutate;
  const char *msg;
} bad_case;

static const bad_case BAD[] = {
    {m_dep_forward, "class stage0 (0) op 4: dep 7 is not an earlier op"},
    {m_dep_first, "class stage0 (0) op 2: deps [0, +1) do not follow the previous op's in 8 deps"},
    {m_kind, "class stage1 (1) op 2: kind 13 out of range"},
    {m_dtype, "class stage0 (0) op 0: dtype 9 out of range"},
    {m_phase, "class stage0 (0) op 0: phase 4 out of range"},
    {m_stream, "class stage0 (0) op 0: stream 7 out of range"},
    {m_flags, "class stage0 (0) op 2: unknown flags 0x80"},
    {m_comm_range, "class stage0 (0) op 3: communicator 3, expected < 3"},
    {m_compute_comm, "class stage0 (0) op 1: compute op names communicator 0"},
    {m_compute_stream, "class stage0 (0) op 1: compute op on stream tp"},
    {m_peer_range, "class stage0 (0) op 4: peer class 2, expected 0..1"},
    {m_peer_non_p2p, "class stage0 (0) op 3: peer 1 on a non-p2p op"},
    {m_layer, "class stage0 (0) op 1: layer 2, model has 2"},
    {m_nan, "class stage0 (0) op 1: flops nan, expected finite and >= 0"},
    {m_negative, "class stage1 (1) op 1: bytes -1, expected finite and >= 0"},
    {m_infinite, "class stage1 (1) op 1: bytes inf, expected finite and >= 0"},
    {m_count, "class stage0 (0) op 1: count 0, expected >= 1"},
    {m_shape, "class stage0 (0) op 1: negative shape m=4096 n=3072 k=-5"},
    {m_unmatched_send, "class stage0 op 4 sends to class stage1, which has no matching recv"},
    {m_send_bytes, "class stage0 op 4 sends 8388608 bytes to class stage1 but its matching recv "
                   "(op 0) expects 1"},
    {m_class_ranks, "rank classes cover 7 ranks, the trace has 8"},
    {m_class_ranks_over, "class stage1 (1): 5 ranks, 4 left of 8"},
    {m_first_rank, "class stage1 (1): first rank 8, expected 0..7"},
    {m_stage, "class stage1 (1): stage -2, expected >= -1"},
    {m_no_classes, "0 rank classes, expected 1..1048576"},
    {m_world, "plan tp*pp*dp*cp = 16 but the trace has 8 ranks"},
    {m_ranks_chips, "ranks 8 is not a multiple of chips 3"},
    {m_comm_span, "communicator pp: size 2 x stride 8 spans more than 8 ranks"},
    {m_comm_size, "communicator tp: size 0 stride 1, expected >= 1"},
    {m_comm_dup, "communicator 1: name 'tp' already used by communicator 0"},
    {m_comm_chars, "communicator 1: name 'd p' has characters outside [A-Za-z0-9_.-]"},
    {m_version, "trace version 3, expected 1..2"},
    {m_stage_layers, "plan has 3 stage_layers, expected 0 or pp=2"},
    {m_model_layers, "model layers 0, expected 1..65534"},
    {m_zero, "plan zero 5, expected 0..3"},
    {m_model_negative, "model vocab -1 is negative"},
    {m_gbs, "plan gbs -2 is negative"},
    {m_dtype_plan, "plan recompute 1, dtype 5 or schedule 0 out of range"},
    {m_stage_count, "plan stage_layers count -1, expected 0..1024"},
};

static void test_validate_names_each_inconsistency(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
    trace *t = fix_trace();
    BAD[i].mutate(t);
    ts_err err = {0};
    ts_status st = trace_validate(t, &err);
    if (st != TS_EINPUT || strcmp(err.msg, BAD[i].msg) != 0)
      fail_msg("case %zu: got '%s', expected '%s'", i, err.msg, BAD[i].msg);
    if (BAD[i].mutate == m_no_classes) t->n_classes = 2; /* so trace_free frees them */
    trace_free(t);
  }
}

static void test_trace_without_model_skips_model_checks(void **state) {
  (void)state;
  trace *t = fix_trace();
  t->has_model = false;
  t->plan.dp = 99;          /* ignored without a model */
  t->classes[0].ops[1].layer = 50;
  ts_err err = {0};
  assert_int_equal(trace_validate(t, &err), TS_OK);
  trace_free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_names_round_trip_through_parse),
      cmocka_unit_test(test_comm_kinds_are_the_collectives_and_p2p),
      cmocka_unit_test(test_fixture_is_valid_and_deps_are_stored_in_order),
      cmocka_unit_test(test_add_op_refuses_forward_deps_and_bad_class),
      cmocka_unit_test(test_add_comm_stops_at_the_limit_and_long_names),
      cmocka_unit_test(test_many_ops_grow_the_arrays),
      cmocka_unit_test(test_summary_matches_hand_counts),
      cmocka_unit_test(test_validate_names_each_inconsistency),
      cmocka_unit_test(test_trace_without_model_skips_model_checks),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
