/* Plans: parsing with the set bits and defaults, the canonical text form, the pipeline split
 * (even, uneven with the end stages smaller, explicit, with virtual chunks) and every refusal of
 * plan_check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "models/models.h"

static plan parse_ok(const char *spec) {
  plan p;
  ts_err err = {0};
  ts_status st = plan_parse(spec, &p, &err);
  if (st != TS_OK) fail_msg("%s: %s", spec, err.msg);
  return p;
}

static model load_ok(const char *spec) {
  model m;
  ts_err err = {0};
  if (model_load(spec, &m, &err) != TS_OK) fail_msg("%s: %s", spec, err.msg);
  return m;
}

/* A hand-built system: 8 chips per domain, ranks_per_chip ranks each, bf16 and fp8 only. */
static hw_system fake_system(int ranks_per_chip) {
  hw_system s;
  memset(&s, 0, sizeof s);
  snprintf(s.name, sizeof s.name, "fake");
  snprintf(s.chip.name, sizeof s.chip.name, "fakechip");
  s.chip.ranks_per_chip = ranks_per_chip;
  s.chip.peak_flops[HW_BF16] = 1e15;
  s.chip.peak_flops[HW_FP8] = 2e15;
  s.chip.hbm_bytes = 80e9;
  return s;
}

static void test_full_plan_string_sets_every_field_and_bit(void **state) {
  (void)state;
  plan p = parse_ok(
      "tp=8,pp=16,dp=64,cp=2,ep=4,vpp=2,mbs=2,gbs=2048,recompute=selective,zero=2,"
      "dtype=fp8,schedule=interleaved,sp=false,tp_overlap=false,dp_overlap=off,"
      "pp_overlap=0,attention=naive");
  assert_int_equal(p.tp, 8);
  assert_int_equal(p.pp, 16);
  assert_int_equal(p.dp, 64);
  assert_int_equal(p.cp, 2);
  assert_int_equal(p.ep, 4);
  assert_int_equal(p.vpp, 2);
  assert_int_equal(p.mbs, 2);
  assert_int_equal(p.gbs, 2048);
  assert_int_equal(p.recompute, PLAN_RECOMP_SELECTIVE);
  assert_int_equal(p.zero, 2);
  assert_int_equal(p.dtype, HW_FP8);
  assert_int_equal(p.schedule, PLAN_SCHED_INTERLEAVED);
  assert_false(p.sp);
  assert_false(p.tp_overlap);
  assert_false(p.dp_overlap);
  assert_false(p.pp_overlap);
  assert_true(p.naive_attention);
  assert_int_equal(p.set, (1u << 18) - 1u - PLAN_SET_STAGE_LAYERS);
  assert_int_equal(plan_micro_batches(&p), 2048 / (64 * 2));
}

static void test_empty_plan_takes_the_documented_defaults(void **state) {
  (void)state;
  plan p = parse_ok("");
  assert_int_equal(p.set, 0);
  assert_int_equal(p.tp * p.pp * p.dp * p.cp * p.ep * p.vpp * p.mbs, 1);
  assert_int_equal(p.gbs, 1);
  assert_int_equal(p.recompute, PLAN_RECOMP_NONE);
  assert_int_equal(p.zero, 1);
  assert_int_equal(p.dtype, HW_BF16);
  assert_int_equal(p.schedule, PLAN_SCHED_1F1B);
  assert_false(p.sp);
  assert_true(p.tp_overlap && p.dp_overlap && p.pp_overlap);
  assert_false(p.naive_attention);
  assert_int_equal(p.n_stage_layers, 0);
}

