/* The workload generator: (model, plan, system, chips) → the trace of one training step.
 *
 * Checks the plan (plan_check) and the memory fit (model_memory_per_rank/model_memory_check,
 * unless allow_oom), then builds the trace: the communicators of the rank layout, one rank class
 * per pipeline stage (all TP/CP/DP ranks of a stage run the same program) and each class's ops in
 * the order its schedule runs them (gen_sched.c → gen_pp.c → gen_layer.c/gen_moe.c → gen_dp.c).
 *
 * Rank layout (Megatron-Core): tp innermost, then cp, then dp, pp outermost; EP is carved out of
 * DP x CP, innermost. Communicators (ranks r, r+stride, ...): tp (tp, 1), cp (cp, tp),
 * dp (dp·cp, tp: dense gradients reduce over DP x CP), ep (ep, tp), edp (dp·cp/ep, tp·ep: expert
 * gradients), pp (pp, tp·cp·dp). Only groups of more than one rank are added.
 *
 * Byte conventions: activations and their TP/CP/EP/PP transfers in the plan's dtype for
 * fp32/fp16/bf16; with fp8 or fp4 the GEMMs run in that dtype but activations stay bf16 (as
 * Transformer Engine keeps them). Gradients reduce in fp32, parameters gather in bf16 (gen_dp.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/gen_int.h"

static gen_shape make_shape(const model *m, const plan *p) {
  gen_shape sh = {0};
  sh.tp = p->tp;
  sh.cp = p->cp;
  sh.ep = p->ep > 0 ? p->ep : 1;
  sh.mbs = p->mbs;
  sh.seq = m->seq;
  sh.sp = p->sp && p->tp > 1;
  sh.tokens = (int64_t)p->mbs * m->seq / p->cp;
  sh.tokens_sp = sh.sp ? sh.tokens / p->tp : sh.tokens;
  sh.seq_kv = (int64_t)p->mbs * m->seq;
  sh.heads = m->heads / p->tp;
  if (m->attn == MODEL_ATTN_LATENT) {
    sh.kv_heads = sh.heads;
    sh.qk_dim = m->qk_nope_dim + m->qk_rope_dim;
    sh.v_dim = m->v_head_dim;
    sh.head_dim = sh.qk_dim;
  } else {
    int64_t kv = m->kv_heads > 0 ? m->kv_heads : m->heads;
    sh.kv_heads = kv >= p->tp ? kv / p->tp : 1;
    sh.head_dim = m->head_dim > 0 ? m->head_dim : m->hidden / m->heads;
    sh.qk_dim = sh.v_dim = sh.head_dim;
  }
  sh.gemm_dt = p->dtype;
  sh.act_dt = p->dtype == HW_FP8 || p->dtype == HW_FP4 ? HW_BF16 : p->dtype;
  sh.act_b = hw_dtype_bytes(sh.act_dt);
  sh.grad_b = 4.0;
  sh.param_b = p->dtype == HW_FP32 ? 4.0 : 2.0;
  return sh;
}

/* Checks the generator needs beyond plan_check (its own shapes and trace field ranges). */
static ts_status check_shapes(const model *m, const plan *p, ts_err *err) {
  if (m->seq % p->cp != 0)
    return ts_fail(err, TS_EINPUT, "plan: seq=%lld is not divisible by cp=%d", (long long)m->seq,
                   p->cp);
  if (p->tp > 1 && p->sp && ((int64_t)p->mbs * m->seq / p->cp) % p->tp != 0)
    return ts_fail(err, TS_EINPUT,
                   "plan: sequence parallelism needs mbs*seq/cp = %lld divisible by tp=%d",
                   (long long)((int64_t)p->mbs * m->seq / p->cp), p->tp);
  if (m->layers >= TRACE_NO_LAYER)
    return ts_fail(err, TS_EINPUT, "model: %lld layers; traces hold at most %d",
                   (long long)m->layers, TRACE_NO_LAYER - 1);
  if (m->moe_experts > 0 && (p->ep < 1 || m->moe_experts % p->ep != 0))
    return ts_fail(err, TS_EINPUT, "plan: ep=%d does not divide the %lld experts", p->ep,
                   (long long)m->moe_experts);
  if (p->pp > PLAN_MAX_PP || p->pp < 1)
    return ts_fail(err, TS_EINPUT, "plan: pp=%d out of range 1..%d", p->pp, PLAN_MAX_PP);
  return TS_OK;
}

/* First layer of each virtual stage v = chunk·pp + stage, from the plan's split (plan_chunk_layers:
 * chunk v in model order runs on stage v % pp). */
static ts_status virtual_stages(const model *m, const plan *p, int64_t *first, ts_err *err) {
  int32_t n = p->pp * p->vpp;
  first[0] = 0;
  for (int32_t v = 0; v < n; v++) first[v + 1] = first[v] + plan_chunk_layers(p, m, v);
  if (first[n] != m->layers)
    return ts_fail(err, TS_EINPUT, "plan: stage layers sum to %lld, model has %lld layers",
                   (long long)first[n], (long long)m->layers);
  return TS_OK;
}

