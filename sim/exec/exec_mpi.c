/* The MPI transport (built with TRAINSIM_HAVE_MPI): this process is one rank of MPI_COMM_WORLD and
 * runs the same rank executor and schedule as the thread transport. Each trace communicator becomes
 * an MPI communicator split from the world (color: the group, key: the position in it); one more
 * duplicate of the world carries send/recv (tag: the message's ordinal). Calls are nonblocking
 * (MPI_Iallreduce, MPI_Iallgather, MPI_Ireduce_scatter_block, MPI_Ialltoall, MPI_Isend/Irecv)
 * completed by a test loop that yields the core and watches the stop flag, so a stream thread
 * never blocks the rank's compute thread for long; the threads of a rank call MPI at the same time
 * on different communicators (MPI_THREAD_MULTIPLE). A comm op is timed from this rank's call (MPI
 * does not tell when the peers arrived); rank 0, holding every rank's times on one clock, then
 * moves each start to the last partner's call (exec_result_sync_arrivals). A stop (SIGINT) or a
 * failure ends the job with MPI_Abort, since peers blocked in a collective cannot be released
 * otherwise; no output has been written then. At the end every rank sends its op intervals to world
 * rank 0, which holds the whole result. */
#ifdef TRAINSIM_HAVE_MPI
#include <mpi.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "hw/hw.h"
#include "sim/exec/exec_int.h"

typedef struct mworld {
  const trace *t;
  MPI_Comm comms[TRACE_MAX_COMMS];
  MPI_Comm p2p;
  int rank, size;
  volatile sig_atomic_t *stop;
} mworld;

bool exec_mpi_available(void) {
  return true;
}

static bool m_aborted(void *tctx) {
  mworld *w = tctx;
  return w->stop && *w->stop;
}

static void m_abort(void *tctx) { /* peers may be inside a collective: end the job */
  (void)tctx;
  MPI_Abort(MPI_COMM_WORLD, 130);
}

static ts_status mpi_fail(ts_err *err, int rc, const char *what) {
  char msg[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, msg, &len);
  return ts_fail(err, TS_ERUN, "MPI %s: %s", what, msg);
}

/* Polls the request to completion, yielding the core between tests. Open MPI progresses a
 * nonblocking operation only inside MPI calls on this thread, so a collective waits for the
 * compute thread's time slice between tests (a 1 MB reduce-scatter takes 3-4 ms instead of the
 * thread transport's 0.2). Polling without a pause, or napping 20 us between tests, made the
 * collectives fast but slowed the compute they preempted by 35-40% (cache and context-switch
 * cost, measured as the GEMMs' own CPU time), a worse error; an MPI build with a progress thread
 * would need neither. */
static ts_status finish(mworld *w, MPI_Request *req, ts_err *err) {
  int done = 0;
  while (!done) {
    int rc = MPI_Test(req, &done, MPI_STATUS_IGNORE);
    if (rc != MPI_SUCCESS) return mpi_fail(err, rc, "test");
    if (!done) {
      if (m_aborted(w)) m_abort(w);
      sched_yield();
    }
  }
  return TS_OK;
}

static ts_status m_coll(void *tctx, exec_rank *rk, const trace_op *op, uint32_t ordinal,
                        float *send, float *recv, size_t n, double *sync, ts_err *err) {
  mworld *w = tctx;
  MPI_Request req;
  int rc;
  *sync = exec_now_s();
  if (op->kind == TRACE_OP_SEND || op->kind == TRACE_OP_RECV) {
    int64_t peer = exec_p2p_peer(w->t, rk->rank, op->comm, (uint32_t)op->peer);
    if (peer < 0)
      return ts_fail(err, TS_EINPUT, "rank %lld: no peer in class %d", (long long)rk->rank,
                     op->peer);
    int tag = (int)(ordinal % 32768u);
    rc = op->kind == TRACE_OP_SEND
             ? MPI_Isend(send, (int)n, MPI_FLOAT, (int)peer, tag, w->p2p, &req)
             : MPI_Irecv(send, (int)n, MPI_FLOAT, (int)peer, tag, w->p2p, &req);
  } else {
    MPI_Comm c = w->comms[op->comm];
    int g = 1;
    MPI_Comm_size(c, &g);
    int part = (int)((n + (size_t)g - 1) / (size_t)g);
    switch ((trace_op_kind)op->kind) {
      case TRACE_OP_ALL_REDUCE:
        rc = MPI_Iallreduce(send, recv, (int)n, MPI_FLOAT, MPI_SUM, c, &req);
        break;
      case TRACE_OP_ALL_GATHER:
        rc = MPI_Iallgather(send, part, MPI_FLOAT, recv, part, MPI_FLOAT, c, &req);
        break;
      case TRACE_OP_REDUCE_SCATTER:
        rc = MPI_Ireduce_scatter_block(send, recv, part, MPI_FLOAT, MPI_SUM, c, &req);
        break;
      default:
        rc = MPI_Ialltoall(send, part, MPI_FLOAT, recv, part, MPI_FLOAT, c, &req);
        break;
    }
  }
  if (rc != MPI_SUCCESS) return mpi_fail(err, rc, trace_op_kind_name((trace_op_kind)op->kind));
  return finish(w, &req, err);
}

