/* trainsim trace export --chakra: a trainsim trace → one Chakra .et per rank and the comm-group
 * JSON, in the form ASTRA-sim's Chakra feeder reads (shared/specs/CHAKRA.md):
 *   GlobalMetadata: version "0.0.4" (the Chakra schema version ASTRA-sim 2.x's pinned chakra and
 *     STG's chakra_00_4_backend write; the feeder does not check it) and attr schema = "trainsim".
 *   One Node per op of the rank's class program, id = op index, deps as data_deps:
 *     compute ops → COMP_NODE with num_ops (int64_val, FLOPs), tensor_size (uint64_val, bytes),
 *       is_cpu_op (bool_val false);
 *     collectives → COMM_COLL_NODE with comm_type (int64_val), comm_size (int64_val, bytes),
 *       pg_name (string_val: the id of the rank's group in the JSON);
 *     send / recv → COMM_SEND_NODE / COMM_RECV_NODE with comm_src, comm_dst, comm_tag (int32_val)
 *       and comm_size: the peer is the rank of the peer class in the rank's group on the op's
 *       communicator (as the replay pairs them), the tag the op's order of issue between the two
 *       classes, so the k-th send meets the k-th recv.
 *   and ts_* attributes (op kind, dtype, phase, stream, layer, micro-batch, flags, GEMM shape,
 *   exact FLOPs and bytes as double_val, communicator name) that other readers ignore and that
 *   make trainsim → Chakra → trainsim the same program.
 *   JSON: {"1": [ranks], ...}, one entry per group of every communicator a collective uses.
 * Everything of a rank is encoded before its file is written (whole or nothing, ts_io); if a
 * later file fails, the files this call wrote are removed. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chakra.pb-c.h"
#include "hw/base/ts_io.h"
#include "traces/chakra/chakra_int.h"

typedef ChakraProtoMsg__AttributeProto attr_t;
#define VAL(x) CHAKRA_PROTO_MSG__ATTRIBUTE_PROTO__VALUE_##x

enum { MAX_ATTRS = 24 };

/* The attributes of one node, built on the stack. */
typedef struct attrs {
  attr_t a[MAX_ATTRS];
  attr_t *p[MAX_ATTRS];
  size_t n;
  char pg[32];
} attrs;

static attr_t *add(attrs *s, const char *name, int value_case) {
  attr_t *a = &s->a[s->n];
  chakra_proto_msg__attribute_proto__init(a);
  a->name = (char *)name;
  a->value_case = (ChakraProtoMsg__AttributeProto__ValueCase)value_case;
  s->p[s->n++] = a;
  return a;
}
static void add_i64(attrs *s, const char *name, int64_t v) {
  add(s, name, VAL(INT64_VAL))->int64_val = v;
}
static void add_i32(attrs *s, const char *name, int32_t v) {
  add(s, name, VAL(INT32_VAL))->int32_val = v;
}
static void add_str(attrs *s, const char *name, const char *v) {
  add(s, name, VAL(STRING_VAL))->string_val = (char *)v;
}
static void add_dbl(attrs *s, const char *name, double v) {
  add(s, name, VAL(DOUBLE_VAL))->double_val = v;
}

static const int64_t COMM_TYPE_OF[TRACE_OP_KIND_COUNT] = {
    [TRACE_OP_ALL_REDUCE] = CHAKRA_ALL_REDUCE,
    [TRACE_OP_ALL_GATHER] = CHAKRA_ALL_GATHER,
    [TRACE_OP_REDUCE_SCATTER] = CHAKRA_REDUCE_SCATTER,
    [TRACE_OP_ALL_TO_ALL] = CHAKRA_ALL_TO_ALL};

/* The export plan: which class each rank runs, group ids, tags. */
typedef struct xplan {
  const trace *t;
  uint32_t *class_of;                   /* per rank */
  int64_t group_first[TRACE_MAX_COMMS]; /* JSON id of comm m's first group, 0: no groups */
  uint32_t **tag; /* per class, per op: order of issue between the two classes */
} xplan;

static bool is_p2p(uint8_t k) {
  return k == TRACE_OP_SEND || k == TRACE_OP_RECV;
}
static bool is_coll(uint8_t k) {
  return trace_op_is_comm((trace_op_kind)k) && !is_p2p(k);
}

static int64_t group_id(const xplan *x, uint32_t m, int64_t rank) {
  const trace_comm *c = &x->t->comms[m];
  int64_t base = chakra_comm_base(c->size, c->stride, rank), block = c->size * c->stride;
  return x->group_first[m] + (base / block) * c->stride + base % block;
}

