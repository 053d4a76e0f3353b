/* One rank's Chakra nodes → one trainsim program (ops in topological order, every dependency kept).
 *
 * Node → op mapping (the README's table):
 *   COMP_NODE           → a compute op on the compute stream. From trainsim's exporter (ts_*
 *                         attributes) the exact op comes back; otherwise an `elementwise` op with
 *                         flops = num_ops and bytes = tensor_size, which the kernel model times as
 * a roofline max(flops / peak, bytes / HBM bandwidth) — ASTRA-sim's own model for COMP nodes.
 * is_cpu_op = true: no op (host work; ASTRA-sim skips it). A COMP node with duration_micros and no
 * num_ops (a captured trace) keeps its measured time as the op's duration_s (0 FLOPs, bytes =
 * tensor_size), counted in the stats; the replay uses it as is or scales it (--captured-on). MEM_LOAD/STORE_NODE → an `elementwise` op with bytes = tensor_size, 0 FLOPs. COMM_COLL_NODE
 * → the collective of comm_type with bytes = comm_size, on the communicator of its pg_name group
 * ("" / "0" / absent: all ranks). REDUCE_SCATTER_BLOCK is a reduce_scatter; REDUCE, GATHER,
 * SCATTER, BROADCAST and BARRIER have no trainsim kind and take the closest one in cost
 * (reduce_scatter, all_gather, reduce_scatter, all_gather, 0-byte-sized all_reduce), counted.
 *   COMM_SEND/RECV_NODE → send / recv of comm_size bytes to comm_dst / from comm_src, tag comm_tag
 *                         (all three required: trainsim needs the peer), on the pp_send / pp_recv
 *                         stream and a communicator of stride |peer - rank| that holds both.
 *   METADATA_NODE       → no op; a node that depends on it depends on its deps instead.
 * STG units (convert): num_ops x2 (multiply-accumulates → FLOPs), tensor_size and comm_size x
 * elem_bytes (element counts → bytes). */
#include <stdlib.h>
#include <string.h>

#include "traces/chakra/chakra_int.h"
#include "traces/chakra/chakra_topo.h"

#define NODE_FAIL(fmt, ...)                                                   \
  ts_fail(err, TS_EINPUT, "%s: byte %llu: node id %llu (%s): " fmt, et->name, \
          (unsigned long long)nd->offset, (unsigned long long)nd->id,         \
          chakra_node_type_name(nd->type), __VA_ARGS__)

void chakra_prog_fini(chakra_prog *p) {
  free(p->ops);
  free(p->deps);
  free(p->peer_rank);
  free(p->tag);
  free(p->node);
  memset(p, 0, sizeof *p);
}

static hw_dtype elem_dtype(int elem_bytes) {
  return elem_bytes == 4 ? HW_FP32 : elem_bytes == 1 ? HW_FP8 : HW_BF16;
}

/* Index of the communicator (size, stride), added when new; -1 when the table is full. */
static int32_t comm_index(chakra_ctx *x, int64_t size, int64_t stride, const char *ts_name) {
  int32_t found = -1;
  for (uint32_t i = 0; i < x->n_comms && found < 0; i++)
    if (x->comms[i].size == size && x->comms[i].stride == stride) found = (int32_t)i;
  if (found < 0) {
    if (x->n_comms >= TRACE_MAX_COMMS) return -1;
    found = (int32_t)x->n_comms++;
    x->comms[found] = (chakra_comm){.size = size, .stride = stride};
    snprintf(x->comms[found].ts_name, sizeof x->comms[found].ts_name, "%s", ts_name);
  }
  chakra_comm *c = &x->comms[found];
  if (strcmp(c->ts_name, ts_name) != 0) c->ts_conflict = true;
  return found;
}

