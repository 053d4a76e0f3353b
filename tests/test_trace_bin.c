/* The binary trace file (.tst): round trips in memory and on disk, deterministic bytes, the
 * layout of traces/FORMAT.md computed independently here (offsets from the spec's field sizes),
 * every truncation of a valid file and of its payload rejected without a crash, and the corpus of
 * malformed files under tests/data/bad_traces/ each giving its exact message.
 *
 * `test_trace_bin --write-corpus DIR` regenerates the corpus inputs (the expected messages in
 * DIR/expected.msgs are kept by hand and reviewed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zlib.h>

#include "hw/base/ts_io.h"
#include "trace_fixture.h"
#include "traces/trace.h"

/* ---- the layout, from traces/FORMAT.md ------------------------------------------------------- */
enum { HEADER = 40, OP_BYTES = 68 };

static size_t str_bytes(const char *s) { return 4 + strlen(s); }

static size_t comms_offset(const trace *t) {
  size_t model = str_bytes(t->model.name) + str_bytes(t->model.source) + 8 * 8 + 2 + 10 * 8 + 1;
  size_t plan = 7 * 4 + 8 + 1 + 4 + 1 + 1 + 5 + 4 + 4 + 4 * (size_t)t->plan.n_stage_layers;
  size_t system = str_bytes(t->system) + 8 + 8;
  return 1 + model + plan + system;
}

static size_t classes_offset(const trace *t) {
  size_t off = comms_offset(t) + 4;
  for (uint32_t i = 0; i < t->n_comms; i++) off += str_bytes(t->comms[i].name) + 16;
  return off;
}

static size_t class_offset(const trace *t, uint32_t ci) {
  size_t off = classes_offset(t) + 4;
  for (uint32_t i = 0; i < ci; i++)
    off += str_bytes(t->classes[i].name) + 28 + (size_t)t->classes[i].n_ops * OP_BYTES +
           (size_t)t->classes[i].n_deps * 4;
  return off;
}

static size_t op_offset(const trace *t, uint32_t ci, uint32_t op) {
  return class_offset(t, ci) + str_bytes(t->classes[ci].name) + 28 + (size_t)op * OP_BYTES;
}

static size_t deps_offset(const trace *t, uint32_t ci) {
  return op_offset(t, ci, t->classes[ci].n_ops);
}

