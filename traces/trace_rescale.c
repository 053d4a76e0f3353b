/* Replay at another scale: re-size the data-parallel dimension of a trace (`trainsim replay --dp
 * N`).
 *
 * Model: the ranks are laid out as [inner dims (tp, cp, ...) | DP | outer dims (pp)], rank =
 * inner + D_in·(dp index + old_dp·outer). D_in is the product of the inner dimensions and D_end =
 * D_in·old_dp the span of one DP block. Data parallelism does not change what one rank runs: every
 * replica runs the same program, and the trace's collective sizes are per rank (NCCL convention),
 * so re-sizing DP only changes
 *   - communicators that cover the whole DP dimension (stride dividing D_in, or a multiple of it
 *     below D_end — every k-th replica, like edp —, and size·stride a multiple of D_end: dp, edp,
 *     a world group): size × new/old (k must divide the new degree);
 *   - communicators outside it (stride a multiple of D_end: pp): stride × new/old;
 *   - communicators inside the inner dims (size·stride <= D_in: tp, cp): unchanged;
 *   - communicators over a block of b consecutive DP replicas (EP carved out of DP, innermost, as
 *     Megatron lays it out; a native trace's "ep" always counts as one, even when b = old_dp):
 *     unchanged, b must divide the new degree;
 *   - class ranks and first ranks (each class covers whole DP blocks), trace ranks and chips:
 *     × new/old.
 * Any other communicator cuts through the DP dimension and the trace is refused, naming it.
 *
 * Finding DP. Native traces (with a model): the communicator named "dp" (size dp·cp, stride tp),
 * D_in = tp·cp, old_dp = plan.dp; refused when there is none (dp·cp = 1) or when an MoE trace has
 * ep = dp·cp (no edp: expert gradients are not reduced, but would be at another DP degree).
 * Imported traces (Chakra): among the communicators that carry collectives and no send/recv
 * (send/recv run on the pipeline's), whose stride is tiled by the inner communicators (strides 1,
 * s1, s1·s2, ... up to it) and whose size·stride divides the ranks, the one of widest span, and of
 * equal spans the smallest stride (dp, not edp, when EP is carved out of DP); D_in = its stride,
 * old_dp = its size. The innermost (stride 1) one is taken only when no other communicator carries
 * collectives (it is TP otherwise). Structure alone cannot tell a trace with TP and no DP from one
 * with DP and no TP: such a trace's one collective group is taken for DP. An imported optimizer op
 * keeps its size (without the plan its shard is unknown).
 *
 * Native traces also get plan.dp = new and gbs × new/old (micro-batches per DP rank kept), and with
 * the distributed optimizer (ZeRO >= 1) the optimizer op's parameter shard (m, bytes, flops) ×
 * old/new, as the generator sizes it. The generator's DP bucket size, max(40e6, 1e6·dp·cp)
 * parameters, is kept as traced (it differs from a fresh `gen` only when dp·cp crosses 40). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "traces/trace.h"

typedef struct dp_dim {
  int32_t comm;
  int64_t d_in, old_dp;
} dp_dim;

/* Which communicators carry collectives and which send/recv (bit masks over comm indices). */
static void comm_use(const trace *t, uint32_t *coll, uint32_t *p2p) {
  *coll = *p2p = 0;
  for (uint32_t c = 0; c < t->n_classes; c++)
    for (uint32_t i = 0; i < t->classes[c].n_ops; i++) {
      const trace_op *o = &t->classes[c].ops[i];
      if (o->comm >= t->n_comms) continue;
      bool pp = o->kind == TRACE_OP_SEND || o->kind == TRACE_OP_RECV;
      *(pp ? p2p : coll) |= 1u << o->comm;
    }
}

/* True when inner communicators (size·stride <= st) chain strides 1, s1, s1·s2, ... up to st. */
static bool inner_tiles(const trace *t, int64_t st) {
  int64_t cur = 1;
  while (cur < st) {
    uint32_t k = 0;
    while (k < t->n_comms && !(t->comms[k].stride == cur && t->comms[k].size > 1 &&
                               t->comms[k].size * t->comms[k].stride <= st))
      k++;
    if (k == t->n_comms) return false;
    cur *= t->comms[k].size;
  }
  return cur == st;
}