static bool add_comms(trace *t, const model *m, const plan *p, int32_t ids[GEN_COMM_COUNT]) {
  int64_t tp = p->tp, cp = p->cp, dp = p->dp, ep = p->ep > 0 ? p->ep : 1;
  bool moe = m->moe_experts > 0;
  struct {
    const char *name;
    int64_t size, stride;
  } defs[GEN_COMM_COUNT] = {
      [GEN_TP] = {"tp", tp, 1},
      [GEN_CP] = {"cp", cp, tp},
      [GEN_DP] = {"dp", dp * cp, tp},
      [GEN_EP] = {"ep", ep, tp},
      [GEN_EDP] = {"edp", dp * cp / ep, tp * ep},
      [GEN_PP] = {"pp", p->pp, tp * cp * dp},
  };
  bool ok = true;
  for (int i = 0; i < GEN_COMM_COUNT; i++) {
    bool used =
        defs[i].size > 1 && (moe || (i != GEN_EP && i != GEN_EDP)) && !(i == GEN_EDP && ep == 1);
    ids[i] = used ? trace_add_comm(t, defs[i].name, defs[i].size, defs[i].stride) : -1;
    ok = ok && (!used || ids[i] >= 0);
  }
  if (moe && ep == 1) ids[GEN_EDP] = ids[GEN_DP]; /* expert grads reduce over the whole DP x CP */
  return ok;
}

static void record_header(trace *t, const model *m, const plan *p, const hw_system *sys,
                          int64_t chips) {
  if (t->version == 0) t->version = TRACE_FORMAT_VERSION;
  t->has_model = true;
  t->model = *m;
  t->plan = *p;
  plan *rp = &t->plan;
  if (rp->vpp > 1) rp->schedule = PLAN_SCHED_INTERLEAVED;
  rp->sp = p->sp && p->tp > 1;
  rp->naive_attention = p->naive_attention || sys->naive_attention; /* the stack's kernels */
  rp->dp_overlap = p->dp_overlap && !sys->dp_after_backward;        /* the stack's DDP */
  rp->n_stage_layers = p->pp;
  for (int32_t s = 0; s < p->pp; s++) rp->stage_layers[s] = (int32_t)plan_stage_layers(p, m, s);
  snprintf(t->system, sizeof t->system, "%s", sys->name);
  t->chips = chips;
  t->ranks = chips * (sys->chip.ranks_per_chip > 0 ? sys->chip.ranks_per_chip : 1);
}

/* Schedules of every stage and the virtual-stage layer split; freed by free_plan_data. */
typedef struct plan_data {
  gen_event **sched;
  int64_t *len;
  int64_t *vs_first;
} plan_data;

static void free_plan_data(plan_data *d, int32_t pp) {
  if (d->sched)
    for (int32_t s = 0; s < pp; s++) free(d->sched[s]);
  free(d->sched);
  free(d->len);
  free(d->vs_first);
}

static ts_status make_plan_data(const model *m, const plan *p, int64_t micro, plan_data *d,
                                ts_err *err) {
  d->sched = calloc((size_t)p->pp, sizeof *d->sched);
  d->len = calloc((size_t)p->pp, sizeof *d->len);
  d->vs_first = calloc((size_t)p->pp * p->vpp + 1, sizeof *d->vs_first);
  if (!d->sched || !d->len || !d->vs_first) return ts_fail(err, TS_ENOMEM, "gen: out of memory");
  ts_status st = virtual_stages(m, p, d->vs_first, err);
  int64_t cap = 2 * micro * p->vpp;
  for (int32_t s = 0; s < p->pp && st == TS_OK; s++) {
    d->sched[s] = malloc((size_t)cap * sizeof **d->sched);
    if (!d->sched[s]) return ts_fail(err, TS_ENOMEM, "gen: out of memory for the schedule");
    st = gen_schedule(p, s, micro, d->sched[s], cap, &d->len[s], err);
  }
  return st;
}

static gen_params stage_params(const gen_ctx *g) {
  gen_params sum = {0.0, 0.0};
  for (int32_t c = 0; c < g->p->vpp; c++) {
    int32_t v = c * g->p->pp + g->stage;
    for (int64_t l = g->vs_first[v]; l < g->vs_first[v + 1]; l++) {
      gen_params lp = gen_layer_params(g->m, &g->sh, l);
      sum.dense += lp.dense;
      sum.expert += lp.expert;
    }
  }
  if (g->stage == 0) sum.dense += gen_embedding_params(g->m, &g->sh).dense;
  if (g->stage == g->p->pp - 1) sum.dense += gen_output_params(g->m, g->p, &g->sh).dense;
  return sum;
}