static ts_status m_barrier(void *tctx, exec_rank *rk, ts_err *err) {
  (void)tctx, (void)rk;
  int rc = MPI_Barrier(MPI_COMM_WORLD);
  return rc == MPI_SUCCESS ? TS_OK : mpi_fail(err, rc, "barrier");
}

static const exec_transport MPI_TRANSPORT = {
    .name = "mpi", .coll = m_coll, .barrier = m_barrier, .aborted = m_aborted, .abort = m_abort};

static ts_status world_init(mworld *w, const trace *t, ts_err *err) {
  int inited = 0, provided = 0;
  MPI_Initialized(&inited);
  if (!inited)
    MPI_Init_thread(NULL, NULL, MPI_THREAD_MULTIPLE, &provided);
  else
    MPI_Query_thread(&provided);
  if (provided < MPI_THREAD_MULTIPLE)
    return ts_fail(err, TS_ERUN, "MPI gives thread level %d; exec needs MPI_THREAD_MULTIPLE",
                   provided);
  MPI_Comm_rank(MPI_COMM_WORLD, &w->rank);
  MPI_Comm_size(MPI_COMM_WORLD, &w->size);
  w->t = t;
  if (w->size != t->ranks)
    return ts_fail(err, TS_EUSAGE, "%d MPI processes but the trace has %lld ranks (mpirun -n %lld)",
                   w->size, (long long)t->ranks, (long long)t->ranks);
  for (uint32_t m = 0; m < t->n_comms; m++) {
    const trace_comm *cm = &t->comms[m];
    int64_t base = exec_comm_base(cm, w->rank), span = cm->size * cm->stride;
    int color = (int)(base / span * cm->stride + base % cm->stride);
    MPI_Comm_split(MPI_COMM_WORLD, color, (int)((w->rank - base) / cm->stride), &w->comms[m]);
  }
  MPI_Comm_dup(MPI_COMM_WORLD, &w->p2p);
  return TS_OK;
}

static void world_fini(mworld *w) {
  if (!w->t) return;
  for (uint32_t m = 0; m < w->t->n_comms; m++)
    if (w->comms[m] != MPI_COMM_NULL) MPI_Comm_free(&w->comms[m]);
  if (w->p2p != MPI_COMM_NULL) MPI_Comm_free(&w->p2p);
}

/* Every rank's intervals to world rank 0, with the monotonic time of its step start (one host:
 * one clock), so rank 0 puts them on its own origin and finds when each comm op's partners had
 * all called (exec_result_sync_arrivals). */
