/* The text form of a trace: binary → text → binary byte-identical (and text → binary → text),
 * strings with escapes and UTF-8, the documented defaults of op fields, comments and CRLF, and
 * each parse error with its exact "name:line: reason" message.
 *
 * `test_trace_text --dump` prints the fixture's text form (tests/data/traces/tiny.txt is it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/base/ts_io.h"
#include "trace_fixture.h"
#include "traces/trace.h"

static char *to_text(const trace *t, size_t *len) {
  char *buf = NULL;
  FILE *fp = open_memstream(&buf, len);
  ts_err err = {0};
  assert_int_equal(trace_write_text(t, fp, &err), TS_OK);
  fclose(fp);
  return buf;
}

static void binary_text_binary(trace *t) {
  unsigned char *bin1, *bin2;
  size_t len1, len2, tlen;
  ts_err err = {0};
  assert_int_equal(trace_write_mem(t, &bin1, &len1, &err), TS_OK);
  trace *from_bin = NULL, *from_text = NULL;
  assert_int_equal(trace_read_mem("a.tst", bin1, len1, &from_bin, &err), TS_OK);
  char *text = to_text(from_bin, &tlen);
  if (trace_read_text("a.txt", text, tlen, &from_text, &err) != TS_OK) fail_msg("%s", err.msg);
  assert_int_equal(trace_write_mem(from_text, &bin2, &len2, &err), TS_OK);
  assert_int_equal(len1, len2);
  assert_memory_equal(bin1, bin2, len1);
  size_t tlen2;
  char *text2 = to_text(from_text, &tlen2);
  assert_int_equal(tlen, tlen2);
  assert_memory_equal(text, text2, tlen);
  free(bin1);
  free(bin2);
  free(text);
  free(text2);
  trace_free(from_bin);
  trace_free(from_text);
}

static void test_binary_to_text_to_binary_is_byte_identical(void **state) {
  (void)state;
  trace *t = fix_trace();
  binary_text_binary(t);
  trace_free(t);
}

static void test_odd_strings_and_values_survive_the_round_trip(void **state) {
  (void)state;
  trace *t = fix_trace();
  snprintf(t->model.name, sizeof t->model.name, "a\\b \"q\" \t tab\x01 \xc3\xa9t\xc3\xa9");
  snprintf(t->model.source, sizeof t->model.source, "%s", "");
  snprintf(t->classes[1].name, sizeof t->classes[1].name, "stage 1 \"last\"");
  t->plan.n_stage_layers = 0;
  t->plan.set = 0xdeadbeef;
  t->classes[0].ops[1].flops = 5e-324;      /* smallest subnormal */
  t->classes[0].ops[1].bytes = -0.0;
  t->classes[0].ops[2].flags = TRACE_FLAG_CAUSAL | TRACE_FLAG_EXPERT;
  t->classes[0].ops[1].micro = UINT32_MAX;
  t->classes[0].ops[1].m = INT64_MAX;
  binary_text_binary(t);
  t->has_model = false;
  binary_text_binary(t);
  trace_free(t);
}

static void test_text_lists_every_op_in_a_readable_line(void **state) {
  (void)state;
  trace *t = fix_trace();
  size_t len;
  char *text = to_text(t, &len);
  assert_non_null(strstr(text, "trainsim-trace 1\nmodel has=1 name=\"tiny \\\"fixture\\\"\" "));
  assert_non_null(strstr(text, " stage_layers=1/1\n"));
  assert_non_null(strstr(text, "\ncomm 2 pp size=2 stride=4\n"));
  assert_non_null(strstr(text, "\nclass 1 \"stage1\" stage=1 first_rank=4 ranks=4\n"));
  assert_non_null(strstr(text, "\nop 2 attention bf16 fwd compute layer=0 micro=0 flags=causal "
                               "m=8 n=4096 k=64 count=1 flops=1000000000.1 bytes=25165824 deps=1\n"));
  assert_non_null(strstr(text, "\nop 6 gemm bf16 bwd compute layer=0 micro=0 m=4096 n=3072 "
                               "k=1024 count=2 flops=51539607552 bytes=39845888 deps=1,5\n"));
  assert_non_null(strstr(text, "\nop 4 send bf16 fwd pp_send micro=0 comm=pp peer=1 m=0 n=0 k=0 "
                               "count=1 flops=0 bytes=8388608 deps=3\n"));
  free(text);
  trace_free(t);
}

