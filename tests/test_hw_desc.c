/* hw descriptors: the shipped catalog (every chip and system loads, every figure has a source, a
 * few figures checked against ../shared/specs/HARDWARE.md), each error path of the loader, the
 * closest-name suggestion, data types and topology kind names. Bad files are written into a
 * temporary folder and loaded by path, as a user's own file would be. */
#define _XOPEN_SOURCE 700 /* nftw, to remove the temporary folder */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hw/hw.h"

/* ---- fixtures --------------------------------------------------------------------------- */

static const char CHIP_OK[] =
    "name: testchip\n"
    "vendor: nvidia\n"
    "family: hopper\n"
    "generation: Test H100\n"
    "year: {value: 2022, source: \"S9\"}\n"
    "fp32_tflops: {value: 67, source: \"S9\"}\n"
    "fp16_tflops: {value: 989, source: \"S9\"}\n"
    "bf16_tflops: {value: 989, source: \"S9\"}\n"
    "fp8_tflops: {value: 1979, source: \"S9\"}\n"
    "fp4_tflops: {value: 0, source: \"S9\"}\n"
    "hbm_gb: {value: 80, source: \"S9\"}\n"
    "hbm_tbps: {value: 3.35, source: \"S9\"}\n"
    "sram_mib: {value: 50, source: \"S9\"}\n"
    "compute_units: {value: 132, source: \"S9\"}\n"
    "tile_mnk: {value: 128x256x64, source: \"assumed\"}\n"
    "ranks_per_chip: {value: 1, source: \"one per GPU\"}\n"
    "power_w: {value: 700, source: \"S9\"}\n"
    "price_usd_per_chip_h: {value: 6.875, source: \"S23\"}\n"
    "price_date: \"2025-06\"\n"
    "kern:\n"
    "  gemm_efficiency: {value: 0.79, source: \"S22\"}\n"
    "  attn_efficiency: {value: 0.6, source: \"assumed\"}\n"
    "  mem_efficiency: {value: 0.9, source: \"assumed\"}\n"
    "  launch_us: {value: 4, source: \"assumed\"}\n";

static const char SYSTEM_OK[] =
    "name: testsys\n"
    "description: \"a 4x4 torus of test chips\"\n"
    "chip: h100-sxm\n"
    "stack: nccl\n"
    "scaleup:\n"
    "  topology: {value: torus, source: \"S3\"}\n"
    "  domain_chips: {value: 16, source: \"S3\"}\n"
    "  dims: {value: 4x4, source: \"S3\"}\n"
    "  link_GBps: {value: 128, source: \"D\"}\n"
    "  links_per_chip: {value: 1, source: \"S2\"}\n"
    "  chip_GBps: {value: 512, source: \"S2\"}\n"
    "  latency_us: {value: 1.5, source: \"S7\"}\n"
    "scaleout:\n"
    "  nic_Gbps_per_chip: {value: 200, source: \"S3\"}\n"
    "  latency_us: {value: 15, source: \"S7\"}\n"
    "  rail_optimized: {value: false, source: \"assumed\"}\n"
    "  oversubscription: {value: 1, source: \"assumed\"}\n"
    "  leaf_chips: {value: 64, source: \"assumed\"}\n"
    "  max_chips: {value: 100000, source: \"R\"}\n"
    "host_overhead_w_per_chip: {value: 100, source: \"assumed\"}\n";

typedef struct fixture {
  char dir[64];
  char path[128];
  hw_chip chip;
  hw_system sys;
  ts_err err;
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  if (!f) return -1;
  snprintf(f->dir, sizeof f->dir, "/tmp/test_hw_descXXXXXX");
  if (!mkdtemp(f->dir)) return -1;
  *state = f;
  return 0;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb;
  (void)flag;
  (void)ftw;
  return remove(path);
}

