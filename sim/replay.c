/* The replay: ranks executing their class program on FIFO streams, event by event.
 *
 * Model (traces/trace.h): an op starts when each op it depends on has finished and the previous op
 * of its stream has finished. Per rank and stream the state is the count of finished ops (head),
 * so "op d is done" is head[stream(d)] > pos(d) — no per-op state per rank. A head whose deps are
 * not met records the one dep it waits for and is re-examined when that op finishes.
 * - compute ops last their kernel duration (times the rank's speed factor);
 * - a collective whose group lies inside the simulated rank (symmetric fidelity: all members in
 *   the same class) lasts its cached duration; otherwise it is a rendezvous: the group's members
 *   meet by the op's ordinal on that comm, and the collective starts when the last one arrives;
 * - a send meets the recv with the same ordinal on the other side; the transfer starts when both
 *   are ready and both finish together.
 * Accounting for the breakdown is done on the compute stream as it runs: an op's time from ready
 * to end goes to its own category (compute, optimizer, or the comm it is); an idle gap before it is
 * blamed on the op whose completion made it ready (the last dep to finish), walking back along
 * what that op itself waited for (see blame()). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/engine_int.h"

enum { EV_DONE = 1, EV_GROUP_DONE = 2 };
enum { ST_BLOCKED, ST_RUNNING, ST_DONE };
#define NO_OP UINT32_MAX
#define TAG_GROUP ((uint64_t)1 << 48)
#define TAG_P2P ((uint64_t)2 << 48)

/* Recently finished communication ops of a rank: when it became ready, and the op whose
 * completion made it ready. Blame walks these back from an idle gap on the compute stream. */
enum { BLAME_RING = 32 };
typedef struct blame_entry {
  sim_ps ready;
  uint32_t op, cause;
} blame_entry;

typedef struct rank_state {
  uint32_t cls;
  uint32_t head[TRACE_STREAM_COUNT];    /* ops finished on each stream */
  uint32_t blocker[TRACE_STREAM_COUNT]; /* the dep a blocked head waits for */
  uint32_t cause[TRACE_STREAM_COUNT];   /* running head: the op whose completion made it ready */
  uint8_t state[TRACE_STREAM_COUNT];
  uint8_t ring_next;
  uint32_t last_op;                 /* the op that finished last */
  sim_ps ready[TRACE_STREAM_COUNT]; /* running head: when it became ready */
  sim_ps last_end, finish;          /* end of the last compute-stream op; of any op */
  sim_ps acc[SIM_CAT_COUNT];        /* compute-stream time by category */
} rank_state;

typedef struct replay {
  const trace *t;
  sim_world *w;
  const double *speed;
  bool full, timeline;
  uint32_t n_sim;
  rank_state *rs;
  blame_entry *rings; /* BLAME_RING per rank, kept apart so the hot rank state stays small */
  sim_ps *starts;     /* timeline: when each rank's running head started, per stream */
  sim_engine eng;
  sim_match match;
  sim_result *res;
  ts_status st;
  ts_err *err;
} replay;

static void try_issue(replay *rp, uint32_t r, int s, uint32_t cause, sim_ps t);

static bool fail(replay *rp, ts_status code, const char *msg, uint32_t r, uint32_t op) {
  if (!rp->st) rp->st = ts_fail(rp->err, code, "replay: %s (simulated rank %u, op %u)", msg, r, op);
  return false;
}

static void schedule(replay *rp, sim_ps t, uint16_t type, uint32_t a, uint32_t b, uint16_t d) {
  if (!sim_engine_schedule(&rp->eng, t, type, a, b, 0, d))
    fail(rp, TS_ENOMEM, "event queue full", a, b);
}

static const blame_entry *blame_find(const rank_state *x, const blame_entry *ring, uint32_t op) {
  for (int k = 1; k <= BLAME_RING; k++) {
    const blame_entry *e = &ring[(x->ring_next + BLAME_RING - k) % BLAME_RING];
    if (e->op == op) return e;
  }
  return NULL;
}

