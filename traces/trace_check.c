/* trace_validate: the full consistency check of a trace, run by both readers after parsing and by
 * the generator's tests. It enforces the contract of traces/trace.h that sim/ relies on without
 * re-checking: every enum and index in range, deps naming earlier ops (so the op list is a
 * topological order), numbers finite and non-negative, class ranks partitioning the world, and
 * sends and recvs pairing up across classes by (sender class, receiver class, order of issue)
 * with equal byte counts. Each message names the class, the op and the field. */
#include "traces/trace.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "traces/trace_int.h"

static const char NAME_CHARS[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-";

static bool terminated(const char *s, size_t cap) { return memchr(s, '\0', cap) != NULL; }

/* What the file format itself guarantees, with or without a model (the binary reader checks the
 * same as it reads, so every path into a trace agrees). */
static ts_status check_fields(const trace *t, ts_err *err) {
  const model *m = &t->model;
  if (!terminated(m->name, sizeof m->name) || !terminated(m->source, sizeof m->source))
    return ts_fail(err, TS_EINPUT, "model name or source is not terminated");
  const struct {
    const char *name;
    int64_t value;
  } sizes[] = {{"layers", m->layers},       {"hidden", m->hidden},
               {"ffn", m->ffn},             {"heads", m->heads},
               {"kv_heads", m->kv_heads},   {"head_dim", m->head_dim},
               {"vocab", m->vocab},         {"seq", m->seq},
               {"moe_experts", m->moe_experts}, {"moe_topk", m->moe_topk},
               {"moe_ffn", m->moe_ffn},     {"moe_shared", m->moe_shared},
               {"dense_layers", m->dense_layers}, {"q_lora_rank", m->q_lora_rank},
               {"kv_lora_rank", m->kv_lora_rank}, {"qk_rope_dim", m->qk_rope_dim},
               {"qk_nope_dim", m->qk_nope_dim}, {"v_head_dim", m->v_head_dim}};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
    if (sizes[i].value < 0)
      return ts_fail(err, TS_EINPUT, "model %s %lld is negative", sizes[i].name,
                     (long long)sizes[i].value);
  if ((unsigned)m->mlp > MODEL_MLP_RELU2 || (unsigned)m->attn > MODEL_ATTN_LATENT)
    return ts_fail(err, TS_EINPUT, "model mlp %d or attention %d out of range", (int)m->mlp,
                   (int)m->attn);
  const plan *p = &t->plan;
  if ((unsigned)p->recompute > PLAN_RECOMP_FULL || (unsigned)p->dtype >= HW_DTYPE_COUNT ||
      (unsigned)p->schedule > PLAN_SCHED_GPIPE)
    return ts_fail(err, TS_EINPUT, "plan recompute %d, dtype %d or schedule %d out of range",
                   (int)p->recompute, (int)p->dtype, (int)p->schedule);
  if (p->zero < 0 || p->zero > 3) return ts_fail(err, TS_EINPUT, "plan zero %d, expected 0..3", p->zero);
  if (p->gbs < 0) return ts_fail(err, TS_EINPUT, "plan gbs %lld is negative", (long long)p->gbs);
  if (p->n_stage_layers < 0 || p->n_stage_layers > PLAN_MAX_PP)
    return ts_fail(err, TS_EINPUT, "plan stage_layers count %d, expected 0..%d", p->n_stage_layers,
                   PLAN_MAX_PP);
  return TS_OK;
}

static ts_status check_header(const trace *t, ts_err *err) {
  if (t->version < 1 || t->version > TRACE_FORMAT_VERSION)
    return ts_fail(err, TS_EINPUT, "trace version %u, expected 1..%d", t->version,
                   TRACE_FORMAT_VERSION);
  if (!terminated(t->system, sizeof t->system))
    return ts_fail(err, TS_EINPUT, "system name is not terminated");
  if (t->ranks < 1) return ts_fail(err, TS_EINPUT, "ranks %lld, expected >= 1", (long long)t->ranks);
  if (t->chips < 0) return ts_fail(err, TS_EINPUT, "chips %lld, expected >= 0", (long long)t->chips);
  if (t->chips > 0 && (t->ranks < t->chips || t->ranks % t->chips != 0))
    return ts_fail(err, TS_EINPUT, "ranks %lld is not a multiple of chips %lld",
                   (long long)t->ranks, (long long)t->chips);
  ts_status st = check_fields(t, err);
  if (st || !t->has_model) return st;
  const model *m = &t->model;
  if (m->layers < 1 || m->layers >= TRACE_NO_LAYER)
    return ts_fail(err, TS_EINPUT, "model layers %lld, expected 1..%d", (long long)m->layers,
                   TRACE_NO_LAYER - 1);
  const plan *p = &t->plan;
  if (p->tp < 1 || p->pp < 1 || p->dp < 1 || p->cp < 1 || p->ep < 1 || p->vpp < 1 || p->mbs < 1)
    return ts_fail(err, TS_EINPUT, "plan degrees tp=%d pp=%d dp=%d cp=%d ep=%d vpp=%d mbs=%d, "
                   "expected each >= 1", p->tp, p->pp, p->dp, p->cp, p->ep, p->vpp, p->mbs);
  int64_t world = (int64_t)p->tp * p->pp * p->dp * p->cp;
  if (world != t->ranks)
    return ts_fail(err, TS_EINPUT, "plan tp*pp*dp*cp = %lld but the trace has %lld ranks",
                   (long long)world, (long long)t->ranks);
  if (p->n_stage_layers != 0 && p->n_stage_layers != p->pp)
    return ts_fail(err, TS_EINPUT, "plan has %d stage_layers, expected 0 or pp=%d",
                   p->n_stage_layers, p->pp);
  return TS_OK;
}

static ts_status check_comms(const trace *t, trace_where *w, ts_err *err) {
  if (t->n_comms > TRACE_MAX_COMMS)
    return ts_fail(err, TS_EINPUT, "%u communicators, at most %d", t->n_comms, TRACE_MAX_COMMS);
  for (uint32_t i = 0; i < t->n_comms; i++) {
    const trace_comm *c = &t->comms[i];
    w->comm = i;
    if (!terminated(c->name, sizeof c->name) || !c->name[0])
      return ts_fail(err, TS_EINPUT, "communicator %u: name empty or not terminated", i);
    if (strspn(c->name, NAME_CHARS) != strlen(c->name))
      return ts_fail(err, TS_EINPUT, "communicator %u: name '%s' has characters outside [A-Za-z0-9_.-]",
                     i, c->name);
    for (uint32_t j = 0; j < i; j++)
      if (strcmp(t->comms[j].name, c->name) == 0)
        return ts_fail(err, TS_EINPUT, "communicator %u: name '%s' already used by communicator %u",
                       i, c->name, j);
    if (c->size < 1 || c->stride < 1)
      return ts_fail(err, TS_EINPUT, "communicator %s: size %lld stride %lld, expected >= 1",
                     c->name, (long long)c->size, (long long)c->stride);
    if (c->size - 1 > (t->ranks - 1) / c->stride)
      return ts_fail(err, TS_EINPUT,
                     "communicator %s: size %lld x stride %lld spans more than %lld ranks",
                     c->name, (long long)c->size, (long long)c->stride, (long long)t->ranks);
  }
  w->comm = -1;
  return TS_OK;
}

static ts_status check_op_fields(const trace *t, const trace_class *c, uint32_t ci, uint32_t i,
                                 ts_err *err) {
  const trace_op *o = &c->ops[i];
#define OPFAIL(fmt, ...) \
  ts_fail(err, TS_EINPUT, "class %s (%u) op %u: " fmt, c->name, ci, i, __VA_ARGS__)
  if (o->kind >= TRACE_OP_KIND_COUNT) return OPFAIL("kind %u out of range", o->kind);
  if (o->dtype >= HW_DTYPE_COUNT) return OPFAIL("dtype %u out of range", o->dtype);
  if (o->phase >= TRACE_PHASE_COUNT) return OPFAIL("phase %u out of range", o->phase);
  if (o->stream >= TRACE_STREAM_COUNT)
    return OPFAIL("stream %u out of range", o->stream);
  if (o->flags & ~(TRACE_FLAG_CAUSAL | TRACE_FLAG_EXPERT))
    return OPFAIL("unknown flags 0x%x", o->flags);
  bool comm = trace_op_is_comm(o->kind);
  if (comm && o->comm >= t->n_comms)
    return OPFAIL("communicator %u, expected < %u", o->comm, t->n_comms);
  if (!comm && o->comm != TRACE_NO_COMM)
    return OPFAIL("compute op names communicator %u", o->comm);
  if (!comm && o->stream != TRACE_STREAM_COMPUTE)
    return OPFAIL("compute op on stream %s", trace_stream_name(o->stream));
  bool p2p = o->kind == TRACE_OP_SEND || o->kind == TRACE_OP_RECV;
  if (p2p && (o->peer < 0 || (uint32_t)o->peer >= t->n_classes))
    return OPFAIL("peer class %d, expected 0..%u", o->peer, t->n_classes - 1);
  if (!p2p && o->peer != -1) return OPFAIL("peer %d on a non-p2p op", o->peer);
  if (t->has_model && o->layer != TRACE_NO_LAYER && o->layer >= t->model.layers)
    return OPFAIL("layer %u, model has %lld", o->layer,
                  (long long)t->model.layers);
  if (o->m < 0 || o->n < 0 || o->k < 0)
    return OPFAIL("negative shape m=%lld n=%lld k=%lld", (long long)o->m,
                  (long long)o->n, (long long)o->k);
  if (o->count < 1) return OPFAIL("count %lld, expected >= 1", (long long)o->count);
  if (!isfinite(o->flops) || o->flops < 0)
    return OPFAIL("flops %g, expected finite and >= 0", o->flops);
  if (!isfinite(o->bytes) || o->bytes < 0)
    return OPFAIL("bytes %g, expected finite and >= 0", o->bytes);
  if (!isfinite(o->duration_s) || o->duration_s < 0)
    return OPFAIL("duration_s %g, expected finite and >= 0", o->duration_s);
  if (o->duration_s != 0.0 && trace_op_is_comm((trace_op_kind)o->kind))
    return OPFAIL("duration_s %g on a communication op (only compute ops carry one)", o->duration_s);
  return TS_OK;
}

static ts_status check_deps(const trace_class *c, uint32_t ci, trace_where *w, ts_err *err) {
  uint64_t next = 0;
  for (uint32_t i = 0; i < c->n_ops; i++) {
    const trace_op *o = &c->ops[i];
    w->op = i;
    if (o->dep_first != next || next + o->dep_count > c->n_deps)
      return OPFAIL("deps [%u, +%u) do not follow the previous op's in %u deps",
                    o->dep_first, o->dep_count, c->n_deps);
    for (uint32_t d = 0; d < o->dep_count; d++)
      if (c->deps[next + d] >= i)
        return OPFAIL("dep %u is not an earlier op", c->deps[next + d]);
    next += o->dep_count;
  }
  w->op = -1;
  if (next != c->n_deps)
    return ts_fail(err, TS_EINPUT, "class %s (%u): ops use %llu of its %u deps", c->name, ci,
                   (unsigned long long)next, c->n_deps);
  return TS_OK;
#undef OPFAIL
}

static ts_status check_classes(const trace *t, trace_where *w, ts_err *err) {
  if (t->n_classes < 1 || t->n_classes > TRACE_MAX_CLASSES)
    return ts_fail(err, TS_EINPUT, "%u rank classes, expected 1..%d", t->n_classes,
                   TRACE_MAX_CLASSES);
  int64_t sum = 0;
  for (uint32_t ci = 0; ci < t->n_classes; ci++) {
    const trace_class *c = &t->classes[ci];
    w->cls = ci;
    w->op = -1;
    if (!terminated(c->name, sizeof c->name) || !c->name[0])
      return ts_fail(err, TS_EINPUT, "class %u: name empty or not terminated", ci);
    if (c->ranks < 1 || c->ranks > t->ranks - sum)
      return ts_fail(err, TS_EINPUT, "class %s (%u): %lld ranks, %lld left of %lld", c->name, ci,
                     (long long)c->ranks, (long long)(t->ranks - sum), (long long)t->ranks);
    sum += c->ranks;
    if (c->first_rank < 0 || c->first_rank >= t->ranks)
      return ts_fail(err, TS_EINPUT, "class %s (%u): first rank %lld, expected 0..%lld", c->name,
                     ci, (long long)c->first_rank, (long long)(t->ranks - 1));
    if (c->stage < -1)
      return ts_fail(err, TS_EINPUT, "class %s (%u): stage %d, expected >= -1", c->name, ci,
                     c->stage);
    if (c->n_ops > TRACE_MAX_OPS || c->n_deps > TRACE_MAX_DEPS)
      return ts_fail(err, TS_EINPUT, "class %s (%u): %u ops and %u deps exceed the limits",
                     c->name, ci, c->n_ops, c->n_deps);
    for (uint32_t i = 0; i < c->n_ops; i++) {
      w->op = i;
      ts_status st = check_op_fields(t, c, ci, i, err);
      if (st) return st;
    }
    ts_status st = check_deps(c, ci, w, err);
    if (st) return st;
  }
  w->cls = t->n_classes - 1; /* the sum is known wrong after the last class */
  w->op = -1;
  if (sum != t->ranks)
    return ts_fail(err, TS_EINPUT, "rank classes cover %lld ranks, the trace has %lld",
                   (long long)sum, (long long)t->ranks);
  return TS_OK;
}

/* One point-to-point message as seen by one side: sorted by (src, dst, op index) gives each
 * channel's messages in issue order. */
typedef struct p2p_msg {
  uint32_t src, dst, op;
  double bytes;
} p2p_msg;

static int p2p_cmp(const void *a, const void *b) {
  const p2p_msg *x = a, *y = b;
  if (x->src != y->src) return x->src < y->src ? -1 : 1;
  if (x->dst != y->dst) return x->dst < y->dst ? -1 : 1;
  return x->op < y->op ? -1 : x->op > y->op;
}

static ts_status collect_p2p(const trace *t, p2p_msg **sends, size_t *ns, p2p_msg **recvs,
                             size_t *nr, ts_err *err) {
  size_t n_send = 0, n_recv = 0;
  for (uint32_t ci = 0; ci < t->n_classes; ci++)
    for (uint32_t i = 0; i < t->classes[ci].n_ops; i++) {
      uint8_t k = t->classes[ci].ops[i].kind;
      n_send += k == TRACE_OP_SEND;
      n_recv += k == TRACE_OP_RECV;
    }
  *sends = malloc((n_send ? n_send : 1) * sizeof **sends);
  *recvs = malloc((n_recv ? n_recv : 1) * sizeof **recvs);
  if (!*sends || !*recvs) return ts_fail(err, TS_ENOMEM, "out of memory checking sends and recvs");
  *ns = *nr = 0;
  for (uint32_t ci = 0; ci < t->n_classes; ci++)
    for (uint32_t i = 0; i < t->classes[ci].n_ops; i++) {
      const trace_op *o = &t->classes[ci].ops[i];
      if (o->kind == TRACE_OP_SEND)
        (*sends)[(*ns)++] = (p2p_msg){ci, (uint32_t)o->peer, i, o->bytes};
      else if (o->kind == TRACE_OP_RECV)
        (*recvs)[(*nr)++] = (p2p_msg){(uint32_t)o->peer, ci, i, o->bytes};
    }
  qsort(*sends, *ns, sizeof **sends, p2p_cmp);
  qsort(*recvs, *nr, sizeof **recvs, p2p_cmp);
  return TS_OK;
}

static ts_status match_p2p(const trace *t, const p2p_msg *s, size_t ns, const p2p_msg *r, size_t nr,
                           trace_where *w, ts_err *err) {
  size_t i = 0;
  for (; i < ns && i < nr; i++) {
    const p2p_msg *a = &s[i], *b = &r[i];
    if (a->src != b->src || a->dst != b->dst) break;
    w->cls = a->src;
    w->op = a->op;
    if (a->bytes != b->bytes)
      return ts_fail(err, TS_EINPUT,
                     "class %s op %u sends %.17g bytes to class %s but its matching recv (op %u) "
                     "expects %.17g", t->classes[a->src].name, a->op, a->bytes,
                     t->classes[a->dst].name, b->op, b->bytes);
  }
  if (i == ns && i == nr) return TS_OK;
  /* The first unmatched channel: whichever side sorts first has a message the other lacks. */
  bool send_first = i < ns && (i == nr || p2p_cmp(&s[i], &r[i]) < 0);
  const p2p_msg *m = send_first ? &s[i] : &r[i];
  w->cls = send_first ? m->src : m->dst;
  w->op = m->op;
  if (send_first)
    return ts_fail(err, TS_EINPUT, "class %s op %u sends to class %s, which has no matching recv",
                   t->classes[m->src].name, m->op, t->classes[m->dst].name);
  return ts_fail(err, TS_EINPUT, "class %s op %u receives from class %s, which has no matching send",
                 t->classes[m->dst].name, m->op, t->classes[m->src].name);
}

static ts_status check_p2p(const trace *t, trace_where *w, ts_err *err) {
  p2p_msg *s = NULL, *r = NULL;
  size_t ns = 0, nr = 0;
  ts_status st = collect_p2p(t, &s, &ns, &r, &nr, err);
  if (!st) st = match_p2p(t, s, ns, r, nr, w, err);
  free(s);
  free(r);
  return st;
}

ts_status trace_check(const trace *t, trace_where *where, ts_err *err) {
  trace_where local;
  trace_where *w = where ? where : &local;
  w->comm = w->cls = w->op = -1;
  if (!t) return ts_fail(err, TS_EINPUT, "no trace");
  ts_status st = check_header(t, err);
  if (!st) st = check_comms(t, w, err);
  if (!st) st = check_classes(t, w, err);
  if (!st) st = check_p2p(t, w, err);
  if (!st) w->comm = w->cls = w->op = -1;
  return st;
}

ts_status trace_validate(const trace *t, ts_err *err) { return trace_check(t, NULL, err); }
