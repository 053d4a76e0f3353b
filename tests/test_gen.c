/* The workload generator: FLOPs of the generated step against hand counts written here from each
 * model's published shape (GPT-3 style gelu, Llama 3 70B swiglu + GQA, Mixtral MoE, DeepSeek-V3
 * latent attention + MoE) x 3 plans, op counts per class, communicators, DP buckets, memory
 * refusal, and every plan-validation error surfaced by gen_step.
 *
 * FLOP accounting made explicit: the trace records what the kernels execute — the causal half of
 * the attention matmuls, and a flash-attention backward of 2.5x its forward. Megatron's
 * convention (and the closed forms) count attention in full with backward = 2x forward. So a
 * trace is converted to the convention as
 *   GEMM FLOPs + 2 x (attention fwd + recompute FLOPs) + (4 / 2.5) x (attention bwd FLOPs)
 * and that is compared with the hand count (and with model_step_flops_count) to 1%. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/gen.h"

static hw_system fake_system(double hbm_bytes) {
  hw_system s;
  memset(&s, 0, sizeof s);
  snprintf(s.name, sizeof s.name, "fake");
  snprintf(s.chip.name, sizeof s.chip.name, "fakechip");
  s.chip.ranks_per_chip = 1;
  s.chip.peak_flops[HW_BF16] = 1e15;
  s.chip.peak_flops[HW_FP32] = 1e14;
  s.chip.hbm_bytes = hbm_bytes;
  return s;
}

static model load_ok(const char *spec) {
  model m;
  ts_err err = {0};
  if (model_load(spec, &m, &err) != TS_OK) fail_msg("%s: %s", spec, err.msg);
  return m;
}

static plan parse_ok(const char *spec) {
  plan p;
  ts_err err = {0};
  if (plan_parse(spec, &p, &err) != TS_OK) fail_msg("%s: %s", spec, err.msg);
  return p;
}

static int64_t ranks_of(const plan *p) {
  return (int64_t)p->tp * p->pp * p->dp * p->cp;
}

static trace *gen_ok(const model *m, const plan *p) {
  hw_system sys = fake_system(1e15);
  gen_options opt = {.allow_oom = true};
  trace *t = NULL;
  ts_err err = {0};
  if (gen_step(m, p, &sys, ranks_of(p), &opt, &t, &err) != TS_OK) fail_msg("gen_step: %s", err.msg);
  if (trace_validate(t, &err) != TS_OK) fail_msg("trace_validate: %s", err.msg);
  return t;
}

typedef struct flops_split {
  double gemm, attn_fwd, attn_recompute, attn_bwd;
} flops_split;

static flops_split split_flops(const trace *t) {
  flops_split f = {0, 0, 0, 0};
  for (uint32_t c = 0; c < t->n_classes; c++) {
    const trace_class *cl = &t->classes[c];
    for (uint32_t i = 0; i < cl->n_ops; i++) {
      const trace_op *op = &cl->ops[i];
      double v = op->flops * (double)cl->ranks;
      if (op->kind == TRACE_OP_GEMM)
        f.gemm += v;
      else if (op->kind == TRACE_OP_ATTENTION && op->phase == TRACE_PHASE_FORWARD)
        f.attn_fwd += v;
      else if (op->kind == TRACE_OP_ATTENTION && op->phase == TRACE_PHASE_RECOMPUTE)
        f.attn_recompute += v;
      else if (op->kind == TRACE_OP_ATTENTION)
        f.attn_bwd += v;
      else
        assert_true(op->flops == 0.0);
    }
  }
  return f;
}

static double megatron_convention(const flops_split *f) {
  return f->gemm + 2.0 * (f->attn_fwd + f->attn_recompute) + 4.0 / 2.5 * f->attn_bwd;
}

/* Per-token forward FLOPs of one layer, by hand: GEMMs (weights touched per token x 2) and the
 * attention core counted in full (2 matmuls of s x d_qk and s x d_v per head). */
typedef struct hand_layer {
  double gemm, core;
} hand_layer;

typedef struct hand_model {
  int64_t layers, seq;
  double logits; /* 2 h V per token */
  hand_layer dense, moe;
  int64_t dense_layers; /* layers using `dense` (the rest use `moe`) */
} hand_model;

/* Whole-step FLOPs in Megatron's convention: 3x forward (1 fwd + 2 bwd) of everything, plus the
 * recomputed forward (the attention core for selective, whole layers for full). */
static double hand_step(const hand_model *h, const plan *p, double *gemm_out,
                        double *core_fwd_out) {
  double tokens = (double)p->gbs * (double)h->seq;
  double nd = (double)h->dense_layers, nm = (double)(h->layers - h->dense_layers);
  double layer_gemm = nd * h->dense.gemm + nm * h->moe.gemm;
  double core = nd * h->dense.core + nm * h->moe.core;
  double gemm = tokens * (3.0 * (layer_gemm + h->logits) +
                          (p->recompute == PLAN_RECOMP_FULL ? layer_gemm : 0));
  double recomputed_core = p->recompute == PLAN_RECOMP_NONE ? 0.0 : core;
  if (gemm_out) *gemm_out = gemm;
  if (core_fwd_out) *core_fwd_out = tokens * core;
  return gemm + tokens * (3.0 * core + recomputed_core);
}

