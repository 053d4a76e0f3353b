/* The plan search: the size of the space against a hand count, fixed fields held, the lower
 * bounds never above the simulated step (so pruning keeps the true best: same top K as the
 * exhaustive search), the same top K byte for byte on 1 and 2 threads and when the space is split
 * in parts and merged (what MPI ranks do), and every refusal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/gen.h"
#include "sim/search/search.h"
#include "sim/search/search_int.h"

/* 4 layers, 4 heads: small enough to simulate every plan in a moment. */
static const char *TINY = "layers=4,hidden=256,ffn=1024,heads=4,vocab=1024,seq=1024,mlp=gelu";

typedef struct fixture {
  model m;
  hw_system sys;
} fixture;

static fixture load(void) {
  fixture f;
  ts_err err = {0};
  if (model_load(TINY, &f.m, &err) || hw_system_load("dgx-h100", &f.sys, &err))
    fail_msg("%s", err.msg);
  return f;
}

static plan fixed_plan(const char *spec) {
  plan p;
  ts_err err = {0};
  if (plan_parse(spec, &p, &err)) fail_msg("%s: %s", spec, err.msg);
  return p;
}

static search_result *run(const fixture *f, int64_t chips, const char *fix, int top, int threads,
                          bool exhaustive) {
  plan p = fixed_plan(fix);
  search_options o;
  search_options_init(&o);
  o.top_k = top;
  o.threads = threads;
  o.exhaustive = exhaustive;
  search_result *r = NULL;
  ts_err err = {0};
  if (search_best(&f->m, &f->sys, chips, &p, &o, &r, &err)) fail_msg("%s: %s", fix, err.msg);
  return r;
}

/* Hand count on 4 ranks, gbs 8, 4 layers (max_cp = seq/1024 = 1, domain of 8 ranks):
 *   tp pp dp | vpp   mbs (divisors of 8/dp) | recompute x zero (4 when dp > 1, else 1)
 *   1  1  4  | 1     1,2                    | 3 x 4  -> 24
 *   1  2  2  | 1,2   1,2,4                  | 3 x 4  -> 72
 *   1  4  1  | 1     1,2,4,8                | 3 x 1  -> 12
 *   2  1  2  | 1     1,2,4                  | 3 x 4  -> 36
 *   2  2  1  | 1,2   1,2,4,8                | 3 x 1  -> 24
 *   4  1  1  | 1     1,2,4,8                | 3 x 1  -> 12      total 180
 * Invalid: interleaving (vpp=2) with a micro-batch count not a multiple of pp=2: (tp1, dp2, mbs4)
 * x 12 and (tp2, dp1, mbs8) x 3 = 15. The tiny model fits everywhere: 165 candidates. */
static void test_space_size_matches_hand_count(void **state) {
  (void)state;
  fixture f = load();
  search_result *r = run(&f, 4, "gbs=8", 5, 1, false);
  assert_int_equal(r->stats.enumerated, 180);
  assert_int_equal(r->stats.invalid, 15);
  assert_int_equal(r->stats.over_memory, 0);
  assert_int_equal(r->stats.candidates, 165);
  assert_int_equal(r->stats.candidates,
                   r->stats.bounded + r->stats.simulated + r->stats.reused + r->stats.failed);
  search_result_free(r);
}

static void test_fixed_fields_are_held(void **state) {
  (void)state;
  fixture f = load();
  search_result *r = run(&f, 4, "tp=2,recompute=full,gbs=8", 50, 1, true);
  /* tp=2 rows of the hand count, one recompute: (36 + 24) / 3 */
  assert_int_equal(r->stats.enumerated, 20);
  assert_true(r->n > 0);
  for (int i = 0; i < r->n; i++) {
    assert_int_equal(r->best[i].plan.tp, 2);
    assert_int_equal(r->best[i].plan.recompute, PLAN_RECOMP_FULL);
    assert_int_equal(r->best[i].plan.gbs, 8);
  }
  assert_false(r->chosen & PLAN_SET_TP);
  assert_false(r->chosen & PLAN_SET_RECOMPUTE);
  assert_true(r->chosen & PLAN_SET_PP);
  assert_true(r->chosen & PLAN_SET_ZERO);
  search_result_free(r);
}

