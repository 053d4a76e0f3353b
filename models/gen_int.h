/* Internals shared by the files of the workload generator (models/gen*.c); nothing outside
 * models/gen*.c includes this.
 *
 * The generator walks each pipeline stage's schedule (gen_sched.c) and, for every forward or
 * backward of a micro-batch, emits the ops of that stage's layers (gen_layer.c, gen_moe.c), the
 * pipeline transfers, embedding and loss (gen_pp.c), and the data-parallel gradient reduction and
 * optimizer (gen_dp.c). The emit primitives in gen_ops.c keep dependency edges minimal: an op names
 * an earlier op only when that op runs on another stream (same-stream order is implied by FIFO). */
#ifndef MODELS_GEN_INT_H
#define MODELS_GEN_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "models/gen.h"

/* ---- schedules (gen_sched.c) ----------------------------------------------------------------- */
typedef struct gen_event {
  bool fwd;
  int32_t chunk; /* model chunk (virtual stage index on this stage), 0..vpp-1 */
  int64_t micro; /* micro-batch */
} gen_event;

/* Events of stage `stage` in execution order: 2 * micro_batches * vpp of them, written to out
 * (capacity cap). GPipe: all forwards, then all backwards in reverse micro-batch order. 1F1B:
 * pp-stage-1 warm-up forwards, steady one-forward-one-backward, cool-down backwards. Interleaved:
 * Megatron-LM's schedule (warm-up 2(pp-stage-1) + (vpp-1)pp; chunk of the k-th virtual micro-batch
 * (k mod pp·vpp) / pp, reversed for backwards); needs micro_batches % pp == 0. */
ts_status gen_schedule(const plan *p, int32_t stage, int64_t micro_batches, gen_event *out,
                       int64_t cap, int64_t *n, ts_err *err);

/* ---- communicators --------------------------------------------------------------------------- */
typedef enum { GEN_TP, GEN_CP, GEN_DP, GEN_EP, GEN_EDP, GEN_PP, GEN_COMM_COUNT } gen_comm_id;

/* ---- per-rank shapes ---------------------------------------------------------------------------
 */
typedef struct gen_shape {
  int64_t tp, cp, ep, mbs, seq;
  bool sp;           /* sequence parallel in effect (plan.sp and tp > 1) */
  int64_t tokens;    /* T: tokens a rank's GEMMs see per micro-batch = mbs * seq / cp */
  int64_t tokens_sp; /* tokens held between TP regions: T / tp with SP, else T */
  int64_t seq_kv;    /* keys each query block attends over per micro-batch: mbs * seq */
  int64_t heads;     /* query heads per rank */
  int64_t kv_heads;  /* KV heads per rank (replicated when tp > kv_heads) */
  int64_t head_dim;
  int64_t qk_dim, v_dim; /* per-head dims of the attention core (latent: nope + rope, v_head) */
  double act_b;          /* bytes per activation element */
  double grad_b;         /* bytes per gradient element in the DP reduction (fp32, Megatron) */
  double param_b;        /* bytes per parameter in ZeRO/FSDP parameter all-gathers */
  hw_dtype gemm_dt, act_dt;
} gen_shape;

/* Parameters one rank holds, split by the group that reduces their gradients. */
typedef struct gen_params {
  double dense;  /* reduced over "dp" (DP x CP) */
  double expert; /* reduced over "edp" */
} gen_params;

/* ---- generator state for one class --------------------------------------------------------- */
typedef struct gen_ctx {
  const model *m;
  const plan *p;
  trace *t;
  gen_shape sh;
  int32_t comm[GEN_COMM_COUNT]; /* communicator index, -1 when absent (size 1) */
  int32_t cls;                  /* class being emitted (== stage) */
  int32_t stage;
  int64_t micro_batches;
  const int64_t *vs_first; /* first layer of each virtual stage (pp*vpp + 1 entries) */
  /* Current op attributes. */
  uint8_t phase;
  uint32_t micro;
  uint16_t layer;
  /* Data-dependence chain: the op that produced the tensor the next op consumes (-1 none). */
  int64_t chain;
  int64_t last_compute; /* last op emitted on the compute stream */
  bool failed;          /* an append failed (allocation or limit) */
  /* DP gradient buckets (gen_dp.c). */
  bool reduce_grads; /* this backward is the last micro-batch of its chunk */
  gen_params bucket;
  int64_t bucket_dep;   /* op the bucket's reduction waits for */
  double bucket_params; /* Megatron's bucket size, parameters */
  int64_t last_dp_op;
  int64_t fsdp_prev;  /* ZeRO-3 prefetch: gather for the next layer waits for this op */
  int64_t pending[2]; /* ZeRO-3 gathers the next compute op must wait for (-1 none) */
  double buckets_dense,
      buckets_expert;  /* gradient buckets reduced so far (sizes the param gathers) */
  gen_params deferred; /* gradients reduced after the backward (dp_overlap off) */
  /* PP receive matching (gen_pp.c). */
  const gen_event *const *sched; /* schedule of every stage */
  const int64_t *sched_len;
  int64_t cursor_prev, cursor_next; /* position in the prev/next stage's schedule */
  int64_t *recv_op;                 /* [2][vpp][micro] op index of the recv a consumer waits on */
} gen_ctx;

