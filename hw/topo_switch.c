/* Switched scale-up domains: every chip talks through switches, so every pair is equally far.
 *
 * switch  (NVSwitch): each chip has one up and one down link (up.chip_Bps per direction, all its
 *         NVLinks together) to one domain switch vertex. Route chip -> switch -> chip: 2 hops.
 * switch2 (Trn3 UltraServer NeuronSwitch, NVL576): groups of up.group_chips chips under a
 *         first-level switch; every first-level switch has one link pair to a second-level switch
 *         of group_chips x chip_Bps, so the domain is non-blocking. 2 hops inside a group,
 *         4 across groups.
 * Bisection of m chips (one direction): floor(m/2) x chip_Bps — half the chips' links, since
 * the switches are non-blocking (the cut runs through the chip links or, equivalently, the
 * group uplinks of half the groups).
 * Local link layout: chip l up 2l, down 2l+1; switch2 then group j up (L1->L2) 2m+2j, down +1.
 * Local switch vertices: switch: the one switch; switch2: L2 first, then L1 of group j at 1+j. */
#include "hw/topo_int.h"

static ts_status switch_setup(hw_topo *t, ts_err *err) {
  t->chip_Bps = t->up.chip_Bps > 0 ? t->up.chip_Bps : t->up.link_Bps * t->up.links_per_chip;
  if (!topo_positive(t->chip_Bps))
    return ts_fail(err, TS_EINPUT,
                   "up.chip_Bps is %g (link_Bps %g x links_per_chip %d), expected > 0",
                   t->up.chip_Bps, t->up.link_Bps, t->up.links_per_chip);
  return TS_OK;
}

static ts_status switch2_setup(hw_topo *t, ts_err *err) {
  int g = t->up.group_chips;
  if (g < 1 || t->domain_chips % g != 0)
    return ts_fail(err, TS_EINPUT,
                   "up.group_chips is %d, expected a divisor of up.domain_chips (%d)", g,
                   t->domain_chips);
  t->groups = t->domain_chips / g;
  return switch_setup(t, err);
}

static int groups_in(const hw_topo *t, int m) {
  return (m + t->up.group_chips - 1) / t->up.group_chips;
}

static int64_t switch_links(const hw_topo *t, int m) {
  (void)t;
  return 2 * (int64_t)m;
}
static int64_t switch_switches(const hw_topo *t, int m) {
  (void)t;
  (void)m;
  return 1;
}
static int64_t switch2_links(const hw_topo *t, int m) {
  return 2 * (int64_t)m + 2 * groups_in(t, m);
}
static int64_t switch2_switches(const hw_topo *t, int m) {
  return 1 + groups_in(t, m);
}

/* Chip l <-> its first-level switch at vertex `sw` (links 2l, 2l+1). */
static void chip_links(hw_topo *t, int64_t domain, int l, int64_t sw) {
  hw_link *base = t->links + topo_domain_link_base(t, domain);
  int64_t chip = domain * t->domain_chips + l;
  topo_link_set(&base[2 * l], chip, sw, t->chip_Bps, t->up.latency_s, HW_TIER_SCALEUP, 0);
  topo_link_set(&base[2 * l + 1], sw, chip, t->chip_Bps, t->up.latency_s, HW_TIER_SCALEUP, 0);
}

static ts_status switch_build(hw_topo *t, int64_t domain, int m, ts_err *err) {
  (void)err;
  for (int l = 0; l < m; l++) chip_links(t, domain, l, topo_domain_switch_base(t, domain));
  return TS_OK;
}

static ts_status switch2_build(hw_topo *t, int64_t domain, int m, ts_err *err) {
  (void)err;
  int64_t top = topo_domain_switch_base(t, domain);
  int g = t->up.group_chips;
  for (int l = 0; l < m; l++) chip_links(t, domain, l, top + 1 + l / g);
  hw_link *up = t->links + topo_domain_link_base(t, domain) + 2 * m;
  double Bps = g * t->chip_Bps;
  for (int j = 0; j < groups_in(t, m); j++) {
    topo_link_set(&up[2 * j], top + 1 + j, top, Bps, t->up.latency_s, HW_TIER_SCALEUP, 0);
    topo_link_set(&up[2 * j + 1], top, top + 1 + j, Bps, t->up.latency_s, HW_TIER_SCALEUP, 0);
  }
  return TS_OK;
}

static int switch_route(const hw_topo *t, int64_t domain, int m, int a, int b,
                        int32_t links[HW_ROUTE_MAX]) {
  (void)m;
  int64_t base = topo_domain_link_base(t, domain);
  links[0] = (int32_t)(base + 2 * a);
  links[1] = (int32_t)(base + 2 * b + 1);
  return 2;
}

static int switch2_route(const hw_topo *t, int64_t domain, int m, int a, int b,
                         int32_t links[HW_ROUTE_MAX]) {
  int ga = a / t->up.group_chips, gb = b / t->up.group_chips;
  if (ga == gb) return switch_route(t, domain, m, a, b, links);
  int64_t base = topo_domain_link_base(t, domain);
  links[0] = (int32_t)(base + 2 * a);
  links[1] = (int32_t)(base + 2 * m + 2 * ga);
  links[2] = (int32_t)(base + 2 * m + 2 * gb + 1);
  links[3] = (int32_t)(base + 2 * b + 1);
  return 4;
}

static int switch_diameter(const hw_topo *t, int m) {
  (void)t;
  return m >= 2 ? 2 : 0;
}
static int switch2_diameter(const hw_topo *t, int m) {
  return m < 2 ? 0 : groups_in(t, m) >= 2 ? 4 : 2;
}
static double switch_bisection(const hw_topo *t, int m) {
  return (m / 2) * t->chip_Bps;
}
static double switch_dim(const hw_topo *t, int dim) {
  return dim == 0 ? t->chip_Bps : 0;
}

const topo_kind_ops topo_switch_ops = {
    .setup = switch_setup,
    .domain_links = switch_links,
    .domain_switches = switch_switches,
    .build_domain = switch_build,
    .route = switch_route,
    .diameter = switch_diameter,
    .bisection_Bps = switch_bisection,
    .dim_Bps = switch_dim,
    .dim_link_Bps = switch_dim,
};

const topo_kind_ops topo_switch2_ops = {
    .setup = switch2_setup,
    .domain_links = switch2_links,
    .domain_switches = switch2_switches,
    .build_domain = switch2_build,
    .route = switch2_route,
    .diameter = switch2_diameter,
    .bisection_Bps = switch_bisection,
    .dim_Bps = switch_dim,
    .dim_link_Bps = switch_dim,
};
