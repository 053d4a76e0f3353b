/* Calibration of what the host's ranks communicate over: all-reduce, all-gather, point-to-point
 * and reduce-scatter through the executor's own transport (sim/exec: shared-memory collectives
 * between threads bound one per core) at a grid of sizes, each timed after the compute stream has
 * streamed past the core's cache (exec_comm_bench), and the fits the host system then uses.
 *
 * Fits, both minimising the squared relative error sum (model_i / t_i - 1)^2 (a 2x2 linear
 * system; a term that comes out negative is dropped and the other refitted):
 * - per kind, on that kind's points: t = L_k + bytes / B_k. On shared memory a collective is
 *   copies and adds by the member cores (a reduce-scatter reads every input and adds, an
 *   all-gather copies every part, an all-reduce does both), so each kind has its own cost per
 *   byte; coll_time on the host uses these (hw_scaleup.coll_latency_s / coll_Bps).
 * - across kinds, the link model: coll_time on the host with (L = 1 s, B = infinite) gives each
 *   point's step count s_i and with (L = 0, B = 1 B/s) its effective bytes u_i, t_i = L s_i +
 *   u_i / B; these become the scale-up link latency and bandwidth (what `hw show host` lists,
 *   and what a kind without points of its own uses).
 * The errors reported are the per-kind model's. Fitting happens here, on microbenchmarks, never on
 * steps.
 *
 * File section NETW (body; little-endian, as the rest of the file, see sim/calib_file.c):
 *   str transport (u16 length + bytes), f64 latency_s, f64 link_Bps, f64 median_error,
 *   f64 worst_error, u32 count (<= 64), then per point: u8 kind (0 all_reduce, 1 all_gather,
 *   2 p2p, 3 reduce_scatter), i32 ranks (2..4096), f64 bytes (> 0), f64 measured_s (> 0),
 *   f64 model_s (>= 0). The per-kind fits are not stored: reading the file refits them from the
 *   points (the same arithmetic, so the same numbers). */
#include "sim/calib_int.h"

#include <hwloc.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/exec/exec.h"

static const char *const COMM_NAMES[KERN_COMM_KIND_COUNT] = {"all_reduce", "all_gather", "p2p",
                                                             "reduce_scatter"};
static const trace_op_kind COMM_OPS[KERN_COMM_KIND_COUNT] = {
    TRACE_OP_ALL_REDUCE, TRACE_OP_ALL_GATHER, TRACE_OP_SEND, TRACE_OP_REDUCE_SCATTER};
static const double SIZES_FULL[] = {4096, 65536, 1 << 20, 4 << 20, 16 << 20, 64 << 20};
static const double SIZES_QUICK[] = {4096, 262144, 4 << 20};
enum { REPS_FULL = 15, REPS_QUICK = 5, COMM_POINT_BYTES = 29, MAX_RANKS = 8 };

const char *kern_comm_kind_name(kern_comm_kind k) {
  return (unsigned)k < KERN_COMM_KIND_COUNT ? COMM_NAMES[k] : "?";
}

/* ---- fitting --------------------------------------------------------------------------------- */
static ts_status coll_on(const hw_system *sys, const kern_comm_point *p, double *out, ts_err *err) {
  int64_t n = p->kind == KERN_COMM_P2P ? 2 : p->ranks;
  int64_t chips[MAX_RANKS];
  for (int64_t i = 0; i < n && i < MAX_RANKS; i++) chips[i] = i;
  coll_groups g = {.n_groups = 1, .group_size = n, .chips = chips};
  hw_topo *topo = NULL;
  ts_status st = hw_topo_new(sys, p->ranks, &topo, err);
  coll_result r = {0};
  if (!st) st = coll_time(topo, sys, COMM_OPS[p->kind], p->bytes, &g, COLL_ALGO_AUTO, &r, err);
  hw_topo_free(topo);
  *out = r.seconds;
  return st;
}

static void set_net(hw_system *s, double latency_s, double Bps) {
  s->up.latency_s = latency_s;
  s->up.link_Bps = s->up.chip_Bps = Bps;
  memset(s->up.coll_latency_s, 0, sizeof s->up.coll_latency_s);
  memset(s->up.coll_Bps, 0, sizeof s->up.coll_Bps);
}