static void test_dependent_defaults_follow_the_given_fields(void **state) {
  (void)state;
  plan p = parse_ok("tp=4,dp=8,mbs=2,vpp=3");
  assert_int_equal(p.gbs, 16);                          /* dp * mbs */
  assert_true(p.sp);                                    /* tp > 1 */
  assert_int_equal(p.schedule, PLAN_SCHED_INTERLEAVED); /* vpp > 1 */
  assert_int_equal(p.set, PLAN_SET_TP | PLAN_SET_DP | PLAN_SET_MBS | PLAN_SET_VPP);
  p = parse_ok("tp=4,sp=false,zero=fsdp");
  assert_false(p.sp);
  assert_int_equal(p.zero, 3);
  p = parse_ok("stage_layers=7/8/8/7");
  assert_int_equal(p.pp, 4); /* implied by the list */
  assert_int_equal(p.n_stage_layers, 4);
  assert_int_equal(p.stage_layers[3], 7);
}

static void test_format_round_trips_through_parse(void **state) {
  (void)state;
  const char *specs[] = {
      "", "tp=8,pp=16,dp=64,gbs=2048,recompute=full,zero=0,dtype=fp16",
      "tp=2,pp=4,vpp=2,stage_layers=3/4/4/3,attention=naive,schedule=interleaved",
      "pp=2,schedule=gpipe,sp=true,cp=4"};
  for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
    plan a = parse_ok(specs[i]);
    char text[512];
    int n = plan_format(&a, text, sizeof text);
    assert_int_equal(n, (int)strlen(text));
    assert_int_equal(plan_format(&a, NULL, 0), n);
    plan b = parse_ok(text);
    char again[512];
    plan_format(&b, again, sizeof again);
    assert_string_equal(text, again);
    assert_int_equal(a.gbs, b.gbs);
    assert_int_equal(a.n_stage_layers, b.n_stage_layers);
  }
  plan p = parse_ok(
      "tp=8,pp=16,dp=64,cp=1,ep=1,vpp=1,mbs=1,gbs=2048,recompute=selective,zero=1,dtype=bf16,"
      "schedule=1f1b");
  char text[512];
  plan_format(&p, text, sizeof text);
  assert_string_equal(text,
                      "tp=8,pp=16,dp=64,cp=1,ep=1,vpp=1,mbs=1,gbs=2048,recompute=selective,zero=1,"
                      "dtype=bf16,schedule=1f1b,sp=true,tp_overlap=true,dp_overlap=true,"
                      "pp_overlap=true,attention=flash");
}

typedef struct err_case {
  const char *spec, *expect;
} err_case;