static int teardown(void **state) {
  fixture *f = *state;
  int rc = nftw(f->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
  free(f);
  return rc;
}

/* text with the first occurrence of old replaced by new (old must occur). */
static char *edit(const char *text, const char *old, const char *new) {
  const char *at = strstr(text, old);
  assert_non_null(at);
  size_t n = strlen(text) - strlen(old) + strlen(new) + 1;
  char *out = malloc(n);
  assert_non_null(out);
  snprintf(out, n, "%.*s%s%s", (int)(at - text), text, new, at + strlen(old));
  return out;
}

/* 1-based line of the first occurrence of needle in text, counted by hand-checkable newlines. */
static int line_of(const char *text, const char *needle) {
  const char *at = strstr(text, needle);
  assert_non_null(at);
  int line = 1;
  for (const char *p = text; p < at; p++) line += *p == '\n';
  return line;
}

static void write_file(fixture *f, const char *name, const char *text) {
  snprintf(f->path, sizeof f->path, "%s/%s", f->dir, name);
  FILE *fp = fopen(f->path, "w");
  assert_non_null(fp);
  fputs(text, fp);
  fclose(fp);
}

/* Loads a chip file made from CHIP_OK with one edit; expects an input error containing want. */
static void chip_fails(fixture *f, const char *old, const char *new, const char *want) {
  char *text = edit(CHIP_OK, old, new);
  write_file(f, "bad.yaml", text);
  free(text);
  ts_status st = hw_chip_load(f->path, &f->chip, &f->err);
  if (st != TS_EINPUT || !strstr(f->err.msg, want))
    fail_msg("status %d, message '%s', wanted '%s'", st, f->err.msg, want);
}

static void system_fails(fixture *f, const char *old, const char *new, const char *want) {
  char *text = edit(SYSTEM_OK, old, new);
  write_file(f, "bad.yaml", text);
  free(text);
  ts_status st = hw_system_load(f->path, &f->sys, &f->err);
  if (st == TS_OK || !strstr(f->err.msg, want))
    fail_msg("status %d, message '%s', wanted '%s'", st, f->err.msg, want);
}

/* ---- the shipped catalog ------------------------------------------------------------------ */

static const char *const ISSUE_CHIPS[] = {
    "trn1", "trn2",  "trn3", "trn4",  "a100-sxm-40g", "a100-sxm-80g", "h100-sxm", "h800",  "h200",
    "b200", "gb200", "b300", "gb300", "rubin",        "rubin-ultra",  "mi300x",   "mi355x"};
static const char *const ISSUE_SYSTEMS[] = {
    "trn1-32xl",    "trn2-48xl",          "trn2-ultraserver", "trn3-ultraserver",
    "trn4",         "dgx-a100",           "dgx-h100",         "h800-hgx",
    "h200-hgx",     "b200-hgx",           "gb200-nvl72",      "gb300-nvl72",
    "vr200-nvl144", "rubin-ultra-nvl576", "mi300x-8",         "mi355x-8"};

static const char *const CHIP_FIELDS[] = {"year",
                                          "fp32_tflops",
                                          "fp16_tflops",
                                          "bf16_tflops",
                                          "fp8_tflops",
                                          "fp4_tflops",
                                          "hbm_tbps",
                                          "sram_mib",
                                          "compute_units",
                                          "tile_mnk",
                                          "ranks_per_chip",
                                          "power_w",
                                          "price_usd_per_chip_h",
                                          "kern.gemm_efficiency",
                                          "kern.attn_efficiency",
                                          "kern.mem_efficiency",
                                          "kern.launch_us"};
static const char *const SYSTEM_FIELDS[] = {
    "scaleup.topology",           "scaleup.domain_chips", "scaleup.link_GBps",
    "scaleup.links_per_chip",     "scaleup.chip_GBps",    "scaleup.latency_us",
    "scaleout.nic_Gbps_per_chip", "scaleout.latency_us",  "scaleout.rail_optimized",
    "scaleout.oversubscription",  "scaleout.leaf_chips",  "scaleout.max_chips",
    "host_overhead_w_per_chip"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static bool listed(char (*names)[HW_NAME_MAX], size_t n, const char *name) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(names[i], name) == 0) return true;
  return false;
}

static void assert_chip_sourced(const hw_chip *c) {
  for (size_t i = 0; i < COUNT(CHIP_FIELDS); i++) {
    const char *s = hw_chip_source(c, CHIP_FIELDS[i]);
    if (!s || !*s) fail_msg("chip %s: no source for %s", c->name, CHIP_FIELDS[i]);
  }
  if (!hw_chip_source(c, "hbm_gb") && !hw_chip_source(c, "hbm_gib"))
    fail_msg("chip %s: no source for its HBM capacity", c->name);
}

static void test_catalog_holds_every_chip_of_the_issue(void **state) {
  (void)state;
  char(*names)[HW_NAME_MAX];
  size_t n;
  ts_err err = {0};
  assert_int_equal(hw_catalog_names(true, &names, &n, &err), TS_OK);
  for (size_t i = 0; i < COUNT(ISSUE_CHIPS); i++)
    if (!listed(names, n, ISSUE_CHIPS[i])) fail_msg("chip %s missing", ISSUE_CHIPS[i]);
  for (size_t i = 1; i < n; i++) assert_true(strcmp(names[i - 1], names[i]) < 0);
  free(names);
}

