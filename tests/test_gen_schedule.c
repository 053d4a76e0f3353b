/* Pipeline schedules of the generator: the order of forwards and backwards per stage (GPipe, 1F1B,
 * Megatron's interleaved 1F1B written out by hand), send/recv pairing (the k-th SEND from A to B
 * carries the same micro-batch, phase, layer and bytes as the k-th RECV in B from A, and feeds the
 * op that consumes it), and freedom from deadlock under stream FIFO semantics, checked by a tiny
 * discrete simulation in this file: unit-time compute, zero-time communication, and rendezvous
 * sends (a send completes only together with its matching receive, at the head of its stream).
 * The same simulation shows the pipeline bubble arising from the order alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/gen.h"

static hw_system fake_system(void) {
  hw_system s;
  memset(&s, 0, sizeof s);
  snprintf(s.name, sizeof s.name, "fake");
  s.chip.ranks_per_chip = 1;
  s.chip.peak_flops[HW_BF16] = 1e15;
  s.chip.hbm_bytes = 1e15;
  return s;
}

static trace *gen_ok(const char *model_spec, const char *plan_spec) {
  model m;
  plan p;
  ts_err err = {0};
  if (model_load(model_spec, &m, &err) != TS_OK) fail_msg("%s: %s", model_spec, err.msg);
  if (plan_parse(plan_spec, &p, &err) != TS_OK) fail_msg("%s: %s", plan_spec, err.msg);
  hw_system sys = fake_system();
  gen_options opt = {.allow_oom = true};
  trace *t = NULL;
  int64_t ranks = (int64_t)p.tp * p.pp * p.dp * p.cp;
  if (gen_step(&m, &p, &sys, ranks, &opt, &t, &err) != TS_OK)
    fail_msg("%s: %s", plan_spec, err.msg);
  if (trace_validate(t, &err) != TS_OK) fail_msg("%s: %s", plan_spec, err.msg);
  return t;
}

/* One layer per virtual stage in these models, so an op's layer names its chunk. */
#define TINY(layers) "layers=" #layers ",hidden=128,ffn=512,heads=4,vocab=256,seq=64,mlp=gelu"

/* ---- event order --------------------------------------------------------------------------- */
/* Sequence of forward/backward events of a class, read off its compute ops: "F<chunk>.<micro>" or
 * "B<chunk>.<micro>", space separated. */
static void events_of(const trace *t, uint32_t cls, char *buf, size_t cap) {
  const trace_class *c = &t->classes[cls];
  int32_t pp = t->plan.pp;
  int last_phase = -1, last_chunk = -1;
  int64_t last_micro = -1;
  size_t used = 0;
  buf[0] = '\0';
  for (uint32_t i = 0; i < c->n_ops; i++) {
    const trace_op *op = &c->ops[i];
    if (op->stream != TRACE_STREAM_COMPUTE || op->layer == TRACE_NO_LAYER) continue;
    if (op->phase != TRACE_PHASE_FORWARD && op->phase != TRACE_PHASE_BACKWARD) continue;
    int chunk = op->layer / pp;
    if (op->phase == last_phase && chunk == last_chunk && (int64_t)op->micro == last_micro)
      continue;
    last_phase = op->phase;
    last_chunk = chunk;
    last_micro = op->micro;
    used += (size_t)snprintf(buf + used, cap - used, "%s%c%d.%u", used ? " " : "",
                             op->phase == TRACE_PHASE_FORWARD ? 'F' : 'B', chunk, op->micro);
    assert_true(used < cap);
  }
}

static void test_gpipe_runs_all_forwards_then_all_backwards(void **state) {
  (void)state;
  trace *t = gen_ok(TINY(2), "pp=2,gbs=3,schedule=gpipe");
  char buf[512];
  for (uint32_t s = 0; s < 2; s++) {
    events_of(t, s, buf, sizeof buf);
    assert_string_equal(buf, "F0.0 F0.1 F0.2 B0.2 B0.1 B0.0");
  }
  trace_free(t);
}

static void test_1f1b_warms_up_pp_minus_stage_minus_one_forwards(void **state) {
  (void)state;
  trace *t = gen_ok(TINY(4), "pp=4,gbs=6");
  char buf[512];
  events_of(t, 0, buf, sizeof buf);
  assert_string_equal(buf, "F0.0 F0.1 F0.2 F0.3 B0.0 F0.4 B0.1 F0.5 B0.2 B0.3 B0.4 B0.5");
  events_of(t, 2, buf, sizeof buf);
  assert_string_equal(buf, "F0.0 F0.1 B0.0 F0.2 B0.1 F0.3 B0.2 F0.4 B0.3 F0.5 B0.4 B0.5");
  events_of(t, 3, buf, sizeof buf);
  assert_string_equal(buf, "F0.0 B0.0 F0.1 B0.1 F0.2 B0.2 F0.3 B0.3 F0.4 B0.4 F0.5 B0.5");
  trace_free(t);
  /* Fewer micro-batches than stages: stage 0 warms up with all of them. */
  t = gen_ok(TINY(4), "pp=4,gbs=2");
  events_of(t, 0, buf, sizeof buf);
  assert_string_equal(buf, "F0.0 F0.1 B0.0 B0.1");
  trace_free(t);
}

