/* Text of `trainsim hw show`: every field under the name and in the unit its descriptor file
 * uses (bf16_tflops, hbm_gib, link_GBps, latency_us), then its source, so the output reads like
 * the file with the conversions checked. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sim/sim.h"
#include "tools/hw_cli.h"

typedef struct rows {
  const hw_source *sources;
  int n;
} rows;

static void row(const rows *r, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void row(const rows *r, const char *field, const char *fmt, ...) {
  char value[64];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(value, sizeof value, fmt, ap);
  va_end(ap);
  const char *src = NULL;
  for (int i = 0; i < r->n && !src; i++)
    if (strcmp(r->sources[i].field, field) == 0) src = r->sources[i].text;
  printf("  %-28s %-14s %s\n", field, value, src ? src : "-");
}

void hw_cli_topo_text(const hw_scaleup *u, char *buf, size_t cap) {
  const char *kind = hw_topo_kind_name(u->kind);
  if (u->ndims == 3)
    snprintf(buf, cap, "%s %dx%dx%d", kind, u->dims[0], u->dims[1], u->dims[2]);
  else if (u->ndims == 2)
    snprintf(buf, cap, "%s %dx%d", kind, u->dims[0], u->dims[1]);
  else if (u->ndims == 1)
    snprintf(buf, cap, "%s %d", kind, u->dims[0]);
  else if (u->kind == HW_TOPO_SWITCH2 && u->group_chips > 0)
    snprintf(buf, cap, "%s %dx%d", kind, u->domain_chips / u->group_chips, u->group_chips);
  else
    snprintf(buf, cap, "%s", kind);
}

static void chip_compute(const rows *r, const hw_chip *c) {
  static const char *const KEYS[HW_DTYPE_COUNT] = {[HW_FP32] = "fp32_tflops",
                                                   [HW_FP16] = "fp16_tflops",
                                                   [HW_BF16] = "bf16_tflops",
                                                   [HW_FP8] = "fp8_tflops",
                                                   [HW_FP4] = "fp4_tflops"};
  for (int d = 0; d < HW_DTYPE_COUNT; d++) row(r, KEYS[d], "%g", c->peak_flops[d] / 1e12);
  if (hw_chip_source(c, "hbm_gb"))
    row(r, "hbm_gb", "%g", c->hbm_bytes / 1e9);
  else
    row(r, "hbm_gib", "%g", c->hbm_bytes / 1073741824.0);
  row(r, "hbm_tbps", "%g", c->hbm_Bps / 1e12);
  row(r, "sram_mib", "%g", c->sram_bytes / 1048576.0);
  row(r, "compute_units", "%d", c->compute_units);
  row(r, "tile_mnk", "%dx%dx%d", c->tile_m, c->tile_n, c->tile_k);
  row(r, "ranks_per_chip", "%d", c->ranks_per_chip);
}

void hw_cli_chip_text(const hw_chip *c) {
  rows r = {c->sources, c->n_sources};
  printf("chip %s: %s (%s, %s)%s\n", c->name, c->generation, c->vendor, c->family,
         c->projected ? " [projected]" : "");
  if (c->projected) printf("  projected from: %s\n", c->projected_from);
  printf("  %-28s %-14s %s\n", "FIELD", "VALUE", "SOURCE");
  row(&r, "year", "%d", c->year);
  chip_compute(&r, c);
  row(&r, "power_w", "%g", c->power_w);
  row(&r, "price_usd_per_chip_h", "%g (%s)", c->price_usd_per_chip_h, c->price_date);
  if (hw_chip_source(c, "failure_rate_per_chip_h"))
    row(&r, "failure_rate_per_chip_h", "%g", c->failure_rate_per_chip_h);
  row(&r, "kern.gemm_efficiency", "%g", c->kern.gemm_efficiency);
  row(&r, "kern.attn_efficiency", "%g", c->kern.attn_efficiency);
  row(&r, "kern.mem_efficiency", "%g", c->kern.mem_efficiency);
  row(&r, "kern.launch_us", "%g", c->kern.launch_s * 1e6);
}

static void scaleup_text(const rows *r, const hw_scaleup *u) {
  printf("scale-up\n");
  row(r, "scaleup.topology", "%s", hw_topo_kind_name(u->kind));
  row(r, "scaleup.domain_chips", "%d", u->domain_chips);
  if (u->ndims > 0) {
    char dims[48];
    hw_cli_topo_text(u, dims, sizeof dims);
    row(r, "scaleup.dims", "%s", strchr(dims, ' ') ? strchr(dims, ' ') + 1 : dims);
  }
  if (u->kind == HW_TOPO_SWITCH2) row(r, "scaleup.group_chips", "%d", u->group_chips);
  row(r, "scaleup.link_GBps", "%g", u->link_Bps / 1e9);
  if (u->ndims > 0) {
    char text[64] = "";
    for (int i = 0; i < u->ndims; i++)
      snprintf(text + strlen(text), sizeof text - strlen(text), "%s%g", i ? ", " : "",
               u->dim_link_Bps[i] / 1e9);
    row(r, "scaleup.dim_link_GBps", "%s", text);
  }
  row(r, "scaleup.links_per_chip", "%d", u->links_per_chip);
  row(r, "scaleup.chip_GBps", "%g", u->chip_Bps / 1e9);
  row(r, "scaleup.latency_us", "%g", u->latency_s * 1e6);
  for (int k = 0; k < KERN_COMM_KIND_COUNT; k++) /* the calibrated host's measured kinds */
    if (u->coll_Bps[k] > 0.0) {
      char field[48];
      snprintf(field, sizeof field, "scaleup.coll.%s", kern_comm_kind_name((kern_comm_kind)k));
      row(r, field, "%.3g us + %.3g GB/s", u->coll_latency_s[k] * 1e6, u->coll_Bps[k] / 1e9);
    }
}

