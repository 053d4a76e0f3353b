/* Chip descriptors (hw/chips/NAME.yaml): the loader and the field table.
 *
 * A chip file is one flat mapping. Names and labels are plain strings; every figure is sourced,
 * `key: {value: X, source: "..."}`, with the customary unit in the key (bf16_tflops, hbm_gib,
 * hbm_tbps, sram_mib, launch_us) converted to SI in hw_chip. The table CHIP_FIGURES below is the
 * list of plain-number figures; the few with structure (HBM in GB or GiB, the tile shape, the
 * kernel-model block) are read by their own functions. */
#include "hw/hw.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "hw/base/ts_yaml.h"
#include "hw/desc_int.h"

static const char *const CHIP_KEYS[] = {"name",
                                        "vendor",
                                        "family",
                                        "generation",
                                        "year",
                                        "projected",
                                        "projected_from",
                                        "fp32_tflops",
                                        "fp16_tflops",
                                        "bf16_tflops",
                                        "fp8_tflops",
                                        "fp4_tflops",
                                        "hbm_gb",
                                        "hbm_gib",
                                        "hbm_tbps",
                                        "sram_mib",
                                        "compute_units",
                                        "tile_mnk",
                                        "ranks_per_chip",
                                        "power_w",
                                        "price_usd_per_chip_h",
                                        "price_date",
                                        "failure_rate_per_chip_h",
                                        "kern",
                                        NULL};

static const char *const KERN_KEYS[] = {"gemm_efficiency", "attn_efficiency", "mem_efficiency",
                                        "launch_us", "fp8_efficiency", NULL};

typedef struct chip_figure {
  const char *key;
  size_t offset; /* of a double in hw_chip */
  double scale;  /* customary unit -> SI */
  hw_bound bound;
  bool required;
} chip_figure;

static const chip_figure CHIP_FIGURES[] = {
    {"fp32_tflops", offsetof(hw_chip, peak_flops[HW_FP32]), 1e12, HW_GT0, true},
    {"fp16_tflops", offsetof(hw_chip, peak_flops[HW_FP16]), 1e12, HW_GE0, true},
    {"bf16_tflops", offsetof(hw_chip, peak_flops[HW_BF16]), 1e12, HW_GT0, true},
    {"fp8_tflops", offsetof(hw_chip, peak_flops[HW_FP8]), 1e12, HW_GE0, true},
    {"fp4_tflops", offsetof(hw_chip, peak_flops[HW_FP4]), 1e12, HW_GE0, true},
    {"hbm_tbps", offsetof(hw_chip, hbm_Bps), 1e12, HW_GT0, true},
    {"sram_mib", offsetof(hw_chip, sram_bytes), 1048576.0, HW_GE0, true},
    {"power_w", offsetof(hw_chip, power_w), 1.0, HW_GT0, true},
    {"price_usd_per_chip_h", offsetof(hw_chip, price_usd_per_chip_h), 1.0, HW_GE0, true},
    {"failure_rate_per_chip_h", offsetof(hw_chip, failure_rate_per_chip_h), 1.0, HW_GE0, false},
};

static const struct {
  const char *key;
  size_t offset;
  hw_bound bound;
  double scale;
  bool required;
} KERN_FIGURES[] = {
    {"gemm_efficiency", offsetof(hw_kernel_consts, gemm_efficiency), HW_FRAC, 1.0, true},
    {"attn_efficiency", offsetof(hw_kernel_consts, attn_efficiency), HW_FRAC, 1.0, true},
    {"mem_efficiency", offsetof(hw_kernel_consts, mem_efficiency), HW_FRAC, 1.0, true},
    {"launch_us", offsetof(hw_kernel_consts, launch_s), HW_GE0, 1e-6, true},
};