/* Charges the compute stream's idle time from last_end to t_hi, when op c finished: c's own part
 * (from when it became ready) to c's category, the part before to what c waited for, and so on
 * back along the chain of causes (a TP all-gather that waited for a pipeline recv: the recv's wait
 * is bubble, the all-gather's time exposed TP). Nothing to wait for at all is pipeline bubble. */
static void blame(rank_state *x, const blame_entry *ring, const sim_prog *p, uint32_t c,
                  sim_ps t_hi) {
  while (t_hi > x->last_end) {
    if (c == NO_OP) {
      x->acc[SIM_CAT_BUBBLE] += t_hi - x->last_end;
      return;
    }
    const blame_entry *e = blame_find(x, ring, c);
    sim_ps lo = e && e->ready > x->last_end ? e->ready : x->last_end;
    x->acc[p->cat[c]] += t_hi - lo;
    if (!e) return;
    t_hi = lo;
    c = e->cause;
  }
}

static void complete(replay *rp, uint32_t r, uint32_t op, sim_ps t) {
  rank_state *x = &rp->rs[r];
  const sim_prog *p = &rp->w->progs[x->cls];
  int s = p->cls->ops[op].stream;
  x->head[s]++;
  x->state[s] = ST_BLOCKED;
  x->blocker[s] = NO_OP;
  if (rp->timeline &&
      !sim_timeline_add(rp->res, r, op, rp->starts[(size_t)r * TRACE_STREAM_COUNT + s], t))
    fail(rp, TS_ENOMEM, "timeline too large", r, op);
  if (s == TRACE_STREAM_COMPUTE) {
    x->acc[p->cat[op]] += t - x->ready[s];
    x->last_end = t;
  } else {
    rp->rings[(size_t)r * BLAME_RING + x->ring_next] = (blame_entry){x->ready[s], op, x->cause[s]};
    x->ring_next = (uint8_t)((x->ring_next + 1) % BLAME_RING);
  }
  x->finish = t;
  x->last_op = op;
  try_issue(rp, r, s, op, t);
  for (int s2 = 0; s2 < TRACE_STREAM_COUNT; s2++)
    if (s2 != s && x->state[s2] == ST_BLOCKED && x->blocker[s2] == op) try_issue(rp, r, s2, op, t);
}

/* Members of a group, as simulated ranks: full fidelity the ranks gid + i*stride; symmetric the
 * classes the group spans (gid: the smallest). */
static uint32_t member(const replay *rp, uint32_t gid, uint32_t comm, int64_t i) {
  if (rp->full) return (uint32_t)(gid + i * rp->t->comms[comm].stride);
  return rp->w->progs[gid].group_classes[comm][i];
}

static uint32_t member_op(replay *rp, uint32_t m, uint32_t comm, uint32_t ord) {
  const sim_prog *p = &rp->w->progs[rp->rs[m].cls];
  if (ord >= p->n_comm_ops[comm]) {
    fail(rp, TS_EINPUT, "a group member has fewer collectives on this communicator", m, ord);
    return NO_OP;
  }
  return p->comm_ops[comm][ord];
}

static void group_done(replay *rp, uint32_t gid, uint32_t ord, uint32_t comm, sim_ps t) {
  int64_t n = rp->full ? rp->t->comms[comm].size : rp->w->progs[gid].n_group_classes[comm];
  for (int64_t i = 0; i < n && !rp->st; i++) {
    uint32_t m = member(rp, gid, comm, i);
    uint32_t op = member_op(rp, m, comm, ord);
    if (op != NO_OP) complete(rp, m, op, t);
  }
}

