/* Internals shared by sim/coll*.c and sim/flow.c (no other folder includes this; the unit tests
 * tests/test_coll.c and tests/test_flow.c do, to test the parts alone).
 *
 * The collective model in three layers:
 *   1. flow.c: max-min fair rates of concurrent flows over links given as plain arrays
 *      (progressive filling), testable without a topology.
 *   2. coll_eval.c: a *pattern* names which ranks of a group send to which in one step
 *      (ring shift, xor partner, tree edges, ...). Its *profile* is found once per call context:
 *      the pattern is replicated over every sibling group, routed over the topology, the flows
 *      are given max-min rates, and the step's duration for b bytes per flow is
 *      max over flows (latency_s + b * s_per_byte), kept as the Pareto front of the
 *      (latency, seconds-per-byte) pairs. Identical steps share one profile (cached per workspace).
 *   3. coll_<algo>.c: each algorithm is a typed plug-in table that adds its steps
 *      (pattern, bytes per flow, repeat count) to a sum. coll.c validates, resolves AUTO
 *      (coll_auto.c) and falls back where an algorithm does not apply. */
#ifndef SIM_COLL_INT_H
#define SIM_COLL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/sim.h"

/* ---- flow solver (flow.c) -------------------------------------------------------------------- */
/* Flows over links, all starting together; link indices 0..n_links-1. */
typedef struct flow_problem {
  int32_t n_links;
  const double *link_Bps; /* capacity of each link, > 0 */
  int64_t n_flows;
  const int64_t *flow_first; /* n_flows + 1 offsets into flow_links */
  const int32_t *flow_links; /* the links each flow crosses */
} flow_problem;

typedef struct flow_solver flow_solver; /* reusable scratch; grows, never shrinks */
ts_status flow_solver_new(flow_solver **out, ts_err *err);
void flow_solver_free(flow_solver *s);
/* Max-min fair rate of every flow (bytes/s) by progressive filling: all unfrozen flows rise
 * together until a link saturates; its flows freeze at that level; repeat. A flow that crosses
 * no link gets INFINITY. */
ts_status flow_maxmin(flow_solver *s, const flow_problem *p, double *rate_Bps, ts_err *err);

/* ---- grow-only arrays ------------------------------------------------------------------------ */
/* ptr_addr is the address of a pointer to elements of size elem (e.g. &ws->src); makes it hold at
 * least n elements (capacity in *cap, doubling); false when out of memory (the old block stays).
 * The pointer is read and written with memcpy, so any element type works without casts. */
bool coll_grow(void *ptr_addr, size_t *cap, size_t n, size_t elem);
#define COLL_GROW(owner, field, capf, n) \
  coll_grow(&(owner)->field, &(owner)->capf, (n), sizeof *(owner)->field)

/* ---- patterns and profiles (coll_eval.c) ----------------------------------------------------- */
typedef enum {
  COLL_PAT_SHIFT,      /* r -> (r + arg) mod n */
  COLL_PAT_BIDIR,      /* r -> r + 1 and r -> r - 1 (mod n) */
  COLL_PAT_XOR,        /* r -> r xor arg */
  COLL_PAT_HCUBE,      /* r -> r xor arg in hypercube labels: Gray code per torus factor */
  COLL_PAT_ALL_PAIRS,  /* r -> every other rank */
  COLL_PAT_TREE,       /* both trees of the double binary tree: child -> parent, parent -> child */
  COLL_PAT_TORUS_DIM,  /* r -> next rank along factor arg of the torus factorisation */
  COLL_PAT_HIER_INTRA, /* r -> next rank of the same scale-up domain */
  COLL_PAT_HIER_INTER, /* r -> same local index in the next domain of the group */
  COLL_PAT_SEND,       /* rank 0 -> rank 1 */
  COLL_PAT_CYCLE_BIDIR, /* r -> next and previous chip round the snake cycle, same core */
} coll_pat;

typedef struct coll_key {
  int32_t pat, arg;
} coll_key;

enum { COLL_MAX_FACTORS = 5, COLL_TREE_COUNT = 2 };

/* Structure of the groups, found once per call context (from group 0; every group must share it
 * for the hierarchical and torus patterns to apply). */
typedef struct coll_shape {
  int64_t n; /* ranks per group */
  int64_t n_groups;
  int64_t solve_groups;           /* groups whose flows are routed (coll_eval.c) */
  bool hier_ok;                   /* every group: m domains of c ranks each, same partition */
  int64_t c, m;                   /* ranks per domain (0 when uneven), domains of group 0 */
  int32_t *rank_dom, *rank_local; /* [n]: group's domain index 0..m-1, index inside it 0..c-1 */
  int32_t *hier_rank;             /* [m * c]: rank at (domain index, local index) */
  bool torus_ok;                  /* torus factorisation found */
  int n_factors;
  int64_t factor[COLL_MAX_FACTORS], stride[COLL_MAX_FACTORS];
  bool factor_is_dim[COLL_MAX_FACTORS]; /* a torus/ring dimension (not the chip, not domains) */
  int64_t chip_ranks;                   /* ranks of the group on each chip (torus_ok only) */
  int64_t tree_depth; /* of the double binary tree over n; -1 until coll_tree.c needs it */
} coll_shape;

typedef struct coll_profile {
  size_t first, count; /* into the workspace's front arrays */
} coll_profile;

typedef struct coll_cache_entry {
  coll_key key;
  coll_profile prof;
} coll_cache_entry;

/* One set of sibling groups on one topology that a workspace has timed: its shape and the
 * profiles of the step patterns seen so far. Found again by a hash of the chips, then compared
 * in full (pointers for topo/sys, plus the fields the profiles depend on, so a topology or system
 * freed and another allocated at the same address is caught). */
