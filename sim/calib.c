/* Host calibration, the glue: where the calibration file lives, how its fitted constants become
 * the `host` system's kernel-model constants, and loading with the refusals (another host's file,
 * a corrupt file). Measuring is in calib_run.c, fitting in calib_fit.c, the format in
 * calib_file.c.
 *
 * One rank is one core (DESIGN.md), so the host chip takes the one-core fit: compute_units 1 with
 * the fitted tile; peak fp32 and gemm_efficiency such that peak x efficiency = fitted FLOP/s
 * (the descriptor's nominal peak is kept when it is above the fit, else the fit becomes the peak);
 * likewise hbm_Bps x mem_efficiency = fitted saxpy bandwidth; launch_s as fitted. Attention on the
 * host is sgemm blocks, so attn_efficiency = gemm_efficiency (the fallback: a version-2 file times
 * attention and the memory-bound ops by the fits of the executor's own kernels, host_op_s). Data
 * types the host lists run as fp32 there, so they take the fp32 peak. */
#include "sim/sim.h"
#include "sim/calib_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const KIND_NAMES[KERN_CALIB_KIND_COUNT] = {"sgemm", "dgemm", "saxpy"};
static const char *const SCOPE_NAMES[KERN_CALIB_SCOPE_COUNT] = {"1 core", "all cores"};

const char *kern_calib_kind_name(kern_calib_kind k) {
  return (unsigned)k < KERN_CALIB_KIND_COUNT ? KIND_NAMES[k] : "?";
}
const char *kern_calib_scope_name(kern_calib_scope s) {
  return (unsigned)s < KERN_CALIB_SCOPE_COUNT ? SCOPE_NAMES[s] : "?";
}

static uint64_t fnv1a(const char *s) {
  uint64_t h = 14695981039346656037ull;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

static ts_status make_dir(const char *dir, ts_err *err) {
  if (mkdir(dir, 0755) == 0 || errno == EEXIST) return TS_OK;
  return ts_fail(err, TS_EIO, "%s: cannot create folder: %s", dir, strerror(errno));
}

ts_status kern_calibration_default_path(const hw_host *host, bool create_dir, char *buf, size_t cap,
                                        ts_err *err) {
  char base[4096];
  const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
  if (xdg && xdg[0] == '/') { /* the XDG spec ignores relative paths */
    snprintf(base, sizeof base, "%s", xdg);
  } else if (home && home[0]) {
    snprintf(base, sizeof base, "%s/.cache", home);
  } else {
    return ts_fail(err, TS_EUSAGE,
                   "calibration: neither XDG_CACHE_HOME nor HOME is set; "
                   "give the file with --calibration");
  }
  ts_status st = create_dir ? make_dir(base, err) : TS_OK;
  size_t n = strlen(base);
  if (!st && n + 64 >= sizeof base) st = ts_fail(err, TS_EUSAGE, "%s: path too long", base);
  if (st) return st;
  snprintf(base + n, sizeof base - n, "/trainsim");
  if (create_dir && (st = make_dir(base, err))) return st;
  int len = snprintf(buf, cap, "%s/calibration-%016llx.bin", base,
                     (unsigned long long)fnv1a(host->fingerprint));
  if (len < 0 || (size_t)len >= cap) return ts_fail(err, TS_EUSAGE, "%s: path too long", base);
  return TS_OK;
}

/* Sets rate = nominal x efficiency: keeps a nominal above the fit, else the fit is the nominal. */
static void split_rate(double fitted, double *nominal, double *efficiency) {
  if (*nominal >= fitted && *nominal > 0.0) {
    *efficiency = fitted / *nominal;
  } else {
    *nominal = fitted;
    *efficiency = 1.0;
  }
}

static void add_source(hw_chip *chip, const char *field, const char *text) {
  for (int i = 0; i < chip->n_sources; i++)
    if (strcmp(chip->sources[i].field, field) == 0) {
      snprintf(chip->sources[i].text, sizeof chip->sources[i].text, "%s", text);
      return;
    }
  if (chip->n_sources >= HW_MAX_SOURCES) return;
  hw_source *s = &chip->sources[chip->n_sources++];
  snprintf(s->field, sizeof s->field, "%s", field);
  snprintf(s->text, sizeof s->text, "%s", text);
}

void kern_calibration_apply(const kern_calibration *c, hw_system *host_sys) {
  const kern_calib_fit *fit = &c->fit[KERN_CALIB_ONE_CORE];
  hw_chip *chip = &host_sys->chip;
  split_rate(fit->sgemm_flops_per_s, &chip->peak_flops[HW_FP32], &chip->kern.gemm_efficiency);
  for (int dt = 0; dt < HW_DTYPE_COUNT; dt++)
    if (chip->peak_flops[dt] > 0.0) chip->peak_flops[dt] = chip->peak_flops[HW_FP32];
  chip->kern.attn_efficiency = chip->kern.gemm_efficiency;
  split_rate(fit->mem_Bps, &chip->hbm_Bps, &chip->kern.mem_efficiency);
  chip->kern.launch_s = fit->launch_s;
  chip->compute_units = fit->units;
  chip->tile_m = fit->tile_m;
  chip->tile_n = fit->tile_n;
  char text[HW_SOURCE_MAX];
  snprintf(text, sizeof text,
           "trainsim calibrate on this host (OpenBLAS, 1 core; model median "
           "error %.1f%%, worst %.1f%%)",
           100.0 * fit->median_error, 100.0 * fit->worst_error);
  static const char *const FIELDS[] = {"fp32_tflops",
                                       "hbm_tbps",
                                       "tile_mnk",
                                       "kern.gemm_efficiency",
                                       "kern.attn_efficiency",
                                       "kern.mem_efficiency",
                                       "kern.launch_us"};
  for (size_t i = 0; i < sizeof FIELDS / sizeof FIELDS[0]; i++) add_source(chip, FIELDS[i], text);
  snprintf(host_sys->description, sizeof host_sys->description,
           "this machine: %s, %d cores, one rank per core (calibrated by trainsim calibrate)",
           c->cpu_model, c->cores);
  kern_calib_comm_apply(&c->comm, host_sys); /* the measured fabric, when calibrated */
  kern_calib_ops_apply(&c->ops, host_sys);   /* the executor's own kernels (version 2) */
  if (c->ops.present)
    add_source(chip, "kern.host_ops",
               "trainsim calibrate on this host: norm, GELU, embedding, loss, Adam and the "
               "blocked causal attention as `trainsim exec` runs them, each fitted on 1 core");
}

ts_status kern_calibration_load(const char *path_or_NULL, const hw_host *host, hw_system *host_sys,
                                ts_err *err) {
  char def[4096];
  const char *path = path_or_NULL;
  ts_status st;
  if (!path) {
    if ((st = kern_calibration_default_path(host, false, def, sizeof def, err))) return st;
    path = def;
  }
  struct stat sb;
  if (stat(path, &sb) != 0 && errno == ENOENT)
    return ts_fail(err, TS_ENOTFOUND, "%s: no calibration file (run 'trainsim calibrate')", path);
  kern_calibration *c = malloc(sizeof *c);
  if (!c) return ts_fail(err, TS_ENOMEM, "%s: out of memory", path);
  st = kern_calibration_read(path, c, err);
  if (!st && strcmp(c->fingerprint, host->fingerprint) != 0)
    st = ts_fail(err, TS_EINPUT,
                 "%s: calibration made on another host: file is for '%s', this "
                 "host is '%s' (run 'trainsim calibrate')",
                 path, c->fingerprint, host->fingerprint);
  if (!st) kern_calibration_apply(c, host_sys);
  free(c);
  return st;
}
