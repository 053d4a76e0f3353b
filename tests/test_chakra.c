/* Chakra execution traces (traces/chakra/): import of the third-party fixtures under
 * tests/data/chakra/ (STG's 16-rank GPT step and the Chakra project's micro-benchmarks), with the
 * counts and units their README gives; trainsim → Chakra → trainsim round trips; the exporter's
 * files decoded by protoc (Debian protobuf-compiler) against traces/chakra/chakra.proto, compared
 * with golden text; and every malformed input giving its one-line error. Malformed files are
 * written here with a small protobuf encoder of our own, independent of the library's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hw/base/ts_io.h"
#include "hw/hw.h"
#include "sim/sim.h"
#include "trace_fixture.h"
#include "traces/chakra/chakra.h"
#include "traces/trace.h"

#define GPT16 TESTS_DIR "/data/chakra/gpt16/workload"
#define MICRO TESTS_DIR "/data/chakra/micro/"

/* ---- a protobuf encoder for test inputs
 * ----------------------------------------------------------- */
typedef struct pb {
  unsigned char b[8192];
  size_t n;
} pb;

static void pb_varint(pb *p, uint64_t v) {
  do {
    p->b[p->n++] = (unsigned char)((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
    v >>= 7;
  } while (v);
}
static void pb_uint(pb *p, int field, uint64_t v) {
  pb_varint(p, (uint64_t)field << 3);
  pb_varint(p, v);
}
static void pb_bytes(pb *p, int field, const void *d, size_t n) {
  pb_varint(p, (uint64_t)field << 3 | 2);
  pb_varint(p, n);
  memcpy(p->b + p->n, d, n);
  p->n += n;
}
static void pb_str(pb *p, int field, const char *s) {
  pb_bytes(p, field, s, strlen(s));
}

/* AttributeProto {1: name, FIELD: integer value} (int32/int64/uint64/bool are all varints). */
static void attr_int(pb *node, const char *name, int field, int64_t v) {
  pb a = {.n = 0};
  pb_str(&a, 1, name);
  pb_uint(&a, field, (uint64_t)v);
  pb_bytes(node, 10, a.b, a.n);
}
static void attr_str(pb *node, const char *name, const char *v) {
  pb a = {.n = 0};
  pb_str(&a, 1, name);
  pb_str(&a, 29, v);
  pb_bytes(node, 10, a.b, a.n);
}
enum { INT32_VAL = 7, INT64_VAL = 9, UINT64_VAL = 13, BOOL_VAL = 27 };
enum { T_META = 1, T_COMP = 4, T_SEND = 5, T_RECV = 6, T_COLL = 7 };

static void node_begin(pb *n, uint64_t id, int type) {
  n->n = 0;
  pb_uint(n, 1, id);
  pb_str(n, 2, "node");
  pb_uint(n, 3, (uint64_t)type);
}
static void node_dep(pb *n, uint64_t dep) {
  pb_uint(n, 5, dep);
}
static void comp(pb *n, uint64_t id, int64_t flops) {
  node_begin(n, id, T_COMP);
  attr_int(n, "num_ops", INT64_VAL, flops);
  attr_int(n, "tensor_size", UINT64_VAL, 100);
}
static void coll(pb *n, uint64_t id, int comm_type, int64_t bytes, const char *pg) {
  node_begin(n, id, T_COLL);
  attr_int(n, "comm_type", INT64_VAL, comm_type);
  attr_int(n, "comm_size", INT64_VAL, bytes);
  if (pg) attr_str(n, "pg_name", pg);
}
static void p2p(pb *n, uint64_t id, bool send, int peer, int tag, int64_t bytes) {
  node_begin(n, id, send ? T_SEND : T_RECV);
  attr_int(n, send ? "comm_dst" : "comm_src", INT32_VAL, peer);
  attr_int(n, "comm_tag", INT32_VAL, tag);
  attr_int(n, "comm_size", INT64_VAL, bytes);
}

/* A file: varint length + record, the first an empty GlobalMetadata. */
typedef struct etfile {
  unsigned char b[65536];
  size_t n;
} etfile;
static void et_record(etfile *f, const pb *m) {
  pb len = {.n = 0};
  pb_varint(&len, m->n);
  memcpy(f->b + f->n, len.b, len.n);
  memcpy(f->b + f->n + len.n, m->b, m->n);
  f->n += len.n + m->n;
}
static void et_begin(etfile *f) {
  pb meta = {.n = 0};
  pb_str(&meta, 1, "0.0.4");
  f->n = 0;
  et_record(f, &meta);
}

/* ---- temporary folders
 * ------------------------------------------------------------------------------ */
typedef struct tmpdir {
  char path[64];
  char prefix[128];
} tmpdir;

static void tmp_make(tmpdir *d) {
  snprintf(d->path, sizeof d->path, "/tmp/test_chakra_XXXXXX");
  assert_non_null(mkdtemp(d->path));
  snprintf(d->prefix, sizeof d->prefix, "%s/w", d->path);
}
static void tmp_remove(tmpdir *d) {
  DIR *dir = opendir(d->path);
  assert_non_null(dir);
  for (struct dirent *e; (e = readdir(dir));) {
    if (e->d_name[0] == '.') continue;
    char p[512];
    snprintf(p, sizeof p, "%s/%s", d->path, e->d_name);
    unlink(p);
  }
  closedir(dir);
  rmdir(d->path);
}
static void tmp_write(const tmpdir *d, const char *suffix, const void *data, size_t n) {
  char p[256];
  snprintf(p, sizeof p, "%s%s", d->prefix, suffix);
  FILE *fp = fopen(p, "wb");
  assert_non_null(fp);
  assert_int_equal(fwrite(data, 1, n, fp), n);
  fclose(fp);
}
static void tmp_rank(const tmpdir *d, int rank, const etfile *f) {
  char s[32];
  snprintf(s, sizeof s, ".%d.et", rank);
  tmp_write(d, s, f->b, f->n);
}

static ts_status import(const char *prefix, trace **t, chakra_import_stats *s, ts_err *err) {
  *t = NULL;
  return chakra_import(prefix, NULL, NULL, t, s, err);
}

/* Asserts that importing prefix fails with TS_EINPUT and a one-line message holding each needle. */
static void expect_error(const char *prefix, const char *groups, const char *n1, const char *n2) {
  trace *t = NULL;
  ts_err err = {0};
  assert_int_equal(chakra_import(prefix, groups, NULL, &t, NULL, &err), TS_EINPUT);
  assert_null(t);
  if (!strstr(err.msg, n1) || (n2 && !strstr(err.msg, n2)))
    fail_msg("message '%s' lacks '%s' / '%s'", err.msg, n1, n2 ? n2 : "");
  assert_null(strchr(err.msg, '\n'));
}

static uint32_t count_kind(const trace_class *c, trace_op_kind k) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < c->n_ops; i++) n += c->ops[i].kind == k;
  return n;
}

