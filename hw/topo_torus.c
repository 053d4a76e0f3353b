/* Ring and torus scale-up domains (Trainium NeuronLink: 2D 4x4 torus, 3D 4x4x4 UltraServer).
 *
 * Chips sit at coordinates with x fastest (local index = x + dx*(y + dy*z)). Each chip links to
 * its + and - neighbour in every dimension, wrapping around; one neighbour link carries
 * dim_link_Bps[i] (or link_Bps) x links_per_chip per direction. A dimension of extent 2 has two
 * parallel links between the pair (its + and - wrap), extent 1 has none.
 *
 * Routing is dimension-order (x, then y, then z), the shortest way around each ring (ties go +),
 * so hops = sum_i min(delta_i, d_i - delta_i) and the diameter is sum_i floor(d_i / 2).
 *
 * Bisection (one direction): cutting a torus in half across dimension i meets each of the
 * N/d_i rings along i twice (once in the middle, once at the wrap-around), so it crosses
 * 2 N / d_i links; the narrowest such cut is min_i 2 (N / d_i) Bps_i. For a k x k torus that is
 * 2k links, for a ring 2 links. This is the minimum bisection when the cut dimension is even
 * (tests check it against brute force); for odd extents it is the straight cut's value.
 *
 * A partly filled last domain keeps the coordinates of the full one and only the links between
 * present chips; it routes by a next-hop table from a BFS over its links (built once, small).
 * Its bisection is the cut between its first and second half of chips in index order.
 * Local link layout: chip l, active dimension k, direction s (0: +, 1: -) at l*2K + 2k + s;
 * a partly filled domain stores them compactly in that order, skipping absent neighbours. */
#include <stdlib.h>

#include "hw/topo_int.h"

static ts_status torus_dims(hw_topo *t, int ndims, const int *dims, ts_err *err) {
  int64_t product = 1;
  for (int i = 0; i < ndims; i++) {
    if (dims[i] < 1)
      return ts_fail(err, TS_EINPUT, "up.dims[%d] is %d, expected at least 1", i, dims[i]);
    product *= dims[i];
  }
  if (product != t->domain_chips)
    return ts_fail(err, TS_EINPUT, "up.dims multiply to %lld, expected up.domain_chips (%d)",
                   (long long)product, t->domain_chips);
  if (t->up.links_per_chip < 1)
    return ts_fail(err, TS_EINPUT, "up.links_per_chip is %d, expected at least 1 per neighbour",
                   t->up.links_per_chip);
  int64_t stride = 1;
  for (int i = 0; i < ndims; i++) {
    double link = t->up.dim_link_Bps[i] > 0 ? t->up.dim_link_Bps[i] : t->up.link_Bps;
    if (dims[i] >= 2) {
      if (!topo_positive(link))
        return ts_fail(err, TS_EINPUT, "up.link_Bps along dimension %d is %g, expected > 0", i,
                       link);
      t->ad_dim[t->nad] = i;
      t->ad_extent[t->nad] = dims[i];
      t->ad_stride[t->nad] = stride;
      t->ad_Bps[t->nad] = link * t->up.links_per_chip;
      t->nad++;
    }
    stride *= dims[i];
  }
  return TS_OK;
}

static ts_status ring_setup(hw_topo *t, ts_err *err) {
  if (t->up.ndims == 0) return torus_dims(t, 1, &t->domain_chips, err);
  if (t->up.ndims != 1)
    return ts_fail(err, TS_EINPUT, "up.ndims is %d, expected 1 for a ring", t->up.ndims);
  return torus_dims(t, 1, t->up.dims, err);
}

static ts_status torus_setup(hw_topo *t, ts_err *err) {
  if (t->up.ndims < 1 || t->up.ndims > 3)
    return ts_fail(err, TS_EINPUT, "up.ndims is %d, expected 1, 2 or 3 for a torus", t->up.ndims);
  return torus_dims(t, t->up.ndims, t->up.dims, err);
}

/* Local index of chip l's neighbour along active dimension k, direction s. */
static int neighbour(const hw_topo *t, int l, int k, int s) {
  int d = t->ad_extent[k];
  int64_t stride = t->ad_stride[k];
  int c = (int)(l / stride % d);
  int nc = s == 0 ? (c + 1) % d : (c + d - 1) % d;
  return (int)(l + (nc - c) * stride);
}

static int64_t torus_links(const hw_topo *t, int m) {
  if (m == t->domain_chips) return (int64_t)m * 2 * t->nad;
  int64_t n = 0;
  for (int l = 0; l < m; l++)
    for (int slot = 0; slot < 2 * t->nad; slot++) n += neighbour(t, l, slot / 2, slot % 2) < m;
  return n;
}
static int64_t torus_switches(const hw_topo *t, int m) {
  (void)t;
  (void)m;
  return 0;
}

/* BFS distances to b over the partly filled domain, then the first slot that gets closer. */
static void part_next_towards(hw_topo *t, int m, int b, int *dist, int *queue) {
  for (int l = 0; l < m; l++) dist[l] = -1;
  int head = 0, tail = 0;
  dist[b] = 0;
  queue[tail++] = b;
  while (head < tail) {
    int u = queue[head++];
    for (int slot = 0; slot < 2 * t->nad; slot++) {
      int v = neighbour(t, u, slot / 2, slot % 2);
      if (v < m && dist[v] < 0) {
        dist[v] = dist[u] + 1;
        queue[tail++] = v;
      }
    }
  }
  for (int a = 0; a < m; a++) {
    if (dist[a] > t->part_diameter) t->part_diameter = dist[a];
    for (int slot = 0; a != b && slot < 2 * t->nad; slot++) {
      int v = neighbour(t, a, slot / 2, slot % 2);
      if (v < m && dist[v] == dist[a] - 1) {
        t->part_next[(int64_t)a * m + b] = (uint8_t)slot;
        break;
      }
    }
  }
}

