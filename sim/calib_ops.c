/* Calibration of the host executor's own kernels: every op class the executor runs with code of
 * its own (kern_host_op: norm, GELU, embedding gather and scatter-add, softmax cross-entropy
 * forward and backward, Adam, and the blocked causal attention core forward and backward) is
 * timed through the executor itself (exec_op_bench: the very exec_compute that `trainsim exec`
 * runs) at a grid of sizes on one core, and its constants fitted. Ops that stream data the step's
 * other ops have evicted (embedding, optimizer) are timed cold, norms with their input in the
 * last-level cache only, the rest warm (OPS_EVICT_BYTES below). On a CPU these ops are bound by
 * their arithmetic (a polynomial exp per logit, a tanh per activation), their access pattern (a
 * random row gather) or small sgemm blocks, not by streaming bandwidth, so one bandwidth for all
 * of them (the generic memory-bound form) is off by up to an order of magnitude.
 *
 * Model per class: seconds = c0 + c1 u1 + c2 u2 (work measures of kern_host_op_units: bytes for
 * the memory-bound classes, and for the embedding its rows besides, timed at two row widths so
 * the two costs separate; for attention the score elements u1 (the softmax work) and u1 x
 * head_dim (the sgemm work)). Fit: c >= 0 minimising sum over the class's points of
 * (model / measured - 1)^2, a linear least-squares problem solved exactly over every subset of
 * free constants (the best non-negative solution). Fitting happens here, on microbenchmarks,
 * never on `exec` step measurements.
 *
 * File section KOPS (body; little-endian, as the rest of the file, see sim/calib_file.c):
 *   u32 classes (= 9, kern_host_op order), per class: f64 c0, f64 c1, f64 c2, f64 median_error,
 *   f64 worst_error, u32 points of the class (44 bytes); then u32 count (<= 128), per point:
 *   u8 class, i64 m, i64 n, i64 k (0..2^30), f64 bytes (>= 0), f64 measured_s (> 0),
 *   f64 model_s (>= 0) (49 bytes). */
#include "sim/calib_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/exec/exec.h"

enum {
  OPS_BATCHES_FULL = 5,
  OPS_BATCHES_QUICK = 3,
  OPS_COLD_RUNS = 9,
  OPS_FIT_BYTES = 44,
  OPS_POINT_BYTES = 49
};
static const double OPS_BATCH_S_FULL = 0.02, OPS_BATCH_S_QUICK = 0.003;
static const double OPS_TABLE_BYTES = 256.0 * 1024 * 1024; /* embedding table (model memory) */
/* Ops whose data a training step's other ops have evicted (the embedding's random rows of the
 * model memory, the optimizer's parameters and moments) are timed cold: after a pass over this
 * many bytes, above the last-level cache of the hosts we run on. A norm reads the activation the
 * op before it wrote, with a GEMM or two in between: timed after a pass of the middle size, above
 * a core's L2 and below a server's last-level cache. The rest run warm (their inputs are the
 * previous op's output, or, for attention, blocks reused within the op). */
static const double OPS_EVICT_BYTES = 128.0 * 1024 * 1024, OPS_EVICT_MID_BYTES = 8.0 * 1024 * 1024;
static const double OPS_EVICT_QUICK_BYTES = 16.0 * 1024 * 1024; /* --quick: table and eviction */

/* ---- the grid ------------------------------------------------------------------------------- */
static const double BYTES_FULL[] = {262144, 1048576, 4194304, 16777216};
static const double BYTES_QUICK[] = {1048576, 4194304};
/* Adam moves 28 bytes per parameter: sizes in parameters. */
static const double PARAMS_FULL[] = {262144, 1048576, 4194304, 16777216}; /* 7 MB to 470 MB */
static const double PARAMS_QUICK[] = {65536, 262144};
_Static_assert(sizeof PARAMS_FULL == sizeof BYTES_FULL && sizeof PARAMS_QUICK == sizeof BYTES_QUICK,
               "one Adam size per byte size");