static ts_status find_native(const trace *t, dp_dim *d, ts_err *err) {
  bool edp = false;
  for (uint32_t k = 0; k < t->n_comms; k++) edp = edp || strcmp(t->comms[k].name, "edp") == 0;
  if (t->model.moe_experts > 0 && t->plan.ep > 1 && !edp)
    return ts_fail(err, TS_EINPUT,
                   "expert parameters are not data-parallel here (ep=%d = dp x cp): at another DP "
                   "degree the step would reduce expert gradients, which this trace does not",
                   t->plan.ep);
  for (uint32_t k = 0; k < t->n_comms; k++)
    if (strcmp(t->comms[k].name, "dp") == 0) {
      d->comm = (int32_t)k;
      d->d_in = (int64_t)t->plan.tp * t->plan.cp;
      d->old_dp = t->plan.dp;
      return TS_OK;
    }
  return ts_fail(err, TS_EINPUT,
                 "no data-parallel dimension to re-size: the trace has no 'dp' communicator (plan "
                 "dp=%d cp=%d: the program has no gradient reduction over data-parallel ranks)",
                 t->plan.dp, t->plan.cp);
}

static ts_status find_imported(const trace *t, dp_dim *d, ts_err *err) {
  uint32_t coll, p2p;
  comm_use(t, &coll, &p2p);
  int32_t best = -1;
  char why[256] = "no communicator carries collectives";
  for (uint32_t k = 0; k < t->n_comms; k++) {
    const trace_comm *c = &t->comms[k];
    if (!(coll & (1u << k)) || c->size < 2) continue;
    if (p2p & (1u << k)) {
      snprintf(why, sizeof why, "%s carries send/recv (the pipeline's)", c->name);
      continue;
    }
    if (!inner_tiles(t, c->stride)) {
      snprintf(
          why, sizeof why,
          "%s (size %lld, stride %lld): no communicators tile the %lld ranks inside its stride",
          c->name, (long long)c->size, (long long)c->stride, (long long)c->stride);
      continue;
    }
    if (t->ranks % (c->size * c->stride) != 0) {
      snprintf(why, sizeof why, "%s (size %lld, stride %lld) does not tile the %lld ranks", c->name,
               (long long)c->size, (long long)c->stride, (long long)t->ranks);
      continue;
    }
    if (c->stride == 1 && (coll & ~(1u << k) & ~p2p) != 0) {
      /* with other collective communicators, the innermost one is tensor (or context) parallel */
      snprintf(why, sizeof why,
               "%s is the innermost (stride 1) of several collective communicators", c->name);
      continue;
    }
    /* the widest span wins; on a tie the smallest stride (dp over edp: EP carved out of DP) */
    const trace_comm *b = best < 0 ? NULL : &t->comms[best];
    if (!b || c->size * c->stride > b->size * b->stride ||
        (c->size * c->stride == b->size * b->stride && c->stride < b->stride))
      best = (int32_t)k;
  }
  if (best < 0) return ts_fail(err, TS_EINPUT, "no recognisable data-parallel dimension: %s", why);
  d->comm = best;
  d->d_in = t->comms[best].stride;
  d->old_dp = t->comms[best].size;
  return TS_OK;
}

static ts_status find_dp(const trace *t, dp_dim *d, ts_err *err) {
  ts_status st = t->has_model ? find_native(t, d, err) : find_imported(t, d, err);
  if (st) return st;
  if (d->old_dp < 1 || d->d_in < 1 || t->ranks % (d->d_in * d->old_dp) != 0)
    return ts_fail(err, TS_EINPUT, "DP dimension %s: %lld x %lld ranks do not tile the %lld ranks",
                   t->comms[d->comm].name, (long long)d->old_dp, (long long)d->d_in,
                   (long long)t->ranks);
  return TS_OK;
}

ts_status trace_dp_comm(const trace *t, int32_t *comm, ts_err *err) {
  dp_dim d;
  ts_status st = find_dp(t, &d, err);
  if (!st) *comm = d.comm;
  return st;
}