/* ---- gpt16: STG's GPT step, 16 ranks (TP2 PP2 DP4)
 * ----------------------------------------------- */
static void test_gpt16_imports_16_ranks_in_2_classes_one_per_stage(void **state) {
  (void)state;
  trace *t;
  chakra_import_stats s;
  ts_err err = {0};
  assert_int_equal(import(GPT16, &t, &s, &err), TS_OK);
  assert_int_equal(t->ranks, 16);
  assert_false(t->has_model);
  assert_string_equal(t->system, "");
  assert_int_equal(s.ranks, 16);
  assert_int_equal(s.nodes, 8 * 348 + 8 * 356); /* the fixture README's per-rank node counts */
  assert_int_equal(s.classes, 2);
  assert_int_equal(t->n_classes, 2);
  assert_int_equal(t->classes[0].first_rank, 0);
  assert_int_equal(t->classes[0].ranks, 8);
  assert_int_equal(t->classes[1].first_rank, 8);
  assert_int_equal(t->classes[1].ranks, 8);
  assert_int_equal(t->classes[0].n_ops, 348);
  assert_int_equal(t->classes[1].n_ops, 356);
  trace_free(t);
}

static void test_gpt16_keeps_every_dependency_and_node_type(void **state) {
  (void)state;
  trace *t;
  ts_err err = {0};
  assert_int_equal(import(GPT16, &t, NULL, &err), TS_OK);
  const trace_class *a = &t->classes[0], *b = &t->classes[1];
  assert_int_equal(a->n_deps, 469); /* data_deps per rank, README table */
  assert_int_equal(b->n_deps, 485);
  assert_int_equal(count_kind(a, TRACE_OP_ELEMENTWISE), 250); /* COMP */
  assert_int_equal(count_kind(b, TRACE_OP_ELEMENTWISE), 258);
  for (int i = 0; i < 2; i++) {
    const trace_class *c = &t->classes[i];
    assert_int_equal(count_kind(c, TRACE_OP_ALL_GATHER), 48);
    assert_int_equal(count_kind(c, TRACE_OP_REDUCE_SCATTER), 32);
    assert_int_equal(count_kind(c, TRACE_OP_ALL_REDUCE), 10);
    assert_int_equal(count_kind(c, TRACE_OP_SEND), 4);
    assert_int_equal(count_kind(c, TRACE_OP_RECV), 4);
    for (uint32_t k = 0; k < c->n_ops; k++) /* sends and recvs go to the other stage */
      if (c->ops[k].kind == TRACE_OP_SEND || c->ops[k].kind == TRACE_OP_RECV)
        assert_int_equal(c->ops[k].peer, 1 - i);
  }
  trace_free(t);
}

static const trace_comm *find_comm(const trace *t, int64_t size, int64_t stride) {
  for (uint32_t i = 0; i < t->n_comms; i++)
    if (t->comms[i].size == size && t->comms[i].stride == stride) return &t->comms[i];
  return NULL;
}

static void test_gpt16_groups_become_tp_dp_and_pp_communicators(void **state) {
  (void)state;
  trace *t;
  ts_err err = {0};
  assert_int_equal(import(GPT16, &t, NULL, &err), TS_OK);
  /* rank = tp + 2 dp + 8 pp: TP pairs (size 2 stride 1), DP groups of 4 with stride 2, PP peers 8
   * apart */
  assert_int_equal(t->n_comms, 3);
  assert_string_equal(find_comm(t, 2, 1)->name, "n2s1");
  assert_string_equal(find_comm(t, 4, 2)->name, "n4s2");
  assert_string_equal(find_comm(t, 2, 8)->name, "n2s8");
  const trace_class *c = &t->classes[0];
  for (uint32_t k = 0; k < c->n_ops; k++) {
    const trace_op *o = &c->ops[k];
    if (o->kind == TRACE_OP_ALL_GATHER) assert_int_equal(o->stream, TRACE_STREAM_TP);
    if (o->kind == TRACE_OP_SEND) assert_int_equal(o->stream, TRACE_STREAM_PP_SEND);
    if (trace_op_is_comm(o->kind) && t->comms[o->comm].size == 4)
      assert_int_equal(o->stream, TRACE_STREAM_DP);
  }
  trace_free(t);
}

static bool has_op(const trace_class *c, double flops, double bytes) {
  for (uint32_t i = 0; i < c->n_ops; i++)
    if (c->ops[i].flops == flops && c->ops[i].bytes == bytes) return true;
  return false;
}

static bool has_comm_bytes(const trace_class *c, trace_op_kind k, double bytes) {
  for (uint32_t i = 0; i < c->n_ops; i++)
    if (c->ops[i].kind == k && c->ops[i].bytes == bytes) return true;
  return false;
}

/* Rank 0's mb0.transformer.0.mha.qkv@0_COMP: num_ops 805,306,368 = 512*1024*1536 MACs, tensor_size
 * 786,432 = 512*1536 elements; the first TP all-gather: comm_size 262,144 elements. */
static void test_stg_macs_become_flops_and_elements_become_bytes(void **state) {
  (void)state;
  trace *t;
  chakra_import_stats s;
  ts_err err = {0};
  assert_int_equal(import(GPT16, &t, &s, &err), TS_OK);
  assert_true(s.stg);
  assert_true(s.converted);
  assert_int_equal(s.elem_bytes, 2);
  assert_true(has_op(&t->classes[0], 2.0 * 512 * 1024 * 1536, 2.0 * 512 * 1536));
  assert_true(has_comm_bytes(&t->classes[0], TRACE_OP_ALL_GATHER, 2.0 * 256 * 1024));
  assert_int_equal(t->classes[0].ops[0].dtype, HW_BF16);
  trace_free(t);
}

static void test_stg_elem_bytes_flag_scales_sizes(void **state) {
  (void)state;
  trace *t;
  ts_err err = {0};
  chakra_import_options opt = {.elem_bytes = 4};
  assert_int_equal(chakra_import(GPT16, NULL, &opt, &t, NULL, &err), TS_OK);
  assert_true(has_op(&t->classes[0], 2.0 * 512 * 1024 * 1536, 4.0 * 512 * 1536));
  assert_true(has_comm_bytes(&t->classes[0], TRACE_OP_ALL_GATHER, 4.0 * 256 * 1024));
  assert_int_equal(t->classes[0].ops[0].dtype, HW_FP32);
  trace_free(t);
}

