/* The scale-out network between scale-up domains: a two-tier fat-tree.
 *
 * Each chip's NIC (out.nic_Bps_per_chip per direction) goes to a leaf switch of out.leaf_chips
 * NICs. Rail-optimised (out.rail_optimized): a leaf holds the chips with the same local index in
 * leaf_chips consecutive domains (a "rail"), as NVIDIA's DGX SuperPOD wires its leaves; otherwise
 * a leaf holds leaf_chips consecutive chips. All leaves connect to one spine vertex (the spine
 * tier, modelled as one non-blocking switch) with an uplink of
 * leaf_chips x nic_Bps / oversubscription per direction.
 *
 * Route between chips of different domains: chip -> leaf [-> spine -> leaf] -> chip.
 * The end-to-end out.latency_s is split evenly over the four hops of the longest route.
 * Bisection (one direction) with the leaves split evenly between the halves:
 *   chips x nic_Bps / (2 x max(oversubscription, 1))
 * (below 1 the NICs, not the uplinks, are the narrowest cut). */
#include <math.h>

#include "hw/topo_int.h"

static int64_t ceil_div(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}

ts_status topo_fattree_setup(hw_topo *t, ts_err *err) {
  t->so_link_base = t->n_links;
  t->leaf_vertex_base = t->vertices;
  t->spine_vertex = -1;
  t->leaves = 0;
  if (t->domains < 2) return TS_OK; /* one domain: no scale-out traffic */
  const hw_scaleout *o = &t->out;
  if (!topo_positive(o->nic_Bps_per_chip))
    return ts_fail(err, TS_EINPUT, "out.nic_Bps_per_chip is %g, expected > 0 for %lld domains",
                   o->nic_Bps_per_chip, (long long)t->domains);
  if (o->leaf_chips < 1)
    return ts_fail(err, TS_EINPUT, "out.leaf_chips is %d, expected at least 1 for %lld domains",
                   o->leaf_chips, (long long)t->domains);
  if (!topo_positive(o->oversubscription))
    return ts_fail(err, TS_EINPUT, "out.oversubscription is %g, expected > 0", o->oversubscription);
  if (!isfinite(o->latency_s) || o->latency_s < 0)
    return ts_fail(err, TS_EINPUT, "out.latency_s is %g, expected >= 0", o->latency_s);
  t->leaves = o->rail_optimized ? t->domain_chips * ceil_div(t->domains, o->leaf_chips)
                                : ceil_div(t->chips, o->leaf_chips);
  t->spine_vertex = t->leaf_vertex_base + t->leaves;
  t->vertices = t->spine_vertex + 1;
  t->n_links += 2 * t->chips + 2 * t->leaves;
  t->so_link_latency_s = o->latency_s / 4;
  return TS_OK;
}

int64_t topo_fattree_leaf_of(const hw_topo *t, int64_t chip) {
  if (t->leaves == 0) return -1;
  if (!t->out.rail_optimized) return chip / t->out.leaf_chips;
  int64_t domain = chip / t->domain_chips, local = chip % t->domain_chips;
  return domain / t->out.leaf_chips * t->domain_chips + local;
}

/* Links: chip c up (chip->leaf) 2c, down 2c+1; then leaf j up (leaf->spine) 2C+2j, down +1. */
void topo_fattree_build(hw_topo *t) {
  if (t->leaves == 0) return;
  hw_link *l = t->links + t->so_link_base;
  double nic = t->out.nic_Bps_per_chip, lat = t->so_link_latency_s;
  for (int64_t c = 0; c < t->chips; c++) {
    int64_t leaf = t->leaf_vertex_base + topo_fattree_leaf_of(t, c);
    topo_link_set(&l[2 * c], c, leaf, nic, lat, HW_TIER_SCALEOUT, 0);
    topo_link_set(&l[2 * c + 1], leaf, c, nic, lat, HW_TIER_SCALEOUT, 0);
  }
  double up = t->out.leaf_chips * nic / t->out.oversubscription;
  hw_link *u = l + 2 * t->chips;
  for (int64_t j = 0; j < t->leaves; j++) {
    int64_t leaf = t->leaf_vertex_base + j;
    topo_link_set(&u[2 * j], leaf, t->spine_vertex, up, lat, HW_TIER_SCALEOUT, 0);
    topo_link_set(&u[2 * j + 1], t->spine_vertex, leaf, up, lat, HW_TIER_SCALEOUT, 0);
  }
}

int topo_fattree_route(const hw_topo *t, int64_t src, int64_t dst, int32_t links[HW_ROUTE_MAX]) {
  int64_t base = t->so_link_base, leaf_links = base + 2 * t->chips;
  int64_t leaf_src = topo_fattree_leaf_of(t, src), leaf_dst = topo_fattree_leaf_of(t, dst);
  int hops = 0;
  links[hops++] = (int32_t)(base + 2 * src);
  if (leaf_src != leaf_dst) {
    links[hops++] = (int32_t)(leaf_links + 2 * leaf_src);
    links[hops++] = (int32_t)(leaf_links + 2 * leaf_dst + 1);
  }
  links[hops++] = (int32_t)(base + 2 * dst + 1);
  return hops;
}

/* Longest scale-out route: 4 hops once two leaves hold chips (then some pair of chips in
 * different domains sits on different leaves), else 2; 0 without scale-out. */
int topo_fattree_diameter(const hw_topo *t) {
  if (t->leaves == 0) return 0;
  int64_t used = t->out.rail_optimized && t->domain_chips == 1
                     ? ceil_div(t->domains, t->out.leaf_chips)
                 : t->out.rail_optimized ? t->domain_chips
                                         : ceil_div(t->chips, t->out.leaf_chips);
  return used >= 2 ? 4 : 2;
}

double topo_fattree_bisection_Bps(const hw_topo *t) {
  if (t->leaves == 0) return 0;
  double r = t->out.oversubscription > 1 ? t->out.oversubscription : 1;
  return (double)t->chips * t->out.nic_Bps_per_chip / (2 * r);
}