static void test_catalog_holds_every_system_of_the_issue(void **state) {
  (void)state;
  char(*names)[HW_NAME_MAX];
  size_t n;
  ts_err err = {0};
  assert_int_equal(hw_catalog_names(false, &names, &n, &err), TS_OK);
  for (size_t i = 0; i < COUNT(ISSUE_SYSTEMS); i++)
    if (!listed(names, n, ISSUE_SYSTEMS[i])) fail_msg("system %s missing", ISSUE_SYSTEMS[i]);
  free(names);
}

static void test_every_shipped_chip_loads_and_every_figure_has_a_source(void **state) {
  fixture *f = *state;
  char(*names)[HW_NAME_MAX];
  size_t n;
  assert_int_equal(hw_catalog_names(true, &names, &n, &f->err), TS_OK);
  for (size_t i = 0; i < n; i++) {
    if (hw_chip_load(names[i], &f->chip, &f->err) != TS_OK) fail_msg("%s", f->err.msg);
    assert_string_equal(f->chip.name, names[i]);
    assert_chip_sourced(&f->chip);
    assert_true(f->chip.peak_flops[HW_BF16] > 0 && f->chip.hbm_bytes > 0);
    assert_true(f->chip.ranks_per_chip >= 1 && f->chip.compute_units >= 1);
    if (f->chip.projected) assert_true(strlen(f->chip.projected_from) > 10);
  }
  free(names);
}

static void test_every_shipped_system_loads_and_every_figure_has_a_source(void **state) {
  fixture *f = *state;
  char(*names)[HW_NAME_MAX];
  size_t n;
  assert_int_equal(hw_catalog_names(false, &names, &n, &f->err), TS_OK);
  for (size_t i = 0; i < n; i++) {
    if (hw_system_load(names[i], &f->sys, &f->err) != TS_OK) fail_msg("%s", f->err.msg);
    for (size_t k = 0; k < COUNT(SYSTEM_FIELDS); k++)
      if (!hw_system_source(&f->sys, SYSTEM_FIELDS[k]))
        fail_msg("system %s: no source for %s", names[i], SYSTEM_FIELDS[k]);
    if (f->sys.up.ndims > 0) assert_non_null(hw_system_source(&f->sys, "scaleup.dims"));
    assert_chip_sourced(&f->sys.chip);
    assert_string_equal(f->sys.chip.name, f->sys.chip_name);
    assert_true(f->sys.out.max_chips >= f->sys.up.domain_chips);
  }
  free(names);
}

static void test_h100_figures_match_hardware_md(void **state) {
  fixture *f = *state;
  assert_int_equal(hw_chip_load("h100-sxm", &f->chip, &f->err), TS_OK);
  assert_true(f->chip.peak_flops[HW_BF16] == 989e12);
  assert_true(f->chip.peak_flops[HW_FP8] == 1979e12);
  /* 81,559 MiB as nvidia-smi reports it (80 GiB of HBM3, part reserved) */
  assert_true(fabs(f->chip.hbm_bytes - 81559.0 * 1048576) < 0.01 * 1073741824.0);
  assert_true(f->chip.hbm_Bps == 3.35e12);
  assert_int_equal(f->chip.compute_units, 132);
  assert_int_equal(f->chip.ranks_per_chip, 1);
  assert_true(f->chip.power_w == 700);
  assert_true(fabs(f->chip.kern.gemm_efficiency - 0.79) < 1e-12);
  assert_non_null(strstr(hw_chip_source(&f->chip, "bf16_tflops"), "S9"));
}

static void test_trainium_hbm_in_gib_and_ranks_per_neuroncore(void **state) {
  fixture *f = *state;
  assert_int_equal(hw_chip_load("trn2", &f->chip, &f->err), TS_OK);
  assert_true(f->chip.hbm_bytes == 96.0 * 1024 * 1024 * 1024);
  assert_true(f->chip.peak_flops[HW_BF16] == 667e12);
  assert_int_equal(f->chip.ranks_per_chip, 4); /* 8 NeuronCore-v3 under LNC=2 */
  assert_int_equal(hw_chip_load("trn1", &f->chip, &f->err), TS_OK);
  assert_int_equal(f->chip.ranks_per_chip, 2);
  assert_true(f->chip.sram_bytes == 48.0 * 1024 * 1024);
}