static void test_as_astra_sim_reads_stg_fields_as_flops_and_bytes(void **state) {
  (void)state;
  trace *t;
  chakra_import_stats s;
  ts_err err = {0};
  chakra_import_options opt = {.as_astra_sim = true};
  assert_int_equal(chakra_import(GPT16, NULL, &opt, &t, &s, &err), TS_OK);
  assert_true(s.stg);
  assert_false(s.converted);
  assert_true(has_op(&t->classes[0], 512.0 * 1024 * 1536, 512.0 * 1536));
  assert_true(has_comm_bytes(&t->classes[0], TRACE_OP_ALL_GATHER, 256.0 * 1024));
  trace_free(t);
}

static void test_gpt16_groups_given_explicitly_match_the_default(void **state) {
  (void)state;
  trace *t;
  chakra_import_stats s;
  ts_err err = {0};
  assert_int_equal(chakra_import(GPT16, GPT16 ".json", NULL, &t, &s, &err), TS_OK);
  assert_int_equal(t->n_classes, 2);
  assert_string_equal(s.groups_path, GPT16 ".json");
  trace_free(t);
}

/* ---- micro: the Chakra project's own generator, 4 ranks
 * --------------------------------------------- */
static trace *import_micro(const char *name, chakra_import_stats *s) {
  char prefix[512];
  snprintf(prefix, sizeof prefix, MICRO "%s", name);
  trace *t;
  ts_err err = {0};
  if (import(prefix, &t, s, &err)) fail_msg("%s: %s", name, err.msg);
  assert_int_equal(t->ranks, 4);
  assert_int_equal(t->n_classes, 1);
  assert_int_equal(s->nodes, 4 * t->classes[0].n_ops + (t->classes[0].n_ops ? 0 : 4));
  return t;
}

static void test_micro_collectives_import_on_the_world_communicator(void **state) {
  (void)state;
  static const struct {
    const char *file;
    trace_op_kind kind;
    double bytes;
    bool approx;
  } CASES[] = {{"ALL_GATHER", TRACE_OP_ALL_GATHER, 65536, false},
               {"ALL_REDUCE", TRACE_OP_ALL_REDUCE, 65536, false},
               {"ALL_TO_ALL", TRACE_OP_ALL_TO_ALL, 65536, false},
               {"REDUCE_SCATTER", TRACE_OP_REDUCE_SCATTER, 65536, false},
               {"BROADCAST", TRACE_OP_ALL_GATHER, 65536, true},
               {"BARRIER", TRACE_OP_ALL_REDUCE, 0, true}};
  for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
    chakra_import_stats s;
    trace *t = import_micro(CASES[i].file, &s);
    assert_int_equal(t->classes[0].n_ops, 1);
    const trace_op *o = &t->classes[0].ops[0];
    assert_int_equal(o->kind, CASES[i].kind);
    assert_true(o->bytes == CASES[i].bytes);
    assert_int_equal(t->comms[o->comm].size, 4);
    assert_int_equal(t->comms[o->comm].stride, 1);
    assert_int_equal(s.approx_colls, CASES[i].approx ? 4 : 0);
    assert_false(s.stg);
    trace_free(t);
  }
}

static void test_micro_comp_with_only_a_duration_imports_with_zero_flops(void **state) {
  (void)state;
  chakra_import_stats s;
  trace *t = import_micro("one_comp_node", &s);
  assert_int_equal(t->classes[0].n_ops, 1);
  assert_int_equal(t->classes[0].ops[0].kind, TRACE_OP_ELEMENTWISE);
  assert_true(t->classes[0].ops[0].flops == 0);
  assert_int_equal(s.duration_only, 4);
  trace_free(t);
}

static void test_micro_memory_nodes_become_memory_ops_with_their_bytes(void **state) {
  (void)state;
  const char *files[] = {"one_remote_mem_load_node", "one_remote_mem_store_node"};
  for (int i = 0; i < 2; i++) {
    chakra_import_stats s;
    trace *t = import_micro(files[i], &s);
    assert_int_equal(t->classes[0].n_ops, 1);
    assert_int_equal(t->classes[0].ops[0].kind, TRACE_OP_ELEMENTWISE);
    assert_true(t->classes[0].ops[0].flops == 0);
    trace_free(t);
  }
}

static void test_micro_metadata_node_with_every_attribute_kind_is_no_op(void **state) {
  (void)state;
  chakra_import_stats s;
  trace *t = import_micro("one_metadata_node_all_types", &s);
  assert_int_equal(t->classes[0].n_ops, 0);
  assert_int_equal(s.metadata_nodes, 4);
  trace_free(t);
}

static void test_micro_two_comp_nodes_keep_their_dependency(void **state) {
  (void)state;
  chakra_import_stats s;
  trace *t = import_micro("two_comp_nodes_dependent", &s);
  const trace_class *c = &t->classes[0];
  assert_int_equal(c->n_ops, 2);
  assert_int_equal(c->n_deps, 1);
  assert_int_equal(c->ops[1].dep_count, 1);
  assert_int_equal(c->deps[c->ops[1].dep_first], 0);
  trace_free(t);
  t = import_micro("two_comp_nodes_independent", &s);
  assert_int_equal(t->classes[0].n_ops, 2);
  assert_int_equal(t->classes[0].n_deps, 0);
  trace_free(t);
}

/* Chakra's generator writes send/recv without peers; trainsim needs them to pair messages. */
static void test_micro_send_and_recv_without_peers_are_refused(void **state) {
  (void)state;
  expect_error(MICRO "one_comm_send_node", NULL, "one_comm_send_node.0.et: byte 8: node id 56",
               "needs comm_dst, comm_tag and comm_size");
  expect_error(MICRO "one_comm_recv_node", NULL, "one_comm_recv_node.0.et: byte 8: node id 60",
               "needs comm_src, comm_tag and comm_size");
}

/* ---- hand-made files
 * ----------------------------------------------------------------------------- */
static void test_nodes_out_of_order_and_metadata_deps_are_sorted_and_passed_on(void **state) {
  (void)state;
  tmpdir d;
  tmp_make(&d);
  etfile f;
  pb n;
  et_begin(&f);
  comp(&n, 30, 3); /* depends on the metadata node 20, which depends on 10: listed first */
  node_dep(&n, 20);
  et_record(&f, &n);
  node_begin(&n, 20, T_META);
  node_dep(&n, 10);
  et_record(&f, &n);
  comp(&n, 10, 1);
  et_record(&f, &n);
  comp(&n, 11, 2); /* is_cpu_op: skipped like metadata */
  attr_int(&n, "is_cpu_op", INT32_VAL, 1);
  et_record(&f, &n);
  tmp_rank(&d, 0, &f);
  trace *t;
  chakra_import_stats s;
  ts_err err = {0};
  assert_int_equal(import(d.prefix, &t, &s, &err), TS_OK);
  const trace_class *c = &t->classes[0];
  assert_int_equal(c->n_ops, 2);
  assert_true(c->ops[0].flops == 1);
  assert_true(c->ops[1].flops == 3);
  assert_int_equal(c->ops[1].dep_count, 1);
  assert_int_equal(c->deps[c->ops[1].dep_first], 0);
  assert_int_equal(s.metadata_nodes, 1);
  assert_int_equal(s.cpu_nodes, 1);
  trace_free(t);
  tmp_remove(&d);
}