typedef enum { C_INNER, C_PART, C_SPANS, C_OUTER } comm_place;

/* Where communicator c sits relative to the DP block [D_in, D_end); TS_EINPUT when it cuts through
 * it. A group is regular over the DP block when its stride divides D_in or is a multiple of it.
 * C_PART: groups of b = span / D_in consecutive DP replicas (EP carved out of DP, innermost, as
 * Megatron lays it out): unchanged, as long as b divides the new DP degree. */
static bool classify(const trace *t, const dp_dim *d, const trace_comm *c, comm_place *p) {
  int64_t end = d->d_in * d->old_dp, span = c->size * c->stride;
  bool regular = d->d_in % c->stride == 0 || c->stride % d->d_in == 0;
  bool part = regular && span % d->d_in == 0 && end % span == 0;
  if (span <= d->d_in)
    *p = C_INNER;
  else if (c->stride % end == 0)
    *p = C_OUTER;
  else if (t->has_model && strcmp(c->name, "ep") == 0)
    *p = C_PART; /* a native trace's expert-parallel group keeps its width, even over all of DP */
  else if (regular && c->stride < end && span % end == 0)
    *p = C_SPANS;
  else
    *p = C_PART;
  return *p != C_PART || part;
}

static ts_status place(const trace *t, const dp_dim *d, uint32_t k, comm_place *p, ts_err *err) {
  const trace_comm *c = &t->comms[k];
  if (classify(t, d, c, p)) return TS_OK;
  return ts_fail(err, TS_EINPUT,
                 "communicator %s (size %lld, stride %lld) cuts through the data-parallel "
                 "dimension (%s: %lld replicas %lld ranks apart); cannot re-size DP",
                 c->name, (long long)c->size, (long long)c->stride, t->comms[d->comm].name,
                 (long long)d->old_dp, (long long)d->d_in);
}

/* The DP replicas one group of a C_PART or C_SPANS communicator steps over or covers, which the
 * new DP degree must be a multiple of. */
static int64_t dp_block(const dp_dim *d, const trace_comm *c, comm_place p) {
  if (p == C_PART) return c->size * c->stride / d->d_in;
  return c->stride > d->d_in ? c->stride / d->d_in : 1;
}

/* x · num / den when exact, else false. */
static bool scale(int64_t x, int64_t num, int64_t den, int64_t *out) {
  if (x > INT64_MAX / (num > 0 ? num : 1) || (x * num) % den != 0) return false;
  *out = x * num / den;
  return true;
}

/* Checks everything and computes the new sizes without touching t. */
static ts_status plan_rescale(const trace *t, const dp_dim *d, int64_t n, comm_place *places,
                              ts_err *err) {
  int64_t end = d->d_in * d->old_dp, x;
  for (uint32_t k = 0; k < t->n_comms; k++) {
    ts_status st = place(t, d, k, &places[k], err);
    if (st) return st;
    const trace_comm *c = &t->comms[k];
    if ((places[k] == C_SPANS || places[k] == C_PART) && n % dp_block(d, c, places[k]) != 0)
      return ts_fail(err, TS_EINPUT,
                     "communicator %s (size %lld, stride %lld) groups data-parallel replicas in "
                     "blocks of %lld, which do not divide the new degree %lld",
                     c->name, (long long)c->size, (long long)c->stride,
                     (long long)dp_block(d, c, places[k]), (long long)n);
    if (places[k] == C_SPANS && !scale(c->size, n, d->old_dp, &x))
      return ts_fail(err, TS_EINPUT, "communicator %s of size %lld cannot scale by %lld/%lld",
                     c->name, (long long)c->size, (long long)n, (long long)d->old_dp);
  }
  for (uint32_t c = 0; c < t->n_classes; c++) {
    const trace_class *cl = &t->classes[c];
    if (cl->first_rank % end != 0 || cl->ranks % end != 0)
      return ts_fail(err, TS_EINPUT,
                     "class %s (ranks %lld..%lld) does not cover whole data-parallel blocks of "
                     "%lld ranks; its replicas differ, so DP cannot be re-sized",
                     cl->name, (long long)cl->first_rank,
                     (long long)(cl->first_rank + cl->ranks - 1), (long long)end);
  }
  if (!scale(t->ranks, n, d->old_dp, &x) || x > (int64_t)1 << 40)
    return ts_fail(err, TS_EINPUT, "%lld ranks cannot scale by %lld/%lld", (long long)t->ranks,
                   (long long)n, (long long)d->old_dp);
  if (t->chips > 0 && x % (t->ranks / t->chips) != 0)
    return ts_fail(err, TS_EINPUT, "%lld ranks do not fill whole chips (%lld ranks per chip)",
                   (long long)x, (long long)(t->ranks / t->chips));
  if (t->has_model && (t->plan.gbs * n) % d->old_dp != 0)
    return ts_fail(err, TS_EINPUT, "gbs %lld cannot scale by %lld/%lld", (long long)t->plan.gbs,
                   (long long)n, (long long)d->old_dp);
  return TS_OK;
}