typedef struct coll_comm {
  const hw_topo *topo; /* NULL: slot unused */
  const hw_system *sys;
  hw_scaleup up; /* copied bytewise */
  double hbm_Bps;
  int64_t topo_chips;
  int32_t links;
  uint64_t hash, last_used;
  int64_t *chips;
  size_t chips_cap;
  coll_shape shape;
  size_t rank_dom_cap, rank_local_cap, hier_rank_cap;
  coll_cache_entry *cache;
  size_t n_cache, cache_cap;
  /* open-addressing index of cache by key: cache position + 1, 0 = empty; a power of two at least
   * twice n_cache (a pairwise all-to-all over n ranks keeps n - 1 shift patterns) */
  uint32_t *index;
  size_t index_cap;
  double *front_lat, *front_spb;
  size_t n_front, front_cap, front_spb_cap;
} coll_comm;

/* Communicators kept per workspace (the least recently used is replaced): enough for the TP, CP,
 * EP, DP and PP groups of every pipeline stage of a large plan. */
enum { COLL_MAX_COMMS = 64 };

struct coll_workspace {
  flow_solver *solver;
  coll_comm comms[COLL_MAX_COMMS];
  size_t n_comms;
  uint64_t clock;
  /* scratch of one step: pairs (group-local ranks), then routed flows */
  int32_t *src, *dst;
  size_t n_pairs, src_cap, dst_cap;
  int64_t *flow_first;
  size_t flow_first_cap;
  int32_t *flow_links;
  size_t flow_links_cap;
  double *flow_lat, *flow_rate;
  size_t lat_cap, rate_cap;
  /* global link id -> compact index, valid where stamp == epoch (stamp_n entries cleared) */
  int32_t *link_slot;
  uint32_t *link_stamp;
  size_t slot_cap, stamp_cap, stamp_n;
  uint32_t epoch;
  double *cap_Bps;
  size_t cap_cap;
  /* scratch for shape analysis, indexed by domain */
  int64_t *dom_seen;
  size_t dom_seen_cap;
};

/* One call: what the algorithms see. */
typedef struct coll_ctx {
  coll_workspace *ws;
  const hw_topo *topo;
  const hw_system *sys;
  const coll_groups *groups;
  coll_comm *comm; /* set by coll_ctx_bind */
} coll_ctx;

/* The running total of an algorithm. */
typedef struct coll_sum {
  double seconds;
  double steps;
} coll_sum;

/* Finds (or makes) the workspace's communicator for (topo, sys, groups) and sets ctx->comm. */
ts_status coll_ctx_bind(coll_ctx *ctx, ts_err *err);
/* The profile of one step of pattern key (cached). */
ts_status coll_profile_get(coll_ctx *ctx, coll_key key, coll_profile *out, ts_err *err);
/* Duration of a step of `bytes` per flow with the given profile. */
double coll_profile_seconds(const coll_comm *comm, coll_profile prof, double bytes);
/* Frees what a communicator slot holds. */
void coll_comm_fini(coll_comm *comm);
/* Adds `repeat` identical steps of pattern key with `bytes` per flow to sum. */
ts_status coll_add_steps(coll_ctx *ctx, coll_key key, double bytes, double repeat, coll_sum *sum,
                         ts_err *err);
/* Parent of rank r in tree t (0, 1) of NCCL's double binary tree over n ranks; -1 at the root. */
int64_t coll_tree_parent(int64_t n, int t, int64_t r);

/* ---- algorithms (coll_<algo>.c) -------------------------------------------------------------- */
typedef bool coll_applies_fn(const coll_ctx *ctx, trace_op_kind kind);
typedef ts_status coll_run_fn(coll_ctx *ctx, trace_op_kind kind, double bytes, coll_sum *sum,
                              ts_err *err);

typedef struct coll_algo_impl {
  coll_algo algo;
  coll_algo fallback; /* used where applies() says no */
  coll_applies_fn *applies;
  coll_run_fn *run;
} coll_algo_impl;

extern const coll_algo_impl coll_ring_impl, coll_ring_bidir_impl, coll_tree_impl, coll_rhd_impl,
    coll_hier_impl, coll_torus_impl, coll_mesh_impl, coll_direct_impl, coll_kangaring_impl;

/* Every rank sends `bytes` to every other rank: all pairs in one step, or, when that would route
 * more than COLL_MAX_PAIR_FLOWS flows, the pairwise exchange (n - 1 steps, step k: r -> r + k).
 * `repeat` times. Defined in coll_direct.c, shared with coll_mesh.c. */
enum { COLL_MAX_PAIR_FLOWS = 1 << 20 };
ts_status coll_all_pairs(coll_ctx *ctx, double bytes, double repeat, coll_sum *sum, ts_err *err);
/* Steps of a reduce-scatter or all-gather (1) or all-reduce (2): the phases an algorithm runs. */
static inline double coll_phases(trace_op_kind kind) {
  return kind == TRACE_OP_ALL_REDUCE ? 2 : 1;
}
static inline bool coll_is_reduction_family(trace_op_kind kind) {
  return kind == TRACE_OP_ALL_REDUCE || kind == TRACE_OP_ALL_GATHER ||
         kind == TRACE_OP_REDUCE_SCATTER;
}

/* ---- AUTO (coll_auto.c) ---------------------------------------------------------------------- */
enum { COLL_AUTO_MAX_CANDIDATES = 2 };
/* What the system's stack would pick; the caller times every candidate and keeps the fastest
 * (NCCL's tuner picks the algorithm with the least modelled time). Returns the count. */
int coll_auto_candidates(const coll_ctx *ctx, trace_op_kind kind, double bytes,
                         coll_algo out[COLL_AUTO_MAX_CANDIDATES]);

#endif
