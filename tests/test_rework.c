/* Migration rework (sim/study/rework*.c): with the shipped hw/stacks.yaml and catalog systems, a
 * move between two generations of one vendor lists fewer items than a move between vendors and
 * the items are the ones the rules call for; a plan that fits A but not B is a re-partitioning
 * item, not a failure; the plan diff; editing one cost in a copy of the file changes the total by
 * the hand-computed amount; the cost arithmetic by hand; and every error path of the file. */
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

#include "hw/base/ts_io.h"
#include "sim/study/study.h"

typedef struct fixture {
  char dir[64];
  char path[256];
  char *shipped;       /* text of the shipped hw/stacks.yaml */
  rework_model *model; /* the shipped model */
  hw_system *h100, *gb300, *trn2;
  plan plan_a;
  uint32_t kinds; /* a dense model's trace: no all_to_all */
  ts_err err;
} fixture;

static hw_system *load_system(const char *name) {
  hw_system *s = malloc(sizeof *s);
  assert_non_null(s);
  ts_err err = {0};
  if (hw_system_load(name, s, &err)) fail_msg("%s", err.msg);
  return s;
}

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  if (!f) return -1;
  snprintf(f->dir, sizeof f->dir, "/tmp/test_reworkXXXXXX");
  if (!mkdtemp(f->dir)) return -1;
  snprintf(f->path, sizeof f->path, "%s/stacks.yaml", f->dir);
  char shipped[1024];
  snprintf(shipped, sizeof shipped, "%s/hw/stacks.yaml", hw_data_dir());
  size_t len;
  if (ts_read_file(shipped, 1 << 20, &f->shipped, &len, &f->err)) return -1;
  if (rework_model_load(NULL, &f->model, &f->err)) return -1;
  f->h100 = load_system("dgx-h100");
  f->gb300 = load_system("gb300-nvl72");
  f->trn2 = load_system("trn2-ultraserver");
  plan_init(&f->plan_a);
  f->plan_a.tp = 8, f->plan_a.pp = 4, f->plan_a.dp = 32, f->plan_a.gbs = 1024;
  f->kinds = 0;
  for (int k = 0; k < TRACE_OP_KIND_COUNT; k++)
    if (k != TRACE_OP_ALL_TO_ALL) f->kinds |= 1u << k;
  *state = f;
  return 0;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb, (void)flag, (void)ftw;
  return remove(path);
}