/* Ranks 0 and 1 run the same program on their own TP pair; rank 2 and 3 likewise: one class. A
 * send from 0 to 2 and from 1 to 3 pairs with their recvs. */
static void write_four_ranks(const tmpdir *d, int64_t rank3_bytes) {
  for (int r = 0; r < 4; r++) {
    etfile f;
    pb n;
    et_begin(&f);
    coll(&n, 1, 0, r == 3 ? rank3_bytes : 1000, r < 2 ? "1" : "2");
    et_record(&f, &n);
    p2p(&n, 2, r < 2, r < 2 ? r + 2 : r - 2, 7, 64);
    node_dep(&n, 1);
    et_record(&f, &n);
    tmp_rank(d, r, &f);
  }
}
static const char GROUPS4[] = "{\"1\": [0, 1], \"2\": [2, 3]}";

static void test_four_ranks_fold_into_sender_and_receiver_classes(void **state) {
  (void)state;
  tmpdir d;
  tmp_make(&d);
  write_four_ranks(&d, 1000);
  tmp_write(&d, ".json", GROUPS4, strlen(GROUPS4));
  trace *t;
  ts_err err = {0};
  assert_int_equal(import(d.prefix, &t, NULL, &err), TS_OK);
  assert_int_equal(t->n_classes, 2);
  assert_int_equal(t->classes[0].ranks, 2);
  assert_int_equal(t->classes[0].ops[1].kind, TRACE_OP_SEND);
  assert_int_equal(t->classes[0].ops[1].peer, 1);
  assert_int_equal(t->classes[1].ops[1].kind, TRACE_OP_RECV);
  assert_int_equal(t->classes[1].ops[1].peer, 0);
  trace_free(t);
  tmp_remove(&d);
}

static void test_ranks_that_disagree_on_a_collective_size_are_named(void **state) {
  (void)state;
  tmpdir d;
  tmp_make(&d);
  write_four_ranks(&d, 2000);
  tmp_write(&d, ".json", GROUPS4, strlen(GROUPS4));
  expect_error(d.prefix, NULL, "ranks 2 and 3 disagree on collective #0", "rank 3 node id 1 (");
  tmp_remove(&d);
}

static void test_rank_outside_its_group_is_a_mismatched_group(void **state) {
  (void)state;
  tmpdir d;
  tmp_make(&d);
  write_four_ranks(&d, 1000);
  const char *bad = "{\"1\": [0, 2], \"2\": [1, 3]}";
  tmp_write(&d, ".json", bad, strlen(bad));
  expect_error(d.prefix, NULL, "w.1.et: byte 8: node id 1", "mismatched comm group: rank 1");
  tmp_remove(&d);
}

static void test_irregular_group_is_refused(void **state) {
  (void)state;
  tmpdir d;
  tmp_make(&d);
  write_four_ranks(&d, 1000);
  const char *bad = "{\"1\": [0, 1, 3], \"2\": [2, 3]}";
  tmp_write(&d, ".json", bad, strlen(bad));
  expect_error(d.prefix, NULL, "group \"1\" (3 ranks from 0) is not ranks r, r+s", NULL);
  tmp_remove(&d);
}

static void test_malformed_group_json_names_the_byte(void **state) {
  (void)state;
  tmpdir d;
  tmp_make(&d);
  write_four_ranks(&d, 1000);
  tmp_write(&d, ".json", "{\"1\": [0, 1", 11);
  char want[256];
  snprintf(want, sizeof want, "%s.json: byte 11: malformed JSON", d.prefix);
  expect_error(d.prefix, NULL, want, NULL);
  tmp_write(&d, ".json", "{\"1\": [0, 9]}", 13);
  expect_error(d.prefix, NULL, "group \"1\": entry 1 is not a rank in 0..3", NULL);
  tmp_write(&d, ".json", "[0, 1]", 6);
  expect_error(d.prefix, NULL, "byte 0: expected an object mapping group ids to rank lists", NULL);
  trace *t;
  ts_err err = {0};
  assert_int_not_equal(chakra_import(d.prefix, "/nonexistent.json", NULL, &t, NULL, &err), TS_OK);
  assert_non_null(strstr(err.msg, "/nonexistent.json"));
  tmp_remove(&d);
}

static void test_pg_name_without_a_group_file_is_refused(void **state) {
  (void)state;
  tmpdir d;
  tmp_make(&d);
  write_four_ranks(&d, 1000);
  expect_error(d.prefix, NULL, "pg_name \"1\" but no comm-group file", NULL);
  tmp_remove(&d);
}

/* Captured PyTorch traces list their process groups in a METADATA node's inputs.values. */
static void write_pytorch_ranks(const tmpdir *d, const char *groups1) {
  for (int r = 0; r < 2; r++) {
    etfile f;
    pb n, io = {.n = 0};
    et_begin(&f);
    node_begin(&n, 1, T_META);
    pb_str(&io, 1, r == 1 && groups1 ? groups1 : "[{\"pg_name\": \"5\", \"ranks\": [0, 1]}]");
    pb_bytes(&n, 8, io.b, io.n);
    et_record(&f, &n);
    coll(&n, 2, 2, 4096, "5");
    node_dep(&n, 1);
    et_record(&f, &n);
    tmp_rank(d, r, &f);
  }
}

static void test_pytorch_process_groups_in_metadata_nodes_are_used(void **state) {
  (void)state;
  tmpdir d;
  tmp_make(&d);
  write_pytorch_ranks(&d, NULL);
  trace *t;
  chakra_import_stats s;
  ts_err err = {0};
  assert_int_equal(import(d.prefix, &t, &s, &err), TS_OK);
  assert_string_equal(s.groups_path, "the METADATA nodes' process groups");
  assert_int_equal(t->n_classes, 1);
  assert_int_equal(t->classes[0].n_ops, 1);
  assert_int_equal(t->classes[0].ops[0].kind, TRACE_OP_ALL_GATHER);
  assert_int_equal(t->comms[t->classes[0].ops[0].comm].size, 2);
  trace_free(t);
  write_pytorch_ranks(&d, "[{\"pg_name\": \"5\", \"ranks\": [1]}]");
  expect_error(d.prefix, NULL, "w.1.et: byte 8: node id 1: process group \"5\" has other ranks",
               NULL);
  tmp_remove(&d);
}

