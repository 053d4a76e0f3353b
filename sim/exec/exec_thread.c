/* The thread transport: every rank is a thread of this process and communication is a real
 * shared-memory implementation. A collective on a communicator group publishes each member's
 * buffers, meets at a barrier (the moment the transfer starts), and then each member does its
 * share of the work with real copies and reductions: all-reduce as reduce-scatter (member i sums
 * chunk i of every input) then all-gather (copies every other member's reduced chunk), and
 * reduce-scatter, all-gather and all-to-all likewise chunk by chunk; a closing barrier keeps
 * buffers alive until everyone has read them. Send/recv is a rendezvous mailbox per (sender,
 * receiver) pair: the receiver copies straight from the sender's buffer. Every wait spins for
 * SPIN_S first (on a VM, waking a sleeping thread on an idle core costs tens of microseconds,
 * more than a small collective), then sleeps on a condition variable, waking up to notice an
 * abort or a stop. */
#include <hwloc.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>

#include "hw/hw.h"
#include "sim/exec/exec_int.h"

enum { THREAD_MAX_RANKS = 256 };
static const double SPIN_S = 50e-6;

typedef struct tbar {
  atomic_uint arrived, gen;
  uint32_t size;
  pthread_mutex_t mu;
  pthread_cond_t cv;
} tbar;

typedef struct tchan {
  tbar bar;
  float **send, **recv;
} tchan;

typedef struct tmail {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  _Atomic uint64_t posted, consumed; /* written under mu; read without it while spinning */
  const float *buf;
  size_t n;
  double sync;
} tmail;

typedef struct tworld {
  const trace *t;
  int64_t ranks;
  tbar world;
  tchan *chans[TRACE_MAX_COMMS];
  int64_t n_chans[TRACE_MAX_COMMS];
  tmail *mail; /* ranks x ranks */
  atomic_int abort;
  volatile sig_atomic_t *stop;
} tworld;

static bool t_aborted(void *tctx) {
  tworld *w = tctx;
  return atomic_load(&w->abort) || (w->stop && *w->stop);
}
static void t_abort(void *tctx) {
  atomic_store(&((tworld *)tctx)->abort, 1);
}

static void deadline(struct timespec *ts) {
  clock_gettime(CLOCK_REALTIME, ts);
  ts->tv_nsec += 20 * 1000 * 1000;
  if (ts->tv_nsec >= 1000000000) ts->tv_sec++, ts->tv_nsec -= 1000000000;
}

static void bar_init(tbar *b, uint32_t size) {
  atomic_init(&b->arrived, 0);
  atomic_init(&b->gen, 0);
  b->size = size;
  pthread_mutex_init(&b->mu, NULL);
  pthread_cond_init(&b->cv, NULL);
}
static void bar_fini(tbar *b) {
  pthread_mutex_destroy(&b->mu);
  pthread_cond_destroy(&b->cv);
}

/* false when the world aborted while waiting */
static bool bar_wait(tbar *b, tworld *w) {
  unsigned g = atomic_load(&b->gen);
  if (atomic_fetch_add(&b->arrived, 1) + 1 == b->size) {
    atomic_store(&b->arrived, 0);
    pthread_mutex_lock(&b->mu);
    atomic_fetch_add(&b->gen, 1);
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
    return true;
  }
  double until = exec_now_s() + SPIN_S;
  for (int i = 0;; i++) {
    if (atomic_load(&b->gen) != g) return true;
    if (i % 64 == 63 && exec_now_s() > until) break;
  }
  pthread_mutex_lock(&b->mu);
  while (atomic_load(&b->gen) == g && !t_aborted(w)) {
    struct timespec ts;
    deadline(&ts);
    pthread_cond_timedwait(&b->cv, &b->mu, &ts);
  }
  pthread_mutex_unlock(&b->mu);
  return atomic_load(&b->gen) != g;
}