typedef struct attn_shape {
  int64_t m, n, k;
} attn_shape;
static const attn_shape ATTN_FULL[] = {{1, 128, 64}, {1, 256, 64},  {1, 512, 64}, {1, 1024, 64},
                                       {1, 512, 32}, {1, 512, 128}, {4, 256, 64}, {2, 512, 128}};
static const attn_shape ATTN_QUICK[] = {{1, 256, 64}, {1, 256, 128}, {1, 128, 32}};

/* Embedding row widths (fp32 elements): two, so the fit tells the cost per row from the cost per
 * byte (a step's gathers have the model's hidden size: 512 in bench/host, 4,096 and more in
 * production models). */
static const int64_t EMB_WIDTHS[] = {512, 2048};

static bool is_embedding(kern_host_op c) {
  return c == KERN_HOST_EMBEDDING_FWD || c == KERN_HOST_EMBEDDING_BWD;
}

/* width: embedding rows' width (0 for the other classes). */
static trace_op op_of(kern_host_op c, double bytes, const attn_shape *a, int64_t width) {
  trace_op o;
  memset(&o, 0, sizeof o);
  static const uint8_t KIND[KERN_HOST_OP_COUNT] = {
      TRACE_OP_NORM, TRACE_OP_ELEMENTWISE, TRACE_OP_EMBEDDING, TRACE_OP_EMBEDDING, TRACE_OP_LOSS,
      TRACE_OP_LOSS, TRACE_OP_OPTIMIZER,   TRACE_OP_ATTENTION, TRACE_OP_ATTENTION};
  o.kind = KIND[c];
  o.dtype = HW_FP32;
  o.count = 1;
  o.layer = TRACE_NO_LAYER;
  o.peer = -1;
  bool bwd =
      c == KERN_HOST_EMBEDDING_BWD || c == KERN_HOST_LOSS_BWD || c == KERN_HOST_ATTENTION_BWD;
  o.phase = c == KERN_HOST_OPTIMIZER ? TRACE_PHASE_OPTIMIZER
            : bwd                    ? TRACE_PHASE_BACKWARD
                                     : TRACE_PHASE_FORWARD;
  if (a) {
    o.m = a->m, o.n = a->n, o.k = a->k;
  } else {
    o.bytes = bytes;
  }
  if (width > 0) o.k = width, o.m = (int64_t)(bytes / (4.0 * (double)width));
  return o;
}

static ts_status measure_point(kern_calib_ops *o, kern_host_op c, double bytes, const attn_shape *a,
                               int64_t width, bool quick, ts_err *err) {
  if (o->n_points >= KERN_OPS_MAX_POINTS)
    return ts_fail(err, TS_ERUN, "op calibration: more than %d points", KERN_OPS_MAX_POINTS);
  trace_op op = op_of(c, bytes, a, width);
  kern_ops_point *p = &o->points[o->n_points];
  *p = (kern_ops_point){.op = (uint8_t)c, .m = op.m, .n = op.n, .k = op.k, .bytes = op.bytes};
  bool emb = is_embedding(c);
  double evict = emb || c == KERN_HOST_OPTIMIZER ? OPS_EVICT_BYTES
                 : c == KERN_HOST_NORM           ? OPS_EVICT_MID_BYTES
                                                 : 0.0;
  int batches = quick ? OPS_BATCHES_QUICK : evict > 0.0 ? OPS_COLD_RUNS : OPS_BATCHES_FULL;
  if (quick) evict = evict > 0.0 ? OPS_EVICT_QUICK_BYTES : 0.0; /* CI: seconds, not accuracy */
  ts_status st =
      exec_op_bench(&op, emb ? (quick ? OPS_EVICT_QUICK_BYTES : OPS_TABLE_BYTES) : 0.0, batches,
                    quick ? OPS_BATCH_S_QUICK : OPS_BATCH_S_FULL, evict, &p->measured_s, err);
  if (st) return st;
  if (!(p->measured_s > 0.0)) p->measured_s = 1e-9; /* below the clock: a nanosecond */
  o->n_points++;
  return TS_OK;
}

