/* Measuring this host's kernels for calibration: real OpenBLAS sgemm, dgemm and saxpy over a grid
 * of shapes, once with one thread bound to one core and once with one OpenBLAS thread per core
 * (the process bound to one PU of every core), all through hwloc. Each shape runs once to warm
 * up, then in batches long enough for the clock (a few ms); the median batch average is the
 * measurement. One-core times are the thread's CPU time, so a busy machine (another process
 * sharing the core) does not inflate them; all-core times are wall-clock. The grid mixes square and
 * skinny shapes, small to large, and sizes that are not multiples of any tile, so launch cost, tile
 * quantisation, compute and memory all show. OpenBLAS's thread count and the caller's binding are
 * restored afterwards. The executor's own kernels (norm, GELU, loss, attention, ...) are measured
 * after the grid, bound to one core (sim/calib_ops.c). The grid holds the GEMM shapes of small
 * transformer layers (512 tokens by hidden, QKV, MLP and vocabulary widths) besides the squares,
 * so the fit is right where the host's training steps spend their time. */
#include "sim/sim.h"

#include <cblas.h>
#include <hwloc.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct calib_shape {
  uint8_t kind, scope;
  int64_t m, n, k;
} calib_shape;

#define S1(kind, m, n, k) \
  { KERN_CALIB_##kind, KERN_CALIB_ONE_CORE, m, n, k }
#define SA(kind, m, n, k) \
  { KERN_CALIB_##kind, KERN_CALIB_ALL_CORES, m, n, k }
static const calib_shape FULL_GRID[] = {
    S1(SGEMM, 16, 16, 16),       S1(SGEMM, 32, 32, 32),       S1(SGEMM, 64, 64, 64),
    S1(SGEMM, 100, 100, 100),    S1(SGEMM, 128, 128, 128),    S1(SGEMM, 257, 257, 257),
    S1(SGEMM, 512, 512, 512),    S1(SGEMM, 1024, 1024, 1024), S1(SGEMM, 1536, 1536, 1536),
    S1(SGEMM, 1, 1024, 1024),    S1(SGEMM, 8, 1024, 1024),    S1(SGEMM, 32, 1024, 1024),
    S1(SGEMM, 1024, 32, 1024),   S1(SGEMM, 1024, 1024, 32),   S1(SGEMM, 4096, 64, 256),
    S1(SGEMM, 512, 768, 512),    S1(SGEMM, 512, 1024, 512),   S1(SGEMM, 512, 512, 1024),
    S1(SGEMM, 512, 4096, 512),   S1(SGEMM, 512, 512, 256),    S1(SGEMM, 256, 512, 512),
    S1(DGEMM, 64, 64, 64),       S1(DGEMM, 256, 256, 256),    S1(DGEMM, 1024, 1024, 1024),
    S1(SAXPY, 1, 1 << 24, 1),    SA(SGEMM, 64, 64, 64),       SA(SGEMM, 128, 128, 128),
    SA(SGEMM, 257, 257, 257),    SA(SGEMM, 512, 512, 512),    SA(SGEMM, 1024, 1024, 1024),
    SA(SGEMM, 1536, 1536, 1536), SA(SGEMM, 8, 1024, 1024),    SA(SGEMM, 1024, 1024, 32),
    SA(DGEMM, 256, 256, 256),    SA(DGEMM, 1024, 1024, 1024), SA(SAXPY, 1, 1 << 24, 1),
};
static const calib_shape QUICK_GRID[] = {
    S1(SGEMM, 32, 32, 32),    S1(SGEMM, 128, 128, 128), S1(SGEMM, 256, 256, 256),
    S1(SGEMM, 8, 256, 256),   S1(DGEMM, 128, 128, 128), S1(SAXPY, 1, 1 << 23, 1),
    SA(SGEMM, 128, 128, 128), SA(SGEMM, 256, 256, 256), SA(SAXPY, 1, 1 << 23, 1),
};
#undef S1
#undef SA

enum { BATCHES_FULL = 5, BATCHES_QUICK = 3, MAX_REPS = 1 << 20 };
static const double BATCH_S_FULL = 0.02, BATCH_S_QUICK = 0.003;

/* One core: the calling thread's CPU time, since it does all the work (one OpenBLAS thread) and
 * its CPU time does not count the moments another process holds the core; all cores: wall time. */
static double now_s(int scope) {
  struct timespec ts;
  clock_gettime(scope == KERN_CALIB_ONE_CORE ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Operand buffers of one shape, filled with deterministic values in [-0.5, 0.5). */
typedef struct calib_bufs {
  void *a, *b, *c;
} calib_bufs;

static void fill(void *p, size_t n, bool dbl) {
  for (size_t i = 0; i < n; i++) {
    double v = (double)((i * 2654435761u) % 1000u) / 1000.0 - 0.5;
    if (dbl)
      ((double *)p)[i] = v;
    else
      ((float *)p)[i] = (float)v;
  }
}

static bool bufs_alloc(const calib_shape *s, calib_bufs *b) {
  bool dbl = s->kind == KERN_CALIB_DGEMM;
  size_t el = dbl ? sizeof(double) : sizeof(float);
  size_t na = (size_t)(s->m * s->k), nb = (size_t)(s->k * s->n), nc = (size_t)(s->m * s->n);
  if (s->kind == KERN_CALIB_SAXPY) na = nb = (size_t)s->n, nc = 1;
  b->a = malloc(na * el);
  b->b = malloc(nb * el);
  b->c = malloc(nc * el);
  if (!b->a || !b->b || !b->c) return false;
  fill(b->a, na, dbl);
  fill(b->b, nb, dbl);
  fill(b->c, nc, dbl);
  return true;
}

static void bufs_free(calib_bufs *b) {
  free(b->a);
  free(b->b);
  free(b->c);
}

static void run_kernel(const calib_shape *s, calib_bufs *b) {
  int m = (int)s->m, n = (int)s->n, k = (int)s->k;
  if (s->kind == KERN_CALIB_SGEMM)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, b->a, k, b->b, n, 0.0f,
                b->c, n);
  else if (s->kind == KERN_CALIB_DGEMM)
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0, b->a, k, b->b, n, 0.0,
                b->c, n);
  else /* y grows by 1e-3 x per call: bounded over any number of repeats we run */
    cblas_saxpy(n, 1e-3f, b->a, 1, b->b, 1);
}

static int cmp_double(const void *pa, const void *pb) {
  double a = *(const double *)pa, b = *(const double *)pb;
  return (a > b) - (a < b);
}

/* Median over batches of the average time of one call. */
static double measure(const calib_shape *s, calib_bufs *b, bool quick) {
  double t0 = now_s(s->scope);
  run_kernel(s, b);
  double first = fmax(now_s(s->scope) - t0, 1e-9);
  double target = quick ? BATCH_S_QUICK : BATCH_S_FULL;
  int batches = quick ? BATCHES_QUICK : BATCHES_FULL;
  double reps_d = ceil(target / first);
  int64_t reps = reps_d > MAX_REPS ? MAX_REPS : (int64_t)reps_d;
  double t[BATCHES_FULL];
  for (int i = 0; i < batches; i++) {
    double start = now_s(s->scope);
    for (int64_t r = 0; r < reps; r++) run_kernel(s, b);
    t[i] = (now_s(s->scope) - start) / (double)reps;
  }
  qsort(t, (size_t)batches, sizeof t[0], cmp_double);
  return t[batches / 2];
}

/* hwloc state: the topology, the caller's bindings to restore, and the two scopes' cpusets. */
typedef struct calib_bind {
  hwloc_topology_t topo;
  hwloc_bitmap_t saved_thread, saved_process, one, all;
  bool have_thread, have_process;
  int cores;
} calib_bind;

static ts_status bind_init(calib_bind *cb, ts_err *err) {
  memset(cb, 0, sizeof *cb);
  if (hwloc_topology_init(&cb->topo) != 0 || hwloc_topology_load(cb->topo) != 0)
    return ts_fail(err, TS_ERUN, "calibration: hwloc cannot read this host's topology");
  cb->saved_thread = hwloc_bitmap_alloc();
  cb->saved_process = hwloc_bitmap_alloc();
  cb->one = hwloc_bitmap_alloc();
  cb->all = hwloc_bitmap_alloc();
  if (!cb->saved_thread || !cb->saved_process || !cb->one || !cb->all)
    return ts_fail(err, TS_ENOMEM, "calibration: out of memory");
  cb->have_process = hwloc_get_cpubind(cb->topo, cb->saved_process, HWLOC_CPUBIND_PROCESS) == 0;
  cb->have_thread = hwloc_get_cpubind(cb->topo, cb->saved_thread, HWLOC_CPUBIND_THREAD) == 0;
  int cores = hwloc_get_nbobjs_by_type(cb->topo, HWLOC_OBJ_CORE);
  cb->cores = cores > 0 ? cores : 1;
  for (int i = 0; i < cores; i++) { /* one PU of each core */
    hwloc_obj_t core = hwloc_get_obj_by_type(cb->topo, HWLOC_OBJ_CORE, (unsigned)i);
    if (!core || !core->cpuset) continue;
    int pu = hwloc_bitmap_first(core->cpuset);
    if (pu < 0) continue;
    hwloc_bitmap_set(cb->all, (unsigned)pu);
    if (hwloc_bitmap_iszero(cb->one)) hwloc_bitmap_set(cb->one, (unsigned)pu);
  }
  return TS_OK;
}

static void bind_scope(calib_bind *cb, int scope) {
  if (scope == KERN_CALIB_ONE_CORE) {
    openblas_set_num_threads(1);
    if (!hwloc_bitmap_iszero(cb->one)) hwloc_set_cpubind(cb->topo, cb->one, HWLOC_CPUBIND_THREAD);
  } else {
    openblas_set_num_threads(cb->cores);
    if (!hwloc_bitmap_iszero(cb->all)) hwloc_set_cpubind(cb->topo, cb->all, HWLOC_CPUBIND_PROCESS);
  }
}

static void bind_fini(calib_bind *cb) {
  if (!cb->topo) return;
  if (cb->have_process) hwloc_set_cpubind(cb->topo, cb->saved_process, HWLOC_CPUBIND_PROCESS);
  if (cb->have_thread) hwloc_set_cpubind(cb->topo, cb->saved_thread, HWLOC_CPUBIND_THREAD);
  hwloc_bitmap_t maps[4] = {cb->saved_thread, cb->saved_process, cb->one, cb->all};
  for (int i = 0; i < 4; i++)
    if (maps[i]) hwloc_bitmap_free(maps[i]);
  hwloc_topology_destroy(cb->topo);
}

static ts_status measure_grid(const calib_shape *grid, int n, const kern_calib_options *opt,
                              calib_bind *cb, kern_calibration *out, ts_err *err) {
  int scope = -1;
  for (int i = 0; i < n; i++) {
    const calib_shape *s = &grid[i];
    if (opt && opt->progress) {
      char what[96];
      snprintf(what, sizeof what, "%s %lldx%lldx%lld (%s)", kern_calib_kind_name(s->kind),
               (long long)s->m, (long long)s->n, (long long)s->k, kern_calib_scope_name(s->scope));
      opt->progress(opt->progress_ctx, i, n, what);
    }
    if (s->scope != scope) bind_scope(cb, scope = s->scope);
    calib_bufs b = {0};
    if (!bufs_alloc(s, &b)) {
      bufs_free(&b);
      return ts_fail(err, TS_ENOMEM, "calibration: out of memory for %lldx%lldx%lld",
                     (long long)s->m, (long long)s->n, (long long)s->k);
    }
    kern_calib_point *p = &out->points[out->n_points++];
    *p = (kern_calib_point){.kind = s->kind, .scope = s->scope, .m = s->m, .n = s->n, .k = s->k};
    p->measured_s = measure(s, &b, opt && opt->quick);
    bufs_free(&b);
  }
  return TS_OK;
}

ts_status kern_calibrate(const hw_host *host, const kern_calib_options *opt, kern_calibration *out,
                         ts_err *err) {
  memset(out, 0, sizeof *out);
  out->version = 2;
  snprintf(out->fingerprint, sizeof out->fingerprint, "%s", host->fingerprint);
  snprintf(out->cpu_model, sizeof out->cpu_model, "%s", host->cpu_model);
  const char *config = openblas_get_config();
  snprintf(out->blas, sizeof out->blas, "%s", config ? config : "unknown");
  bool quick = opt && opt->quick;
  const calib_shape *grid = quick ? QUICK_GRID : FULL_GRID;
  int n = quick ? (int)(sizeof QUICK_GRID / sizeof QUICK_GRID[0])
                : (int)(sizeof FULL_GRID / sizeof FULL_GRID[0]);
  int saved_threads = openblas_get_num_threads();
  calib_bind cb;
  ts_status st = bind_init(&cb, err);
  if (!st) {
    out->cores = cb.cores;
    out->fit[KERN_CALIB_ONE_CORE].units = 1;
    out->fit[KERN_CALIB_ALL_CORES].units = cb.cores;
    st = measure_grid(grid, n, opt, &cb, out, err);
    if (!st) { /* the executor's own kernels, on one core like the ranks of `exec` */
      if (opt && opt->progress) opt->progress(opt->progress_ctx, n, n + 1, "executor kernels");
      bind_scope(&cb, KERN_CALIB_ONE_CORE);
      st = kern_calibrate_ops(quick, out, err);
    }
  }
  bind_fini(&cb);
  openblas_set_num_threads(saved_threads);
  if (st) return st;
  if (opt && opt->progress) opt->progress(opt->progress_ctx, n, n, "fitting");
  return kern_calib_fit_points(out, err);
}
