/* coll_eval: from a step pattern to its duration, over the concrete links of the topology.
 *
 * A pattern (coll_int.h) lists, for one group, which rank sends to which in one step. Its profile
 * replicates the pairs over every sibling group (they run at the same time and share links),
 * routes each pair with hw_topo_route, gives every flow its max-min fair rate (flow.c), and keeps
 * the Pareto front of (latency_s, s_per_byte) with latency_s the sum of the route's link latencies
 * and s_per_byte = 1 / rate. A step of b bytes per flow lasts max over the front of
 * (latency_s + b * s_per_byte): the slowest flow. Rates do not depend on b when every flow of a
 * step carries the same bytes (true of every pattern here), so one profile serves every size.
 *
 * Ranks on the same chip (ranks_per_chip > 1) exchange through the chip's HBM: no link, no
 * latency, b / hbm_Bps (not shared; free when the chip gives no HBM bandwidth).
 *
 * Sibling groups are all routed together (exact, and what lets DP groups that cross the same
 * scale-out links slow each other down) unless that is provably redundant: when the groups come
 * in blocks, one block per full scale-up domain, each block the translate of the first by whole
 * domains (TP groups: one or several per node), the blocks use disjoint, identical link sets, so
 * the first block alone gives the exact answer.
 *
 * A workspace keeps up to COLL_MAX_COMMS communicators (coll_comm: the groups, their shape and
 * their profiles), found by a hash of the chips and compared in full, so an engine that
 * alternates between TP, DP and PP groups finds each one's profiles again. */
#include "sim/coll_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static ts_status no_memory(ts_err *err) {
  return ts_fail(err, TS_ENOMEM, "collective: out of memory");
}

/* True when every chip of group gi lies in domain dom. */
static bool group_in_domain(const hw_topo *topo, const coll_groups *g, int64_t gi, int64_t dom) {
  for (int64_t r = 0; r < g->group_size; r++)
    if (hw_topo_domain_of(topo, g->chips[gi * g->group_size + r]) != dom) return false;
  return true;
}

/* How many groups must be routed for an exact answer. When the first k groups lie in one full
 * domain and the groups after them come in blocks of k, each block in a later domain of its own
 * and the translate of the first block by whole domains, the blocks use disjoint, identical link
 * sets: the first k groups suffice. Otherwise all of them. */
static int64_t groups_to_solve(const hw_topo *topo, const coll_groups *g) {
  const int64_t *c = g->chips;
  int64_t per = hw_topo_domain_size(topo, 0), dom0 = hw_topo_domain_of(topo, c[0]);
  int64_t k = 0;
  while (k < g->n_groups && group_in_domain(topo, g, k, dom0)) k++;
  if (k == 0 || g->n_groups % k != 0) return g->n_groups;
  int64_t block = k * g->group_size, prev_dom = dom0;
  for (int64_t b = 1; b < g->n_groups / k; b++) {
    const int64_t *cb = c + b * block;
    int64_t dom = hw_topo_domain_of(topo, cb[0]), shift = (dom - dom0) * per;
    if (dom <= prev_dom || hw_topo_domain_size(topo, dom) != per ||
        hw_topo_domain_size(topo, dom0) != per)
      return g->n_groups;
    prev_dom = dom;
    for (int64_t i = 0; i < block; i++)
      if (cb[i] - c[i] != shift || hw_topo_domain_of(topo, cb[i]) != dom) return g->n_groups;
  }
  return k;
}

/* Domain index and local index of every rank of group gi; false when the group's domains do not
 * all hold the same number of its ranks. Group 0 fills the shape; later groups must match it.
 * seen is scratch indexed by domain id. */
