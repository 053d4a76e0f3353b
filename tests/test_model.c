/* Models: the zoo loads and carries its sources, the inline form with its defaults, and every
 * error of the inline form and of zoo files (field named; file:line for files). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "models/models.h"

static const char *const ZOO[] = {"gpt3-1.7b",   "gpt3-3.6b",    "gpt3-7.5b",      "gpt3-18.4b",
                                  "gpt3-39.1b",  "gpt3-76.1b",   "gpt3-145.6b",    "gpt3-310.1b",
                                  "gpt3-529.6b", "gpt3-1t",      "gpt3-175b",      "llama2-7b",
                                  "llama2-13b",  "llama2-70b",   "llama3-8b",      "llama3-70b",
                                  "llama3-405b", "mixtral-8x7b", "nemotron4-340b", "deepseek-v3"};

static void test_every_zoo_model_loads_with_a_source(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof ZOO / sizeof ZOO[0]; i++) {
    model m;
    ts_err err = {0};
    assert_int_equal(model_load(ZOO[i], &m, &err), TS_OK);
    assert_string_equal(m.name, ZOO[i]);
    assert_true(strlen(m.source) > 20);
    assert_int_equal(model_check(&m, &err), TS_OK);
  }
}

static void test_zoo_names_are_sorted_and_complete(void **state) {
  (void)state;
  char(*names)[64] = NULL;
  size_t n = 0;
  ts_err err = {0};
  assert_int_equal(model_zoo_names(&names, &n, &err), TS_OK);
  assert_true(n >= sizeof ZOO / sizeof ZOO[0]);
  for (size_t i = 1; i < n; i++) assert_true(strcmp(names[i - 1], names[i]) < 0);
  for (size_t k = 0; k < sizeof ZOO / sizeof ZOO[0]; k++) {
    bool found = false;
    for (size_t i = 0; i < n; i++) found = found || strcmp(names[i], ZOO[k]) == 0;
    assert_true(found);
  }
  free(names);
}

static void test_gpt3_175b_matches_the_paper(void **state) {
  (void)state;
  model m;
  ts_err err = {0};
  assert_int_equal(model_load("gpt3-175b", &m, &err), TS_OK);
  assert_int_equal(m.layers, 96);
  assert_int_equal(m.hidden, 12288);
  assert_int_equal(m.heads, 96);
  assert_int_equal(m.kv_heads, 96);
  assert_int_equal(m.head_dim, 128);
  assert_int_equal(m.vocab, 51200);
  assert_int_equal(m.seq, 2048);
  assert_int_equal(m.ffn, 4 * 12288);
  assert_int_equal(m.mlp, MODEL_MLP_GELU);
  assert_true(m.tied_embeddings);
}

static void test_llama3_70b_has_gqa_and_swiglu(void **state) {
  (void)state;
  model m;
  ts_err err = {0};
  assert_int_equal(model_load("llama3-70b", &m, &err), TS_OK);
  assert_int_equal(m.kv_heads, 8);
  assert_int_equal(m.head_dim, 128);
  assert_int_equal(m.ffn, 28672);
  assert_int_equal(m.mlp, MODEL_MLP_SWIGLU);
  assert_false(m.tied_embeddings);
}

static void test_deepseek_v3_has_latent_attention_and_moe(void **state) {
  (void)state;
  model m;
  ts_err err = {0};
  assert_int_equal(model_load("deepseek-v3", &m, &err), TS_OK);
  assert_int_equal(m.attn, MODEL_ATTN_LATENT);
  assert_int_equal(m.q_lora_rank, 1536);
  assert_int_equal(m.kv_lora_rank, 512);
  assert_int_equal(m.qk_rope_dim, 64);
  assert_int_equal(m.qk_nope_dim, 128);
  assert_int_equal(m.v_head_dim, 128);
  assert_int_equal(m.head_dim, 192); /* qk_nope + qk_rope */
  assert_int_equal(m.moe_experts, 256);
  assert_int_equal(m.moe_topk, 8);
  assert_int_equal(m.moe_shared, 1);
  assert_int_equal(m.moe_ffn, 2048);
  assert_int_equal(m.dense_layers, 3);
  assert_int_equal(m.ffn, 18432);
}

