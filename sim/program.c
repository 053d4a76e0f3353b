/* The replay's world: which class each rank runs, and each class's program prepared once for all
 * its ranks — ops split into FIFO streams (op -> position, position -> op), the ordinal that
 * matches each communication op with its partners (the k-th collective on a comm in every member;
 * the k-th send from class A to B with the k-th recv in B from A), and the category each op is
 * charged to in the breakdown. Ranks share all of it, so per-rank state is a few counters.
 *
 * Ranks of a class are first_rank .. first_rank + ranks - 1 (the generator places pipeline stages
 * outermost, so a stage is a contiguous block); classes must cover the ranks exactly once. */
#include "sim/engine_int.h"

#include <stdlib.h>
#include <string.h>

static ts_status check_comms(const trace *t, ts_err *err) {
  for (uint32_t c = 0; c < t->n_comms; c++) {
    const trace_comm *cm = &t->comms[c];
    if (cm->size < 1 || cm->stride < 1 || cm->size > t->ranks / cm->stride ||
        t->ranks % (cm->size * cm->stride) != 0)
      return ts_fail(err, TS_EINPUT,
                     "communicator %u (%s): size %lld x stride %lld does not tile %lld ranks", c,
                     cm->name, (long long)cm->size, (long long)cm->stride, (long long)t->ranks);
  }
  return TS_OK;
}

static ts_status map_ranks(sim_world *w, ts_err *err) {
  const trace *t = w->t;
  w->class_of = malloc((size_t)w->ranks * sizeof *w->class_of);
  if (!w->class_of) return ts_fail(err, TS_ENOMEM, "cannot map %lld ranks", (long long)w->ranks);
  memset(w->class_of, 0xff, (size_t)w->ranks * sizeof *w->class_of);
  for (uint32_t ci = 0; ci < t->n_classes; ci++) {
    const trace_class *c = &t->classes[ci];
    if (c->first_rank < 0 || c->ranks < 1 || c->ranks > w->ranks - c->first_rank)
      return ts_fail(err, TS_EINPUT, "class %u (%s): ranks %lld..%lld outside 0..%lld", ci, c->name,
                     (long long)c->first_rank, (long long)(c->first_rank + c->ranks - 1),
                     (long long)(w->ranks - 1));
    for (int64_t r = c->first_rank; r < c->first_rank + c->ranks; r++) {
      if (w->class_of[r] != UINT32_MAX)
        return ts_fail(err, TS_EINPUT, "class %u (%s): rank %lld already belongs to class %u", ci,
                       c->name, (long long)r, w->class_of[r]);
      w->class_of[r] = ci;
    }
  }
  for (int64_t r = 0; r < w->ranks; r++)
    if (w->class_of[r] == UINT32_MAX)
      return ts_fail(err, TS_EINPUT, "rank %lld belongs to no class", (long long)r);
  return TS_OK;
}

static ts_status check_op(const trace *t, uint32_t ci, uint32_t i, const trace_op *o, ts_err *err) {
  bool comm = o->kind < TRACE_OP_KIND_COUNT && trace_op_is_comm(o->kind);
  bool p2p = o->kind == TRACE_OP_SEND || o->kind == TRACE_OP_RECV;
  if (o->kind >= TRACE_OP_KIND_COUNT || o->stream >= TRACE_STREAM_COUNT ||
      (comm && o->comm >= t->n_comms) ||
      (p2p && (o->peer < 0 || (uint32_t)o->peer >= t->n_classes)))
    return ts_fail(err, TS_EINPUT,
                   "class %u op %u: kind %u, stream %u, comm %u or peer %d out of range", ci, i,
                   o->kind, o->stream, o->comm, o->peer);
  const trace_class *c = &t->classes[ci];
  if ((uint64_t)o->dep_first + o->dep_count > c->n_deps)
    return ts_fail(err, TS_EINPUT, "class %u op %u: deps beyond the class's %u", ci, i, c->n_deps);
  for (uint32_t k = 0; k < o->dep_count; k++)
    if (c->deps[o->dep_first + k] >= i)
      return ts_fail(err, TS_EINPUT, "class %u op %u: dep %u is not an earlier op", ci, i,
                     c->deps[o->dep_first + k]);
  return TS_OK;
}

