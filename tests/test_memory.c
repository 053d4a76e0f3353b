/* Memory per rank against formulas written out here: mixed-precision Adam (2 + 4 + 12 bytes per
 * parameter, sharded over DP per ZeRO stage), activations per Korthikanti et al. 2022 for each
 * recomputation mode with and without sequence parallelism (GPT-3 175B figures worked by hand),
 * in-flight micro-batches of 1F1B, interleaved and GPipe, and the HBM check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "models/models.h"

static model load_ok(const char *spec) {
  model m;
  ts_err err = {0};
  if (model_load(spec, &m, &err) != TS_OK) fail_msg("%s: %s", spec, err.msg);
  return m;
}

static model_memory memory_ok(const model *m, const char *plan_spec) {
  plan p;
  ts_err err = {0};
  if (plan_parse(plan_spec, &p, &err) != TS_OK) fail_msg("%s: %s", plan_spec, err.msg);
  model_memory mem;
  if (model_memory_per_rank(m, &p, &mem, &err) != TS_OK) fail_msg("%s: %s", plan_spec, err.msg);
  return mem;
}

static void assert_rel(double got, double want, double tol, const char *what) {
  double rel = fabs(got - want) / fabs(want);
  if (!(rel <= tol))
    fail_msg("%s: got %.10g, want %.10g (relative error %.3g)", what, got, want, rel);
}

/* Activations of one GPT-3 175B layer (s=2048, b=1, h=12288, a=96, t=8), as the difference
 * between a 2-layer and a 1-layer model on one stage: s*b*h = 25,165,824 and 5as/h/t = 10. */
static double one_layer(const char *plan_spec) {
  model one =
      load_ok("layers=1,hidden=12288,ffn=49152,heads=96,vocab=51200,seq=2048,mlp=gelu,tied=true");
  model two = one;
  two.layers = 2;
  return memory_ok(&two, plan_spec).activations_bytes -
         memory_ok(&one, plan_spec).activations_bytes;
}

static void test_activations_per_layer_match_korthikanti_table_2(void **state) {
  (void)state;
  const double sbh = 25165824.0;
  /* No parallelism tricks: sbh(10 + 24/t + 5as/ht) = sbh * 23. */
  assert_rel(one_layer("tp=8,sp=false,attention=naive"), 578813952.0, 1e-12, "tp only");
  /* Sequence parallelism: sbh(34/t + 5as/ht) = sbh * 14.25. */
  assert_rel(one_layer("tp=8,attention=naive"), 358612992.0, 1e-12, "tp + sp");
  /* Selective recomputation + SP: 34 sbh / t. */
  assert_rel(one_layer("tp=8,attention=naive,recompute=selective"), 106954752.0, 1e-12,
             "selective + sp");
  assert_rel(one_layer("tp=8,sp=false,recompute=selective,attention=naive"), sbh * (10 + 24.0 / 8),
             1e-12, "selective");
  /* Flash attention (the default) keeps no s^2 term even without recomputation. */
  assert_rel(one_layer("tp=8"), 106954752.0, 1e-12, "flash + sp");
  /* Full recomputation keeps the layer input: 2sbh, split by t with SP. */
  assert_rel(one_layer("tp=8,sp=false,recompute=full"), 2 * sbh, 1e-12, "full");
  assert_rel(one_layer("tp=8,recompute=full"), 2 * sbh / 8, 1e-12, "full + sp");
  /* fp8: the four saved GEMM inputs (QKV, output projection, FC1, FC2) are kept in 1 byte, the
   * output projection's copy beside flash attention's 2-byte output: 4 + 1 + 1 + 2 (replicated
   * with SP) + 6 + 3 + 8 + 4 = 29 sbh/t. fp32: every activation in 4 bytes, masks 1: 66 sbh/t. */
  assert_rel(one_layer("tp=8,dtype=fp8"), 29 * sbh / 8, 1e-12, "fp8 + sp");
  assert_rel(one_layer("tp=8,dtype=fp32"), 66 * sbh / 8, 1e-12, "fp32 + sp");
  assert_rel(one_layer("tp=8,dtype=fp32,recompute=full"), 4 * sbh / 8, 1e-12, "fp32 full");
  /* Context parallelism: each rank holds seq/cp tokens; micro-batch size scales linearly. */
  assert_rel(one_layer("tp=8,cp=2"), 106954752.0 / 2, 1e-12, "cp=2");
  assert_rel(one_layer("tp=8,mbs=4,dp=1"), 4 * 106954752.0, 1e-12, "mbs=4");
}

