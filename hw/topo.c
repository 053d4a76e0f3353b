/* hw_topo: the graph of chips, switches and directed links built from a system and a chip count,
 * and the queries collectives are built on (route, hops, diameter, bisection, per-dimension
 * bandwidth).
 *
 * Chips are grouped into scale-up domains of up.domain_chips consecutive chips (the last one may
 * be partly filled). Inside a domain the kind's plug-in (topo_switch.c, topo_torus.c,
 * topo_mesh.c) lays out links and routes; between domains the two-tier fat-tree of
 * topo_fattree.c does. Chips of one domain always talk over the scale-up network.
 * Routes are index arithmetic (no allocation, O(hops)); building a million-chip graph is one
 * array of links. See topo_int.h for the layout. */
#include "hw/hw.h"

#include <math.h>
#include <stdlib.h>

#include "hw/topo_int.h"

static const topo_kind_ops *const topo_kinds[HW_TOPO_KIND_COUNT] = {
    [HW_TOPO_SWITCH] = &topo_switch_ops, [HW_TOPO_SWITCH2] = &topo_switch2_ops,
    [HW_TOPO_RING] = &topo_ring_ops,     [HW_TOPO_TORUS] = &topo_torus_ops,
    [HW_TOPO_MESH] = &topo_mesh_ops,
};

bool topo_positive(double x) {
  return isfinite(x) && x > 0;
}

/* Fields every kind needs; the kind's setup checks its own. */
static ts_status topo_check_common(const hw_system *sys, int64_t chips, ts_err *err) {
  if (chips < 1)
    return ts_fail(err, TS_EINPUT, "topology of %s: chips is %lld, expected at least 1", sys->name,
                   (long long)chips);
  if ((int)sys->up.kind < 0 || sys->up.kind >= HW_TOPO_KIND_COUNT)
    return ts_fail(err, TS_EINPUT, "topology of %s: up.kind is %d, expected 0..%d", sys->name,
                   (int)sys->up.kind, HW_TOPO_KIND_COUNT - 1);
  if (sys->up.domain_chips < 1)
    return ts_fail(err, TS_EINPUT, "topology of %s: up.domain_chips is %d, expected at least 1",
                   sys->name, sys->up.domain_chips);
  if (!isfinite(sys->up.latency_s) || sys->up.latency_s < 0)
    return ts_fail(err, TS_EINPUT, "topology of %s: up.latency_s is %g, expected >= 0", sys->name,
                   sys->up.latency_s);
  return TS_OK;
}

/* Counts links and vertices, checks they fit the int32 ids of hw_link. */
static ts_status topo_size(hw_topo *t, const char *name, ts_err *err) {
  const topo_kind_ops *ops = t->ops;
  t->links_per_domain = ops->domain_links(t, t->domain_chips);
  t->switches_per_domain = ops->domain_switches(t, t->domain_chips);
  int diameter = ops->diameter(t, t->domain_chips);
  if (diameter > HW_ROUTE_MAX)
    return ts_fail(err, TS_EINPUT,
                   "topology of %s: scale-up diameter is %d hops, expected at most %d", name,
                   diameter, HW_ROUTE_MAX);
  t->n_links = (t->domains - 1) * t->links_per_domain + ops->domain_links(t, t->last_chips);
  t->vertices =
      t->chips + (t->domains - 1) * t->switches_per_domain + ops->domain_switches(t, t->last_chips);
  ts_status st = topo_fattree_setup(t, err);
  if (st != TS_OK) {
    ts_err_prefix(err, "topology of %s", name);
    return st;
  }
  if (t->n_links > INT32_MAX || t->vertices > INT32_MAX)
    return ts_fail(err, TS_EINPUT,
                   "topology of %s: %lld chips need %lld links and %lld vertices, expected at most "
                   "%d of each",
                   name, (long long)t->chips, (long long)t->n_links, (long long)t->vertices,
                   INT32_MAX);
  return TS_OK;
}

static ts_status topo_build(hw_topo *t, ts_err *err) {
  t->links = malloc((size_t)(t->n_links > 0 ? t->n_links : 1) * sizeof *t->links);
  if (!t->links)
    return ts_fail(err, TS_ENOMEM, "%lld links do not fit in memory", (long long)t->n_links);
  for (int64_t d = 0; d < t->domains; d++) {
    int m = d == t->domains - 1 ? t->last_chips : t->domain_chips;
    ts_status st = t->ops->build_domain(t, d, m, err);
    if (st != TS_OK) return st;
  }
  topo_fattree_build(t);
  return TS_OK;
}