static bool hier_analyse(coll_shape *sh, int64_t *seen, const hw_topo *topo, const coll_groups *g,
                         int64_t gi) {
  int64_t n = g->group_size;
  const int64_t *cg = g->chips + gi * n;
  for (int64_t r = 0; r < n; r++) seen[hw_topo_domain_of(topo, cg[r])] = -1;
  int64_t m = 0;
  for (int64_t r = 0; r < n; r++) {
    int64_t d = hw_topo_domain_of(topo, cg[r]);
    if (seen[d] < 0) seen[d] = m++;
    if (gi > 0 && seen[d] != sh->rank_dom[r]) return false;
    if (gi == 0) sh->rank_dom[r] = (int32_t)seen[d];
  }
  if (gi > 0) return true;
  sh->m = m;
  sh->c = 0;
  if (n % m != 0) return false;
  sh->c = n / m;
  int64_t *fill = seen; /* reused: ranks seen per domain index */
  for (int64_t d = 0; d < m; d++) fill[d] = 0;
  for (int64_t r = 0; r < n; r++) {
    int64_t d = sh->rank_dom[r];
    if (fill[d] >= sh->c) return false;
    sh->rank_local[r] = (int32_t)fill[d];
    sh->hier_rank[d * sh->c + fill[d]] = (int32_t)r;
    fill[d]++;
  }
  return true;
}

/* Factors of the group for per-dimension rings, fastest first: ranks of one chip, the torus/ring
 * dimensions (x fastest, as hw/topo numbers chips), then the domains. */
static void torus_analyse(coll_shape *sh, const hw_system *sys, const coll_groups *g) {
  sh->torus_ok = false;
  sh->n_factors = 0;
  if ((sys->up.kind != HW_TOPO_TORUS && sys->up.kind != HW_TOPO_RING) || !sh->hier_ok) return;
  int64_t rest = sh->c, rpc = 1;
  while (rpc < g->group_size && g->chips[rpc] == g->chips[0]) rpc++;
  int nf = 0;
  for (int k = 0; k < COLL_MAX_FACTORS; k++) sh->factor_is_dim[k] = false;
  sh->chip_ranks = rpc;
  if (rpc > 1) {
    if (rest % rpc != 0) return;
    sh->factor[nf++] = rpc;
    rest /= rpc;
  }
  int ndims = sys->up.ndims < 1 ? 1 : sys->up.ndims > 3 ? 3 : sys->up.ndims;
  for (int d = 0; d < ndims && rest > 1; d++) {
    int64_t e = sys->up.ndims < 1 ? sys->up.domain_chips : sys->up.dims[d], f = 1;
    for (int64_t k = 2; k <= e; k++)
      if (e % k == 0 && rest % k == 0) f = k; /* the largest common divisor */
    if (f > 1) {
      sh->factor_is_dim[nf] = true;
      sh->factor[nf++] = f;
      rest /= f;
    }
  }
  if (rest != 1) return;
  if (sh->m > 1) sh->factor[nf++] = sh->m;
  int64_t stride = 1;
  for (int k = 0; k < nf; k++) {
    sh->stride[k] = stride;
    stride *= sh->factor[k];
  }
  sh->n_factors = nf;
  sh->torus_ok = stride == g->group_size;
}

static ts_status shape_analyse(coll_workspace *ws, coll_comm *c, const coll_ctx *ctx, ts_err *err) {
  const coll_groups *g = ctx->groups;
  coll_shape *sh = &c->shape;
  size_t n = (size_t)g->group_size, ndom = (size_t)hw_topo_domain_count(ctx->topo);
  if (!COLL_GROW(c, shape.rank_dom, rank_dom_cap, n) ||
      !COLL_GROW(c, shape.rank_local, rank_local_cap, n) ||
      !COLL_GROW(c, shape.hier_rank, hier_rank_cap, n) ||
      !COLL_GROW(ws, dom_seen, dom_seen_cap, ndom > n ? ndom : n))
    return no_memory(err);
  sh->n = g->group_size;
  sh->n_groups = g->n_groups;
  sh->tree_depth = -1;
  sh->hier_ok = hier_analyse(sh, ws->dom_seen, ctx->topo, g, 0);
  for (int64_t gi = 1; sh->hier_ok && gi < g->n_groups; gi++)
    sh->hier_ok = hier_analyse(sh, ws->dom_seen, ctx->topo, g, gi);
  torus_analyse(sh, ctx->sys, g);
  sh->solve_groups = groups_to_solve(ctx->topo, g);
  return TS_OK;
}