static ts_status alloc_prog(sim_prog *p, const trace_class *c, ts_err *err) {
  size_t n = c->n_ops ? c->n_ops : 1;
  p->pos = malloc(n * sizeof *p->pos);
  p->ordinal = malloc(n * sizeof *p->ordinal);
  p->cat = malloc(n);
  if (!p->pos || !p->ordinal || !p->cat)
    return ts_fail(err, TS_ENOMEM, "class %s: cannot allocate its program", c->name);
  return TS_OK;
}

/* Streams and ordinals. counters: 2 x n_classes zeroed scratch for send/recv ordinals. */
static ts_status split_streams(sim_prog *p, const trace *t, uint32_t *counters, ts_err *err) {
  const trace_class *c = p->cls;
  for (uint32_t i = 0; i < c->n_ops; i++) {
    const trace_op *o = &c->ops[i];
    p->pos[i] = p->stream_len[o->stream]++;
    p->cat[i] = (uint8_t)sim_op_category(t, o);
    if (o->kind == TRACE_OP_SEND || o->kind == TRACE_OP_RECV) {
      uint32_t *k = &counters[2 * (uint32_t)o->peer + (o->kind == TRACE_OP_RECV)];
      p->ordinal[i] = (*k)++;
    } else if (trace_op_is_comm(o->kind)) {
      p->ordinal[i] = p->n_comm_ops[o->comm]++;
    }
  }
  for (uint32_t i = 0; i < c->n_ops; i++) /* reset the scratch this class touched */
    if (c->ops[i].kind == TRACE_OP_SEND || c->ops[i].kind == TRACE_OP_RECV)
      counters[2 * (uint32_t)c->ops[i].peer] = counters[2 * (uint32_t)c->ops[i].peer + 1] = 0;
  for (int s = 0; s < TRACE_STREAM_COUNT; s++) {
    p->stream_ops[s] = malloc((p->stream_len[s] ? p->stream_len[s] : 1) * sizeof(uint32_t));
    if (!p->stream_ops[s]) return ts_fail(err, TS_ENOMEM, "class %s: streams", c->name);
  }
  for (uint32_t m = 0; m < t->n_comms; m++) {
    if (!p->n_comm_ops[m]) continue;
    p->comm_ops[m] = malloc(p->n_comm_ops[m] * sizeof(uint32_t));
    if (!p->comm_ops[m]) return ts_fail(err, TS_ENOMEM, "class %s: comm ops", c->name);
  }
  for (uint32_t i = 0; i < c->n_ops; i++) {
    const trace_op *o = &c->ops[i];
    p->stream_ops[o->stream][p->pos[i]] = i;
    if (trace_op_is_comm(o->kind) && o->kind != TRACE_OP_SEND && o->kind != TRACE_OP_RECV)
      p->comm_ops[o->comm][p->ordinal[i]] = i;
  }
  return TS_OK;
}

static int cmp_u32(const void *x, const void *y) {
  uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
  return (a > b) - (a < b);
}

/* Symmetric fidelity: the classes of the members of first_rank's group on each comm it uses. */
static ts_status group_classes(sim_world *w, sim_prog *p, ts_err *err) {
  const trace *t = w->t;
  for (uint32_t m = 0; m < t->n_comms; m++) {
    if (!p->n_comm_ops[m]) continue;
    const trace_comm *cm = &t->comms[m];
    uint32_t *list = malloc((size_t)cm->size * sizeof *list);
    if (!list) return ts_fail(err, TS_ENOMEM, "class %s: group of %s", p->cls->name, cm->name);
    int64_t base = sim_comm_base(cm, p->cls->first_rank);
    for (int64_t i = 0; i < cm->size; i++) list[i] = w->class_of[base + i * cm->stride];
    qsort(list, (size_t)cm->size, sizeof *list, cmp_u32);
    uint32_t n = 0;
    for (int64_t i = 0; i < cm->size; i++)
      if (n == 0 || list[n - 1] != list[i]) list[n++] = list[i];
    p->group_classes[m] = list;
    p->n_group_classes[m] = n;
  }
  return TS_OK;
}

/* Symmetric fidelity needs every class of a group to see the same group (one rendezvous for all).
 */
