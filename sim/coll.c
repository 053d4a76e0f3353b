/* coll: the public entry points of the collective model (sim.h): algorithm names, checking the
 * request, resolving AUTO, falling back where an algorithm does not apply, and the reusable
 * workspace. The model itself: coll_int.h (overview), coll_eval.c (steps over links), flow.c
 * (max-min sharing), coll_<algo>.c (one plug-in table per algorithm), coll_auto.c (AUTO).
 *
 * Bytes follow NCCL's per-rank convention: all-reduce buffer; all-gather output; reduce-scatter
 * input; all-to-all what each rank sends in total; send/recv one message from chips[2g] to
 * chips[2g + 1] (group_size 2), timed as one step: route latency + S / rate. */
#include "sim/sim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/coll_int.h"

static const char *const coll_algo_names[COLL_ALGO_COUNT] = {
    [COLL_ALGO_AUTO] = "auto",
    [COLL_ALGO_RING] = "ring",
    [COLL_ALGO_RING_BIDIR] = "ring_bidir",
    [COLL_ALGO_TREE] = "tree",
    [COLL_ALGO_RHD] = "rhd",
    [COLL_ALGO_HIER] = "hier",
    [COLL_ALGO_TORUS] = "torus",
    [COLL_ALGO_MESH] = "mesh",
    [COLL_ALGO_DIRECT] = "direct",
    [COLL_ALGO_KANGARING] = "kangaring",
};

static const coll_algo_impl *const coll_impls[COLL_ALGO_COUNT] = {
    [COLL_ALGO_RING] = &coll_ring_impl,           [COLL_ALGO_RING_BIDIR] = &coll_ring_bidir_impl,
    [COLL_ALGO_TREE] = &coll_tree_impl,           [COLL_ALGO_RHD] = &coll_rhd_impl,
    [COLL_ALGO_HIER] = &coll_hier_impl,           [COLL_ALGO_TORUS] = &coll_torus_impl,
    [COLL_ALGO_MESH] = &coll_mesh_impl,           [COLL_ALGO_DIRECT] = &coll_direct_impl,
    [COLL_ALGO_KANGARING] = &coll_kangaring_impl,
};

const char *coll_algo_name(coll_algo a) {
  return (unsigned)a < COLL_ALGO_COUNT ? coll_algo_names[a] : "?";
}

bool coll_algo_parse(const char *text, coll_algo *out) {
  for (int a = 0; text && a < COLL_ALGO_COUNT; a++)
    if (strcmp(text, coll_algo_names[a]) == 0) {
      *out = (coll_algo)a;
      return true;
    }
  return false;
}

ts_status coll_workspace_new(coll_workspace **out, ts_err *err) {
  *out = calloc(1, sizeof **out);
  if (!*out) return ts_fail(err, TS_ENOMEM, "collective workspace: out of memory");
  ts_status st = flow_solver_new(&(*out)->solver, err);
  if (st != TS_OK) {
    free(*out);
    *out = NULL;
  }
  return st;
}

void coll_workspace_free(coll_workspace *ws) {
  if (!ws) return;
  flow_solver_free(ws->solver);
  for (size_t i = 0; i < ws->n_comms; i++) coll_comm_fini(&ws->comms[i]);
  free(ws->src);
  free(ws->dst);
  free(ws->flow_first);
  free(ws->flow_links);
  free(ws->flow_lat);
  free(ws->flow_rate);
  free(ws->link_slot);
  free(ws->link_stamp);
  free(ws->cap_Bps);
  free(ws->dom_seen);
  free(ws);
}

static ts_status coll_check_groups(const hw_topo *topo, const coll_groups *g, ts_err *err) {
  if (g->n_groups < 1 || g->group_size < 1 || g->group_size > INT32_MAX ||
      g->n_groups > INT64_MAX / g->group_size)
    return ts_fail(err, TS_EINPUT,
                   "collective: %lld groups of %lld ranks, expected at least 1 "
                   "group of 1..%d ranks",
                   (long long)g->n_groups, (long long)g->group_size, INT32_MAX);
  if (!g->chips) return ts_fail(err, TS_EINPUT, "collective: groups.chips is NULL");
  int64_t chips = hw_topo_chips(topo);
  for (int64_t i = 0; i < g->n_groups * g->group_size; i++)
    if (g->chips[i] < 0 || g->chips[i] >= chips)
      return ts_fail(err, TS_EINPUT, "collective: groups.chips[%lld] is %lld, expected 0..%lld",
                     (long long)i, (long long)g->chips[i], (long long)chips - 1);
  return TS_OK;
}