/* One layer's activations of a model given inline without its layers= field. */
static double one_layer_of(const char *spec, const char *plan_spec) {
  char text[512];
  snprintf(text, sizeof text, "layers=1,%s", spec);
  model one = load_ok(text);
  model two = one;
  two.layers = 2;
  return memory_ok(&two, plan_spec).activations_bytes -
         memory_ok(&one, plan_spec).activations_bytes;
}

static void test_activations_of_gqa_swiglu_and_moe_layers_by_hand(void **state) {
  (void)state;
  /* Llama 3 70B layer, s=8192, b=1, t=8 with SP: 10h replicated bytes (norm inputs, QKV and MLP
   * inputs, dropout masks) and, split by t, Q (2*8192) + K, V (2*1024 each) + attention output
   * (2*8192) + SwiGLU gate and up (2*2f) and the down-projection input (2f). */
  const double h = 8192, f = 28672, s = 8192;
  double per_token = 10 * h + 2 * (8192 + 1024 + 1024 + 8192) + 6 * f;
  assert_rel(
      one_layer_of("hidden=8192,ffn=28672,heads=64,kv_heads=8,vocab=128256,seq=8192,mlp=swiglu",
                   "tp=8"),
      s * per_token / 8, 1e-12, "llama3-70b layer");
  /* tp=16 > 8 KV heads: each rank still holds one K and one V head (128 wide). */
  per_token = 10 * h + 2 * (8192 + 16 * 128 + 16 * 128 + 8192) + 6 * f;
  assert_rel(
      one_layer_of("hidden=8192,ffn=28672,heads=64,kv_heads=8,vocab=128256,seq=8192,mlp=swiglu",
                   "tp=16"),
      s * per_token / 16, 1e-12, "replicated kv");
  /* Mixtral-like MoE layer (h=4096, 8 experts top-2 of 14336), t=2 with SP: the router's fp32
   * logits (4E) are replicated; each of the 2 dispatched copies keeps its input (2h) and the
   * expert's SwiGLU tensors (6f). */
  const double mh = 4096, mf = 14336, ms = 4096;
  per_token = 10 * mh + 4 * 8 + 2 * (4096 + 1024 + 1024 + 4096) + 2 * (2 * mh + 6 * mf);
  assert_rel(one_layer_of("hidden=4096,ffn=14336,heads=32,kv_heads=8,vocab=32000,seq=4096,"
                          "mlp=swiglu,moe_experts=8,moe_topk=2",
                          "tp=2"),
             ms * per_token / 2, 1e-12, "moe layer");
  /* DeepSeek-V3-like dense layer with latent attention, t=8 with SP: the two latents add their
   * norm inputs and up-projection inputs (4 bytes per latent element); Q and K are 192 wide per
   * head (nope + rope), V and the attention output 128. */
  const double dh = 7168, df = 18432, ds = 4096;
  per_token = 10 * dh + 4 * (1536 + 512) + 2 * (128 * 192 * 2 + 128 * 128 * 2) + 6 * df;
  assert_rel(one_layer_of("hidden=7168,ffn=18432,heads=128,vocab=129280,seq=4096,mlp=swiglu,"
                          "attention=latent,q_lora_rank=1536,kv_lora_rank=512,qk_rope_dim=64,"
                          "qk_nope_dim=128,v_head_dim=128",
                          "tp=8"),
             ds * per_token / 8, 1e-12, "latent layer");
}

/* Small GPT for the pipeline cases: h=1024, a=16, s=1024, V=51200, tp=1 (so sp off), 32 layers. */
#define SMALL_GPT "layers=32,hidden=1024,ffn=4096,heads=16,vocab=51200,seq=1024,mlp=gelu,tied=true"

