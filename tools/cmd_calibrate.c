/* trainsim calibrate: measure OpenBLAS kernels on this host (sim/calib_run.c), the executor's own
 * kernels (sim/calib_ops.c) and rank-to-rank communication (sim/calib_comm.c), fit the kernel
 * model (sim/calib_fit.c), print model against measurement per shape with the median and worst
 * error, and write the calibration file (sim/calib_file.c) that `--system host` then uses.
 * A progress bar goes to stderr only when stderr is a terminal. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/sim.h"
#include "tools/cli.h"
#include "tools/commands.h"

static const double TARGET_MEDIAN = 0.10, TARGET_WORST = 0.25;

static void progress_bar(void *ctx, int done, int total, const char *what) {
  (void)ctx;
  enum { WIDTH = 30 };
  int filled = total > 0 ? done * WIDTH / total : WIDTH;
  char bar[WIDTH + 1];
  for (int i = 0; i < WIDTH; i++) bar[i] = i < filled ? '#' : '.';
  bar[WIDTH] = '\0';
  fprintf(stderr, "\r[%s] %2d/%d %-40.40s", bar, done, total, what);
  if (done >= total) fprintf(stderr, "\r%*s\r", WIDTH + 50, "");
  fflush(stderr);
}

static int cmp_double(const void *pa, const void *pb) {
  double a = *(const double *)pa, b = *(const double *)pb;
  return (a > b) - (a < b);
}

static double point_error(const kern_calib_point *p) {
  return p->model_s / p->measured_s - 1.0;
}

/* Median and worst |error| over every point. */
static void overall_error(const kern_calibration *c, double *median, double *worst) {
  double e[KERN_CALIB_MAX_POINTS];
  uint32_t n = c->n_points;
  for (uint32_t i = 0; i < n; i++) e[i] = fabs(point_error(&c->points[i]));
  qsort(e, n, sizeof e[0], cmp_double);
  *median = n == 0 ? 0.0 : n % 2 ? e[n / 2] : (e[n / 2 - 1] + e[n / 2]) / 2.0;
  *worst = n == 0 ? 0.0 : e[n - 1];
}

/* The measured rank-to-rank communication (sim/calib_comm.c) and its fit. */
static void print_comm(const kern_calib_comm *m) {
  if (!m->present) return;
  printf("\n%-10s %5s %12s %12s %12s %8s\n", "comm", "ranks", "bytes", "measured_s", "model_s",
         "error");
  for (uint32_t i = 0; i < m->n_points; i++) {
    const kern_comm_point *p = &m->points[i];
    printf("%-10s %5d %12.0f %12.4g %12.4g %+7.1f%%\n", kern_comm_kind_name(p->kind), p->ranks,
           p->bytes, p->measured_s, p->model_s, 100.0 * (p->model_s / p->measured_s - 1.0));
  }
  for (int k = 0; k < KERN_COMM_KIND_COUNT; k++)
    if (m->kind_Bps[k] > 0.0)
      printf("fit %-14s latency %.3g us, %.4g GB/s\n", kern_comm_kind_name((kern_comm_kind)k),
             m->kind_latency_s[k] * 1e6, m->kind_Bps[k] / 1e9);
  printf(
      "fit comm  %s: error median %.1f%%, worst %.1f%%; as one link: latency %.3g us, "
      "bandwidth %.4g GB/s per rank\n",
      m->transport, 100.0 * m->median_error, 100.0 * m->worst_error, m->latency_s * 1e6,
      m->link_Bps / 1e9);
}