/* Megatron-LM's interleaved schedule for pp=2, vpp=2, 4 micro-batches, written out by hand:
 * stage 0 warms up with 2(pp-1) + (vpp-1)pp = 4 forwards, stage 1 with 2; the k-th virtual
 * micro-batch runs chunk (k mod 4) / 2 (reversed for backwards) on micro-batch (k / 4)2 + k mod 2.
 */
static void test_interleaved_follows_megatron_order(void **state) {
  (void)state;
  trace *t = gen_ok(TINY(4), "pp=2,vpp=2,gbs=4");
  char buf[512];
  events_of(t, 0, buf, sizeof buf);
  assert_string_equal(buf,
                      "F0.0 F0.1 F1.0 F1.1 F0.2 B1.0 F0.3 B1.1 F1.2 B0.0 F1.3 B0.1 "
                      "B1.2 B1.3 B0.2 B0.3");
  events_of(t, 1, buf, sizeof buf);
  assert_string_equal(buf,
                      "F0.0 F0.1 F1.0 B1.0 F1.1 B1.1 F0.2 B0.0 F0.3 B0.1 F1.2 B1.2 "
                      "F1.3 B1.3 B0.2 B0.3");
  trace_free(t);
}

/* ---- pairing --------------------------------------------------------------------------------- */
/* The first op of the class that names `dep` among its dependencies, or -1. */
static int64_t first_consumer(const trace_class *c, uint32_t dep) {
  for (uint32_t i = dep + 1; i < c->n_ops; i++)
    for (uint32_t d = 0; d < c->ops[i].dep_count; d++)
      if (c->deps[c->ops[i].dep_first + d] == dep) return i;
  return -1;
}

static uint32_t check_pairs(const trace *t) {
  uint32_t total = 0;
  for (uint32_t a = 0; a < t->n_classes; a++)
    for (uint32_t b = 0; b < t->n_classes; b++) {
      const trace_class *ca = &t->classes[a], *cb = &t->classes[b];
      uint32_t i = 0, j = 0, pairs = 0;
      for (;;) {
        while (i < ca->n_ops &&
               !(ca->ops[i].kind == TRACE_OP_SEND && ca->ops[i].peer == (int32_t)b))
          i++;
        while (j < cb->n_ops &&
               !(cb->ops[j].kind == TRACE_OP_RECV && cb->ops[j].peer == (int32_t)a))
          j++;
        if (i == ca->n_ops || j == cb->n_ops) {
          assert_true(i == ca->n_ops && j == cb->n_ops); /* as many sends as receives */
          break;
        }
        const trace_op *s = &ca->ops[i], *r = &cb->ops[j];
        assert_int_equal(s->micro, r->micro);
        assert_int_equal(s->phase, r->phase);
        assert_int_equal(s->layer, r->layer);
        assert_true(s->bytes == r->bytes && s->bytes > 0);
        /* The receive feeds the first op of the layer it names, same micro-batch and phase. */
        int64_t use = first_consumer(cb, j);
        assert_true(use >= 0);
        assert_int_equal(cb->ops[use].micro, r->micro);
        assert_int_equal(cb->ops[use].layer, r->layer);
        pairs++;
        i++;
        j++;
      }
      total += pairs;
    }
  return total;
}

/* ---- a tiny discrete simulation ------------------------------------------------------------- */
typedef struct sim_state {
  const trace *t;
  int64_t **finish; /* per class, per op: finish time or -1 */
  uint32_t **match; /* per class, per send/recv: index of the matching op in the peer class */
  uint32_t (*head)[TRACE_STREAM_COUNT]; /* per class, per stream: next op index to consider */
} sim_state;

/* k-th SEND A→B ↔ k-th RECV in B from A. */
static void build_matches(sim_state *s) {
  const trace *t = s->t;
  for (uint32_t a = 0; a < t->n_classes; a++)
    for (uint32_t b = 0; b < t->n_classes; b++) {
      const trace_class *ca = &t->classes[a], *cb = &t->classes[b];
      uint32_t j = 0;
      for (uint32_t i = 0; i < ca->n_ops; i++) {
        if (!(ca->ops[i].kind == TRACE_OP_SEND && ca->ops[i].peer == (int32_t)b)) continue;
        while (j < cb->n_ops &&
               !(cb->ops[j].kind == TRACE_OP_RECV && cb->ops[j].peer == (int32_t)a))
          j++;
        assert_true(j < cb->n_ops);
        s->match[a][i] = j;
        s->match[b][j] = i;
        j++;
      }
    }
}

/* Ready time of op i of class c (deps done, previous op of its stream done), or -1. */
static int64_t ready_at(const sim_state *s, uint32_t c, uint32_t i) {
  const trace_class *cl = &s->t->classes[c];
  const trace_op *op = &cl->ops[i];
  int64_t at = 0;
  for (uint32_t p = i; p-- > 0;)
    if (cl->ops[p].stream == op->stream) {
      if (s->finish[c][p] < 0) return -1;
      at = s->finish[c][p];
      break;
    }
  for (uint32_t d = 0; d < op->dep_count; d++) {
    int64_t f = s->finish[c][cl->deps[op->dep_first + d]];
    if (f < 0) return -1;
    if (f > at) at = f;
  }
  return at;
}