static void scaleout_text(const rows *r, const hw_scaleout *o) {
  printf("scale-out\n");
  row(r, "scaleout.nic_Gbps_per_chip", "%g", o->nic_Bps_per_chip * 8 / 1e9);
  row(r, "scaleout.latency_us", "%g", o->latency_s * 1e6);
  row(r, "scaleout.rail_optimized", "%s", o->rail_optimized ? "true" : "false");
  row(r, "scaleout.oversubscription", "%g", o->oversubscription);
  row(r, "scaleout.leaf_chips", "%d", o->leaf_chips);
  row(r, "scaleout.max_chips", "%lld", (long long)o->max_chips);
}

void hw_cli_system_text(const hw_system *s, const hw_topo_summary *topo) {
  rows r = {s->sources, s->n_sources};
  printf("system %s: %s\n", s->name, s->description);
  printf("  %-28s %s\n  %-28s %s\n", "chip", s->chip_name, "stack", s->stack);
  scaleup_text(&r, &s->up);
  scaleout_text(&r, &s->out);
  printf("power\n");
  row(&r, "host_overhead_w_per_chip", "%g", s->host_overhead_w_per_chip);
  if (topo) {
    printf("topology summary (one scale-up domain, one direction)\n");
    printf("  %-28s %d chips\n", "domain size", topo->domain_chips);
    printf("  %-28s %d hop%s\n", "diameter", topo->diameter_hops,
           topo->diameter_hops == 1 ? "" : "s");
    printf("  %-28s %g GB/s total, %g GB/s per chip\n", "bisection", topo->bisection_Bps / 1e9,
           topo->bisection_Bps_per_chip / 1e9);
  }
  printf("\n");
  hw_cli_chip_text(&s->chip);
}

void hw_cli_host_text(const hw_host *h) {
  printf("host (hwloc)\n");
  printf("  %-28s %s\n", "cpu_model", h->cpu_model);
  printf("  %-28s %d\n  %-28s %d\n  %-28s %d\n  %-28s %d\n", "packages", h->packages, "cores",
         h->cores, "pus (hardware threads)", h->pus, "numa_nodes", h->numa_nodes);
  printf("  %-28s %.2f GiB\n", "memory", h->memory_bytes / 1073741824.0);
  printf("  %-28s %.0f KiB\n  %-28s %.0f KiB\n", "l1d (per cache)", h->l1d_bytes / 1024,
         "l2 (per cache)", h->l2_bytes / 1024);
  printf("  %-28s %.0f KiB x %d\n", "l3 (per cache)", h->l3_bytes / 1024, h->l3_count);
  printf("  %-28s %s\n\n", "fingerprint", h->fingerprint);
}
