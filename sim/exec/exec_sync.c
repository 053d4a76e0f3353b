/* When a comm op really started. The thread transport stamps the moment every member of a
 * collective (both ends of a send/recv) had arrived; MPI only says when this rank called, so an
 * MPI rank that came first counts its wait for the others as communication. With every rank's
 * times on one clock (the root gathers them, shifted to its own step start), the arrivals are
 * known after the run: a collective's transfer starts at its group's last call, a message's at the
 * later of its send and its recv. Matching is by the ordinals both transports use (exec_coll_fn):
 * the k-th collective on a communicator, the k-th send to (recv from) a peer class. */
#include <stdlib.h>

#include "sim/exec/exec_int.h"

/* Per class: the ordinal of each op, and its comm ops sorted by a key (collective or message,
 * comm, kind, peer class, ordinal) for a binary search. */
typedef struct keyed_op {
  uint64_t key;
  uint32_t op;
} keyed_op;

typedef struct class_index {
  uint32_t *ordinal;
  keyed_op *by_key;
  uint32_t n;
} class_index;

/* Collectives match on (comm, ordinal) whatever their kind; messages on (comm, kind, peer class,
 * ordinal). */
static uint64_t op_key(bool coll, uint8_t comm, uint8_t kind, int32_t peer, uint32_t ordinal) {
  uint64_t k = coll ? 0 : 1;
  k = k << 8 | comm;
  k = k << 8 | (coll ? 0 : kind);
  k = k << 16 | (uint16_t)(coll ? 0 : peer + 1);
  return k << 31 | (ordinal & 0x7fffffffu);
}

static bool is_message(uint8_t kind) {
  return kind == TRACE_OP_SEND || kind == TRACE_OP_RECV;
}

static int cmp_keyed(const void *a, const void *b) {
  uint64_t x = ((const keyed_op *)a)->key, y = ((const keyed_op *)b)->key;
  return (x > y) - (x < y);
}

static bool index_class(const trace *t, uint32_t cls, class_index *ix) {
  const trace_class *c = &t->classes[cls];
  ix->ordinal = malloc((c->n_ops ? c->n_ops : 1) * sizeof *ix->ordinal);
  ix->by_key = malloc((c->n_ops ? c->n_ops : 1) * sizeof *ix->by_key);
  if (!ix->ordinal || !ix->by_key) return false;
  exec_op_ordinals(t, cls, ix->ordinal);
  for (uint32_t i = 0; i < c->n_ops; i++) {
    const trace_op *o = &c->ops[i];
    if (!trace_op_is_comm((trace_op_kind)o->kind)) continue;
    bool coll = !is_message(o->kind);
    ix->by_key[ix->n++] = (keyed_op){op_key(coll, o->comm, o->kind, o->peer, ix->ordinal[i]), i};
  }
  qsort(ix->by_key, ix->n, sizeof *ix->by_key, cmp_keyed);
  return true;
}

static int64_t find_op(const class_index *ix, uint64_t key) {
  keyed_op probe = {key, 0};
  const keyed_op *hit = bsearch(&probe, ix->by_key, ix->n, sizeof *ix->by_key, cmp_keyed);
  return hit ? (int64_t)hit->op : -1;
}

/* The latest call among the op's partners (itself included); -1 when one is not recorded. */
static double last_call(const exec_result *r, const class_index *ix, int64_t rank, uint32_t op) {
  const trace *t = r->t;
  uint32_t cls = (uint32_t)exec_class_of(t, rank);
  const trace_op *o = &t->classes[cls].ops[op];
  double last = r->start_s[rank][op];
  uint32_t ord = ix[cls].ordinal[op];
  if (is_message(o->kind)) {
    int64_t peer = exec_p2p_peer(t, rank, o->comm, (uint32_t)o->peer);
    if (peer < 0 || !r->start_s[peer]) return -1.0;
    uint32_t pc = (uint32_t)exec_class_of(t, peer);
    uint8_t other = o->kind == TRACE_OP_SEND ? TRACE_OP_RECV : TRACE_OP_SEND;
    int64_t j = find_op(&ix[pc], op_key(false, o->comm, other, (int32_t)cls, ord));
    if (j < 0) return -1.0;
    return r->start_s[peer][j] > last ? r->start_s[peer][j] : last;
  }
  const trace_comm *cm = &t->comms[o->comm];
  int64_t base = exec_comm_base(cm, rank);
  for (int64_t k = 0; k < cm->size; k++) {
    int64_t m = base + k * cm->stride;
    if (m == rank) continue;
    if (m < 0 || m >= r->ranks || !r->start_s[m]) return -1.0;
    uint32_t mc = (uint32_t)exec_class_of(t, m);
    int64_t j = find_op(&ix[mc], op_key(true, o->comm, 0, -1, ord));
    if (j < 0) return -1.0;
    if (r->start_s[m][j] > last) last = r->start_s[m][j];
  }
  return last;
}

ts_status exec_result_sync_arrivals(exec_result *r, ts_err *err) {
  const trace *t = r->t;
  class_index *ix = calloc(t->n_classes ? t->n_classes : 1, sizeof *ix);
  ts_status st = ix ? TS_OK : ts_fail(err, TS_ENOMEM, "exec: cannot index the ops");
  for (uint32_t c = 0; !st && c < t->n_classes; c++)
    if (!index_class(t, c, &ix[c])) st = ts_fail(err, TS_ENOMEM, "exec: cannot index the ops");
  /* the arrivals first, from the calls as recorded; then every start moves */
  double **sync = st ? NULL : calloc((size_t)r->ranks, sizeof *sync);
  if (!st && !sync) st = ts_fail(err, TS_ENOMEM, "exec: cannot index the ops");
  for (int64_t k = 0; !st && k < r->ranks; k++) {
    if (!r->start_s[k]) continue;
    const trace_class *c = &t->classes[exec_class_of(t, k)];
    sync[k] = malloc((c->n_ops ? c->n_ops : 1) * sizeof **sync);
    if (!sync[k]) {
      st = ts_fail(err, TS_ENOMEM, "exec: cannot index the ops");
      break;
    }
    for (uint32_t i = 0; i < c->n_ops; i++)
      sync[k][i] = trace_op_is_comm((trace_op_kind)c->ops[i].kind) ? last_call(r, ix, k, i) : -1.0;
  }
  for (int64_t k = 0; !st && k < r->ranks; k++) {
    if (!sync[k]) continue;
    uint32_t n = t->classes[exec_class_of(t, k)].n_ops;
    for (uint32_t i = 0; i < n; i++) {
      double s = sync[k][i];
      if (s > r->start_s[k][i]) r->start_s[k][i] = s < r->end_s[k][i] ? s : r->end_s[k][i];
    }
  }
  for (int64_t k = 0; sync && k < r->ranks; k++) free(sync[k]);
  free(sync);
  for (uint32_t c = 0; ix && c < t->n_classes; c++) free(ix[c].ordinal), free(ix[c].by_key);
  free(ix);
  return st;
}