ts_status hw_topo_new(const hw_system *sys, int64_t chips, hw_topo **out, ts_err *err) {
  *out = NULL;
  ts_status st = topo_check_common(sys, chips, err);
  if (st != TS_OK) return st;
  hw_topo *t = calloc(1, sizeof *t);
  if (!t) return ts_fail(err, TS_ENOMEM, "topology: out of memory");
  t->up = sys->up;
  t->out = sys->out;
  t->ops = topo_kinds[sys->up.kind];
  t->chips = chips;
  t->domain_chips = sys->up.domain_chips;
  t->domains = (chips + t->domain_chips - 1) / t->domain_chips;
  t->last_chips = (int)(chips - (t->domains - 1) * t->domain_chips);
  st = t->ops->setup(t, err);
  if (st != TS_OK) ts_err_prefix(err, "topology of %s", sys->name);
  if (st == TS_OK) st = topo_size(t, sys->name, err);
  if (st == TS_OK) {
    st = topo_build(t, err);
    if (st != TS_OK) ts_err_prefix(err, "topology of %s", sys->name);
  }
  if (st != TS_OK) {
    hw_topo_free(t);
    return st;
  }
  *out = t;
  return TS_OK;
}

void hw_topo_free(hw_topo *t) {
  if (!t) return;
  free(t->links);
  free(t->part_link);
  free(t->part_next);
  free(t);
}

int64_t hw_topo_chips(const hw_topo *t) {
  return t->chips;
}
int64_t hw_topo_vertex_count(const hw_topo *t) {
  return t->vertices;
}
int32_t hw_topo_link_count(const hw_topo *t) {
  return (int32_t)t->n_links;
}
int64_t hw_topo_domain_count(const hw_topo *t) {
  return t->domains;
}

const hw_link *hw_topo_link(const hw_topo *t, int32_t id) {
  return id >= 0 && id < t->n_links ? &t->links[id] : NULL;
}

int64_t hw_topo_domain_of(const hw_topo *t, int64_t chip) {
  return chip / t->domain_chips;
}
int hw_topo_local_index(const hw_topo *t, int64_t chip) {
  return (int)(chip % t->domain_chips);
}
int hw_topo_domain_size(const hw_topo *t, int64_t domain) {
  if (domain < 0 || domain >= t->domains) return 0;
  return domain == t->domains - 1 ? t->last_chips : t->domain_chips;
}
int64_t hw_topo_leaf_of(const hw_topo *t, int64_t chip) {
  if (chip < 0 || chip >= t->chips) return -1;
  return topo_fattree_leaf_of(t, chip);
}

int hw_topo_route(const hw_topo *t, int64_t src, int64_t dst, int32_t links[HW_ROUTE_MAX]) {
  if (src < 0 || dst < 0 || src >= t->chips || dst >= t->chips) return -1;
  if (src == dst) return 0;
  int64_t d = src / t->domain_chips;
  if (d != dst / t->domain_chips) return topo_fattree_route(t, src, dst, links);
  int m = hw_topo_domain_size(t, d);
  return t->ops->route(t, d, m, (int)(src % t->domain_chips), (int)(dst % t->domain_chips), links);
}

int hw_topo_hops(const hw_topo *t, int64_t src, int64_t dst) {
  int32_t links[HW_ROUTE_MAX];
  return hw_topo_route(t, src, dst, links);
}

int hw_topo_domain_diameter(const hw_topo *t) {
  int full =
      t->domains > 1 || t->last_chips == t->domain_chips ? t->ops->diameter(t, t->domain_chips) : 0;
  int last = t->ops->diameter(t, t->last_chips);
  return full > last ? full : last;
}

int hw_topo_diameter(const hw_topo *t) {
  int up = hw_topo_domain_diameter(t);
  int out = topo_fattree_diameter(t);
  return up > out ? up : out;
}

double hw_topo_domain_bisection_Bps(const hw_topo *t) {
  return t->ops->bisection_Bps(t, t->domains > 1 ? t->domain_chips : t->last_chips);
}

/* With two or more domains the cheapest even cut keeps domains whole and cuts the fat-tree: a cut
 * that splits domains pays the scale-up links it crosses on top of the same scale-out links (each
 * rail's leaf sits on one side or the other either way), so it never wins. One domain: the
 * scale-up cut. */
double hw_topo_bisection_Bps(const hw_topo *t) {
  if (t->domains == 1) return hw_topo_domain_bisection_Bps(t);
  return topo_fattree_bisection_Bps(t);
}

double hw_topo_dim_Bps(const hw_topo *t, int dim) {
  return dim >= 0 && dim < 3 ? t->ops->dim_Bps(t, dim) : 0;
}
double hw_topo_dim_link_Bps(const hw_topo *t, int dim) {
  return dim >= 0 && dim < 3 ? t->ops->dim_link_Bps(t, dim) : 0;
}