static void check_step(const hand_model *h, const model *m, const plan *p) {
  trace *t = gen_ok(m, p);
  flops_split f = split_flops(t);
  double gemm = 0, core = 0;
  double expected = hand_step(h, p, &gemm, &core);
  /* Component identities: GEMMs exactly, attention causal = half of full, flash backward 2.5x. */
  assert_float_equal(f.gemm / gemm, 1.0, 1e-9);
  assert_float_equal(f.attn_fwd / (core / 2.0), 1.0, 1e-9);
  assert_float_equal(f.attn_bwd / (2.5 * core / 2.0), 1.0, 1e-9);
  double recomputed = p->recompute == PLAN_RECOMP_NONE ? 0.0 : core / 2.0;
  assert_float_equal(f.attn_recompute, recomputed, 1e-6 * core);
  assert_float_equal(megatron_convention(&f) / expected, 1.0, 1e-9);
  trace_free(t);
}

/* GPT-3 style (Megatron's 1.7B shape, shrunk in vocab to keep the test quick): gelu, MHA,
 * ffn = 4h — the closed form of Narayanan et al. applies exactly:
 * 72 B s l h^2 (1 + s/6h + V/12lh), with full recomputation 96 B s l h^2 (1 + s/6h + V/16lh). */
static void test_gpt_step_flops_match_megatron_closed_form(void **state) {
  (void)state;
  model m = load_ok("layers=8,hidden=1024,ffn=4096,heads=16,vocab=51200,seq=2048,mlp=gelu");
  const char *plans[] = {"tp=2,pp=2,dp=2,gbs=8", "tp=4,pp=2,dp=1,gbs=4,recompute=full",
                         "tp=1,pp=4,dp=2,cp=2,gbs=16,recompute=selective"};
  double B, s = 2048, l = 8, h = 1024, V = 51200;
  for (int i = 0; i < 3; i++) {
    plan p = parse_ok(plans[i]);
    B = (double)p.gbs;
    double closed = p.recompute == PLAN_RECOMP_FULL
                        ? 96 * B * s * l * h * h * (1 + s / (6 * h) + V / (16 * l * h))
                        : 72 * B * s * l * h * h * (1 + s / (6 * h) + V / (12 * l * h));
    if (p.recompute == PLAN_RECOMP_SELECTIVE)
      closed += B * l * 4 * s * s * h; /* attention fwd again */
    trace *t = gen_ok(&m, &p);
    flops_split f = split_flops(t);
    assert_float_equal(megatron_convention(&f) / closed, 1.0, 0.01);
    model_step_flops ms = model_step_flops_count(&m, &p);
    assert_float_equal(megatron_convention(&f) / ms.hw_flops, 1.0, 0.01);
    trace_free(t);
  }
}

/* Llama 3 70B (Llama Team 2024, Table 3): 80 layers, h 8192, ffn 28672, 64 heads, 8 KV heads of
 * 128, vocab 128256; swiglu (3 matrices). Sequence shortened to 2048 here. */
static hand_model llama3_70b_hand(int64_t seq) {
  double h = 8192, d = 128, H = 64, kv = 8, ffn = 28672, V = 128256;
  hand_layer layer = {2 * (h * (H * d + 2 * kv * d) + H * d * h) + 2 * 3 * h * ffn,
                      2 * (double)seq * H * (d + d)};
  hand_model hm = {80, seq, 2 * h * V, layer, layer, 80};
  return hm;
}

static void test_llama3_70b_step_flops_match_hand_count(void **state) {
  (void)state;
  model m = load_ok("llama3-70b");
  assert_int_equal(m.layers, 80);
  assert_int_equal(m.kv_heads, 8);
  m.seq = 2048;
  hand_model hm = llama3_70b_hand(m.seq);
  const char *plans[] = {"tp=8,pp=4,dp=1,gbs=4,recompute=full",
                         "tp=4,pp=2,dp=2,cp=2,gbs=4,recompute=selective",
                         "tp=8,pp=2,vpp=2,dp=1,gbs=4"};
  for (int i = 0; i < 3; i++) {
    plan p = parse_ok(plans[i]);
    check_step(&hm, &m, &p);
    trace *t = gen_ok(&m, &p);
    flops_split f = split_flops(t);
    assert_float_equal(megatron_convention(&f) / model_step_flops_count(&m, &p).hw_flops, 1.0,
                       0.01);
    trace_free(t);
  }
}

/* Mixtral 8x7B (Jiang et al. 2024, Table 1): 32 layers, h 4096, 32 heads, 8 KV heads of 128,
 * vocab 32000, 8 experts of ffn 14336 (swiglu), top-2; router h x 8. Sequence 1024 here. */