static void test_shipped_text_trace_is_the_fixture(void **state) {
  (void)state;
  char *data;
  size_t len, tlen;
  ts_err err = {0};
  assert_int_equal(ts_read_file(TESTS_DIR "/data/traces/tiny.txt", 1 << 20, &data, &len, &err), TS_OK);
  trace *t = fix_trace();
  char *text = to_text(t, &tlen);
  assert_int_equal(len, tlen);
  assert_memory_equal(data, text, len);
  free(data);
  free(text);
  trace_free(t);
}

static const char HEAD[] =
    "trainsim-trace 1\n"
    "model has=0 name=\"\" source=\"\" layers=0 hidden=0 ffn=0 heads=0 kv_heads=0 head_dim=0 "
    "vocab=0 seq=0 mlp=gelu attn=standard moe_experts=0 moe_topk=0 moe_ffn=0 moe_shared=0 "
    "dense_layers=0 q_lora_rank=0 kv_lora_rank=0 qk_rope_dim=0 qk_nope_dim=0 v_head_dim=0 "
    "tied_embeddings=0\n"
    "plan tp=1 pp=1 dp=1 cp=1 ep=1 vpp=1 mbs=1 gbs=1 recompute=none zero=0 dtype=bf16 "
    "schedule=1f1b sp=0 tp_overlap=0 dp_overlap=0 pp_overlap=0 naive_attention=0 set=0x0 stage_layers=-\n"
    "system name=\"\" chips=2 ranks=2\n";

static trace *read_ok(const char *body) {
  char buf[4096];
  snprintf(buf, sizeof buf, "%s%s", HEAD, body);
  trace *t = NULL;
  ts_err err = {0};
  if (trace_read_text("x.txt", buf, strlen(buf), &t, &err) != TS_OK) fail_msg("%s", err.msg);
  return t;
}

static void test_op_fields_take_their_documented_defaults(void **state) {
  (void)state;
  trace *t = read_ok("# comment\r\n\r\n  class 0 \"all\" stage=-1 first_rank=0 ranks=2\r\n"
                     "op 0 norm fp32 fwd compute\r\n");
  const trace_op *o = &t->classes[0].ops[0];
  assert_int_equal(o->layer, TRACE_NO_LAYER);
  assert_int_equal(o->comm, TRACE_NO_COMM);
  assert_int_equal(o->peer, -1);
  assert_int_equal(o->count, 1);
  assert_int_equal(o->micro, 0);
  assert_int_equal(o->flags, 0);
  assert_true(o->flops == 0 && o->bytes == 0);
  assert_int_equal(o->dep_count, 0);
  trace_free(t);
}

typedef struct text_case {
  const char *body;
  const char *msg;
} text_case;

