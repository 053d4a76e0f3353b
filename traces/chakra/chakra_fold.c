/* Folding the ranks of an imported Chakra trace into rank classes, and building the trace.
 *
 * Streams first: collectives from other writers go to a stream picked by their communicator —
 * ordered by stride, the smallest (the innermost, tensor-parallel-like group) on the tp stream, the
 * largest on the dp stream, the ones between on cp then ep — so communication on different groups
 * overlaps, as on a GPU's separate NCCL streams.
 *
 * Then classes: two ranks share a class when their programs are identical once placement is
 * masked (pg_name, comm_src/comm_dst and tags are not compared; the communicator's structure, the
 * op fields and the deps are) and their sends and recvs go to peers of the same classes. trainsim's
 * trace keeps a class as a contiguous block of ranks (traces/trace.h), so a class is a run of
 * consecutive ranks; the partition is refined until every op's peer class agrees within each run
 * (partition refinement, as in DFA minimisation). Communicators are named by their structure
 * ("n<size>s<stride>") unless trainsim's exporter named them. */
#include <stdlib.h>
#include <string.h>

#include "traces/chakra/chakra_int.h"

static void pick_streams(chakra_ctx *x) {
  uint32_t order[TRACE_MAX_COMMS], n = 0;
  for (uint32_t m = 0; m < x->n_comms; m++)
    if (x->comms[m].coll) order[n++] = m;
  for (uint32_t i = 1; i < n; i++) /* insertion sort by (stride, size) */
    for (uint32_t j = i; j > 0; j--) {
      const chakra_comm *a = &x->comms[order[j - 1]], *b = &x->comms[order[j]];
      if (a->stride < b->stride || (a->stride == b->stride && a->size <= b->size)) break;
      uint32_t t = order[j];
      order[j] = order[j - 1];
      order[j - 1] = t;
    }
  static const uint8_t MIDDLE[] = {TRACE_STREAM_CP, TRACE_STREAM_EP};
  uint8_t stream[TRACE_MAX_COMMS] = {0};
  for (uint32_t i = 0; i < n; i++)
    stream[order[i]] = i == 0       ? TRACE_STREAM_TP
                       : i == n - 1 ? TRACE_STREAM_DP
                                    : MIDDLE[i - 1 < 1 ? 0 : 1];
  for (int64_t r = 0; r < x->world; r++)
    for (uint32_t i = 0; i < x->progs[r].n_ops; i++) {
      trace_op *o = &x->progs[r].ops[i];
      if (o->stream == TRACE_STREAM_COUNT) o->stream = stream[o->comm];
    }
}

static bool same_program(const chakra_prog *a, const chakra_prog *b) {
  if (a->n_ops != b->n_ops || a->n_deps != b->n_deps) return false;
  if (a->n_deps && memcmp(a->deps, b->deps, a->n_deps * sizeof *a->deps) != 0) return false;
  for (uint32_t i = 0; i < a->n_ops; i++) {
    const trace_op *p = &a->ops[i], *q = &b->ops[i];
    if (p->kind != q->kind || p->dtype != q->dtype || p->phase != q->phase ||
        p->stream != q->stream || p->comm != q->comm || p->flags != q->flags ||
        p->layer != q->layer || p->micro != q->micro || p->m != q->m || p->n != q->n ||
        p->k != q->k || p->count != q->count || p->flops != q->flops || p->bytes != q->bytes ||
        p->dep_count != q->dep_count)
      return false;
  }
  return true;
}

/* sig[r]: the index of the first rank with an identical program (placement masked). */
static ts_status signatures(const chakra_ctx *x, uint32_t *sig, ts_err *err) {
  uint32_t *reps = malloc((size_t)x->world * sizeof *reps), n_reps = 0;
  if (!reps)
    return ts_fail(err, TS_ENOMEM, "out of memory folding %lld ranks", (long long)x->world);
  for (int64_t r = 0; r < x->world; r++) {
    uint32_t k = 0;
    while (k < n_reps && !same_program(&x->progs[reps[k]], &x->progs[r])) k++;
    if (k == n_reps) reps[n_reps++] = (uint32_t)r;
    sig[r] = k;
  }
  free(reps);
  return TS_OK;
}

/* Ranks r-1 and r stay together when their current classes match and so do the classes of all
 * their send/recv peers. */
static bool same_peers(const chakra_ctx *x, const uint32_t *cls, int64_t a, int64_t b) {
  const chakra_prog *p = &x->progs[a], *q = &x->progs[b];
  for (uint32_t i = 0; i < p->n_ops; i++)
    if (p->peer_rank[i] >= 0 && cls[p->peer_rank[i]] != cls[q->peer_rank[i]]) return false;
  return true;
}

/* Refines cls (initially the signatures) into runs of consecutive ranks; returns the class count.
 */