static void test_mixtral_step_flops_match_hand_count(void **state) {
  (void)state;
  model m = load_ok("mixtral-8x7b");
  assert_int_equal(m.moe_experts, 8);
  assert_int_equal(m.moe_topk, 2);
  m.seq = 1024;
  double h = 4096, d = 128, H = 32, kv = 8, f = 14336, V = 32000, E = 8, k = 2;
  hand_layer moe = {2 * (h * (H * d + 2 * kv * d) + H * d * h) + 2 * h * E + k * 2 * 3 * h * f,
                    2 * 1024.0 * H * (d + d)};
  hand_model hm = {32, 1024, 2 * h * V, moe, moe, 0};
  const char *plans[] = {"tp=2,pp=2,dp=2,ep=2,gbs=4",
                         "tp=1,pp=2,dp=4,ep=4,gbs=8,recompute=selective",
                         "tp=4,pp=1,dp=2,ep=2,gbs=4,recompute=full,zero=3"};
  for (int i = 0; i < 3; i++) {
    plan p = parse_ok(plans[i]);
    check_step(&hm, &m, &p);
    trace *t = gen_ok(&m, &p);
    flops_split fs = split_flops(t);
    assert_float_equal(megatron_convention(&fs) / model_step_flops_count(&m, &p).hw_flops, 1.0,
                       0.01);
    trace_free(t);
  }
}

/* DeepSeek-V3 (DeepSeek-AI 2024): 61 layers (3 dense, ffn 18432; 58 MoE: 1 shared + 256 routed
 * experts of 2048, top-8), h 7168, 128 heads, MLA with q_lora 1536, kv_lora 512, rope 64, nope 128,
 * v 128, vocab 129280. The q and kv down-projections (h x 1536, h x 576) are duplicated on every TP
 * rank (Megatron-Core MLA), so with tp > 1 the hardware does tp times their work: counted here. */
static hand_model deepseek_hand(int64_t seq, int tp) {
  double h = 7168, H = 128, qk = 192, v = 128, V = 129280;
  double attn = 2 * tp * h * (1536 + 576) + 2 * (1536 * H * qk + 512 * H * (128 + v) + H * v * h);
  double core = 2 * (double)seq * H * (qk + v);
  hand_layer dense = {attn + 2 * 3 * h * 18432, core};
  hand_layer moe = {attn + 2 * h * 256 + 2 * 3 * h * 2048 + 8 * 2 * 3 * h * 2048, core};
  hand_model hm = {61, seq, 2 * h * V, dense, moe, 3};
  return hm;
}

static void test_deepseek_v3_step_flops_match_hand_count(void **state) {
  (void)state;
  model m = load_ok("deepseek-v3");
  assert_int_equal(m.attn, MODEL_ATTN_LATENT);
  assert_int_equal(m.dense_layers, 3);
  m.seq = 1024;
  const char *plans[] = {"tp=1,pp=4,dp=8,ep=8,gbs=8",
                         "tp=2,pp=2,dp=4,ep=4,gbs=4,recompute=selective",
                         "tp=1,pp=2,dp=4,ep=2,gbs=4,recompute=full,zero=0"};
  for (int i = 0; i < 3; i++) {
    plan p = parse_ok(plans[i]);
    hand_model hm = deepseek_hand(m.seq, p.tp);
    check_step(&hm, &m, &p);
    /* Against the closed form of models/: equal up to the duplicated down-projections. */
    trace *t = gen_ok(&m, &p);
    flops_split f = split_flops(t);
    double dup = (p.tp - 1) * 2.0 * 7168 * (1536 + 576) * 61 * (double)p.gbs * (double)m.seq *
                 (p.recompute == PLAN_RECOMP_FULL ? 4.0 : 3.0);
    assert_float_equal((megatron_convention(&f) - dup) / model_step_flops_count(&m, &p).hw_flops,
                       1.0, 0.01);
    trace_free(t);
  }
}

/* A small model where every op of a class can be counted by hand:
 * 4 layers, tp=2 with SP, pp=2, dp=2, 2 micro-batches, 1F1B, no recompute, ZeRO-1. */
static uint64_t count_kind(const trace_class *c, trace_op_kind k) {
  uint64_t n = 0;
  for (uint32_t i = 0; i < c->n_ops; i++) n += c->ops[i].kind == k;
  return n;
}