/* Errors after the four header lines (line 5 is the first body line). */
static const text_case BODY_ERRORS[] = {
    {"op 0 gemm bf16 fwd compute\n", "x.txt:5: op before the first class line"},
    {"class 0 \"a\" stage=0 first_rank=0 ranks=2\nop 1 gemm bf16 fwd compute\n",
     "x.txt:6: op index 1 out of order (expected 0)"},
    {"class 0 \"a\" stage=0 first_rank=0 ranks=2\nop 0 matmul bf16 fwd compute\n",
     "x.txt:6: unknown op kind 'matmul'"},
    {"class 0 \"a\" stage=0 first_rank=0 ranks=2\nop 0 gemm bf17 fwd compute\n",
     "x.txt:6: unknown dtype 'bf17'"},
    {"class 0 \"a\" stage=0 first_rank=0 ranks=2\nop 0 gemm bf16 sideways compute\n",
     "x.txt:6: unknown phase 'sideways'"},
    {"class 0 \"a\" stage=0 first_rank=0 ranks=2\nop 0 gemm bf16 fwd gpu\n",
     "x.txt:6: unknown stream 'gpu'"},
    {"class 0 \"a\" stage=0 first_rank=0 ranks=2\nop 0 gemm bf16 fwd\n",
     "x.txt:6: expected op kind, dtype, phase, stream as field 6"},
    {"class 0 \"a\" stage=0 first_rank=0 ranks=2\nop 0 gemm bf16 fwd compute flops=nan\n",
     "x.txt:6: flops: 'nan' is not a finite number"},
    {"class 0 \"a\" stage=0 first_rank=0 ranks=2\nop 0 gemm bf16 fwd compute flops=1e999\n",
     "x.txt:6: flops: '1e999' is not a finite number"},
    {"class 0 \"a\" stage=0 first_rank=0 ranks=2\nop 0 gemm bf16 fwd compute bytes=-1\n",
     "x.txt:6: class a (0) op 0: bytes -1, expected finite and >= 0"},
    {"class 0 \"a\" stage=0 first_rank=0 ranks=2\nop 0 gemm bf16 fwd compute m=12x\n",
     "x.txt:6: m: '12x' is not an integer"},
    {"class 0 \"a\" stage=0 first_rank=0 ranks=2\nop 0 gemm bf16 fwd compute m=99999999999999999999\n",
     "x.txt:6: m: '99999999999999999999' is not an integer"},
    {"class 0 \"a\" stage=0 first_rank=0 ranks=2\nop 0 gemm bf16 fwd compute layer=70000\n",
     "x.txt:6: layer: 70000 out of range (expected 0..65535)"},
    {"class 0 \"a\" stage=0 first_rank=0 ranks=2\nop 0 gemm bf16 fwd compute deps=0\n",
     "x.txt:6: dep 0 is not an earlier op (this is op 0)"},
    {"class 0 \"a\" stage=0 first_rank=0 ranks=2\nop 0 gemm bf16 fwd compute deps=\n",
     "x.txt:6: deps: '' is not an integer"},
    {"class 0 \"a\" stage=0 first_rank=0 ranks=2\nop 0 gemm bf16 fwd compute m=1 m=2\n",
     "x.txt:6: op: duplicate key 'm'"},
    {"class 0 \"a\" stage=0 first_rank=0 ranks=2\nop 0 gemm bf16 fwd compute speed=3\n",
     "x.txt:6: op: unknown key 'speed'"},
    {"class 0 \"a\" stage=0 first_rank=0 ranks=2\nop 0 gemm bf16 fwd compute flags=fast\n",
     "x.txt:6: flags: unknown flag 'fast' (expected causal, expert)"},
    {"class 0 \"a\" stage=0 first_rank=0 ranks=2\nop 0 all_reduce bf16 fwd tp comm=tp\n",
     "x.txt:6: comm: no communicator named 'tp'"},
    {"class 0 \"a\" stage=0 first_rank=0 ranks=2\nop 0 all_reduce bf16 fwd tp\n",
     "x.txt:6: class a (0) op 0: communicator 255, expected < 0"},
    {"class 0 \"a\" stage=0 first_rank=0 ranks=1\n",
     "x.txt:5: rank classes cover 1 ranks, the trace has 2"},
    {"class 1 \"a\" stage=0 first_rank=0 ranks=2\n", "x.txt:5: class index 1 out of order (expected 0)"},
    {"class 0 a stage=0 first_rank=0 ranks=2\n",
     "x.txt:5: expected 'class INDEX \"NAME\" stage=N first_rank=N ranks=N'"},
    {"class 0 \"a stage=0 first_rank=0 ranks=2\n", "x.txt:5: unterminated string"},
    {"class 0 \"a\"x stage=0 first_rank=0 ranks=2\n", "x.txt:5: text after a closing quote"},
    {"class 0 \"a\\q\" stage=0 first_rank=0 ranks=2\n",
     "x.txt:5: class name: bad escape (expected \\\", \\\\ or \\xNN)"},
    {"class 0 \"a\\x00\" stage=0 first_rank=0 ranks=2\n", "x.txt:5: class name contains \\x00"},
    {"class 0 \"0123456789012345678901234567890123\" stage=0 first_rank=0 ranks=2\n",
     "x.txt:5: class name longer than 31 bytes"},
    {"comm 0 tp size=2 stride=1\nclass 0 \"a\" stage=0 first_rank=0 ranks=2\ncomm 1 dp size=1 stride=2\n",
     "x.txt:7: communicators must come before the first class"},
    {"comm 0 tp size=3 stride=1\nclass 0 \"a\" stage=0 first_rank=0 ranks=2\n",
     "x.txt:5: communicator tp: size 3 x stride 1 spans more than 2 ranks"},
    {"comm 0 tp size=2\n", "x.txt:5: expected 'comm INDEX NAME size=N stride=N'"},
    {"step 0\n", "x.txt:5: unknown line 'step' (expected op, class or comm)"},
    {"x=1\n", "x.txt:5: expected a keyword at the start of the line"},
    {"class 0 \"a\" stage=0 first_rank=0 ranks=2\nop 0 send bf16 fwd pp_send peer=0\n",
     "x.txt:6: class a (0) op 0: communicator 255, expected < 0"},
    {"comm 0 pp size=2 stride=1\nclass 0 \"a\" stage=0 first_rank=0 ranks=2\n"
     "op 0 send bf16 fwd pp_send comm=pp peer=0\n",
     "x.txt:7: class a op 0 sends to class a, which has no matching recv"},
    {"", "x.txt:4: 0 rank classes, expected 1..1048576"},
};