static void test_pipeline_in_flight_micro_batches_per_schedule(void **state) {
  (void)state;
  model m = load_ok(SMALL_GPT);
  const double sbh = 1024.0 * 1024.0, per_layer = 34 * sbh, emb_mask = sbh;
  /* 1F1B, pp=4, 8 micro-batches: stage 0 holds pp = 4 micro-batches of its 8 layers. */
  model_memory mem = memory_ok(&m, "pp=4,gbs=8");
  assert_int_equal(mem.worst_stage, 0);
  assert_rel(mem.activations_bytes, 8 * 4 * per_layer + 4 * emb_mask, 1e-12, "1f1b");
  /* Fewer micro-batches than stages: only m are in flight. */
  mem = memory_ok(&m, "pp=4,gbs=2");
  assert_rel(mem.activations_bytes, 8 * 2 * per_layer + 2 * emb_mask, 1e-12, "1f1b m<pp");
  /* Interleaved, v=2: L/pp * pp * (1 + (pp-1)/(pp*v)) = 8 * 4 * 11/8 = 44 layer-micro-batches
   * (11 chunks of 4 layers; the embedding mask for 11/2 micro-batches). */
  mem = memory_ok(&m, "pp=4,vpp=2,gbs=8");
  assert_rel(mem.activations_bytes, 8 * 4 * (1 + 3.0 / 8) * per_layer + 5.5 * emb_mask, 1e-12,
             "interleaved");
  /* GPipe: every micro-batch's activations are alive at the end of the forward pass; the last
   * stage also keeps every micro-batch's logits, so it is the fullest. */
  mem = memory_ok(&m, "pp=4,gbs=8,schedule=gpipe");
  assert_int_equal(mem.worst_stage, 3);
  assert_rel(mem.activations_bytes, 8 * 8 * per_layer + 8 * (4 * sbh + 4 * 1024.0 * 51200), 1e-12,
             "gpipe");
  /* Last stage alone: its layers once, plus final norm, logits input and fp32 logits. */
  mem = memory_ok(&m, "pp=1,gbs=1");
  assert_rel(mem.activations_bytes, 32 * per_layer + emb_mask + 4 * sbh + 4 * 1024.0 * 51200, 1e-12,
             "single stage");
}

static void test_weights_gradients_optimizer_follow_zero_stages(void **state) {
  (void)state;
  model m = load_ok("layers=4,hidden=256,ffn=1024,heads=4,vocab=1000,seq=128,mlp=gelu");
  const double h = 256, V = 1000;
  /* 12h^2 matrices + 2 norms per layer; final norm; untied embedding and output layer. */
  const double P = 4 * (12 * h * h + 2 * h) + h + 2 * V * h;
  model_memory z0 = memory_ok(&m, "dp=8,zero=0");
  assert_rel(z0.weights_bytes, 2 * P, 1e-12, "weights");
  assert_rel(z0.grads_bytes, 4 * P, 1e-12, "grads");
  assert_rel(z0.optimizer_bytes, 12 * P, 1e-12, "optimizer");
  model_memory z1 = memory_ok(&m, "dp=8,zero=1");
  assert_rel(z1.weights_bytes, 2 * P, 1e-12, "zero1 weights");
  assert_rel(z1.grads_bytes, 4 * P, 1e-12, "zero1 grads");
  assert_rel(z1.optimizer_bytes, 12 * P / 8, 1e-12, "zero1 optimizer");
  model_memory z2 = memory_ok(&m, "dp=8,zero=2");
  assert_rel(z2.grads_bytes, 4 * P / 8, 1e-12, "zero2 grads");
  assert_rel(z2.weights_bytes, 2 * P, 1e-12, "zero2 weights");
  model_memory z3 = memory_ok(&m, "dp=4,cp=2,zero=3");
  assert_rel(z3.weights_bytes, 2 * P / 8, 1e-12, "zero3 weights over dp*cp");
  model_memory f32 = memory_ok(&m, "zero=0,dtype=fp32");
  assert_rel(f32.weights_bytes, 4 * P, 1e-12, "fp32 weights");
  assert_rel(f32.optimizer_bytes, 8 * P, 1e-12, "fp32 moments");
  assert_rel(z0.total_bytes,
             z0.weights_bytes + z0.grads_bytes + z0.optimizer_bytes + z0.activations_bytes +
                 z0.buffers_bytes,
             1e-12, "total");
}