/* ---- emit primitives (gen_ops.c) ---------------------------------------------------------------
 */
/* Appends op (layer/micro/phase filled from ctx) with deps, dropping negatives and same-stream
 * ones. Returns the op index or -1 (ctx->failed set). */
int64_t gen_emit(gen_ctx *g, trace_op op, const int64_t *deps, int n_deps);
/* Compute op on the compute stream that consumes the chain; becomes the chain. */
int64_t gen_gemm(gen_ctx *g, int64_t m, int64_t n, int64_t k, int64_t count, uint8_t flags);
int64_t gen_gemm_flops(gen_ctx *g, int64_t m, int64_t n, int64_t k, int64_t count, uint8_t flags,
                       double flops);
int64_t gen_mem(gen_ctx *g, trace_op_kind kind, double bytes);
/* An embedding gather or scatter-add of `rows` rows of `width` elements (op m and k): a gather's
 * cost on a CPU goes by its rows (a cache and TLB miss each) as well as its bytes. */
int64_t gen_embedding_op(gen_ctx *g, double bytes, int64_t rows, int64_t width);
/* Collective on comm's stream consuming the chain (and dep); becomes the chain unless detached. */
int64_t gen_coll(gen_ctx *g, trace_op_kind kind, gen_comm_id comm, double bytes, hw_dtype dt,
                 int64_t dep, bool detached);
/* Linear layers under TP (Megatron): a column-parallel GEMM's input enters the TP region, a
 * row-parallel GEMM's output leaves it. Forward/backward pairs:
 *   enter: fwd all-gather (SP) | nothing;    bwd reduce-scatter (SP) | all-reduce
 *   exit:  fwd reduce-scatter (SP) | all-reduce;   bwd all-gather (SP) | nothing   */
void gen_tp_enter_fwd(gen_ctx *g, double elems);
void gen_tp_exit_fwd(gen_ctx *g, double elems);
void gen_tp_enter_bwd(gen_ctx *g, double elems);
void gen_tp_exit_bwd(gen_ctx *g, double elems);
/* Backward of Y[T x N] = X[T x K] W[K x N]: dgrad dX = dY W^T (becomes the chain), then wgrad
 * dW = X^T dY (after wgrad_dep, e.g. a re-gathered input). Returns the wgrad op. */
int64_t gen_linear_bwd(gen_ctx *g, int64_t t, int64_t n, int64_t k, int64_t count, uint8_t flags,
                       int64_t wgrad_dep);
int64_t gen_linear_bwd_flops(gen_ctx *g, int64_t t, int64_t n, int64_t k, int64_t count,
                             uint8_t flags, double fwd_flops, int64_t wgrad_dep);
/* SP: the input of a column-parallel linear is gathered again for its wgrad (Megatron saves only
 * the sequence shard). Detached from the chain so it overlaps the dgrad. -1 without SP. */
int64_t gen_sp_regather(gen_ctx *g, double elems);

/* ---- layers (gen_layer.c, gen_moe.c) -----------------------------------------------------------
 */
bool gen_layer_is_moe(const model *m, int64_t layer);
/* One transformer layer forward (phase fwd or recompute) and backward (recompute ops first when
 * the plan asks); the backward reports gradient buckets through gen_dp_add. */
void gen_layer_fwd(gen_ctx *g, int64_t layer);
void gen_layer_bwd(gen_ctx *g, int64_t layer);
void gen_moe_fwd(gen_ctx *g);
void gen_moe_bwd(gen_ctx *g);
/* The attention core's FLOPs per rank per micro-batch, full (non-causal) count. */
double gen_attention_full_flops(const gen_shape *sh);

/* ---- pipeline, embedding, loss (gen_pp.c) ---------------------------------------------------- */
void gen_event_emit(gen_ctx *g, const gen_event *ev, bool last_backward_of_chunk);

/* ---- data parallel, optimizer, parameter counts (gen_dp.c) ----------------------------------- */
gen_params gen_layer_params(const model *m, const gen_shape *sh, int64_t layer);
gen_params gen_embedding_params(const model *m, const gen_shape *sh);
gen_params gen_output_params(const model *m, const plan *p, const gen_shape *sh);
/* Adds a finished wgrad group to the current bucket (last micro-batch only), reducing the bucket
 * over dp/edp once it holds bucket_params; dep is the last wgrad op. ZeRO-3 reduce-scatters every
 * micro-batch instead. */
void gen_dp_add(gen_ctx *g, gen_params params, int64_t dep);
void gen_dp_flush(gen_ctx *g);
/* ZeRO-3: gather params before a forward/backward of a layer (prefetched one layer ahead). */
void gen_fsdp_gather(gen_ctx *g, gen_params params);
/* End of step: remaining buckets, optimizer over the rank's shard, parameter all-gather. */
void gen_dp_finish(gen_ctx *g, gen_params stage_params);

#endif