static void test_body_errors_name_the_line_and_reason(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof BODY_ERRORS / sizeof BODY_ERRORS[0]; i++) {
    char buf[4096];
    snprintf(buf, sizeof buf, "%s%s", HEAD, BODY_ERRORS[i].body);
    trace *t = NULL;
    ts_err err = {0};
    ts_status st = trace_read_text("x.txt", buf, strlen(buf), &t, &err);
    if (st != TS_EINPUT || strcmp(err.msg, BODY_ERRORS[i].msg) != 0)
      fail_msg("case %zu: got '%s', expected '%s'", i, err.msg, BODY_ERRORS[i].msg);
    assert_null(t);
  }
}

static const text_case HEADER_ERRORS[] = {
    {"", "x.txt:1: missing the 'trainsim-trace' line"},
    {"trainsim-trace 7\n", "x.txt:1: format version 7 is newer than this trainsim (2)"},
    {"trace 1\n", "x.txt:1: expected the 'trainsim-trace' line, found 'trace'"},
    {"trainsim-trace 1\n", "x.txt:1: missing the 'model' line"},
    {"trainsim-trace 1\nplan tp=1\n", "x.txt:2: expected the 'model' line, found 'plan'"},
    {"trainsim-trace 1\nmodel has=1\n", "x.txt:2: model line: missing key 'name'"},
    {"trainsim-trace 1\nmodel has=2\n", "x.txt:2: has: 2 out of range (expected 0..1)"},
    {"trainsim-trace 1\nmodel has=1 has=1\n", "x.txt:2: model line: duplicate key 'has'"},
    {"trainsim-trace 1\nmodel color=red\n", "x.txt:2: model line: unknown key 'color'"},
    {"trainsim-trace 1\nmodel name=abc\n", "x.txt:2: name: expected a \"quoted string\""},
    {"trainsim-trace 1\nmodel mlp=tanh\n", "x.txt:2: mlp: unknown value 'tanh'"},
    {"trainsim-trace 1\nmodel layers=\"3\"\n", "x.txt:2: layers: unexpected quoted string"},
    {"trainsim-trace 1\nmodel layers\n", "x.txt:2: model line: expected key=value, found 'layers'"},
};