static ts_status aborted_err(const exec_rank *rk, ts_err *err) {
  return ts_fail(err, TS_ERUN, "interrupted: rank %lld stopped waiting for its peers",
                 (long long)rk->rank);
}

static ts_status t_barrier(void *tctx, exec_rank *rk, ts_err *err) {
  return bar_wait(&((tworld *)tctx)->world, tctx) ? TS_OK : aborted_err(rk, err);
}

/* y[0..n) += x[0..n), in vectorisable blocks (EXEC_VB), as an MPI library's reduction is. */
static void add_into(float *restrict y, const float *restrict x, size_t n) {
  size_t i = 0;
  for (; i + EXEC_VB <= n; i += EXEC_VB)
    for (int j = 0; j < EXEC_VB; j++) y[i + j] += x[i + j];
  for (; i < n; i++) y[i] += x[i];
}

static void sum_into(float *dst, float *const *src, int64_t g, size_t lo, size_t hi) {
  if (hi <= lo) return;
  memcpy(dst + lo, src[0] + lo, (hi - lo) * sizeof *dst);
  for (int64_t j = 1; j < g; j++) add_into(dst + lo, src[j] + lo, hi - lo);
}

static void chunk(size_t n, int64_t g, int64_t i, size_t *lo, size_t *hi) {
  size_t part = (n + (size_t)g - 1) / (size_t)g;
  *lo = part * (size_t)i < n ? part * (size_t)i : n;
  *hi = *lo + part < n ? *lo + part : n;
}

/* Member i's share of a collective of n floats over g members, after the opening barrier. */
static bool coll_work(tchan *ch, tworld *w, trace_op_kind kind, int64_t g, int64_t i, size_t n) {
  size_t lo, hi, part = (n + (size_t)g - 1) / (size_t)g;
  chunk(n, g, i, &lo, &hi);
  float *recv = ch->recv[i], *send = ch->send[i];
  switch (kind) {
    case TRACE_OP_ALL_REDUCE:
      sum_into(recv, ch->send, g, lo, hi);
      if (!bar_wait(&ch->bar, w)) return false;
      for (int64_t j = 0; j < g; j++) {
        size_t a, b;
        chunk(n, g, j, &a, &b);
        if (j != i && b > a) memcpy(recv + a, ch->recv[j] + a, (b - a) * sizeof *recv);
      }
      break;
    case TRACE_OP_REDUCE_SCATTER:
      if (hi > lo) memcpy(recv, send + lo, (hi - lo) * sizeof *recv);
      for (int64_t j = 0; j < g; j++)
        if (j != i && hi > lo) add_into(recv, ch->send[j] + lo, hi - lo);
      break;
    case TRACE_OP_ALL_GATHER:
      for (int64_t j = 0; j < g; j++) {
        size_t a, b;
        chunk(n, g, j, &a, &b);
        if (b > a) memcpy(recv + a, ch->send[j], (b - a) * sizeof *recv);
      }
      break;
    default: /* all-to-all: my chunk j comes from member j's chunk i */
      for (int64_t j = 0; j < g; j++) {
        size_t a, b;
        chunk(n, g, j, &a, &b);
        if (b > a && hi > lo)
          memcpy(recv + a, ch->send[j] + lo, (hi - lo < b - a ? hi - lo : b - a) * sizeof *recv);
      }
      break;
  }
  (void)part;
  return bar_wait(&ch->bar, w);
}

/* Called with m->mu held; spins (lock released) for SPIN_S first, as bar_wait does. */
static bool mail_wait(tmail *m, tworld *w, _Atomic uint64_t *field, uint64_t want) {
  if (atomic_load(field) < want) {
    pthread_mutex_unlock(&m->mu);
    double until = exec_now_s() + SPIN_S;
    for (int i = 0; atomic_load(field) < want; i++)
      if (i % 64 == 63 && exec_now_s() > until) break;
    pthread_mutex_lock(&m->mu);
  }
  while (atomic_load(field) < want && !t_aborted(w)) {
    struct timespec ts;
    deadline(&ts);
    pthread_cond_timedwait(&m->cv, &m->mu, &ts);
  }
  return atomic_load(field) >= want;
}