static void rescale_optimizer(trace *t, double ratio) {
  for (uint32_t c = 0; c < t->n_classes; c++)
    for (uint32_t i = 0; i < t->classes[c].n_ops; i++) {
      trace_op *o = &t->classes[c].ops[i];
      if (o->kind != TRACE_OP_OPTIMIZER) continue;
      o->m = (int64_t)llround((double)o->m * ratio);
      o->bytes *= ratio;
      o->flops *= ratio;
    }
}

/* Imported communicators are named by their structure, n<size>s<stride>: keep the name true. */
static void rename_structural(trace_comm *c, const trace_comm *old) {
  char want[32], now[32];
  snprintf(want, sizeof want, "n%llds%lld", (long long)old->size, (long long)old->stride);
  if (strcmp(old->name, want) != 0) return;
  int n = snprintf(now, sizeof now, "n%llds%lld", (long long)c->size, (long long)c->stride);
  if (n > 0 && (size_t)n < sizeof c->name) memcpy(c->name, now, (size_t)n + 1);
}

ts_status trace_rescale_dp(trace *t, int64_t new_dp, trace_rescale_info *info, ts_err *err) {
  if (new_dp < 1 || new_dp > (int64_t)1 << 24)
    return ts_fail(err, TS_EUSAGE, "new data-parallel degree %lld, expected 1..%d",
                   (long long)new_dp, 1 << 24);
  dp_dim d;
  ts_status st = find_dp(t, &d, err);
  comm_place places[TRACE_MAX_COMMS];
  if (!st) st = plan_rescale(t, &d, new_dp, places, err);
  if (st) return st;
  trace_rescale_info in = {.dp_comm = d.comm,
                           .old_dp = d.old_dp,
                           .new_dp = new_dp,
                           .old_ranks = t->ranks,
                           .old_gbs = t->has_model ? t->plan.gbs : 0};
  for (uint32_t k = 0; k < t->n_comms; k++) {
    trace_comm *c = &t->comms[k], old = *c;
    if (places[k] == C_SPANS) {
      c->size = c->size * new_dp / d.old_dp;
      in.edp = in.edp || strcmp(c->name, "edp") == 0;
    } else if (places[k] == C_OUTER) {
      c->stride = c->stride * new_dp / d.old_dp;
      in.restrided++;
    }
    rename_structural(c, &old);
  }
  for (uint32_t c = 0; c < t->n_classes; c++) {
    t->classes[c].first_rank = t->classes[c].first_rank * new_dp / d.old_dp;
    t->classes[c].ranks = t->classes[c].ranks * new_dp / d.old_dp;
  }
  int64_t per_chip = t->chips > 0 ? t->ranks / t->chips : 1;
  t->ranks = t->ranks * new_dp / d.old_dp;
  if (t->chips > 0) t->chips = t->ranks / per_chip;
  if (t->has_model) {
    if (t->plan.zero >= 1) rescale_optimizer(t, (double)d.old_dp / (double)new_dp);
    t->plan.dp = (int32_t)new_dp;
    t->plan.gbs = t->plan.gbs * new_dp / d.old_dp;
    in.new_gbs = t->plan.gbs;
  }
  in.new_ranks = t->ranks;
  if (info) *info = in;
  return trace_validate(t, err);
}
