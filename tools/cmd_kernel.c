/* trainsim kernel: time one GEMM on a system's chip with the kernel model (sim/kern.c) and say
 * which limit bound it: compute, memory, wave quantisation, launch, or a kernel-table row.
 * `--system host` applies this host's calibration file when there is one. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/base/ts_io.h"
#include "sim/sim.h"
#include "tools/cli.h"
#include "tools/commands.h"

typedef struct kernel_args {
  const char *system, *gemm, *dtype, *count, *table, *calibration;
  bool json;
} kernel_args;

/* What the host's calibration lookup found, for the output. */
typedef struct host_note {
  bool is_host, calibrated;
  char path[4096];
} host_note;

static const cli_bool_flag BOOL_FLAGS[] = {{"--json", offsetof(kernel_args, json)}};

static const cli_value_flag VALUE_FLAGS[] = {{"--system", offsetof(kernel_args, system)},
                                             {"--gemm", offsetof(kernel_args, gemm)},
                                             {"--dtype", offsetof(kernel_args, dtype)},
                                             {"--count", offsetof(kernel_args, count)},
                                             {"--kernel-table", offsetof(kernel_args, table)},
                                             {"--calibration", offsetof(kernel_args, calibration)}};

static int parse_args(int argc, char **argv, kernel_args *a) {
  memset(a, 0, sizeof *a);
  if (cli_parse_flags("kernel", argc, argv, BOOL_FLAGS, sizeof BOOL_FLAGS / sizeof BOOL_FLAGS[0],
                      VALUE_FLAGS, sizeof VALUE_FLAGS / sizeof VALUE_FLAGS[0], a))
    return 2;
  if (!a->system) return cli_usage_error("kernel", "--system is required");
  if (!a->gemm) return cli_usage_error("kernel", "--gemm MxNxK is required");
  return 0;
}

/* "MxNxK", positive integers. */
static bool parse_gemm(const char *text, int64_t dims[3]) {
  const char *p = text;
  for (int i = 0; i < 3; i++) {
    char buf[32];
    size_t n = strcspn(p, "xX");
    if (n == 0 || n >= sizeof buf || (i < 2 && p[n] == '\0') || (i == 2 && p[n] != '\0'))
      return false;
    memcpy(buf, p, n);
    buf[n] = '\0';
    long long v;
    if (!ts_parse_int64(buf, &v) || v < 1 || buf[0] == '+') return false;
    dims[i] = v;
    p += n + (i < 2);
  }
  return true;
}

static int load_system(const kernel_args *a, hw_system *sys, host_note *note) {
  ts_err err = {0};
  memset(note, 0, sizeof *note);
  if (strcmp(a->system, "host") != 0)
    return hw_system_load(a->system, sys, &err) ? cli_fail(&err) : 0;
  note->is_host = true;
  hw_host host;
  if (hw_system_host(sys, &err) || hw_host_describe(&host, &err)) return cli_fail(&err);
  if (!a->calibration &&
      kern_calibration_default_path(&host, false, note->path, sizeof note->path, &err))
    return cli_fail(&err);
  if (a->calibration) snprintf(note->path, sizeof note->path, "%s", a->calibration);
  ts_status st = kern_calibration_load(note->path, &host, sys, &err);
  if (st == TS_ENOTFOUND && !a->calibration) return 0; /* uncalibrated: nominal constants */
  if (st) return cli_fail(&err);
  note->calibrated = true;
  return 0;
}

static int pick_dtype(const kernel_args *a, const hw_chip *chip, hw_dtype *dt) {
  if (!a->dtype) {
    *dt = chip->peak_flops[HW_BF16] > 0.0 ? HW_BF16 : HW_FP32;
    return 0;
  }
  if (!hw_dtype_parse(a->dtype, dt))
    return cli_usage_error("kernel", "unknown dtype '%s' (expected fp32, fp16, bf16, fp8, fp4)",
                           a->dtype);
  if (chip->peak_flops[*dt] > 0.0) return 0;
  char have[64] = "";
  for (int i = 0; i < HW_DTYPE_COUNT; i++)
    if (chip->peak_flops[i] > 0.0)
      snprintf(have + strlen(have), sizeof have - strlen(have), "%s%s", have[0] ? ", " : "",
               hw_dtype_name((hw_dtype)i));
  fprintf(stderr, "trainsim: chip %s has no %s (it has: %s)\n", chip->name, a->dtype,
          have[0] ? have : "none");
  return 2;
}

/* "1.408 ms": four significant digits in the unit that suits. */
static void fmt_seconds(double s, char *buf, size_t cap) {
  static const struct {
    double scale;
    const char *unit;
  } UNITS[] = {{1.0, "s"}, {1e-3, "ms"}, {1e-6, "us"}, {1e-9, "ns"}};
  for (size_t i = 0; i < sizeof UNITS / sizeof UNITS[0]; i++)
    if (s >= UNITS[i].scale || i + 1 == sizeof UNITS / sizeof UNITS[0]) {
      snprintf(buf, cap, "%.4g %s", s / UNITS[i].scale, UNITS[i].unit);
      return;
    }
}