static int teardown(void **state) {
  fixture *f = *state;
  rework_model_free(f->model);
  free(f->shipped);
  free(f->h100), free(f->gb300), free(f->trn2);
  int rc = nftw(f->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
  free(f);
  return rc;
}

static rework_input input(fixture *f, const hw_system *b, const plan *plan_b, bool fits_b) {
  return (rework_input){.a = f->h100,
                        .b = b,
                        .plan_a = &f->plan_a,
                        .plan_b = plan_b,
                        .fits_b = fits_b,
                        .op_kinds = f->kinds,
                        .chips_b = 1024};
}

static int count_kind(const rework_result *r, rework_kind k) {
  int n = 0;
  for (int i = 0; i < r->n_items; i++) n += r->items[i].kind == k;
  return n;
}

static void compute_ok(fixture *f, const rework_model *m, const rework_input *in,
                       rework_result *r) {
  ts_status st = rework_compute(m, in, r, &f->err);
  if (st) fail_msg("%s", f->err.msg);
}

static void test_same_vendor_move_lists_fewer_items_than_cross_vendor(void **state) {
  fixture *f = *state;
  rework_result same, cross;
  rework_input in = input(f, f->gb300, &f->plan_a, true);
  compute_ok(f, f->model, &in, &same);
  in = input(f, f->trn2, &f->plan_a, true);
  compute_ok(f, f->model, &in, &cross);
  assert_true(same.n_items < cross.n_items);
  assert_true(same.engineer_weeks < cross.engineer_weeks);
  /* H100 -> GB300 (nccl both): attention (cuda) and elementwise (triton) re-tuned for the new
   * family, no port; NVSwitch 8 -> 72 re-tunes collectives; no placement (switch both); HBM
   * 80 -> 288 GiB re-partitions memory. */
  assert_int_equal(count_kind(&same, REWORK_KERNEL_PORT), 0);
  assert_int_equal(count_kind(&same, REWORK_KERNEL_RETUNE), 2);
  assert_int_equal(count_kind(&same, REWORK_COLLECTIVE_TUNING), 1);
  assert_int_equal(count_kind(&same, REWORK_PLACEMENT), 0);
  assert_int_equal(count_kind(&same, REWORK_DTYPE), 0);
  assert_int_equal(count_kind(&same, REWORK_MEMORY), 1);
  assert_int_equal(count_kind(&same, REWORK_PARALLELISM), 0);
  /* H100 -> Trn2 (nccl -> neuron): attention is NKI on Neuron: ported; elementwise is compiled
   * there: nothing to port; switch -> torus: placement and collectives; bf16 recipe differs. */
  assert_int_equal(count_kind(&cross, REWORK_KERNEL_PORT), 1);
  assert_int_equal(cross.items[0].op_kind, TRACE_OP_ATTENTION);
  assert_int_equal(count_kind(&cross, REWORK_KERNEL_RETUNE), 0);
  assert_int_equal(count_kind(&cross, REWORK_COLLECTIVE_TUNING), 1);
  assert_int_equal(count_kind(&cross, REWORK_PLACEMENT), 1);
  assert_int_equal(count_kind(&cross, REWORK_DTYPE), 1);
  assert_string_equal(cross.stack_a->name, "nccl");
  assert_string_equal(cross.stack_b->name, "neuron");
}

static void test_plan_that_does_not_fit_b_is_a_repartition_item(void **state) {
  fixture *f = *state;
  /* Same system both sides isolates the memory item: only it appears. */
  rework_input in = input(f, f->h100, &f->plan_a, false);
  rework_result r;
  compute_ok(f, f->model, &in, &r);
  assert_int_equal(r.n_items, 1);
  assert_int_equal(r.items[0].kind, REWORK_MEMORY);
  assert_non_null(strstr(r.items[0].detail, "does not fit"));
  in.fits_b = true;
  compute_ok(f, f->model, &in, &r);
  assert_int_equal(r.n_items, 0);
  assert_true(r.engineer_weeks == 0 && r.calendar_weeks == 0);
}

static void test_plan_diff_and_dtype_change_from_best_plan_on_b(void **state) {
  fixture *f = *state;
  plan b = f->plan_a;
  b.tp = 4, b.dp = 64, b.dtype = HW_FP8;
  assert_int_equal(rework_plan_diff(&f->plan_a, &b), PLAN_SET_TP | PLAN_SET_DP | PLAN_SET_DTYPE);
  assert_int_equal(rework_plan_diff(&f->plan_a, &f->plan_a), 0);
  rework_input in = input(f, f->h100, &b, true);
  rework_result r;
  compute_ok(f, f->model, &in, &r);
  assert_int_equal(r.n_items, 2);
  assert_int_equal(count_kind(&r, REWORK_PARALLELISM), 1);
  assert_int_equal(count_kind(&r, REWORK_DTYPE), 1);
  assert_non_null(strstr(r.items[1].detail, "tp, dp, dtype"));
  /* fp8 on A100 (no fp8 tensor cores) is a dtype item even with no plan on B. */
  hw_system *a100 = load_system("dgx-a100");
  plan fp8 = f->plan_a;
  fp8.dtype = HW_FP8;
  in = input(f, a100, NULL, true);
  in.plan_a = &fp8;
  compute_ok(f, f->model, &in, &r);
  assert_int_equal(count_kind(&r, REWORK_DTYPE), 1);
  assert_int_equal(r.items[r.n_items - 1].kind, REWORK_DTYPE);
  assert_non_null(strstr(r.items[r.n_items - 1].detail, "fp8 is not supported on dgx-a100 (chip)"));
  free(a100);
}

static void test_cost_arithmetic_by_hand(void **state) {
  fixture *f = *state;
  rework_input in = input(f, f->trn2, &f->plan_a, false);
  rework_result r;
  compute_ok(f, f->model, &in, &r);
  /* Shipped costs: port 8 + collective 4 + placement 4 + dtype 6 + memory 2 = 24 weeks; team of
   * 4 -> 6 calendar weeks (largest item 8 -> 8); 24 x 8000 USD; validation 5 runs x 24 h x 1024
   * chips = 122,880 chip-hours at Trn2's price. */
  assert_int_equal(r.n_items, 5);
  assert_true(fabs(r.engineer_weeks - 24) < 1e-12);
  assert_true(fabs(r.calendar_weeks - 8) < 1e-12);
  assert_true(fabs(r.engineer_usd - 24 * 8000) < 1e-9);
  assert_true(fabs(r.validation_chip_hours - 122880) < 1e-9);
  assert_true(fabs(r.validation_usd - 122880 * f->trn2->chip.price_usd_per_chip_h) < 1e-6);
  assert_true(fabs(r.total_usd - r.engineer_usd - r.validation_usd) < 1e-6);
}

static char *edit(const char *text, const char *old, const char *new) {
  const char *at = strstr(text, old);
  assert_non_null(at);
  size_t n = strlen(text) - strlen(old) + strlen(new) + 1;
  char *out = malloc(n);
  assert_non_null(out);
  snprintf(out, n, "%.*s%s%s", (int)(at - text), text, new, at + strlen(old));
  return out;
}

static void write_file(const char *path, const char *text) {
  FILE *fp = fopen(path, "w");
  assert_non_null(fp);
  fputs(text, fp);
  fclose(fp);
}

static void test_editing_a_cost_changes_total_by_hand_computed_amount(void **state) {
  fixture *f = *state;
  rework_input in = input(f, f->gb300, &f->plan_a, true);
  rework_result before, after;
  compute_ok(f, f->model, &in, &before);
  /* kernel_retune 3 -> 5 weeks: two retune items (attention, elementwise): +4 engineer-weeks,
   * +4 x 8000 USD. */
  char *text = edit(f->shipped, "kernel_retune: {weeks: 3,", "kernel_retune: {weeks: 5,");
  write_file(f->path, text);
  free(text);
  rework_model *m = NULL;
  if (rework_model_load(f->path, &m, &f->err)) fail_msg("%s", f->err.msg);
  compute_ok(f, m, &in, &after);
  assert_true(fabs(after.engineer_weeks - before.engineer_weeks - 4) < 1e-12);
  assert_true(fabs(after.total_usd - before.total_usd - 4 * 8000) < 1e-6);
  rework_model_free(m);
}

/* Writes an edited copy of the shipped file and expects loading to fail naming where and what. */
static void expect_bad(fixture *f, const char *old, const char *new, const char *where,
                       const char *what) {
  char *text = edit(f->shipped, old, new);
  write_file(f->path, text);
  free(text);
  rework_model *m = NULL;
  assert_int_not_equal(rework_model_load(f->path, &m, &f->err), TS_OK);
  assert_null(m);
  if (!strstr(f->err.msg, where) || !strstr(f->err.msg, what))
    fail_msg("message '%s' lacks '%s' or '%s'", f->err.msg, where, what);
}

/* 1-based line of the first occurrence of needle in the shipped file. */
static int line_of(const char *text, const char *needle) {
  const char *at = strstr(text, needle);
  assert_non_null(at);
  int line = 1;
  for (const char *p = text; p < at; p++) line += *p == '\n';
  return line;
}

static void test_bad_stacks_files_name_file_and_line(void **state) {
  fixture *f = *state;
  char where[300];
  snprintf(where, sizeof where, "stacks.yaml:%d:",
           line_of(f->shipped, "      attention: {impl: custom_kernel, lang: cuda"));
  expect_bad(f, "attention: {impl: custom_kernel, lang: cuda",
             "attention: {impl: handwritten, lang: cuda", where, "'handwritten'");
  expect_bad(f, "      attention: {impl: custom_kernel, lang: cuda",
             "      attnetion: {impl: custom_kernel, lang: cuda", where,
             "unknown op kind 'attnetion'");
  snprintf(where, sizeof where,
           "stacks.yaml:%d:", line_of(f->shipped, "      gemm: {impl: vendor_library"));
  expect_bad(f,
             "      gemm: {impl: vendor_library, lang: \"\", detail: \"cuBLAS / cuBLASLt through "
             "Transformer Engine\"}\n",
             "", "stacks.yaml:", "op kind 'gemm' missing");
  snprintf(where, sizeof where,
           "stacks.yaml:%d:", line_of(f->shipped, "      fp4: \"Transformer Engine NVFP4"));
  expect_bad(f, "      fp4: \"Transformer Engine NVFP4", "      fp6: \"Transformer Engine NVFP4",
             where, "unknown dtype 'fp6'");
  snprintf(where, sizeof where,
           "stacks.yaml:%d:", line_of(f->shipped, "    kernel_port: {weeks: 8,"));
  expect_bad(f, "kernel_port: {weeks: 8,", "kernel_port: {weeks: -1,", where,
             "'costs.items.kernel_port.weeks': -1");
  expect_bad(f, "kernel_port: {weeks: 8,", "kernel_port: {wekes: 8,", where, "wekes");
  expect_bad(f, "    kernel_port: {weeks: 8,", "    kernel_porting: {weeks: 8,", where,
             "kernel_porting");
  snprintf(where, sizeof where, "stacks.yaml:%d:", line_of(f->shipped, "  team_engineers:"));
  expect_bad(f, "team_engineers: {value: 4,", "team_engineers: {value: 0,", where,
             "'costs.team_engineers': 0");
  expect_bad(f, "  - stack: neuron", "  - stack: nccl",
             "stacks.yaml:", "stack 'nccl' appears twice");
  expect_bad(f, "stacks:", "stackz:", "stacks.yaml:", "stackz");
  rework_model *m = NULL;
  assert_int_not_equal(rework_model_load("/nonexistent/stacks.yaml", &m, &f->err), TS_OK);
  assert_null(m);
}

static void test_system_with_undescribed_stack_is_an_error(void **state) {
  fixture *f = *state;
  hw_system odd = *f->trn2;
  snprintf(odd.stack, sizeof odd.stack, "oneapi");
  rework_input in = input(f, &odd, &f->plan_a, true);
  rework_result r;
  assert_int_equal(rework_compute(f->model, &in, &r, &f->err), TS_EINPUT);
  assert_non_null(
      strstr(f->err.msg, "field 'stack': 'oneapi' is not described (stacks: nccl, neuron, rccl)"));
  in = input(f, f->trn2, &f->plan_a, true);
  in.plan_a = NULL;
  assert_int_equal(rework_compute(f->model, &in, &r, &f->err), TS_EINPUT);
}

static void test_names_of_impls_and_kinds(void **state) {
  (void)state;
  assert_string_equal(rework_impl_name(REWORK_IMPL_CUSTOM_KERNEL), "custom_kernel");
  assert_string_equal(rework_kind_name(REWORK_MEMORY), "memory_repartition");
  assert_string_equal(rework_kind_name(REWORK_KIND_COUNT), "?");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_same_vendor_move_lists_fewer_items_than_cross_vendor,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_plan_that_does_not_fit_b_is_a_repartition_item, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_plan_diff_and_dtype_change_from_best_plan_on_b, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_cost_arithmetic_by_hand, setup, teardown),
      cmocka_unit_test_setup_teardown(test_editing_a_cost_changes_total_by_hand_computed_amount,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_stacks_files_name_file_and_line, setup, teardown),
      cmocka_unit_test_setup_teardown(test_system_with_undescribed_stack_is_an_error, setup,
                                      teardown),
      cmocka_unit_test(test_names_of_impls_and_kinds),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