/* FNV-1a over the chips and the group counts. */
static uint64_t groups_hash(const coll_groups *g) {
  uint64_t h = 1469598103934665603ull;
  int64_t total = g->n_groups * g->group_size;
  h = (h ^ (uint64_t)g->group_size) * 1099511628211ull;
  for (int64_t i = 0; i < total; i++) h = (h ^ (uint64_t)g->chips[i]) * 1099511628211ull;
  return h;
}

static bool comm_same(const coll_comm *c, const coll_ctx *ctx, uint64_t hash) {
  const coll_groups *g = ctx->groups;
  return c->topo == ctx->topo && c->hash == hash && c->sys == ctx->sys &&
         c->shape.n == g->group_size && c->shape.n_groups == g->n_groups &&
         c->topo_chips == hw_topo_chips(ctx->topo) && c->links == hw_topo_link_count(ctx->topo) &&
         c->hbm_Bps == ctx->sys->chip.hbm_Bps && memcmp(&c->up, &ctx->sys->up, sizeof c->up) == 0 &&
         memcmp(c->chips, g->chips, (size_t)(g->n_groups * g->group_size) * sizeof *g->chips) == 0;
}

/* A free slot, or the least recently used one (emptied). */
static coll_comm *comm_slot(coll_workspace *ws) {
  if (ws->n_comms < COLL_MAX_COMMS) return &ws->comms[ws->n_comms++];
  coll_comm *lru = &ws->comms[0];
  for (size_t i = 1; i < ws->n_comms; i++)
    if (ws->comms[i].last_used < lru->last_used) lru = &ws->comms[i];
  return lru;
}

static ts_status comm_fill(coll_workspace *ws, coll_comm *c, const coll_ctx *ctx, uint64_t hash,
                           ts_err *err) {
  const coll_groups *g = ctx->groups;
  size_t total = (size_t)(g->n_groups * g->group_size);
  c->topo = NULL; /* unusable until filled */
  c->n_cache = 0;
  if (c->index) memset(c->index, 0, c->index_cap * sizeof *c->index);
  c->n_front = 0;
  if (!COLL_GROW(c, chips, chips_cap, total)) return no_memory(err);
  memcpy(c->chips, g->chips, total * sizeof *g->chips);
  ts_status st = shape_analyse(ws, c, ctx, err);
  if (st != TS_OK) return st;
  c->sys = ctx->sys;
  memcpy(&c->up, &ctx->sys->up, sizeof c->up); /* bytewise, for comm_same's memcmp */
  c->hbm_Bps = ctx->sys->chip.hbm_Bps;
  c->topo_chips = hw_topo_chips(ctx->topo);
  c->links = hw_topo_link_count(ctx->topo);
  c->hash = hash;
  c->topo = ctx->topo;
  return TS_OK;
}

ts_status coll_ctx_bind(coll_ctx *ctx, ts_err *err) {
  coll_workspace *ws = ctx->ws;
  uint64_t hash = groups_hash(ctx->groups);
  coll_comm *c = NULL;
  for (size_t i = 0; i < ws->n_comms && !c; i++)
    if (comm_same(&ws->comms[i], ctx, hash)) c = &ws->comms[i];
  if (!c) {
    c = comm_slot(ws);
    ts_status st = comm_fill(ws, c, ctx, hash, err);
    if (st != TS_OK) return st;
  }
  c->last_used = ++ws->clock;
  ctx->comm = c;
  return TS_OK;
}

void coll_comm_fini(coll_comm *c) {
  free(c->chips);
  free(c->shape.rank_dom);
  free(c->shape.rank_local);
  free(c->shape.hier_rank);
  free(c->cache);
  free(c->index);
  free(c->front_lat);
  free(c->front_spb);
}

/* ---- patterns ---------------------------------------------------------------------------- */
static bool pair_add(coll_workspace *ws, int64_t src, int64_t dst) {
  if (!COLL_GROW(ws, src, src_cap, ws->n_pairs + 1) ||
      !COLL_GROW(ws, dst, dst_cap, ws->n_pairs + 1))
    return false;
  ws->src[ws->n_pairs] = (int32_t)src;
  ws->dst[ws->n_pairs] = (int32_t)dst;
  ws->n_pairs++;
  return true;
}

