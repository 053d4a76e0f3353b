/* Extreme sizes (issue 7): a million chips, a 10-trillion-parameter model, a 1,000-layer model, and
 * counts at the edge of int64 in the readers. Every figure must come out finite and equal to its
 * closed form; a count that would overflow must be refused with a message, never wrap.
 * Closed forms (flops.c, after Narayanan et al. SC21): a GPT layer (gelu, MHA, ffn = 4h, no
 * biases) holds 12h^2 + 2h parameters (four attention matrices, two MLP matrices, two norms); the
 * model adds 2Vh untied embeddings and the final norm h. One step does
 * 72*B*s*l*h^2*(1 + s/6h + V/12hl) model FLOPs. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hw/hw.h"
#include "models/models.h"

static model load_inline(const char *spec) {
  model m;
  ts_err err = {0};
  if (model_load(spec, &m, &err) != TS_OK) fail_msg("model_load(%s): %s", spec, err.msg);
  return m;
}

static double gpt_params(double l, double h, double v) {
  return 2.0 * v * h + h + l * (12.0 * h * h + 2.0 * h);
}

static double megatron_flops(double b, double s, double l, double h, double v) {
  return 72.0 * b * s * l * h * h * (1.0 + s / (6.0 * h) + v / (12.0 * h * l));
}

static void assert_close(double got, double want, double rel) {
  if (!(isfinite(got) && fabs(got - want) <= rel * fabs(want)))
    fail_msg("got %.17g, expected %.17g (rel %g)", got, want, rel);
}

static void assert_memory_finite(const model *m, const plan *p) {
  model_memory mem;
  ts_err err = {0};
  if (model_memory_per_rank(m, p, &mem, &err) != TS_OK) fail_msg("memory: %s", err.msg);
  const double parts[] = {mem.weights_bytes,     mem.grads_bytes,   mem.optimizer_bytes,
                          mem.activations_bytes, mem.buffers_bytes, mem.total_bytes};
  for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
    if (!isfinite(parts[i]) || parts[i] < 0) fail_msg("memory part %zu is %g", i, parts[i]);
  assert_true(mem.total_bytes > 0);
}

static void test_ten_trillion_parameter_model_counts_are_exact(void **state) {
  (void)state;
  model m = load_inline(
      "layers=200,hidden=65536,ffn=262144,heads=512,vocab=256000,seq=8192,"
      "mlp=gelu");
  double want = gpt_params(200, 65536, 256000);
  assert_true(want > 1e13);
  assert_close(model_params_total(&m), want, 1e-12);
  plan p;
  ts_err err = {0};
  assert_int_equal(plan_parse("tp=64,pp=100,dp=4096,mbs=1,gbs=16384", &p, &err), TS_OK);
  model_step_flops f = model_step_flops_count(&m, &p);
  assert_close(f.model_flops, megatron_flops(16384, 8192, 200, 65536, 256000), 1e-9);
  assert_true(isfinite(f.hw_flops) && f.hw_flops >= f.model_flops);
  assert_memory_finite(&m, &p);
}

static void test_thousand_layer_model_splits_and_counts(void **state) {
  (void)state;
  model m = load_inline("layers=1000,hidden=8192,ffn=32768,heads=64,vocab=51200,seq=4096,mlp=gelu");
  assert_close(model_params_total(&m), gpt_params(1000, 8192, 51200), 1e-12);
  plan p;
  ts_err err = {0};
  assert_int_equal(plan_parse("tp=8,pp=125,vpp=8,dp=8,gbs=1024,recompute=full", &p, &err), TS_OK);
  assert_int_equal(plan_check(&p, &m, NULL, 0, &err), TS_OK);
  int64_t sum = 0;
  for (int32_t c = 0; c < p.pp * p.vpp; c++) {
    assert_int_equal(plan_chunk_first_layer(&p, &m, c), sum);
    sum += plan_chunk_layers(&p, &m, c);
  }
  assert_int_equal(sum, 1000);
  model_step_flops f = model_step_flops_count(&m, &p);
  double model_flops = megatron_flops(1024, 4096, 1000, 8192, 51200);
  assert_close(f.model_flops, model_flops, 1e-9);
  /* Full recomputation redoes every layer's forward: 96*B*s*l*h^2*(1 + s/6h + V/16hl). */
  double h = 8192, s = 4096, l = 1000, v = 51200, b = 1024;
  assert_close(f.hw_flops, 96.0 * b * s * l * h * h * (1 + s / (6 * h) + v / (16 * h * l)), 1e-9);
  assert_memory_finite(&m, &p);
}