/* ---- helpers --------------------------------------------------------------------------------- */
static void le(unsigned char *p, uint64_t v, int n) {
  for (int i = 0; i < n; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* The payload of a .tst file, inflated here with zlib's one-shot call. */
static unsigned char *payload_of(const unsigned char *file, size_t len, size_t *plen) {
  assert_true(len >= HEADER);
  uLongf n = 0;
  for (int i = 0; i < 8; i++) n |= (uLongf)file[16 + i] << (8 * i);
  unsigned char *p = malloc(n ? n : 1);
  uLongf got = n;
  assert_int_equal(uncompress(p, &got, file + HEADER, (uLong)(len - HEADER)), Z_OK);
  assert_int_equal(got, n);
  *plen = n;
  return p;
}

/* A valid container around any payload: header, zlib level 6, CRC32. */
static unsigned char *wrap(const unsigned char *p, size_t plen, size_t *len) {
  uLongf clen = compressBound((uLong)plen);
  unsigned char *out = malloc(HEADER + clen);
  assert_int_equal(compress2(out + HEADER, &clen, p, (uLong)plen, 6), Z_OK);
  memcpy(out, "TSTRACE", 8);
  le(out + 8, 1, 4);
  le(out + 12, 0, 4);
  le(out + 16, plen, 8);
  le(out + 24, clen, 8);
  le(out + 32, crc32(crc32(0, Z_NULL, 0), p, (uInt)plen), 4);
  le(out + 36, 0, 4);
  *len = HEADER + clen;
  return out;
}

static unsigned char *fixture_file(size_t *len) {
  trace *t = fix_trace();
  unsigned char *data;
  ts_err err = {0};
  assert_int_equal(trace_write_mem(t, &data, len, &err), TS_OK);
  trace_free(t);
  return data;
}

static ts_status read_bytes(const unsigned char *d, size_t n, ts_err *err) {
  trace *t = NULL;
  ts_status st = trace_read_mem("t.tst", d, n, &t, err);
  trace_free(t);
  return st;
}

/* ---- round trips ----------------------------------------------------------------------------- */
static void test_round_trip_in_memory_is_byte_identical(void **state) {
  (void)state;
  size_t len, len2;
  unsigned char *data = fixture_file(&len);
  trace *t = NULL;
  ts_err err = {0};
  assert_int_equal(trace_read_mem("fixture", data, len, &t, &err), TS_OK);
  assert_string_equal(t->model.name, "tiny \"fixture\"");
  assert_int_equal(t->plan.stage_layers[1], 1);
  assert_int_equal(t->classes[1].ops[0].kind, TRACE_OP_RECV);
  assert_true(t->classes[0].ops[2].flops == 0.1 + 1e9);
  assert_int_equal(t->classes[0].ops[6].count, 2);
  unsigned char *again;
  assert_int_equal(trace_write_mem(t, &again, &len2, &err), TS_OK);
  assert_int_equal(len, len2);
  assert_memory_equal(data, again, len);
  trace_free(t);
  free(data);
  free(again);
}

static void test_round_trip_through_a_file(void **state) {
  (void)state;
  char path[] = "/tmp/trace_bin_testXXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  trace *t = fix_trace(), *back = NULL;
  ts_err err = {0};
  assert_int_equal(trace_write_file(t, path, &err), TS_OK);
  assert_int_equal(trace_read_file(path, &back, &err), TS_OK);
  assert_int_equal(back->n_classes, 2);
  assert_int_equal(back->classes[0].n_deps, t->classes[0].n_deps);
  assert_memory_equal(back->classes[0].deps, t->classes[0].deps, 8 * sizeof(uint32_t));
  assert_memory_equal(back->classes[1].ops, t->classes[1].ops, 7 * sizeof(trace_op));
  unlink(path);
  trace_free(t);
  trace_free(back);
}

static void test_writer_refuses_an_invalid_trace_and_keeps_the_old_file(void **state) {
  (void)state;
  char path[] = "/tmp/trace_bin_oldXXXXXX";
  int fd = mkstemp(path);
  assert_int_equal(write(fd, "old", 3), 3);
  close(fd);
  trace *t = fix_trace();
  t->classes[0].ops[1].flops = NAN;
  ts_err err = {0};
  assert_int_equal(trace_write_file(t, path, &err), TS_EINPUT);
  char *data;
  size_t len;
  assert_int_equal(ts_read_file(path, 100, &data, &len, &err), TS_OK);
  assert_string_equal(data, "old");
  free(data);
  unlink(path);
  trace_free(t);
  t = fix_trace();
  assert_int_equal(trace_write_file(t, "/nonexistent-dir/x.tst", &err), TS_EIO);
  trace_free(t);
}

/* A full disk (here: a 100-byte file size limit) fails the write and leaves the old file. */
static void test_failed_write_keeps_the_old_file(void **state) {
  (void)state;
  char path[] = "/tmp/trace_bin_fullXXXXXX";
  int fd = mkstemp(path);
  assert_int_equal(write(fd, "old", 3), 3);
  close(fd);
  trace *t = fix_trace();
  struct rlimit old_limit, small = {.rlim_cur = 100};
  getrlimit(RLIMIT_FSIZE, &old_limit);
  small.rlim_max = old_limit.rlim_max;
  signal(SIGXFSZ, SIG_IGN);
  assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
  ts_err err = {0};
  ts_status st = trace_write_file(t, path, &err);
  setrlimit(RLIMIT_FSIZE, &old_limit);
  assert_int_equal(st, TS_EIO);
  assert_non_null(strstr(err.msg, "old file left untouched"));
  char *data;
  size_t len;
  assert_int_equal(ts_read_file(path, 100, &data, &len, &err), TS_OK);
  assert_string_equal(data, "old");
  free(data);
  unlink(path);
  trace_free(t);
}

static void test_header_fields_are_little_endian_as_specified(void **state) {
  (void)state;
  size_t len;
  unsigned char *d = fixture_file(&len);
  assert_memory_equal(d, "TSTRACE\0", 8);
  assert_int_equal(d[8], 1);
  assert_int_equal(d[9] | d[10] | d[11], 0);
  uint64_t clen = 0;
  for (int i = 0; i < 8; i++) clen |= (uint64_t)d[24 + i] << (8 * i);
  assert_int_equal(clen, len - HEADER);
  size_t plen;
  unsigned char *p = payload_of(d, len, &plen);
  trace *t = fix_trace();
  /* Total payload size from the spec's field sizes. */
  assert_int_equal(plen, class_offset(t, 2));
  /* Spot checks: has_model byte, the class count, the first op's kind and its flops bits. */
  assert_int_equal(p[0], 1);
  assert_int_equal(p[classes_offset(t)], 2);
  assert_int_equal(p[op_offset(t, 0, 1)], TRACE_OP_GEMM);
  uint64_t bits = 0, want;
  double f = FIX_GEMM_FLOPS;
  memcpy(&want, &f, 8);
  for (int i = 0; i < 8; i++) bits |= (uint64_t)p[op_offset(t, 0, 1) + 48 + i] << (8 * i);
  assert_true(bits == want);
  trace_free(t);
  free(p);
  free(d);
}

/* ---- truncation and corruption never crash --------------------------------------------------- */
static void test_every_truncation_of_a_file_is_rejected(void **state) {
  (void)state;
  size_t len;
  unsigned char *d = fixture_file(&len);
  for (size_t n = 0; n < len; n++) {
    ts_err err = {0};
    unsigned char *copy = malloc(n ? n : 1); /* exact size so ASan sees any overread */
    memcpy(copy, d, n);
    if (read_bytes(copy, n, &err) != TS_EINPUT || strncmp(err.msg, "t.tst: offset ", 14) != 0)
      fail_msg("prefix %zu: '%s'", n, err.msg);
    free(copy);
  }
  free(d);
}

static void test_every_truncation_of_the_payload_is_rejected(void **state) {
  (void)state;
  size_t len, plen;
  unsigned char *d = fixture_file(&len);
  unsigned char *p = payload_of(d, len, &plen);
  for (size_t n = 0; n < plen; n++) {
    size_t wlen;
    unsigned char *w = wrap(p, n, &wlen);
    ts_err err = {0};
    if (read_bytes(w, wlen, &err) != TS_EINPUT || strstr(err.msg, "payload offset") == NULL)
      fail_msg("payload prefix %zu: '%s'", n, err.msg);
    free(w);
  }
  free(p);
  free(d);
}

static void test_every_single_byte_flip_of_the_payload_is_safe(void **state) {
  (void)state;
  size_t len, plen;
  unsigned char *d = fixture_file(&len);
  unsigned char *p = payload_of(d, len, &plen);
  for (size_t i = 0; i < plen; i++) {
    for (int v = 0; v < 3; v++) {
      unsigned char saved = p[i];
      p[i] = v == 0 ? 0xff : v == 1 ? 0x80 : (unsigned char)(saved ^ 1);
      size_t wlen;
      unsigned char *w = wrap(p, plen, &wlen);
      ts_err err = {0};
      trace *t = NULL;
      if (trace_read_mem("t.tst", w, wlen, &t, &err) == TS_OK) {
        /* Accepted: then it must be a valid trace. */
        assert_int_equal(trace_validate(t, &err), TS_OK);
      } else {
        assert_true(err.msg[0] != '\0');
      }
      trace_free(t);
      free(w);
      p[i] = saved;
    }
  }
  free(p);
  free(d);
}

/* ---- the corpus ------------------------------------------------------------------------------ */
typedef struct corpus_file {
  const char *name;
  unsigned char *data;
  size_t len;
} corpus_file;

static void patch(unsigned char *p, size_t off, uint64_t v, int n) { le(p + off, v, n); }

static void patch_f64(unsigned char *p, size_t off, double v) {
  uint64_t bits;
  memcpy(&bits, &v, 8);
  le(p + off, bits, 8);
}

static corpus_file payload_case(const char *name, const unsigned char *p, size_t plen,
                                void (*edit)(unsigned char *p, const trace *t, size_t *plen)) {
  unsigned char *q = malloc(plen + 16);
  memcpy(q, p, plen);
  trace *t = fix_trace();
  edit(q, t, &plen);
  trace_free(t);
  corpus_file c = {name, NULL, 0};
  c.data = wrap(q, plen, &c.len);
  free(q);
  return c;
}

static void e_nan(unsigned char *p, const trace *t, size_t *n) { (void)n; patch_f64(p, op_offset(t, 0, 1) + 48, NAN); }
static void e_neg(unsigned char *p, const trace *t, size_t *n) { (void)n; patch_f64(p, op_offset(t, 1, 1) + 56, -4096.0); }
static void e_ops(unsigned char *p, const trace *t, size_t *n) { (void)n; patch(p, class_offset(t, 0) + 4 + 6 + 20, 1u << 31, 4); }
static void e_ops_past(unsigned char *p, const trace *t, size_t *n) { (void)n; patch(p, class_offset(t, 1) + 4 + 6 + 20, 1000, 4); }
static void e_classes(unsigned char *p, const trace *t, size_t *n) { (void)n; patch(p, classes_offset(t), 1u << 30, 4); }
static void e_classes_past(unsigned char *p, const trace *t, size_t *n) { (void)n; patch(p, classes_offset(t), 1000, 4); }
static void e_strlen(unsigned char *p, const trace *t, size_t *n) { (void)t; (void)n; patch(p, 1, 5000, 4); }
static void e_strpast(unsigned char *p, const trace *t, size_t *n) { *n = class_offset(t, 1) + 10; patch(p, class_offset(t, 1), 30, 4); }
static void e_dep(unsigned char *p, const trace *t, size_t *n) { (void)n; patch(p, deps_offset(t, 0), 3, 4); }
static void e_dep_count(unsigned char *p, const trace *t, size_t *n) { (void)n; patch(p, op_offset(t, 1, 6) + 64, 9, 4); }
static void e_comm(unsigned char *p, const trace *t, size_t *n) { (void)n; p[op_offset(t, 0, 3) + 4] = 7; }
static void e_peer(unsigned char *p, const trace *t, size_t *n) { (void)n; patch(p, op_offset(t, 0, 4) + 12, 5, 4); }
static void e_kind(unsigned char *p, const trace *t, size_t *n) { (void)n; p[op_offset(t, 0, 0)] = 200; }
static void e_bool(unsigned char *p, const trace *t, size_t *n) { (void)t; (void)n; p[0] = 2; }
static void e_mlp(unsigned char *p, const trace *t, size_t *n) {
  (void)n;
  p[1 + str_bytes(t->model.name) + str_bytes(t->model.source) + 64] = 9;
}
static void e_stages(unsigned char *p, const trace *t, size_t *n) {
  (void)n;
  patch(p, comms_offset(t) - (str_bytes(t->system) + 16) - 4 * 2 - 4, 5000, 4);
}
static void e_trailing(unsigned char *p, const trace *t, size_t *n) { (void)t; memset(p + *n, 0xab, 5); *n += 5; }
static void e_comms(unsigned char *p, const trace *t, size_t *n) { (void)n; patch(p, comms_offset(t), 17, 4); }
static void e_ranks(unsigned char *p, const trace *t, size_t *n) { (void)n; patch(p, class_offset(t, 1) + 4 + 6 + 12, 3, 8); }
static void e_unmatched(unsigned char *p, const trace *t, size_t *n) { (void)n; p[op_offset(t, 1, 4)] = TRACE_OP_RECV; }

static const struct {
  const char *name;
  void (*edit)(unsigned char *p, const trace *t, size_t *plen);
} PAYLOAD_CASES[] = {
    {"nan_flops.tst", e_nan},           {"negative_bytes.tst", e_neg},
    {"huge_op_count.tst", e_ops},       {"op_count_past_end.tst", e_ops_past},
    {"huge_class_count.tst", e_classes}, {"class_count_past_end.tst", e_classes_past},
    {"string_too_long.tst", e_strlen},  {"string_past_end.tst", e_strpast},
    {"dep_not_earlier.tst", e_dep},     {"dep_count_past_deps.tst", e_dep_count},
    {"comm_out_of_range.tst", e_comm},  {"peer_out_of_range.tst", e_peer},
    {"bad_op_kind.tst", e_kind},        {"bad_bool.tst", e_bool},
    {"bad_mlp.tst", e_mlp},             {"huge_stage_layers.tst", e_stages},
    {"payload_trailing_data.tst", e_trailing}, {"too_many_comms.tst", e_comms},
    {"class_ranks_mismatch.tst", e_ranks}, {"unmatched_send.tst", e_unmatched},
};
enum { N_PAYLOAD_CASES = sizeof PAYLOAD_CASES / sizeof PAYLOAD_CASES[0] };

static corpus_file header_case(const char *name, const unsigned char *d, size_t len, size_t keep,
                               size_t off, uint64_t v, int n) {
  corpus_file c = {name, malloc(len + 64), keep < len ? keep : len};
  memcpy(c.data, d, len);
  if (n) le(c.data + off, v, n);
  return c;
}

static corpus_file trailing_case(const char *name, const unsigned char *d, size_t len, size_t extra) {
  corpus_file c = {name, malloc(len + extra), len + extra};
  memcpy(c.data, d, len);
  memset(c.data + len, 0x5a, extra);
  return c;
}

/* Builds every corpus input in memory (n = how many); the caller frees them. */
static corpus_file *build_corpus(size_t *n) {
  size_t len, plen;
  unsigned char *d = fixture_file(&len);
  unsigned char *p = payload_of(d, len, &plen);
  corpus_file *c = calloc(64, sizeof *c);
  size_t k = 0;
  c[k++] = header_case("empty.tst", d, len, 0, 0, 0, 0);
  c[k++] = header_case("short_header.tst", d, len, 20, 0, 0, 0);
  c[k++] = header_case("bad_magic.tst", d, len, len, 0, 0x4b43415254535453ull, 8);
  c[k++] = header_case("future_version.tst", d, len, len, 8, 7, 4);
  c[k++] = header_case("zero_version.tst", d, len, len, 8, 0, 4);
  c[k++] = header_case("unknown_flags.tst", d, len, len, 12, 4, 4);
  c[k++] = header_case("reserved_set.tst", d, len, len, 36, 1, 4);
  c[k++] = header_case("huge_payload_length.tst", d, len, len, 16, 1ull << 40, 8);
  c[k++] = header_case("payload_length_ratio.tst", d, len, len, 16, 1ull << 31, 8);
  c[k++] = header_case("payload_shorter.tst", d, len, len, 16, plen + 1000, 8);
  c[k++] = header_case("payload_longer.tst", d, len, len, 16, plen - 100, 8);
  c[k++] = header_case("truncated_body.tst", d, len, len - 50, 0, 0, 0);
  c[k++] = header_case("compressed_length_short.tst", d, len, len, 24, len - HEADER - 4, 8);
  c[k++] = trailing_case("trailing_garbage.tst", d, len, 7);
  c[k++] = header_case("bad_crc.tst", d, len, len, 32, 0xdeadbeef, 4);
  c[k] = header_case("corrupt_zlib.tst", d, len, len, 0, 0, 0);
  for (size_t i = HEADER + 20; i < HEADER + 40; i++) c[k].data[i] ^= 0x55;
  k++;
  c[k] = trailing_case("binary_garbage.tst", d, 0, 512);
  for (size_t i = 0; i < 512; i++) c[k].data[i] = (unsigned char)((i * 2654435761u) >> 13);
  k++;
  for (size_t i = 0; i < N_PAYLOAD_CASES; i++)
    c[k++] = payload_case(PAYLOAD_CASES[i].name, p, plen, PAYLOAD_CASES[i].edit);
  free(p);
  free(d);
  *n = k;
  return c;
}

static void free_corpus(corpus_file *c, size_t n) {
  for (size_t i = 0; i < n; i++) free(c[i].data);
  free(c);
}

static int write_corpus(const char *dir) {
  size_t n;
  corpus_file *c = build_corpus(&n);
  int rc = 0;
  for (size_t i = 0; i < n && !rc; i++) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, c[i].name);
    ts_err err = {0};
    if (ts_write_file_atomic(path, c[i].data, c[i].len, &err)) {
      fprintf(stderr, "%s\n", err.msg);
      rc = 1;
    }
    trace *t = NULL;
    trace_read_mem(c[i].name, c[i].data, c[i].len, &t, &err);
    trace_free(t);
    printf("%s\n", err.msg);
  }
  free_corpus(c, n);
  return rc;
}

