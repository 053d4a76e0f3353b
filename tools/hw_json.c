/* JSON of `trainsim hw`: stable keys in a fixed order, SI units named in the keys
 * (bf16_flops_per_s, hbm_bytes, link_Bps, latency_s), and the source of every figure under
 * "sources" keyed by the descriptor's field name. */
#include <stdio.h>

#include "sim/sim.h"
#include "tools/hw_cli.h"

static json_t *sources_json(const hw_source *s, int n) {
  json_t *j = json_object();
  for (int i = 0; i < n; i++) json_object_set_new(j, s[i].field, json_string(s[i].text));
  return j;
}

static void set_real(json_t *j, const char *key, double v) {
  json_object_set_new(j, key, json_real(v));
}
static void set_int(json_t *j, const char *key, long long v) {
  json_object_set_new(j, key, json_integer(v));
}
static void set_str(json_t *j, const char *key, const char *v) {
  json_object_set_new(j, key, json_string(v));
}

static json_t *kern_json(const hw_kernel_consts *k) {
  json_t *j = json_object();
  set_real(j, "gemm_efficiency", k->gemm_efficiency);
  set_real(j, "attn_efficiency", k->attn_efficiency);
  set_real(j, "mem_efficiency", k->mem_efficiency);
  set_real(j, "launch_s", k->launch_s);
  return j;
}

json_t *hw_cli_chip_json(const hw_chip *c) {
  json_t *j = json_object();
  set_str(j, "name", c->name);
  set_str(j, "vendor", c->vendor);
  set_str(j, "family", c->family);
  set_str(j, "generation", c->generation);
  set_int(j, "year", c->year);
  json_object_set_new(j, "projected", json_boolean(c->projected));
  set_str(j, "projected_from", c->projected_from);
  for (int d = 0; d < HW_DTYPE_COUNT; d++) {
    char key[32];
    snprintf(key, sizeof key, "%s_flops_per_s", hw_dtype_name((hw_dtype)d));
    set_real(j, key, c->peak_flops[d]);
  }
  set_real(j, "hbm_bytes", c->hbm_bytes);
  set_real(j, "hbm_Bps", c->hbm_Bps);
  set_real(j, "sram_bytes", c->sram_bytes);
  set_int(j, "compute_units", c->compute_units);
  set_int(j, "tile_m", c->tile_m);
  set_int(j, "tile_n", c->tile_n);
  set_int(j, "tile_k", c->tile_k);
  set_int(j, "ranks_per_chip", c->ranks_per_chip);
  set_real(j, "power_w", c->power_w);
  set_real(j, "price_usd_per_chip_h", c->price_usd_per_chip_h);
  set_str(j, "price_date", c->price_date);
  set_real(j, "failure_rate_per_chip_h", c->failure_rate_per_chip_h);
  json_object_set_new(j, "kern", kern_json(&c->kern));
  json_object_set_new(j, "sources", sources_json(c->sources, c->n_sources));
  return j;
}

static json_t *scaleup_json(const hw_scaleup *u) {
  json_t *j = json_object();
  set_str(j, "topology", hw_topo_kind_name(u->kind));
  set_int(j, "domain_chips", u->domain_chips);
  json_t *dims = json_array(), *dim_links = json_array();
  for (int i = 0; i < u->ndims; i++) {
    json_array_append_new(dims, json_integer(u->dims[i]));
    json_array_append_new(dim_links, json_real(u->dim_link_Bps[i]));
  }
  json_object_set_new(j, "dims", dims);
  set_int(j, "group_chips", u->group_chips);
  set_real(j, "link_Bps", u->link_Bps);
  json_object_set_new(j, "dim_link_Bps", dim_links);
  set_int(j, "links_per_chip", u->links_per_chip);
  set_real(j, "chip_Bps", u->chip_Bps);
  set_real(j, "latency_s", u->latency_s);
  json_t *coll = json_object(); /* the calibrated host's measured kinds: seconds = L + bytes / B */
  for (int k = 0; k < KERN_COMM_KIND_COUNT; k++)
    if (u->coll_Bps[k] > 0.0)
      json_object_set_new(
          coll, kern_comm_kind_name((kern_comm_kind)k),
          json_pack("{s:f,s:f}", "latency_s", u->coll_latency_s[k], "Bps", u->coll_Bps[k]));
  if (json_object_size(coll))
    json_object_set_new(j, "collectives", coll);
  else
    json_decref(coll);
  return j;
}

static json_t *scaleout_json(const hw_scaleout *o) {
  json_t *j = json_object();
  set_real(j, "nic_Bps_per_chip", o->nic_Bps_per_chip);
  set_real(j, "latency_s", o->latency_s);
  json_object_set_new(j, "rail_optimized", json_boolean(o->rail_optimized));
  set_real(j, "oversubscription", o->oversubscription);
  set_int(j, "leaf_chips", o->leaf_chips);
  set_int(j, "max_chips", (long long)o->max_chips);
  return j;
}

json_t *hw_cli_system_json(const hw_system *s, const hw_topo_summary *topo) {
  json_t *j = json_object();
  set_str(j, "name", s->name);
  set_str(j, "description", s->description);
  set_str(j, "chip_name", s->chip_name);
  set_str(j, "stack", s->stack);
  json_object_set_new(j, "scaleup", scaleup_json(&s->up));
  json_object_set_new(j, "scaleout", scaleout_json(&s->out));
  set_real(j, "host_overhead_w_per_chip", s->host_overhead_w_per_chip);
  if (topo) {
    json_t *t = json_object();
    set_int(t, "domain_chips", topo->domain_chips);
    set_int(t, "domain_diameter_hops", topo->diameter_hops);
    set_real(t, "domain_bisection_Bps", topo->bisection_Bps);
    set_real(t, "domain_bisection_Bps_per_chip", topo->bisection_Bps_per_chip);
    json_object_set_new(j, "topology_summary", t);
  }
  json_object_set_new(j, "sources", sources_json(s->sources, s->n_sources));
  json_object_set_new(j, "chip", hw_cli_chip_json(&s->chip));
  return j;
}

json_t *hw_cli_host_json(const hw_host *h) {
  json_t *j = json_object();
  set_str(j, "cpu_model", h->cpu_model);
  set_int(j, "packages", h->packages);
  set_int(j, "cores", h->cores);
  set_int(j, "pus", h->pus);
  set_int(j, "numa_nodes", h->numa_nodes);
  set_real(j, "memory_bytes", h->memory_bytes);
  set_real(j, "l1d_bytes", h->l1d_bytes);
  set_real(j, "l2_bytes", h->l2_bytes);
  set_real(j, "l3_bytes", h->l3_bytes);
  set_int(j, "l3_count", h->l3_count);
  set_str(j, "fingerprint", h->fingerprint);
  return j;
}