static void test_tensor_and_pipeline_split_weights(void **state) {
  (void)state;
  model m = load_ok("layers=4,hidden=256,ffn=1024,heads=4,vocab=1000,seq=128,mlp=gelu,tied=true");
  const double h = 256, V = 1000;
  /* tp=2, pp=2: stage 0 has 2 layers of 12h^2/2 (+ replicated norms) and half the embedding; the
   * last stage keeps its own copy of the tied embedding for the logits. */
  model_memory mem = memory_ok(&m, "tp=2,pp=2,gbs=4,zero=0");
  double stage0 = 2 * (12 * h * h / 2 + 2 * h) + V * h / 2;
  assert_int_equal(mem.worst_stage, 0);
  assert_rel(mem.weights_bytes, 2 * stage0, 1e-12, "tp/pp weights");
  /* GQA with tp above the KV heads: each rank keeps one whole KV head. */
  model g =
      load_ok("layers=1,hidden=1024,ffn=4096,heads=16,kv_heads=2,vocab=100,seq=64,mlp=swiglu");
  const double gh = 1024, d = 64;
  mem = memory_ok(&g, "tp=8,zero=0");
  double per_rank = (gh * gh + gh * gh) / 8 /* Q and O */ + 2 * gh * d /* one K and one V head */ +
                    3 * gh * 4096 / 8 + 2 * gh /* norms */ + 2 * 100 * gh / 8 + gh;
  assert_rel(mem.weights_bytes, 2 * per_rank, 1e-12, "replicated kv heads");
}

static void test_experts_shard_over_ep_and_their_optimizer_over_dp_cp_over_ep(void **state) {
  (void)state;
  model m = load_ok("mixtral-8x7b");
  const double h = 4096, kv = 1024, f = 14336, E = 8, V = 32000, L = 32;
  double dense =
      L * (2 * h * h + 2 * h * kv + 2 * h + h * E) + 2 * V * h + h; /* attn, norms, router */
  double expert = L * (E / 8) * 3 * h * f;                          /* one expert per rank */
  model_memory mem = memory_ok(&m, "dp=8,ep=8,zero=1,gbs=8");
  assert_rel(mem.weights_bytes, 2 * (dense + expert), 1e-12, "moe weights");
  assert_rel(mem.optimizer_bytes, 12 * (dense / 8 + expert / 1), 1e-12, "moe optimizer");
}

static void test_buffers_follow_the_documented_assumption(void **state) {
  (void)state;
  model m = load_ok(SMALL_GPT);
  const double act = 2.0 * 1024 * 1024; /* one 16-bit activation of s*b*h */
  assert_true(memory_ok(&m, "zero=1").buffers_bytes == 0);
  assert_rel(memory_ok(&m, "tp=8").buffers_bytes, act, 1e-12, "sp gather buffer");
  assert_rel(memory_ok(&m, "tp=8,pp=2,gbs=2").buffers_bytes, act + 4 * act / 8, 1e-12,
             "p2p buffers");
  assert_rel(memory_ok(&m, "dp=2,zero=2").buffers_bytes, 2 * 40e6 * 4, 1e-12, "grad buckets");
  /* ZeRO-3 adds the prefetch of two layers' weights (2 bytes each); P by hand (tied, one stage). */
  const double h = 1024, P = 32 * (12 * h * h + 2 * h) + h + 51200 * h;
  assert_rel(memory_ok(&m, "dp=2,zero=3").buffers_bytes, 2 * 40e6 * 4 + 2 * 2 * P / 32, 1e-12,
             "zero3 prefetch");
}

