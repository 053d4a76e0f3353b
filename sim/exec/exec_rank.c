/* The rank executor both transports run: one rank's buffers (allocated and filled once), and its
 * step — one thread per stream the rank's class uses, each taking its stream's ops in FIFO order
 * and starting one only when every op it depends on is done (the trace's semantics). Threads of a
 * rank are bound to the rank's core with hwloc; OpenBLAS runs one thread per call (the caller
 * sets openblas_set_num_threads(1)). Denormals are flushed to zero in every worker (as ML
 * frameworks do), so random data never takes the slow path. A stop request (SIGINT) or a failure
 * of any rank is seen between ops and at every wait, so all threads wind down. */
#include <hwloc.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__linux__)
#include <errno.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif
#if defined(__SSE__)
#include <xmmintrin.h>
#endif

#include "sim/exec/exec_int.h"

double exec_now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* CPU time of the calling thread: what the op cost when other processes share the core. */
static double thread_cpu_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

bool exec_stop_requested(const exec_rank *rk) {
  return (rk->opt->stop && *rk->opt->stop) || atomic_load(&rk->failed) || rk->tr->aborted(rk->tctx);
}

static void set_error(exec_rank *rk, const ts_err *e, ts_status st) {
  pthread_mutex_lock(&rk->err_mu);
  if (!rk->st) {
    rk->st = st;
    rk->err = *e;
  }
  pthread_mutex_unlock(&rk->err_mu);
  atomic_store(&rk->failed, 1);
  rk->tr->abort(rk->tctx);
}

void exec_op_ordinals(const trace *t, uint32_t cls, uint32_t *out) {
  const trace_class *c = &t->classes[cls];
  uint32_t per_comm[TRACE_MAX_COMMS] = {0};
  for (uint32_t i = 0; i < c->n_ops; i++) {
    const trace_op *o = &c->ops[i];
    out[i] = 0;
    if (o->kind == TRACE_OP_SEND || o->kind == TRACE_OP_RECV) {
      uint32_t k = 0; /* sends (recvs) to (from) the same peer class before this one */
      for (uint32_t j = 0; j < i; j++) k += c->ops[j].kind == o->kind && c->ops[j].peer == o->peer;
      out[i] = k;
    } else if (trace_op_is_comm((trace_op_kind)o->kind) && o->comm < TRACE_MAX_COMMS) {
      out[i] = per_comm[o->comm]++;
    }
  }
}

static void compute_ordinals(exec_rank *rk) {
  exec_op_ordinals(rk->t, rk->cls, rk->ordinal);
}

static ts_status alloc_buffers(exec_rank *rk, ts_err *err) {
  const trace_class *c = &rk->t->classes[rk->cls];
  for (uint32_t s = 0; s < rk->sch->n_streams; s++) {
    double most = 64.0;
    for (uint32_t k = 0; k < rk->sch->stream_len[s]; k++) {
      double b = exec_op_bytes(rk->t, &c->ops[rk->sch->stream_ops[s][k]]);
      if (b > most) most = b;
    }
    size_t n = (size_t)(most / 4.0) + 16;
    rk->stream_buf[s] = malloc(n * sizeof(float));
    if (!rk->stream_buf[s])
      return ts_fail(err, TS_ENOMEM, "rank %lld: cannot allocate %.4g GB for stream %s",
                     (long long)rk->rank, most / 1e9,
                     trace_stream_name((trace_stream)rk->sch->stream_id[s]));
    rk->stream_floats[s] = n;
    exec_fill_random(rk->stream_buf[s], n, (uint64_t)rk->rank * 64 + s + 1);
  }
  exec_memory mem;
  ts_status st = exec_memory_need(rk->t, rk->rank, 1, &mem, err);
  if (st) return st;
  rk->model_bytes = (size_t)mem.model_bytes;
  if (rk->model_bytes >= sizeof(float)) {
    rk->model_buf = malloc(rk->model_bytes);
    if (!rk->model_buf)
      return ts_fail(err, TS_ENOMEM, "rank %lld: cannot allocate the model's %.4g GB",
                     (long long)rk->rank, mem.model_bytes / 1e9);
    exec_fill_random((float *)(void *)rk->model_buf, rk->model_bytes / sizeof(float),
                     (uint64_t)rk->rank * 64 + 63);
  }
  return TS_OK;
}

