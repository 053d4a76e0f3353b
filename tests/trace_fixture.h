/* A small, fully known trace shared by the trace tests (test_trace*.c, the bad-trace corpus and
 * the fuzz seeds): 8 ranks (tp=2, pp=2, dp=2), two pipeline stages of 4 ranks each, one layer
 * per stage, one micro-batch. Stage 0 runs embedding, a QKV GEMM, attention, a TP all-reduce and
 * sends its activations to stage 1; stage 1 receives them, runs a GEMM and the loss, and sends
 * the gradient back; each stage then reduce-scatters its gradients over DP and steps Adam.
 * Its FLOPs are hand counts (2·M·N·K per GEMM) that the tests check. */
#ifndef TESTS_TRACE_FIXTURE_H
#define TESTS_TRACE_FIXTURE_H

#include <string.h>

#include "traces/trace.h"

enum { FIX_M = 4096, FIX_N = 3072, FIX_K = 1024 };
#define FIX_GEMM_FLOPS (2.0 * FIX_M * FIX_N * FIX_K) /* 25769803776 */
#define FIX_ACT_BYTES (4096.0 * 1024 * 2)            /* activations, bf16: 8388608 */

static inline trace_op fix_op(trace_op_kind kind, trace_phase phase, int layer) {
  trace_op o;
  memset(&o, 0, sizeof o);
  o.kind = (uint8_t)kind;
  o.dtype = HW_BF16;
  o.phase = (uint8_t)phase;
  o.stream = TRACE_STREAM_COMPUTE;
  o.comm = TRACE_NO_COMM;
  o.layer = layer < 0 ? TRACE_NO_LAYER : (uint16_t)layer;
  o.peer = -1;
  o.count = 1;
  return o;
}

static inline trace_op fix_gemm(trace_phase phase, int layer) {
  trace_op o = fix_op(TRACE_OP_GEMM, phase, layer);
  o.m = FIX_M;
  o.n = FIX_N;
  o.k = FIX_K;
  o.flops = FIX_GEMM_FLOPS;
  o.bytes = 2.0 * (FIX_M * FIX_K + FIX_K * FIX_N + FIX_M * FIX_N);
  return o;
}

static inline trace_op fix_comm(trace_op_kind kind, trace_phase phase, int comm, int stream,
                                int peer, double bytes) {
  trace_op o = fix_op(kind, phase, -1);
  o.comm = (uint8_t)comm;
  o.stream = (uint8_t)stream;
  o.peer = peer;
  o.bytes = bytes;
  return o;
}