/* The communicator of a collective: its pg_name group, which must hold the rank and be regular. */
static ts_status coll_comm(chakra_ctx *x, int64_t rank, const chakra_et *et, const chakra_node *nd,
                           trace_op *o, ts_err *err) {
  const char *pg = chakra_node_pg(et, nd);
  int64_t size = x->world, stride = 1;
  if (pg[0] && strcmp(pg, "0") != 0) {
    if (!x->have_groups)
      return NODE_FAIL("pg_name \"%s\" but no comm-group file (PREFIX.json or --comm-groups)", pg);
    const chakra_group *g = chakra_groups_find(&x->groups, pg);
    if (!g) return NODE_FAIL("pg_name \"%s\" is not a group of %s", pg, x->groups_path);
    bool member = false;
    for (uint32_t i = 0; i < g->n_ranks; i++) member |= g->ranks[i] == rank;
    if (!member)
      return NODE_FAIL("mismatched comm group: rank %lld is not in group \"%s\" of %s",
                       (long long)rank, pg, x->groups_path);
    size = g->n_ranks;
    stride = size > 1 ? g->ranks[1] - g->ranks[0] : 1;
    bool regular =
        x->world % (size * stride) == 0 && chakra_comm_base(size, stride, rank) == g->ranks[0];
    for (uint32_t i = 1; i < g->n_ranks; i++) regular &= g->ranks[i] - g->ranks[i - 1] == stride;
    if (!regular)
      return NODE_FAIL(
          "group \"%s\" (%u ranks from %lld) is not ranks r, r+s, ... aligned to "
          "blocks of size x stride that tile %lld ranks; trainsim cannot express it",
          pg, g->n_ranks, (long long)g->ranks[0], (long long)x->world);
  }
  int32_t c = comm_index(x, size, stride, nd->ts_comm);
  if (c < 0) return NODE_FAIL("more than %d distinct communicators", TRACE_MAX_COMMS);
  x->comms[c].coll = true;
  o->comm = (uint8_t)c;
  return TS_OK;
}

/* The communicator of a send/recv: stride |peer - rank|, the smallest size whose block holds both.
 */
static ts_status p2p_comm(chakra_ctx *x, int64_t rank, int64_t peer, const chakra_et *et,
                          const chakra_node *nd, trace_op *o, ts_err *err) {
  int64_t d = peer > rank ? peer - rank : rank - peer;
  for (int64_t s = 2; s <= x->world / d; s++) {
    if (x->world % (s * d) != 0 || rank / (s * d) != peer / (s * d)) continue;
    int32_t c = comm_index(x, s, d, nd->ts_comm);
    if (c < 0) return NODE_FAIL("more than %d distinct communicators", TRACE_MAX_COMMS);
    o->comm = (uint8_t)c;
    return TS_OK;
  }
  return NODE_FAIL("no communicator of stride %lld holds ranks %lld and %lld", (long long)d,
                   (long long)rank, (long long)peer);
}

static const struct {
  uint8_t kind;
  bool approx;
} COLL_KINDS[CHAKRA_COMM_TYPE_COUNT] = {
    [CHAKRA_ALL_REDUCE] = {TRACE_OP_ALL_REDUCE, false},
    [CHAKRA_REDUCE] = {TRACE_OP_REDUCE_SCATTER, true},
    [CHAKRA_ALL_GATHER] = {TRACE_OP_ALL_GATHER, false},
    [CHAKRA_GATHER] = {TRACE_OP_ALL_GATHER, true},
    [CHAKRA_SCATTER] = {TRACE_OP_REDUCE_SCATTER, true},
    [CHAKRA_BROADCAST] = {TRACE_OP_ALL_GATHER, true},
    [CHAKRA_ALL_TO_ALL] = {TRACE_OP_ALL_TO_ALL, false},
    [CHAKRA_REDUCE_SCATTER] = {TRACE_OP_REDUCE_SCATTER, false},
    [CHAKRA_REDUCE_SCATTER_BLOCK] = {TRACE_OP_REDUCE_SCATTER, false},
    [CHAKRA_BARRIER] = {TRACE_OP_ALL_REDUCE, true},
};