/* Next rank along factor k of the torus factorisation. */
static int64_t torus_next(const coll_shape *sh, int k, int64_t r) {
  int64_t coord = r / sh->stride[k] % sh->factor[k];
  return r + ((coord + 1) % sh->factor[k] - coord) * sh->stride[k];
}

/* Hypercube partner of rank r across bit `bit` (a power of two) of the hypercube labels. A ring
 * of 2^k positions is labelled by the reflected Gray code of its position, so labels that differ
 * in one bit sit next to each other: a ring of 4 is exactly a 2-cube and a 4x4 torus a 4-cube,
 * as Neuron numbers it (HARDWARE.md S7). Factors that are not torus dimensions (the ranks of one
 * chip, the domains) keep plain binary labels. Needs every factor to be a power of two (true
 * when the group size is). */
static int64_t gray(int64_t p) {
  return p ^ (p >> 1);
}
static int64_t gray_inverse(int64_t g) {
  int64_t p = 0;
  for (; g; g >>= 1) p ^= g;
  return p;
}
static int64_t hcube_partner(const coll_shape *sh, int64_t r, int64_t bit) {
  int64_t label = 0, partner = 0;
  for (int k = 0; k < sh->n_factors; k++) {
    int64_t c = r / sh->stride[k] % sh->factor[k];
    label += (sh->factor_is_dim[k] ? gray(c) : c) * sh->stride[k];
  }
  label ^= bit;
  for (int k = 0; k < sh->n_factors; k++) {
    int64_t g = label / sh->stride[k] % sh->factor[k];
    partner += (sh->factor_is_dim[k] ? gray_inverse(g) : g) * sh->stride[k];
  }
  return partner;
}

/* The chips of a torus-shaped group in boustrophedon order (the reflected mixed-radix Gray code
 * over the dimension factors: x runs forward on even rows and back on odd ones, and so on up),
 * so consecutive chips are torus neighbours and the order closes into a Hamiltonian cycle
 * (HARDWARE.md S7: Neuron's KangaRing runs round Hamiltonian cycles of the torus). Returns the
 * rank `step` (+1 or -1) places along that cycle from r, same rank on its chip. Factors that are
 * not torus dimensions (the chip's ranks; domains) keep r's digit. */
static int64_t cycle_step(const coll_shape *sh, int64_t r, int step) {
  int64_t pos = 0, len = 1, line = 0;
  for (int k = sh->n_factors - 1; k >= 0; k--) { /* coordinates -> position, slowest first */
    if (!sh->factor_is_dim[k]) continue;
    int64_t f = sh->factor[k], c = r / sh->stride[k] % f;
    line = line * f + (line % 2 ? f - 1 - c : c);
    len *= f;
  }
  pos = ((line + step) % len + len) % len;
  int64_t out = r;
  for (int k = 0; k < sh->n_factors; k++) { /* position -> coordinates, fastest first */
    if (!sh->factor_is_dim[k]) continue;
    int64_t f = sh->factor[k], q = pos % f;
    pos /= f;
    int64_t c = pos % 2 ? f - 1 - q : q;
    out += (c - r / sh->stride[k] % f) * sh->stride[k];
  }
  return out;
}

static int64_t pattern_dst(const coll_shape *sh, coll_key key, int64_t r) {
  int64_t n = sh->n;
  switch ((coll_pat)key.pat) {
    case COLL_PAT_SHIFT:
      return (r + key.arg) % n;
    case COLL_PAT_XOR:
      return r ^ key.arg;
    case COLL_PAT_HCUBE:
      return hcube_partner(sh, r, key.arg);
    case COLL_PAT_TORUS_DIM:
      return torus_next(sh, key.arg, r);
    case COLL_PAT_HIER_INTRA:
      return sh->hier_rank[sh->rank_dom[r] * sh->c + (sh->rank_local[r] + 1) % sh->c];
    case COLL_PAT_HIER_INTER:
      return sh->hier_rank[(sh->rank_dom[r] + 1) % sh->m * sh->c + sh->rank_local[r]];
    default:
      return r;
  }
}