static void test_every_field_fixed_is_one_plan(void **state) {
  (void)state;
  fixture f = load();
  search_result *r =
      run(&f, 4, "tp=2,pp=2,dp=1,cp=1,ep=1,vpp=1,mbs=2,gbs=8,recompute=none,zero=1,dtype=bf16", 3, 1,
          false);
  assert_int_equal(r->stats.enumerated, 1);
  assert_int_equal(r->n, 1);
  assert_int_equal(r->chosen, 0);
  search_result_free(r);
}

/* Same plans, same figures, bit for bit. */
static void assert_same_top(const search_result *a, const search_result *b) {
  assert_int_equal(a->n, b->n);
  for (int i = 0; i < a->n; i++) {
    const sim_report *x = &a->best[i].report, *y = &b->best[i].report;
    assert_string_equal(a->best[i].text, b->best[i].text);
    assert_memory_equal(&x->step_s, &y->step_s, sizeof x->step_s);
    assert_memory_equal(&x->breakdown, &y->breakdown, sizeof x->breakdown);
    assert_memory_equal(&x->mfu, &y->mfu, sizeof x->mfu);
    assert_memory_equal(&x->memory_bytes_per_chip, &y->memory_bytes_per_chip,
                        sizeof x->memory_bytes_per_chip);
    assert_int_equal(x->events, y->events);
  }
}

/* Every plan simulated (exhaustive, top = all): no bound exceeds its simulated step, and the
 * pruned search returns the exhaustive search's top 5. */
static void test_pruning_keeps_the_true_best(void **state) {
  (void)state;
  fixture f = load();
  search_result *all = run(&f, 4, "gbs=8", 1000, 2, true);
  assert_int_equal(all->n, 165);
  for (int i = 0; i < all->n; i++)
    if (!(all->best[i].bound_s <= all->best[i].report.step_s))
      fail_msg("bound %.9g above step %.9g for %s", all->best[i].bound_s,
               all->best[i].report.step_s, all->best[i].text);
  for (int i = 1; i < all->n; i++)
    assert_true(search_entry_compare(&all->best[i - 1], &all->best[i]) < 0);
  search_result *pruned = run(&f, 4, "gbs=8", 5, 2, false);
  search_result *top5 = run(&f, 4, "gbs=8", 5, 1, true);
  assert_same_top(pruned, top5);
  for (int i = 0; i < 5; i++) assert_string_equal(pruned->best[i].text, all->best[i].text);
  assert_true(pruned->stats.simulated < all->stats.simulated);
  search_result_free(all);
  search_result_free(pruned);
  search_result_free(top5);
}

/* Ranks that share a chip (Trn2: 4 NeuronCores per chip) run on a quarter of it: the bounds must
 * use that share (as sim_run does) to prune, and must still never exceed a simulated step. */
static void test_pruning_on_shared_chips_keeps_the_true_best(void **state) {
  (void)state;
  fixture f = load();
  ts_err err = {0};
  if (hw_system_load("trn2-48xl", &f.sys, &err)) fail_msg("%s", err.msg);
  search_result *all = run(&f, 2, "gbs=8", 1000, 2, true);
  for (int i = 0; i < all->n; i++)
    if (!(all->best[i].bound_s <= all->best[i].report.step_s))
      fail_msg("bound %.9g above step %.9g for %s", all->best[i].bound_s,
               all->best[i].report.step_s, all->best[i].text);
  search_result *pruned = run(&f, 2, "gbs=8", 5, 2, false);
  for (int i = 0; i < 5 && i < all->n; i++)
    assert_string_equal(pruned->best[i].text, all->best[i].text);
  assert_true(pruned->stats.simulated < all->stats.simulated / 2);
  search_result_free(all);
  search_result_free(pruned);
}

static void test_same_top_on_one_and_two_threads(void **state) {
  (void)state;
  fixture f = load();
  search_result *one = run(&f, 8, "gbs=16", 10, 1, false);
  search_result *two = run(&f, 8, "gbs=16", 10, 2, false);
  assert_same_top(one, two);
  assert_int_equal(one->stats.candidates, two->stats.candidates);
  search_result_free(one);
  search_result_free(two);
}