/* Runs to completion; returns the makespan, or -1 on deadlock. */
static int64_t simulate(const trace *t) {
  sim_state s = {t, NULL, NULL, NULL};
  s.finish = calloc(t->n_classes, sizeof *s.finish);
  s.match = calloc(t->n_classes, sizeof *s.match);
  uint64_t total = 0, done = 0;
  for (uint32_t c = 0; c < t->n_classes; c++) {
    s.finish[c] = malloc(t->classes[c].n_ops * sizeof **s.finish);
    s.match[c] = calloc(t->classes[c].n_ops, sizeof **s.match);
    for (uint32_t i = 0; i < t->classes[c].n_ops; i++) s.finish[c][i] = -1;
    total += t->classes[c].n_ops;
  }
  build_matches(&s);
  int64_t makespan = 0;
  for (bool progress = true; progress;) {
    progress = false;
    for (uint32_t c = 0; c < t->n_classes; c++)
      for (uint32_t i = 0; i < t->classes[c].n_ops; i++) {
        const trace_op *op = &t->classes[c].ops[i];
        if (s.finish[c][i] >= 0 || op->kind == TRACE_OP_RECV) continue;
        int64_t at = ready_at(&s, c, i);
        if (at < 0) continue;
        if (op->kind == TRACE_OP_SEND) { /* rendezvous with the receive at its stream's head */
          uint32_t peer = (uint32_t)op->peer, j = s.match[c][i];
          int64_t rat = ready_at(&s, peer, j);
          if (rat < 0) continue;
          if (rat > at) at = rat;
          s.finish[peer][j] = at;
          done++;
        } else if (op->stream == TRACE_STREAM_COMPUTE) {
          at += 1;
        }
        s.finish[c][i] = at;
        if (at > makespan) makespan = at;
        done++;
        progress = true;
      }
  }
  for (uint32_t c = 0; c < t->n_classes; c++) {
    free(s.finish[c]);
    free(s.match[c]);
  }
  free(s.finish);
  free(s.match);
  return done == total ? makespan : -1;
}

static uint64_t compute_ops(const trace_class *c) {
  uint64_t n = 0;
  for (uint32_t i = 0; i < c->n_ops; i++) n += c->ops[i].stream == TRACE_STREAM_COMPUTE;
  return n;
}

static void test_sends_and_receives_pair_up_and_never_deadlock(void **state) {
  (void)state;
  const struct {
    const char *model, *plan;
  } cases[] = {
      {TINY(4), "pp=4,gbs=3,schedule=gpipe"},
      {TINY(4), "pp=4,gbs=8"},
      {TINY(4), "pp=4,gbs=2"},
      {TINY(8), "tp=2,pp=4,dp=2,gbs=16,recompute=full"},
      {TINY(4), "pp=2,vpp=2,gbs=4"},
      {TINY(8), "pp=4,vpp=2,gbs=8,recompute=selective"},
      {TINY(12), "pp=4,vpp=3,gbs=4,zero=3,dp=1"},
      {TINY(6), "pp=2,vpp=3,gbs=6,tp=2"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    trace *t = gen_ok(cases[i].model, cases[i].plan);
    assert_true(check_pairs(t) > 0);
    if (simulate(t) < 0) fail_msg("%s: deadlock", cases[i].plan);
    trace_free(t);
  }
}

/* With one stage there is no bubble: the step takes as long as its compute. With four, the
 * 1F1B step is longer than the busiest stage's compute, and interleaving (vpp=2) shrinks that
 * excess — all from the order and the dependencies. */
static void test_pipeline_bubble_appears_from_the_order(void **state) {
  (void)state;
  trace *t = gen_ok(TINY(8), "pp=1,gbs=8");
  assert_int_equal(simulate(t), (int64_t)compute_ops(&t->classes[0]));
  trace_free(t);
  trace *a = gen_ok(TINY(8), "pp=4,gbs=8");
  trace *b = gen_ok(TINY(8), "pp=4,vpp=2,gbs=8");
  uint64_t busy = 0;
  for (uint32_t c = 0; c < 4; c++)
    if (compute_ops(&a->classes[c]) > busy) busy = compute_ops(&a->classes[c]);
  int64_t plain = simulate(a), interleaved = simulate(b);
  assert_true(plain > (int64_t)busy);
  assert_true(interleaved < plain);
  trace_free(a);
  trace_free(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_gpipe_runs_all_forwards_then_all_backwards),
      cmocka_unit_test(test_1f1b_warms_up_pp_minus_stage_minus_one_forwards),
      cmocka_unit_test(test_interleaved_follows_megatron_order),
      cmocka_unit_test(test_sends_and_receives_pair_up_and_never_deadlock),
      cmocka_unit_test(test_pipeline_bubble_appears_from_the_order),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