static bool pattern_tree(coll_workspace *ws, int64_t n) {
  for (int t = 0; t < COLL_TREE_COUNT; t++)
    for (int64_t r = 0; r < n; r++) {
      int64_t p = coll_tree_parent(n, t, r);
      if (p >= 0 && (!pair_add(ws, r, p) || !pair_add(ws, p, r))) return false;
    }
  return true;
}

/* Fills ws->src/dst with the pairs of one group of shape sh for pattern key. */
static bool pattern_pairs(coll_workspace *ws, const coll_shape *sh, coll_key key) {
  int64_t n = sh->n;
  ws->n_pairs = 0;
  switch ((coll_pat)key.pat) {
    case COLL_PAT_SEND:
      return pair_add(ws, 0, 1);
    case COLL_PAT_TREE:
      return pattern_tree(ws, n);
    case COLL_PAT_BIDIR:
      for (int64_t r = 0; r < n; r++)
        if (!pair_add(ws, r, (r + 1) % n) || !pair_add(ws, r, (r + n - 1) % n)) return false;
      return true;
    case COLL_PAT_CYCLE_BIDIR:
      for (int64_t r = 0; r < n; r++) {
        int64_t next = cycle_step(sh, r, 1), prev = cycle_step(sh, r, -1);
        if ((next != r && !pair_add(ws, r, next)) || (prev != r && !pair_add(ws, r, prev)))
          return false;
      }
      return true;
    case COLL_PAT_ALL_PAIRS:
      for (int64_t r = 0; r < n; r++)
        for (int64_t q = 0; q < n; q++)
          if (q != r && !pair_add(ws, r, q)) return false;
      return true;
    default:
      for (int64_t r = 0; r < n; r++) {
        int64_t d = pattern_dst(sh, key, r);
        if (d != r && !pair_add(ws, r, d)) return false;
      }
      return true;
  }
}

/* ---- flows and profiles ------------------------------------------------------------------ */
/* Achievable fraction of a link's line rate: the system's scale-up or scale-out bw_efficiency
 * (NCCL bus bandwidth against line rate; 0 = not given = 1). */
static double tier_efficiency(double up, double out, uint8_t tier) {
  double e = tier == HW_TIER_SCALEUP ? up : out;
  return e > 0.0 ? e : 1.0;
}

/* Compact index of global link id (new links get the next index and their capacity). */
static int32_t link_compact(coll_workspace *ws, const hw_topo *topo, const hw_system *sys,
                            int32_t id, int32_t *n_links, bool *ok) {
  if (ws->link_stamp[id] == ws->epoch) return ws->link_slot[id];
  if (!COLL_GROW(ws, cap_Bps, cap_cap, (size_t)*n_links + 1)) {
    *ok = false;
    return 0;
  }
  ws->link_stamp[id] = ws->epoch;
  ws->link_slot[id] = *n_links;
  const hw_link *link = hw_topo_link(topo, id);
  ws->cap_Bps[*n_links] =
      link->Bps * tier_efficiency(sys->up.bw_efficiency, sys->out.bw_efficiency, link->tier);
  return (*n_links)++;
}

/* A fresh epoch of the link map covering n_links links; false when out of memory. */
static bool epoch_next(coll_workspace *ws, size_t n_links) {
  if (n_links > ws->stamp_n) { /* a bigger topology: grow and clear */
    if (!COLL_GROW(ws, link_slot, slot_cap, n_links) ||
        !COLL_GROW(ws, link_stamp, stamp_cap, n_links))
      return false;
    memset(ws->link_stamp, 0, n_links * sizeof *ws->link_stamp);
    ws->stamp_n = n_links;
    ws->epoch = 0;
  }
  if (++ws->epoch == 0) { /* wrapped: clear the stamps */
    memset(ws->link_stamp, 0, ws->stamp_n * sizeof *ws->link_stamp);
    ws->epoch = 1;
  }
  return true;
}