static ts_status check_group_classes(const sim_world *w, ts_err *err) {
  for (uint32_t ci = 0; ci < w->t->n_classes; ci++)
    for (uint32_t m = 0; m < w->t->n_comms; m++) {
      const sim_prog *p = &w->progs[ci];
      if (p->n_group_classes[m] < 2) continue;
      const sim_prog *g = &w->progs[p->group_classes[m][0]];
      if (g->n_group_classes[m] != p->n_group_classes[m] ||
          memcmp(g->group_classes[m], p->group_classes[m],
                 p->n_group_classes[m] * sizeof(uint32_t)) != 0)
        return ts_fail(err, TS_EINPUT,
                       "class %s: its %s group spans classes that group differently (not a "
                       "symmetric layout; use full fidelity)",
                       p->cls->name, w->t->comms[m].name);
    }
  return TS_OK;
}

ts_status sim_world_init(sim_world *w, const trace *t, int64_t ranks_per_chip, ts_err *err) {
  memset(w, 0, sizeof *w);
  w->t = t;
  w->ranks = t->ranks;
  w->ranks_per_chip = ranks_per_chip;
  if (t->ranks < 1 || t->ranks > INT32_MAX || t->n_classes < 1)
    return ts_fail(err, TS_EINPUT, "trace has %lld ranks in %u classes; expected 1..%d ranks",
                   (long long)t->ranks, t->n_classes, INT32_MAX);
  ts_status st = check_comms(t, err);
  if (!st) st = map_ranks(w, err);
  if (st) return st;
  w->progs = calloc(t->n_classes, sizeof *w->progs);
  if (!w->progs) return ts_fail(err, TS_ENOMEM, "cannot allocate class programs");
  for (uint32_t ci = 0; !st && ci < t->n_classes; ci++) {
    const trace_class *c = &t->classes[ci];
    for (uint32_t i = 0; !st && i < c->n_ops; i++) st = check_op(t, ci, i, &c->ops[i], err);
    w->progs[ci].cls = c;
    w->progs[ci].dur = calloc(c->n_ops ? c->n_ops : 1, sizeof *w->progs[ci].dur);
    if (!st && !w->progs[ci].dur)
      st = ts_fail(err, TS_ENOMEM, "class %s: cannot allocate its durations", c->name);
  }
  return st;
}

ts_status sim_world_programs(sim_world *w, bool symmetric, ts_err *err) {
  const trace *t = w->t;
  if (w->programs) return TS_OK;
  w->programs = true;
  uint32_t *counters = calloc(2 * (size_t)t->n_classes, sizeof *counters);
  ts_status st = counters ? TS_OK : ts_fail(err, TS_ENOMEM, "cannot allocate class programs");
  for (uint32_t ci = 0; !st && ci < t->n_classes; ci++) {
    st = alloc_prog(&w->progs[ci], &t->classes[ci], err);
    if (!st) st = split_streams(&w->progs[ci], t, counters, err);
    if (!st && symmetric) st = group_classes(w, &w->progs[ci], err);
  }
  free(counters);
  if (!st && symmetric) st = check_group_classes(w, err);
  return st;
}

ts_status sim_world_build(sim_world *w, const trace *t, int64_t ranks_per_chip, bool symmetric,
                          ts_err *err) {
  ts_status st = sim_world_init(w, t, ranks_per_chip, err);
  return st ? st : sim_world_programs(w, symmetric, err);
}

void sim_world_fini(sim_world *w) {
  if (w->progs)
    for (uint32_t ci = 0; ci < w->t->n_classes; ci++) {
      sim_prog *p = &w->progs[ci];
      free(p->pos);
      free(p->ordinal);
      free(p->dur);
      free(p->cat);
      for (int s = 0; s < TRACE_STREAM_COUNT; s++) free(p->stream_ops[s]);
      for (int m = 0; m < TRACE_MAX_COMMS; m++) {
        free(p->comm_ops[m]);
        free(p->group_classes[m]);
      }
    }
  free(w->progs);
  free(w->class_of);
  memset(w, 0, sizeof *w);
}

int64_t sim_world_peer(const sim_world *w, int64_t rank, uint32_t comm, uint32_t peer_cls) {
  const trace_comm *cm = &w->t->comms[comm];
  int64_t base = sim_comm_base(cm, rank);
  for (int64_t i = 0; i < cm->size; i++) {
    int64_t m = base + i * cm->stride;
    if (w->class_of[m] == peer_cls) return m;
  }
  return -1;
}