ts_status exec_rank_init(exec_rank *rk, const trace *t, int64_t rank, const exec_schedule *sch,
                         const exec_options *opt, const exec_transport *tr, void *tctx, int core,
                         ts_err *err) {
  memset(rk, 0, sizeof *rk);
  int32_t ci = exec_class_of(t, rank);
  if (ci < 0) return ts_fail(err, TS_EINPUT, "rank %lld belongs to no class", (long long)rank);
  *rk = (exec_rank){.t = t,
                    .rank = rank,
                    .cls = (uint32_t)ci,
                    .sch = sch,
                    .opt = opt,
                    .tr = tr,
                    .tctx = tctx,
                    .core = core};
  pthread_mutex_init(&rk->mu, NULL);
  pthread_cond_init(&rk->cv, NULL);
  pthread_mutex_init(&rk->err_mu, NULL);
  uint32_t n = t->classes[ci].n_ops ? t->classes[ci].n_ops : 1;
  rk->ordinal = malloc(n * sizeof *rk->ordinal);
  rk->done = malloc(n * sizeof *rk->done);
  rk->start_s = calloc(n, sizeof *rk->start_s);
  rk->end_s = calloc(n, sizeof *rk->end_s);
  rk->cpu_s = calloc(n, sizeof *rk->cpu_s);
  if (!rk->ordinal || !rk->done || !rk->start_s || !rk->end_s || !rk->cpu_s)
    return ts_fail(err, TS_ENOMEM, "rank %lld: cannot allocate its op state", (long long)rank);
  compute_ordinals(rk);
  return alloc_buffers(rk, err);
}

void exec_rank_fini(exec_rank *rk) {
  if (!rk->t) return;
  for (int s = 0; s < TRACE_STREAM_COUNT; s++) free(rk->stream_buf[s]);
  free(rk->model_buf);
  free(rk->ordinal);
  free(rk->done);
  free(rk->start_s);
  free(rk->end_s);
  free(rk->cpu_s);
  pthread_mutex_destroy(&rk->mu);
  pthread_cond_destroy(&rk->cv);
  pthread_mutex_destroy(&rk->err_mu);
  memset(rk, 0, sizeof *rk);
}

/* Waits until op i's deps are done; false when the run is stopping. */
static bool wait_deps(exec_rank *rk, const trace_class *c, uint32_t i) {
  const trace_op *o = &c->ops[i];
  for (uint32_t k = 0; k < o->dep_count; k++) {
    uint32_t d = c->deps[o->dep_first + k];
    if (atomic_load(&rk->done[d])) continue;
    pthread_mutex_lock(&rk->mu);
    while (!atomic_load(&rk->done[d]) && !exec_stop_requested(rk)) {
      struct timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      ts.tv_nsec += 20 * 1000 * 1000;
      if (ts.tv_nsec >= 1000000000) ts.tv_sec++, ts.tv_nsec -= 1000000000;
      pthread_cond_timedwait(&rk->cv, &rk->mu, &ts);
    }
    pthread_mutex_unlock(&rk->mu);
    if (!atomic_load(&rk->done[d])) return false;
  }
  return !exec_stop_requested(rk);
}

static ts_status run_comm(exec_rank *rk, uint32_t s, uint32_t i, const trace_op *o, double *sync,
                          ts_err *err) {
  size_t n = exec_comm_floats(o);
  float *buf = rk->stream_buf[s];
  int64_t g = o->comm < rk->t->n_comms ? rk->t->comms[o->comm].size : 1;
  size_t part = (n + (size_t)g - 1) / (size_t)(g > 0 ? g : 1);
  float *send = buf, *recv = buf + n + (size_t)g; /* MPI block collectives round parts up */
  if (o->kind == TRACE_OP_ALL_GATHER) send = buf, recv = buf + part;
  if (o->kind == TRACE_OP_SEND || o->kind == TRACE_OP_RECV) recv = buf;
  return rk->tr->coll(rk->tctx, rk, o, rk->ordinal[i], send, recv, n, sync, err);
}

static void report_progress(exec_rank *rk, const trace_op *o) {
  if (!rk->opt->progress || o->phase == TRACE_PHASE_OPTIMIZER) return;
  unsigned seen = atomic_load(&rk->micro_seen);
  if (o->micro + 1 <= seen) return;
  atomic_store(&rk->micro_seen, o->micro + 1);
  rk->opt->progress(rk->opt->progress_ctx, rk->rank, o->micro, rk->sch->n_micro);
}