static void set_kinds(hw_system *s, const kern_calib_comm *c) {
  for (int k = 0; k < KERN_COMM_KIND_COUNT; k++) {
    s->up.coll_latency_s[k] = c->kind_latency_s[k];
    s->up.coll_Bps[k] = c->kind_Bps[k];
  }
}

/* Minimises sum (a x_i + b y_i - 1)^2 with x_i = s_i / t_i, y_i = u_i / t_i, a, b >= 0. */
static void solve(const double *x, const double *y, uint32_t n, double *a, double *b) {
  double xx = 0, xy = 0, yy = 0, x1 = 0, y1 = 0;
  for (uint32_t i = 0; i < n; i++)
    xx += x[i] * x[i], xy += x[i] * y[i], yy += y[i] * y[i], x1 += x[i], y1 += y[i];
  double det = xx * yy - xy * xy;
  *a = det != 0.0 ? (x1 * yy - y1 * xy) / det : -1.0;
  *b = det != 0.0 ? (y1 * xx - x1 * xy) / det : -1.0;
  if (*a < 0.0) *a = 0.0, *b = yy > 0 ? y1 / yy : 0.0;
  if (*b <= 0.0) *b = 0.0, *a = xx > 0 ? x1 / xx : 0.0;
}

/* kind_latency_s / kind_Bps from each kind's points alone. */
static void fit_kinds(kern_calib_comm *c) {
  for (int k = 0; k < KERN_COMM_KIND_COUNT; k++) {
    double x[KERN_COMM_MAX_POINTS], y[KERN_COMM_MAX_POINTS];
    uint32_t n = 0;
    for (uint32_t i = 0; i < c->n_points; i++)
      if (c->points[i].kind == k) {
        x[n] = 1.0 / c->points[i].measured_s;
        y[n++] = c->points[i].bytes / c->points[i].measured_s;
      }
    c->kind_latency_s[k] = c->kind_Bps[k] = 0.0;
    if (n < 2) continue;
    double a, b;
    solve(x, y, n, &a, &b);
    c->kind_latency_s[k] = a;
    c->kind_Bps[k] = b > 0.0 ? 1.0 / b : 1e15; /* no measurable bandwidth term: effectively free */
  }
}

static int cmp_double(const void *pa, const void *pb) {
  double a = *(const double *)pa, b = *(const double *)pb;
  return (a > b) - (a < b);
}

static ts_status score(kern_calib_comm *c, hw_system *s, ts_err *err) {
  double e[KERN_COMM_MAX_POINTS];
  for (uint32_t i = 0; i < c->n_points; i++) {
    ts_status st = coll_on(s, &c->points[i], &c->points[i].model_s, err);
    if (st) return st;
    e[i] = fabs(c->points[i].model_s / c->points[i].measured_s - 1.0);
  }
  qsort(e, c->n_points, sizeof e[0], cmp_double);
  uint32_t n = c->n_points;
  c->median_error = n == 0 ? 0.0 : n % 2 ? e[n / 2] : (e[n / 2 - 1] + e[n / 2]) / 2.0;
  c->worst_error = n == 0 ? 0.0 : e[n - 1];
  return TS_OK;
}

ts_status kern_calib_comm_fit(kern_calib_comm *c, const hw_system *host_sys, ts_err *err) {
  if (c->n_points < 2) return ts_fail(err, TS_EINPUT, "comm calibration: fewer than 2 points");
  hw_system *s = malloc(sizeof *s);
  double *x = malloc(c->n_points * sizeof *x), *y = malloc(c->n_points * sizeof *y);
  ts_status st = s && x && y ? TS_OK : ts_fail(err, TS_ENOMEM, "comm calibration: out of memory");
  for (uint32_t i = 0; !st && i < c->n_points; i++) {
    *s = *host_sys;
    set_net(s, 1.0, 1e30);
    st = coll_on(s, &c->points[i], &x[i], err);
    set_net(s, 0.0, 1.0);
    if (!st) st = coll_on(s, &c->points[i], &y[i], err);
    x[i] /= c->points[i].measured_s;
    y[i] /= c->points[i].measured_s;
  }
  if (!st) {
    double a, b;
    solve(x, y, c->n_points, &a, &b);
    c->latency_s = a;
    c->link_Bps = b > 0.0 ? 1.0 / b : 1e15; /* no measurable bandwidth term: effectively free */
    fit_kinds(c);
    *s = *host_sys;
    set_net(s, c->latency_s, c->link_Bps);
    set_kinds(s, c);
    st = score(c, s, err);
  }
  free(s);
  free(x);
  free(y);
  return st;
}