/* A dgx-h100-like system (8 chips per NVSwitch domain, rail-optimised fat-tree), built in code. */
static hw_system switch_system(void) {
  hw_system s;
  memset(&s, 0, sizeof s);
  snprintf(s.name, sizeof s.name, "extreme-switch");
  snprintf(s.chip.name, sizeof s.chip.name, "extreme-chip");
  s.chip.ranks_per_chip = 1;
  s.chip.peak_flops[HW_BF16] = 989e12;
  s.chip.peak_flops[HW_FP32] = 67e12;
  s.chip.hbm_bytes = 80e9;
  s.chip.hbm_Bps = 3.35e12;
  s.chip.compute_units = 132;
  s.chip.tile_m = 128, s.chip.tile_n = 256, s.chip.tile_k = 64;
  s.up = (hw_scaleup){.kind = HW_TOPO_SWITCH,
                      .domain_chips = 8,
                      .link_Bps = 25e9,
                      .links_per_chip = 18,
                      .chip_Bps = 450e9,
                      .latency_s = 1e-6};
  s.out = (hw_scaleout){.nic_Bps_per_chip = 50e9,
                        .latency_s = 5e-6,
                        .rail_optimized = true,
                        .oversubscription = 1,
                        .leaf_chips = 32,
                        .max_chips = (int64_t)1 << 40};
  return s;
}

static hw_system torus_system(void) {
  hw_system s = switch_system();
  snprintf(s.name, sizeof s.name, "extreme-torus");
  s.up = (hw_scaleup){.kind = HW_TOPO_TORUS,
                      .domain_chips = 64,
                      .ndims = 3,
                      .dims = {4, 4, 4},
                      .link_Bps = 128e9,
                      .links_per_chip = 1,
                      .chip_Bps = 640e9,
                      .latency_s = 1.5e-6,
                      .dim_link_Bps = {128e9, 128e9, 64e9}};
  s.out.leaf_chips = 64;
  s.out.rail_optimized = false;
  return s;
}

static void check_million_chip_topology(const hw_system *sys, int64_t domain) {
  const int64_t chips = 1000000;
  hw_topo *t = NULL;
  ts_err err = {0};
  if (hw_topo_new(sys, chips, &t, &err) != TS_OK) fail_msg("hw_topo_new: %s", err.msg);
  assert_int_equal(hw_topo_chips(t), chips);
  assert_int_equal(hw_topo_domain_count(t), (chips + domain - 1) / domain);
  assert_int_equal(hw_topo_domain_of(t, chips - 1), (chips - 1) / domain);
  int32_t links[HW_ROUTE_MAX];
  int hops = hw_topo_route(t, 0, chips - 1, links);
  assert_true(hops > 0 && hops <= HW_ROUTE_MAX);
  for (int i = 0; i < hops; i++) assert_true(links[i] >= 0 && links[i] < hw_topo_link_count(t));
  assert_int_equal(hw_topo_route(t, 0, chips, links), -1);
  assert_true(hw_topo_diameter(t) >= hops);
  double bis = hw_topo_bisection_Bps(t);
  assert_true(isfinite(bis) && bis > 0);
  assert_true(hw_topo_vertex_count(t) > chips);
  hw_topo_free(t);
}

static void test_million_chip_switch_topology_routes_end_to_end(void **state) {
  (void)state;
  hw_system sys = switch_system();
  check_million_chip_topology(&sys, 8);
}

static void test_million_chip_torus_topology_routes_end_to_end(void **state) {
  (void)state;
  hw_system sys = torus_system();
  check_million_chip_topology(&sys, 64);
}

static void test_million_chip_plan_checks_and_counts(void **state) {
  (void)state;
  hw_system sys = switch_system();
  model m = load_inline(
      "layers=128,hidden=16384,ffn=65536,heads=128,vocab=128000,seq=8192,"
      "mlp=gelu");
  plan p;
  ts_err err = {0};
  assert_int_equal(plan_parse("tp=8,pp=1,dp=125000,mbs=1", &p, &err), TS_OK);
  assert_int_equal(p.gbs, 125000);
  assert_int_equal(plan_check(&p, &m, &sys, 1000000, &err), TS_OK);
  assert_int_equal(plan_check(&p, &m, &sys, 999999, &err), TS_EINPUT);
  assert_string_equal(err.msg,
                      "plan: tp*pp*dp*cp = 1000000 ranks, but 999999 chips x 1 ranks "
                      "per chip of extreme-switch = 999999 ranks");
  model_step_flops f = model_step_flops_count(&m, &p);
  assert_close(f.model_flops, megatron_flops(125000, 8192, 128, 16384, 128000), 1e-9);
  assert_memory_finite(&m, &p);
}

/* Degrees at their caps: tp*pp*dp*cp = 2^20 * 2^10 * 2^20 * 2^20 = 2^70 ranks must not wrap. */
static void test_degree_product_past_int64_is_refused_not_wrapped(void **state) {
  (void)state;
  hw_system sys = switch_system();
  model m = load_inline(
      "layers=1024,hidden=1048576,ffn=4194304,heads=1048576,vocab=1000,"
      "seq=2097152,mlp=gelu");
  plan p;
  ts_err err = {0};
  assert_int_equal(plan_parse("tp=1048576,pp=1024,dp=1048576,cp=1048576", &p, &err), TS_OK);
  assert_int_equal(plan_check(&p, &m, &sys, INT64_MAX, &err), TS_EINPUT);
  assert_non_null(strstr(err.msg, "plan: tp*pp*dp*cp = 1180591620717411303424 ranks"));
}