static void run_stream(exec_rank *rk, uint32_t s) {
  const trace_class *c = &rk->t->classes[rk->cls];
  for (uint32_t k = 0; k < rk->sch->stream_len[s]; k++) {
    uint32_t i = rk->sch->stream_ops[s][k];
    const trace_op *o = &c->ops[i];
    if (!wait_deps(rk, c, i)) return;
    if (rk->opt->on_op) rk->opt->on_op(rk->opt->hook_ctx, rk->rank, i, true);
    report_progress(rk, o);
    double a = exec_now_s(), sync = a;
    if (trace_op_is_comm((trace_op_kind)o->kind)) {
      ts_err e = {0};
      ts_status st = run_comm(rk, s, i, o, &sync, &e);
      if (st) {
        set_error(rk, &e, st);
        return;
      }
    } else {
      double cpu0 = thread_cpu_s();
      size_t n = (size_t)(exec_op_bytes(rk->t, o) / 4.0); /* the op's working set, not more */
      exec_compute(rk->t, o, rk->stream_buf[s], n < rk->stream_floats[s] ? n : rk->stream_floats[s],
                   rk->model_buf, rk->model_bytes);
      rk->cpu_s[i] = thread_cpu_s() - cpu0;
    }
    double b = exec_now_s();
    rk->start_s[i] = (sync > a ? sync : a) - rk->t0;
    rk->end_s[i] = b - rk->t0;
    if (rk->opt->on_op) rk->opt->on_op(rk->opt->hook_ctx, rk->rank, i, false);
    pthread_mutex_lock(&rk->mu);
    atomic_store(&rk->done[i], 1);
    pthread_cond_broadcast(&rk->cv);
    pthread_mutex_unlock(&rk->mu);
  }
}

typedef struct stream_arg {
  exec_rank *rk;
  uint32_t s;
  hwloc_topology_t topo;
} stream_arg;

/* A device starts a collective on its own engine the moment its data is there; on the host the
 * collective's thread shares the rank's core with the compute thread, and at equal priority the
 * scheduler lets a running GEMM finish its slice first (1-5 ms measured here, for a collective of
 * microseconds). The compute thread therefore runs COMPUTE_NICE steps below the rank's other
 * threads, so a woken collective takes the core at once; what it then costs the compute is its own
 * CPU time. Unprivileged (lowering one's own priority), Linux only; elsewhere, equal priority. */
enum { COMPUTE_NICE = 10 };
static void yield_to_comm(void) {
#if defined(__linux__)
  id_t tid = (id_t)syscall(SYS_gettid);
  errno = 0;
  int now = getpriority(PRIO_PROCESS, tid);
  if (errno == 0) setpriority(PRIO_PROCESS, tid, now + COMPUTE_NICE > 19 ? 19 : now + COMPUTE_NICE);
#endif
}

static void *stream_main(void *p) {
  stream_arg *a = p;
#if defined(__SSE__)
  _mm_setcsr(_mm_getcsr() | 0x8040); /* flush-to-zero and denormals-are-zero */
#endif
  if (a->topo && a->rk->core >= 0) {
    hwloc_obj_t core = hwloc_get_obj_by_type(a->topo, HWLOC_OBJ_CORE, (unsigned)a->rk->core);
    if (core && core->cpuset) hwloc_set_cpubind(a->topo, core->cpuset, HWLOC_CPUBIND_THREAD);
  }
  if (a->rk->sch->stream_id[a->s] == TRACE_STREAM_COMPUTE) yield_to_comm();
  run_stream(a->rk, a->s);
  return NULL;
}

ts_status exec_rank_step(exec_rank *rk, ts_err *err) {
  const trace_class *c = &rk->t->classes[rk->cls];
  for (uint32_t i = 0; i < c->n_ops; i++) {
    atomic_store(&rk->done[i], 0);
    rk->start_s[i] = rk->end_s[i] = rk->cpu_s[i] = 0.0;
  }
  atomic_store(&rk->micro_seen, 0);
  rk->step++;
  hwloc_topology_t topo = NULL;
  if (!rk->opt->no_bind && rk->core >= 0 &&
      (hwloc_topology_init(&topo) != 0 || hwloc_topology_load(topo) != 0)) {
    if (topo) hwloc_topology_destroy(topo);
    topo = NULL;
  }
  ts_status st = rk->tr->barrier(rk->tctx, rk, err);
  if (st) {
    if (topo) hwloc_topology_destroy(topo);
    return st;
  }
  rk->t0 = exec_now_s();
  stream_arg args[TRACE_STREAM_COUNT];
  pthread_t th[TRACE_STREAM_COUNT];
  bool started[TRACE_STREAM_COUNT] = {false};
  for (uint32_t s = 0; s < rk->sch->n_streams; s++) {
    args[s] = (stream_arg){rk, s, topo};
    started[s] = pthread_create(&th[s], NULL, stream_main, &args[s]) == 0;
    if (!started[s]) {
      ts_err e = {0};
      set_error(
          rk, &e,
          ts_fail(&e, TS_ERUN, "rank %lld: cannot start a stream thread", (long long)rk->rank));
    }
  }
  for (uint32_t s = 0; s < rk->sch->n_streams; s++)
    if (started[s]) pthread_join(th[s], NULL);
  if (topo) hwloc_topology_destroy(topo);
  if (rk->st) return *err = rk->err, rk->st;
  for (uint32_t i = 0; i < c->n_ops; i++)
    if (!atomic_load(&rk->done[i]))
      return ts_fail(err, TS_ERUN, "interrupted: rank %lld stopped before op %u",
                     (long long)rk->rank, i);
  return TS_OK;
}