/* ---- measuring ------------------------------------------------------------------------------- */
static int bench_ranks(const hw_host *host) {
  int r = host->cores < MAX_RANKS ? host->cores : MAX_RANKS;
  return r < 2 ? 2 : r;
}

ts_status kern_calibrate_comm(const hw_host *host, bool quick, kern_calibration *out, ts_err *err) {
  kern_calib_comm *c = &out->comm;
  memset(c, 0, sizeof *c);
  snprintf(c->transport, sizeof c->transport, "threads");
  const double *sizes = quick ? SIZES_QUICK : SIZES_FULL;
  int n_sizes = quick ? (int)(sizeof SIZES_QUICK / sizeof SIZES_QUICK[0])
                      : (int)(sizeof SIZES_FULL / sizeof SIZES_FULL[0]);
  int ranks = bench_ranks(host);
  for (int k = 0; k < KERN_COMM_KIND_COUNT; k++)
    for (int i = 0; i < n_sizes; i++) {
      kern_comm_point *p = &c->points[c->n_points++];
      *p = (kern_comm_point){.kind = (uint8_t)k, .ranks = ranks, .bytes = sizes[i]};
      ts_status st = exec_comm_bench(COMM_OPS[k], ranks, sizes[i], quick ? REPS_QUICK : REPS_FULL,
                                     &p->measured_s, err);
      if (st) return st;
      if (p->measured_s <= 0.0) p->measured_s = 1e-9;
    }
  hw_system *sys = malloc(sizeof *sys);
  if (!sys) return ts_fail(err, TS_ENOMEM, "comm calibration: out of memory");
  ts_status st = hw_system_host(sys, err);
  if (!st) st = kern_calib_comm_fit(c, sys, err);
  free(sys);
  c->present = st == TS_OK;
  return st;
}

void kern_calib_comm_apply(const kern_calib_comm *c, hw_system *host_sys) {
  if (!c->present) return;
  set_net(host_sys, c->latency_s, c->link_Bps);
  set_kinds(host_sys, c);
  const char *fields[] = {"scaleup.link_GBps", "scaleup.chip_GBps", "scaleup.latency_us"};
  char text[HW_SOURCE_MAX];
  snprintf(text, sizeof text,
           "trainsim calibrate on this host (%s all-reduce, all-gather, p2p, reduce-scatter, each "
           "kind fitted on its own; median error "
           "%.1f%%, worst %.1f%%)",
           c->transport, 100.0 * c->median_error, 100.0 * c->worst_error);
  for (int f = 0; f < 3; f++)
    for (int i = 0; i < host_sys->n_sources; i++)
      if (strcmp(host_sys->sources[i].field, fields[f]) == 0)
        snprintf(host_sys->sources[i].text, sizeof host_sys->sources[i].text, "%s", text);
  for (int k = 0; k < KERN_COMM_KIND_COUNT; k++) {
    if (!(c->kind_Bps[k] > 0.0)) continue;
    char field[sizeof host_sys->sources[0].field];
    snprintf(field, sizeof field, "scaleup.coll.%s", kern_comm_kind_name((kern_comm_kind)k));
    hw_source *s = NULL;
    for (int i = 0; i < host_sys->n_sources && !s; i++)
      if (strcmp(host_sys->sources[i].field, field) == 0) s = &host_sys->sources[i];
    if (!s && host_sys->n_sources >= HW_MAX_SOURCES) continue;
    if (!s) s = &host_sys->sources[host_sys->n_sources++];
    snprintf(s->field, sizeof s->field, "%s", field);
    snprintf(s->text, sizeof s->text,
             "trainsim calibrate: %s through the %s transport, median of repeats after an 8 MiB "
             "pass per rank, fitted on this kind's points alone",
             kern_comm_kind_name((kern_comm_kind)k), c->transport);
  }
}

