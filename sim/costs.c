/* Durations of every op of every class program, asked of the cost model once per distinct op:
 * compute ops from the kernel model, collectives from the collective model over every group of
 * the communicator that the class's ranks form (they run the collective at the same moment and
 * share links), send/recv over the pairs (rank, its peer in the other class). A step repeats the
 * same collective thousands of times, so collective costs are cached per (class, kind, comm,
 * peer, bytes); with a memo (memo.c) durations are also shared across the traces of a search.
 * The engine then only reads prog->dur. */
#include "sim/engine_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct cost_ctx {
  sim_world *w;
  const sim_cost_model *cost;
  sim_memo *memo; /* across traces; may be NULL */
  uint8_t *seen;  /* ranks: scratch marks for group bases */
  int64_t *chips; /* scratch: send/recv pairs */
  int64_t cap_chips;
  /* The groups of each communicator for the class being costed (built on first use: a class runs
   * the same communicator at many sizes). */
  bool have_groups[TRACE_MAX_COMMS];
  coll_groups groups[TRACE_MAX_COMMS];
  int64_t *group_chips[TRACE_MAX_COMMS];
  int64_t cap_group_chips[TRACE_MAX_COMMS];
  sim_match cache; /* per class */
} cost_ctx;

static ts_status to_ps(double s, const trace_class *c, uint32_t i, sim_ps *out, ts_err *err) {
  if (!isfinite(s) || s < 0 || s > 1e7)
    return ts_fail(err, TS_ERUN, "class %s op %u (%s): cost model gave %g s", c->name, i,
                   trace_op_kind_name((trace_op_kind)c->ops[i].kind), s);
  *out = sim_ps_from_s(s);
  return TS_OK;
}

static bool reserve(int64_t **chips, int64_t *cap, int64_t n) {
  if (n <= *cap) return true;
  int64_t *p = realloc(*chips, (size_t)n * sizeof *p);
  if (!p) return false;
  *chips = p;
  *cap = n;
  return true;
}

/* Every group of comm m touched by the ranks of class c, in order of first appearance (built once
 * per class and communicator). */
static ts_status comm_groups(cost_ctx *x, const trace_class *c, uint32_t m, coll_groups *g,
                             ts_err *err) {
  if (x->have_groups[m]) {
    *g = x->groups[m];
    return TS_OK;
  }
  const trace_comm *cm = &x->w->t->comms[m];
  int64_t n_groups = 0;
  for (int64_t r = c->first_rank; r < c->first_rank + c->ranks; r++) {
    int64_t base = sim_comm_base(cm, r);
    if (x->seen[base]) continue;
    x->seen[base] = 1;
    if (!reserve(&x->group_chips[m], &x->cap_group_chips[m], (n_groups + 1) * cm->size))
      return ts_fail(err, TS_ENOMEM, "class %s: groups of %s", c->name, cm->name);
    for (int64_t i = 0; i < cm->size; i++)
      x->group_chips[m][n_groups * cm->size + i] = (base + i * cm->stride) / x->w->ranks_per_chip;
    n_groups++;
  }
  for (int64_t r = c->first_rank; r < c->first_rank + c->ranks; r++) /* clear the marks */
    x->seen[sim_comm_base(cm, r)] = 0;
  *g = (coll_groups){.n_groups = n_groups, .group_size = cm->size, .chips = x->group_chips[m]};
  x->groups[m] = *g;
  x->have_groups[m] = true;
  return TS_OK;
}

/* Pairs (sender chip, receiver chip) for every rank of class c and its peer in class op->peer. */
static ts_status p2p_pairs(cost_ctx *x, const trace_class *c, uint32_t ci, const trace_op *o,
                           coll_groups *g, ts_err *err) {
  if (!reserve(&x->chips, &x->cap_chips, 2 * c->ranks))
    return ts_fail(err, TS_ENOMEM, "class %s: send/recv pairs", c->name);
  for (int64_t r = c->first_rank, n = 0; r < c->first_rank + c->ranks; r++, n++) {
    int64_t q = sim_world_peer(x->w, r, o->comm, (uint32_t)o->peer);
    if (q < 0)
      return ts_fail(err, TS_EINPUT,
                     "class %u (%s): rank %lld has no rank of class %d in its %s group", ci,
                     c->name, (long long)r, o->peer, x->w->t->comms[o->comm].name);
    bool send = o->kind == TRACE_OP_SEND;
    x->chips[2 * n] = (send ? r : q) / x->w->ranks_per_chip;
    x->chips[2 * n + 1] = (send ? q : r) / x->w->ranks_per_chip;
  }
  *g = (coll_groups){.n_groups = c->ranks, .group_size = 2, .chips = x->chips};
  return TS_OK;
}

