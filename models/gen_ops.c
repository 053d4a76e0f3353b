/* Emit primitives of the generator: compute ops, collectives, and Megatron's tensor-parallel
 * linear-layer pattern (Shoeybi et al. 2019; with sequence parallelism, Korthikanti et al. 2022).
 *
 * Dependencies: the generator threads a "chain" (the op that produced the tensor the next op
 * reads). An op names an earlier op only when it runs on another stream: ops on one stream run in
 * issue order (FIFO), so same-stream edges are implied and left out to keep traces small.
 * Overlap of communication with compute therefore follows from these edges alone: a collective
 * that nothing waits for right away (the SP re-gather for wgrad, DP buckets) overlaps compute.
 *
 * GEMM bytes: A, B and C read/written once in the activation dtype (M·K + K·N + M·N elements).
 * FLOPs: 2·M·N·K per product. Backward GEMMs: dgrad dX[T×K] = dY[T×N]·Wᵀ and wgrad
 * dW[K×N] = Xᵀ[K×T]·dY[T×N], each with the forward's FLOPs, so backward = 2 × forward. */
#include <math.h>

#include "models/gen_int.h"

static trace_stream comm_stream(gen_comm_id c) {
  switch (c) {
    case GEN_TP:
      return TRACE_STREAM_TP;
    case GEN_CP:
      return TRACE_STREAM_CP;
    case GEN_EP:
      return TRACE_STREAM_EP;
    case GEN_DP:
    case GEN_EDP:
      return TRACE_STREAM_DP;
    case GEN_PP:
    case GEN_COMM_COUNT:
      break;
  }
  return TRACE_STREAM_PP_SEND;
}

int64_t gen_emit(gen_ctx *g, trace_op op, const int64_t *deps, int n_deps) {
  if (g->failed) return -1;
  op.phase = g->phase;
  op.micro = g->micro;
  op.layer = g->layer;
  uint32_t use[8];
  uint32_t n = 0;
  const trace_class *c = &g->t->classes[g->cls];
  int64_t all[8];
  int n_all = 0;
  for (int i = 0; i < n_deps && n_all < 6; i++) all[n_all++] = deps[i];
  bool takes_pending =
      op.stream == TRACE_STREAM_COMPUTE && (g->pending[0] >= 0 || g->pending[1] >= 0);
  if (takes_pending) {
    all[n_all++] = g->pending[0];
    all[n_all++] = g->pending[1];
  }
  for (int i = 0; i < n_all; i++) {
    int64_t d = all[i];
    if (d < 0 || (uint64_t)d >= c->n_ops || c->ops[d].stream == op.stream) continue;
    bool dup = false;
    for (uint32_t j = 0; j < n; j++) dup = dup || use[j] == (uint32_t)d;
    if (!dup) use[n++] = (uint32_t)d;
  }
  int64_t idx = trace_add_op(g->t, g->cls, &op, use, n);
  if (idx < 0) {
    g->failed = true;
    return -1;
  }
  if (op.stream == TRACE_STREAM_COMPUTE) g->last_compute = idx;
  if (takes_pending) {
    g->pending[0] = g->pending[1] = -1;
    g->fsdp_prev = idx;
  }
  return idx;
}

static trace_op base_op(trace_op_kind kind, hw_dtype dt, trace_stream stream) {
  trace_op op = {0};
  op.kind = (uint8_t)kind;
  op.dtype = (uint8_t)dt;
  op.stream = (uint8_t)stream;
  op.comm = TRACE_NO_COMM;
  op.peer = -1;
  op.count = 1;
  return op;
}

int64_t gen_gemm_flops(gen_ctx *g, int64_t m, int64_t n, int64_t k, int64_t count, uint8_t flags,
                       double flops) {
  trace_op op = base_op(TRACE_OP_GEMM, g->sh.gemm_dt, TRACE_STREAM_COMPUTE);
  op.m = m > 0 ? m : 1;
  op.n = n;
  op.k = k;
  op.count = count;
  op.flags = flags;
  op.flops = flops;
  op.bytes = (double)count * ((double)op.m * k + (double)k * n + (double)op.m * n) * g->sh.act_b;
  int64_t idx = gen_emit(g, op, &g->chain, 1);
  if (idx >= 0) g->chain = idx;
  return idx;
}

int64_t gen_gemm(gen_ctx *g, int64_t m, int64_t n, int64_t k, int64_t count, uint8_t flags) {
  return gen_gemm_flops(g, m, n, k, count, flags, 2.0 * (double)count * m * n * k);
}