/* ---- file section ---------------------------------------------------------------------------- */
ts_status kern_calib_comm_encode(const kern_calib_comm *c, unsigned char **data, size_t *len,
                                 ts_err *err) {
  size_t tl = strnlen(c->transport, sizeof c->transport);
  uint32_t n = c->n_points < KERN_COMM_MAX_POINTS ? c->n_points : KERN_COMM_MAX_POINTS;
  size_t cap = 2 + tl + 4 * 8 + 4 + (size_t)n * COMM_POINT_BYTES;
  unsigned char *p = malloc(cap), *w = p;
  if (!p) return ts_fail(err, TS_ENOMEM, "calibration: out of memory");
  calib_put_le(&w, tl, 2);
  memcpy(w, c->transport, tl);
  w += tl;
  const double d[4] = {c->latency_s, c->link_Bps, c->median_error, c->worst_error};
  for (int i = 0; i < 4; i++) calib_put_f64(&w, d[i]);
  calib_put_le(&w, n, 4);
  for (uint32_t i = 0; i < n; i++) {
    const kern_comm_point *pt = &c->points[i];
    calib_put_le(&w, pt->kind, 1);
    calib_put_le(&w, (uint32_t)pt->ranks, 4);
    calib_put_f64(&w, pt->bytes);
    calib_put_f64(&w, pt->measured_s);
    calib_put_f64(&w, pt->model_s);
  }
  *data = p;
  *len = (size_t)(w - p);
  return TS_OK;
}

static void cpoint(calib_rd *r, kern_comm_point *pt) {
  size_t at = r->off;
  pt->kind = (uint8_t)calib_rd_u(r, 1);
  if (!r->st && pt->kind >= KERN_COMM_KIND_COUNT) calib_rd_bad(r, at, "point kind out of range");
  at = r->off;
  pt->ranks = (int32_t)(uint32_t)calib_rd_u(r, 4);
  if (!r->st && (pt->ranks < 2 || pt->ranks > 4096))
    calib_rd_bad(r, at, "point ranks out of 2..4096");
  pt->bytes = calib_rd_num(r, "point bytes must be finite and positive", true);
  pt->measured_s = calib_rd_num(r, "measured time must be finite and positive", true);
  pt->model_s = calib_rd_num(r, "model time must be finite and >= 0", false);
}

ts_status kern_calib_comm_decode(const unsigned char *p, size_t len, const char *name,
                                 size_t base_off, kern_calib_comm *c, ts_err *err) {
  memset(c, 0, sizeof *c);
  calib_rd r = {.p = p, .len = len, .base = base_off, .name = name, .section = "NETW", .err = err};
  size_t tl = (size_t)calib_rd_u(&r, 2);
  if (!r.st && tl >= sizeof c->transport)
    calib_rd_bad(&r, 0, "transport name longer than its field");
  if (!r.st && r.len - r.off < tl) calib_rd_bad(&r, r.off, "truncated transport name");
  if (r.st) return r.st;
  memcpy(c->transport, p + r.off, tl);
  r.off += tl;
  c->latency_s = calib_rd_num(&r, "latency must be finite and >= 0", false);
  c->link_Bps = calib_rd_num(&r, "bandwidth must be finite and positive", true);
  c->median_error = calib_rd_num(&r, "median error must be finite and >= 0", false);
  c->worst_error = calib_rd_num(&r, "worst error must be finite and >= 0", false);
  size_t at = r.off;
  uint32_t n = (uint32_t)calib_rd_u(&r, 4);
  if (!r.st && n > KERN_COMM_MAX_POINTS) calib_rd_bad(&r, at, "point count over 64");
  for (uint32_t i = 0; !r.st && i < n; i++) cpoint(&r, &c->points[i]);
  if (!r.st && r.off != r.len) calib_rd_bad(&r, r.off, "length does not match its contents");
  if (r.st) return r.st;
  c->n_points = n;
  fit_kinds(c);
  c->present = true;
  return TS_OK;
}