static ts_status t_p2p(tworld *w, exec_rank *rk, const trace_op *op, uint32_t ordinal, float *buf,
                       size_t n, double *sync, ts_err *err) {
  int64_t peer = exec_p2p_peer(w->t, rk->rank, op->comm, (uint32_t)op->peer);
  if (peer < 0)
    return ts_fail(err, TS_EINPUT, "rank %lld: no peer in class %d on communicator %u",
                   (long long)rk->rank, op->peer, op->comm);
  bool send = op->kind == TRACE_OP_SEND;
  tmail *m = &w->mail[send ? rk->rank * w->ranks + peer : peer * w->ranks + rk->rank];
  /* messages of a pair are strictly ordered; both sides number them the same way */
  uint64_t seq = ((uint64_t)rk->step << 32) + ordinal + 1;
  bool ok;
  pthread_mutex_lock(&m->mu);
  if (send) {
    ok = mail_wait(m, w, &m->consumed, m->posted); /* the previous message was taken */
    if (ok) {
      m->buf = buf, m->n = n, m->posted = seq;
      pthread_cond_broadcast(&m->cv);
      ok = mail_wait(m, w, &m->consumed, seq);
      *sync = m->sync;
    }
  } else {
    ok = mail_wait(m, w, &m->posted, seq);
    if (ok && m->posted != seq) {
      pthread_mutex_unlock(&m->mu);
      return ts_fail(err, TS_ERUN, "rank %lld: recv %u from rank %lld out of order",
                     (long long)rk->rank, ordinal, (long long)peer);
    }
    if (ok) {
      *sync = m->sync = exec_now_s();
      memcpy(buf, m->buf, (n < m->n ? n : m->n) * sizeof *buf);
      m->consumed = seq;
      pthread_cond_broadcast(&m->cv);
    }
  }
  pthread_mutex_unlock(&m->mu);
  return ok ? TS_OK : aborted_err(rk, err);
}

static ts_status t_coll(void *tctx, exec_rank *rk, const trace_op *op, uint32_t ordinal,
                        float *send, float *recv, size_t n, double *sync, ts_err *err) {
  tworld *w = tctx;
  if (op->kind == TRACE_OP_SEND || op->kind == TRACE_OP_RECV)
    return t_p2p(w, rk, op, ordinal, send, n, sync, err);
  const trace_comm *cm = &w->t->comms[op->comm];
  int64_t base = exec_comm_base(cm, rk->rank), span = cm->size * cm->stride;
  int64_t group = base / span * cm->stride + base % cm->stride, i = (rk->rank - base) / cm->stride;
  tchan *ch = &w->chans[op->comm][group];
  ch->send[i] = send;
  ch->recv[i] = recv;
  if (!bar_wait(&ch->bar, w)) return aborted_err(rk, err);
  *sync = exec_now_s();
  if (!coll_work(ch, w, (trace_op_kind)op->kind, cm->size, i, n)) return aborted_err(rk, err);
  return TS_OK;
}

static const exec_transport THREAD_TRANSPORT = {.name = "threads",
                                                .coll = t_coll,
                                                .barrier = t_barrier,
                                                .aborted = t_aborted,
                                                .abort = t_abort};

static void world_free(tworld *w) {
  if (!w) return;
  for (uint32_t m = 0; m < TRACE_MAX_COMMS; m++) {
    for (int64_t g = 0; w->chans[m] && g < w->n_chans[m]; g++) {
      bar_fini(&w->chans[m][g].bar);
      free(w->chans[m][g].send);
      free(w->chans[m][g].recv);
    }
    free(w->chans[m]);
  }
  if (w->mail)
    for (int64_t k = 0; k < w->ranks * w->ranks; k++) {
      pthread_mutex_destroy(&w->mail[k].mu);
      pthread_cond_destroy(&w->mail[k].cv);
    }
  free(w->mail);
  bar_fini(&w->world);
  free(w);
}