static void test_op_counts_per_class_match_hand_count(void **state) {
  (void)state;
  model m = load_ok("layers=4,hidden=256,ffn=1024,heads=4,vocab=1024,seq=128,mlp=gelu");
  plan p = parse_ok("tp=2,pp=2,dp=2,gbs=4");
  trace *t = gen_ok(&m, &p);
  assert_int_equal(t->n_classes, 2);
  const trace_class *s0 = &t->classes[0], *s1 = &t->classes[1];
  /* Per layer forward: gemm 4 (qkv, proj, fc1, fc2), attention 1, norm 2, elementwise 3
   * (2 residuals, gelu), all-gather 2 and reduce-scatter 2 (SP). Backward: gemm 8, attention 1,
   * norm 2, elementwise 3, all-gather 4 (2 of grads, 2 inputs re-gathered for wgrad),
   * reduce-scatter 2. Each stage has 2 layers and runs 2 micro-batches. */
  assert_int_equal(count_kind(s0, TRACE_OP_GEMM), 2 * (2 * 4 + 2 * 8));
  assert_int_equal(count_kind(s0, TRACE_OP_ATTENTION), 2 * (2 + 2));
  assert_int_equal(count_kind(s0, TRACE_OP_NORM), 2 * (4 + 4));
  assert_int_equal(count_kind(s0, TRACE_OP_ELEMENTWISE), 2 * (6 + 6));
  /* Stage 0: embedding fwd (+ reduce-scatter) and bwd (+ all-gather); one gradient bucket
   * reduce-scattered over dp, optimizer, one parameter all-gather. */
  assert_int_equal(count_kind(s0, TRACE_OP_EMBEDDING), 4);
  assert_int_equal(count_kind(s0, TRACE_OP_ALL_GATHER), 2 * (2 * 2 + 2 * 4 + 1) + 1);
  assert_int_equal(count_kind(s0, TRACE_OP_REDUCE_SCATTER), 2 * (2 * 2 + 2 * 2 + 1) + 1);
  assert_int_equal(count_kind(s0, TRACE_OP_ALL_REDUCE), 0);
  assert_int_equal(count_kind(s0, TRACE_OP_SEND), 2);
  assert_int_equal(count_kind(s0, TRACE_OP_RECV), 2);
  assert_int_equal(count_kind(s0, TRACE_OP_OPTIMIZER), 1);
  assert_int_equal(count_kind(s0, TRACE_OP_LOSS), 0);
  /* Stage 1: + final norm, all-gather, logits GEMM, loss, fp32 all-reduce (forward); loss,
   * re-gather, 2 GEMMs, reduce-scatter, norm (backward). */
  assert_int_equal(count_kind(s1, TRACE_OP_GEMM), 2 * (2 * 4 + 2 * 8 + 1 + 2));
  assert_int_equal(count_kind(s1, TRACE_OP_NORM), 2 * (4 + 4 + 1 + 1));
  assert_int_equal(count_kind(s1, TRACE_OP_LOSS), 4);
  assert_int_equal(count_kind(s1, TRACE_OP_ALL_REDUCE), 2);
  assert_int_equal(count_kind(s1, TRACE_OP_ALL_GATHER), 2 * (2 * 2 + 2 * 4 + 1 + 1) + 1);
  assert_int_equal(count_kind(s1, TRACE_OP_REDUCE_SCATTER), 2 * (2 * 2 + 2 * 2 + 1) + 1);
  assert_int_equal(count_kind(s1, TRACE_OP_EMBEDDING), 0);
  /* each embedding op gathers (scatter-adds) one row of `hidden` per token of the micro-batch:
   * gbs 4 over dp 2 at mbs 1 is 1 sequence of 128 tokens */
  for (uint32_t i = 0; i < s0->n_ops; i++)
    if (s0->ops[i].kind == TRACE_OP_EMBEDDING) {
      assert_int_equal(s0->ops[i].m, 128);
      assert_int_equal(s0->ops[i].k, 256);
    }
  assert_int_equal(s0->ranks, 4);
  assert_int_equal(s1->first_rank, 4);
  trace_free(t);
}

static const trace_comm *find_comm(const trace *t, const char *name) {
  for (uint32_t i = 0; i < t->n_comms; i++)
    if (strcmp(t->comms[i].name, name) == 0) return &t->comms[i];
  return NULL;
}

/* tp innermost, then cp, dp, pp; EP carved out of DP x CP innermost. */
static void test_communicators_follow_the_rank_layout(void **state) {
  (void)state;
  model m = load_ok("mixtral-8x7b");
  m.seq = 256;
  m.layers = 4;
  plan p = parse_ok("tp=2,cp=2,dp=4,ep=2,pp=2,gbs=8");
  trace *t = gen_ok(&m, &p);
  const struct {
    const char *name;
    int64_t size, stride;
  } want[] = {{"tp", 2, 1}, {"cp", 2, 2}, {"dp", 8, 2}, {"ep", 2, 2}, {"edp", 4, 4}, {"pp", 2, 16}};
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    const trace_comm *c = find_comm(t, want[i].name);
    assert_non_null(c);
    assert_int_equal(c->size, want[i].size);
    assert_int_equal(c->stride, want[i].stride);
  }
  assert_int_equal(t->ranks, 32);
  assert_int_equal(t->chips, 32);
  assert_string_equal(t->system, "fake");
  trace_free(t);
  /* A dense model on one stage without TP has no tp, ep, edp or pp groups. */
  model d = load_ok("layers=2,hidden=128,ffn=512,heads=2,vocab=256,seq=64,mlp=gelu");
  plan q = parse_ok("dp=4,gbs=4");
  t = gen_ok(&d, &q);
  assert_int_equal(t->n_comms, 1);
  assert_string_equal(t->comms[0].name, "dp");
  trace_free(t);
}