/* What mpirun -n 3 does: each part simulates every third candidate; the merge is the whole. */
static void test_parts_merged_equal_the_whole(void **state) {
  (void)state;
  fixture f = load();
  plan p = fixed_plan("gbs=16");
  search_result *whole = run(&f, 8, "gbs=16", 7, 2, false), *parts[3];
  for (int i = 0; i < 3; i++) {
    search_options o;
    search_options_init(&o);
    o.top_k = 7;
    o.threads = 1;
    o.part = i;
    o.parts = 3;
    ts_err err = {0};
    if (search_best(&f.m, &f.sys, 8, &p, &o, &parts[i], &err)) fail_msg("%s", err.msg);
  }
  search_result *merged = NULL;
  ts_err err = {0};
  const search_result *const ptrs[3] = {parts[0], parts[1], parts[2]};
  assert_int_equal(search_result_merge(ptrs, 3, 7, &merged, &err), TS_OK);
  assert_same_top(merged, whole);
  for (int i = 0; i < 3; i++) search_result_free(parts[i]);
  search_result_free(merged);
  search_result_free(whole);
}

static void test_mpi_fallback_is_search_best(void **state) {
  (void)state;
  fixture f = load();
  plan p = fixed_plan("gbs=8");
  search_options o;
  search_options_init(&o);
  o.top_k = 4;
  o.threads = 1;
  search_result *a = NULL, *b = run(&f, 4, "gbs=8", 4, 1, false);
  ts_err err = {0};
  int rank = -1, size = -1;
  assert_int_equal(search_mpi_begin(NULL, NULL, &rank, &size, &err), TS_OK);
  assert_int_equal(rank, 0);
  assert_int_equal(size, 1);
  assert_int_equal(search_best_mpi(&f.m, &f.sys, 4, &p, &o, &a, &err), TS_OK);
  assert_same_top(a, b);
  search_mpi_end();
  search_result_free(a);
  search_result_free(b);
}

static ts_status search_err(const fixture *f, int64_t chips, const char *fix, ts_err *err) {
  plan p = fixed_plan(fix);
  search_result *r = NULL;
  ts_status st = search_best(&f->m, &f->sys, chips, &p, NULL, &r, err);
  search_result_free(r);
  return st;
}

/* Every plan of the result carries the report sim_run gives its own generated step, whether its
 * step was simulated or taken from another plan with the identical step (ZeRO 1 and 2, reused on
 * one thread): step time, breakdown, FLOPs and the memory per chip that follows from the plan. */
static void test_reused_reports_are_what_sim_run_gives(void **state) {
  (void)state;
  fixture f = load();
  search_result *r = run(&f, 4, "gbs=8", 60, 1, true);
  assert_true(r->stats.reused > 0);
  for (int32_t i = 0; i < r->n; i++) {
    const search_entry *e = &r->best[i];
    trace *t = NULL;
    sim_result *res = NULL;
    ts_err err = {0};
    gen_options go = {.allow_oom = true};
    search_options o;
    search_options_init(&o);
    if (gen_step(&f.m, &e->plan, &f.sys, 4, &go, &t, &err) || sim_run(t, &f.sys, &o.sim, &res, &err))
      fail_msg("%s: %s", e->text, err.msg);
    const sim_report *want = sim_result_report(res);
    if (want->step_s != e->report.step_s ||
        want->memory_bytes_per_chip != e->report.memory_bytes_per_chip ||
        want->breakdown.bubble_s != e->report.breakdown.bubble_s ||
        want->hw_flops != e->report.hw_flops)
      fail_msg("%s: step %.17g vs %.17g, memory %.17g vs %.17g", e->text, e->report.step_s,
               want->step_s, e->report.memory_bytes_per_chip, want->memory_bytes_per_chip);
    sim_result_free(res);
    trace_free(t);
  }
  search_result_free(r);
}

static void test_missing_gbs_is_a_usage_error(void **state) {
  (void)state;
  fixture f = load();
  ts_err err = {0};
  assert_int_equal(search_err(&f, 4, "tp=2", &err), TS_EUSAGE);
  assert_non_null(strstr(err.msg, "gbs"));
}

static void test_no_valid_plan_names_the_first_refusal(void **state) {
  (void)state;
  fixture f = load();
  ts_err err = {0};
  assert_int_equal(search_err(&f, 6, "tp=3,gbs=8", &err), TS_EINPUT);
  assert_non_null(strstr(err.msg, "none of the"));
  assert_non_null(strstr(err.msg, "tp=3"));
}

static void test_no_combination_of_ranks_is_an_input_error(void **state) {
  (void)state;
  fixture f = load();
  ts_err err = {0};
  assert_int_equal(search_err(&f, 4, "tp=2,pp=4,gbs=8", &err), TS_EINPUT);
  assert_non_null(strstr(err.msg, "no combination"));
}

