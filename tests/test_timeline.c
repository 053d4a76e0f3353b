/* Tests of the Chrome trace event timeline (sim/timeline.c): the file parses as JSON, every op of
 * every simulated rank appears exactly once as a complete event, slices of one stream never
 * overlap, processes and threads are named, and the file is written whole or not at all. */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sim/engine_int.h"

static ts_status compute_cost(void *ctx, const trace *t, uint32_t cls, const trace_op *op,
                              double *seconds, ts_err *err) {
  (void)ctx, (void)t, (void)cls, (void)err;
  *seconds = op->flops / 1e12;
  return TS_OK;
}

static ts_status comm_cost(void *ctx, const trace *t, uint32_t cls, const trace_op *op,
                           trace_op_kind kind, const coll_groups *g, double *seconds, ts_err *err) {
  (void)ctx, (void)t, (void)cls, (void)kind, (void)g, (void)err;
  *seconds = op->bytes / 1e9;
  return TS_OK;
}

static uint32_t add(trace *t, int32_t cls, trace_op_kind kind, trace_phase ph, trace_stream s,
                    int comm, int32_t peer, double ms, uint32_t n_deps, const uint32_t *deps) {
  trace_op o = {.kind = (uint8_t)kind,
                .dtype = HW_BF16,
                .phase = (uint8_t)ph,
                .stream = (uint8_t)s,
                .comm = (uint8_t)(comm < 0 ? TRACE_NO_COMM : comm),
                .layer = 3,
                .peer = peer,
                .count = 1,
                .m = 128,
                .n = 256,
                .k = 512};
  if (trace_op_is_comm(kind))
    o.bytes = ms * 1e6;
  else
    o.flops = ms * 1e9;
  int64_t id = trace_add_op(t, cls, &o, deps, n_deps);
  assert_true(id >= 0);
  return (uint32_t)id;
}

/* Two stages of two ranks (tp=2), 3 micro-batches, GPipe, tp all-reduces on their own stream that
 * overlap the next compute op, a "stage0" with a quote in its name. */
static trace *fixture(void) {
  trace *t = trace_new();
  t->ranks = t->chips = 4;
  int tp = trace_add_comm(t, "tp", 2, 1), pp = trace_add_comm(t, "pp", 2, 2);
  for (int s = 0; s < 2; s++) {
    trace_add_class(t, s ? "stage1" : "stage\"0", s, 2 * s, 2);
    for (int ph = 0; ph < 2; ph++) {
      bool fwd = ph == 0, recv = fwd ? s == 1 : s == 0, send = fwd ? s == 0 : s == 1;
      trace_phase phase = fwd ? TRACE_PHASE_FORWARD : TRACE_PHASE_BACKWARD;
      for (int i = 0; i < 3; i++) {
        uint32_t d[2], n = 0;
        if (recv)
          d[n++] = add(t, s, TRACE_OP_RECV, phase, TRACE_STREAM_PP_RECV, pp, 1 - s, 0.2, 0, NULL);
        uint32_t c = add(t, s, TRACE_OP_GEMM, phase, TRACE_STREAM_COMPUTE, -1, -1, 1, n, d);
        add(t, s, TRACE_OP_ALL_REDUCE, phase, TRACE_STREAM_TP, tp, -1, 0.5, 1, &c);
        if (send) add(t, s, TRACE_OP_SEND, phase, TRACE_STREAM_PP_SEND, pp, 1 - s, 0.2, 1, &c);
      }
    }
  }
  return t;
}

static sim_result *run(const trace *t, sim_fidelity fid, bool timeline) {
  hw_system sys;
  memset(&sys, 0, sizeof sys);
  strcpy(sys.name, "test");
  sys.chip.ranks_per_chip = 1;
  sim_options opt = {.fidelity = fid, .record_timeline = timeline};
  sim_cost_model cost = {.compute = compute_cost, .comm = comm_cost};
  sim_result *r = NULL;
  ts_err err = {0};
  if (sim_replay(t, &sys, &opt, &cost, NULL, &r, &err)) fail_msg("%s", err.msg);
  return r;
}

typedef struct span {
  double ts, end;
} span;

static int cmp_span(const void *x, const void *y) {
  const span *a = x, *b = y;
  return (a->ts > b->ts) - (a->ts < b->ts);
}