static ts_status gather(mworld *w, const exec_rank *rk, exec_result *res, ts_err *err) {
  res->root = w->rank == 0;
  if (w->rank != 0) {
    uint32_t n = w->t->classes[rk->cls].n_ops;
    MPI_Send(rk->start_s, (int)n, MPI_DOUBLE, 0, 1, w->p2p);
    MPI_Send(rk->end_s, (int)n, MPI_DOUBLE, 0, 2, w->p2p);
    MPI_Send(rk->cpu_s, (int)n, MPI_DOUBLE, 0, 3, w->p2p);
    MPI_Send(&rk->t0, 1, MPI_DOUBLE, 0, 4, w->p2p);
    return exec_result_take(res, rk, err);
  }
  ts_status st = exec_result_take(res, rk, err);
  for (int r = 1; !st && r < w->size; r++) {
    uint32_t n = w->t->classes[exec_class_of(w->t, r)].n_ops;
    double *a = malloc((n ? n : 1) * sizeof *a), *b = malloc((n ? n : 1) * sizeof *b),
           *c = malloc((n ? n : 1) * sizeof *c);
    if (!a || !b || !c) st = ts_fail(err, TS_ENOMEM, "MPI: gathering rank %d", r);
    if (!st) {
      MPI_Recv(a, (int)n, MPI_DOUBLE, r, 1, w->p2p, MPI_STATUS_IGNORE);
      MPI_Recv(b, (int)n, MPI_DOUBLE, r, 2, w->p2p, MPI_STATUS_IGNORE);
      MPI_Recv(c, (int)n, MPI_DOUBLE, r, 3, w->p2p, MPI_STATUS_IGNORE);
      double t0 = rk->t0;
      MPI_Recv(&t0, 1, MPI_DOUBLE, r, 4, w->p2p, MPI_STATUS_IGNORE);
      for (uint32_t i = 0; i < n; i++) a[i] += t0 - rk->t0, b[i] += t0 - rk->t0;
      st = exec_result_put(res, r, a, b, c, err);
    }
    free(a);
    free(b);
    free(c);
  }
  return st ? st : exec_result_sync_arrivals(res, err);
}

static ts_status run_rank(mworld *w, const exec_options *opt, const exec_schedule *sch,
                          exec_rank *rk, exec_result **out, ts_err *err) {
  hw_host host;
  ts_status st = hw_host_describe(&host, err);
  int core = opt->no_bind ? -1 : w->rank % (host.cores > 0 ? host.cores : 1);
  if (!st) st = exec_rank_init(rk, w->t, w->rank, sch, opt, &MPI_TRANSPORT, w, core, err);
  int steps = 1 + (opt->warmup_steps < 0 ? 1 : opt->warmup_steps);
  for (int s = 0; !st && s < steps; s++) st = exec_rank_step(rk, err);
  if (!st) st = exec_result_new(w->t, out, err);
  if (!st) st = gather(w, rk, *out, err);
  if (!st) { /* the step: the latest end over every rank */
    double mine = (*out)->step_s, all = 0.0;
    MPI_Allreduce(&mine, &all, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    (*out)->step_s = all;
  }
  return st;
}

ts_status exec_run_mpi(const trace *t, const exec_options *opt, exec_result **out, ts_err *err) {
  *out = NULL;
  mworld w;
  memset(&w, 0, sizeof w);
  for (int m = 0; m < TRACE_MAX_COMMS; m++) w.comms[m] = MPI_COMM_NULL;
  w.p2p = MPI_COMM_NULL;
  w.stop = opt->stop;
  hw_host host;
  double limit = opt->memory_limit_bytes;
  ts_status st = limit > 0.0 ? TS_OK : hw_host_describe(&host, err);
  if (!st && limit <= 0.0) limit = host.memory_bytes;
  if (!st) st = exec_check(t, 0, limit, err);
  if (!st) st = world_init(&w, t, err);
  exec_schedule sch;
  memset(&sch, 0, sizeof sch);
  int32_t ci = st ? -1 : exec_class_of(t, w.rank);
  if (!st) st = exec_schedule_build(t, (uint32_t)ci, &sch, err);
  exec_rank rk;
  memset(&rk, 0, sizeof rk);
  int saved = openblas_get_num_threads();
  openblas_set_num_threads(1);
  if (!st) st = run_rank(&w, opt, &sch, &rk, out, err);
  openblas_set_num_threads(saved);
  if (st && *out) {
    exec_result_free(*out);
    *out = NULL;
  }
  exec_rank_fini(&rk);
  exec_schedule_fini(&sch);
  world_fini(&w);
  int fin = 0;
  MPI_Finalized(&fin);
  if (!fin && w.t) MPI_Finalize();
  return st;
}
#else
typedef int exec_mpi_unused; /* ISO C wants a translation unit to declare something */
#endif