static void test_parse_errors_name_the_field(void **state) {
  (void)state;
  const err_case cases[] = {
      {"tp=8,foo=1", "unknown field 'foo'"},
      {"tp=8,tp=4", "field 'tp' given twice"},
      {"tp=eight", "field 'tp': 'eight' is not a number"},
      {"pp=0", "field 'pp': 0 is out of range"},
      {"dp=-2", "field 'dp': -2 is out of range"},
      {"pp=2000", "field 'pp': 2000 is out of range (expected 1..1024)"},
      {"vpp=2000", "field 'vpp': 2000 is out of range (expected 1..1024)"},
      {"gbs=0", "field 'gbs': 0 is out of range"},
      {"mbs=1.5", "field 'mbs': '1.5' is not a number"},
      {"recompute=some", "field 'recompute': 'some' is not none, selective or full"},
      {"zero=4", "field 'zero': 4 is out of range"},
      {"zero=x", "field 'zero': 'x' is not a number"},
      {"dtype=int8", "field 'dtype': 'int8' is not fp32"},
      {"schedule=zb", "field 'schedule': 'zb' is not 1f1b"},
      {"sp=maybe", "field 'sp': 'maybe' is not true or false"},
      {"attention=fast", "field 'attention': 'fast' is not flash or naive"},
      {"tp=8,,pp=2", "empty field"},
      {"tp=8,", "empty field after the last comma"},
      {"tp", "'tp' is not key=value"},
      {"tp=", "field 'tp' has no value"},
      {"=8", "'=8' is not key=value"},
      {"pp=4,stage_layers=8/8", "field 'stage_layers': 2 entries, expected pp=4"},
      {"stage_layers=8//8", "field 'stage_layers': '8//8' is not a list"},
      {"stage_layers=8/0", "entry 2 '0' is not a positive number of layers"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    plan p;
    ts_err err = {0};
    assert_int_equal(plan_parse(cases[i].spec, &p, &err), TS_EINPUT);
    if (!strstr(err.msg, cases[i].expect)) fail_msg("%s: got '%s'", cases[i].spec, err.msg);
  }
}

static void test_uneven_split_gives_end_stages_the_smaller_share(void **state) {
  (void)state;
  model m = load_ok("llama3-405b"); /* 126 layers */
  plan p = parse_ok("pp=16");
  int64_t sum = 0;
  for (int32_t s = 0; s < 16; s++) {
    int64_t expect = (s == 0 || s == 15) ? 7 : 8; /* 7 + 14*8 + 7 = 126 */
    assert_int_equal(plan_stage_layers(&p, &m, s), expect);
    assert_int_equal(plan_chunk_first_layer(&p, &m, s), sum);
    sum += expect;
  }
  assert_int_equal(sum, 126);
  model small = load_ok("layers=10,hidden=64,ffn=256,heads=4,vocab=100,seq=16,mlp=gelu");
  p = parse_ok("pp=4");
  const int64_t ten[] = {2, 3, 3, 2};
  for (int32_t s = 0; s < 4; s++) assert_int_equal(plan_stage_layers(&p, &small, s), ten[s]);
  small.layers = 9;
  const int64_t nine[] = {2, 3, 2, 2};
  for (int32_t s = 0; s < 4; s++) assert_int_equal(plan_stage_layers(&p, &small, s), nine[s]);
  small.layers = 11; /* 3 extra layers on 4 stages: both middles, then the first */
  const int64_t eleven[] = {3, 3, 3, 2};
  for (int32_t s = 0; s < 4; s++) assert_int_equal(plan_stage_layers(&p, &small, s), eleven[s]);
  small.layers = 5;
  p = parse_ok("pp=2");
  assert_int_equal(plan_stage_layers(&p, &small, 0), 3);
  assert_int_equal(plan_stage_layers(&p, &small, 1), 2);
  assert_int_equal(plan_stage_layers(&p, &small, 2), 0); /* out of range */
}

static void test_virtual_chunks_split_evenly_and_sit_round_robin(void **state) {
  (void)state;
  model m = load_ok("gpt3-175b"); /* 96 layers */
  plan p = parse_ok("pp=8,vpp=3");
  for (int32_t c = 0; c < 24; c++) {
    assert_int_equal(plan_chunk_layers(&p, &m, c), 4);
    assert_int_equal(plan_chunk_first_layer(&p, &m, c), 4 * c);
  }
  for (int32_t s = 0; s < 8; s++) assert_int_equal(plan_stage_layers(&p, &m, s), 12);
  /* Explicit per-stage counts are spread over each stage's chunks. */
  p = parse_ok("pp=2,vpp=2,stage_layers=5/4");
  model small = load_ok("layers=9,hidden=64,ffn=256,heads=4,vocab=100,seq=16,mlp=gelu");
  assert_int_equal(plan_chunk_layers(&p, &small, 0), 3); /* stage 0, virtual 0 */
  assert_int_equal(plan_chunk_layers(&p, &small, 1), 2); /* stage 1, virtual 0 */
  assert_int_equal(plan_chunk_layers(&p, &small, 2), 2); /* stage 0, virtual 1 */
  assert_int_equal(plan_chunk_layers(&p, &small, 3), 2);
  assert_int_equal(plan_stage_layers(&p, &small, 0), 5);
  assert_int_equal(plan_stage_layers(&p, &small, 1), 4);
}

static void test_chunks_tile_the_layers_without_gap_or_overlap(void **state) {
  (void)state;
  model m = load_ok("layers=1,hidden=64,ffn=256,heads=4,vocab=100,seq=16,mlp=gelu");
  for (int64_t layers = 1; layers <= 40; layers++)
    for (int32_t pp = 1; pp <= 8; pp++)
      for (int32_t vpp = 1; vpp <= 3; vpp++) {
        if ((int64_t)pp * vpp > layers) continue;
        m.layers = layers;
        plan p;
        plan_init(&p);
        p.pp = pp;
        p.vpp = vpp;
        int32_t n = pp * vpp;
        int64_t smallest = layers, largest = 0;
        for (int32_t c = 0; c < n; c++) {
          int64_t k = plan_chunk_layers(&p, &m, c);
          assert_int_equal(plan_chunk_first_layer(&p, &m, c + 1),
                           plan_chunk_first_layer(&p, &m, c) + k);
          smallest = k < smallest ? k : smallest;
          largest = k > largest ? k : largest;
        }
        assert_int_equal(plan_chunk_first_layer(&p, &m, n), layers);
        assert_true(smallest >= 1 && largest - smallest <= 1); /* as even as possible */
        if (n > 2 && layers % n != 0 && layers % n <= n - 2) /* the ends take the smaller shares */
          assert_true(plan_chunk_layers(&p, &m, 0) == smallest &&
                      plan_chunk_layers(&p, &m, n - 1) == smallest);
      }
}

static void test_published_plans_pass_the_check(void **state) {
  (void)state;
  hw_system sys = fake_system(1);
  model m = load_ok("llama3-405b");
  m.seq = 8192;
  plan p = parse_ok("tp=8,pp=16,dp=128,gbs=2048");
  ts_err err = {0};
  assert_int_equal(plan_check(&p, &m, &sys, 16384, &err), TS_OK);
  m = load_ok("gpt3-175b");
  p = parse_ok("tp=8,pp=8,vpp=3,gbs=64,recompute=selective");
  assert_int_equal(plan_check(&p, &m, &sys, 64, &err), TS_OK);
  /* Trainium: degrees count NeuronCores, two per chip. */
  hw_system trn = fake_system(2);
  m = load_ok("llama2-70b");
  p = parse_ok("tp=32,pp=4,dp=8,gbs=1024"); /* tp 32 > 8 KV heads: replicated, allowed */
  assert_int_equal(plan_check(&p, &m, &trn, 512, &err), TS_OK);
  m = load_ok("mixtral-8x7b");
  p = parse_ok("tp=2,pp=4,dp=8,ep=8,gbs=256");
  assert_int_equal(plan_check(&p, &m, &sys, 64, &err), TS_OK);
  assert_int_equal(plan_check(&p, &m, NULL, 0, &err), TS_OK); /* no system: model checks only */
}

typedef struct check_case {
  const char *model, *plan;
  int64_t chips;
  const char *expect;
} check_case;

#define SMALL "layers=8,hidden=512,ffn=2048,heads=8,kv_heads=4,vocab=1000,seq=128,mlp=swiglu"
#define SMALL_MOE SMALL ",moe_experts=8,moe_topk=2"
static void test_check_refusals_are_one_line_and_name_the_numbers(void **state) {
  (void)state;
  const check_case cases[] = {
      {SMALL, "tp=3,dp=1", 3, "tp=3 does not divide the 8 heads"},
      {"layers=8,hidden=768,ffn=2048,heads=12,kv_heads=4,vocab=1000,seq=128,mlp=gelu", "tp=6", 6,
       "tp=6 and the 4 KV heads"},
      {SMALL, "pp=3,vpp=3", 9, "8 layers of model 'inline' cannot fill pp*vpp = 3*3 = 9 chunks"},
      {SMALL, "stage_layers=4/3", 2,
       "field 'stage_layers': sums to 7, model 'inline' has 8 layers"},
      {SMALL, "pp=2,vpp=2,stage_layers=7/1", 4,
       "stage 1 has 1 layers, fewer than its vpp=2 chunks"},
      {SMALL, "dp=4,mbs=2,gbs=12", 4, "gbs=12 is not divisible by dp*mbs = 4*2 = 8"},
      {SMALL, "cp=3", 3, "cp=3 does not divide seq 128"},
      {"layers=8,hidden=512,ffn=2048,heads=8,vocab=1000,seq=96,mlp=gelu", "cp=32", 32,
       "seq 96 is not divisible by 2*cp = 64"},
      {SMALL, "dp=2,ep=2", 2, "ep=2 needs a mixture-of-experts model"},
      {SMALL_MOE, "dp=3,ep=3", 3, "ep=3 does not divide the 8 experts"},
      {SMALL_MOE, "dp=2,ep=4", 2, "ep=4 does not divide dp*cp = 2"},
      {SMALL, "tp=2,dp=4", 4,
       "tp*pp*dp*cp = 8 ranks, but 4 chips x 1 ranks per chip of fake = 4 ranks"},
      {SMALL, "dtype=fp32", 1, "dtype=fp32 is not supported by chip fakechip"},
      {SMALL, "vpp=2,schedule=1f1b,pp=2", 2, "vpp=2 needs schedule=interleaved, not 1f1b"},
      {SMALL, "schedule=interleaved,pp=2", 2, "schedule=interleaved needs vpp > 1"},
  };
  hw_system sys = fake_system(1);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    model m = load_ok(cases[i].model);
    plan p = parse_ok(cases[i].plan);
    ts_err err = {0};
    assert_int_equal(plan_check(&p, &m, &sys, cases[i].chips, &err), TS_EINPUT);
    if (!strstr(err.msg, cases[i].expect)) fail_msg("%s: got '%s'", cases[i].plan, err.msg);
    assert_null(strchr(err.msg, '\n'));
  }
}