static void test_nothing_fits_names_the_closest_plan(void **state) {
  (void)state;
  fixture f;
  ts_err err = {0};
  if (model_load("llama3-405b", &f.m, &err) || hw_system_load("dgx-h100", &f.sys, &err))
    fail_msg("%s", err.msg);
  assert_int_equal(search_err(&f, 8, "gbs=8", &err), TS_ENOFIT);
  assert_non_null(strstr(err.msg, "fits in memory"));
  assert_non_null(strstr(err.msg, "closest plan"));
}

/* A stack with unfused attention keeps the s^2 scores: every plan the search returns on such a
 * system says attention=naive and its memory counts the scores (as gen_step then checks). A plan
 * that fixes attention keeps it. */
static void test_unfused_attention_stack_counts_the_scores(void **state) {
  (void)state;
  fixture f = load();
  f.sys.naive_attention = true;
  search_result *r = run(&f, 4, "gbs=8", 3, 1, false);
  assert_true(r->n > 0);
  for (int i = 0; i < r->n; i++) {
    const search_entry *e = &r->best[i];
    assert_true(e->plan.naive_attention);
    plan flash = e->plan;
    flash.naive_attention = false;
    model_memory flash_mem;
    ts_err err = {0};
    assert_int_equal(model_memory_per_rank(&f.m, &flash, &flash_mem, &err), TS_OK);
    assert_true(e->memory.total_bytes > flash_mem.total_bytes);
  }
  search_result_free(r);
  r = run(&f, 4, "gbs=8,attention=flash", 3, 1, false);
  assert_true(r->n > 0);
  assert_false(r->best[0].plan.naive_attention);
  search_result_free(r);
}

/* The search's context for f, as search_best resolves it with default options. */
static search_ctx context_of(const fixture *f, int64_t chips, const plan *fixed) {
  search_ctx c;
  memset(&c, 0, sizeof c);
  search_options_init(&c.opt);
  c.m = &f->m, c.sys = &f->sys, c.chips = chips, c.fixed = fixed;
  int64_t rpc = f->sys.chip.ranks_per_chip > 0 ? f->sys.chip.ranks_per_chip : 1;
  c.ranks = chips * rpc;
  sim_rank_chip(&f->sys.chip, &c.rank_chip);
  ts_err err = {0};
  if (search_bound_init(&c, &err)) fail_msg("%s", err.msg);
  return c;
}

static bool zero_siblings(const plan *a, const plan *b) {
  plan x = *a, y = *b;
  x.zero = y.zero = 0;
  return memcmp(&x, &y, sizeof x) == 0;
}

/* What one plan's generated step bounds for its ZeRO siblings: the schedule without the DP stream
 * for every sibling, the whole schedule bound between ZeRO 1 and 2; never above their steps. */
static void check_sibling_bounds(const search_ctx *c, const search_result *all) {
  double *nodp = calloc((size_t)all->n, sizeof *nodp), *sched = calloc((size_t)all->n, sizeof *sched);
  assert_non_null(nodp);
  assert_non_null(sched);
  search_sched *ss = NULL;
  sim_cache *sc = NULL;
  ts_err err = {0};
  if (search_sched_new(c, &ss, &err) || sim_cache_new(c->sys, c->chips, &c->opt.sim, &sc, &err))
    fail_msg("%s", err.msg);
  for (int i = 0; i < all->n; i++) {
    gen_options go = {.allow_oom = true};
    trace *t = NULL;
    if (gen_step(c->m, &all->best[i].plan, c->sys, c->chips, &go, &t, &err) ||
        sim_cache_prepare(sc, t, &err) || search_sched_bound(ss, t, sc, &sched[i], &err))
      fail_msg("%s: %s", all->best[i].text, err.msg);
    nodp[i] = search_sched_nodp_s(ss);
    assert_true(nodp[i] > 0 && nodp[i] <= sched[i]);
    sim_cache_release(sc);
    trace_free(t);
  }
  int pairs = 0;
  for (int i = 0; i < all->n; i++)
    for (int j = 0; j < all->n; j++) {
      const search_entry *a = &all->best[i], *b = &all->best[j];
      if (i == j || !zero_siblings(&a->plan, &b->plan)) continue;
      pairs++;
      if (!(nodp[i] <= b->report.step_s))
        fail_msg("schedule without DP %.9g of %s above the step %.9g of %s", nodp[i], a->text,
                 b->report.step_s, b->text);
      bool z12 = (a->plan.zero == 1 && b->plan.zero == 2) || (a->plan.zero == 2 && b->plan.zero == 1);
      if (z12 && !(sched[i] <= b->report.step_s))
        fail_msg("schedule bound %.9g of %s above the step %.9g of %s", sched[i], a->text,
                 b->report.step_s, b->text);
    }
  assert_true(pairs > 0);
  sim_cache_free(sc);
  search_sched_free(ss);
  free(nodp);
  free(sched);
}

