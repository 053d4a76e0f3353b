/* Full-mesh scale-up domain (AMD Infinity Fabric, 8 GPUs): a direct link between every pair.
 *
 * Each pair has one link of up.link_Bps per direction (when the descriptor gives only chip_Bps,
 * it is shared evenly over the domain_chips - 1 peers). Every route is 1 hop. Bisection of m
 * chips, one direction: floor(m/2) x ceil(m/2) pair links. A chip's total bandwidth (dim 0):
 * (domain_chips - 1) x link bandwidth.
 * Local link layout: from i to j (i != j) at i x (m - 1) + (j < i ? j : j - 1). */
#include "hw/topo_int.h"

static ts_status mesh_setup(hw_topo *t, ts_err *err) {
  t->pair_Bps = t->up.link_Bps > 0    ? t->up.link_Bps
                : t->domain_chips > 1 ? t->up.chip_Bps / (t->domain_chips - 1)
                                      : t->up.chip_Bps;
  if (!topo_positive(t->pair_Bps))
    return ts_fail(err, TS_EINPUT, "up.link_Bps is %g (chip_Bps %g), expected > 0", t->up.link_Bps,
                   t->up.chip_Bps);
  return TS_OK;
}

static int64_t mesh_links(const hw_topo *t, int m) {
  (void)t;
  return (int64_t)m * (m - 1);
}
static int64_t mesh_switches(const hw_topo *t, int m) {
  (void)t;
  (void)m;
  return 0;
}

static int64_t mesh_link_index(int m, int i, int j) {
  return (int64_t)i * (m - 1) + (j < i ? j : j - 1);
}

static ts_status mesh_build(hw_topo *t, int64_t domain, int m, ts_err *err) {
  (void)err;
  hw_link *base = t->links + topo_domain_link_base(t, domain);
  int64_t first = domain * t->domain_chips;
  for (int i = 0; i < m; i++)
    for (int j = 0; j < m; j++)
      if (i != j)
        topo_link_set(&base[mesh_link_index(m, i, j)], first + i, first + j, t->pair_Bps,
                      t->up.latency_s, HW_TIER_SCALEUP, 0);
  return TS_OK;
}

static int mesh_route(const hw_topo *t, int64_t domain, int m, int a, int b,
                      int32_t links[HW_ROUTE_MAX]) {
  links[0] = (int32_t)(topo_domain_link_base(t, domain) + mesh_link_index(m, a, b));
  return 1;
}

static int mesh_diameter(const hw_topo *t, int m) {
  (void)t;
  return m >= 2 ? 1 : 0;
}
static double mesh_bisection(const hw_topo *t, int m) {
  return (double)(m / 2) * ((m + 1) / 2) * t->pair_Bps;
}
static double mesh_dim(const hw_topo *t, int dim) {
  return dim == 0 ? (t->domain_chips - 1) * t->pair_Bps : 0;
}
static double mesh_dim_link(const hw_topo *t, int dim) {
  return dim == 0 ? t->pair_Bps : 0;
}

const topo_kind_ops topo_mesh_ops = {
    .setup = mesh_setup,
    .domain_links = mesh_links,
    .domain_switches = mesh_switches,
    .build_domain = mesh_build,
    .route = mesh_route,
    .diameter = mesh_diameter,
    .bisection_Bps = mesh_bisection,
    .dim_Bps = mesh_dim,
    .dim_link_Bps = mesh_dim_link,
};