static ts_status comm_cost(cost_ctx *x, uint32_t ci, uint32_t i, sim_ps *out, ts_err *err) {
  const trace_class *c = x->w->progs[ci].cls;
  const trace_op *o = &c->ops[i];
  bool p2p = o->kind == TRACE_OP_SEND || o->kind == TRACE_OP_RECV;
  uint64_t bits;
  memcpy(&bits, &o->bytes, sizeof bits);
  uint64_t k0 = SIM_MATCH_KEY | (uint64_t)o->kind << 48 | (uint64_t)o->comm << 40 |
                (uint32_t)(p2p ? o->peer : 0);
  bool created;
  sim_match_entry *e = sim_match_get(&x->cache, k0, bits, &created);
  if (!e) return ts_fail(err, TS_ENOMEM, "cost cache");
  if (!created) {
    *out = e->dur;
    return TS_OK;
  }
  sim_match_remove(&x->cache, e); /* re-added once the cost is known */
  ts_status st = TS_OK;
  if (!x->memo || !sim_memo_comm_get(x->memo, x->w->t, c, o, out)) {
    coll_groups g;
    st = p2p ? p2p_pairs(x, c, ci, o, &g, err) : comm_groups(x, c, o->comm, &g, err);
    if (st) return st;
    double s = 0;
    trace_op_kind kind = p2p ? TRACE_OP_SEND : (trace_op_kind)o->kind;
    st = x->cost->comm(x->cost->ctx, x->w->t, ci, o, kind, &g, &s, err);
    if (!st) st = to_ps(s, c, i, out, err);
    if (!st && x->memo) st = sim_memo_comm_put(x->memo, x->w->t, c, o, *out, err);
    if (st) return st;
  }
  e = sim_match_get(&x->cache, k0, bits, &created);
  if (!e) return ts_fail(err, TS_ENOMEM, "cost cache");
  e->dur = *out;
  return TS_OK;
}

static ts_status class_costs(cost_ctx *x, uint32_t ci, ts_err *err) {
  sim_prog *p = &x->w->progs[ci];
  const trace_class *c = p->cls;
  x->cache.n = 0;
  memset(x->cache.slots, 0, x->cache.cap * sizeof *x->cache.slots);
  memset(x->have_groups, 0, sizeof x->have_groups);
  for (uint32_t i = 0; i < c->n_ops; i++) {
    const trace_op *o = &c->ops[i];
    ts_status st;
    if (trace_op_is_comm((trace_op_kind)o->kind)) {
      st = comm_cost(x, ci, i, &p->dur[i], err);
    } else if (x->memo && sim_memo_kernel_get(x->memo, o, &p->dur[i])) {
      st = TS_OK;
    } else {
      double s = 0;
      st = x->cost->compute(x->cost->ctx, x->w->t, ci, o, &s, err);
      if (!st) st = to_ps(s, c, i, &p->dur[i], err);
      if (!st && x->memo) st = sim_memo_kernel_put(x->memo, o, p->dur[i], err);
    }
    if (st) return st;
  }
  return TS_OK;
}

ts_status sim_world_costs(sim_world *w, const sim_cost_model *cost, sim_memo *memo, ts_err *err) {
  cost_ctx x = {.w = w, .cost = cost, .memo = memo};
  x.seen = calloc((size_t)w->ranks, 1);
  ts_status st = x.seen ? sim_match_init(&x.cache, 64, err)
                        : ts_fail(err, TS_ENOMEM, "cannot allocate cost scratch");
  for (uint32_t ci = 0; !st && ci < w->t->n_classes; ci++) st = class_costs(&x, ci, err);
  sim_match_fini(&x.cache);
  free(x.seen);
  free(x.chips);
  for (int m = 0; m < TRACE_MAX_COMMS; m++) free(x.group_chips[m]);
  return st;
}
