/* One schedule event of a stage: the forward or backward of one model chunk for one micro-batch,
 * with the pipeline transfers around it, the embedding on the first virtual stage and the logits
 * and loss on the last.
 *
 * Virtual stages: chunk c of stage s is virtual stage v = c·pp + s (Megatron's interleaving), so
 * the last stage of chunk c feeds stage 0 of chunk c+1. Activations go v → v+1 in the forward,
 * gradients v → v-1 in the backward, as one SEND (stream pp_send, peer = receiving class) and one
 * RECV (stream pp_recv, peer = sending class) of mbs·(seq/cp)·hidden elements, divided by tp under
 * SP (Megatron sends the sequence shard).
 *
 * Matching: the k-th SEND from class A to class B pairs with the k-th RECV in B from A. Each
 * stage's sends follow its own schedule; a receiver posts its receives from A in A's send order.
 * When a forward or backward needs a message, the receiver walks A's schedule from where it left
 * off and posts a RECV for every message A sends it up to the one needed (receives have no
 * dependencies, so posting one early only lets it complete early). This keeps pairs consistent
 * even where one class pair carries both activations and gradients (pp = 2 with interleaving).
 *
 * Vocabulary-parallel embedding and loss (Megatron): each TP rank looks up / scores its V/tp slice;
 * the embedding output is all-reduced (reduce-scattered under SP) over "tp"; the logits GEMM is
 * column-parallel (h x V/tp) on the gathered sequence; the cross-entropy all-reduces three fp32
 * numbers per token (max, sum of exponentials, target logit) over "tp". */
#include "models/gen_int.h"

static int32_t vstage(const gen_ctx *g, int32_t chunk, int32_t stage) {
  return chunk * g->p->pp + stage;
}

static int32_t last_vstage(const gen_ctx *g) {
  return g->p->pp * g->p->vpp - 1;
}

static double p2p_bytes(const gen_ctx *g) {
  return (double)g->sh.tokens_sp * (double)g->m->hidden * g->sh.act_b;
}

/* Layer label of a transfer: the first layer the receiver runs (forward) or the last layer it
 * runs backward, TRACE_NO_LAYER when that virtual stage holds no layer. */
static uint16_t p2p_layer(const gen_ctx *g, bool fwd, int32_t v_from) {
  int64_t layer = fwd ? g->vs_first[v_from + 1] : g->vs_first[v_from] - 1;
  return layer >= 0 && layer < g->m->layers ? (uint16_t)layer : TRACE_NO_LAYER;
}

static trace_op p2p_op(const gen_ctx *g, trace_op_kind kind, int32_t peer) {
  trace_op op = {0};
  op.kind = (uint8_t)kind;
  op.dtype = (uint8_t)g->sh.act_dt;
  op.stream = kind == TRACE_OP_SEND ? TRACE_STREAM_PP_SEND : TRACE_STREAM_PP_RECV;
  op.comm = (uint8_t)g->comm[GEN_PP];
  op.peer = peer;
  op.count = 1;
  op.bytes = p2p_bytes(g);
  return op;
}

static int64_t recv_key(const gen_ctx *g, bool fwd, int32_t chunk, int64_t micro) {
  return ((fwd ? 0 : 1) * (int64_t)g->p->vpp + chunk) * g->micro_batches + micro;
}

/* Posts the receives for everything stage `from` sends this stage, in its order, up to `key`. */
static int64_t recv_for(gen_ctx *g, int32_t from, int64_t key) {
  int64_t *cursor =
      from == (g->stage + g->p->pp - 1) % g->p->pp ? &g->cursor_prev : &g->cursor_next;
  uint8_t phase = g->phase;
  uint32_t micro = g->micro;
  uint16_t layer = g->layer;
  int32_t pp = g->p->pp;
  while (g->recv_op[key] < 0 && *cursor < g->sched_len[from] && !g->failed) {
    const gen_event *e = &g->sched[from][(*cursor)++];
    int32_t v = vstage(g, e->chunk, from);
    bool sends =
        e->fwd ? v < last_vstage(g) && (v + 1) % pp == g->stage : v > 0 && (v - 1) % pp == g->stage;
    if (!sends) continue;
    int32_t chunk = (e->fwd ? v + 1 : v - 1) / pp;
    g->phase = e->fwd ? TRACE_PHASE_FORWARD : TRACE_PHASE_BACKWARD;
    g->micro = (uint32_t)e->micro;
    g->layer = p2p_layer(g, e->fwd, v);
    g->recv_op[recv_key(g, e->fwd, chunk, e->micro)] =
        gen_emit(g, p2p_op(g, TRACE_OP_RECV, from), NULL, 0);
  }
  g->phase = phase;
  g->micro = micro;
  g->layer = layer;
  return g->recv_op[key];
}