static ts_status world_new(const trace *t, volatile sig_atomic_t *stop, tworld **out, ts_err *err) {
  tworld *w = calloc(1, sizeof *w);
  if (!w) return ts_fail(err, TS_ENOMEM, "threads: out of memory");
  w->t = t, w->ranks = t->ranks, w->stop = stop;
  bar_init(&w->world, (uint32_t)t->ranks);
  w->mail = calloc((size_t)(t->ranks * t->ranks), sizeof *w->mail);
  bool ok = w->mail != NULL;
  for (int64_t k = 0; ok && k < t->ranks * t->ranks; k++) {
    pthread_mutex_init(&w->mail[k].mu, NULL);
    pthread_cond_init(&w->mail[k].cv, NULL);
  }
  if (!ok) w->ranks = 0; /* nothing to destroy */
  for (uint32_t m = 0; ok && m < t->n_comms; m++) {
    const trace_comm *cm = &t->comms[m];
    if (cm->size < 1 || cm->stride < 1 || t->ranks % (cm->size * cm->stride) != 0) {
      world_free(w);
      return ts_fail(err, TS_EINPUT,
                     "communicator %s: size %lld x stride %lld does not tile %lld "
                     "ranks",
                     cm->name, (long long)cm->size, (long long)cm->stride, (long long)t->ranks);
    }
    w->n_chans[m] = t->ranks / cm->size;
    w->chans[m] = calloc((size_t)w->n_chans[m], sizeof *w->chans[m]);
    ok = w->chans[m] != NULL;
    for (int64_t g = 0; ok && g < w->n_chans[m]; g++) {
      tchan *ch = &w->chans[m][g];
      bar_init(&ch->bar, (uint32_t)cm->size);
      ch->send = calloc((size_t)cm->size, sizeof *ch->send);
      ch->recv = calloc((size_t)cm->size, sizeof *ch->recv);
      ok = ch->send && ch->recv;
    }
  }
  if (!ok) {
    world_free(w);
    return ts_fail(err, TS_ENOMEM, "threads: cannot allocate communicators");
  }
  *out = w;
  return TS_OK;
}

/* ---- the runner ------------------------------------------------------------------------------ */
typedef struct rank_job {
  tworld *w;
  exec_rank rk;
  const exec_schedule *sch;
  const exec_options *opt;
  int64_t rank;
  int core, steps;
  ts_status st;
  ts_err err;
} rank_job;

static void *rank_main(void *p) {
  rank_job *j = p;
  j->st = exec_rank_init(&j->rk, j->w->t, j->rank, j->sch, j->opt, &THREAD_TRANSPORT, j->w, j->core,
                         &j->err);
  for (int s = 0; !j->st && s < j->steps; s++) j->st = exec_rank_step(&j->rk, &j->err);
  if (j->st) t_abort(j->w);
  return NULL;
}

static int host_cores(void) {
  hwloc_topology_t topo;
  if (hwloc_topology_init(&topo) != 0) return 1;
  int n = hwloc_topology_load(topo) == 0 ? hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE) : 1;
  hwloc_topology_destroy(topo);
  return n > 0 ? n : 1;
}

static ts_status memory_limit(const exec_options *opt, double *limit, ts_err *err) {
  *limit = opt->memory_limit_bytes;
  if (*limit > 0.0) return TS_OK;
  hw_host host;
  ts_status st = hw_host_describe(&host, err);
  *limit = host.memory_bytes;
  return st;
}