static ts_status coll_op(chakra_ctx *x, int64_t rank, const chakra_et *et, const chakra_node *nd,
                         trace_op *o, ts_err *err) {
  if (!(nd->have & CHAKRA_HAVE_COMM_TYPE)) return NODE_FAIL("%s", "no comm_type attribute");
  if (nd->comm_type < 0 || nd->comm_type >= CHAKRA_COMM_TYPE_COUNT)
    return NODE_FAIL("comm_type %lld, expected 0..9 (CollectiveCommType)",
                     (long long)nd->comm_type);
  if (!(nd->have & CHAKRA_HAVE_COMM_SIZE) && nd->comm_type != CHAKRA_BARRIER)
    return NODE_FAIL("%s", "no comm_size attribute");
  if (!(nd->have & CHAKRA_HAVE_TS_OP)) o->kind = COLL_KINDS[nd->comm_type].kind;
  if (!(nd->have & CHAKRA_HAVE_TS_OP) && COLL_KINDS[nd->comm_type].approx) x->stats->approx_colls++;
  o->bytes = (double)nd->comm_size * (x->convert ? x->elem_bytes : 1);
  return coll_comm(x, rank, et, nd, o, err);
}

static ts_status p2p_op(chakra_ctx *x, int64_t rank, const chakra_et *et, const chakra_node *nd,
                        trace_op *o, int64_t *peer, int64_t *tag, ts_err *err) {
  bool send = nd->type == CHAKRA_NODE_SEND;
  uint32_t need = CHAKRA_HAVE_COMM_SIZE | CHAKRA_HAVE_COMM_TAG |
                  (send ? CHAKRA_HAVE_COMM_DST : CHAKRA_HAVE_COMM_SRC);
  if ((nd->have & need) != need)
    return NODE_FAIL(
        "needs %s, comm_tag and comm_size (trainsim pairs a send with its recv by "
        "peer and tag)",
        send ? "comm_dst" : "comm_src");
  *peer = send ? nd->comm_dst : nd->comm_src;
  *tag = nd->comm_tag;
  if (*peer < 0 || *peer >= x->world || *peer == rank)
    return NODE_FAIL("peer rank %lld, expected 0..%lld other than %lld", (long long)*peer,
                     (long long)(x->world - 1), (long long)rank);
  o->kind = send ? TRACE_OP_SEND : TRACE_OP_RECV;
  o->stream = send ? TRACE_STREAM_PP_SEND : TRACE_STREAM_PP_RECV;
  o->bytes = (double)nd->comm_size * (x->convert ? x->elem_bytes : 1);
  o->peer = -1;
  return p2p_comm(x, rank, *peer, et, nd, o, err);
}