static ts_status torus_build_part(hw_topo *t, int m, ts_err *err) {
  int slots = 2 * t->nad;
  t->part_link = malloc((size_t)m * (size_t)(slots > 0 ? slots : 1) * sizeof *t->part_link);
  t->part_next = malloc((size_t)m * (size_t)m);
  int *dist = malloc(2 * (size_t)m * sizeof *dist);
  if (!t->part_link || !t->part_next || !dist) {
    free(dist);
    return ts_fail(err, TS_ENOMEM, "out of memory for a partly filled domain");
  }
  for (int b = 0; b < m; b++) part_next_towards(t, m, b, dist, dist + m);
  free(dist);
  if (t->part_diameter > HW_ROUTE_MAX)
    return ts_fail(err, TS_EINPUT,
                   "partly filled last domain (%d chips) has diameter %d hops, expected at most %d",
                   m, t->part_diameter, HW_ROUTE_MAX);
  return TS_OK;
}

static ts_status torus_build(hw_topo *t, int64_t domain, int m, ts_err *err) {
  bool full = m == t->domain_chips;
  if (!full) {
    ts_status st = torus_build_part(t, m, err);
    if (st != TS_OK) return st;
  }
  hw_link *base = t->links + topo_domain_link_base(t, domain);
  int64_t first = domain * t->domain_chips, id = 0;
  for (int l = 0; l < m; l++)
    for (int slot = 0; slot < 2 * t->nad; slot++) {
      int k = slot / 2, v = neighbour(t, l, k, slot % 2);
      if (!full) t->part_link[l * 2 * t->nad + slot] = v < m ? (int32_t)id : -1;
      if (v >= m) continue;
      topo_link_set(&base[id++], first + l, first + v, t->ad_Bps[k], t->up.latency_s,
                    HW_TIER_SCALEUP, t->ad_dim[k]);
    }
  return TS_OK;
}

static int torus_route_part(const hw_topo *t, int64_t domain, int m, int a, int b,
                            int32_t links[HW_ROUTE_MAX]) {
  int64_t base = topo_domain_link_base(t, domain);
  int hops = 0;
  while (a != b && hops < HW_ROUTE_MAX) {
    int slot = t->part_next[(int64_t)a * m + b];
    links[hops++] = (int32_t)(base + t->part_link[a * 2 * t->nad + slot]);
    a = neighbour(t, a, slot / 2, slot % 2);
  }
  return hops;
}

static int torus_route(const hw_topo *t, int64_t domain, int m, int a, int b,
                       int32_t links[HW_ROUTE_MAX]) {
  if (m != t->domain_chips) return torus_route_part(t, domain, m, a, b, links);
  int64_t base = topo_domain_link_base(t, domain);
  int hops = 0, cur = a;
  for (int k = 0; k < t->nad; k++) {
    int d = t->ad_extent[k];
    int64_t stride = t->ad_stride[k];
    int delta = (int)((b / stride % d - cur / stride % d + d) % d);
    int s = delta <= d / 2 ? 0 : 1, steps = s == 0 ? delta : d - delta;
    for (int i = 0; i < steps; i++) {
      links[hops++] = (int32_t)(base + (int64_t)cur * 2 * t->nad + 2 * k + s);
      cur = neighbour(t, cur, k, s);
    }
  }
  return hops;
}

static int torus_diameter(const hw_topo *t, int m) {
  if (m != t->domain_chips) return t->part_diameter;
  int hops = 0;
  for (int k = 0; k < t->nad; k++) hops += t->ad_extent[k] / 2;
  return hops;
}

/* Partly filled domain: links from its first floor(m/2) chips to the rest. */
static double torus_bisection_part(const hw_topo *t, int m) {
  const hw_link *l = t->links + topo_domain_link_base(t, t->domains - 1);
  int64_t first = (t->domains - 1) * t->domain_chips, n = torus_links(t, m);
  double Bps = 0;
  for (int64_t i = 0; i < n; i++)
    if (l[i].from - first < m / 2 && l[i].to - first >= m / 2) Bps += l[i].Bps;
  return Bps;
}

static double torus_bisection(const hw_topo *t, int m) {
  if (m != t->domain_chips) return torus_bisection_part(t, m);
  double best = 0;
  for (int k = 0; k < t->nad; k++) {
    double cut = 2.0 * (t->domain_chips / t->ad_extent[k]) * t->ad_Bps[k];
    if (k == 0 || cut < best) best = cut;
  }
  return best;
}

static double torus_dim_link(const hw_topo *t, int dim) {
  for (int k = 0; k < t->nad; k++)
    if (t->ad_dim[k] == dim) return t->ad_Bps[k];
  return 0;
}
/* Both neighbours along dim together (the + and - links). */
static double torus_dim(const hw_topo *t, int dim) {
  return 2 * torus_dim_link(t, dim);
}

const topo_kind_ops topo_ring_ops = {
    .setup = ring_setup,
    .domain_links = torus_links,
    .domain_switches = torus_switches,
    .build_domain = torus_build,
    .route = torus_route,
    .diameter = torus_diameter,
    .bisection_Bps = torus_bisection,
    .dim_Bps = torus_dim,
    .dim_link_Bps = torus_dim_link,
};

const topo_kind_ops topo_torus_ops = {
    .setup = torus_setup,
    .domain_links = torus_links,
    .domain_switches = torus_switches,
    .build_domain = torus_build,
    .route = torus_route,
    .diameter = torus_diameter,
    .bisection_Bps = torus_bisection,
    .dim_Bps = torus_dim,
    .dim_link_Bps = torus_dim_link,
};