ts_status kern_calibrate_ops(bool quick, kern_calibration *out, ts_err *err) {
  kern_calib_ops *o = &out->ops;
  memset(o, 0, sizeof *o);
  const double *bytes = quick ? BYTES_QUICK : BYTES_FULL,
               *params = quick ? PARAMS_QUICK : PARAMS_FULL;
  size_t nb =
      quick ? sizeof BYTES_QUICK / sizeof *BYTES_QUICK : sizeof BYTES_FULL / sizeof *BYTES_FULL;
  const attn_shape *attn = quick ? ATTN_QUICK : ATTN_FULL;
  size_t na = quick ? sizeof ATTN_QUICK / sizeof *ATTN_QUICK : sizeof ATTN_FULL / sizeof *ATTN_FULL;
  ts_status st = TS_OK;
  for (int c = 0; c < KERN_HOST_OP_COUNT && !st; c++) {
    bool is_attn = c == KERN_HOST_ATTENTION_FWD || c == KERN_HOST_ATTENTION_BWD;
    size_t n = is_attn ? na : nb;
    size_t nw = is_embedding((kern_host_op)c) ? sizeof EMB_WIDTHS / sizeof *EMB_WIDTHS : 1;
    for (size_t w = 0; w < nw && !st; w++)
      for (size_t i = 0; i < n && !st; i++) {
        double b = is_attn ? 0.0 : c == KERN_HOST_OPTIMIZER ? 28.0 * params[i] : bytes[i];
        st = measure_point(o, (kern_host_op)c, b, is_attn ? &attn[i] : NULL,
                           is_embedding((kern_host_op)c) ? EMB_WIDTHS[w] : 0, quick, err);
      }
  }
  if (!st) st = kern_calib_ops_fit(o, err);
  o->present = st == TS_OK;
  return st;
}

/* ---- fitting -------------------------------------------------------------------------------- */
static double point_model(const kern_ops_fit *f, const kern_ops_point *p) {
  trace_op op = op_of((kern_host_op)p->op, p->bytes, NULL, 0);
  op.m = p->m, op.n = p->n, op.k = p->k;
  double u1, u2;
  kern_host_op_units(&op, &u1, &u2);
  return f->c[0] + f->c[1] * u1 + f->c[2] * u2;
}

/* Solves the normal equations of the free constants (mask) by Gaussian elimination with partial
 * pivoting; false when singular. a: 3x3, b: 3. */
static bool solve_masked(double a[3][3], const double b[3], unsigned mask, double x[3]) {
  int idx[3], n = 0;
  for (int j = 0; j < 3; j++)
    if (mask & (1u << j)) idx[n++] = j;
  double m[3][4];
  for (int r = 0; r < n; r++) {
    for (int q = 0; q < n; q++) m[r][q] = a[idx[r]][idx[q]];
    m[r][n] = b[idx[r]];
  }
  for (int col = 0; col < n; col++) {
    int piv = col;
    for (int r = col + 1; r < n; r++)
      if (fabs(m[r][col]) > fabs(m[piv][col])) piv = r;
    if (!(fabs(m[piv][col]) > 1e-300)) return false;
    for (int q = 0; q <= n; q++) {
      double tmp = m[col][q];
      m[col][q] = m[piv][q], m[piv][q] = tmp;
    }
    for (int r = 0; r < n; r++) {
      if (r == col) continue;
      double f = m[r][col] / m[col][col];
      for (int q = col; q <= n; q++) m[r][q] -= f * m[col][q];
    }
  }
  x[0] = x[1] = x[2] = 0.0;
  for (int r = 0; r < n; r++) x[idx[r]] = m[r][n] / m[r][r];
  return true;
}

static int cmp_double(const void *pa, const void *pb) {
  double a = *(const double *)pa, b = *(const double *)pb;
  return (a > b) - (a < b);
}