/* The executor's own kernels (sim/calib_ops.c): each point, then each class's fit. */
static void print_ops(const kern_calib_ops *o) {
  if (!o->present) return;
  printf("\n%-14s %-22s %12s %12s %8s\n", "executor op", "size", "measured_s", "model_s", "error");
  for (uint32_t i = 0; i < o->n_points; i++) {
    const kern_ops_point *p = &o->points[i];
    char size[48];
    if (p->op == KERN_HOST_ATTENTION_FWD || p->op == KERN_HOST_ATTENTION_BWD)
      snprintf(size, sizeof size, "%lldx%lldx%lld", (long long)p->m, (long long)p->n,
               (long long)p->k);
    else if (p->k > 0)
      snprintf(size, sizeof size, "%.0f B, %lld wide", p->bytes, (long long)p->k);
    else
      snprintf(size, sizeof size, "%.0f B", p->bytes);
    printf("%-14s %-22s %12.4g %12.4g %+7.1f%%\n", kern_host_op_name(p->op), size, p->measured_s,
           p->model_s, 100.0 * (p->model_s / p->measured_s - 1.0));
  }
  for (int c = 0; c < KERN_HOST_OP_COUNT; c++) {
    const kern_ops_fit *f = &o->fit[c];
    if (!f->n_points) continue;
    bool attn = c == KERN_HOST_ATTENTION_FWD || c == KERN_HOST_ATTENTION_BWD;
    if (attn)
      printf(
          "fit %-13s %.3g us + %.4g ns per score + %.4g ns per score x head dim; error median "
          "%.1f%%, worst %.1f%%\n",
          kern_host_op_name((kern_host_op)c), f->c[0] * 1e6, f->c[1] * 1e9, f->c[2] * 1e9,
          100.0 * f->median_error, 100.0 * f->worst_error);
    else if (c == KERN_HOST_EMBEDDING_FWD || c == KERN_HOST_EMBEDDING_BWD)
      printf("fit %-13s %.3g us + %.4g GB/s + %.4g ns per row; error median %.1f%%, worst %.1f%%\n",
             kern_host_op_name((kern_host_op)c), f->c[0] * 1e6,
             f->c[1] > 0.0 ? 1e-9 / f->c[1] : 0.0, f->c[2] * 1e9, 100.0 * f->median_error,
             100.0 * f->worst_error);
    else
      printf("fit %-13s %.3g us + %.4g GB/s; error median %.1f%%, worst %.1f%%\n",
             kern_host_op_name((kern_host_op)c), f->c[0] * 1e6,
             f->c[1] > 0.0 ? 1e-9 / f->c[1] : 0.0, 100.0 * f->median_error, 100.0 * f->worst_error);
  }
}

static json_t *ops_json(const kern_calib_ops *o) {
  json_t *j = json_object(), *fits = json_object(), *pts = json_array();
  for (int c = 0; c < KERN_HOST_OP_COUNT; c++) {
    const kern_ops_fit *f = &o->fit[c];
    json_t *x = json_object();
    json_object_set_new(x, "fixed_s", json_real(f->c[0]));
    json_object_set_new(x, "per_u1_s", json_real(f->c[1]));
    json_object_set_new(x, "per_u2_s", json_real(f->c[2]));
    json_object_set_new(x, "median_error", json_real(f->median_error));
    json_object_set_new(x, "worst_error", json_real(f->worst_error));
    json_object_set_new(fits, kern_host_op_name((kern_host_op)c), x);
  }
  for (uint32_t i = 0; i < o->n_points; i++) {
    const kern_ops_point *p = &o->points[i];
    json_t *x = json_object();
    json_object_set_new(x, "op", json_string(kern_host_op_name(p->op)));
    json_object_set_new(x, "m", json_integer(p->m));
    json_object_set_new(x, "n", json_integer(p->n));
    json_object_set_new(x, "k", json_integer(p->k));
    json_object_set_new(x, "bytes", json_real(p->bytes));
    json_object_set_new(x, "measured_s", json_real(p->measured_s));
    json_object_set_new(x, "model_s", json_real(p->model_s));
    json_array_append_new(pts, x);
  }
  json_object_set_new(j, "fits", fits);
  json_object_set_new(j, "points", pts);
  return j;
}