static ts_status coll_check(const hw_topo *topo, const hw_system *sys, trace_op_kind kind,
                            double bytes, const coll_groups *g, coll_algo algo, ts_err *err) {
  if (!topo || !sys || !g)
    return ts_fail(err, TS_EINPUT, "collective: topology, system and groups are required");
  if ((unsigned)kind >= TRACE_OP_KIND_COUNT || !trace_op_is_comm(kind))
    return ts_fail(err, TS_EINPUT, "collective: op kind %d is not a collective or send/recv",
                   (int)kind);
  if ((unsigned)algo >= COLL_ALGO_COUNT)
    return ts_fail(err, TS_EINPUT, "collective: algorithm %d, expected 0..%d", (int)algo,
                   COLL_ALGO_COUNT - 1);
  if (!isfinite(bytes) || bytes < 0)
    return ts_fail(err, TS_EINPUT, "collective: bytes is %g, expected a finite number >= 0", bytes);
  if ((kind == TRACE_OP_SEND || kind == TRACE_OP_RECV) && g->group_size != 2)
    return ts_fail(err, TS_EINPUT, "collective: %s pairs have group_size %lld, expected 2",
                   trace_op_kind_name(kind), (long long)g->group_size);
  return coll_check_groups(topo, g, err);
}

/* Runs algo, or what it falls back to where it does not apply. */
static ts_status coll_run_algo(coll_ctx *ctx, trace_op_kind kind, double bytes, coll_algo algo,
                               coll_result *out, ts_err *err) {
  const coll_algo_impl *impl = coll_impls[algo];
  for (int hops = 0; !impl->applies(ctx, kind) && hops < COLL_ALGO_COUNT; hops++)
    impl = coll_impls[impl->fallback];
  coll_sum sum = {0, 0};
  ts_status st = ctx->comm->shape.n > 1 ? impl->run(ctx, kind, bytes, &sum, err) : TS_OK;
  if (st != TS_OK) return st;
  *out = (coll_result){.seconds = sum.seconds,
                       .algo = impl->algo,
                       .steps = sum.steps > INT32_MAX ? INT32_MAX : (int32_t)sum.steps};
  return TS_OK;
}

static ts_status coll_run_auto(coll_ctx *ctx, trace_op_kind kind, double bytes, coll_result *out,
                               ts_err *err) {
  coll_algo cand[COLL_AUTO_MAX_CANDIDATES];
  int n = coll_auto_candidates(ctx, kind, bytes, cand);
  for (int i = 0; i < n; i++) {
    coll_result r;
    ts_status st = coll_run_algo(ctx, kind, bytes, cand[i], &r, err);
    if (st != TS_OK) return st;
    if (i == 0 || r.seconds < out->seconds) *out = r;
  }
  return TS_OK;
}

/* The host's measured time of kind (hw_scaleup.coll_Bps), when calibrated for it. An all-to-all
 * copies every part as an all-gather does; a recv is its send. */
static bool measured_kind(const hw_system *sys, trace_op_kind kind, double bytes, double *seconds) {
  int k = kind == TRACE_OP_ALL_REDUCE                                  ? KERN_COMM_ALL_REDUCE
          : kind == TRACE_OP_ALL_GATHER || kind == TRACE_OP_ALL_TO_ALL ? KERN_COMM_ALL_GATHER
          : kind == TRACE_OP_REDUCE_SCATTER                            ? KERN_COMM_REDUCE_SCATTER
          : kind == TRACE_OP_SEND || kind == TRACE_OP_RECV             ? KERN_COMM_P2P
                                                                       : -1;
  if (k < 0 || !(sys->up.coll_Bps[k] > 0.0)) return false;
  *seconds = sys->up.coll_latency_s[k] + bytes / sys->up.coll_Bps[k];
  return true;
}

ts_status coll_time_ws(coll_workspace *ws, const hw_topo *topo, const hw_system *sys,
                       trace_op_kind kind, double bytes, const coll_groups *groups, coll_algo algo,
                       coll_result *out, ts_err *err) {
  ts_status st = coll_check(topo, sys, kind, bytes, groups, algo, err);
  if (st != TS_OK) return st;
  double measured;
  if (measured_kind(sys, kind, bytes, &measured)) {
    *out = (coll_result){.seconds = measured, .algo = COLL_ALGO_DIRECT, .steps = 1};
    return TS_OK;
  }
  if (!ws) {
    st = coll_workspace_new(&ws, err);
    if (st == TS_OK) st = coll_time_ws(ws, topo, sys, kind, bytes, groups, algo, out, err);
    coll_workspace_free(ws);
    return st;
  }
  coll_ctx ctx = {.ws = ws, .topo = topo, .sys = sys, .groups = groups};
  st = coll_ctx_bind(&ctx, err);
  if (st != TS_OK) return st;
  if (kind == TRACE_OP_SEND || kind == TRACE_OP_RECV) {
    coll_sum sum = {0, 0};
    st = coll_add_steps(&ctx, (coll_key){COLL_PAT_SEND, 0}, bytes, 1, &sum, err);
    *out = (coll_result){.seconds = sum.seconds, .algo = COLL_ALGO_DIRECT, .steps = 1};
    return st;
  }
  if (algo == COLL_ALGO_AUTO) return coll_run_auto(&ctx, kind, bytes, out, err);
  return coll_run_algo(&ctx, kind, bytes, algo, out, err);
}

ts_status coll_time(const hw_topo *topo, const hw_system *sys, trace_op_kind kind, double bytes,
                    const coll_groups *groups, coll_algo algo, coll_result *out, ts_err *err) {
  return coll_time_ws(NULL, topo, sys, kind, bytes, groups, algo, out, err);
}
