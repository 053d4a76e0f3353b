/* Internals of the topology graph shared by hw/topo*.c (no other folder includes this).
 *
 * Layout of the one link array (every physical link is two directed entries):
 *   [domain 0 scale-up links][domain 1]...[domain D-1 (maybe partly filled)][scale-out links]
 * Every full domain has the same number of links and switch vertices, so a link id is
 * domain * links_per_domain + (per-kind local index) and a route is pure index arithmetic.
 * Vertices: chips 0..chips-1, then the domains' switches (same stride rule), then the scale-out
 * leaves and the spine.
 *
 * A topology kind is a plug-in: a const table of functions (STYLE.md), one per hw_topo_kind. */
#ifndef HW_TOPO_INT_H
#define HW_TOPO_INT_H

#include <stdint.h>

#include "hw/hw.h"

/* Chips (m) of one domain: counts of its links or switch vertices. */
typedef int64_t topo_count_fn(const hw_topo *t, int m);
/* Checks the scale-up fields this kind reads; fills the derived fields of t. */
typedef ts_status topo_setup_fn(hw_topo *t, ts_err *err);
/* Writes the links of domain `domain` (m chips) at t->links + its base; may build tables. */
typedef ts_status topo_build_fn(hw_topo *t, int64_t domain, int m, ts_err *err);
/* Route between local chips a != b of domain `domain` (m chips); returns hops. */
typedef int topo_route_fn(const hw_topo *t, int64_t domain, int m, int a, int b,
                          int32_t links[HW_ROUTE_MAX]);
typedef int topo_diameter_fn(const hw_topo *t, int m);
typedef double topo_bisection_fn(const hw_topo *t, int m);
typedef double topo_dim_fn(const hw_topo *t, int dim);

typedef struct topo_kind_ops {
  topo_setup_fn *setup;
  topo_count_fn *domain_links;
  topo_count_fn *domain_switches;
  topo_build_fn *build_domain;
  topo_route_fn *route;
  topo_diameter_fn *diameter;
  topo_bisection_fn *bisection_Bps;
  topo_dim_fn *dim_Bps;      /* chip's outgoing bandwidth along dim */
  topo_dim_fn *dim_link_Bps; /* one neighbour link along dim */
} topo_kind_ops;

extern const topo_kind_ops topo_switch_ops, topo_switch2_ops, topo_ring_ops, topo_torus_ops,
    topo_mesh_ops;

struct hw_topo {
  hw_scaleup up;
  hw_scaleout out;
  const topo_kind_ops *ops;
  int64_t chips, domains;
  int domain_chips, last_chips; /* last_chips: chips of the last domain (== domain_chips if full) */
  int64_t links_per_domain, switches_per_domain; /* of a full domain */
  int64_t vertices;
  hw_link *links;
  int64_t n_links;

  /* switch, switch2, mesh */
  double chip_Bps; /* switch/switch2: chip <-> first switch, one direction */
  double pair_Bps; /* mesh: one pair, one direction */
  int groups;      /* switch2: first-level switches per full domain */

  /* ring, torus: active dimensions (extent >= 2) in order, x fastest */
  int nad;
  int ad_dim[3], ad_extent[3];
  int64_t ad_stride[3];
  double ad_Bps[3]; /* per neighbour, one direction */
  /* partly filled last ring/torus domain: compact link map and next-hop table (BFS) */
  int32_t *part_link; /* [last_chips * 2 * nad], -1 where the neighbour is absent */
  uint8_t *part_next; /* [last_chips * last_chips]: slot to take from a towards b */
  int part_diameter;

  /* scale-out fat-tree */
  int64_t so_link_base, leaf_vertex_base, spine_vertex, leaves;
  double so_link_latency_s;
};

static inline int64_t topo_domain_link_base(const hw_topo *t, int64_t domain) {
  return domain * t->links_per_domain;
}
static inline int64_t topo_domain_switch_base(const hw_topo *t, int64_t domain) {
  return t->chips + domain * t->switches_per_domain;
}
static inline void topo_link_set(hw_link *l, int64_t from, int64_t to, double Bps, double latency_s,
                                 hw_tier tier, int dim) {
  *l = (hw_link){.from = (int32_t)from,
                 .to = (int32_t)to,
                 .Bps = Bps,
                 .latency_s = latency_s,
                 .tier = (uint8_t)tier,
                 .dim = (uint8_t)dim};
}
/* True when x is a finite number > 0. */
bool topo_positive(double x);

/* Scale-out fat-tree (topo_fattree.c). */
ts_status topo_fattree_setup(hw_topo *t, ts_err *err);
void topo_fattree_build(hw_topo *t);
int topo_fattree_route(const hw_topo *t, int64_t src, int64_t dst, int32_t links[HW_ROUTE_MAX]);
int64_t topo_fattree_leaf_of(const hw_topo *t, int64_t chip);
int topo_fattree_diameter(const hw_topo *t);
double topo_fattree_bisection_Bps(const hw_topo *t);

#endif
