/* libFuzzer target for the hardware descriptors (hw/chip.c, hw/system.c, hw/desc.c over
 * hw/base/ts_yaml.c). The first input byte picks the reader: even, a chip file; odd, a system
 * file (its chip comes from the shipped catalog, or from a file relative to the current folder).
 * The rest is the YAML document, parsed from memory with ts_yaml_load_string and the parsers of
 * hw/desc_int.h (what hw_chip_load/hw_system_load run after reading the file).
 * Besides "no crash, no leak, no undefined behaviour": a rejected file gets a one-line message,
 * an accepted one has every figure finite and inside the range its field allows. */
#include <math.h>
#include <stdbool.h>

#include "fuzz_util.h"
#include "hw/desc_int.h"

static const char T[] = "fuzz_descriptor";

static bool finite_ge0(double v) {
  return isfinite(v) && v >= 0.0;
}

static void check_chip(const hw_chip *c) {
  fuzz_check(hw_catalog_valid_name(c->name), T, "accepted chip with a bad name", c->name);
  for (int d = 0; d < HW_DTYPE_COUNT; d++)
    fuzz_check(finite_ge0(c->peak_flops[d]), T, "peak FLOP/s not finite or negative", c->name);
  fuzz_check(c->peak_flops[HW_BF16] > 0 && c->hbm_bytes > 0 && c->hbm_Bps > 0, T,
             "required positive figure is 0", c->name);
  fuzz_check(isfinite(c->hbm_bytes) && isfinite(c->hbm_Bps) && finite_ge0(c->sram_bytes) &&
                 finite_ge0(c->power_w) && finite_ge0(c->price_usd_per_chip_h) &&
                 finite_ge0(c->failure_rate_per_chip_h),
             T, "chip figure not finite", c->name);
  fuzz_check(c->compute_units >= 1 && c->tile_m >= 1 && c->tile_n >= 1 && c->tile_k >= 1 &&
                 c->ranks_per_chip >= 1,
             T, "chip count below 1", c->name);
  fuzz_check(c->kern.gemm_efficiency > 0 && c->kern.gemm_efficiency <= 1 &&
                 c->kern.mem_efficiency > 0 && c->kern.mem_efficiency <= 1 &&
                 finite_ge0(c->kern.launch_s),
             T, "kernel constant out of range", c->name);
  fuzz_check(c->n_sources >= 0 && c->n_sources <= HW_MAX_SOURCES, T, "source count", c->name);
}

static void check_system(const hw_system *s) {
  const hw_scaleup *u = &s->up;
  fuzz_check(hw_catalog_valid_name(s->name), T, "accepted system with a bad name", s->name);
  fuzz_check((unsigned)u->kind < HW_TOPO_KIND_COUNT && u->domain_chips >= 1, T, "scale-up kind",
             s->name);
  if (u->kind == HW_TOPO_TORUS || u->kind == HW_TOPO_RING) {
    long long product = 1;
    fuzz_check(u->ndims >= 1 && u->ndims <= 3, T, "dims count", s->name);
    for (int i = 0; i < u->ndims; i++) {
      product *= u->dims[i];
      fuzz_check(u->dim_link_Bps[i] > 0 && isfinite(u->dim_link_Bps[i]), T, "dim link", s->name);
    }
    fuzz_check(product == u->domain_chips, T, "dims do not multiply to the domain", s->name);
  }
  if (u->kind == HW_TOPO_SWITCH2)
    fuzz_check(u->group_chips >= 1 && u->domain_chips % u->group_chips == 0, T, "group", s->name);
  fuzz_check(u->link_Bps > 0 && isfinite(u->link_Bps) && u->chip_Bps > 0 && isfinite(u->chip_Bps) &&
                 finite_ge0(u->latency_s) && u->links_per_chip >= 1,
             T, "scale-up figure", s->name);
  fuzz_check(s->out.nic_Bps_per_chip > 0 && isfinite(s->out.nic_Bps_per_chip) &&
                 s->out.oversubscription >= 1 && isfinite(s->out.oversubscription) &&
                 s->out.leaf_chips >= 1 && s->out.max_chips >= u->domain_chips &&
                 finite_ge0(s->out.latency_s) && finite_ge0(s->host_overhead_w_per_chip),
             T, "scale-out figure", s->name);
  check_chip(&s->chip);
}

/* A system may name its chip by path; keep the fuzzer away from devices that block or never end. */
static bool touches_devices(const uint8_t *data, size_t size) {
  static const char *const BAD[] = {"/dev", "/proc", "/sys", "\\", "%"};
  for (size_t b = 0; b < sizeof BAD / sizeof BAD[0]; b++) {
    size_t n = strlen(BAD[b]);
    for (size_t i = 0; i + n <= size; i++)
      if (memcmp(data + i, BAD[b], n) == 0) return true;
  }
  return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  bool system = data[0] & 1;
  data++;
  size--;
  if (system && touches_devices(data, size)) return 0;
  ts_err err = {0};
  ts_yaml *y = NULL;
  ts_status st = ts_yaml_load_string("fuzz.yaml", (const char *)data, size, &y, &err);
  if (st != TS_OK) {
    fuzz_check(y == NULL, T, "failed load returned a document", NULL);
    fuzz_check_rejected(T, st, &err);
    return 0;
  }
  if (system) {
    static hw_system sys; /* large; kept off the stack */
    st = hw_system_parse(y, NULL, "fuzz.yaml", &sys, &err);
    if (st == TS_OK) check_system(&sys);
  } else {
    static hw_chip chip;
    st = hw_chip_parse(y, NULL, &chip, &err);
    if (st == TS_OK) check_chip(&chip);
  }
  if (st != TS_OK) fuzz_check_rejected(T, st, &err);
  ts_yaml_free(y);
  return 0;
}