/* Megatron's bucket of 40e6 parameters: every Llama 3 70B layer on a tp=8 rank holds
 * (8192*(1024 + 2*128) + 1024*8192 + 3*8192*3584 + 2*8192) = 106.97e6 > 40e6 parameters, so each
 * layer is its own bucket; the output layer (128256/8 x 8192 + 8192) and the embedding too:
 * 80 + 2 reduce-scatters, the first issued before the last backward GEMM (overlap). */
static void test_gradient_buckets_follow_megatron_bucket_size(void **state) {
  (void)state;
  model m = load_ok("llama3-70b");
  m.seq = 256;
  plan p = parse_ok("tp=8,dp=2,gbs=2");
  trace *t = gen_ok(&m, &p);
  const trace_class *c = &t->classes[0];
  const trace_comm *dp = find_comm(t, "dp");
  assert_non_null(dp);
  uint32_t dp_index = (uint32_t)(dp - t->comms);
  uint64_t grads = 0, gathers = 0;
  int64_t first_grad = -1, last_bwd_gemm = -1;
  double grad_bytes = 0;
  for (uint32_t i = 0; i < c->n_ops; i++) {
    const trace_op *op = &c->ops[i];
    if (op->comm == dp_index && op->kind == TRACE_OP_REDUCE_SCATTER) {
      grads++;
      grad_bytes += op->bytes;
      if (first_grad < 0) first_grad = i;
    }
    if (op->comm == dp_index && op->kind == TRACE_OP_ALL_GATHER) gathers++;
    if (op->kind == TRACE_OP_GEMM && op->phase == TRACE_PHASE_BACKWARD) last_bwd_gemm = i;
  }
  assert_int_equal(grads, 82);
  assert_int_equal(gathers, 82);
  assert_true(first_grad < last_bwd_gemm);
  double layer = 8192.0 * (1024 + 2 * 128) + 1024.0 * 8192 + 3.0 * 8192 * 3584 + 2 * 8192;
  double params = 80 * layer + 2 * (128256.0 / 8 * 8192) + 8192;
  assert_float_equal(grad_bytes, 4.0 * params, 1.0); /* fp32 gradients */
  trace_free(t);
}

/* Every refusal of plan_check comes back through gen_step with its message. */
static void test_plan_errors_are_surfaced_by_gen(void **state) {
  (void)state;
  const struct {
    const char *model, *plan;
    int64_t chips;
    const char *needle;
  } cases[] = {
      {"llama3-70b", "tp=3,gbs=1", 3, "heads"},
      {"llama3-70b", "dp=3,gbs=8", 3, "gbs=8"},
      {"llama3-70b", "tp=8,gbs=1", 4, "ranks"},
      {"llama3-70b", "pp=100,gbs=1", 100, "chunks"},
      {"llama3-70b", "cp=3,gbs=1", 3, "cp=3"},
      {"llama3-70b", "pp=2,stage_layers=30/30,gbs=1", 2, "stage_layers"},
      {"llama3-70b", "ep=2,dp=2,gbs=2", 2, "dense"},
      {"mixtral-8x7b", "ep=3,dp=3,gbs=3", 3, "experts"},
      {"llama3-70b", "dtype=fp8,gbs=1", 1, "fp8"},
      {"layers=2,hidden=768,ffn=3072,heads=12,kv_heads=3,vocab=1000,seq=64,mlp=gelu", "tp=2,gbs=1",
       2, "KV heads"},
      /* The generator's own: the interleaved schedule needs micro-batches in multiples of pp. */
      {"llama3-70b", "pp=4,vpp=2,gbs=6", 4, "multiple of pp"},
  };
  hw_system sys = fake_system(1e15);
  gen_options opt = {.allow_oom = true};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    model m = load_ok(cases[i].model);
    plan p = parse_ok(cases[i].plan);
    trace *t = (trace *)&sys; /* must be reset to NULL on failure */
    ts_err err = {0};
    ts_status st = gen_step(&m, &p, &sys, cases[i].chips, &opt, &t, &err);
    if (st == TS_OK || !strstr(err.msg, cases[i].needle))
      fail_msg("%s / %s: status %d, message '%s', expected '%s'", cases[i].model, cases[i].plan, st,
               err.msg, cases[i].needle);
    assert_null(t);
  }
  /* Fields plan_parse never produces but a caller can set: still refused through gen_step. */
  model m = load_ok("llama3-70b");
  const struct {
    int zero, mbs;
    const char *needle;
  } bad[] = {{5, 1, "zero"}, {1, 0, "mbs"}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    plan p = parse_ok("gbs=1");
    p.zero = bad[i].zero;
    p.mbs = bad[i].mbs;
    trace *t = NULL;
    ts_err err = {0};
    assert_int_equal(gen_step(&m, &p, &sys, 1, &opt, &t, &err), TS_EINPUT);
    assert_non_null(strstr(err.msg, bad[i].needle));
  }
}

