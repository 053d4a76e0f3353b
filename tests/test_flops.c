/* FLOPs and parameters against closed forms written out here: Megatron's
 * 72*B*s*l*h^2*(1 + s/6h + V/12lh) for GPT (model FLOPs), 96*...*(1 + s/6h + V/16lh) with full
 * recomputation, plus the attention core again for selective recomputation (Korthikanti et al.
 * 2022); hand counts for SwiGLU + GQA (Llama 3 70B), MoE (Mixtral 8x7B) and latent attention +
 * shared experts (DeepSeek-V3); published parameter counts. */
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

static plan parse_ok(const char *spec) {
  plan p;
  ts_err err = {0};
  if (plan_parse(spec, &p, &err) != TS_OK) fail_msg("%s: %s", spec, err.msg);
  return p;
}

static void assert_rel(double got, double want, double tol, const char *what) {
  double rel = fabs(got - want) / fabs(want);
  if (!(rel <= tol))
    fail_msg("%s: got %.10g, want %.10g (relative error %.3g > %.3g)", what, got, want, rel, tol);
}

static void test_gpt_step_flops_match_megatron_closed_forms(void **state) {
  (void)state;
  const char *models[] = {"gpt3-1.7b", "gpt3-18.4b", "gpt3-175b", "gpt3-1t"};
  const char *plans[] = {"tp=8,pp=8,dp=4,gbs=512,recompute=none",
                         "tp=8,pp=16,dp=8,gbs=1536,recompute=selective",
                         "tp=4,pp=2,dp=32,gbs=2048,recompute=full"};
  for (size_t i = 0; i < 4; i++) {
    model m = load_ok(models[i]);
    double l = (double)m.layers, h = (double)m.hidden, s = (double)m.seq, V = (double)m.vocab;
    for (size_t k = 0; k < 3; k++) {
      plan p = parse_ok(plans[k]);
      double B = (double)p.gbs;
      double model_f = 72.0 * B * s * l * h * h * (1.0 + s / (6.0 * h) + V / (12.0 * l * h));
      double full_f = 96.0 * B * s * l * h * h * (1.0 + s / (6.0 * h) + V / (16.0 * l * h));
      double selective_f = model_f + 4.0 * B * s * s * l * h; /* QK^T and PV forward again */
      model_step_flops f = model_step_flops_count(&m, &p);
      assert_rel(f.model_flops, model_f, 1e-9, models[i]);
      double hw = p.recompute == PLAN_RECOMP_FULL        ? full_f
                  : p.recompute == PLAN_RECOMP_SELECTIVE ? selective_f
                                                         : model_f;
      assert_rel(f.hw_flops, hw, 1e-9, plans[k]);
    }
  }
}

static void test_seq_argument_changes_only_the_attention_term(void **state) {
  (void)state;
  model m = load_ok("gpt3-175b");
  double l = (double)m.layers, h = (double)m.hidden, V = (double)m.vocab;
  for (int64_t s = 1024; s <= 8192; s *= 2) {
    double per_token = 72.0 * l * h * h * (1.0 + (double)s / (6.0 * h) + V / (12.0 * l * h));
    assert_rel(model_flops_per_token(&m, s), per_token, 1e-9, "gpt3-175b per token");
  }
}