static void test_send_without_a_matching_recv_is_named(void **state) {
  (void)state;
  tmpdir d;
  tmp_make(&d);
  for (int r = 0; r < 2; r++) {
    etfile f;
    pb n;
    et_begin(&f);
    p2p(&n, 5, r == 0, 1 - r, r == 0 ? 7 : 8, 64); /* tags differ */
    et_record(&f, &n);
    tmp_rank(&d, r, &f);
  }
  expect_error(d.prefix, NULL, "rank 0 node id 5 (",
               "sends to rank 1 with tag 7, but rank 1 has no recv");
  tmp_remove(&d);
}

static void test_missing_rank_file_is_named(void **state) {
  (void)state;
  tmpdir d;
  tmp_make(&d);
  etfile f;
  pb n;
  et_begin(&f);
  comp(&n, 1, 1);
  et_record(&f, &n);
  tmp_rank(&d, 0, &f);
  tmp_rank(&d, 2, &f);
  char want[256];
  snprintf(want, sizeof want, "%s.1.et: missing (ranks must be 0..2", d.prefix);
  expect_error(d.prefix, NULL, want, NULL);
  tmp_remove(&d);
  trace *t;
  ts_err err = {0};
  assert_int_equal(import("/nonexistent-folder/w", &t, NULL, &err), TS_ENOTFOUND);
}

/* One rank file whose bytes are data[0..n); expects the error's needle. */
static void expect_file_error(const unsigned char *data, size_t n, const char *needle) {
  tmpdir d;
  tmp_make(&d);
  tmp_write(&d, ".0.et", data, n);
  expect_error(d.prefix, NULL, needle, NULL);
  tmp_remove(&d);
}

/* Two ranks (or three), each file built from its nodes; expects the import error's needles. */
typedef void (*rank_fn)(int rank, etfile *f);
static void expect_ranks_error(int ranks, rank_fn fn, const char *n1, const char *n2) {
  tmpdir d;
  tmp_make(&d);
  for (int r = 0; r < ranks; r++) {
    etfile f;
    et_begin(&f);
    fn(r, &f);
    tmp_rank(&d, r, &f);
  }
  expect_error(d.prefix, NULL, n1, n2);
  tmp_remove(&d);
}

static void one_fewer_collective(int rank, etfile *f) {
  pb n;
  for (int k = 0; k < (rank == 0 ? 2 : 1); k++) {
    coll(&n, 10 + (uint64_t)k, 0, 100, NULL);
    et_record(f, &n);
  }
}
static void recv_smaller(int rank, etfile *f) {
  pb n;
  p2p(&n, 5, rank == 0, 1 - rank, 7, rank == 0 ? 64 : 32);
  et_record(f, &n);
}
static void recv_without_send(int rank, etfile *f) {
  pb n;
  if (rank == 1)
    p2p(&n, 5, false, 0, 7, 64);
  else
    comp(&n, 5, 1);
  et_record(f, &n);
}
static void peer_out_of_range(int rank, etfile *f) {
  pb n;
  p2p(&n, 5, true, rank == 0 ? 5 : 0, 7, 64);
  et_record(f, &n);
}
static void peer_two_apart_of_three(int rank, etfile *f) {
  pb n;
  if (rank == 0)
    p2p(&n, 5, true, 2, 7, 64);
  else
    comp(&n, 5, 1);
  et_record(f, &n);
}
static void coll_without_type(int rank, etfile *f) {
  pb n;
  node_begin(&n, 3, T_COLL);
  if (rank == 0)
    attr_int(&n, "comm_size", INT64_VAL, 8);
  else
    attr_int(&n, "comm_type", INT64_VAL, 0);
  et_record(f, &n);
}
static void mixed_writers(int rank, etfile *f) {
  if (rank == 1) {
    pb meta = {.n = 0}, a = {.n = 0};
    pb_str(&a, 1, "schema");
    pb_str(&a, 29, "symbolic_tensor_network");
    pb_bytes(&meta, 2, a.b, a.n);
    f->n = 0;
    et_record(f, &meta);
  }
  pb n;
  comp(&n, 1, 1);
  et_record(f, &n);
}

static void test_collective_missing_on_one_rank_is_named(void **state) {
  (void)state;
  expect_ranks_error(2, one_fewer_collective,
                     "ranks 0 and 1 disagree on group \"0\": rank 0 issues "
                     "collective #1, node id 11",
                     "rank 1 has no collective #1");
}

static void test_send_recv_size_mismatch_and_lone_recv_are_named(void **state) {
  (void)state;
  expect_ranks_error(2, recv_smaller, "rank 0 node id 5 (",
                     "sends 64 bytes to rank 1 (tag 7), but "
                     "rank 1 node id 5");
  expect_ranks_error(2, recv_without_send, "rank 1 node id 5 (",
                     "receives from rank 0 with tag 7, "
                     "but rank 0 has no send to rank 1");
}

static void test_unusable_peers_are_refused(void **state) {
  (void)state;
  expect_ranks_error(2, peer_out_of_range,
                     "node id 5 (COMM_SEND_NODE): peer rank 5, expected 0..1 "
                     "other than 0",
                     NULL);
  expect_ranks_error(3, peer_two_apart_of_three, "no communicator of stride 2 holds ranks 0 and 2",
                     NULL);
}

static void test_collective_without_type_or_size_and_mixed_writers_are_refused(void **state) {
  (void)state;
  expect_ranks_error(2, coll_without_type,
                     "w.0.et: byte 8: node id 3 (COMM_COLL_NODE): no "
                     "comm_type attribute",
                     NULL);
  expect_ranks_error(2, mixed_writers, "w.1.et: byte 0: written by another tool", NULL);
}

static void test_attribute_values_out_of_range_are_named(void **state) {
  (void)state;
  etfile f;
  pb n;
  et_begin(&f);
  node_begin(&n, 4, T_COMP);
  attr_int(&n, "tensor_size", UINT64_VAL, (int64_t)(UINT64_C(1) << 63));
  et_record(&f, &n);
  expect_file_error(f.b, f.n, "attribute tensor_size = 9223372036854775808 is out of range");
  et_begin(&f);
  node_begin(&n, 4, T_COLL);
  attr_int(&n, "comm_size", INT64_VAL, -5);
  et_record(&f, &n);
  expect_file_error(f.b, f.n, "attribute comm_size = -5, expected >= 0");
  et_begin(&f);
  node_begin(&n, 4, T_COMP);
  attr_str(&n, "is_cpu_op", "no");
  et_record(&f, &n);
  expect_file_error(f.b, f.n,
                    "attribute is_cpu_op has value field 29, expected bool_val or an "
                    "integer");
  et_begin(&f);
  node_begin(&n, 4, T_COLL);
  attr_int(&n, "pg_name", INT64_VAL, 3);
  et_record(&f, &n);
  expect_file_error(f.b, f.n, "attribute pg_name has value field 9, expected string_val");
}