static json_t *comm_json(const kern_calib_comm *m) {
  json_t *j = json_object(), *pts = json_array();
  json_object_set_new(j, "transport", json_string(m->transport));
  json_object_set_new(j, "latency_s", json_real(m->latency_s));
  json_object_set_new(j, "link_Bps", json_real(m->link_Bps));
  json_object_set_new(j, "median_error", json_real(m->median_error));
  json_object_set_new(j, "worst_error", json_real(m->worst_error));
  json_t *kinds = json_object();
  for (int k = 0; k < KERN_COMM_KIND_COUNT; k++) {
    if (!(m->kind_Bps[k] > 0.0)) continue;
    json_t *o = json_object();
    json_object_set_new(o, "latency_s", json_real(m->kind_latency_s[k]));
    json_object_set_new(o, "Bps", json_real(m->kind_Bps[k]));
    json_object_set_new(kinds, kern_comm_kind_name((kern_comm_kind)k), o);
  }
  json_object_set_new(j, "kinds", kinds);
  for (uint32_t i = 0; i < m->n_points; i++) {
    const kern_comm_point *p = &m->points[i];
    json_t *o = json_object();
    json_object_set_new(o, "kind", json_string(kern_comm_kind_name(p->kind)));
    json_object_set_new(o, "ranks", json_integer(p->ranks));
    json_object_set_new(o, "bytes", json_real(p->bytes));
    json_object_set_new(o, "measured_s", json_real(p->measured_s));
    json_object_set_new(o, "model_s", json_real(p->model_s));
    json_array_append_new(pts, o);
  }
  json_object_set_new(j, "points", pts);
  return j;
}

static void print_text(const kern_calibration *c, const char *path) {
  printf("host      %s, %d cores\nblas      %s\n\n", c->cpu_model, c->cores, c->blas);
  printf("%-6s %-10s %-16s %12s %12s %8s\n", "kernel", "scope", "shape", "measured_s", "model_s",
         "error");
  for (uint32_t i = 0; i < c->n_points; i++) {
    const kern_calib_point *p = &c->points[i];
    char shape[48];
    if (p->kind == KERN_CALIB_SAXPY)
      snprintf(shape, sizeof shape, "n=%lld", (long long)p->n);
    else
      snprintf(shape, sizeof shape, "%lldx%lldx%lld", (long long)p->m, (long long)p->n,
               (long long)p->k);
    printf("%-6s %-10s %-16s %12.4g %12.4g %+7.1f%%\n", kern_calib_kind_name(p->kind),
           kern_calib_scope_name(p->scope), shape, p->measured_s, p->model_s,
           100.0 * point_error(p));
  }
  printf("\n");
  for (int s = 0; s < KERN_CALIB_SCOPE_COUNT; s++) {
    const kern_calib_fit *f = &c->fit[s];
    printf(
        "fit %-9s units %d, tile %dx%d, sgemm %.4g GFLOP/s, dgemm %.4g GFLOP/s, "
        "bandwidth %.4g GB/s, launch %.3g us; error median %.1f%%, worst %.1f%%\n",
        kern_calib_scope_name(s), f->units, f->tile_m, f->tile_n, f->sgemm_flops_per_s / 1e9,
        f->dgemm_flops_per_s / 1e9, f->mem_Bps / 1e9, f->launch_s * 1e6, 100.0 * f->median_error,
        100.0 * f->worst_error);
  }
  double median, worst;
  overall_error(c, &median, &worst);
  printf("error     median %.1f%% (target <= %.0f%%: %s), worst %.1f%% (target <= %.0f%%: %s)\n",
         100.0 * median, 100.0 * TARGET_MEDIAN, median <= TARGET_MEDIAN ? "met" : "missed",
         100.0 * worst, 100.0 * TARGET_WORST, worst <= TARGET_WORST ? "met" : "missed");
  print_ops(&c->ops);
  print_comm(&c->comm);
  printf("wrote     %s\n", path);
}

static json_t *fit_json(const kern_calib_fit *f) {
  json_t *j = json_object();
  json_object_set_new(j, "units", json_integer(f->units));
  json_object_set_new(j, "tile_m", json_integer(f->tile_m));
  json_object_set_new(j, "tile_n", json_integer(f->tile_n));
  json_object_set_new(j, "sgemm_flops_per_s", json_real(f->sgemm_flops_per_s));
  json_object_set_new(j, "dgemm_flops_per_s", json_real(f->dgemm_flops_per_s));
  json_object_set_new(j, "mem_Bps", json_real(f->mem_Bps));
  json_object_set_new(j, "launch_s", json_real(f->launch_s));
  json_object_set_new(j, "median_error", json_real(f->median_error));
  json_object_set_new(j, "worst_error", json_real(f->worst_error));
  return j;
}