/* Fills o for node nd; *skip when the node becomes no op (metadata, CPU op). */
static ts_status node_op(chakra_ctx *x, int64_t rank, const chakra_et *et, const chakra_node *nd,
                         trace_op *o, int64_t *peer, int64_t *tag, bool *skip, ts_err *err) {
  bool ts = nd->have & CHAKRA_HAVE_TS_OP;
  *o = nd->ts; /* defaults (or trainsim's exact fields) from the reader */
  o->dep_first = o->dep_count = 0;
  if (!ts) o->dtype = (uint8_t)elem_dtype(x->elem_bytes);
  *peer = -1;
  *tag = 0;
  *skip = nd->type == CHAKRA_NODE_METADATA || (nd->type == CHAKRA_NODE_COMP && nd->is_cpu_op);
  x->stats->metadata_nodes += nd->type == CHAKRA_NODE_METADATA;
  x->stats->cpu_nodes += nd->type == CHAKRA_NODE_COMP && nd->is_cpu_op;
  if (*skip) return TS_OK;
  double mult = x->convert ? x->elem_bytes : 1;
  ts_status st = TS_OK;
  if (nd->type == CHAKRA_NODE_COLL) {
    st = coll_op(x, rank, et, nd, o, err);
    if (!ts) o->stream = TRACE_STREAM_COUNT; /* picked per communicator once all are known */
  } else if (nd->type == CHAKRA_NODE_SEND || nd->type == CHAKRA_NODE_RECV) {
    st = p2p_op(x, rank, et, nd, o, peer, tag, err);
  } else {
    if (!ts) o->kind = TRACE_OP_ELEMENTWISE;
    o->stream = TRACE_STREAM_COMPUTE;
    o->comm = TRACE_NO_COMM;
    if (nd->type == CHAKRA_NODE_COMP) o->flops = (double)nd->num_ops * (x->convert ? 2.0 : 1.0);
    o->bytes = (double)nd->tensor_size * mult;
    bool measured = nd->type == CHAKRA_NODE_COMP && !(nd->have & CHAKRA_HAVE_NUM_OPS) &&
                    nd->duration_micros > 0;
    if (measured) o->duration_s = (double)nd->duration_micros / 1e6;
    x->stats->duration_only += measured;
  }
  if (st) return st;
  if (nd->have & CHAKRA_HAVE_TS_FLOPS) o->flops = nd->ts.flops;
  if (nd->have & CHAKRA_HAVE_TS_BYTES) o->bytes = nd->ts.bytes;
  if (nd->ts_duration_s > 0 && !trace_op_is_comm((trace_op_kind)o->kind))
    o->duration_s = nd->ts_duration_s;
  return TS_OK;
}

/* ---- deps: kept through nodes that become no op ---------------------------------------------- */
typedef struct u32vec {
  uint32_t *v;
  uint64_t n, cap;
} u32vec;