/* A plan that does not fit is refused with the overflow; --allow-oom generates it anyway. */
static void test_memory_overflow_is_refused_unless_allowed(void **state) {
  (void)state;
  model m = load_ok("llama3-70b");
  plan p = parse_ok("tp=8,gbs=1");
  hw_system sys = fake_system(8e9);
  trace *t = NULL;
  ts_err err = {0};
  gen_options strict = {.allow_oom = false};
  assert_int_equal(gen_step(&m, &p, &sys, 8, &strict, &t, &err), TS_ENOFIT);
  assert_non_null(strstr(err.msg, "bytes"));
  assert_null(t);
  gen_options lax = {.allow_oom = true};
  assert_int_equal(gen_step(&m, &p, &sys, 8, &lax, &t, &err), TS_OK);
  trace_free(t);
  /* NULL options mean the strict default. */
  assert_int_equal(gen_step(&m, &p, &sys, 8, NULL, &t, &err), TS_ENOFIT);
}

/* A stack that runs unfused attention (dgx-a100's) keeps the s^2 scores: the memory check counts
 * them even when the plan does not ask for attention=naive. HBM between the two footprints: the
 * flash-attention stack fits, the unfused one is refused. */
static void test_memory_check_counts_the_stacks_unfused_attention(void **state) {
  (void)state;
  model m = load_ok("llama3-8b");
  plan p = parse_ok("tp=1,gbs=1");
  plan naive = parse_ok("tp=1,gbs=1,attention=naive");
  model_memory flash_mem, naive_mem;
  ts_err err = {0};
  assert_int_equal(model_memory_per_rank(&m, &p, &flash_mem, &err), TS_OK);
  assert_int_equal(model_memory_per_rank(&m, &naive, &naive_mem, &err), TS_OK);
  assert_true(naive_mem.total_bytes > flash_mem.total_bytes);
  hw_system sys = fake_system(0.5 * (flash_mem.total_bytes + naive_mem.total_bytes));
  trace *t = NULL;
  assert_int_equal(gen_step(&m, &p, &sys, 1, NULL, &t, &err), TS_OK);
  trace_free(t);
  t = NULL;
  sys.naive_attention = true;
  assert_int_equal(gen_step(&m, &p, &sys, 1, NULL, &t, &err), TS_ENOFIT);
  assert_null(t);
}

/* The trace records what it was made for, with the plan resolved (stage split, interleaving). */
static void test_trace_records_model_plan_and_system(void **state) {
  (void)state;
  model m = load_ok("llama3-405b");
  m.seq = 128;
  plan p = parse_ok("tp=8,pp=16,dp=1,gbs=16");
  trace *t = gen_ok(&m, &p);
  assert_true(t->has_model);
  assert_string_equal(t->model.name, "llama3-405b");
  assert_int_equal(t->model.seq, 128);
  assert_int_equal(t->plan.n_stage_layers, 16);
  int64_t sum = 0;
  for (int s = 0; s < 16; s++) sum += t->plan.stage_layers[s];
  assert_int_equal(sum, 126);
  /* DESIGN.md: 126 layers on 16 stages, the first and last stages take the smaller shares. */
  assert_int_equal(t->plan.stage_layers[0], 7);
  assert_int_equal(t->plan.stage_layers[15], 7);
  assert_int_equal(t->n_classes, 16);
  assert_int_equal(t->classes[15].first_rank, 15 * 8);
  assert_string_equal(t->classes[3].name, "stage3");
  trace_free(t);
}

/* ZeRO-3: every micro-batch gathers each layer's parameters before its forward and backward and
 * reduce-scatters its gradients; no parameter gather after the optimizer. */
static void test_zero3_gathers_parameters_per_layer_and_micro_batch(void **state) {
  (void)state;
  model m = load_ok("layers=4,hidden=256,ffn=1024,heads=4,vocab=1024,seq=128,mlp=gelu");
  plan p = parse_ok("dp=4,gbs=12,zero=3");
  trace *t = gen_ok(&m, &p);
  const trace_class *c = &t->classes[0];
  /* 3 micro-batches x (4 layers + embedding + output) x (fwd + bwd) gathers; one
   * reduce-scatter per layer, embedding and output per micro-batch. */
  assert_int_equal(count_kind(c, TRACE_OP_ALL_GATHER), 3 * 6 * 2);
  assert_int_equal(count_kind(c, TRACE_OP_REDUCE_SCATTER), 3 * 6);
  const trace_op *last = &c->ops[c->n_ops - 1];
  assert_int_equal(last->kind, TRACE_OP_OPTIMIZER);
  /* Shard of the optimizer: all parameters / dp, 30 bytes each. */
  double layer = 4.0 * 256 * 256 + 2.0 * 256 * 1024 + 2 * 256;
  double params = 4 * layer + 2 * 1024.0 * 256 + 256;
  assert_float_equal(last->bytes, 30.0 * params / 4, 1.0);
  trace_free(t);
}