static inline trace *fix_trace(void) {
  trace *t = trace_new();
  t->has_model = true;
  snprintf(t->model.name, sizeof t->model.name, "tiny \"fixture\"");
  snprintf(t->model.source, sizeof t->model.source, "tests/trace_fixture.h");
  t->model.layers = 2;
  t->model.hidden = 1024;
  t->model.ffn = 4096;
  t->model.heads = 16;
  t->model.kv_heads = 16;
  t->model.head_dim = 64;
  t->model.vocab = 32000;
  t->model.seq = 4096;
  t->model.mlp = MODEL_MLP_GELU;
  t->plan = (plan){.tp = 2, .pp = 2, .dp = 2, .cp = 1, .ep = 1, .vpp = 1, .mbs = 1, .gbs = 2,
                   .recompute = PLAN_RECOMP_SELECTIVE, .zero = 1, .dtype = HW_BF16,
                   .schedule = PLAN_SCHED_1F1B, .sp = true, .tp_overlap = true,
                   .set = PLAN_SET_TP | PLAN_SET_PP | PLAN_SET_DP, .n_stage_layers = 2,
                   .stage_layers = {1, 1}};
  snprintf(t->system, sizeof t->system, "dgx-h100");
  t->chips = 8;
  t->ranks = 8;
  trace_add_comm(t, "tp", 2, 1);
  trace_add_comm(t, "dp", 2, 2);
  trace_add_comm(t, "pp", 2, 4);
  int32_t s0 = trace_add_class(t, "stage0", 0, 0, 4);
  int32_t s1 = trace_add_class(t, "stage1", 1, 4, 4);
  uint32_t d[2];
  /* stage 0 */
  trace_op o = fix_op(TRACE_OP_EMBEDDING, TRACE_PHASE_FORWARD, -1);
  o.bytes = FIX_ACT_BYTES;
  trace_add_op(t, s0, &o, NULL, 0);                                   /* 0 */
  o = fix_gemm(TRACE_PHASE_FORWARD, 0);
  d[0] = 0;
  trace_add_op(t, s0, &o, d, 1);                                      /* 1 */
  o = fix_op(TRACE_OP_ATTENTION, TRACE_PHASE_FORWARD, 0);
  o.flags = TRACE_FLAG_CAUSAL;
  o.m = 8, o.n = 4096, o.k = 64;
  o.flops = 0.1 + 1e9; /* a double that needs all 17 digits */
  o.bytes = 3.0 * FIX_ACT_BYTES;
  d[0] = 1;
  trace_add_op(t, s0, &o, d, 1);                                      /* 2 */
  o = fix_comm(TRACE_OP_ALL_REDUCE, TRACE_PHASE_FORWARD, 0, TRACE_STREAM_TP, -1, FIX_ACT_BYTES);
  o.layer = 0;
  d[0] = 2;
  trace_add_op(t, s0, &o, d, 1);                                      /* 3 */
  o = fix_comm(TRACE_OP_SEND, TRACE_PHASE_FORWARD, 2, TRACE_STREAM_PP_SEND, s1, FIX_ACT_BYTES);
  d[0] = 3;
  trace_add_op(t, s0, &o, d, 1);                                      /* 4 */
  o = fix_comm(TRACE_OP_RECV, TRACE_PHASE_BACKWARD, 2, TRACE_STREAM_PP_RECV, s1, FIX_ACT_BYTES);
  trace_add_op(t, s0, &o, NULL, 0);                                   /* 5 */
  o = fix_gemm(TRACE_PHASE_BACKWARD, 0);
  o.count = 2; /* dgrad and wgrad as one grouped entry */
  o.flops = 2 * FIX_GEMM_FLOPS;
  d[0] = 1, d[1] = 5;
  trace_add_op(t, s0, &o, d, 2);                                      /* 6 */
  o = fix_comm(TRACE_OP_REDUCE_SCATTER, TRACE_PHASE_BACKWARD, 1, TRACE_STREAM_DP, -1, 1.5e7);
  d[0] = 6;
  trace_add_op(t, s0, &o, d, 1);                                      /* 7 */
  o = fix_op(TRACE_OP_OPTIMIZER, TRACE_PHASE_OPTIMIZER, -1);
  o.dtype = HW_FP32;
  o.bytes = 6e7;
  d[0] = 7;
  trace_add_op(t, s0, &o, d, 1);                                      /* 8 */
  /* stage 1 */
  o = fix_comm(TRACE_OP_RECV, TRACE_PHASE_FORWARD, 2, TRACE_STREAM_PP_RECV, s0, FIX_ACT_BYTES);
  trace_add_op(t, s1, &o, NULL, 0);                                   /* 0 */
  o = fix_gemm(TRACE_PHASE_FORWARD, 1);
  d[0] = 0;
  trace_add_op(t, s1, &o, d, 1);                                      /* 1 */
  o = fix_op(TRACE_OP_LOSS, TRACE_PHASE_FORWARD, -1);
  o.flops = 3.0 * 4096 * 32000;
  o.bytes = 4096.0 * 32000 * 2;
  d[0] = 1;
  trace_add_op(t, s1, &o, d, 1);                                      /* 2 */
  o = fix_gemm(TRACE_PHASE_BACKWARD, 1);
  d[0] = 2;
  trace_add_op(t, s1, &o, d, 1);                                      /* 3 */
  o = fix_comm(TRACE_OP_SEND, TRACE_PHASE_BACKWARD, 2, TRACE_STREAM_PP_SEND, s0, FIX_ACT_BYTES);
  d[0] = 3;
  trace_add_op(t, s1, &o, d, 1);                                      /* 4 */
  o = fix_comm(TRACE_OP_REDUCE_SCATTER, TRACE_PHASE_BACKWARD, 1, TRACE_STREAM_DP, -1, 1.5e7);
  d[0] = 3;
  trace_add_op(t, s1, &o, d, 1);                                      /* 5 */
  o = fix_op(TRACE_OP_OPTIMIZER, TRACE_PHASE_OPTIMIZER, -1);
  o.dtype = HW_FP32;
  o.bytes = 6e7;
  d[0] = 5;
  trace_add_op(t, s1, &o, d, 1);                                      /* 6 */
  return t;
}

#endif