static void test_bad_trainsim_attributes_are_named(void **state) {
  (void)state;
  etfile f;
  pb n, meta = {.n = 0}, a = {.n = 0};
  pb_str(&a, 1, "schema");
  pb_str(&a, 29, "trainsim");
  pb_bytes(&meta, 2, a.b, a.n);
  f.n = 0;
  et_record(&f, &meta);
  size_t start = f.n;
  comp(&n, 4, 1);
  attr_str(&n, "ts_op", "bogus");
  et_record(&f, &n);
  char want[128];
  snprintf(want, sizeof want,
           "byte %zu: node id 4: attribute ts_op = 'bogus' is not a trainsim "
           "name",
           start);
  expect_file_error(f.b, f.n, want);
}

static void test_truncated_varint_and_length_past_end_name_the_byte(void **state) {
  (void)state;
  etfile f;
  et_begin(&f); /* 8 bytes: 07 0a 05 "0.0.4" */
  assert_int_equal(f.n, 8);
  f.b[f.n++] = 0x85; /* a length varint cut short */
  expect_file_error(f.b, f.n, ".0.et: byte 8: truncated length varint");
  f.b[f.n - 1] = 0x05; /* a 5-byte record with 2 bytes left */
  f.b[f.n++] = 0x08;
  f.b[f.n++] = 0x01;
  expect_file_error(f.b, f.n,
                    ".0.et: byte 8: message length 5 runs past the end of the file (2 "
                    "bytes left)");
  expect_file_error(f.b, 0, ".0.et: byte 0: empty file");
  unsigned char huge[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
  expect_file_error(huge, sizeof huge, "exceeds the limit");
}

static void test_unknown_node_type_bad_record_and_wrong_attr_kind_are_named(void **state) {
  (void)state;
  etfile f;
  pb n;
  et_begin(&f);
  node_begin(&n, 4, 9);
  et_record(&f, &n);
  expect_file_error(f.b, f.n, ".0.et: byte 8: node id 4 has type 9, expected 1..7");
  et_begin(&f);
  node_begin(&n, 4, T_COMP);
  attr_str(&n, "num_ops", "many");
  et_record(&f, &n);
  expect_file_error(f.b, f.n,
                    "byte 8: node id 4: attribute num_ops has value field 29, expected "
                    "an integer");
  et_begin(&f);
  pb junk = {.n = 3, .b = {0x0a, 0x05, 0x01}}; /* a string field longer than its record */
  et_record(&f, &junk);
  expect_file_error(f.b, f.n, "byte 8: record of 3 bytes does not parse as ChakraProtoMsg.Node");
  et_begin(&f);
  coll(&n, 4, 12, 10, NULL);
  et_record(&f, &n);
  expect_file_error(f.b, f.n, "node id 4 (COMM_COLL_NODE): comm_type 12, expected 0..9");
}

static void test_either_integer_signedness_is_accepted(void **state) {
  (void)state;
  tmpdir d;
  tmp_make(&d);
  etfile f;
  pb n;
  et_begin(&f);
  node_begin(&n, 1, T_COMP);
  attr_int(&n, "num_ops", UINT64_VAL, 40);   /* uint64_val instead of int64_val */
  attr_int(&n, "tensor_size", INT64_VAL, 8); /* int64_val instead of uint64_val */
  attr_int(&n, "is_cpu_op", BOOL_VAL, 0);
  et_record(&f, &n);
  tmp_rank(&d, 0, &f);
  trace *t;
  ts_err err = {0};
  assert_int_equal(import(d.prefix, &t, NULL, &err), TS_OK);
  assert_true(t->classes[0].ops[0].flops == 40);
  assert_true(t->classes[0].ops[0].bytes == 8);
  trace_free(t);
  tmp_remove(&d);
}

static void test_dangling_dep_duplicate_id_and_cycle_name_the_node_ids(void **state) {
  (void)state;
  etfile f;
  pb n;
  et_begin(&f);
  comp(&n, 3, 1);
  node_dep(&n, 99);
  et_record(&f, &n);
  expect_file_error(f.b, f.n, "byte 8: node id 3 depends on node id 99, which is not in the file");
  et_begin(&f);
  comp(&n, 3, 1);
  et_record(&f, &n);
  size_t second = f.n;
  et_record(&f, &n);
  char want[128];
  snprintf(want, sizeof want, "byte %zu: node id 3 already used by the node at byte 8", second);
  expect_file_error(f.b, f.n, want);
  et_begin(&f);
  comp(&n, 1, 1);
  et_record(&f, &n);
  comp(&n, 2, 1);
  node_dep(&n, 3);
  et_record(&f, &n);
  comp(&n, 3, 1);
  node_dep(&n, 2);
  et_record(&f, &n);
  expect_file_error(f.b, f.n, "dependency cycle: node ids 2 -> 3 -> 2");
}

/* ---- export
 * ---------------------------------------------------------------------------------------- */
static void assert_same_program(const trace *a, const trace *b) {
  assert_int_equal(a->ranks, b->ranks);
  assert_int_equal(a->n_classes, b->n_classes);
  for (uint32_t ci = 0; ci < a->n_classes; ci++) {
    const trace_class *x = &a->classes[ci], *y = &b->classes[ci];
    assert_int_equal(x->first_rank, y->first_rank);
    assert_int_equal(x->ranks, y->ranks);
    assert_int_equal(x->n_ops, y->n_ops);
    assert_int_equal(x->n_deps, y->n_deps);
    assert_memory_equal(x->deps, y->deps, x->n_deps * sizeof *x->deps);
    for (uint32_t i = 0; i < x->n_ops; i++) {
      const trace_op *p = &x->ops[i], *q = &y->ops[i];
      assert_int_equal(p->kind, q->kind);
      assert_int_equal(p->dtype, q->dtype);
      assert_int_equal(p->phase, q->phase);
      assert_int_equal(p->stream, q->stream);
      assert_int_equal(p->flags, q->flags);
      assert_int_equal(p->layer, q->layer);
      assert_int_equal(p->micro, q->micro);
      assert_int_equal(p->peer, q->peer);
      assert_int_equal(p->m, q->m);
      assert_int_equal(p->n, q->n);
      assert_int_equal(p->k, q->k);
      assert_int_equal(p->count, q->count);
      assert_true(p->flops == q->flops);
      assert_true(p->bytes == q->bytes);
      assert_int_equal(p->dep_first, q->dep_first);
      assert_int_equal(p->dep_count, q->dep_count);
      if (trace_op_is_comm(p->kind)) {
        assert_string_equal(a->comms[p->comm].name, b->comms[q->comm].name);
        assert_int_equal(a->comms[p->comm].size, b->comms[q->comm].size);
        assert_int_equal(a->comms[p->comm].stride, b->comms[q->comm].stride);
      }
    }
  }
}

static void test_trainsim_to_chakra_to_trainsim_is_the_same_program(void **state) {
  (void)state;
  tmpdir d;
  tmp_make(&d);
  trace *t = fix_trace(), *back;
  chakra_export_stats es;
  chakra_import_stats is;
  ts_err err = {0};
  assert_int_equal(chakra_export(t, d.prefix, NULL, &es, &err), TS_OK);
  assert_int_equal(es.files, 8);
  assert_int_equal(es.nodes, 4 * 9 + 4 * 7);
  assert_int_equal(es.groups, 4 + 4); /* tp pairs and dp pairs; pp has only sends and recvs */
  assert_int_equal(import(d.prefix, &back, &is, &err), TS_OK);
  assert_true(is.trainsim_writer);
  assert_same_program(t, back);
  trace_free(back);
  trace_free(t);
  tmp_remove(&d);
}

static void test_gpt16_round_trips_through_the_exporter(void **state) {
  (void)state;
  tmpdir d;
  tmp_make(&d);
  trace *t, *back;
  ts_err err = {0};
  assert_int_equal(import(GPT16, &t, NULL, &err), TS_OK);
  assert_int_equal(chakra_export(t, d.prefix, NULL, NULL, &err), TS_OK);
  assert_int_equal(import(d.prefix, &back, NULL, &err), TS_OK);
  assert_same_program(t, back);
  trace_free(back);
  trace_free(t);
  tmp_remove(&d);
}

static void test_export_of_a_rank_list_writes_only_those_ranks(void **state) {
  (void)state;
  tmpdir d;
  tmp_make(&d);
  trace *t = fix_trace();
  int64_t ranks[] = {1, 6};
  chakra_export_options opt = {ranks, 2};
  chakra_export_stats es;
  ts_err err = {0};
  assert_int_equal(chakra_export(t, d.prefix, &opt, &es, &err), TS_OK);
  assert_int_equal(es.files, 2);
  char p[256];
  struct stat sb;
  snprintf(p, sizeof p, "%s.6.et", d.prefix);
  assert_int_equal(stat(p, &sb), 0);
  snprintf(p, sizeof p, "%s.0.et", d.prefix);
  assert_int_not_equal(stat(p, &sb), 0);
  int64_t bad[] = {8};
  opt = (chakra_export_options){bad, 1};
  assert_int_equal(chakra_export(t, d.prefix, &opt, NULL, &err), TS_EUSAGE);
  assert_non_null(strstr(err.msg, "rank 8 is not in the trace (0..7)"));
  assert_int_equal(chakra_export(t, "/nonexistent-folder/w", NULL, NULL, &err), TS_EIO);
  trace_free(t);
  tmp_remove(&d);
}

static double step_s(const trace *t, sim_fidelity fidelity) {
  hw_system sys;
  ts_err err = {0};
  if (hw_system_load("dgx-h100", &sys, &err)) fail_msg("%s", err.msg);
  sim_options opt = {.fidelity = fidelity};
  sim_result *r;
  if (sim_run(t, &sys, &opt, &r, &err)) fail_msg("%s", err.msg);
  double s = sim_result_report(r)->step_s;
  sim_result_free(r);
  return s;
}

/* The imported STG step replays, and both fidelities agree on it (it is symmetric). */
static void test_gpt16_replays_alike_in_symmetric_and_full_fidelity(void **state) {
  (void)state;
  trace *t;
  ts_err err = {0};
  assert_int_equal(import(GPT16, &t, NULL, &err), TS_OK);
  double sym = step_s(t, SIM_FIDELITY_SYMMETRIC), full = step_s(t, SIM_FIDELITY_FULL);
  assert_true(sym > 0);
  assert_true(sym == full);
  trace_free(t);
}

/* A native trace and its Chakra export, imported back, replay to the same step time. */
static void test_exported_and_reimported_trace_replays_like_the_native_one(void **state) {
  (void)state;
  tmpdir d;
  tmp_make(&d);
  trace *t = fix_trace(), *back;
  ts_err err = {0};
  assert_int_equal(chakra_export(t, d.prefix, NULL, NULL, &err), TS_OK);
  assert_int_equal(import(d.prefix, &back, NULL, &err), TS_OK);
  double native = step_s(t, SIM_FIDELITY_SYMMETRIC);
  assert_true(native > 0);
  assert_true(step_s(back, SIM_FIDELITY_SYMMETRIC) == native);
  assert_true(step_s(back, SIM_FIDELITY_FULL) == step_s(t, SIM_FIDELITY_FULL));
  trace_free(back);
  trace_free(t);
  tmp_remove(&d);
}

/* The golden trace: rank 0 runs a GEMM, an all-reduce over both ranks and sends to rank 1; rank 1
 * joins the all-reduce, receives, and runs an elementwise op. */
static trace *golden_trace(void) {
  trace *t = trace_new();
  t->ranks = t->chips = 2;
  trace_add_comm(t, "world", 2, 1);
  int32_t a = trace_add_class(t, "a", -1, 0, 1), b = trace_add_class(t, "b", -1, 1, 1);
  trace_op o = fix_gemm(TRACE_PHASE_FORWARD, -1);
  o.m = 2, o.n = 3, o.k = 4, o.flops = 48, o.bytes = 52;
  uint32_t d = 0;
  trace_add_op(t, a, &o, NULL, 0);
  o = fix_comm(TRACE_OP_ALL_REDUCE, TRACE_PHASE_FORWARD, 0, TRACE_STREAM_TP, -1, 1024);
  trace_add_op(t, a, &o, &d, 1);
  o = fix_comm(TRACE_OP_SEND, TRACE_PHASE_FORWARD, 0, TRACE_STREAM_PP_SEND, b, 512);
  d = 1;
  trace_add_op(t, a, &o, &d, 1);
  o = fix_comm(TRACE_OP_ALL_REDUCE, TRACE_PHASE_FORWARD, 0, TRACE_STREAM_TP, -1, 1024);
  trace_add_op(t, b, &o, NULL, 0);
  o = fix_comm(TRACE_OP_RECV, TRACE_PHASE_FORWARD, 0, TRACE_STREAM_PP_RECV, a, 512);
  trace_add_op(t, b, &o, NULL, 0);
  o = fix_op(TRACE_OP_ELEMENTWISE, TRACE_PHASE_FORWARD, -1);
  o.bytes = 2048;
  o.flops = 512;
  d = 1;
  trace_add_op(t, b, &o, &d, 1);
  return t;
}

/* protoc --decode of every record of path (after its varint length), into one text. */
static char *decode_with_protoc(const char *path) {
  char *data;
  size_t len;
  ts_err err = {0};
  assert_int_equal(ts_read_file(path, 1 << 20, &data, &len, &err), TS_OK);
  size_t cap = 1 << 16, n = 0;
  char *out = calloc(cap, 1);
  size_t pos = 0;
  for (int k = 0; pos < len; k++) {
    uint64_t m = 0;
    for (int shift = 0;; shift += 7) {
      unsigned char byte = (unsigned char)data[pos++];
      m |= (uint64_t)(byte & 0x7f) << shift;
      if (!(byte & 0x80)) break;
    }
    char rec[256], cmd[1024];
    snprintf(rec, sizeof rec, "%s.rec", path);
    FILE *fp = fopen(rec, "wb");
    fwrite(data + pos, 1, m, fp);
    fclose(fp);
    pos += m;
    snprintf(cmd, sizeof cmd,
             "protoc --proto_path=%s/../traces/chakra --decode=ChakraProtoMsg.%s "
             "chakra.proto < %s",
             TESTS_DIR, k ? "Node" : "GlobalMetadata", rec);
    FILE *pp = popen(cmd, "r");
    assert_non_null(pp);
    n += (size_t)snprintf(out + n, cap - n, "# record %d\n", k);
    n += fread(out + n, 1, cap - n - 1, pp);
    assert_int_equal(pclose(pp), 0);
    unlink(rec);
  }
  free(data);
  return out;
}

static void assert_file_text(const char *golden, const char *text) {
  char *want;
  size_t len;
  ts_err err = {0};
  assert_int_equal(ts_read_file(golden, 1 << 20, &want, &len, &err), TS_OK);
  assert_string_equal(text, want);
  free(want);
}

static void test_exported_files_decode_with_protoc_to_the_golden_text(void **state) {
  (void)state;
  if (system("protoc --version > /dev/null 2>&1") != 0) skip(); /* Debian protobuf-compiler */
  tmpdir d;
  tmp_make(&d);
  trace *t = golden_trace();
  ts_err err = {0};
  assert_int_equal(chakra_export(t, d.prefix, NULL, NULL, &err), TS_OK);
  for (int r = 0; r < 2; r++) {
    char path[256], golden[512];
    snprintf(path, sizeof path, "%s.%d.et", d.prefix, r);
    snprintf(golden, sizeof golden, TESTS_DIR "/data/chakra/golden/tiny.%d.txt", r);
    char *text = decode_with_protoc(path);
    assert_file_text(golden, text);
    free(text);
  }
  char path[256], *json;
  size_t len;
  snprintf(path, sizeof path, "%s.json", d.prefix);
  assert_int_equal(ts_read_file(path, 1 << 20, &json, &len, &err), TS_OK);
  assert_string_equal(json, "{\"1\":[0,1]}");
  free(json);
  trace_free(t);
  tmp_remove(&d);
}

int main(int argc, char **argv) {
  (void)argc, (void)argv;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_gpt16_imports_16_ranks_in_2_classes_one_per_stage),
      cmocka_unit_test(test_gpt16_keeps_every_dependency_and_node_type),
      cmocka_unit_test(test_gpt16_groups_become_tp_dp_and_pp_communicators),
      cmocka_unit_test(test_stg_macs_become_flops_and_elements_become_bytes),
      cmocka_unit_test(test_stg_elem_bytes_flag_scales_sizes),
      cmocka_unit_test(test_as_astra_sim_reads_stg_fields_as_flops_and_bytes),
      cmocka_unit_test(test_gpt16_groups_given_explicitly_match_the_default),
      cmocka_unit_test(test_micro_collectives_import_on_the_world_communicator),
      cmocka_unit_test(test_micro_comp_with_only_a_duration_imports_with_zero_flops),
      cmocka_unit_test(test_micro_memory_nodes_become_memory_ops_with_their_bytes),
      cmocka_unit_test(test_micro_metadata_node_with_every_attribute_kind_is_no_op),
      cmocka_unit_test(test_micro_two_comp_nodes_keep_their_dependency),
      cmocka_unit_test(test_micro_send_and_recv_without_peers_are_refused),
      cmocka_unit_test(test_nodes_out_of_order_and_metadata_deps_are_sorted_and_passed_on),
      cmocka_unit_test(test_four_ranks_fold_into_sender_and_receiver_classes),
      cmocka_unit_test(test_ranks_that_disagree_on_a_collective_size_are_named),
      cmocka_unit_test(test_rank_outside_its_group_is_a_mismatched_group),
      cmocka_unit_test(test_irregular_group_is_refused),
      cmocka_unit_test(test_malformed_group_json_names_the_byte),
      cmocka_unit_test(test_pg_name_without_a_group_file_is_refused),
      cmocka_unit_test(test_pytorch_process_groups_in_metadata_nodes_are_used),
      cmocka_unit_test(test_send_without_a_matching_recv_is_named),
      cmocka_unit_test(test_missing_rank_file_is_named),
      cmocka_unit_test(test_truncated_varint_and_length_past_end_name_the_byte),
      cmocka_unit_test(test_unknown_node_type_bad_record_and_wrong_attr_kind_are_named),
      cmocka_unit_test(test_either_integer_signedness_is_accepted),
      cmocka_unit_test(test_dangling_dep_duplicate_id_and_cycle_name_the_node_ids),
      cmocka_unit_test(test_collective_missing_on_one_rank_is_named),
      cmocka_unit_test(test_send_recv_size_mismatch_and_lone_recv_are_named),
      cmocka_unit_test(test_unusable_peers_are_refused),
      cmocka_unit_test(test_collective_without_type_or_size_and_mixed_writers_are_refused),
      cmocka_unit_test(test_attribute_values_out_of_range_are_named),
      cmocka_unit_test(test_bad_trainsim_attributes_are_named),
      cmocka_unit_test(test_trainsim_to_chakra_to_trainsim_is_the_same_program),
      cmocka_unit_test(test_gpt16_round_trips_through_the_exporter),
      cmocka_unit_test(test_export_of_a_rank_list_writes_only_those_ranks),
      cmocka_unit_test(test_gpt16_replays_alike_in_symmetric_and_full_fidelity),
      cmocka_unit_test(test_exported_and_reimported_trace_replays_like_the_native_one),
      cmocka_unit_test(test_exported_files_decode_with_protoc_to_the_golden_text),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