/* The first real failure; "interrupted" from ranks that only saw another's abort comes last. */
static ts_status first_error(rank_job *jobs, int64_t n, ts_err *err) {
  int64_t pick = -1;
  for (int64_t r = 0; r < n; r++)
    if (jobs[r].st && (pick < 0 || (strstr(jobs[pick].err.msg, "interrupted") &&
                                    !strstr(jobs[r].err.msg, "interrupted"))))
      pick = r;
  if (pick < 0) return TS_OK;
  *err = jobs[pick].err;
  return jobs[pick].st;
}

static ts_status run_jobs(tworld *w, rank_job *jobs, const exec_schedule *sch,
                          const exec_options *opt, ts_err *err) {
  const trace *t = w->t;
  int cores = host_cores();
  pthread_t *th = calloc((size_t)t->ranks, sizeof *th);
  bool *started = calloc((size_t)t->ranks, sizeof *started);
  if (!th || !started) {
    free(th);
    free(started);
    return ts_fail(err, TS_ENOMEM, "threads: out of memory");
  }
  int steps = 1 + (opt->warmup_steps < 0 ? 1 : opt->warmup_steps);
  for (int64_t r = 0; r < t->ranks; r++) {
    int32_t ci = exec_class_of(t, r);
    jobs[r] = (rank_job){.w = w,
                         .sch = &sch[ci < 0 ? 0 : ci],
                         .opt = opt,
                         .rank = r,
                         .core = opt->no_bind ? -1 : (int)(r % cores),
                         .steps = steps};
    started[r] = pthread_create(&th[r], NULL, rank_main, &jobs[r]) == 0;
    if (!started[r]) {
      jobs[r].st =
          ts_fail(&jobs[r].err, TS_ERUN, "cannot start the thread of rank %lld", (long long)r);
      t_abort(w);
    }
  }
  for (int64_t r = 0; r < t->ranks; r++)
    if (started[r]) pthread_join(th[r], NULL);
  free(th);
  free(started);
  return first_error(jobs, t->ranks, err);
}

ts_status exec_run_threads(const trace *t, const exec_options *opt, exec_result **out,
                           ts_err *err) {
  *out = NULL;
  double limit;
  ts_status st = memory_limit(opt, &limit, err);
  if (!st) st = exec_check(t, opt->ranks, limit, err);
  if (st) return st;
  if (t->ranks > THREAD_MAX_RANKS)
    return ts_fail(err, TS_EUSAGE, "the thread transport runs at most %d ranks (trace: %lld)",
                   THREAD_MAX_RANKS, (long long)t->ranks);
  exec_schedule *sch = calloc(t->n_classes, sizeof *sch);
  rank_job *jobs = calloc((size_t)t->ranks, sizeof *jobs);
  tworld *w = NULL;
  if (!sch || !jobs) st = ts_fail(err, TS_ENOMEM, "threads: out of memory");
  for (uint32_t ci = 0; !st && ci < t->n_classes; ci++)
    st = exec_schedule_build(t, ci, &sch[ci], err);
  if (!st) st = world_new(t, opt->stop, &w, err);
  int saved = openblas_get_num_threads();
  if (!st) {
    openblas_set_num_threads(1);
    st = run_jobs(w, jobs, sch, opt, err);
    openblas_set_num_threads(saved);
  }
  if (!st && opt->stop && *opt->stop) st = ts_fail(err, TS_ERUN, "interrupted");
  if (!st) st = exec_result_new(t, out, err);
  for (int64_t r = 0; !st && r < t->ranks; r++) st = exec_result_take(*out, &jobs[r].rk, err);
  if (st && *out) {
    exec_result_free(*out);
    *out = NULL;
  }
  for (int64_t r = 0; jobs && r < t->ranks; r++) exec_rank_fini(&jobs[r].rk);
  for (uint32_t ci = 0; sch && ci < t->n_classes; ci++) exec_schedule_fini(&sch[ci]);
  free(sch);
  free(jobs);
  world_free(w);
  return st;
}