/* Emits the program of one stage. */
static ts_status emit_stage(gen_ctx *g, const plan_data *d, int64_t *recv_op, int64_t *bwd_done,
                            ts_err *err) {
  const plan *p = g->p;
  char name[32];
  snprintf(name, sizeof name, "stage%d", g->stage);
  int64_t per_stage = (int64_t)p->tp * p->cp * p->dp;
  g->cls = trace_add_class(g->t, name, g->stage, g->stage * per_stage, per_stage);
  if (g->cls < 0) return ts_fail(err, TS_ENOMEM, "gen: out of memory adding class %s", name);
  int64_t n_keys = 2 * (int64_t)p->vpp * g->micro_batches;
  for (int64_t i = 0; i < n_keys; i++) recv_op[i] = -1;
  for (int32_t c = 0; c < p->vpp; c++) bwd_done[c] = 0;
  g->recv_op = recv_op;
  g->cursor_prev = g->cursor_next = 0;
  g->chain = g->last_compute = g->last_dp_op = g->fsdp_prev = g->bucket_dep = -1;
  g->pending[0] = g->pending[1] = -1;
  g->bucket.dense = g->bucket.expert = g->deferred.dense = g->deferred.expert = 0.0;
  g->buckets_dense = g->buckets_expert = 0.0;
  for (int64_t i = 0; i < d->len[g->stage] && !g->failed; i++) {
    const gen_event *ev = &d->sched[g->stage][i];
    bool last = !ev->fwd && ++bwd_done[ev->chunk] == g->micro_batches;
    gen_event_emit(g, ev, last);
  }
  gen_dp_finish(g, stage_params(g));
  if (g->failed)
    return ts_fail(err, TS_ENOMEM, "gen: cannot append to class %s (out of memory or over %d ops)",
                   name, TRACE_MAX_OPS);
  return TS_OK;
}

static ts_status emit_all(trace *t, const model *m, const plan *p, const plan_data *d,
                          int64_t micro, ts_err *err) {
  gen_ctx g = {0};
  g.m = m;
  g.p = &t->plan;
  g.t = t;
  g.sh = make_shape(m, p);
  g.micro_batches = micro;
  g.vs_first = d->vs_first;
  g.sched = (const gen_event *const *)d->sched;
  g.sched_len = d->len;
  double dpcp = (double)p->dp * p->cp;
  g.bucket_params = 1e6 * dpcp > 40e6 ? 1e6 * dpcp : 40e6;
  if (!add_comms(t, m, p, g.comm))
    return ts_fail(err, TS_ENOMEM, "gen: out of memory adding communicators");
  int64_t *recv_op = malloc((size_t)(2 * p->vpp * micro) * sizeof *recv_op);
  int64_t *bwd_done = calloc((size_t)p->vpp, sizeof *bwd_done);
  ts_status st = recv_op && bwd_done ? TS_OK : ts_fail(err, TS_ENOMEM, "gen: out of memory");
  for (int32_t s = 0; s < p->pp && st == TS_OK; s++) {
    g.stage = s;
    st = emit_stage(&g, d, recv_op, bwd_done, err);
  }
  free(recv_op);
  free(bwd_done);
  return st;
}

ts_status gen_step(const model *m, const plan *p, const hw_system *sys, int64_t chips,
                   const gen_options *opt, trace **out, ts_err *err) {
  if (!m || !p || !sys || !out) return ts_fail(err, TS_EUSAGE, "gen_step: NULL argument");
  *out = NULL;
  ts_status st = plan_check(p, m, sys, chips, err);
  if (st) return st;
  if (!opt || !opt->allow_oom) {
    /* Checked as the trace will run: a stack with unfused attention keeps the s^2 scores. */
    plan run_plan = *p;
    run_plan.naive_attention = p->naive_attention || sys->naive_attention;
    model_memory mem;
    st = model_memory_per_rank(m, &run_plan, &mem, err);
    if (!st) st = model_memory_check(&mem, &sys->chip, err);
    if (st) return st;
  }
  st = check_shapes(m, p, err);
  if (st) return st;
  int64_t micro = plan_micro_batches(p);
  if (micro < 1)
    return ts_fail(err, TS_EINPUT, "plan: gbs=%lld gives no micro-batch", (long long)p->gbs);
  plan_data d = {0};
  st = make_plan_data(m, p, micro, &d, err);
  trace *t = st ? NULL : trace_new();
  if (!st && !t) st = ts_fail(err, TS_ENOMEM, "gen: out of memory creating the trace");
  if (!st) {
    record_header(t, m, p, sys, chips);
    st = emit_all(t, m, p, &d, micro, err);
  }
  free_plan_data(&d, p->pp);
  if (st) {
    trace_free(t);
    return st;
  }
  *out = t;
  return TS_OK;
}