/* Routes one flow; appends its links; returns false on a routing or memory failure. */
static ts_status flow_add(coll_ctx *ctx, int64_t f, int64_t src, int64_t dst, int32_t *n_links,
                          ts_err *err) {
  coll_workspace *ws = ctx->ws;
  int32_t route[HW_ROUTE_MAX];
  int hops = src == dst ? 0 : hw_topo_route(ctx->topo, src, dst, route);
  if (hops < 0 || hops > HW_ROUTE_MAX)
    return ts_fail(err, TS_ERUN, "collective: no route from chip %lld to chip %lld", (long long)src,
                   (long long)dst);
  size_t at = (size_t)ws->flow_first[f];
  if (!COLL_GROW(ws, flow_links, flow_links_cap, at + (size_t)hops)) return no_memory(err);
  double lat = 0;
  bool ok = true;
  for (int h = 0; h < hops; h++) {
    ws->flow_links[at + (size_t)h] = link_compact(ws, ctx->topo, ctx->sys, route[h], n_links, &ok);
    lat += hw_topo_link(ctx->topo, route[h])->latency_s;
  }
  if (!ok) return no_memory(err);
  ws->flow_first[f + 1] = (int64_t)at + hops;
  ws->flow_lat[f] = lat;
  return TS_OK;
}

/* Routes the pairs of every solved group into the flow arrays. */
static ts_status flows_build(coll_ctx *ctx, int64_t *n_flows, int32_t *n_links, ts_err *err) {
  coll_workspace *ws = ctx->ws;
  const coll_groups *g = ctx->groups;
  int64_t solve = ctx->comm->shape.solve_groups;
  size_t nf = (size_t)solve * ws->n_pairs;
  if (!COLL_GROW(ws, flow_first, flow_first_cap, nf + 1) || !COLL_GROW(ws, flow_lat, lat_cap, nf) ||
      !COLL_GROW(ws, flow_rate, rate_cap, nf) ||
      !epoch_next(ws, (size_t)hw_topo_link_count(ctx->topo)))
    return no_memory(err);
  ws->flow_first[0] = 0;
  *n_links = 0;
  int64_t f = 0;
  for (int64_t gi = 0; gi < solve; gi++) {
    const int64_t *cg = g->chips + gi * g->group_size;
    for (size_t p = 0; p < ws->n_pairs; p++, f++) {
      ts_status st = flow_add(ctx, f, cg[ws->src[p]], cg[ws->dst[p]], n_links, err);
      if (st != TS_OK) return st;
    }
  }
  *n_flows = f;
  return TS_OK;
}

/* Adds (lat, spb) to the Pareto front that starts at `first`, unless an entry dominates it. */
static bool front_add(coll_comm *c, size_t first, double lat, double spb) {
  for (size_t i = first; i < c->n_front; i++)
    if (c->front_lat[i] >= lat && c->front_spb[i] >= spb) return true;
  size_t kept = first;
  for (size_t i = first; i < c->n_front; i++)
    if (!(c->front_lat[i] <= lat && c->front_spb[i] <= spb)) {
      c->front_lat[kept] = c->front_lat[i];
      c->front_spb[kept++] = c->front_spb[i];
    }
  c->n_front = kept;
  if (!COLL_GROW(c, front_lat, front_cap, kept + 1) ||
      !COLL_GROW(c, front_spb, front_spb_cap, kept + 1))
    return false;
  c->front_lat[kept] = lat;
  c->front_spb[kept] = spb;
  c->n_front++;
  return true;
}