static void print_text(const hw_system *sys, const trace_op *op, const kern_estimate *e,
                       const host_note *note) {
  const hw_chip *c = &sys->chip;
  char t[32], tc[32], tm[32], tl[32];
  fmt_seconds(e->seconds, t, sizeof t);
  printf("system    %s (chip %s)\n", sys->name, c->name);
  printf("gemm      %" PRId64 "x%" PRId64 "x%" PRId64 " %s, count %" PRId64 ": %.4g GFLOP\n", op->m,
         op->n, op->k, hw_dtype_name((hw_dtype)op->dtype), op->count, op->flops / 1e9);
  printf("time      %s\n", t);
  printf("TFLOP/s   %.4g\n", e->flops_per_s / 1e12);
  printf("bound     %s\n", kern_bound_name(e->bound));
  if (e->bound != KERN_BOUND_TABLE) {
    fmt_seconds(e->compute_s, tc, sizeof tc);
    fmt_seconds(e->memory_s, tm, sizeof tm);
    fmt_seconds(e->launch_s, tl, sizeof tl);
    printf("waves     %.0f (%.0f tiles of %dx%d over %d units)\n", e->waves, e->tiles, c->tile_m,
           c->tile_n, c->compute_units);
    printf("parts     compute %s, memory %s, launch %s\n", tc, tm, tl);
  }
  if (note->is_host && note->calibrated)
    printf("calibration %s\n", note->path);
  else if (note->is_host)
    printf(
        "calibration none: the host is uncalibrated, nominal constants (run 'trainsim "
        "calibrate')\n");
}

static int print_json(const hw_system *sys, const trace_op *op, const kern_estimate *e,
                      const host_note *note) {
  const hw_chip *c = &sys->chip;
  json_t *j = json_object();
  json_object_set_new(j, "system", json_string(sys->name));
  json_object_set_new(j, "chip", json_string(c->name));
  json_object_set_new(j, "m", json_integer(op->m));
  json_object_set_new(j, "n", json_integer(op->n));
  json_object_set_new(j, "k", json_integer(op->k));
  json_object_set_new(j, "count", json_integer(op->count));
  json_object_set_new(j, "dtype", json_string(hw_dtype_name((hw_dtype)op->dtype)));
  json_object_set_new(j, "flops", json_real(op->flops));
  json_object_set_new(j, "seconds", json_real(e->seconds));
  json_object_set_new(j, "flops_per_s", json_real(e->flops_per_s));
  json_object_set_new(j, "bound", json_string(kern_bound_name(e->bound)));
  json_object_set_new(j, "compute_s", json_real(e->compute_s));
  json_object_set_new(j, "memory_s", json_real(e->memory_s));
  json_object_set_new(j, "launch_s", json_real(e->launch_s));
  json_object_set_new(j, "tiles", json_real(e->tiles));
  json_object_set_new(j, "waves", json_real(e->waves));
  json_object_set_new(j, "units", json_integer(c->compute_units));
  json_object_set_new(j, "tile_m", json_integer(c->tile_m));
  json_object_set_new(j, "tile_n", json_integer(c->tile_n));
  if (note->is_host) {
    json_object_set_new(j, "calibrated", json_boolean(note->calibrated));
    json_object_set_new(j, "calibration", note->calibrated ? json_string(note->path) : json_null());
  }
  return cli_print_json(j);
}

int cmd_kernel(int argc, char **argv) {
  kernel_args a;
  int rc = parse_args(argc, argv, &a);
  if (rc) return rc;
  int64_t dims[3], count = 1;
  if (!parse_gemm(a.gemm, dims))
    return cli_usage_error("kernel",
                           "bad --gemm '%s': expected MxNxK, positive integers "
                           "(e.g. 8192x8192x8192)",
                           a.gemm);
  long long cv;
  if (a.count && (!ts_parse_int64(a.count, &cv) || cv < 1))
    return cli_usage_error("kernel", "bad --count '%s': expected an integer >= 1", a.count);
  if (a.count) count = cv;
  hw_system *sys = calloc(1, sizeof *sys);
  if (!sys) return fprintf(stderr, "trainsim: out of memory\n"), 1;
  host_note note;
  hw_dtype dt = HW_BF16;
  kern_table *kt = NULL;
  ts_err err = {0};
  rc = load_system(&a, sys, &note);
  if (!rc) rc = pick_dtype(&a, &sys->chip, &dt);
  if (!rc && a.table && kern_table_load(a.table, &kt, &err)) rc = cli_fail(&err);
  if (!rc) {
    trace_op op = {
        .kind = TRACE_OP_GEMM,
        .dtype = (uint8_t)dt,
        .m = dims[0],
        .n = dims[1],
        .k = dims[2],
        .count = count,
        .flops = 2.0 * (double)dims[0] * (double)dims[1] * (double)dims[2] * (double)count};
    kern_estimate e = kern_op(&sys->chip, &op, kt);
    if (a.json)
      rc = print_json(sys, &op, &e, &note);
    else
      print_text(sys, &op, &e, &note);
  }
  kern_table_free(kt);
  free(sys);
  return rc;
}