static void send_to(gen_ctx *g, bool fwd, int32_t v) {
  int32_t to = (fwd ? v + 1 : v - 1) % g->p->pp;
  uint16_t layer = g->layer;
  g->layer = p2p_layer(g, fwd, v);
  gen_emit(g, p2p_op(g, TRACE_OP_SEND, to), &g->chain, 1);
  g->layer = layer;
}

static void embedding(gen_ctx *g, bool fwd) {
  const gen_shape *sh = &g->sh;
  double th = (double)sh->tokens * g->m->hidden;
  g->layer = TRACE_NO_LAYER;
  if (g->p->zero >= 3) gen_fsdp_gather(g, gen_embedding_params(g->m, sh));
  if (fwd) {
    gen_embedding_op(g, th * sh->act_b + 8.0 * sh->tokens, sh->tokens, g->m->hidden);
    gen_tp_exit_fwd(g, th);
    return;
  }
  gen_tp_exit_bwd(g, th);
  gen_embedding_op(g, 2.0 * th * sh->act_b + 8.0 * sh->tokens, sh->tokens, g->m->hidden);
  gen_dp_add(g, gen_embedding_params(g->m, sh), g->last_compute);
}

static void logits_loss(gen_ctx *g, bool fwd) {
  const gen_shape *sh = &g->sh;
  int64_t t = sh->tokens, h = g->m->hidden, v = g->m->vocab / sh->tp;
  double th = (double)t * h, hidden_bytes = (double)sh->tokens_sp * h * sh->act_b;
  double logits = (double)t * v;
  g->layer = TRACE_NO_LAYER;
  if (g->p->zero >= 3) gen_fsdp_gather(g, gen_output_params(g->m, g->p, sh));
  if (fwd) {
    gen_mem(g, TRACE_OP_NORM, 2.0 * hidden_bytes);
    gen_tp_enter_fwd(g, th);
    gen_gemm(g, t, v, h, 1, 0);
    gen_mem(g, TRACE_OP_LOSS, logits * (sh->act_b + 4.0));
    gen_coll(g, TRACE_OP_ALL_REDUCE, GEN_TP, 12.0 * t, HW_FP32, -1, false);
    return;
  }
  gen_mem(g, TRACE_OP_LOSS, logits * (sh->act_b + 4.0));
  int64_t x = gen_sp_regather(g, th);
  gen_linear_bwd(g, t, v, h, 1, 0, x);
  gen_tp_enter_bwd(g, th);
  gen_mem(g, TRACE_OP_NORM, 3.0 * hidden_bytes);
  gen_dp_add(g, gen_output_params(g->m, g->p, sh), g->last_compute);
}

static void forward(gen_ctx *g, const gen_event *ev) {
  int32_t v = vstage(g, ev->chunk, g->stage);
  g->phase = TRACE_PHASE_FORWARD;
  if (v == 0)
    embedding(g, true);
  else
    g->chain =
        recv_for(g, (g->stage + g->p->pp - 1) % g->p->pp, recv_key(g, true, ev->chunk, ev->micro));
  for (int64_t layer = g->vs_first[v]; layer < g->vs_first[v + 1]; layer++) gen_layer_fwd(g, layer);
  if (v == last_vstage(g))
    logits_loss(g, true);
  else
    send_to(g, true, v);
}

static void backward(gen_ctx *g, const gen_event *ev, bool last) {
  int32_t v = vstage(g, ev->chunk, g->stage);
  g->phase = TRACE_PHASE_BACKWARD;
  g->reduce_grads = last;
  if (v == last_vstage(g))
    logits_loss(g, false);
  else
    g->chain = recv_for(g, (g->stage + 1) % g->p->pp, recv_key(g, false, ev->chunk, ev->micro));
  for (int64_t layer = g->vs_first[v + 1] - 1; layer >= g->vs_first[v]; layer--)
    gen_layer_bwd(g, layer);
  if (v == 0)
    embedding(g, false);
  else
    send_to(g, false, v);
  if (last) gen_dp_flush(g);
  g->reduce_grads = false;
}

void gen_event_emit(gen_ctx *g, const gen_event *ev, bool last_backward_of_chunk) {
  g->micro = (uint32_t)ev->micro;
  g->chain = -1;
  if (ev->fwd)
    forward(g, ev);
  else
    backward(g, ev, last_backward_of_chunk);
}