static void test_llama3_70b_flops_match_a_hand_count(void **state) {
  (void)state;
  model m = load_ok("llama3-70b");
  const double h = 8192, kv = 8 * 128, f = 28672, V = 128256, L = 80, s = 8192;
  double qkv = 2 * h * (h + 2 * kv); /* GQA: K and V only for the 8 KV heads */
  double core = 2 * s * h + 2 * s * h;
  double out = 2 * h * h;
  double mlp = 2 * 3 * h * f; /* SwiGLU: gate, up, down */
  double per_token = 3 * (L * (qkv + core + out + mlp) + 2 * h * V);
  assert_rel(model_flops_per_token(&m, (int64_t)s), per_token, 1e-12, "llama3-70b");
  plan p = parse_ok("tp=8,pp=4,dp=2,gbs=128,recompute=selective");
  model_step_flops sf = model_step_flops_count(&m, &p);
  assert_rel(sf.model_flops, 128 * s * per_token, 1e-12, "llama3-70b step");
  assert_rel(sf.hw_flops, 128 * s * (per_token + L * core), 1e-12, "llama3-70b selective");
  p = parse_ok("tp=8,pp=4,dp=2,gbs=128,recompute=full");
  sf = model_step_flops_count(&m, &p);
  assert_rel(sf.hw_flops, 128 * s * (per_token + L * (qkv + core + out + mlp)), 1e-12,
             "llama3-70b full");
}

static void test_mixtral_flops_count_router_and_top2_experts(void **state) {
  (void)state;
  model m = load_ok("mixtral-8x7b");
  const double h = 4096, kv = 8 * 128, f = 14336, E = 8, k = 2, V = 32000, L = 32, s = 4096;
  double attn = 2 * h * (h + 2 * kv) + 4 * s * h + 2 * h * h;
  double moe = 2 * h * E + k * 2 * 3 * h * f;
  double per_token = 3 * (L * (attn + moe) + 2 * h * V);
  assert_rel(model_flops_per_token(&m, (int64_t)s), per_token, 1e-12, "mixtral");
  plan p = parse_ok("tp=2,pp=4,dp=8,ep=8,gbs=256,recompute=none");
  model_step_flops sf = model_step_flops_count(&m, &p);
  assert_rel(sf.model_flops, 256 * s * per_token, 1e-12, "mixtral step");
  assert_rel(sf.hw_flops, sf.model_flops, 1e-12, "mixtral no recompute");
}

static void test_deepseek_v3_flops_count_latent_projections(void **state) {
  (void)state;
  model m = load_ok("deepseek-v3");
  const double h = 7168, a = 128, qr = 1536, kvr = 512, rope = 64, nope = 128, vd = 128;
  const double V = 129280, L = 61, dense = 3, f = 18432, E = 256, k = 8, shared = 1, mf = 2048;
  const double s = 4096;
  double proj =
      h * qr + qr * a * (nope + rope) + h * (kvr + rope) + kvr * a * (nope + vd) + a * vd * h;
  double core = 2 * s * a * (nope + rope) + 2 * s * a * vd;
  double attn = 2 * proj + core;
  double dense_mlp = 2 * 3 * h * f;
  double moe_mlp = 2 * h * E + (k + shared) * 2 * 3 * h * mf;
  double per_token = 3 * (dense * (attn + dense_mlp) + (L - dense) * (attn + moe_mlp) + 2 * h * V);
  assert_rel(model_flops_per_token(&m, (int64_t)s), per_token, 1e-12, "deepseek-v3");
  /* Parameters, by hand: norms (attention h + both latents, MLP h, final h), embeddings untied. */
  double attn_p = proj + h + qr + kvr;
  double total = dense * (attn_p + h + 3 * h * f) +
                 (L - dense) * (attn_p + h + h * E + (E + shared) * 3 * h * mf) + 2 * V * h + h;
  double active = dense * (attn_p + h + 3 * h * f) +
                  (L - dense) * (attn_p + h + h * E + (k + shared) * 3 * h * mf) + 2 * V * h + h;
  assert_rel(model_params_total(&m), total, 1e-12, "deepseek-v3 total");
  assert_rel(model_params_active(&m), active, 1e-12, "deepseek-v3 active");
}

typedef struct published {
  const char *name;
  double total, active, tol;
} published;

/* Published counts. DeepSeek-V3's 37B "activated" leaves out the input embedding lookup
 * (0.93B, counted here), hence 2% there. */