int64_t gen_mem(gen_ctx *g, trace_op_kind kind, double bytes) {
  trace_op op = base_op(kind, g->sh.act_dt, TRACE_STREAM_COMPUTE);
  op.bytes = bytes;
  int64_t idx = gen_emit(g, op, &g->chain, 1);
  if (idx >= 0) g->chain = idx;
  return idx;
}

int64_t gen_embedding_op(gen_ctx *g, double bytes, int64_t rows, int64_t width) {
  trace_op op = base_op(TRACE_OP_EMBEDDING, g->sh.act_dt, TRACE_STREAM_COMPUTE);
  op.bytes = bytes;
  op.m = rows, op.k = width;
  int64_t idx = gen_emit(g, op, &g->chain, 1);
  if (idx >= 0) g->chain = idx;
  return idx;
}

int64_t gen_coll(gen_ctx *g, trace_op_kind kind, gen_comm_id comm, double bytes, hw_dtype dt,
                 int64_t dep, bool detached) {
  if (g->comm[comm] < 0) return -1;
  trace_op op = base_op(kind, dt, comm_stream(comm));
  op.comm = (uint8_t)g->comm[comm];
  op.bytes = bytes;
  int64_t deps[2] = {detached ? -1 : g->chain, dep};
  int64_t idx = gen_emit(g, op, deps, 2);
  if (idx >= 0 && !detached) g->chain = idx;
  return idx;
}

void gen_tp_enter_fwd(gen_ctx *g, double elems) {
  if (g->sh.sp)
    gen_coll(g, TRACE_OP_ALL_GATHER, GEN_TP, elems * g->sh.act_b, g->sh.act_dt, -1, false);
}

void gen_tp_exit_fwd(gen_ctx *g, double elems) {
  trace_op_kind kind = g->sh.sp ? TRACE_OP_REDUCE_SCATTER : TRACE_OP_ALL_REDUCE;
  gen_coll(g, kind, GEN_TP, elems * g->sh.act_b, g->sh.act_dt, -1, false);
}

void gen_tp_enter_bwd(gen_ctx *g, double elems) {
  trace_op_kind kind = g->sh.sp ? TRACE_OP_REDUCE_SCATTER : TRACE_OP_ALL_REDUCE;
  gen_coll(g, kind, GEN_TP, elems * g->sh.act_b, g->sh.act_dt, -1, false);
}

void gen_tp_exit_bwd(gen_ctx *g, double elems) {
  if (g->sh.sp)
    gen_coll(g, TRACE_OP_ALL_GATHER, GEN_TP, elems * g->sh.act_b, g->sh.act_dt, -1, false);
}

int64_t gen_sp_regather(gen_ctx *g, double elems) {
  if (!g->sh.sp) return -1;
  return gen_coll(g, TRACE_OP_ALL_GATHER, GEN_TP, elems * g->sh.act_b, g->sh.act_dt, g->chain,
                  true);
}

int64_t gen_linear_bwd_flops(gen_ctx *g, int64_t t, int64_t n, int64_t k, int64_t count,
                             uint8_t flags, double fwd_flops, int64_t wgrad_dep) {
  int64_t grad_in = g->chain;
  gen_gemm_flops(g, t, k, n, count, flags, fwd_flops); /* dgrad: dX[t x k] = dY[t x n] W^T */
  int64_t dgrad = g->chain;
  /* wgrad: dW[k x n] = X^T[k x t] dY[t x n]; needs dY (grad_in) and X (wgrad_dep). */
  trace_op op = {0};
  op.kind = TRACE_OP_GEMM;
  op.dtype = (uint8_t)g->sh.gemm_dt;
  op.stream = TRACE_STREAM_COMPUTE;
  op.comm = TRACE_NO_COMM;
  op.peer = -1;
  op.m = k;
  op.n = n;
  op.k = t > 0 ? t : 1;
  op.count = count;
  op.flags = flags;
  op.flops = fwd_flops;
  op.bytes = (double)count * ((double)k * op.k + (double)op.k * n + (double)k * n) * g->sh.act_b;
  int64_t deps[2] = {grad_in, wgrad_dep};
  int64_t w = gen_emit(g, op, deps, 2);
  g->chain = dgrad;
  return w;
}

int64_t gen_linear_bwd(gen_ctx *g, int64_t t, int64_t n, int64_t k, int64_t count, uint8_t flags,
                       int64_t wgrad_dep) {
  return gen_linear_bwd_flops(g, t, n, k, count, flags, 2.0 * (double)count * t * n * k, wgrad_dep);
}
