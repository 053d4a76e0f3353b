/* Roadmap (sim/study/roadmap*.c): the fit reproduces the generations it was fitted on (two
 * generations: the multiplier is exactly their ratio; constant ratios: projecting one cadence
 * ahead from generation k-1 gives generation k), the newest generation per year, projection past
 * the last generation, cadence and growth overrides, and every error path of the file. A
 * synthetic roadmap with its own chip and system descriptors is written into a temporary folder;
 * the shipped hw/roadmap.yaml is checked against hand-computed figures from its descriptors. */
#define _XOPEN_SOURCE 700 /* nftw, to remove the temporary folder */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/study/study.h"

typedef struct fixture {
  char dir[64];
  char path[256];
  roadmap *rm;
  ts_err err;
} fixture;

static void write_file(const char *path, const char *text) {
  FILE *fp = fopen(path, "w");
  assert_non_null(fp);
  fputs(text, fp);
  fclose(fp);
}

/* Chip and system "gI" of generation i: every fitted figure is 2^i times generation 0's. */
static void write_generation(const char *dir, int i) {
  double x = pow(2, i);
  char path[256], text[4096];
  snprintf(path, sizeof path, "%s/chip%d.yaml", dir, i);
  snprintf(
      text, sizeof text,
      "name: chip%d\nvendor: nvidia\nfamily: f%d\ngeneration: G%d\n"
      "year: {value: %d, source: \"t\"}\n"
      "fp32_tflops: {value: %g, source: \"t\"}\nfp16_tflops: {value: %g, source: \"t\"}\n"
      "bf16_tflops: {value: %g, source: \"t\"}\nfp8_tflops: {value: %g, source: \"t\"}\n"
      "fp4_tflops: {value: 0, source: \"t\"}\nhbm_gib: {value: %g, source: \"t\"}\n"
      "hbm_tbps: {value: %g, source: \"t\"}\nsram_mib: {value: 50, source: \"t\"}\n"
      "compute_units: {value: 100, source: \"t\"}\ntile_mnk: {value: 128x128x64, source: \"t\"}\n"
      "ranks_per_chip: {value: 1, source: \"t\"}\npower_w: {value: %g, source: \"t\"}\n"
      "price_usd_per_chip_h: {value: %g, source: \"t\"}\nprice_date: \"2025-01\"\n"
      "kern:\n  gemm_efficiency: {value: 0.8, source: \"t\"}\n"
      "  attn_efficiency: {value: 0.6, source: \"t\"}\n"
      "  mem_efficiency: {value: 0.9, source: \"t\"}\n  launch_us: {value: 4, source: \"t\"}\n",
      i, i, i, 2020 + 2 * i, 10 * x, 100 * x, 100 * x, 200 * x, 16 * x, 1 * x, 300 * x, 2 * x);
  write_file(path, text);
  snprintf(path, sizeof path, "%s/sys%d.yaml", dir, i);
  snprintf(
      text, sizeof text,
      "name: sys%d\ndescription: \"generation %d\"\nchip: chip%d.yaml\nstack: nccl\n"
      "scaleup:\n  topology: {value: switch, source: \"t\"}\n"
      "  domain_chips: {value: 8, source: \"t\"}\n  link_GBps: {value: %g, source: \"t\"}\n"
      "  links_per_chip: {value: 4, source: \"t\"}\n  chip_GBps: {value: %g, source: \"t\"}\n"
      "  latency_us: {value: 1, source: \"t\"}\n"
      "scaleout:\n  nic_Gbps_per_chip: {value: %g, source: \"t\"}\n"
      "  latency_us: {value: 5, source: \"t\"}\n  rail_optimized: {value: true, source: \"t\"}\n"
      "  oversubscription: {value: 1, source: \"t\"}\n  leaf_chips: {value: 32, source: \"t\"}\n"
      "  max_chips: {value: 100000, source: \"t\"}\n"
      "host_overhead_w_per_chip: {value: 100, source: \"t\"}\n",
      i, i, i, 25 * x, 100 * x, 400 * x);
  write_file(path, text);
}