static void test_parameters_match_published_counts(void **state) {
  (void)state;
  const published rows[] = {
      {"llama2-7b", 6.74e9, 6.74e9, 0.01},    {"llama2-13b", 13.0e9, 13.0e9, 0.01},
      {"llama2-70b", 69.0e9, 69.0e9, 0.01},   {"llama3-8b", 8.03e9, 8.03e9, 0.01},
      {"llama3-70b", 70.6e9, 70.6e9, 0.01},   {"llama3-405b", 405.8e9, 405.8e9, 0.01},
      {"mixtral-8x7b", 46.7e9, 12.9e9, 0.01}, {"nemotron4-340b", 340e9, 340e9, 0.01},
      {"deepseek-v3", 671e9, 37e9, 0.02},
  };
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    model m = load_ok(rows[i].name);
    assert_rel(model_params_total(&m), rows[i].total, rows[i].tol, rows[i].name);
    assert_rel(model_params_active(&m), rows[i].active, rows[i].tol, rows[i].name);
  }
}

/* Narayanan et al. SC21: P = 12*l*h^2*(1 + 13/12h + (V+s)/12lh), which also counts biases and
 * learned position embeddings (not counted here: within 0.5%). */
static void test_gpt_family_parameters_match_narayanan_table_1(void **state) {
  (void)state;
  const struct {
    const char *name;
    double table_1;
  } rows[] = {{"gpt3-1.7b", 1.7e9},     {"gpt3-3.6b", 3.6e9},     {"gpt3-7.5b", 7.5e9},
              {"gpt3-18.4b", 18.4e9},   {"gpt3-39.1b", 39.1e9},   {"gpt3-76.1b", 76.1e9},
              {"gpt3-145.6b", 145.6e9}, {"gpt3-310.1b", 310.1e9}, {"gpt3-529.6b", 529.6e9},
              {"gpt3-1t", 1008e9}};
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    model m = load_ok(rows[i].name);
    double l = (double)m.layers, h = (double)m.hidden, V = (double)m.vocab, s = (double)m.seq;
    double formula = 12 * l * h * h * (1 + 13 / (12 * h) + (V + s) / (12 * l * h));
    assert_rel(model_params_total(&m), formula, 0.005, rows[i].name);
    assert_rel(model_params_total(&m), rows[i].table_1, 0.04,
               rows[i].name); /* 1.65 rounds to 1.7 */
  }
}

static void test_tied_embeddings_count_the_vocab_matrix_once(void **state) {
  (void)state;
  model untied = load_ok("layers=2,hidden=64,ffn=256,heads=4,vocab=1000,seq=16,mlp=gelu");
  model tied = load_ok("layers=2,hidden=64,ffn=256,heads=4,vocab=1000,seq=16,mlp=gelu,tied=true");
  /* per layer: 4h^2 attention + 2*h*4h MLP + 2 norms; + final norm; embeddings V*h (x2 untied) */
  double layer = 4.0 * 64 * 64 + 2.0 * 64 * 256 + 2 * 64;
  assert_rel(model_params_total(&tied), 2 * layer + 64 + 1000.0 * 64, 1e-12, "tied");
  assert_rel(model_params_total(&untied), 2 * layer + 64 + 2 * 1000.0 * 64, 1e-12, "untied");
  /* FLOPs count the logits once either way. */
  assert_rel(model_flops_per_token(&tied, 16), model_flops_per_token(&untied, 16), 1e-12, "logits");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_gpt_step_flops_match_megatron_closed_forms),
      cmocka_unit_test(test_seq_argument_changes_only_the_attention_term),
      cmocka_unit_test(test_llama3_70b_flops_match_a_hand_count),
      cmocka_unit_test(test_mixtral_flops_count_router_and_top2_experts),
      cmocka_unit_test(test_deepseek_v3_flops_count_latent_projections),
      cmocka_unit_test(test_parameters_match_published_counts),
      cmocka_unit_test(test_gpt_family_parameters_match_narayanan_table_1),
      cmocka_unit_test(test_tied_embeddings_count_the_vocab_matrix_once),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
