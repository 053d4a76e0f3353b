/* The `host` system: this machine as a cluster of one-core chips (DESIGN: one rank per core).
 *
 * The chip is ONE core; the scale-up domain is every core of the machine behind one "switch"
 * (shared memory); traces in bf16/fp8 execute as fp32, so every dtype gets the fp32 peak.
 * Capacities come from hwloc; speeds are nominal placeholders, uncalibrated: `trainsim
 * calibrate` measures them (OpenBLAS GEMMs, memcpy) and sim/kern overwrites these constants from
 * the calibration file. Each constant below carries that provenance as its source. */
#include "hw/hw.h"

#include <stdio.h>
#include <string.h>

#include "hw/desc_int.h"

#define UNCAL "nominal placeholder, uncalibrated; trainsim calibrate measures it"

/* Nominal speeds of one core and its share of the machine. */
static const struct {
  double clock_hz, flops_per_cycle; /* 2 FMA pipes x 8 fp32 lanes x 2 FLOP (AVX2) */
  double mem_Bps, memcpy_Bps, latency_s;
  double nic_Bps, nic_latency_s;
  double power_w, price_usd_per_h;
  double gemm_eff, attn_eff, mem_eff, launch_s;
} NOMINAL = {2.5e9, 32.0, 10e9, 10e9, 1e-6, 1.25e9, 50e-6, 10.0, 0.05, 0.8, 0.5, 0.8, 1e-6};

static void add(hw_source *s, int *n, const char *field, const char *text) {
  (void)hw_desc_add_source(s, n, field, text, NULL); /* fixed fields, well within the limits */
}

void hw_host_chip(const hw_host *host, hw_chip *c) {
  memset(c, 0, sizeof *c);
  snprintf(c->name, sizeof c->name, "host");
  snprintf(c->vendor, sizeof c->vendor, "host");
  snprintf(c->family, sizeof c->family, "cpu");
  snprintf(c->generation, sizeof c->generation, "%s (1 core)", host->cpu_model);
  double fp32 = NOMINAL.clock_hz * NOMINAL.flops_per_cycle;
  for (int d = 0; d < HW_DTYPE_COUNT; d++) c->peak_flops[d] = fp32;
  double cores = host->cores > 0 ? host->cores : 1;
  c->hbm_bytes = host->memory_bytes / cores;
  c->hbm_Bps = NOMINAL.mem_Bps;
  c->sram_bytes = host->l2_bytes;
  c->compute_units = 1;
  c->tile_m = 16, c->tile_n = 4, c->tile_k = 256;
  c->ranks_per_chip = 1;
  c->power_w = NOMINAL.power_w;
  c->price_usd_per_chip_h = NOMINAL.price_usd_per_h;
  snprintf(c->price_date, sizeof c->price_date, "2026-01");
  c->kern =
      (hw_kernel_consts){NOMINAL.gemm_eff, NOMINAL.attn_eff, NOMINAL.mem_eff, NOMINAL.launch_s};
  hw_source *s = c->sources;
  int *n = &c->n_sources;
  add(s, n, "fp32_tflops", UNCAL " (2.5 GHz x 32 fp32 FLOP/cycle: two 256-bit FMA pipes)");
  add(s, n, "year", "not applicable: this machine");
  add(s, n, "fp16_tflops", "the fp32 figure: traces in narrower types execute as fp32 on the host");
  add(s, n, "bf16_tflops", "the fp32 figure: bf16/fp8 traces execute as fp32 on the host");
  add(s, n, "fp8_tflops", "the fp32 figure: bf16/fp8 traces execute as fp32 on the host");
  add(s, n, "fp4_tflops", "the fp32 figure: traces in narrower types execute as fp32 on the host");
  add(s, n, "hbm_gib", "hwloc: machine memory / cores");
  add(s, n, "hbm_tbps", UNCAL " (10 GB/s per core)");
  add(s, n, "sram_mib", "hwloc: L2 cache of one core");
  add(s, n, "compute_units", "one core per chip (DESIGN: host system, one rank per core)");
  add(s, n, "tile_mnk", UNCAL " (OpenBLAS sgemm micro-kernel 16x4, K block 256)");
  add(s, n, "ranks_per_chip", "one rank per core (DESIGN)");
  add(s, n, "power_w", "nominal placeholder: 10 W per core (not measured)");
  add(s, n, "price_usd_per_chip_h",
      "nominal placeholder: USD 0.05 per core-hour, a typical cloud vCPU");
  add(s, n, "kern.gemm_efficiency", UNCAL);
  add(s, n, "kern.attn_efficiency", UNCAL);
  add(s, n, "kern.mem_efficiency", UNCAL);
  add(s, n, "kern.launch_us", UNCAL);
}

static void host_network(const hw_host *host, hw_system *s) {
  int cores = host->cores > 0 ? host->cores : 1;
  s->up = (hw_scaleup){.kind = HW_TOPO_SWITCH,
                       .domain_chips = cores,
                       .link_Bps = NOMINAL.memcpy_Bps,
                       .links_per_chip = 1,
                       .chip_Bps = NOMINAL.memcpy_Bps,
                       .latency_s = NOMINAL.latency_s};
  s->out = (hw_scaleout){.nic_Bps_per_chip = NOMINAL.nic_Bps,
                         .latency_s = NOMINAL.nic_latency_s,
                         .rail_optimized = false,
                         .oversubscription = 1.0,
                         .leaf_chips = cores,
                         .max_chips = cores};
  hw_source *src = s->sources;
  int *n = &s->n_sources;
  add(src, n, "scaleup.topology", "shared memory: every core reaches every other in one step");
  add(src, n, "scaleup.domain_chips", "hwloc: cores of this machine");
  add(src, n, "scaleup.link_GBps", UNCAL " (memcpy 10 GB/s per core)");
  add(src, n, "scaleup.links_per_chip", "one path per core to shared memory");
  add(src, n, "scaleup.chip_GBps", UNCAL " (memcpy 10 GB/s per core)");
  add(src, n, "scaleup.latency_us", UNCAL " (1 us per shared-memory message)");
  add(src, n, "scaleout.nic_Gbps_per_chip", UNCAL " (10 GbE)");
  add(src, n, "scaleout.latency_us", UNCAL " (50 us over TCP)");
  add(src, n, "scaleout.rail_optimized", "one host: no rails");
  add(src, n, "scaleout.oversubscription", "one host: non-blocking");
  add(src, n, "scaleout.leaf_chips", "one host: all cores");
  add(src, n, "scaleout.max_chips", "one host: all cores");
  add(src, n, "host_overhead_w_per_chip", "included in power_w");
}

ts_status hw_system_host(hw_system *out, ts_err *err) {
  memset(out, 0, sizeof *out);
  hw_host host;
  ts_status st = hw_host_describe(&host, err);
  if (st) return st;
  snprintf(out->name, sizeof out->name, "host");
  snprintf(out->description, sizeof out->description,
           "this machine: %s, %d cores, one rank per core (uncalibrated until trainsim calibrate)",
           host.cpu_model, host.cores);
  snprintf(out->chip_name, sizeof out->chip_name, "host");
  hw_host_chip(&host, &out->chip);
  host_network(&host, out);
  snprintf(out->stack, sizeof out->stack, "host");
  out->host_overhead_w_per_chip = 0.0;
  return TS_OK;
}