/* alpha: shipped 2020, 2022, 2024 (ratio 2, cadence 2), announced 2026; beta: one shipped 2021. */
static const char ROADMAP_OK[] =
    "tracks:\n"
    "  - track: alpha\n"
    "    generations:\n"
    "      - {name: g0, system: sys0.yaml, year: 2020, status: shipped, source: \"t\"}\n"
    "      - {name: g1, system: sys1.yaml, year: 2022, status: shipped, source: \"t\"}\n"
    "      - {name: g2, system: sys2.yaml, year: 2024, status: shipped, source: \"t\"}\n"
    "      - {name: g3, system: sys3.yaml, year: 2026, status: announced, source: \"t\"}\n"
    "  - track: beta\n"
    "    generations:\n"
    "      - {name: b0, system: sys0.yaml, year: 2021, status: shipped, source: \"t\"}\n";

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  if (!f) return -1;
  snprintf(f->dir, sizeof f->dir, "/tmp/test_roadmapXXXXXX");
  if (!mkdtemp(f->dir)) return -1;
  for (int i = 0; i < 4; i++) write_generation(f->dir, i);
  snprintf(f->path, sizeof f->path, "%s/roadmap.yaml", f->dir);
  write_file(f->path, ROADMAP_OK);
  *state = f;
  return 0;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb, (void)flag, (void)ftw;
  return remove(path);
}