static void group_arrive(replay *rp, uint32_t r, uint32_t op, sim_ps dur, sim_ps t) {
  const sim_prog *p = &rp->w->progs[rp->rs[r].cls];
  uint32_t comm = p->cls->ops[op].comm, ord = p->ordinal[op];
  const trace_comm *cm = &rp->t->comms[comm];
  uint32_t gid = rp->full ? (uint32_t)sim_comm_base(cm, r) : p->group_classes[comm][0];
  uint32_t expected = rp->full ? (uint32_t)cm->size : p->n_group_classes[comm];
  bool created;
  sim_match_entry *e = sim_match_get(
      &rp->match, SIM_MATCH_KEY | TAG_GROUP | (uint64_t)comm << 32 | ord, gid, &created);
  if (!e) {
    fail(rp, TS_ENOMEM, "match table full", r, op);
    return;
  }
  e->count++;
  if (dur > e->dur) e->dur = dur;
  if (e->count < expected) return;
  dur = e->dur;
  sim_match_remove(&rp->match, e);
  if (rp->timeline) /* the collective runs from the last arrival */
    for (int64_t i = 0; i < expected; i++) {
      uint32_t m = member(rp, gid, comm, i), mop = member_op(rp, m, comm, ord);
      if (mop != NO_OP)
        rp->starts[(size_t)m * TRACE_STREAM_COUNT +
                   rp->w->progs[rp->rs[m].cls].cls->ops[mop].stream] = t;
    }
  schedule(rp, t + dur, EV_GROUP_DONE, gid, ord, (uint16_t)comm);
}

static void p2p_arrive(replay *rp, uint32_t r, uint32_t op, sim_ps dur, sim_ps t) {
  const sim_prog *p = &rp->w->progs[rp->rs[r].cls];
  const trace_op *o = &p->cls->ops[op];
  int64_t peer = rp->full ? sim_world_peer(rp->w, r, o->comm, (uint32_t)o->peer) : o->peer;
  if (peer < 0) {
    fail(rp, TS_EINPUT, "send/recv has no peer rank in its communicator group", r, op);
    return;
  }
  bool send = o->kind == TRACE_OP_SEND;
  uint64_t snd = send ? r : (uint64_t)peer, rcv = send ? (uint64_t)peer : r;
  bool created;
  sim_match_entry *e = sim_match_get(&rp->match, SIM_MATCH_KEY | TAG_P2P | p->ordinal[op],
                                     snd << 32 | rcv, &created);
  if (!e) {
    fail(rp, TS_ENOMEM, "match table full", r, op);
    return;
  }
  if (created) {
    *e = (sim_match_entry){e->k0, e->k1, dur, 1, r, op, o->kind};
    return;
  }
  if (e->kind == o->kind) {
    fail(rp, TS_EINPUT, "two sends (or recvs) meet with no partner", r, op);
    return;
  }
  if (e->dur > dur) dur = e->dur;
  uint32_t pr = e->rank, pop = e->op;
  sim_match_remove(&rp->match, e);
  if (rp->timeline)
    rp->starts[(size_t)pr * TRACE_STREAM_COUNT +
               rp->w->progs[rp->rs[pr].cls].cls->ops[pop].stream] = t;
  schedule(rp, t + dur, EV_DONE, r, op, 0);
  schedule(rp, t + dur, EV_DONE, pr, pop, 0);
}

static void start_op(replay *rp, uint32_t r, uint32_t op, sim_ps t) {
  const sim_prog *p = &rp->w->progs[rp->rs[r].cls];
  const trace_op *o = &p->cls->ops[op];
  sim_ps dur = p->dur[op];
  if (!trace_op_is_comm((trace_op_kind)o->kind)) {
    if (rp->speed) dur = (sim_ps)llround((double)dur * rp->speed[r]);
    schedule(rp, t + dur, EV_DONE, r, op, 0);
  } else if (o->kind == TRACE_OP_SEND || o->kind == TRACE_OP_RECV) {
    p2p_arrive(rp, r, op, dur, t);
  } else if (rp->full ? rp->t->comms[o->comm].size == 1 : p->n_group_classes[o->comm] == 1) {
    schedule(rp, t + dur, EV_DONE, r, op, 0);
  } else {
    group_arrive(rp, r, op, dur, t);
  }
}