/* The rank of class peer in rank's group on comm m (the replay's rule), or -1. */
static int64_t peer_rank(const xplan *x, uint32_t m, int64_t rank, int32_t peer) {
  const trace_comm *c = &x->t->comms[m];
  int64_t base = chakra_comm_base(c->size, c->stride, rank);
  for (int64_t k = 0; k < c->size; k++)
    if (x->class_of[base + k * c->stride] == (uint32_t)peer) return base + k * c->stride;
  return -1;
}

/* trainsim's own attributes, each only where the standard ones do not already say it. */
static void ts_attrs(attrs *s, const trace *t, const trace_op *o) {
  bool comm = trace_op_is_comm((trace_op_kind)o->kind);
  add_str(s, "ts_op", trace_op_kind_name((trace_op_kind)o->kind));
  add_str(s, "ts_dtype", hw_dtype_name((hw_dtype)o->dtype));
  add_str(s, "ts_phase", trace_phase_name((trace_phase)o->phase));
  add_str(s, "ts_stream", trace_stream_name((trace_stream)o->stream));
  if (comm) add_str(s, "ts_comm", t->comms[o->comm].name);
  if (o->layer != TRACE_NO_LAYER) add_i64(s, "ts_layer", o->layer);
  if (o->micro) add_i64(s, "ts_micro", o->micro);
  if (o->flags) add_i64(s, "ts_flags", o->flags);
  if (o->m || o->n || o->k) {
    add_i64(s, "ts_m", o->m);
    add_i64(s, "ts_n", o->n);
    add_i64(s, "ts_k", o->k);
  }
  if (o->count != 1) add_i64(s, "ts_count", o->count);
  if (o->flops != (comm ? 0.0 : (double)llround(o->flops))) add_dbl(s, "ts_flops", o->flops);
  if (o->bytes != (double)llround(o->bytes)) add_dbl(s, "ts_bytes", o->bytes);
  if (o->duration_s > 0) add_dbl(s, "ts_duration_s", o->duration_s); /* exact; duration_micros rounds */
}

/* Fills node n (type, attributes) for op i of class ci run by rank. */
static ts_status fill_node(const xplan *x, uint32_t ci, uint32_t i, int64_t rank, attrs *s,
                           ChakraProtoMsg__Node *n, ts_err *err) {
  const trace *t = x->t;
  const trace_op *o = &t->classes[ci].ops[i];
  s->n = 0;
  if (!trace_op_is_comm((trace_op_kind)o->kind)) {
    n->type = CHAKRA_PROTO_MSG__NODE_TYPE__COMP_NODE;
    add_i64(s, "num_ops", (int64_t)llround(o->flops));
    add(s, "tensor_size", VAL(UINT64_VAL))->uint64_val = (uint64_t)llround(o->bytes);
    if (o->duration_s > 0) n->duration_micros = (uint64_t)llround(o->duration_s * 1e6);
  } else if (is_coll(o->kind)) {
    n->type = CHAKRA_PROTO_MSG__NODE_TYPE__COMM_COLL_NODE;
    add_i64(s, "comm_type", COMM_TYPE_OF[o->kind]);
    add_i64(s, "comm_size", (int64_t)llround(o->bytes));
    snprintf(s->pg, sizeof s->pg, "%lld", (long long)group_id(x, o->comm, rank));
    add_str(s, "pg_name", s->pg);
  } else {
    bool send = o->kind == TRACE_OP_SEND;
    int64_t q = peer_rank(x, o->comm, rank, o->peer);
    if (q < 0 || q == rank || q > INT32_MAX || rank > INT32_MAX)
      return ts_fail(err, TS_EINPUT,
                     "class %s op %u: rank %lld has no rank of class %d in its "
                     "group on %s",
                     t->classes[ci].name, i, (long long)rank, o->peer, t->comms[o->comm].name);
    n->type = send ? CHAKRA_PROTO_MSG__NODE_TYPE__COMM_SEND_NODE
                   : CHAKRA_PROTO_MSG__NODE_TYPE__COMM_RECV_NODE;
    add_i32(s, "comm_src", (int32_t)(send ? rank : q));
    add_i32(s, "comm_dst", (int32_t)(send ? q : rank));
    add_i32(s, "comm_tag", (int32_t)x->tag[ci][i]);
    add_i64(s, "comm_size", (int64_t)llround(o->bytes));
  }
  add(s, "is_cpu_op", VAL(BOOL_VAL))->bool_val = 0;
  ts_attrs(s, t, o);
  n->n_attr = s->n;
  n->attr = s->p;
  return TS_OK;
}

/* ---- byte buffer of one file --------------------------------------------------------------------
 */
typedef struct obuf {
  unsigned char *p;
  size_t n, cap;
} obuf;