static ts_status profile_build(coll_ctx *ctx, coll_profile *out, ts_err *err) {
  coll_workspace *ws = ctx->ws;
  int64_t n_flows = 0;
  int32_t n_links = 0;
  ts_status st = flows_build(ctx, &n_flows, &n_links, err);
  if (st != TS_OK) return st;
  flow_problem p = {.n_links = n_links,
                    .link_Bps = ws->cap_Bps,
                    .n_flows = n_flows,
                    .flow_first = ws->flow_first,
                    .flow_links = ws->flow_links};
  st = flow_maxmin(ws->solver, &p, ws->flow_rate, err);
  if (st != TS_OK) return st;
  double hbm = ctx->sys->chip.hbm_Bps;
  double local_spb = isfinite(hbm) && hbm > 0 ? 1 / hbm : 0;
  coll_comm *c = ctx->comm;
  out->first = c->n_front;
  for (int64_t f = 0; f < n_flows; f++) {
    double spb = isinf(ws->flow_rate[f]) ? local_spb : 1 / ws->flow_rate[f];
    if (!front_add(c, out->first, ws->flow_lat[f], spb)) return no_memory(err);
  }
  out->count = c->n_front - out->first;
  return TS_OK;
}

static size_t key_slot(coll_key key, size_t cap) {
  uint64_t h = ((uint64_t)(uint32_t)key.pat << 32 | (uint32_t)key.arg) * 0x9E3779B97F4A7C15ull;
  return (size_t)(h >> 32) & (cap - 1);
}

/* Cache position of key, or n_cache when absent. */
static size_t cache_find(const coll_comm *c, coll_key key) {
  if (!c->index_cap) return c->n_cache;
  for (size_t s = key_slot(key, c->index_cap);; s = (s + 1) & (c->index_cap - 1)) {
    uint32_t i = c->index[s];
    if (!i) return c->n_cache;
    if (c->cache[i - 1].key.pat == key.pat && c->cache[i - 1].key.arg == key.arg) return i - 1;
  }
}

static void index_put(coll_comm *c, size_t pos) {
  size_t s = key_slot(c->cache[pos].key, c->index_cap);
  while (c->index[s]) s = (s + 1) & (c->index_cap - 1);
  c->index[s] = (uint32_t)(pos + 1);
}

/* Appends (key, prof) to the cache and its index (rebuilt at twice the size when half full). */
static bool cache_add(coll_comm *c, coll_key key, coll_profile prof) {
  if (!COLL_GROW(c, cache, cache_cap, c->n_cache + 1)) return false;
  c->cache[c->n_cache++] = (coll_cache_entry){.key = key, .prof = prof};
  if (2 * c->n_cache > c->index_cap) {
    size_t cap = c->index_cap ? 2 * c->index_cap : 16;
    uint32_t *idx = calloc(cap, sizeof *idx);
    if (!idx) {
      c->n_cache--;
      return false;
    }
    free(c->index);
    c->index = idx, c->index_cap = cap;
    for (size_t i = 0; i < c->n_cache; i++) index_put(c, i);
  } else {
    index_put(c, c->n_cache - 1);
  }
  return true;
}

ts_status coll_profile_get(coll_ctx *ctx, coll_key key, coll_profile *out, ts_err *err) {
  coll_comm *c = ctx->comm;
  size_t i = cache_find(c, key);
  if (i < c->n_cache) {
    *out = c->cache[i].prof;
    return TS_OK;
  }
  if (!pattern_pairs(ctx->ws, &c->shape, key)) return no_memory(err);
  ts_status st = profile_build(ctx, out, err);
  if (st != TS_OK) return st;
  return cache_add(c, key, *out) ? TS_OK : no_memory(err);
}

double coll_profile_seconds(const coll_comm *c, coll_profile prof, double bytes) {
  double t = 0;
  for (size_t i = prof.first; i < prof.first + prof.count; i++) {
    double s = c->front_lat[i] + bytes * c->front_spb[i];
    if (s > t) t = s;
  }
  return t;
}

ts_status coll_add_steps(coll_ctx *ctx, coll_key key, double bytes, double repeat, coll_sum *sum,
                         ts_err *err) {
  if (repeat <= 0) return TS_OK;
  coll_profile prof;
  ts_status st = coll_profile_get(ctx, key, &prof, err);
  if (st != TS_OK) return st;
  sum->seconds += repeat * coll_profile_seconds(ctx->comm, prof, bytes);
  sum->steps += repeat;
  return TS_OK;
}