/* Fits one class: rows x_i = (1, u1, u2) / t_i, target 1. */
static void fit_class(kern_calib_ops *o, int c) {
  kern_ops_fit *f = &o->fit[c];
  memset(f, 0, sizeof *f);
  double a[3][3] = {{0}}, b[3] = {0}, scale[3] = {0};
  kern_ops_fit unit = {.c = {1.0, 0.0, 0.0}};
  for (uint32_t i = 0; i < o->n_points; i++) {
    const kern_ops_point *p = &o->points[i];
    if (p->op != c) continue;
    f->n_points++;
    double x[3];
    for (int j = 0; j < 3; j++) {
      unit.c[0] = j == 0, unit.c[1] = j == 1, unit.c[2] = j == 2;
      x[j] = point_model(&unit, p) / p->measured_s;
      if (x[j] > scale[j]) scale[j] = x[j];
    }
    for (int r = 0; r < 3; r++) {
      for (int q = 0; q < 3; q++) a[r][q] += x[r] * x[q];
      b[r] += x[r];
    }
  }
  if (f->n_points == 0) return;
  unsigned usable = 0; /* constants whose work measure is not 0 on every point */
  for (int j = 0; j < 3; j++)
    if (scale[j] > 0.0) usable |= 1u << j;
  double best = INFINITY;
  for (unsigned mask = 1; mask < 8; mask++) {
    if ((mask & usable) != mask) continue;
    double x[3];
    if (!solve_masked(a, b, mask, x) || x[0] < 0.0 || x[1] < 0.0 || x[2] < 0.0) continue;
    /* objective: sum (x.row - 1)^2 = x'Ax - 2 b'x + n */
    double obj = (double)f->n_points;
    for (int r = 0; r < 3; r++) {
      obj -= 2.0 * b[r] * x[r];
      for (int q = 0; q < 3; q++) obj += x[r] * a[r][q] * x[q];
    }
    if (obj < best) best = obj, memcpy(f->c, x, sizeof x);
  }
}

ts_status kern_calib_ops_fit(kern_calib_ops *o, ts_err *err) {
  if (o->n_points > KERN_OPS_MAX_POINTS)
    return ts_fail(err, TS_EINPUT, "op calibration: %u points (at most %d)", o->n_points,
                   KERN_OPS_MAX_POINTS);
  for (int c = 0; c < KERN_HOST_OP_COUNT; c++) {
    fit_class(o, c);
    double e[KERN_OPS_MAX_POINTS];
    uint32_t n = 0;
    for (uint32_t i = 0; i < o->n_points; i++) {
      kern_ops_point *p = &o->points[i];
      if (p->op != c) continue;
      p->model_s = point_model(&o->fit[c], p);
      e[n++] = fabs(p->model_s / p->measured_s - 1.0);
    }
    if (n == 0) continue;
    qsort(e, n, sizeof *e, cmp_double);
    o->fit[c].median_error = n % 2 ? e[n / 2] : (e[n / 2 - 1] + e[n / 2]) / 2.0;
    o->fit[c].worst_error = e[n - 1];
  }
  return TS_OK;
}

void kern_calib_ops_apply(const kern_calib_ops *o, hw_system *host_sys) {
  if (!o->present) return;
  for (int c = 0; c < KERN_HOST_OP_COUNT; c++)
    for (int j = 0; j < 3; j++) host_sys->chip.host_op_s[c][j] = o->fit[c].c[j];
}