static void test_projected_chips_say_what_they_were_projected_from(void **state) {
  fixture *f = *state;
  assert_int_equal(hw_chip_load("trn4", &f->chip, &f->err), TS_OK);
  assert_true(f->chip.projected);
  assert_non_null(strstr(f->chip.projected_from, "Trainium3"));
  assert_true(f->chip.peak_flops[HW_FP8] == 3 * 2517e12); /* 3x Trn3's FP8 */
  assert_int_equal(hw_chip_load("rubin-ultra", &f->chip, &f->err), TS_OK);
  assert_true(f->chip.projected);
  assert_int_equal(hw_chip_load("h100-sxm", &f->chip, &f->err), TS_OK);
  assert_false(f->chip.projected);
}

static void test_dgx_h100_links_and_nic_per_direction(void **state) {
  fixture *f = *state;
  assert_int_equal(hw_system_load("dgx-h100", &f->sys, &f->err), TS_OK);
  assert_int_equal(f->sys.up.kind, HW_TOPO_SWITCH);
  assert_int_equal(f->sys.up.domain_chips, 8);
  assert_true(f->sys.up.chip_Bps == 450e9); /* NVLink4: 900 GB/s both directions */
  assert_true(f->sys.up.link_Bps * f->sys.up.links_per_chip == 450e9);
  assert_true(f->sys.out.nic_Bps_per_chip == 50e9); /* 400 Gb/s */
  assert_true(f->sys.out.max_chips >= 100000);
  assert_string_equal(f->sys.stack, "nccl");
}

static void test_dgx_a100_uses_the_80g_part(void **state) {
  fixture *f = *state;
  assert_int_equal(hw_system_load("dgx-a100", &f->sys, &f->err), TS_OK);
  assert_string_equal(f->sys.chip.name, "a100-sxm-80g");
  assert_true(f->sys.out.nic_Bps_per_chip == 25e9); /* 200 Gb/s HDR */
}

static void test_trn2_ultraserver_is_4x4x4_with_a_slower_z_ring(void **state) {
  fixture *f = *state;
  assert_int_equal(hw_system_load("trn2-ultraserver", &f->sys, &f->err), TS_OK);
  assert_int_equal(f->sys.up.kind, HW_TOPO_TORUS);
  assert_int_equal(f->sys.up.ndims, 3);
  assert_int_equal(f->sys.up.dims[0] * f->sys.up.dims[1] * f->sys.up.dims[2], 64);
  assert_true(f->sys.up.dim_link_Bps[0] == f->sys.up.link_Bps);
  assert_true(f->sys.up.dim_link_Bps[2] < f->sys.up.dim_link_Bps[0]);
  assert_int_equal(hw_system_load("trn2-48xl", &f->sys, &f->err), TS_OK);
  assert_int_equal(f->sys.up.ndims, 2);
  assert_true(f->sys.up.dim_link_Bps[1] == f->sys.up.link_Bps); /* defaults to link_Bps */
  assert_true(f->sys.out.nic_Bps_per_chip == 3.2e12 / 8 / 16);  /* 3.2 Tbps per instance */
}

static void test_switch2_and_mesh_systems(void **state) {
  fixture *f = *state;
  assert_int_equal(hw_system_load("trn3-ultraserver", &f->sys, &f->err), TS_OK);
  assert_int_equal(f->sys.up.kind, HW_TOPO_SWITCH2);
  assert_int_equal(f->sys.up.domain_chips, 144);
  assert_int_equal(f->sys.up.domain_chips % f->sys.up.group_chips, 0);
  assert_int_equal(hw_system_load("mi300x-8", &f->sys, &f->err), TS_OK);
  assert_int_equal(f->sys.up.kind, HW_TOPO_MESH);
  assert_string_equal(f->sys.stack, "rccl");
  assert_int_equal(hw_system_load("trn4", &f->sys, &f->err), TS_OK); /* system and chip share it */
  assert_true(f->sys.chip.projected);
  assert_int_equal(f->sys.up.domain_chips, 72);
}

/* ---- loader error paths ------------------------------------------------------------------- */

static void test_valid_fixture_loads_by_path(void **state) {
  fixture *f = *state;
  write_file(f, "ok.yaml", CHIP_OK);
  assert_int_equal(hw_chip_load(f->path, &f->chip, &f->err), TS_OK);
  assert_string_equal(f->chip.name, "testchip");
  assert_true(f->chip.kern.launch_s == 4e-6);
  assert_int_equal(f->chip.tile_n, 256);
  write_file(f, "sys.yaml", SYSTEM_OK);
  assert_int_equal(hw_system_load(f->path, &f->sys, &f->err), TS_OK);
  assert_true(f->sys.up.link_Bps == 128e9);
  assert_true(f->sys.up.latency_s == 1.5e-6);
}