/* Every plan of the space simulated (exhaustive): the bound taken before generating a step (the
 * layers plus the embedding and head ops, search_bound_edges) is never above the simulated step,
 * nor is the bound the search recorded (it includes the bounds shared by ZeRO siblings); the
 * edges count something (the logits GEMM and the embedding exist), and the space covers pp > 1,
 * dp > 1 and every ZeRO stage. */
static void check_bounds_before_generation(const char *model_spec, int64_t chips, const char *fix) {
  fixture f;
  ts_err err = {0};
  if (model_load(model_spec, &f.m, &err) || hw_system_load("dgx-h100", &f.sys, &err))
    fail_msg("%s", err.msg);
  plan fixed = fixed_plan(fix);
  search_ctx c = context_of(&f, chips, &fixed);
  search_result *all = run(&f, chips, fix, 100000, 2, true);
  assert_true(all->n > 0);
  int tighter = 0, pp = 0, dp = 0, zero[4] = {0};
  for (int i = 0; i < all->n; i++) {
    const search_entry *e = &all->best[i];
    double layer_s = search_layer_s(&c, &e->plan);
    search_edges edges = search_edges_s(&c, &e->plan);
    if (!(edges.first_s > 0 && edges.last_s > 0))
      fail_msg("no edge ops (%g, %g) for %s", edges.first_s, edges.last_s, e->text);
    double pre = search_bound_edges(&c, &e->plan, layer_s, edges);
    if (!(pre <= e->report.step_s))
      fail_msg("%s: bound before generating %.9g above step %.9g for %s", model_spec, pre,
               e->report.step_s, e->text);
    if (!(e->bound_s <= e->report.step_s))
      fail_msg("%s: bound %.9g above step %.9g for %s", model_spec, e->bound_s, e->report.step_s,
               e->text);
    tighter += pre > search_bound(&c, &e->plan, layer_s);
    pp += e->plan.pp > 1, dp += e->plan.dp > 1, zero[e->plan.zero & 3]++;
  }
  assert_true(tighter > 0);
  assert_true(pp > 0 && dp > 0 && zero[0] > 0 && zero[1] > 0 && zero[2] > 0 && zero[3] > 0);
  check_sibling_bounds(&c, all);
  search_result_free(all);
}

static void test_bounds_before_generation_are_below_every_step(void **state) {
  (void)state;
  check_bounds_before_generation(TINY, 4, "gbs=8");
  check_bounds_before_generation("layers=4,hidden=256,ffn=512,heads=4,kv_heads=2,vocab=2048,"
                                 "seq=1024,mlp=swiglu,moe_experts=4,moe_topk=2",
                                 4, "gbs=8");
  check_bounds_before_generation("layers=6,hidden=512,ffn=1536,heads=8,kv_heads=2,vocab=4096,"
                                 "seq=2048,mlp=swiglu,tied=true",
                                 8, "gbs=16,mbs=1");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_space_size_matches_hand_count),
      cmocka_unit_test(test_fixed_fields_are_held),
      cmocka_unit_test(test_every_field_fixed_is_one_plan),
      cmocka_unit_test(test_pruning_keeps_the_true_best),
      cmocka_unit_test(test_bounds_before_generation_are_below_every_step),
      cmocka_unit_test(test_pruning_on_shared_chips_keeps_the_true_best),
      cmocka_unit_test(test_same_top_on_one_and_two_threads),
      cmocka_unit_test(test_parts_merged_equal_the_whole),
      cmocka_unit_test(test_mpi_fallback_is_search_best),
      cmocka_unit_test(test_reused_reports_are_what_sim_run_gives),
      cmocka_unit_test(test_missing_gbs_is_a_usage_error),
      cmocka_unit_test(test_unfused_attention_stack_counts_the_scores),
      cmocka_unit_test(test_no_valid_plan_names_the_first_refusal),
      cmocka_unit_test(test_no_combination_of_ranks_is_an_input_error),
      cmocka_unit_test(test_nothing_fits_names_the_closest_plan),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