static void check_timeline(const trace *t, sim_fidelity fid) {
  sim_result *r = run(t, fid, true);
  char path[] = "/tmp/trainsim_tl_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  ts_err err = {0};
  assert_int_equal(sim_timeline_write(r, path, &err), TS_OK);
  sim_result_free(r);
  json_error_t jerr;
  json_t *root = json_load_file(path, 0, &jerr);
  unlink(path);
  if (!root) fail_msg("timeline does not parse: %s line %d", jerr.text, jerr.line);
  json_t *events = json_object_get(root, "traceEvents");
  assert_true(json_is_array(events));
  uint32_t n_pids = fid == SIM_FIDELITY_FULL ? (uint32_t)t->ranks : t->n_classes;
  /* seen[pid][op] */
  int *seen = calloc(n_pids * 64, sizeof *seen);
  span *spans = calloc(n_pids * TRACE_STREAM_COUNT * 64, sizeof *spans);
  int n_spans[64 * TRACE_STREAM_COUNT] = {0};
  bool named[64] = {false};
  size_t i;
  json_t *ev;
  json_array_foreach(events, i, ev) {
    const char *ph = json_string_value(json_object_get(ev, "ph"));
    int pid = (int)json_integer_value(json_object_get(ev, "pid"));
    int tid = (int)json_integer_value(json_object_get(ev, "tid"));
    assert_true(pid >= 0 && (uint32_t)pid < n_pids);
    if (strcmp(ph, "M") == 0) {
      if (strcmp(json_string_value(json_object_get(ev, "name")), "process_name") == 0)
        named[pid] = true;
      continue;
    }
    assert_string_equal(ph, "X");
    assert_true(tid >= 0 && tid < TRACE_STREAM_COUNT);
    json_t *args = json_object_get(ev, "args");
    int op = (int)json_integer_value(json_object_get(args, "op"));
    assert_true(op >= 0 && op < 64);
    assert_int_equal(json_integer_value(json_object_get(args, "layer")), 3);
    seen[pid * 64 + op]++;
    double ts = json_number_value(json_object_get(ev, "ts"));
    double dur = json_number_value(json_object_get(ev, "dur"));
    assert_true(dur >= 0);
    int k = pid * TRACE_STREAM_COUNT + tid;
    spans[k * 64 + n_spans[k]++] = (span){ts, ts + dur};
  }
  for (uint32_t p = 0; p < n_pids; p++) {
    assert_true(named[p]);
    uint32_t cls = fid == SIM_FIDELITY_FULL ? p / 2 : p;
    for (uint32_t op = 0; op < t->classes[cls].n_ops; op++) assert_int_equal(seen[p * 64 + op], 1);
    for (uint32_t op = t->classes[cls].n_ops; op < 64; op++) assert_int_equal(seen[p * 64 + op], 0);
    for (int s = 0; s < TRACE_STREAM_COUNT; s++) {
      int k = (int)p * TRACE_STREAM_COUNT + s;
      qsort(spans + k * 64, (size_t)n_spans[k], sizeof(span), cmp_span);
      for (int j = 1; j < n_spans[k]; j++)
        assert_true(spans[k * 64 + j].ts >= spans[k * 64 + j - 1].end - 1e-9);
    }
  }
  free(seen);
  free(spans);
  json_decref(root);
}

static void test_symmetric_timeline_has_every_op_once_per_class(void **state) {
  (void)state;
  trace *t = fixture();
  check_timeline(t, SIM_FIDELITY_SYMMETRIC);
  trace_free(t);
}

static void test_full_timeline_has_every_op_once_per_rank(void **state) {
  (void)state;
  trace *t = fixture();
  check_timeline(t, SIM_FIDELITY_FULL);
  trace_free(t);
}

static void test_timeline_times_are_exact_microseconds(void **state) {
  (void)state;
  trace *t = trace_new();
  t->ranks = t->chips = 1;
  trace_add_class(t, "one", -1, 0, 1);
  add(t, 0, TRACE_OP_GEMM, TRACE_PHASE_FORWARD, TRACE_STREAM_COMPUTE, -1, -1, 1.234567891, 0, NULL);
  add(t, 0, TRACE_OP_GEMM, TRACE_PHASE_FORWARD, TRACE_STREAM_COMPUTE, -1, -1, 1, 0, NULL);
  sim_result *r = run(t, SIM_FIDELITY_SYMMETRIC, true);
  char path[] = "/tmp/trainsim_tl_XXXXXX";
  int fd = mkstemp(path);
  close(fd);
  assert_int_equal(sim_timeline_write(r, path, NULL), TS_OK);
  sim_result_free(r);
  char *text = NULL;
  size_t len = 0;
  FILE *fp = fopen(path, "r");
  assert_non_null(fp);
  assert_true(getdelim(&text, &len, '\0', fp) > 0);
  fclose(fp);
  unlink(path);
  /* 1.234567891 ms = 1234.567891 us; the second op starts there */
  assert_non_null(strstr(text, "\"ts\":0.000000,\"dur\":1234.567891"));
  assert_non_null(strstr(text, "\"ts\":1234.567891,\"dur\":1000.000000"));
  assert_non_null(strstr(text, "\"name\":\"gemm fwd 128x256x512 bf16\""));
  free(text);
  trace_free(t);
}

static void test_timeline_not_recorded_is_an_error(void **state) {
  (void)state;
  trace *t = fixture();
  sim_result *r = run(t, SIM_FIDELITY_SYMMETRIC, false);
  ts_err err = {0};
  assert_int_equal(sim_timeline_write(r, "/tmp/trainsim_never_written.json", &err), TS_EUSAGE);
  assert_non_null(strstr(err.msg, "no timeline"));
  assert_int_equal(access("/tmp/trainsim_never_written.json", F_OK), -1);
  sim_result_free(r);
  trace_free(t);
}

static void test_timeline_into_missing_folder_fails_without_a_file(void **state) {
  (void)state;
  trace *t = fixture();
  sim_result *r = run(t, SIM_FIDELITY_SYMMETRIC, true);
  ts_err err = {0};
  assert_int_not_equal(sim_timeline_write(r, "/tmp/trainsim_no_such_dir/x.json", &err), TS_OK);
  assert_true(err.msg[0] != '\0');
  assert_int_equal(access("/tmp/trainsim_no_such_dir/x.json", F_OK), -1);
  sim_result_free(r);
  trace_free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_symmetric_timeline_has_every_op_once_per_class),
      cmocka_unit_test(test_full_timeline_has_every_op_once_per_rank),
      cmocka_unit_test(test_timeline_times_are_exact_microseconds),
      cmocka_unit_test(test_timeline_not_recorded_is_an_error),
      cmocka_unit_test(test_timeline_into_missing_folder_fails_without_a_file),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