static void test_missing_field_is_named(void **state) {
  fixture *f = *state;
  chip_fails(f, "bf16_tflops: {value: 989, source: \"S9\"}\n", "",
             "bad.yaml:1: missing required field 'bf16_tflops'");
  chip_fails(f, "  launch_us: {value: 4, source: \"assumed\"}\n", "",
             "missing required field 'kern.launch_us'");
  chip_fails(f, "hbm_gb: {value: 80, source: \"S9\"}\n", "", "missing required field 'hbm_gb'");
}

static void test_unknown_and_duplicate_fields_are_named_with_their_line(void **state) {
  fixture *f = *state;
  char want[64];
  snprintf(want, sizeof want, "bad.yaml:%d: chip: unknown field 'bf16_tflop'",
           line_of(CHIP_OK, "bf16_tflops"));
  chip_fails(f, "bf16_tflops:", "bf16_tflop:", want);
  snprintf(want, sizeof want, "bad.yaml:%d: chip: duplicate field 'power_w'",
           line_of(CHIP_OK, "power_w") + 1);
  chip_fails(f, "power_w: {value: 700, source: \"S9\"}\n",
             "power_w: {value: 700, source: \"S9\"}\npower_w: {value: 700, source: \"S9\"}\n",
             want);
  chip_fails(f, "{value: 700, source: \"S9\"}", "{value: 700, source: \"S9\", unit: W}",
             "field 'power_w': unknown field 'unit'");
}

static void test_a_figure_without_a_source_is_an_error_naming_it(void **state) {
  fixture *f = *state;
  char want[96];
  snprintf(want, sizeof want, "bad.yaml:%d: field 'power_w': a figure needs its source",
           line_of(CHIP_OK, "power_w"));
  chip_fails(f, "{value: 700, source: \"S9\"}", "700", want);
  chip_fails(f, "{value: 700, source: \"S9\"}", "{value: 700}", "field 'power_w': no source given");
  chip_fails(f, "{value: 700, source: \"S9\"}", "{value: 700, source: \"\"}",
             "field 'power_w': no source given");
  chip_fails(f, "{value: 700, source: \"S9\"}", "{source: \"S9\"}",
             "field 'power_w': missing 'value'");
}

static void test_negative_nan_and_out_of_range_values_are_named(void **state) {
  fixture *f = *state;
  chip_fails(f, "{value: 700,", "{value: -1,", "field 'power_w': must be > 0, got -1");
  chip_fails(f, "{value: 3.35,", "{value: .nan,", "field 'hbm_tbps': expected a finite number");
  chip_fails(f, "{value: 3.35,", "{value: 0,", "field 'hbm_tbps': must be > 0, got 0");
  chip_fails(f, "{value: 1, source: \"one per GPU\"}", "{value: 0, source: \"x\"}",
             "field 'ranks_per_chip': must be between 1 and");
  chip_fails(f, "{value: 0.79,", "{value: 1.5,",
             "field 'kern.gemm_efficiency': must be a fraction in (0, 1], got 1.5");
  chip_fails(f, "{value: 0,", "{value: -2,", "field 'fp4_tflops': must be >= 0, got -2");
  chip_fails(f, "{value: 132,", "{value: 13.5,", "field 'compute_units': expected a whole number");
  chip_fails(f, "128x256x64", "128x256", "field 'tile_mnk': expected MxNxK");
  chip_fails(f, "\"2025-06\"", "June 2025", "field 'price_date': expected YYYY-MM");
}

static void test_names_and_value_shapes_are_checked(void **state) {
  fixture *f = *state;
  chip_fails(f, "name: testchip", "name: Test Chip",
             "field 'name': 'Test Chip' is not a valid name");
  chip_fails(f, "{value: 700,", "{value: [700],",
             "field 'power_w': 'value' must be a single value");
  system_fails(f, "name: testsys", "name: a/b", "field 'name': 'a/b' is not a valid name");
}

static void test_hbm_takes_gb_or_gib_not_both(void **state) {
  fixture *f = *state;
  chip_fails(f, "hbm_gb: {value: 80, source: \"S9\"}\n",
             "hbm_gb: {value: 80, source: \"S9\"}\nhbm_gib: {value: 80, source: \"S9\"}\n",
             "fields 'hbm_gb' and 'hbm_gib': give only one");
}

