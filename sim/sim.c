/* sim_run: a trace meets a system. Builds the topology of the trace's chips, plugs the kernel model
 * (kern_op) and the collective model (coll_time) in as the replay's cost model, and replays. The
 * replay itself (replay.c) knows nothing of kernels or links.
 * A rank is a share of a chip when the chip runs several (Trainium: NeuronCores), so kernels are
 * timed on the rank's share: peak FLOP/s, HBM bandwidth and capacity, SRAM and compute units
 * divided by ranks per chip. */
#include "sim/sim.h"

#include <stdlib.h>

#include "sim/engine_int.h"

typedef struct model_costs {
  const hw_system *sys;
  hw_chip rank_chip; /* the share of a chip one rank runs on */
  const hw_topo *topo;
  const sim_options *opt;
  coll_workspace *ws; /* keeps link sharing per communicator across the step's many collectives */
} model_costs;

static ts_status compute_cost(void *ctx, const trace *t, uint32_t cls, const trace_op *op,
                              double *seconds, ts_err *err) {
  (void)t, (void)cls, (void)err;
  const model_costs *m = ctx;
  *seconds = kern_op(&m->rank_chip, op, m->opt->kernel_table).seconds;
  return TS_OK;
}

void sim_rank_chip(const hw_chip *chip, hw_chip *out) {
  *out = *chip;
  int64_t rpc = chip->ranks_per_chip > 0 ? chip->ranks_per_chip : 1;
  if (rpc == 1) return;
  double n = (double)rpc;
  for (int d = 0; d < HW_DTYPE_COUNT; d++) out->peak_flops[d] /= n;
  out->hbm_Bps /= n;
  out->hbm_bytes /= n;
  out->sram_bytes /= n;
  out->compute_units = chip->compute_units / (int)rpc > 0 ? chip->compute_units / (int)rpc : 1;
  out->ranks_per_chip = 1;
}

static ts_status comm_cost(void *ctx, const trace *t, uint32_t cls, const trace_op *op,
                           trace_op_kind kind, const coll_groups *groups, double *seconds,
                           ts_err *err) {
  const model_costs *m = ctx;
  coll_result res = {0};
  ts_status st =
      coll_time_ws(m->ws, m->topo, m->sys, kind, op->bytes, groups, m->opt->algo, &res, err);
  if (st) {
    ts_err_prefix(err, "class %s, %s on %s", t->classes[cls].name,
                  trace_op_kind_name((trace_op_kind)op->kind), t->comms[op->comm].name);
    return st;
  }
  *seconds = res.seconds;
  return TS_OK;
}

ts_status sim_run(const trace *t, const hw_system *sys, const sim_options *opt, sim_result **out,
                  ts_err *err) {
  *out = NULL;
  sim_options defaults = {.fidelity = SIM_FIDELITY_SYMMETRIC, .algo = COLL_ALGO_AUTO};
  if (!opt) opt = &defaults;
  int64_t rpc = sys->chip.ranks_per_chip > 0 ? sys->chip.ranks_per_chip : 1;
  if (t->chips < 1 || t->ranks != t->chips * rpc)
    return ts_fail(err, TS_EINPUT,
                   "trace has %lld ranks on %lld chips; %s runs %lld ranks per chip",
                   (long long)t->ranks, (long long)t->chips, sys->name, (long long)rpc);
  hw_topo *topo = NULL;
  ts_status st = hw_topo_new(sys, t->chips, &topo, err);
  if (st) return st;
  model_costs *ctx = malloc(sizeof *ctx); /* a chip with its sources is large */
  if (!ctx) {
    hw_topo_free(topo);
    return ts_fail(err, TS_ENOMEM, "cannot allocate the cost model");
  }
  *ctx = (model_costs){.sys = sys, .topo = topo, .opt = opt};
  sim_rank_chip(&sys->chip, &ctx->rank_chip);
  st = coll_workspace_new(&ctx->ws, err);
  if (st) {
    free(ctx);
    hw_topo_free(topo);
    return st;
  }
  sim_cost_model cost = {.compute = compute_cost, .comm = comm_cost, .ctx = ctx};
  st = sim_replay(t, sys, opt, &cost, NULL, out, err);
  coll_workspace_free(ctx->ws);
  free(ctx);
  hw_topo_free(topo);
  return st;
}