static void test_check_refuses_program_built_out_of_range_fields(void **state) {
  (void)state;
  model m = load_ok(SMALL);
  plan p;
  plan_init(&p);
  ts_err err = {0};
  p.zero = 5;
  assert_int_equal(plan_check(&p, &m, NULL, 0, &err), TS_EINPUT);
  assert_non_null(strstr(err.msg, "field 'zero': 5"));
  plan_init(&p);
  p.mbs = 0;
  assert_int_equal(plan_check(&p, &m, NULL, 0, &err), TS_EINPUT);
  assert_non_null(strstr(err.msg, "field 'mbs': 0"));
  plan_init(&p);
  p.gbs = 0;
  assert_int_equal(plan_check(&p, &m, NULL, 0, &err), TS_EINPUT);
  assert_non_null(strstr(err.msg, "field 'gbs'"));
}

static void test_names_of_schedules_and_recomputation(void **state) {
  (void)state;
  assert_string_equal(plan_schedule_name(PLAN_SCHED_1F1B), "1f1b");
  assert_string_equal(plan_schedule_name(PLAN_SCHED_INTERLEAVED), "interleaved");
  assert_string_equal(plan_schedule_name(PLAN_SCHED_GPIPE), "gpipe");
  assert_string_equal(plan_recompute_name(PLAN_RECOMP_NONE), "none");
  assert_string_equal(plan_recompute_name(PLAN_RECOMP_SELECTIVE), "selective");
  assert_string_equal(plan_recompute_name(PLAN_RECOMP_FULL), "full");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_full_plan_string_sets_every_field_and_bit),
      cmocka_unit_test(test_empty_plan_takes_the_documented_defaults),
      cmocka_unit_test(test_dependent_defaults_follow_the_given_fields),
      cmocka_unit_test(test_format_round_trips_through_parse),
      cmocka_unit_test(test_parse_errors_name_the_field),
      cmocka_unit_test(test_uneven_split_gives_end_stages_the_smaller_share),
      cmocka_unit_test(test_virtual_chunks_split_evenly_and_sit_round_robin),
      cmocka_unit_test(test_chunks_tile_the_layers_without_gap_or_overlap),
      cmocka_unit_test(test_published_plans_pass_the_check),
      cmocka_unit_test(test_check_refusals_are_one_line_and_name_the_numbers),
      cmocka_unit_test(test_check_refuses_program_built_out_of_range_fields),
      cmocka_unit_test(test_names_of_schedules_and_recomputation),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