/* Each line of expected.msgs is the whole message; the file name is its text up to ':'. */
static void test_corpus_files_give_their_exact_messages(void **state) {
  (void)state;
  char *exp;
  size_t len;
  ts_err err = {0};
  assert_int_equal(ts_read_file(TESTS_DIR "/data/bad_traces/expected.msgs", 1 << 20, &exp, &len, &err),
                   TS_OK);
  int checked = 0;
  for (char *line = strtok(exp, "\n"); line; line = strtok(NULL, "\n")) {
    if (line[0] == '#') continue;
    char name[256];
    size_t nl = strcspn(line, ":");
    snprintf(name, sizeof name, "%.*s", (int)nl, line);
    char path[512];
    snprintf(path, sizeof path, TESTS_DIR "/data/bad_traces/%s", name);
    char *data;
    size_t dlen;
    assert_int_equal(ts_read_file(path, 1 << 24, &data, &dlen, &err), TS_OK);
    trace *t = NULL;
    ts_err rerr = {0};
    ts_status st = strstr(name, ".tst") ? trace_read_mem(name, (unsigned char *)data, dlen, &t, &rerr)
                                        : trace_read_text(name, data, dlen, &t, &rerr);
    if (st == TS_OK || strcmp(rerr.msg, line) != 0)
      fail_msg("%s:\n  got      '%s'\n  expected '%s'", name, rerr.msg, line);
    assert_int_equal(ts_status_exit_code(st), 2);
    trace_free(t);
    free(data);
    checked++;
  }
  assert_true(checked >= 40);
  free(exp);
}