/* Same inputs, byte-identical trace. */
static void test_generation_is_deterministic(void **state) {
  (void)state;
  model m = load_ok("mixtral-8x7b");
  m.seq = 512;
  m.layers = 4;
  plan p = parse_ok("tp=2,pp=2,vpp=2,dp=2,ep=2,gbs=4,recompute=selective");
  trace *a = gen_ok(&m, &p), *b = gen_ok(&m, &p);
  unsigned char *da = NULL, *db = NULL;
  size_t la = 0, lb = 0;
  ts_err err = {0};
  assert_int_equal(trace_write_mem(a, &da, &la, &err), TS_OK);
  assert_int_equal(trace_write_mem(b, &db, &lb, &err), TS_OK);
  assert_int_equal(la, lb);
  assert_memory_equal(da, db, la);
  free(da);
  free(db);
  trace_free(a);
  trace_free(b);
}

static const trace_op *first_op(const trace *t, uint32_t cls, trace_op_kind kind, const char *comm,
                                trace_phase phase) {
  const trace_class *c = &t->classes[cls];
  for (uint32_t i = 0; i < c->n_ops; i++) {
    const trace_op *op = &c->ops[i];
    if (op->kind != kind || op->phase != phase) continue;
    if (comm && (op->comm >= t->n_comms || strcmp(t->comms[op->comm].name, comm) != 0)) continue;
    return op;
  }
  return NULL;
}

/* Byte counts from the dtypes, by hand for h = 256, 4 heads of 64, seq 128, mbs 2, tp=2 (SP),
 * cp=2, bf16: T = mbs*seq/cp = 128 tokens per rank. */
static void test_communication_bytes_follow_the_dtypes(void **state) {
  (void)state;
  model m = load_ok("layers=4,hidden=256,ffn=1024,heads=4,vocab=1024,seq=128,mlp=gelu");
  plan p = parse_ok("tp=2,cp=2,pp=2,dp=1,mbs=2,gbs=4");
  trace *t = gen_ok(&m, &p);
  double T = 2.0 * 128 / 2, h = 256;
  /* SP all-gather before QKV: output T x h; pipeline message: the T/tp sequence shard. */
  assert_float_equal(first_op(t, 0, TRACE_OP_ALL_GATHER, "tp", TRACE_PHASE_FORWARD)->bytes,
                     T * h * 2, 0);
  assert_float_equal(first_op(t, 0, TRACE_OP_SEND, "pp", TRACE_PHASE_FORWARD)->bytes, T / 2 * h * 2,
                     0);
  /* CP: K and V of the whole sequence, 2 heads of 64 per TP rank: mbs*seq x 2 x 64 x 2 (K,V). */
  assert_float_equal(first_op(t, 0, TRACE_OP_ALL_GATHER, "cp", TRACE_PHASE_FORWARD)->bytes,
                     2.0 * 128 * 2 * 64 * 2 * 2, 0);
  /* Attention: m = mbs x heads per rank, n = queries per sequence per rank, k = head dim. */
  const trace_op *attn = first_op(t, 0, TRACE_OP_ATTENTION, NULL, TRACE_PHASE_FORWARD);
  assert_int_equal(attn->m, 4);
  assert_int_equal(attn->n, 64);
  assert_int_equal(attn->k, 64);
  assert_true(attn->flags & TRACE_FLAG_CAUSAL);
  trace_free(t);
  /* fp8: the GEMMs run in fp8, activations and their traffic stay bf16; grads reduce in fp32. */
  hw_system sys = fake_system(1e15);
  sys.chip.peak_flops[HW_FP8] = 2e15;
  plan q = parse_ok("tp=2,dp=2,gbs=2,dtype=fp8");
  gen_options opt = {.allow_oom = true};
  ts_err err = {0};
  t = NULL;
  assert_int_equal(gen_step(&m, &q, &sys, 4, &opt, &t, &err), TS_OK);
  const trace_op *gemm = first_op(t, 0, TRACE_OP_GEMM, NULL, TRACE_PHASE_FORWARD);
  assert_int_equal(gemm->dtype, HW_FP8);
  const trace_op *ag = first_op(t, 0, TRACE_OP_ALL_GATHER, "tp", TRACE_PHASE_FORWARD);
  assert_int_equal(ag->dtype, HW_BF16);
  assert_float_equal(ag->bytes, 128.0 * h * 2, 0);
  const trace_op *grad = first_op(t, 0, TRACE_OP_REDUCE_SCATTER, "dp", TRACE_PHASE_BACKWARD);
  assert_int_equal(grad->dtype, HW_FP32);
  trace_free(t);
}

/* ZeRO-0 all-reduces gradients and gathers nothing; with dp_overlap off every reduction waits for
 * the end of the backward. */