static int print_json(const kern_calibration *c, const char *path) {
  json_t *j = json_object(), *host = json_object(), *fits = json_object(), *pts = json_array();
  json_object_set_new(host, "fingerprint", json_string(c->fingerprint));
  json_object_set_new(host, "cpu_model", json_string(c->cpu_model));
  json_object_set_new(host, "cores", json_integer(c->cores));
  json_object_set_new(host, "blas", json_string(c->blas));
  json_object_set_new(j, "host", host);
  json_object_set_new(fits, "one_core", fit_json(&c->fit[KERN_CALIB_ONE_CORE]));
  json_object_set_new(fits, "all_cores", fit_json(&c->fit[KERN_CALIB_ALL_CORES]));
  json_object_set_new(j, "fits", fits);
  for (uint32_t i = 0; i < c->n_points; i++) {
    const kern_calib_point *p = &c->points[i];
    json_t *o = json_object();
    json_object_set_new(o, "kernel", json_string(kern_calib_kind_name(p->kind)));
    json_object_set_new(o, "scope", json_string(p->scope ? "all_cores" : "one_core"));
    json_object_set_new(o, "m", json_integer(p->m));
    json_object_set_new(o, "n", json_integer(p->n));
    json_object_set_new(o, "k", json_integer(p->k));
    json_object_set_new(o, "measured_s", json_real(p->measured_s));
    json_object_set_new(o, "model_s", json_real(p->model_s));
    json_object_set_new(o, "error", json_real(point_error(p)));
    json_array_append_new(pts, o);
  }
  json_object_set_new(j, "points", pts);
  if (c->ops.present) json_object_set_new(j, "executor_ops", ops_json(&c->ops));
  if (c->comm.present) json_object_set_new(j, "comm", comm_json(&c->comm));
  double median, worst;
  overall_error(c, &median, &worst);
  json_object_set_new(j, "median_error", json_real(median));
  json_object_set_new(j, "worst_error", json_real(worst));
  json_object_set_new(j, "path", json_string(path));
  return cli_print_json(j);
}

int cmd_calibrate(int argc, char **argv) {
  bool quick = false, json = false;
  const char *out_path = NULL;
  for (int i = 1; i < argc; i++) {
    bool missing = false;
    const char *v = NULL;
    if (strcmp(argv[i], "--quick") == 0)
      quick = true;
    else if (strcmp(argv[i], "--json") == 0)
      json = true;
    else if ((v = cli_flag_value(argc, argv, &i, "-o", &missing)) || missing ||
             (v = cli_flag_value(argc, argv, &i, "--calibration", &missing)) || missing) {
      if (!v) return cli_usage_error("calibrate", "%s needs a file name", argv[i]);
      out_path = v;
    } else {
      return cli_usage_error("calibrate", "unknown argument '%s'", argv[i]);
    }
  }
  ts_err err = {0};
  hw_host host;
  if (hw_host_describe(&host, &err)) return cli_fail(&err);
  char path[4096];
  if (out_path)
    snprintf(path, sizeof path, "%s", out_path);
  else if (kern_calibration_default_path(&host, true, path, sizeof path, &err))
    return cli_fail(&err);
  kern_calibration *c = malloc(sizeof *c);
  if (!c) return fprintf(stderr, "trainsim: out of memory\n"), 1;
  kern_calib_options opt = {.quick = quick,
                            .progress = isatty(STDERR_FILENO) ? progress_bar : NULL};
  int rc = 0;
  if (kern_calibrate(&host, &opt, c, &err) || kern_calibrate_comm(&host, quick, c, &err) ||
      kern_calibration_write(c, path, &err))
    rc = cli_fail(&err);
  else if (json)
    rc = print_json(c, path);
  else
    print_text(c, path);
  free(c);
  return rc;
}