/* ---- repeated runs on one system and chip count (sim.h: sim_cache) --------------------------- */
struct sim_cache {
  const hw_system *sys;
  int64_t chips, rpc;
  sim_options opt;
  hw_topo *topo;
  model_costs *costs; /* the same cost model sim_run plugs in, kept across runs */
  sim_memo *memo;
  sim_world world; /* of the prepared trace (world.t NULL: none) */
};

ts_status sim_cache_new(const hw_system *sys, int64_t chips, const sim_options *opt,
                        sim_cache **out, ts_err *err) {
  *out = NULL;
  sim_cache *c = calloc(1, sizeof *c);
  if (!c) return ts_fail(err, TS_ENOMEM, "cannot allocate the simulation cache");
  c->sys = sys;
  c->chips = chips;
  c->rpc = sys->chip.ranks_per_chip > 0 ? sys->chip.ranks_per_chip : 1;
  if (opt) c->opt = *opt;
  else c->opt = (sim_options){.fidelity = SIM_FIDELITY_SYMMETRIC, .algo = COLL_ALGO_AUTO};
  c->costs = malloc(sizeof *c->costs);
  ts_status st = c->costs ? hw_topo_new(sys, chips, &c->topo, err)
                          : ts_fail(err, TS_ENOMEM, "cannot allocate the cost model");
  if (!st) {
    *c->costs = (model_costs){.sys = sys, .topo = c->topo, .opt = &c->opt};
    sim_rank_chip(&sys->chip, &c->costs->rank_chip);
    st = coll_workspace_new(&c->costs->ws, err);
  }
  if (!st) st = sim_memo_new(&c->memo, err);
  if (st) {
    sim_cache_free(c);
    return st;
  }
  *out = c;
  return TS_OK;
}

void sim_cache_release(sim_cache *c) {
  if (c && c->world.t) sim_world_fini(&c->world);
}

void sim_cache_free(sim_cache *c) {
  if (!c) return;
  sim_cache_release(c);
  if (c->costs) coll_workspace_free(c->costs->ws);
  free(c->costs);
  hw_topo_free(c->topo);
  sim_memo_free(c->memo);
  free(c);
}

ts_status sim_cache_prepare(sim_cache *c, const trace *t, ts_err *err) {
  sim_cache_release(c);
  if (t->chips != c->chips || t->ranks != t->chips * c->rpc)
    return ts_fail(err, TS_EINPUT,
                   "trace has %lld ranks on %lld chips; the cache is for %lld chips of %s "
                   "(%lld ranks per chip)",
                   (long long)t->ranks, (long long)t->chips, (long long)c->chips, c->sys->name,
                   (long long)c->rpc);
  sim_cost_model cost = {.compute = compute_cost, .comm = comm_cost, .ctx = c->costs};
  ts_status st = sim_world_init(&c->world, t, c->rpc, err);
  if (!st) st = sim_world_costs(&c->world, &cost, c->memo, err);
  if (st) sim_cache_release(c);
  return st;
}

const sim_ps *sim_cache_durations(const sim_cache *c, uint32_t cls) {
  if (!c->world.t || cls >= c->world.t->n_classes) return NULL;
  return c->world.progs[cls].dur;
}

ts_status sim_cache_run(sim_cache *c, sim_result **out, ts_err *err) {
  *out = NULL;
  if (!c->world.t) return ts_fail(err, TS_EUSAGE, "sim_cache_run: no prepared trace");
  ts_status st = sim_world_programs(&c->world, c->opt.fidelity != SIM_FIDELITY_FULL, err);
  return st ? st : sim_replay_world(&c->world, c->sys, &c->opt, NULL, out, err);
}

const sim_report *sim_result_report(const sim_result *r) {
  return &r->report;
}

void sim_result_free(sim_result *r) {
  if (!r) return;
  free(r->slices);
  for (uint32_t i = 0; i < r->n_tl_classes; i++) free(r->tl_classes[i].ops);
  free(r->tl_classes);
  free(r->tl_class_of);
  free(r->tl_rank_id);
  free(r);
}