static void test_inline_form_fills_documented_defaults(void **state) {
  (void)state;
  model m;
  ts_err err = {0};
  assert_int_equal(
      model_load("layers=4,hidden=512,ffn=2048,heads=8,vocab=1000,seq=128,mlp=gelu", &m, &err),
      TS_OK);
  assert_string_equal(m.name, "inline");
  assert_int_equal(m.kv_heads, 8);
  assert_int_equal(m.head_dim, 64);
  assert_int_equal(m.attn, MODEL_ATTN_STANDARD);
  assert_false(m.tied_embeddings);
  assert_int_equal(m.moe_experts, 0);
  assert_int_equal(model_load("layers=4,hidden=512,ffn=2048,heads=8,kv_heads=2,vocab=1000,seq=128,"
                              "mlp=swiglu,moe_experts=8,moe_topk=2,tied=true,name=tiny",
                              &m, &err),
                   TS_OK);
  assert_string_equal(m.name, "tiny");
  assert_int_equal(m.moe_ffn, 2048); /* defaults to ffn */
  assert_int_equal(m.kv_heads, 2);
  assert_true(m.tied_embeddings);
}

static void test_mlp_names_round_trip(void **state) {
  (void)state;
  const model_mlp all[] = {MODEL_MLP_GELU, MODEL_MLP_SWIGLU, MODEL_MLP_RELU2};
  for (size_t i = 0; i < 3; i++) {
    model_mlp back;
    assert_true(model_mlp_parse(model_mlp_name(all[i]), &back));
    assert_int_equal(back, all[i]);
  }
  model_mlp x;
  assert_false(model_mlp_parse("silu", &x));
}

static void test_unknown_zoo_name_suggests_closest(void **state) {
  (void)state;
  model m;
  ts_err err = {0};
  assert_int_equal(model_load("llama3-7b", &m, &err), TS_ENOTFOUND);
  assert_non_null(strstr(err.msg, "unknown model 'llama3-7b'"));
  assert_non_null(strstr(err.msg, "llama3-8b"));
  assert_int_not_equal(model_load("../no/such/model.yaml", &m, &err), TS_OK);
  assert_int_equal(model_load("", &m, &err), TS_EUSAGE);
}

typedef struct inline_case {
  const char *spec;
  const char *expect; /* substring of the message */
} inline_case;