static uint32_t refine(const chakra_ctx *x, uint32_t *cls, uint32_t *next) {
  uint32_t n_prev = UINT32_MAX;
  for (;;) {
    uint32_t n = 0;
    for (int64_t r = 0; r < x->world; r++) {
      bool join = r > 0 && cls[r] == cls[r - 1] && same_peers(x, cls, r - 1, r);
      next[r] = join ? next[r - 1] : n++;
    }
    memcpy(cls, next, (size_t)x->world * sizeof *cls);
    if (n == n_prev) return n;
    n_prev = n;
  }
}

/* Every rank's send/recv peer must be the member of its group that the replay will find: the first
 * rank of the peer's class in the rank's group on the op's communicator (sim_world_peer). */
static ts_status check_peers(const chakra_ctx *x, const uint32_t *cls, ts_err *err) {
  for (int64_t r = 0; r < x->world; r++) {
    const chakra_prog *p = &x->progs[r];
    for (uint32_t i = 0; i < p->n_ops; i++) {
      int64_t q = p->peer_rank[i];
      if (q < 0) continue;
      const chakra_comm *c = &x->comms[p->ops[i].comm];
      int64_t base = chakra_comm_base(c->size, c->stride, r), found = -1;
      for (int64_t k = 0; k < c->size && found < 0; k++)
        if (cls[base + k * c->stride] == cls[q]) found = base + k * c->stride;
      if (found != q) {
        const chakra_node *nd = &x->ets[r]->nodes[p->node[i]];
        return ts_fail(err, TS_EINPUT,
                       "%s: byte %llu: node id %llu: peer rank %lld is not the "
                       "only rank of its class in the group of rank %lld (size %lld, stride %lld); "
                       "trainsim's classes cannot express this pairing",
                       x->ets[r]->name, (unsigned long long)nd->offset, (unsigned long long)nd->id,
                       (long long)q, (long long)r, (long long)c->size, (long long)c->stride);
      }
    }
  }
  return TS_OK;
}

static ts_status add_comms(const chakra_ctx *x, trace *t, ts_err *err) {
  for (uint32_t m = 0; m < x->n_comms; m++) {
    const chakra_comm *c = &x->comms[m];
    char name[16];
    bool named = c->ts_name[0] && !c->ts_conflict;
    for (uint32_t j = 0; named && j < m; j++)
      named = strcmp(x->comms[j].ts_name, c->ts_name) != 0 || x->comms[j].ts_conflict;
    if (named)
      snprintf(name, sizeof name, "%s", c->ts_name);
    else
      snprintf(name, sizeof name, "n%llds%lld", (long long)c->size, (long long)c->stride);
    if (trace_add_comm(t, name, c->size, c->stride) < 0)
      return ts_fail(err, TS_ENOMEM, "cannot add communicator %s", name);
  }
  return TS_OK;
}

static ts_status add_class(const chakra_ctx *x, trace *t, const uint32_t *cls, int64_t first,
                           int64_t ranks, ts_err *err) {
  char name[32];
  snprintf(name, sizeof name, "class%u", t->n_classes);
  int32_t ci = trace_add_class(t, name, -1, first, ranks);
  const chakra_prog *p = &x->progs[first];
  if (ci < 0) return ts_fail(err, TS_ENOMEM, "cannot add class %s", name);
  for (uint32_t i = 0; i < p->n_ops; i++) {
    trace_op o = p->ops[i];
    o.peer = p->peer_rank[i] >= 0 ? (int32_t)cls[p->peer_rank[i]] : -1;
    if (trace_add_op(t, ci, &o, p->deps + o.dep_first, o.dep_count) < 0)
      return ts_fail(err, TS_ENOMEM, "class %s: cannot add op %u", name, i);
  }
  return TS_OK;
}

ts_status chakra_fold(chakra_ctx *x, trace **out, ts_err *err) {
  *out = NULL;
  pick_streams(x);
  uint32_t *cls = malloc((size_t)x->world * sizeof *cls),
           *next = malloc((size_t)x->world * sizeof *next);
  trace *t = trace_new();
  ts_status st = cls && next && t ? TS_OK : ts_fail(err, TS_ENOMEM, "out of memory folding ranks");
  if (!st) st = signatures(x, cls, err);
  if (!st) {
    refine(x, cls, next);
    st = check_peers(x, cls, err);
  }
  if (!st) {
    t->has_model = false;
    t->ranks = x->world;
    t->chips = x->world;
    st = add_comms(x, t, err);
  }
  for (int64_t r = 0; !st && r < x->world;) {
    int64_t end = r;
    while (end < x->world && cls[end] == cls[r]) end++;
    st = add_class(x, t, cls, r, end - r, err);
    r = end;
  }
  if (!st) st = trace_validate(t, err);
  free(cls);
  free(next);
  if (st) {
    trace_free(t);
    return st;
  }
  *out = t;
  return TS_OK;
}