static bool reserve(obuf *b, size_t more) {
  if (b->n + more <= b->cap) return true;
  size_t cap = b->cap ? b->cap : 4096;
  while (cap < b->n + more) cap *= 2;
  unsigned char *p = realloc(b->p, cap);
  if (!p) return false;
  b->p = p;
  b->cap = cap;
  return true;
}

/* Appends varint(len) + the packed message. */
static bool put_msg(obuf *b, const ProtobufCMessage *m) {
  size_t len = protobuf_c_message_get_packed_size(m);
  if (!reserve(b, len + 10)) return false;
  for (size_t v = len;; v >>= 7) {
    b->p[b->n++] = (unsigned char)((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
    if (v < 0x80) break;
  }
  b->n += protobuf_c_message_pack(m, b->p + b->n);
  return true;
}

static ts_status encode_rank(const xplan *x, int64_t rank, obuf *b, ts_err *err) {
  ChakraProtoMsg__GlobalMetadata meta = CHAKRA_PROTO_MSG__GLOBAL_METADATA__INIT;
  attrs s = {.n = 0};
  add_str(&s, "schema", "trainsim");
  meta.version = (char *)"0.0.4";
  meta.n_attr = s.n;
  meta.attr = s.p;
  if (!put_msg(b, &meta.base))
    return ts_fail(err, TS_ENOMEM, "out of memory encoding rank %lld", (long long)rank);
  uint32_t ci = x->class_of[rank];
  const trace_class *c = &x->t->classes[ci];
  uint64_t *deps = malloc((c->n_deps ? c->n_deps : 1) * sizeof *deps);
  if (!deps) return ts_fail(err, TS_ENOMEM, "out of memory encoding rank %lld", (long long)rank);
  for (uint32_t d = 0; d < c->n_deps; d++) deps[d] = c->deps[d];
  ts_status st = TS_OK;
  for (uint32_t i = 0; !st && i < c->n_ops; i++) {
    const trace_op *o = &c->ops[i];
    ChakraProtoMsg__Node n = CHAKRA_PROTO_MSG__NODE__INIT;
    char name[64];
    snprintf(name, sizeof name, "%s.%s.%u", trace_op_kind_name((trace_op_kind)o->kind),
             trace_phase_name((trace_phase)o->phase), i);
    n.id = i;
    n.name = name;
    n.n_data_deps = o->dep_count;
    n.data_deps = deps + o->dep_first;
    st = fill_node(x, ci, i, rank, &s, &n, err);
    if (!st && !put_msg(b, &n.base))
      st = ts_fail(err, TS_ENOMEM, "out of memory encoding rank %lld", (long long)rank);
  }
  free(deps);
  return st;
}

/* ---- the plan -----------------------------------------------------------------------------------
 */
static ts_status xplan_init(xplan *x, const trace *t, ts_err *err) {
  memset(x, 0, sizeof *x);
  x->t = t;
  x->class_of = malloc((size_t)t->ranks * sizeof *x->class_of);
  x->tag = calloc(t->n_classes, sizeof *x->tag);
  uint32_t *count = calloc(2 * (size_t)t->n_classes, sizeof *count);
  if (!x->class_of || !x->tag || !count) {
    free(count);
    return ts_fail(err, TS_ENOMEM, "out of memory planning the export");
  }
  bool used[TRACE_MAX_COMMS] = {false};
  for (uint32_t ci = 0; ci < t->n_classes; ci++) {
    const trace_class *c = &t->classes[ci];
    for (int64_t r = c->first_rank; r < c->first_rank + c->ranks; r++) x->class_of[r] = ci;
    x->tag[ci] = malloc((c->n_ops ? c->n_ops : 1) * sizeof **x->tag);
    if (!x->tag[ci]) {
      free(count);
      return ts_fail(err, TS_ENOMEM, "out of memory planning the export");
    }
    for (uint32_t i = 0; i < c->n_ops; i++) {
      const trace_op *o = &c->ops[i];
      used[o->comm < TRACE_MAX_COMMS ? o->comm : 0] |= is_coll(o->kind);
      if (is_p2p(o->kind))
        x->tag[ci][i] = count[2 * (uint32_t)o->peer + (o->kind == TRACE_OP_RECV)]++;
    }
    for (uint32_t i = 0; i < c->n_ops; i++) /* reset the counters this class touched */
      if (is_p2p(c->ops[i].kind))
        count[2 * (uint32_t)c->ops[i].peer] = count[2 * (uint32_t)c->ops[i].peer + 1] = 0;
  }
  free(count);
  int64_t next = 1;
  for (uint32_t m = 0; m < t->n_comms; m++)
    if (used[m]) {
      x->group_first[m] = next;
      next += t->ranks / t->comms[m].size;
    }
  return TS_OK;
}

static void xplan_fini(xplan *x) {
  for (uint32_t ci = 0; x->tag && ci < x->t->n_classes; ci++) free(x->tag[ci]);
  free(x->tag);
  free(x->class_of);
}

static json_t *groups_json(const xplan *x, uint32_t *n_groups) {
  const trace *t = x->t;
  json_t *root = json_object();
  *n_groups = 0;
  for (uint32_t m = 0; root && m < t->n_comms; m++) {
    if (!x->group_first[m]) continue;
    const trace_comm *c = &t->comms[m];
    int64_t block = c->size * c->stride;
    for (int64_t g = 0; g < t->ranks / c->size; g++) {
      int64_t base = (g / c->stride) * block + g % c->stride;
      json_t *list = json_array();
      for (int64_t k = 0; k < c->size; k++)
        json_array_append_new(list, json_integer(base + k * c->stride));
      char key[32];
      snprintf(key, sizeof key, "%lld", (long long)group_id(x, m, base));
      json_object_set_new(root, key, list);
      (*n_groups)++;
    }
  }
  return root;
}

static ts_status check_trace(const trace *t, const chakra_export_options *opt, ts_err *err) {
  ts_status st = trace_validate(t, err);
  if (st) return st;
  if (t->ranks > INT32_MAX)
    return ts_fail(err, TS_EINPUT, "%lld ranks: Chakra's comm_src/comm_dst are int32",
                   (long long)t->ranks);
  for (uint32_t m = 0; m < t->n_comms; m++)
    if (t->ranks % (t->comms[m].size * t->comms[m].stride) != 0)
      return ts_fail(err, TS_EINPUT,
                     "communicator %s: size %lld x stride %lld does not tile %lld ranks",
                     t->comms[m].name, (long long)t->comms[m].size, (long long)t->comms[m].stride,
                     (long long)t->ranks);
  for (size_t i = 0; opt && opt->ranks && i < opt->n_ranks; i++)
    if (opt->ranks[i] < 0 || opt->ranks[i] >= t->ranks)
      return ts_fail(err, TS_EUSAGE, "rank %lld is not in the trace (0..%lld)",
                     (long long)opt->ranks[i], (long long)(t->ranks - 1));
  return TS_OK;
}

static void remove_written(const char *prefix, const chakra_export_options *opt, size_t n) {
  for (size_t i = 0; i < n; i++) {
    char path[4200];
    int64_t r = opt && opt->ranks ? opt->ranks[i] : (int64_t)i;
    snprintf(path, sizeof path, "%s.%lld.et", prefix, (long long)r);
    unlink(path);
  }
}

static ts_status write_ranks(const xplan *x, const char *prefix, const chakra_export_options *opt,
                             chakra_export_stats *stats, ts_err *err) {
  size_t n = opt && opt->ranks ? opt->n_ranks : (size_t)x->t->ranks;
  obuf b = {0};
  ts_status st = TS_OK;
  size_t done = 0;
  for (; !st && done < n; done++) {
    int64_t r = opt && opt->ranks ? opt->ranks[done] : (int64_t)done;
    char path[4200];
    snprintf(path, sizeof path, "%s.%lld.et", prefix, (long long)r);
    b.n = 0;
    st = encode_rank(x, r, &b, err);
    if (!st) st = ts_write_file_atomic(path, b.p, b.n, err);
    if (st) break;
    stats->files++;
    stats->nodes += x->t->classes[x->class_of[r]].n_ops;
  }
  free(b.p);
  if (st) remove_written(prefix, opt, done);
  return st;
}

ts_status chakra_export(const trace *t, const char *prefix, const chakra_export_options *opt,
                        chakra_export_stats *stats, ts_err *err) {
  chakra_export_stats local;
  if (!stats) stats = &local;
  memset(stats, 0, sizeof *stats);
  ts_status st = check_trace(t, opt, err);
  if (st) return st;
  xplan x;
  st = xplan_init(&x, t, err);
  json_t *groups = NULL;
  char *text = NULL;
  if (!st) {
    groups = groups_json(&x, &stats->groups);
    text = groups ? json_dumps(groups, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (!text) st = ts_fail(err, TS_ENOMEM, "out of memory writing the comm groups");
  }
  if (!st) st = write_ranks(&x, prefix, opt, stats, err);
  if (!st) {
    char path[4200];
    snprintf(path, sizeof path, "%s.json", prefix);
    st = ts_write_file_atomic(path, text, strlen(text), err);
    if (st) remove_written(prefix, opt, (size_t)stats->files);
  }
  free(text);
  json_decref(groups);
  xplan_fini(&x);
  return st;
}