static int teardown(void **state) {
  fixture *f = *state;
  roadmap_free(f->rm);
  int rc = nftw(f->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
  free(f);
  return rc;
}

static void load_ok(fixture *f) {
  ts_status st = roadmap_load(f->path, &f->rm, &f->err);
  if (st) fail_msg("%s", f->err.msg);
}

static bool close_rel(double a, double b) {
  return fabs(a - b) <= 1e-12 * fmax(fabs(a), fabs(b));
}

static void test_two_generations_fit_is_exactly_their_ratio(void **state) {
  (void)state;
  hw_system a, b;
  memset(&a, 0, sizeof a);
  memset(&b, 0, sizeof b);
  a.chip.peak_flops[HW_BF16] = 312e12, b.chip.peak_flops[HW_BF16] = 989e12;
  a.chip.peak_flops[HW_FP8] = 0, b.chip.peak_flops[HW_FP8] = 1979e12; /* A100 has no fp8 */
  a.chip.hbm_Bps = 2.039e12, b.chip.hbm_Bps = 3.35e12;
  a.chip.price_usd_per_chip_h = 4, b.chip.price_usd_per_chip_h = 6.875;
  const hw_system *sys[] = {&a, &b};
  int years[] = {2020, 2022};
  roadmap_fit fit;
  ts_err err = {0};
  assert_int_equal(roadmap_fit_systems(sys, years, 2, &fit, &err), TS_OK);
  assert_true(fit.cadence_years == 2);
  assert_true(close_rel(fit.growth[ROADMAP_G_BF16], 989.0 / 312.0));
  assert_true(close_rel(fit.growth[ROADMAP_G_HBM_BPS], 3.35 / 2.039));
  assert_true(close_rel(fit.growth[ROADMAP_G_PRICE], 6.875 / 4));
  /* No pair with both fp8 figures: multiplier 1, zero pairs. */
  assert_true(fit.growth[ROADMAP_G_FP8] == 1 && fit.growth_pairs[ROADMAP_G_FP8] == 0);
}

static void test_fit_is_geometric_mean_of_successive_ratios(void **state) {
  (void)state;
  hw_system s[3];
  memset(s, 0, sizeof s);
  double bf16[] = {100, 200, 800}; /* ratios 2 and 4: geometric mean sqrt(8) */
  for (int i = 0; i < 3; i++) s[i].chip.peak_flops[HW_BF16] = bf16[i];
  const hw_system *sys[] = {&s[0], &s[1], &s[2]};
  int years[] = {2020, 2021, 2024};
  roadmap_fit fit;
  ts_err err = {0};
  assert_int_equal(roadmap_fit_systems(sys, years, 3, &fit, &err), TS_OK);
  assert_true(fit.cadence_years == 2);
  assert_true(close_rel(fit.growth[ROADMAP_G_BF16], sqrt(8)));
  years[2] = 2019;
  assert_int_equal(roadmap_fit_systems(sys, years, 3, &fit, &err), TS_EINPUT);
}

static void test_constant_ratio_fit_projects_generation_k_from_k_minus_1(void **state) {
  fixture *f = *state;
  load_ok(f);
  const roadmap_track *t = &f->rm->tracks[0];
  assert_string_equal(t->name, "alpha");
  assert_int_equal(t->fit.n_fitted, 3);
  assert_true(t->fit.cadence_years == 2);
  for (int g = 0; g < ROADMAP_G_COUNT; g++) assert_true(close_rel(t->fit.growth[g], 2));
  for (int k = 1; k < 3; k++) {
    const hw_system *prev = t->gens[k - 1].sys, *want = t->gens[k].sys;
    hw_system got;
    roadmap_project_system(prev, &t->fit, 1, "alpha", t->gens[k - 1].year + 2, &got);
    assert_int_equal(got.chip.year, want->chip.year);
    for (int d = 0; d < HW_DTYPE_COUNT; d++)
      assert_true(close_rel(got.chip.peak_flops[d], want->chip.peak_flops[d]));
    assert_true(close_rel(got.chip.hbm_Bps, want->chip.hbm_Bps));
    assert_true(close_rel(got.chip.hbm_bytes, want->chip.hbm_bytes));
    assert_true(close_rel(got.up.link_Bps, want->up.link_Bps));
    assert_true(close_rel(got.up.chip_Bps, want->up.chip_Bps));
    assert_true(close_rel(got.out.nic_Bps_per_chip, want->out.nic_Bps_per_chip));
    assert_true(close_rel(got.chip.power_w, want->chip.power_w));
    assert_true(close_rel(got.chip.price_usd_per_chip_h, want->chip.price_usd_per_chip_h));
    assert_true(got.chip.projected);
  }
}

static void test_newest_generation_per_track_in_a_year(void **state) {
  fixture *f = *state;
  load_ok(f);
  roadmap_pick picks[ROADMAP_MAX_TRACKS];
  int n;
  assert_int_equal(roadmap_available(f->rm, 2019, picks, &n, &f->err), TS_OK);
  assert_int_equal(n, 0);
  assert_int_equal(roadmap_available(f->rm, 2020, picks, &n, &f->err), TS_OK);
  assert_int_equal(n, 1);
  assert_int_equal(picks[0].gen, 0);
  assert_int_equal(roadmap_available(f->rm, 2021, picks, &n, &f->err), TS_OK);
  assert_int_equal(n, 2);
  assert_int_equal(picks[0].gen, 0);
  assert_int_equal(picks[1].track, 1);
  assert_int_equal(roadmap_available(f->rm, 2025, picks, &n, &f->err), TS_EINPUT);
  assert_non_null(strstr(f->err.msg, "roadmap.yaml:8:")); /* beta: one shipped, no cadence */
  assert_non_null(strstr(f->err.msg, "cadence"));
  assert_int_equal(roadmap_set_cadence(f->rm, "beta=1", &f->err), TS_OK);
  assert_int_equal(roadmap_available(f->rm, 2025, picks, &n, &f->err), TS_OK);
  assert_int_equal(n, 2);
  assert_int_equal(picks[0].gen, 2); /* alpha: g2 (2024); g3 comes in 2026 */
  assert_false(picks[0].projected);
  assert_int_equal(picks[1].generations_ahead, 4); /* beta: 2021 + 4 x 1 */
  assert_int_equal(picks[1].year, 2025);
  assert_true(picks[1].projected);
}

static void test_projection_past_last_generation_is_marked(void **state) {
  fixture *f = *state;
  load_ok(f);
  hw_system s;
  roadmap_pick p;
  /* alpha's last listed is g3 (2026); 2027 is still g3, 2028 one generation ahead. */
  assert_int_equal(roadmap_system_for_year(f->rm, 0, 2027, &s, &p, &f->err), TS_OK);
  assert_int_equal(p.gen, 3);
  assert_string_equal(s.name, "sys3");
  assert_int_equal(roadmap_system_for_year(f->rm, 0, 2029, &s, &p, &f->err), TS_OK);
  assert_int_equal(p.gen, -1);
  assert_int_equal(p.generations_ahead, 1);
  assert_int_equal(p.year, 2028);
  assert_true(s.chip.projected);
  assert_string_equal(s.name, "alpha-proj-2028");
  assert_int_equal(s.chip.year, 2028);
  assert_true(close_rel(s.chip.peak_flops[HW_BF16], 100e12 * 16)); /* g3 = 2^3 x 100 TF, x 2 */
  assert_non_null(strstr(s.chip.projected_from, "sys3 (2026) x 1 generation of alpha growth"));
  assert_non_null(strstr(hw_chip_source(&s.chip, "bf16_tflops"), "projected"));
  assert_int_equal(roadmap_system_for_year(f->rm, 1, 2020, &s, &p, &f->err), TS_ENOTFOUND);
  assert_int_equal(roadmap_system_for_year(f->rm, 5, 2020, &s, &p, &f->err), TS_EINPUT);
}

static void test_cadence_override_moves_projected_years(void **state) {
  fixture *f = *state;
  load_ok(f);
  assert_int_equal(roadmap_set_cadence(f->rm, "alpha=1,beta=3", &f->err), TS_OK);
  assert_true(f->rm->tracks[0].fit.cadence_overridden);
  hw_system s;
  roadmap_pick p;
  assert_int_equal(roadmap_system_for_year(f->rm, 0, 2028, &s, &p, &f->err), TS_OK);
  assert_int_equal(p.generations_ahead, 2);
  assert_int_equal(p.year, 2028);
  assert_true(close_rel(s.chip.peak_flops[HW_BF16], 100e12 * 8 * 4));
  /* A refit keeps the override. */
  assert_int_equal(roadmap_fit_track(&f->rm->tracks[0], &f->err), TS_OK);
  assert_true(f->rm->tracks[0].fit.cadence_years == 1);
  /* Fractional cadence: 2026 + 1.5 = 2027.5 -> available in 2027. */
  assert_int_equal(roadmap_set_cadence(f->rm, "alpha=1.5", &f->err), TS_OK);
  assert_int_equal(roadmap_system_for_year(f->rm, 0, 2027, &s, &p, &f->err), TS_OK);
  assert_int_equal(p.generations_ahead, 1);
  assert_int_equal(p.year, 2027);
}

static void test_growth_override_per_track_and_for_all(void **state) {
  fixture *f = *state;
  load_ok(f);
  assert_int_equal(roadmap_set_growth(f->rm, "alpha.bf16=3,price=1.5", &f->err), TS_OK);
  assert_true(f->rm->tracks[0].fit.growth[ROADMAP_G_BF16] == 3);
  assert_true(f->rm->tracks[1].fit.growth[ROADMAP_G_BF16] == 1); /* beta: no pair, untouched */
  assert_true(f->rm->tracks[0].fit.growth[ROADMAP_G_PRICE] == 1.5);
  assert_true(f->rm->tracks[1].fit.growth[ROADMAP_G_PRICE] == 1.5);
  assert_true(f->rm->tracks[0].fit.growth_overridden & (1u << ROADMAP_G_BF16));
  hw_system s;
  assert_int_equal(roadmap_system_for_year(f->rm, 0, 2028, &s, NULL, &f->err), TS_OK);
  assert_true(close_rel(s.chip.peak_flops[HW_BF16], 800e12 * 3));
  assert_true(close_rel(s.chip.price_usd_per_chip_h, 16 * 1.5));
}

static void test_bad_override_specs_are_usage_errors(void **state) {
  fixture *f = *state;
  load_ok(f);
  const char *cadence[] = {"", "gamma=1", "alpha=0", "alpha", "alpha=x", "alpha=50"};
  for (size_t i = 0; i < sizeof cadence / sizeof cadence[0]; i++)
    assert_int_equal(roadmap_set_cadence(f->rm, cadence[i], &f->err), TS_EUSAGE);
  assert_non_null(strstr(f->err.msg, "'alpha' has value '50'"));
  assert_int_equal(roadmap_set_growth(f->rm, "alpha.flops=2", &f->err), TS_EUSAGE);
  assert_non_null(strstr(f->err.msg, "'flops'"));
  assert_int_equal(roadmap_set_growth(f->rm, "gamma.bf16=2", &f->err), TS_EUSAGE);
  assert_non_null(strstr(f->err.msg, "unknown track 'gamma' (tracks: alpha, beta)"));
  assert_int_equal(roadmap_set_growth(f->rm, "bf16=-1", &f->err), TS_EUSAGE);
}

/* Writes text as the roadmap and expects loading to fail naming where and what. */
static void expect_bad(fixture *f, const char *text, const char *where, const char *what) {
  write_file(f->path, text);
  roadmap *rm = NULL;
  ts_status st = roadmap_load(f->path, &rm, &f->err);
  assert_int_not_equal(st, TS_OK);
  assert_null(rm);
  if (!strstr(f->err.msg, where) || !strstr(f->err.msg, what))
    fail_msg("message '%s' lacks '%s' or '%s'", f->err.msg, where, what);
}

#define GEN(name, sys, year, status) \
  "      - {name: " name ", system: " sys ", year: " year ", status: " status ", source: \"t\"}\n"
#define TRACK(name) "  - track: " name "\n    generations:\n"

static void test_bad_roadmap_files_name_file_and_line(void **state) {
  fixture *f = *state;
  expect_bad(f, "tracks: []\n", "roadmap.yaml:1:", "non-empty list");
  expect_bad(f, "trucks: []\n", "roadmap.yaml:1", "trucks");
  expect_bad(f, "tracks: [\n", "roadmap.yaml:", "");
  expect_bad(f,
             "tracks:\n" TRACK("a") GEN("g0", "sys0.yaml", "2022", "shipped")
                 GEN("g1", "sys1.yaml", "2020", "shipped"),
             "roadmap.yaml:5:", "before the previous generation's 2022");
  expect_bad(f,
             "tracks:\n" TRACK("a") GEN("g0", "sys0.yaml", "2020", "announced")
                 GEN("g1", "sys1.yaml", "2022", "shipped"),
             "roadmap.yaml:5:", "shipped but follows announced");
  expect_bad(f, "tracks:\n" TRACK("a") GEN("g0", "sys0.yaml", "2020", "rumoured"),
             "roadmap.yaml:4:", "'rumoured' (expected shipped or announced)");
  expect_bad(f, "tracks:\n" TRACK("a") GEN("g0", "sys0.yaml", "1800", "shipped"),
             "roadmap.yaml:4:", "field 'year': 1800");
  expect_bad(f, "tracks:\n" TRACK("a") GEN("g0", "nosuch.yaml", "2020", "shipped"),
             "roadmap.yaml:4: field 'system' 'nosuch.yaml'", "");
  expect_bad(f, "tracks:\n" TRACK("a") GEN("g0", "no-such-system", "2020", "shipped"),
             "roadmap.yaml:4: field 'system' 'no-such-system'", "");
  expect_bad(f,
             "tracks:\n" TRACK("a") GEN("g0", "sys0.yaml", "2020", "shipped") TRACK("a")
                 GEN("g0", "sys0.yaml", "2020", "shipped"),
             "roadmap.yaml:5:", "track 'a' appears twice");
  expect_bad(f, "tracks:\n  - track: a\n    generations: []\n",
             "roadmap.yaml:3:", "'generations': expected a non-empty list");
  expect_bad(f,
             "tracks:\n  - track: a\n    generations:\n      - {name: g0, system: sys0.yaml, "
             "year: 2020, status: shipped}\n",
             "roadmap.yaml:4:", "source");
  expect_bad(f,
             "tracks:\n  - track: a\n    generations:\n      - {name: g0, system: sys0.yaml, "
             "year: 2020, status: shipped, source: t, colour: red}\n",
             "roadmap.yaml:4:", "colour");
  roadmap *rm = NULL;
  assert_int_not_equal(roadmap_load("/nonexistent/roadmap.yaml", &rm, &f->err), TS_OK);
  assert_null(rm);
  assert_non_null(strstr(f->err.msg, "/nonexistent/roadmap.yaml"));
}

static void test_shipped_roadmap_fits_its_descriptors(void **state) {
  (void)state;
  roadmap *rm = NULL;
  ts_err err = {0};
  ts_status st = roadmap_load(NULL, &rm, &err);
  if (st) fail_msg("%s", err.msg);
  int nv = roadmap_track_index(rm, "nvidia"), trn = roadmap_track_index(rm, "trainium"),
      amd = roadmap_track_index(rm, "amd");
  assert_true(nv >= 0 && trn >= 0 && amd >= 0);
  /* trainium: shipped 2022, 2024, 2025 -> cadence 1.5; bf16 190 -> 667 -> 671 TF:
   * geometric mean of the two ratios = sqrt(671/190). */
  assert_true(close_rel(rm->tracks[trn].fit.cadence_years, 1.5));
  assert_true(close_rel(rm->tracks[trn].fit.growth[ROADMAP_G_BF16], sqrt(671.0 / 190.0)));
  /* amd: two shipped generations: exactly the MI355X / MI300X ratios (2,500 / 1,307 TF). */
  assert_true(close_rel(rm->tracks[amd].fit.cadence_years, 2));
  assert_true(close_rel(rm->tracks[amd].fit.growth[ROADMAP_G_BF16], 2500.0 / 1307.0));
  hw_system s;
  roadmap_pick p;
  assert_int_equal(roadmap_system_for_year(rm, nv, 2026, &s, &p, &err), TS_OK);
  assert_string_equal(s.name, "vr200-nvl144");
  assert_int_equal(roadmap_system_for_year(rm, trn, 2026, &s, &p, &err), TS_OK);
  assert_string_equal(s.name, "trn3-ultraserver");
  assert_int_equal(roadmap_system_for_year(rm, trn, 2027, &s, &p, &err), TS_OK);
  assert_string_equal(s.name, "trn4");
  assert_true(p.projected); /* trn4's descriptor is a projection */
  assert_int_equal(roadmap_system_for_year(rm, nv, 2036, &s, &p, &err), TS_OK);
  assert_true(s.chip.projected && p.gen == -1 && p.year <= 2036);
  roadmap_pick picks[ROADMAP_MAX_TRACKS];
  int n;
  assert_int_equal(roadmap_available(rm, 2036, picks, &n, &err), TS_OK);
  assert_int_equal(n, 3);
  roadmap_free(rm);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_two_generations_fit_is_exactly_their_ratio),
      cmocka_unit_test(test_fit_is_geometric_mean_of_successive_ratios),
      cmocka_unit_test_setup_teardown(test_constant_ratio_fit_projects_generation_k_from_k_minus_1,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_newest_generation_per_track_in_a_year, setup, teardown),
      cmocka_unit_test_setup_teardown(test_projection_past_last_generation_is_marked, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_cadence_override_moves_projected_years, setup, teardown),
      cmocka_unit_test_setup_teardown(test_growth_override_per_track_and_for_all, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_override_specs_are_usage_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_roadmap_files_name_file_and_line, setup, teardown),
      cmocka_unit_test(test_shipped_roadmap_fits_its_descriptors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