static void test_projected_needs_projected_from(void **state) {
  fixture *f = *state;
  chip_fails(f, "vendor: nvidia\n", "vendor: nvidia\nprojected: true\n",
             "field 'projected_from': required when projected is true");
  chip_fails(f, "vendor: nvidia\n", "vendor: nvidia\nprojected_from: \"x\"\n",
             "field 'projected_from': only allowed with projected: true");
}

static void test_malformed_yaml_names_file_and_line(void **state) {
  fixture *f = *state;
  chip_fails(f, "family: hopper\n", "family: [hopper\n", "bad.yaml:");
  write_file(f, "empty.yaml", "");
  assert_int_equal(hw_chip_load(f->path, &f->chip, &f->err), TS_EINPUT);
  write_file(f, "list.yaml", "- a\n- b\n");
  assert_int_equal(hw_chip_load(f->path, &f->chip, &f->err), TS_EINPUT);
  assert_non_null(strstr(f->err.msg, "list.yaml:1: chip: expected a mapping"));
}

static void test_system_bandwidth_must_be_positive(void **state) {
  fixture *f = *state;
  system_fails(f, "{value: 128,", "{value: 0,", "field 'scaleup.link_GBps': must be > 0, got 0");
  system_fails(f, "{value: 200,", "{value: -200,",
               "field 'scaleout.nic_Gbps_per_chip': must be > 0, got -200");
}

static void test_torus_dims_must_multiply_to_the_domain(void **state) {
  fixture *f = *state;
  char want[128];
  snprintf(want, sizeof want,
           "bad.yaml:%d: field 'scaleup.dims': 4x4 makes 16 chips, but scaleup.domain_chips is 64",
           line_of(SYSTEM_OK, "{value: 4x4"));
  system_fails(f, "{value: 16,", "{value: 64,", want);
  system_fails(f, "4x4,", "4x4x4x4,", "field 'scaleup.dims': expected AxB or AxBxC");
  system_fails(f, "4x4,", "4xfour,", "field 'scaleup.dims': expected AxB or AxBxC");
  system_fails(f, "  dims: {value: 4x4, source: \"S3\"}\n", "",
               "missing required field 'scaleup.dims'");
  system_fails(f, "{value: torus,", "{value: switch,",
               "field 'scaleup.dims': only ring and torus domains have dims");
  system_fails(f, "{value: torus,", "{value: hypercube,",
               "field 'scaleup.topology': unknown kind 'hypercube'");
}

static void test_per_dimension_links_and_switch2_groups_are_checked(void **state) {
  fixture *f = *state;
  system_fails(
      f, "  links_per_chip:", "  dim_link_GBps: {value: \"128, 0\", source: x}\n  links_per_chip:",
      "field 'scaleup.dim_link_GBps': expected 2 positive numbers");
  char *text = edit(SYSTEM_OK, "  links_per_chip:",
                    "  dim_link_GBps: {value: \"128, 64\", source: x}\n  links_per_chip:");
  write_file(f, "ok.yaml", text);
  free(text);
  assert_int_equal(hw_system_load(f->path, &f->sys, &f->err), TS_OK);
  assert_true(f->sys.up.dim_link_Bps[1] == 64e9);
  system_fails(f, "  link_GBps", "  group_chips: {value: 5, source: x}\n  link_GBps",
               "field 'scaleup.group_chips': only switch2 domains have groups");
  char *sw2 = edit(SYSTEM_OK, "{value: torus,", "{value: switch2,");
  char *bad =
      edit(sw2, "  dims: {value: 4x4, source: \"S3\"}\n", "  group_chips: {value: 5, source: x}\n");
  write_file(f, "bad.yaml", bad);
  assert_int_equal(hw_system_load(f->path, &f->sys, &f->err), TS_EINPUT);
  assert_non_null(strstr(f->err.msg, "field 'scaleup.group_chips': 5 does not divide"));
  free(sw2);
  free(bad);
}

static void test_scaleout_ranges_are_checked(void **state) {
  fixture *f = *state;
  system_fails(f, "oversubscription: {value: 1,", "oversubscription: {value: 0.5,",
               "field 'scaleout.oversubscription': must be >= 1");
  system_fails(f, "{value: 100000,", "{value: 8,",
               "field 'scaleout.max_chips': must be between 16");
  system_fails(f, "{value: false,", "{value: maybe,",
               "field 'scaleout.rail_optimized': expected true or false");
  system_fails(f, "scaleout:\n", "other:\n", "unknown field 'other'");
}