static void test_zero0_all_reduces_and_dp_overlap_off_defers(void **state) {
  (void)state;
  model m = load_ok("llama3-70b");
  m.seq = 256;
  m.layers = 4;
  plan p = parse_ok("tp=8,dp=2,gbs=2,zero=0,dp_overlap=false");
  trace *t = gen_ok(&m, &p);
  const trace_class *c = &t->classes[0];
  int64_t last_bwd = -1, first_reduce = -1;
  uint64_t reduces = 0, gathers = 0;
  double bytes = 0;
  for (uint32_t i = 0; i < c->n_ops; i++) {
    const trace_op *op = &c->ops[i];
    bool dp = op->comm < t->n_comms && strcmp(t->comms[op->comm].name, "dp") == 0;
    if (op->phase == TRACE_PHASE_BACKWARD && op->stream == TRACE_STREAM_COMPUTE) last_bwd = i;
    if (dp && op->kind == TRACE_OP_ALL_REDUCE) {
      reduces++;
      bytes += op->bytes;
      if (first_reduce < 0) first_reduce = i;
    }
    if (dp && op->kind == TRACE_OP_ALL_GATHER) gathers++;
  }
  assert_true(first_reduce > last_bwd);
  assert_int_equal(gathers, 0);
  /* 4 layers of 106.97e6 + embedding and output of 131.3e6 parameters, 40e6-parameter buckets. */
  double layer = 8192.0 * (1024 + 2 * 128) + 1024.0 * 8192 + 3.0 * 8192 * 3584 + 2 * 8192;
  double params = 4 * layer + 2 * (128256.0 / 8 * 8192) + 8192;
  assert_int_equal(reduces, (uint64_t)ceil(params / 40e6));
  assert_float_equal(bytes, 4.0 * params, 1.0);
  trace_free(t);
}

/* Expert gradients reduce over "edp" (DP x CP / EP): per Mixtral layer, 8/ep local experts of
 * 3 x 4096 x 14336 fp32 gradients. */
static void test_expert_gradients_reduce_over_edp(void **state) {
  (void)state;
  model m = load_ok("mixtral-8x7b");
  m.seq = 256;
  m.layers = 2;
  plan p = parse_ok("ep=2,dp=4,gbs=4");
  trace *t = gen_ok(&m, &p);
  const trace_class *c = &t->classes[0];
  double edp_bytes = 0;
  uint64_t a2a = 0;
  for (uint32_t i = 0; i < c->n_ops; i++) {
    const trace_op *op = &c->ops[i];
    if (op->comm >= t->n_comms) continue;
    if (strcmp(t->comms[op->comm].name, "edp") == 0 && op->kind == TRACE_OP_REDUCE_SCATTER)
      edp_bytes += op->bytes;
    if (strcmp(t->comms[op->comm].name, "ep") == 0) a2a += op->kind == TRACE_OP_ALL_TO_ALL;
  }
  assert_float_equal(edp_bytes, 4.0 * 2 * 4 * 3 * 4096.0 * 14336, 1.0);
  /* Dispatch and combine, forward and backward, per layer and micro-batch (1 micro-batch). */
  assert_int_equal(a2a, 2 * 2 * 2);
  trace_free(t);
}

/* Refusals of the generator's own: interleaving over one stage, SP with a sequence that does not
 * split over tp, NULL arguments. */
static void test_generator_specific_errors(void **state) {
  (void)state;
  hw_system sys = fake_system(1e15);
  gen_options opt = {.allow_oom = true};
  trace *t = NULL;
  ts_err err = {0};
  model m = load_ok("layers=4,hidden=384,ffn=1536,heads=6,vocab=1024,seq=100,mlp=gelu");
  plan p = parse_ok("pp=1,vpp=2,gbs=1");
  assert_int_equal(gen_step(&m, &p, &sys, 1, &opt, &t, &err), TS_EINPUT);
  assert_non_null(strstr(err.msg, "pp >= 2"));
  p = parse_ok("tp=3,gbs=1");
  assert_int_equal(gen_step(&m, &p, &sys, 3, &opt, &t, &err), TS_EINPUT);
  assert_non_null(strstr(err.msg, "sequence parallelism"));
  assert_int_equal(gen_step(NULL, &p, &sys, 3, &opt, &t, &err), TS_EUSAGE);
  assert_int_equal(gen_step(&m, &p, &sys, 3, &opt, NULL, &err), TS_EUSAGE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_gpt_step_flops_match_megatron_closed_form),
      cmocka_unit_test(test_llama3_70b_step_flops_match_hand_count),
      cmocka_unit_test(test_mixtral_step_flops_match_hand_count),
      cmocka_unit_test(test_deepseek_v3_step_flops_match_hand_count),
      cmocka_unit_test(test_op_counts_per_class_match_hand_count),
      cmocka_unit_test(test_communicators_follow_the_rank_layout),
      cmocka_unit_test(test_gradient_buckets_follow_megatron_bucket_size),
      cmocka_unit_test(test_plan_errors_are_surfaced_by_gen),
      cmocka_unit_test(test_memory_overflow_is_refused_unless_allowed),
      cmocka_unit_test(test_memory_check_counts_the_stacks_unfused_attention),
      cmocka_unit_test(test_trace_records_model_plan_and_system),
      cmocka_unit_test(test_zero3_gathers_parameters_per_layer_and_micro_batch),
      cmocka_unit_test(test_generation_is_deterministic),
      cmocka_unit_test(test_communication_bytes_follow_the_dtypes),
      cmocka_unit_test(test_zero0_all_reduces_and_dp_overlap_off_defers),
      cmocka_unit_test(test_expert_gradients_reduce_over_edp),
      cmocka_unit_test(test_generator_specific_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