#define BASE "layers=4,hidden=512,ffn=2048,heads=8,vocab=1000,seq=128"
static void test_inline_errors_name_the_field(void **state) {
  (void)state;
  const inline_case cases[] = {
      {"layers=4,hidden=512,ffn=2048,heads=8,vocab=1000,mlp=gelu", "missing required field 'seq'"},
      {BASE, "missing required field 'mlp'"},
      {BASE ",mlp=tanh", "field 'mlp': 'tanh' is not gelu"},
      {BASE ",mlp=gelu,layers=5", "field 'layers' given twice"},
      {BASE ",mlp=gelu,depth=3", "unknown field 'depth'"},
      {BASE ",mlp=gelu,hidden2", "'hidden2' is not key=value"},
      {"layers=four,hidden=512", "field 'layers': 'four' is not an integer"},
      {"layers=0,hidden=512", "field 'layers': 0 is out of range"},
      {"layers=-3", "field 'layers': -3 is out of range"},
      {BASE ",mlp=gelu,kv_heads=3", "field 'kv_heads': 3 does not divide heads 8"},
      {"layers=4,hidden=500,ffn=2048,heads=8,vocab=1000,seq=128,mlp=gelu",
       "field 'heads': 8 does not divide hidden 500"},
      {BASE ",mlp=gelu,moe_experts=8,moe_topk=9", "field 'moe_topk': 9 is out of range"},
      {BASE ",mlp=gelu,moe_experts=8", "field 'moe_topk': 0 is out of range"},
      {BASE ",mlp=gelu,moe_topk=2", "need moe_experts > 0"},
      {BASE ",mlp=gelu,moe_experts=8,moe_topk=2,dense_layers=4",
       "field 'dense_layers': 4 is out of range"},
      {BASE ",mlp=gelu,kv_lora_rank=512", "need attention=latent"},
      {BASE ",mlp=gelu,attention=latent", "field 'kv_lora_rank': 0 is out of range"},
      {BASE ",mlp=gelu,attention=sparse", "field 'attention': 'sparse' is not standard or latent"},
      {BASE ",mlp=gelu,tied=yes", "field 'tied': 'yes' is not true or false"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    model m;
    ts_err err = {0};
    assert_int_equal(model_load(cases[i].spec, &m, &err), TS_EINPUT);
    if (!strstr(err.msg, cases[i].expect)) fail_msg("%s: got '%s'", cases[i].spec, err.msg);
  }
}

static void test_check_refuses_a_program_built_model(void **state) {
  (void)state;
  model m;
  ts_err err = {0};
  assert_int_equal(model_load(BASE ",mlp=gelu", &m, &err), TS_OK);
  m.name[0] = '\0';
  assert_int_equal(model_check(&m, &err), TS_EINPUT);
  assert_non_null(strstr(err.msg, "'name'"));
  assert_int_equal(model_load(BASE ",mlp=gelu", &m, &err), TS_OK);
  m.vocab = 0;
  assert_int_equal(model_check(&m, &err), TS_EINPUT);
  assert_non_null(strstr(err.msg, "field 'vocab'"));
  m.vocab = 10;
  m.mlp = (model_mlp)7;
  assert_int_equal(model_check(&m, &err), TS_EINPUT);
  assert_non_null(strstr(err.msg, "field 'mlp'"));
}

/* Writes text to a fresh file in a temporary folder; returns its path in buf. */
static void write_temp(char *dir, char *buf, size_t cap, const char *text) {
  snprintf(dir, 64, "/tmp/ts_model_XXXXXX");
  assert_non_null(mkdtemp(dir));
  snprintf(buf, cap, "%s/custom.yaml", dir);
  FILE *f = fopen(buf, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static void expect_file_error(const char *text, const char *expect) {
  char dir[64], path[256];
  write_temp(dir, path, sizeof path, text);
  model m;
  ts_err err = {0};
  assert_int_equal(model_load(path, &m, &err), TS_EINPUT);
  if (!strstr(err.msg, expect)) fail_msg("expected '%s' in '%s'", expect, err.msg);
  assert_non_null(strstr(err.msg, path));
  unlink(path);
  rmdir(dir);
}

#define FILE_HEAD "name: custom\nsource: test fixture\n"
#define FILE_BODY "layers: 4\nhidden: 512\nffn: 2048\nheads: 8\nvocab: 1000\nseq: 128\n"
static void test_zoo_file_errors_name_file_and_line(void **state) {
  (void)state;
  expect_file_error(FILE_HEAD FILE_BODY "mlp: gelu\ncolour: red\n",
                    "custom.yaml:10: model: unknown field 'colour'");
  expect_file_error(FILE_HEAD "kv_heads: many\n" FILE_BODY,
                    "custom.yaml:3: field 'kv_heads': 'many' is not an integer");
  expect_file_error(FILE_HEAD FILE_BODY "mlp: gelu\nlayers: 5\n",
                    "custom.yaml:10: model: duplicate field 'layers'");
  expect_file_error("name: custom\n" FILE_BODY "mlp: gelu\n", "missing required field 'source'");
  expect_file_error("source: x\n" FILE_BODY "mlp: gelu\n", "missing required field 'name'");
  expect_file_error(FILE_HEAD FILE_BODY,
                    "custom.yaml:1: model 'custom': missing required field 'mlp'");
  expect_file_error(FILE_HEAD FILE_BODY "mlp: [gelu]\n",
                    "custom.yaml:9: field 'mlp': expected a single value");
  expect_file_error("- a\n- b\n", "expected a mapping");
}

static void test_zoo_file_by_path_loads(void **state) {
  (void)state;
  char dir[64], path[256];
  write_temp(dir, path, sizeof path, FILE_HEAD FILE_BODY "mlp: relu2\nkv_heads: 4\n");
  model m;
  ts_err err = {0};
  assert_int_equal(model_load(path, &m, &err), TS_OK);
  assert_string_equal(m.name, "custom");
  assert_int_equal(m.mlp, MODEL_MLP_RELU2);
  assert_int_equal(m.kv_heads, 4);
  unlink(path);
  rmdir(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_zoo_model_loads_with_a_source),
      cmocka_unit_test(test_zoo_names_are_sorted_and_complete),
      cmocka_unit_test(test_gpt3_175b_matches_the_paper),
      cmocka_unit_test(test_llama3_70b_has_gqa_and_swiglu),
      cmocka_unit_test(test_deepseek_v3_has_latent_attention_and_moe),
      cmocka_unit_test(test_inline_form_fills_documented_defaults),
      cmocka_unit_test(test_mlp_names_round_trip),
      cmocka_unit_test(test_unknown_zoo_name_suggests_closest),
      cmocka_unit_test(test_inline_errors_name_the_field),
      cmocka_unit_test(test_check_refuses_a_program_built_model),
      cmocka_unit_test(test_zoo_file_errors_name_file_and_line),
      cmocka_unit_test(test_zoo_file_by_path_loads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