static void expect_refused(const char *spec, const char *message) {
  model m;
  ts_err err = {0};
  assert_int_equal(model_load(spec, &m, &err), TS_EINPUT);
  assert_string_equal(err.msg, message);
}

static void test_int64_counts_in_the_readers_are_refused_with_a_message(void **state) {
  (void)state;
  expect_refused(
      "layers=9223372036854775807,hidden=4096,ffn=16384,heads=32,vocab=32000,seq=2048,"
      "mlp=gelu",
      "inline model: field 'layers': 9223372036854775807 is out of range (expected "
      "1..4294967296)");
  expect_refused(
      "layers=9223372036854775808,hidden=4096,ffn=16384,heads=32,vocab=32000,seq=2048,"
      "mlp=gelu",
      "inline model: field 'layers': '9223372036854775808' is not an integer");
  expect_refused(
      "layers=32,hidden=4096,ffn=16384,heads=32,vocab=32000,seq=2048,mlp=gelu,"
      "moe_experts=4294967297,moe_topk=2",
      "inline model: field 'moe_experts': 4294967297 is out of range (expected "
      "0..4294967296)");
  plan p;
  ts_err err = {0};
  assert_int_equal(plan_parse("gbs=9223372036854775807", &p, &err), TS_EINPUT);
  assert_string_equal(err.msg,
                      "plan: field 'gbs': 9223372036854775807 is out of range (expected 1..2^40)");
  assert_int_equal(plan_parse("dp=9223372036854775807", &p, &err), TS_EINPUT);
  assert_string_equal(
      err.msg, "plan: field 'dp': 9223372036854775807 is out of range (expected 1..1048576)");
}

/* The largest model the field caps allow still counts finitely (no inf, no NaN). */
static void test_largest_model_the_caps_allow_counts_finitely(void **state) {
  (void)state;
  model m = load_inline(
      "layers=4294967296,hidden=4294967296,ffn=4294967296,heads=4294967296,"
      "vocab=4294967296,seq=4294967296,mlp=swiglu");
  double params = model_params_total(&m), flops = model_flops_per_token(&m, m.seq);
  assert_close(params, 7.0 * ldexp(1.0, 96), 1e-6); /* swiglu, h = ffn: 7h^2 per layer */
  assert_true(isfinite(flops) && flops > 0);
  plan p;
  plan_init(&p);
  p.gbs = (int64_t)1 << 40;
  model_step_flops f = model_step_flops_count(&m, &p);
  assert_true(isfinite(f.model_flops) && isfinite(f.hw_flops));
}

/* Writes a model file of exactly `bytes` bytes: a valid model padded with a comment. */
static void write_padded_model(const char *path, size_t bytes) {
  static const char MODEL[] =
      "name: padded\nsource: test\nlayers: 2\nhidden: 64\nffn: 256\n"
      "heads: 4\nvocab: 100\nseq: 32\nmlp: gelu\n#";
  FILE *fp = fopen(path, "wb");
  assert_non_null(fp);
  fputs(MODEL, fp);
  for (size_t i = strlen(MODEL); i + 1 < bytes; i++) fputc('x', fp);
  fputc('\n', fp);
  fclose(fp);
}

/* YAML data files are capped at 1 MiB (hw/base/ts_yaml.c): libyaml's memory and time grow with
 * the node count, and the shipped files are a few KB. */
static void test_yaml_files_past_one_mib_are_refused_by_size(void **state) {
  (void)state;
  const char *path = "extremes_padded.yaml";
  model m;
  ts_err err = {0};
  write_padded_model(path, (size_t)1 << 20);
  ts_status st = model_load(path, &m, &err);
  if (st != TS_OK) fail_msg("a file of exactly 1 MiB: %s", err.msg);
  write_padded_model(path, ((size_t)1 << 20) + 1);
  assert_int_equal(model_load(path, &m, &err), TS_EINPUT);
  assert_string_equal(err.msg, "extremes_padded.yaml: larger than the limit of 1048576 bytes");
  unlink(path);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ten_trillion_parameter_model_counts_are_exact),
      cmocka_unit_test(test_thousand_layer_model_splits_and_counts),
      cmocka_unit_test(test_million_chip_switch_topology_routes_end_to_end),
      cmocka_unit_test(test_million_chip_torus_topology_routes_end_to_end),
      cmocka_unit_test(test_million_chip_plan_checks_and_counts),
      cmocka_unit_test(test_degree_product_past_int64_is_refused_not_wrapped),
      cmocka_unit_test(test_int64_counts_in_the_readers_are_refused_with_a_message),
      cmocka_unit_test(test_largest_model_the_caps_allow_counts_finitely),
      cmocka_unit_test(test_yaml_files_past_one_mib_are_refused_by_size),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