static void test_check_against_hbm_names_the_overflow(void **state) {
  (void)state;
  hw_chip chip;
  memset(&chip, 0, sizeof chip);
  snprintf(chip.name, sizeof chip.name, "testchip");
  const double GiB = 1073741824.0;
  chip.hbm_bytes = 80 * GiB;
  chip.ranks_per_chip = 1;
  model_memory mem = {
      .weights_bytes = 50 * GiB, .activations_bytes = 40 * GiB, .total_bytes = 90 * GiB};
  ts_err err = {0};
  assert_int_equal(model_memory_check(&mem, &chip, &err), TS_ENOFIT);
  assert_non_null(strstr(err.msg, "exceeds the 80.0 GiB of HBM per rank of testchip by 10.0 GiB"));
  assert_non_null(strstr(err.msg, "(10737418240 bytes)"));
  mem.total_bytes = 79 * GiB;
  assert_int_equal(model_memory_check(&mem, &chip, &err), TS_OK);
  chip.ranks_per_chip = 2; /* two NeuronCores share the chip's HBM */
  mem.total_bytes = 41 * GiB;
  assert_int_equal(model_memory_check(&mem, &chip, &err), TS_ENOFIT);
  assert_non_null(strstr(err.msg, "by 1.0 GiB (1073741824 bytes)"));
}

static void test_llama3_405b_on_16_stages_fits_an_h100_class_chip(void **state) {
  (void)state;
  /* The Llama 3 paper's layout (tp=8, pp=16, dp=128 on 80 GB GPUs) fits with full
   * recomputation: weights of 8 layers / 8, fp32 gradients, ZeRO-1 optimizer shards. */
  model m = load_ok("llama3-405b");
  model_memory mem = memory_ok(&m, "tp=8,pp=16,dp=128,gbs=2048,recompute=full,zero=1");
  hw_chip chip;
  memset(&chip, 0, sizeof chip);
  chip.hbm_bytes = 80e9;
  chip.ranks_per_chip = 1;
  ts_err err = {0};
  assert_int_equal(model_memory_check(&mem, &chip, &err), TS_OK);
  assert_int_equal(mem.worst_stage, 1); /* 8 layers and 15 micro-batches in flight */
  const double layer = 2 * 16384.0 * 16384 + 2 * 16384.0 * 1024 + 3 * 16384.0 * 53248;
  assert_rel(mem.weights_bytes, 2 * 8 * (layer / 8 + 2 * 16384), 1e-12, "8 layers / tp");
  /* Full recomputation: 15 in flight x 8 layers x 2sbh/t (SP). */
  assert_rel(mem.activations_bytes, 15 * 8 * 2 * 8192.0 * 16384 / 8, 1e-12, "stage 1 activations");
}

static void test_empty_pipeline_chunk_is_refused(void **state) {
  (void)state;
  model m = load_ok("layers=2,hidden=64,ffn=256,heads=4,vocab=100,seq=16,mlp=gelu");
  plan p;
  ts_err err = {0};
  assert_int_equal(plan_parse("pp=4", &p, &err), TS_OK);
  model_memory mem;
  assert_int_equal(model_memory_per_rank(&m, &p, &mem, &err), TS_EINPUT);
  assert_non_null(strstr(err.msg, "would be empty"));
  plan_init(&p);
  p.tp = 0;
  assert_int_equal(model_memory_per_rank(&m, &p, &mem, &err), TS_EINPUT);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_activations_per_layer_match_korthikanti_table_2),
      cmocka_unit_test(test_activations_of_gqa_swiglu_and_moe_layers_by_hand),
      cmocka_unit_test(test_pipeline_in_flight_micro_batches_per_schedule),
      cmocka_unit_test(test_weights_gradients_optimizer_follow_zero_stages),
      cmocka_unit_test(test_tensor_and_pipeline_split_weights),
      cmocka_unit_test(test_experts_shard_over_ep_and_their_optimizer_over_dp_cp_over_ep),
      cmocka_unit_test(test_buffers_follow_the_documented_assumption),
      cmocka_unit_test(test_check_against_hbm_names_the_overflow),
      cmocka_unit_test(test_llama3_405b_on_16_stages_fits_an_h100_class_chip),
      cmocka_unit_test(test_empty_pipeline_chunk_is_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