static bool vec_push(u32vec *a, uint32_t x) {
  if (a->n == a->cap) {
    uint64_t cap = a->cap ? 2 * a->cap : 64;
    uint32_t *p = realloc(a->v, cap * sizeof *p);
    if (!p) return false;
    a->v = p;
    a->cap = cap;
  }
  a->v[a->n++] = x;
  return true;
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

/* Per node: an op index (emitted) or a list of op indices in fwd (a node that is no op). */
typedef struct dep_map {
  uint32_t *op_of; /* UINT32_MAX: no op */
  uint64_t *fwd_first;
  uint32_t *fwd_n;
  u32vec fwd;
  u32vec scratch;
} dep_map;

/* The op indices node v depends on, sorted without repeats, into m->scratch. */
static bool gather_deps(const chakra_et *et, const uint32_t *dep_idx, dep_map *m, uint32_t v) {
  const chakra_node *nd = &et->nodes[v];
  m->scratch.n = 0;
  for (uint32_t k = 0; k < nd->n_deps; k++) {
    uint32_t d = dep_idx[nd->dep_first + k];
    if (m->op_of[d] != UINT32_MAX) {
      if (!vec_push(&m->scratch, m->op_of[d])) return false;
    } else {
      for (uint32_t j = 0; j < m->fwd_n[d]; j++)
        if (!vec_push(&m->scratch, m->fwd.v[m->fwd_first[d] + j])) return false;
    }
  }
  if (m->scratch.n > 1) qsort(m->scratch.v, m->scratch.n, sizeof(uint32_t), cmp_u32);
  uint64_t n = 0;
  for (uint64_t i = 0; i < m->scratch.n; i++)
    if (n == 0 || m->scratch.v[n - 1] != m->scratch.v[i]) m->scratch.v[n++] = m->scratch.v[i];
  m->scratch.n = n;
  return true;
}

static bool prog_alloc(chakra_prog *p, uint32_t n) {
  size_t nn = n ? n : 1;
  p->ops = calloc(nn, sizeof *p->ops);
  p->peer_rank = malloc(nn * sizeof *p->peer_rank);
  p->tag = malloc(nn * sizeof *p->tag);
  p->node = malloc(nn * sizeof *p->node);
  return p->ops && p->peer_rank && p->tag && p->node;
}

static bool prog_add_deps(chakra_prog *p, trace_op *o, const u32vec *deps) {
  if (deps->n > UINT32_MAX - p->n_deps) return false;
  uint32_t need = p->n_deps + (uint32_t)deps->n;
  if (need > p->cap_deps) {
    uint64_t cap = p->cap_deps ? p->cap_deps : 64;
    while (cap < need) cap *= 2;
    if (cap > TRACE_MAX_DEPS) cap = TRACE_MAX_DEPS;
    if (cap < need) return false;
    uint32_t *d = realloc(p->deps, cap * sizeof *d);
    if (!d) return false;
    p->deps = d;
    p->cap_deps = (uint32_t)cap;
  }
  o->dep_first = p->n_deps;
  o->dep_count = (uint32_t)deps->n;
  if (deps->n) memcpy(p->deps + p->n_deps, deps->v, deps->n * sizeof(uint32_t));
  p->n_deps = need;
  return true;
}

/* Emits the ops of the nodes in topological order. */
static ts_status emit(chakra_ctx *x, int64_t rank, const uint32_t *order, const uint32_t *dep_idx,
                      dep_map *m, ts_err *err) {
  const chakra_et *et = x->ets[rank];
  chakra_prog *p = &x->progs[rank];
  for (uint32_t i = 0; i < et->n_nodes; i++) {
    uint32_t v = order[i];
    trace_op o;
    int64_t peer, tag;
    bool skip;
    ts_status st = node_op(x, rank, et, &et->nodes[v], &o, &peer, &tag, &skip, err);
    if (st) return st;
    if (!gather_deps(et, dep_idx, m, v))
      return ts_fail(err, TS_ENOMEM, "%s: out of memory for dependencies", et->name);
    if (skip) {
      m->fwd_first[v] = m->fwd.n;
      m->fwd_n[v] = (uint32_t)m->scratch.n;
      for (uint64_t j = 0; j < m->scratch.n; j++)
        if (!vec_push(&m->fwd, m->scratch.v[j]))
          return ts_fail(err, TS_ENOMEM, "%s: out of memory for dependencies", et->name);
      continue;
    }
    if (!prog_add_deps(p, &o, &m->scratch))
      return ts_fail(err, TS_EINPUT, "%s: more than %d dependencies", et->name, TRACE_MAX_DEPS);
    m->op_of[v] = p->n_ops;
    p->ops[p->n_ops] = o;
    p->peer_rank[p->n_ops] = peer;
    p->tag[p->n_ops] = tag;
    p->node[p->n_ops] = v;
    p->n_ops++;
  }
  return TS_OK;
}

ts_status chakra_program_build(chakra_ctx *x, int64_t rank, ts_err *err) {
  const chakra_et *et = x->ets[rank];
  uint32_t n = et->n_nodes;
  size_t nn = n ? n : 1;
  uint32_t *order = malloc(nn * sizeof *order);
  uint32_t *dep_idx = malloc((et->n_deps ? et->n_deps : 1) * sizeof *dep_idx);
  dep_map m = {malloc(nn * sizeof(uint32_t)),
               calloc(nn, sizeof(uint64_t)),
               calloc(nn, sizeof(uint32_t)),
               {0},
               {0}};
  ts_status st = TS_OK;
  if (!order || !dep_idx || !m.op_of || !m.fwd_first || !m.fwd_n || !prog_alloc(&x->progs[rank], n))
    st = ts_fail(err, TS_ENOMEM, "%s: out of memory for %u nodes", et->name, n);
  if (!st) {
    memset(m.op_of, 0xff, nn * sizeof(uint32_t));
    st = chakra_topo_sort(et, order, dep_idx, err);
  }
  if (!st) st = emit(x, rank, order, dep_idx, &m, err);
  free(order);
  free(dep_idx);
  free(m.op_of);
  free(m.fwd_first);
  free(m.fwd_n);
  free(m.fwd.v);
  free(m.scratch.v);
  return st;
}