/* The committed corpus is what the generator makes (same bytes where zlib is deterministic: the
 * corpus holds the inputs, so only the messages matter; this checks the same set exists). */
static void test_generated_corpus_has_a_message_for_every_file(void **state) {
  (void)state;
  size_t n;
  corpus_file *c = build_corpus(&n);
  char *exp;
  size_t len;
  ts_err err = {0};
  assert_int_equal(ts_read_file(TESTS_DIR "/data/bad_traces/expected.msgs", 1 << 20, &exp, &len, &err),
                   TS_OK);
  for (size_t i = 0; i < n; i++) {
    char key[300];
    snprintf(key, sizeof key, "\n%s: ", c[i].name);
    if (!strstr(exp, key)) fail_msg("no expected message for %s", c[i].name);
    trace *t = NULL;
    assert_int_equal(trace_read_mem(c[i].name, c[i].data, c[i].len, &t, &err), TS_EINPUT);
  }
  free(exp);
  free_corpus(c, n);
}

/* A field added to struct model or plan must be added to the format (traces/FORMAT.md,
 * trace_payload.c, trace_text.c) too; this catches the struct growing without it. */
static void test_format_covers_every_model_and_plan_field(void **state) {
  (void)state;
  if (sizeof(model) != 64 + 240 + 8 * 8 + 4 + 4 + 10 * 8 + 8)
    fail_msg("struct model changed size (%zu): add the new field to the trace format", sizeof(model));
  if (offsetof(plan, naive_attention) + sizeof(bool) + 3 != sizeof(plan))
    fail_msg("struct plan changed (%zu bytes): add the new field to the trace format", sizeof(plan));
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "--write-corpus") == 0) return write_corpus(argv[2]);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_format_covers_every_model_and_plan_field),
      cmocka_unit_test(test_round_trip_in_memory_is_byte_identical),
      cmocka_unit_test(test_round_trip_through_a_file),
      cmocka_unit_test(test_writer_refuses_an_invalid_trace_and_keeps_the_old_file),
      cmocka_unit_test(test_failed_write_keeps_the_old_file),
      cmocka_unit_test(test_header_fields_are_little_endian_as_specified),
      cmocka_unit_test(test_every_truncation_of_a_file_is_rejected),
      cmocka_unit_test(test_every_truncation_of_the_payload_is_rejected),
      cmocka_unit_test(test_every_single_byte_flip_of_the_payload_is_safe),
      cmocka_unit_test(test_corpus_files_give_their_exact_messages),
      cmocka_unit_test(test_generated_corpus_has_a_message_for_every_file),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