/* ---- file section --------------------------------------------------------------------------- */
ts_status kern_calib_ops_encode(const kern_calib_ops *o, unsigned char **data, size_t *len,
                                ts_err *err) {
  uint32_t n = o->n_points < KERN_OPS_MAX_POINTS ? o->n_points : KERN_OPS_MAX_POINTS;
  size_t cap = 4 + (size_t)KERN_HOST_OP_COUNT * OPS_FIT_BYTES + 4 + (size_t)n * OPS_POINT_BYTES;
  unsigned char *p = malloc(cap), *w = p;
  if (!p) return ts_fail(err, TS_ENOMEM, "calibration: out of memory");
  calib_put_le(&w, KERN_HOST_OP_COUNT, 4);
  for (int c = 0; c < KERN_HOST_OP_COUNT; c++) {
    const kern_ops_fit *f = &o->fit[c];
    const double d[5] = {f->c[0], f->c[1], f->c[2], f->median_error, f->worst_error};
    for (int i = 0; i < 5; i++) calib_put_f64(&w, d[i]);
    calib_put_le(&w, f->n_points, 4);
  }
  calib_put_le(&w, n, 4);
  for (uint32_t i = 0; i < n; i++) {
    const kern_ops_point *pt = &o->points[i];
    calib_put_le(&w, pt->op, 1);
    calib_put_le(&w, (uint64_t)pt->m, 8);
    calib_put_le(&w, (uint64_t)pt->n, 8);
    calib_put_le(&w, (uint64_t)pt->k, 8);
    calib_put_f64(&w, pt->bytes);
    calib_put_f64(&w, pt->measured_s);
    calib_put_f64(&w, pt->model_s);
  }
  *data = p;
  *len = (size_t)(w - p);
  return TS_OK;
}

static int64_t odim(calib_rd *r) {
  size_t at = r->off;
  int64_t v = (int64_t)calib_rd_u(r, 8);
  if (!r->st && (v < 0 || v > (1 << 30))) calib_rd_bad(r, at, "point shape out of 0..2^30");
  return v;
}

static void ofit(calib_rd *r, kern_ops_fit *f) {
  for (int j = 0; j < 3; j++)
    f->c[j] = calib_rd_num(r, "fit constant must be finite and >= 0", false);
  f->median_error = calib_rd_num(r, "median error must be finite and >= 0", false);
  f->worst_error = calib_rd_num(r, "worst error must be finite and >= 0", false);
  size_t at = r->off;
  f->n_points = (uint32_t)calib_rd_u(r, 4);
  if (!r->st && f->n_points > KERN_OPS_MAX_POINTS)
    calib_rd_bad(r, at, "class point count over 128");
}

static void opoint(calib_rd *r, kern_ops_point *pt) {
  size_t at = r->off;
  pt->op = (uint8_t)calib_rd_u(r, 1);
  if (!r->st && pt->op >= KERN_HOST_OP_COUNT) calib_rd_bad(r, at, "point class out of range");
  pt->m = odim(r);
  pt->n = odim(r);
  pt->k = odim(r);
  pt->bytes = calib_rd_num(r, "point bytes must be finite and >= 0", false);
  pt->measured_s = calib_rd_num(r, "measured time must be finite and positive", true);
  pt->model_s = calib_rd_num(r, "model time must be finite and >= 0", false);
}

ts_status kern_calib_ops_decode(const unsigned char *p, size_t len, const char *name,
                                size_t base_off, kern_calib_ops *o, ts_err *err) {
  memset(o, 0, sizeof *o);
  calib_rd r = {.p = p, .len = len, .base = base_off, .name = name, .section = "KOPS", .err = err};
  uint32_t classes = (uint32_t)calib_rd_u(&r, 4);
  if (!r.st && classes != KERN_HOST_OP_COUNT) calib_rd_bad(&r, 0, "class count is not 9");
  for (int c = 0; !r.st && c < KERN_HOST_OP_COUNT; c++) ofit(&r, &o->fit[c]);
  size_t at = r.off;
  uint32_t n = (uint32_t)calib_rd_u(&r, 4);
  if (!r.st && n > KERN_OPS_MAX_POINTS) calib_rd_bad(&r, at, "point count over 128");
  for (uint32_t i = 0; !r.st && i < n; i++) opoint(&r, &o->points[i]);
  if (!r.st && r.off != r.len) calib_rd_bad(&r, r.off, "length does not match its contents");
  if (r.st) return r.st;
  o->n_points = n;
  o->present = true;
  return TS_OK;
}