static void test_header_errors_name_the_line_and_reason(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof HEADER_ERRORS / sizeof HEADER_ERRORS[0]; i++) {
    trace *t = NULL;
    ts_err err = {0};
    const char *text = HEADER_ERRORS[i].body;
    ts_status st = trace_read_text("x.txt", text, strlen(text), &t, &err);
    if (st != TS_EINPUT || strcmp(err.msg, HEADER_ERRORS[i].msg) != 0)
      fail_msg("case %zu: got '%s', expected '%s'", i, err.msg, HEADER_ERRORS[i].msg);
  }
}

static void test_plan_line_errors(void **state) {
  (void)state;
  static const char *const PLANS[][2] = {
      {"set=12", "set: expected a hexadecimal number 0x..."},
      {"set=0x1ffffffff", "set: '0x1ffffffff' is not a 32-bit hexadecimal number"},
      {"stage_layers=1/x", "stage_layers: 'x' is not an integer"},
      {"tp=3000000000", "tp: 3000000000 out of range (expected -2147483648..2147483647)"},
      {"dtype=fp7", "dtype: unknown value 'fp7'"},
  };
  for (size_t i = 0; i < sizeof PLANS / sizeof PLANS[0]; i++) {
    char buf[4096], want[256];
    const char *model_end = strstr(HEAD, "plan ");
    snprintf(buf, sizeof buf, "%.*splan %s\n", (int)(model_end - HEAD), HEAD, PLANS[i][0]);
    snprintf(want, sizeof want, "x.txt:3: %s", PLANS[i][1]);
    trace *t = NULL;
    ts_err err = {0};
    assert_int_equal(trace_read_text("x.txt", buf, strlen(buf), &t, &err), TS_EINPUT);
    if (strcmp(err.msg, want) != 0) fail_msg("case %zu: got '%s', expected '%s'", i, err.msg, want);
  }
}

static void test_nul_bytes_and_long_lines_are_handled(void **state) {
  (void)state;
  char buf[8192];
  size_t n = (size_t)snprintf(buf, sizeof buf, "%sclass 0 \"a\" stage=0 first_rank=0 ranks=2\nop ",
                              HEAD);
  memset(buf + n, 'g', 5000);
  buf[n + 5000] = '\n';
  trace *t = NULL;
  ts_err err = {0};
  assert_int_equal(trace_read_text("x.txt", buf, n + 5001, &t, &err), TS_EINPUT);
  char want[128];
  snprintf(want, sizeof want, "x.txt:6: op index: '%.40s' is not an integer", buf + n);
  assert_string_equal(err.msg, want);
  memcpy(buf, "trainsim-trace 1\n\0", 18);
  assert_int_equal(trace_read_text("x.txt", buf, 18, &t, &err), TS_EINPUT);
  assert_string_equal(err.msg, "x.txt:2: NUL byte in text");
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "--dump") == 0) {
    trace *t = fix_trace();
    ts_err err = {0};
    int rc = trace_write_text(t, stdout, &err) != TS_OK;
    trace_free(t);
    return rc;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_binary_to_text_to_binary_is_byte_identical),
      cmocka_unit_test(test_odd_strings_and_values_survive_the_round_trip),
      cmocka_unit_test(test_text_lists_every_op_in_a_readable_line),
      cmocka_unit_test(test_shipped_text_trace_is_the_fixture),
      cmocka_unit_test(test_op_fields_take_their_documented_defaults),
      cmocka_unit_test(test_body_errors_name_the_line_and_reason),
      cmocka_unit_test(test_header_errors_name_the_line_and_reason),
      cmocka_unit_test(test_plan_line_errors),
      cmocka_unit_test(test_nul_bytes_and_long_lines_are_handled),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