static void test_system_chip_by_name_or_relative_path(void **state) {
  fixture *f = *state;
  system_fails(f, "chip: h100-sxm", "chip: h100",
               "chip 'h100': unknown chip 'h100' (closest: h100-sxm");
  write_file(f, "mychip.yaml", CHIP_OK);
  char *text = edit(SYSTEM_OK, "chip: h100-sxm", "chip: ./mychip.yaml");
  write_file(f, "sys.yaml", text);
  free(text);
  assert_int_equal(hw_system_load(f->path, &f->sys, &f->err), TS_OK);
  assert_string_equal(f->sys.chip.name, "testchip");
  system_fails(f, "chip: h100-sxm", "chip: ./nochip.yaml", "chip './nochip.yaml'");
}

static void test_catalog_name_must_match_the_file(void **state) {
  fixture *f = *state;
  char sub[128];
  snprintf(sub, sizeof sub, "%s/hw", f->dir);
  assert_int_equal(mkdir(sub, 0700), 0);
  snprintf(sub, sizeof sub, "%s/hw/chips", f->dir);
  assert_int_equal(mkdir(sub, 0700), 0);
  write_file(f, "hw/chips/other.yaml", CHIP_OK);
  char *old = getenv("TRAINSIM_DATA_DIR") ? strdup(getenv("TRAINSIM_DATA_DIR")) : NULL;
  setenv("TRAINSIM_DATA_DIR", f->dir, 1);
  assert_string_equal(hw_data_dir(), f->dir);
  ts_status st = hw_chip_load("other", &f->chip, &f->err);
  if (old)
    setenv("TRAINSIM_DATA_DIR", old, 1);
  else
    unsetenv("TRAINSIM_DATA_DIR");
  free(old);
  assert_int_equal(st, TS_EINPUT);
  assert_non_null(strstr(f->err.msg, "'testchip' does not match the catalog name 'other'"));
}

static void test_a_source_longer_than_the_record_is_an_error(void **state) {
  fixture *f = *state;
  char text[400];
  snprintf(text, sizeof text, "{value: 700, source: \"%0300d\"}", 0);
  chip_fails(f, "{value: 700, source: \"S9\"}", text, "field 'power_w': source longer than");
}

/* Runs with TRAINSIM_DATA_DIR set to the fixture folder, then restores it. */
static ts_status with_data_dir(fixture *f, ts_status (*fn)(fixture *)) {
  char *old = getenv("TRAINSIM_DATA_DIR") ? strdup(getenv("TRAINSIM_DATA_DIR")) : NULL;
  setenv("TRAINSIM_DATA_DIR", f->dir, 1);
  ts_status st = fn(f);
  if (old)
    setenv("TRAINSIM_DATA_DIR", old, 1);
  else
    unsetenv("TRAINSIM_DATA_DIR");
  free(old);
  return st;
}

static ts_status list_systems(fixture *f) {
  char(*names)[HW_NAME_MAX];
  size_t n;
  return hw_catalog_names(false, &names, &n, &f->err);
}

static ts_status load_x(fixture *f) {
  return hw_chip_load("x", &f->chip, &f->err);
}

static void test_a_missing_or_empty_catalog_is_reported(void **state) {
  fixture *f = *state;
  assert_int_equal(with_data_dir(f, list_systems), TS_EIO);
  assert_non_null(strstr(f->err.msg, "hw/systems: cannot open the catalog folder"));
  char sub[128];
  snprintf(sub, sizeof sub, "%s/hw", f->dir);
  assert_int_equal(mkdir(sub, 0700), 0);
  snprintf(sub, sizeof sub, "%s/hw/chips", f->dir);
  assert_int_equal(mkdir(sub, 0700), 0);
  assert_int_equal(with_data_dir(f, load_x), TS_ENOTFOUND);
  assert_non_null(strstr(f->err.msg, "unknown chip 'x' (the catalog in"));
}

/* ---- names -------------------------------------------------------------------------------- */