static void try_issue(replay *rp, uint32_t r, int s, uint32_t cause, sim_ps t) {
  rank_state *x = &rp->rs[r];
  const sim_prog *p = &rp->w->progs[x->cls];
  if (x->head[s] >= p->stream_len[s]) {
    x->state[s] = ST_DONE;
    return;
  }
  uint32_t op = p->stream_ops[s][x->head[s]];
  const trace_op *ops = p->cls->ops;
  const uint32_t *deps = p->cls->deps + ops[op].dep_first;
  for (uint32_t k = 0; k < ops[op].dep_count; k++) {
    uint32_t d = deps[k];
    if (x->head[ops[d].stream] <= p->pos[d]) {
      x->blocker[s] = d;
      return;
    }
  }
  x->state[s] = ST_RUNNING;
  x->ready[s] = t;
  x->cause[s] = cause;
  if (rp->timeline) rp->starts[(size_t)r * TRACE_STREAM_COUNT + s] = t;
  if (s == TRACE_STREAM_COMPUTE) blame(x, rp->rings + (size_t)r * BLAME_RING, p, cause, t);
  start_op(rp, r, op, t);
}

/* The first stream left unfinished, preferring an op stuck at a rendezvous (the root cause). */
static ts_status deadlock(replay *rp) {
  for (int pass = 0; pass < 2; pass++)
    for (uint32_t r = 0; r < rp->n_sim; r++)
      for (int s = 0; s < TRACE_STREAM_COUNT; s++) {
        const rank_state *x = &rp->rs[r];
        if (x->state[s] == ST_DONE || (pass == 0 && x->state[s] != ST_RUNNING)) continue;
        const sim_prog *p = &rp->w->progs[x->cls];
        uint32_t op = p->stream_ops[s][x->head[s]];
        const trace_op *o = &p->cls->ops[op];
        return ts_fail(rp->err, TS_EINPUT,
                       "replay: deadlock: class %s, simulated rank %u, stream %s: op %u (%s) %s",
                       p->cls->name, r, trace_stream_name((trace_stream)s), op,
                       trace_op_kind_name((trace_op_kind)o->kind),
                       pass == 0 ? "never meets its partners" : "waits on ops that never finish");
      }
  return TS_OK;
}

static ts_status run_events(replay *rp) {
  for (uint32_t r = 0; r < rp->n_sim; r++) {
    rank_state *x = &rp->rs[r];
    for (int s = 0; s < TRACE_STREAM_COUNT; s++) x->blocker[s] = NO_OP;
    for (int k = 0; k < BLAME_RING; k++) rp->rings[(size_t)r * BLAME_RING + k].op = NO_OP;
    x->last_op = NO_OP;
  }
  for (uint32_t r = 0; r < rp->n_sim && !rp->st; r++)
    for (int s = 0; s < TRACE_STREAM_COUNT; s++) try_issue(rp, r, s, NO_OP, 0);
  sim_event ev;
  while (!rp->st && sim_engine_pop(&rp->eng, &ev)) {
    if (ev.type == EV_DONE)
      complete(rp, ev.a, ev.b, ev.time);
    else
      group_done(rp, ev.a, ev.b, ev.d, ev.time);
  }
  return rp->st ? rp->st : deadlock(rp);
}

/* Step time, the critical rank and its breakdown (the idle time after its last compute op is
 * blamed on the op that finished last). */
static void summarize(replay *rp, sim_report *rep, int64_t *critical) {
  uint32_t crit = 0;
  for (uint32_t r = 1; r < rp->n_sim; r++)
    if (rp->rs[r].finish > rp->rs[crit].finish) crit = r;
  rank_state *x = &rp->rs[crit];
  blame(x, rp->rings + (size_t)crit * BLAME_RING, &rp->w->progs[x->cls], x->last_op, x->finish);
  sim_breakdown *b = &rep->breakdown;
  double *f[SIM_CAT_COUNT] = {&b->compute_s, &b->exposed_tp_s, &b->exposed_cp_s, &b->exposed_ep_s,
                              &b->bubble_s,  &b->exposed_dp_s, &b->optimizer_s};
  for (int c = 0; c < SIM_CAT_COUNT; c++) *f[c] = sim_s_from_ps(x->acc[c]);
  rep->step_s = sim_s_from_ps(x->finish);
  rep->events = rp->eng.processed;
  *critical = crit;
}