static ts_status read_strings(const ts_yaml *y, ts_ynode root, hw_chip *c, ts_err *err) {
  ts_status st = ts_yaml_req_str(y, root, "name", c->name, sizeof c->name, err);
  if (!st) st = ts_yaml_req_str(y, root, "vendor", c->vendor, sizeof c->vendor, err);
  if (!st) st = ts_yaml_req_str(y, root, "family", c->family, sizeof c->family, err);
  if (!st) st = ts_yaml_req_str(y, root, "generation", c->generation, sizeof c->generation, err);
  if (!st) st = ts_yaml_req_str(y, root, "price_date", c->price_date, sizeof c->price_date, err);
  if (st) return st;
  const char *p = c->price_date;
  bool ok = strlen(p) == 7 && p[4] == '-';
  for (int i = 0; ok && i < 7; i++) ok = i == 4 || isdigit((unsigned char)p[i]);
  if (!ok)
    return ts_yaml_fail(y, ts_yaml_get(y, root, "price_date"), TS_EINPUT, err,
                        "field 'price_date': expected YYYY-MM, got '%s'", p);
  return TS_OK;
}

static ts_status read_projection(const ts_yaml *y, ts_ynode root, hw_chip *c, ts_err *err) {
  bool has_flag = false, has_from = false;
  ts_status st = ts_yaml_opt_bool(y, root, "projected", &c->projected, &has_flag, err);
  if (!st)
    st = ts_yaml_opt_str(y, root, "projected_from", c->projected_from, sizeof c->projected_from,
                         &has_from, err);
  if (st) return st;
  if (c->projected && (!has_from || !c->projected_from[0]))
    return ts_yaml_fail(y, root, TS_EINPUT, err,
                        "field 'projected_from': required when projected is true (say what the "
                        "figures were projected from)");
  if (has_from && !c->projected)
    return ts_yaml_fail(y, ts_yaml_get(y, root, "projected_from"), TS_EINPUT, err,
                        "field 'projected_from': only allowed with projected: true");
  return TS_OK;
}

/* HBM capacity: exactly one of hbm_gb (10^9 bytes) or hbm_gib (2^30 bytes). */
static ts_status read_hbm(hw_desc *d, ts_ynode root, hw_chip *c) {
  bool gb = false, gib = false;
  ts_status st = hw_desc_double(d, root, "hbm_gb", false, HW_GT0, 1e9, &c->hbm_bytes, &gb);
  if (!st)
    st = hw_desc_double(d, root, "hbm_gib", false, HW_GT0, 1073741824.0, &c->hbm_bytes, &gib);
  if (st) return st;
  if (gb == gib)
    return ts_yaml_fail(d->y, root, TS_EINPUT, d->err,
                        gb ? "fields 'hbm_gb' and 'hbm_gib': give only one"
                           : "missing required field 'hbm_gb' (or 'hbm_gib')");
  return TS_OK;
}

/* tile_mnk: "MxNxK", the output tile (M x N) one compute unit produces per pass, K deep. */
static ts_status read_tile(hw_desc *d, ts_ynode root, hw_chip *c) {
  char text[48];
  ts_status st = hw_desc_str(d, root, "tile_mnk", true, text, sizeof text, NULL);
  if (st) return st;
  int m, n, k, used = 0;
  if (sscanf(text, "%dx%dx%d%n", &m, &n, &k, &used) != 3 || text[used] != '\0' || m < 1 || n < 1 ||
      k < 1)
    return ts_yaml_fail(d->y, ts_yaml_get(d->y, root, "tile_mnk"), TS_EINPUT, d->err,
                        "field 'tile_mnk': expected MxNxK with positive whole numbers, got '%s'",
                        text);
  c->tile_m = m;
  c->tile_n = n;
  c->tile_k = k;
  return TS_OK;
}