static void test_unknown_names_suggest_the_closest(void **state) {
  fixture *f = *state;
  assert_int_equal(hw_chip_load("h100", &f->chip, &f->err), TS_ENOTFOUND);
  assert_non_null(strstr(f->err.msg, "unknown chip 'h100' (closest: h100-sxm"));
  assert_int_equal(hw_system_load("dgx-h10", &f->sys, &f->err), TS_ENOTFOUND);
  assert_non_null(strstr(f->err.msg, "unknown system 'dgx-h10' (closest: dgx-h100"));
  /* a path is never looked up in the catalog */
  assert_int_equal(hw_system_load("no/such/system.yaml", &f->sys, &f->err), TS_EINPUT);
  assert_non_null(strstr(f->err.msg, "no/such/system.yaml"));
  assert_int_equal(hw_system_load("Bad Name", &f->sys, &f->err), TS_ENOTFOUND);
  char buf[128];
  hw_catalog_closest("trn2-ultrasever", true, false, buf, sizeof buf); /* one deletion */
  assert_true(strncmp(buf, "trn2-ultraserver", 16) == 0);
  hw_catalog_closest("mi300", true, true, buf, sizeof buf);
  assert_non_null(strstr(buf, "mi300x (chip)"));
}

static void test_dtype_names_sizes_and_parse(void **state) {
  (void)state;
  const struct {
    hw_dtype dt;
    const char *name;
    double bytes;
  } want[] = {{HW_FP32, "fp32", 4},
              {HW_FP16, "fp16", 2},
              {HW_BF16, "bf16", 2},
              {HW_FP8, "fp8", 1},
              {HW_FP4, "fp4", 0.5}};
  for (size_t i = 0; i < COUNT(want); i++) {
    assert_string_equal(hw_dtype_name(want[i].dt), want[i].name);
    assert_true(hw_dtype_bytes(want[i].dt) == want[i].bytes);
    hw_dtype dt;
    assert_true(hw_dtype_parse(want[i].name, &dt));
    assert_int_equal(dt, want[i].dt);
  }
  hw_dtype dt;
  assert_false(hw_dtype_parse("int8", &dt));
  assert_false(hw_dtype_parse(NULL, &dt));
  assert_string_equal(hw_dtype_name(HW_DTYPE_COUNT), "?");
  assert_string_equal(hw_topo_kind_name(HW_TOPO_SWITCH2), "switch2");
  assert_string_equal(hw_topo_kind_name(HW_TOPO_TORUS), "torus");
  assert_string_equal(hw_topo_kind_name(HW_TOPO_KIND_COUNT), "?");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_catalog_holds_every_chip_of_the_issue),
      cmocka_unit_test(test_catalog_holds_every_system_of_the_issue),
      cmocka_unit_test_setup_teardown(test_every_shipped_chip_loads_and_every_figure_has_a_source,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_every_shipped_system_loads_and_every_figure_has_a_source,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_h100_figures_match_hardware_md, setup, teardown),
      cmocka_unit_test_setup_teardown(test_trainium_hbm_in_gib_and_ranks_per_neuroncore, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_projected_chips_say_what_they_were_projected_from, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_dgx_h100_links_and_nic_per_direction, setup, teardown),
      cmocka_unit_test_setup_teardown(test_dgx_a100_uses_the_80g_part, setup, teardown),
      cmocka_unit_test_setup_teardown(test_trn2_ultraserver_is_4x4x4_with_a_slower_z_ring, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_switch2_and_mesh_systems, setup, teardown),
      cmocka_unit_test_setup_teardown(test_valid_fixture_loads_by_path, setup, teardown),
      cmocka_unit_test_setup_teardown(test_missing_field_is_named, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unknown_and_duplicate_fields_are_named_with_their_line,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_a_figure_without_a_source_is_an_error_naming_it, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_negative_nan_and_out_of_range_values_are_named, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_names_and_value_shapes_are_checked, setup, teardown),
      cmocka_unit_test_setup_teardown(test_hbm_takes_gb_or_gib_not_both, setup, teardown),
      cmocka_unit_test_setup_teardown(test_projected_needs_projected_from, setup, teardown),
      cmocka_unit_test_setup_teardown(test_malformed_yaml_names_file_and_line, setup, teardown),
      cmocka_unit_test_setup_teardown(test_system_bandwidth_must_be_positive, setup, teardown),
      cmocka_unit_test_setup_teardown(test_torus_dims_must_multiply_to_the_domain, setup, teardown),
      cmocka_unit_test_setup_teardown(test_per_dimension_links_and_switch2_groups_are_checked,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_scaleout_ranges_are_checked, setup, teardown),
      cmocka_unit_test_setup_teardown(test_system_chip_by_name_or_relative_path, setup, teardown),
      cmocka_unit_test_setup_teardown(test_catalog_name_must_match_the_file, setup, teardown),
      cmocka_unit_test_setup_teardown(test_a_source_longer_than_the_record_is_an_error, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_a_missing_or_empty_catalog_is_reported, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unknown_names_suggest_the_closest, setup, teardown),
      cmocka_unit_test(test_dtype_names_sizes_and_parse),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