static ts_status replay_init(replay *rp, sim_world *w, bool full, sim_result *res, ts_err *err) {
  const trace *t = w->t;
  rp->n_sim = full ? (uint32_t)t->ranks : t->n_classes;
  rp->rs = calloc(rp->n_sim, sizeof *rp->rs);
  rp->rings = malloc((size_t)rp->n_sim * BLAME_RING * sizeof *rp->rings);
  if (rp->timeline) rp->starts = calloc((size_t)rp->n_sim * TRACE_STREAM_COUNT, sizeof *rp->starts);
  if (!rp->rs || !rp->rings || (rp->timeline && !rp->starts))
    return ts_fail(err, TS_ENOMEM, "cannot allocate %u ranks", rp->n_sim);
  for (uint32_t r = 0; r < rp->n_sim; r++) rp->rs[r].cls = full ? w->class_of[r] : r;
  uint32_t cap = rp->n_sim > SIM_EVENT_MAX_POOL / 8 ? SIM_EVENT_MAX_POOL : rp->n_sim * 8;
  ts_status st = sim_engine_init(&rp->eng, cap, err);
  if (!st) st = sim_match_init(&rp->match, rp->n_sim, err);
  if (st || !rp->timeline) return st;
  uint32_t *cls = malloc(rp->n_sim * sizeof *cls);
  int64_t *ids = malloc(rp->n_sim * sizeof *ids);
  if (!cls || !ids) st = ts_fail(err, TS_ENOMEM, "timeline ranks");
  for (uint32_t r = 0; !st && r < rp->n_sim; r++) {
    cls[r] = rp->rs[r].cls;
    ids[r] = full ? r : t->classes[r].first_rank;
  }
  if (!st) st = sim_timeline_capture(res, t, rp->n_sim, cls, ids, err);
  free(cls);
  free(ids);
  return st;
}

ts_status sim_replay_world(sim_world *w, const hw_system *sys, const sim_options *opt,
                           const double *speed, sim_result **out, ts_err *err) {
  *out = NULL;
  const trace *t = w->t;
  bool full = opt->fidelity == SIM_FIDELITY_FULL;
  sim_result *res = calloc(1, sizeof *res);
  if (!res) return ts_fail(err, TS_ENOMEM, "cannot allocate the result");
  res->fidelity = opt->fidelity;
  replay rp = {.t = t,
               .w = w,
               .speed = speed,
               .full = full,
               .timeline = opt->record_timeline,
               .res = res,
               .err = err};
  ts_status st = replay_init(&rp, w, full, res, err);
  if (!st) st = run_events(&rp);
  if (!st) {
    summarize(&rp, &res->report, &res->critical_rank);
    uint32_t cls = rp.rs[res->critical_rank].cls;
    st = sim_report_fill(&res->report, t, sys, cls, w->progs[cls].dur, err);
  }
  sim_match_fini(&rp.match);
  sim_engine_fini(&rp.eng);
  free(rp.rs);
  free(rp.rings);
  free(rp.starts);
  if (st) {
    sim_result_free(res);
    return st;
  }
  *out = res;
  return TS_OK;
}

ts_status sim_replay(const trace *t, const hw_system *sys, const sim_options *opt,
                     const sim_cost_model *cost, const double *speed, sim_result **out,
                     ts_err *err) {
  *out = NULL;
  int64_t rpc = sys->chip.ranks_per_chip > 0 ? sys->chip.ranks_per_chip : 1;
  if (t->chips < 1 || t->ranks != t->chips * rpc)
    return ts_fail(err, TS_EINPUT,
                   "trace has %lld ranks on %lld chips; %s runs %lld ranks per chip",
                   (long long)t->ranks, (long long)t->chips, sys->name, (long long)rpc);
  sim_world w;
  ts_status st = sim_world_build(&w, t, rpc, opt->fidelity != SIM_FIDELITY_FULL, err);
  if (!st) st = sim_world_costs(&w, cost, NULL, err);
  if (!st) st = sim_replay_world(&w, sys, opt, speed, out, err);
  if (w.t) sim_world_fini(&w);
  return st;
}