static ts_status read_kern(hw_desc *d, ts_ynode root, hw_chip *c) {
  ts_ynode kern = ts_yaml_get(d->y, root, "kern");
  if (!kern) return ts_yaml_fail(d->y, root, TS_EINPUT, d->err, "missing required field 'kern'");
  ts_status st = ts_yaml_check_keys(d->y, kern, KERN_KEYS, "field 'kern'", d->err);
  hw_desc sub = *d;
  sub.prefix = "kern.";
  for (size_t i = 0; !st && i < sizeof KERN_FIGURES / sizeof KERN_FIGURES[0]; i++)
    st = hw_desc_double(&sub, kern, KERN_FIGURES[i].key, KERN_FIGURES[i].required,
                        KERN_FIGURES[i].bound,
                        KERN_FIGURES[i].scale,
                        (double *)((char *)&c->kern + KERN_FIGURES[i].offset), NULL);
  if (!st)
    st = hw_desc_double(&sub, kern, "fp8_efficiency", false, HW_FRAC, 1.0, &c->fp8_gemm_efficiency,
                        NULL);
  return st;
}

static ts_status read_counts(hw_desc *d, ts_ynode root, hw_chip *c) {
  long long year = 0, units = 0, ranks = 0;
  ts_status st = hw_desc_int(d, root, "year", true, 1990, 2100, &year, NULL);
  if (!st) st = hw_desc_int(d, root, "compute_units", true, 1, 1 << 20, &units, NULL);
  if (!st) st = hw_desc_int(d, root, "ranks_per_chip", true, 1, 1024, &ranks, NULL);
  c->year = (int)year;
  c->compute_units = (int)units;
  c->ranks_per_chip = (int)ranks;
  return st;
}

ts_status hw_chip_parse(const ts_yaml *y, const char *expect_name, hw_chip *out, ts_err *err) {
  memset(out, 0, sizeof *out);
  ts_ynode root = ts_yaml_root(y);
  ts_status st = ts_yaml_check_keys(y, root, CHIP_KEYS, "chip", err);
  if (!st) st = read_strings(y, root, out, err);
  if (!st && !hw_catalog_valid_name(out->name))
    st = ts_yaml_fail(y, ts_yaml_get(y, root, "name"), TS_EINPUT, err,
                      "field 'name': '%s' is not a valid name (lower-case letters, digits, '.', "
                      "'_', '-')",
                      out->name);
  if (!st && expect_name && strcmp(out->name, expect_name) != 0)
    st = ts_yaml_fail(y, ts_yaml_get(y, root, "name"), TS_EINPUT, err,
                      "field 'name': '%s' does not match the catalog name '%s'", out->name,
                      expect_name);
  if (!st) st = read_projection(y, root, out, err);
  hw_desc d = {
      .y = y, .sources = out->sources, .n_sources = &out->n_sources, .prefix = "", .err = err};
  for (size_t i = 0; !st && i < sizeof CHIP_FIGURES / sizeof CHIP_FIGURES[0]; i++) {
    const chip_figure *f = &CHIP_FIGURES[i];
    st = hw_desc_double(&d, root, f->key, f->required, f->bound, f->scale,
                        (double *)((char *)out + f->offset), NULL);
  }
  if (!st) st = read_hbm(&d, root, out);
  if (!st) st = read_counts(&d, root, out);
  if (!st) st = read_tile(&d, root, out);
  if (!st) st = read_kern(&d, root, out);
  return st;
}

ts_status hw_chip_load(const char *name_or_path, hw_chip *out, ts_err *err) {
  memset(out, 0, sizeof *out);
  if (strcmp(name_or_path, "host") == 0) {
    hw_host host;
    ts_status st = hw_host_describe(&host, err);
    if (!st) hw_host_chip(&host, out);
    return st;
  }
  char path[4096];
  const char *expect;
  ts_yaml *y;
  ts_status st = hw_catalog_open(true, name_or_path, &y, path, sizeof path, &expect, err);
  if (st) return st;
  st = hw_chip_parse(y, expect, out, err);
  ts_yaml_free(y);
  return st;
}

const char *hw_chip_source(const hw_chip *chip, const char *field) {
  return hw_desc_find_source(chip->sources, chip->n_sources, field);
}
