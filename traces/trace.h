/* traces: the interchange. The in-memory trace of one training step, its versioned zlib-compressed
 * binary file (.tst, specified byte for byte in traces/FORMAT.md) and its text form.
 *
 * A trace holds the model, plan and system it was made for, the communicators, and one program
 * (ordered op list with dependencies) per rank class: ranks that run the same program share it, so
 * a 16,384-chip step is a few stage programs.
 *
 * Execution semantics (what sim/ implements): an op starts when every op it depends on has finished
 * and the previous op on its stream has finished (streams are FIFO, like CUDA streams). Deps always
 * name earlier ops of the same class, so the list is a topological order. A send and a recv match
 * across classes by (sender class, receiver class, order of issue). */
#ifndef TRACES_TRACE_H
#define TRACES_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hw/base/ts_err.h"
#include "models/models.h"

#define TRACE_OP_KIND_LIST(X)                                                               \
  X(TRACE_OP_GEMM, "gemm")                 /* C[MxN] = A[MxK] B[KxN], count of them */      \
  X(TRACE_OP_ATTENTION, "attention")       /* fused flash-attention core */                 \
  X(TRACE_OP_NORM, "norm")                 /* layer/RMS norm */                             \
  X(TRACE_OP_ELEMENTWISE, "elementwise")   /* activation, residual, dropout, rope, router */ \
  X(TRACE_OP_EMBEDDING, "embedding")                                                        \
  X(TRACE_OP_LOSS, "loss")                 /* softmax cross-entropy over the vocabulary */  \
  X(TRACE_OP_OPTIMIZER, "optimizer")       /* Adam step over the rank's parameter shard */  \
  X(TRACE_OP_ALL_REDUCE, "all_reduce")                                                      \
  X(TRACE_OP_ALL_GATHER, "all_gather")                                                      \
  X(TRACE_OP_REDUCE_SCATTER, "reduce_scatter")                                              \
  X(TRACE_OP_ALL_TO_ALL, "all_to_all")                                                      \
  X(TRACE_OP_SEND, "send")                                                                  \
  X(TRACE_OP_RECV, "recv")

typedef enum {
#define TRACE_OP_ENUM(e, s) e,
  TRACE_OP_KIND_LIST(TRACE_OP_ENUM)
#undef TRACE_OP_ENUM
  TRACE_OP_KIND_COUNT
} trace_op_kind;

const char *trace_op_kind_name(trace_op_kind k);
bool trace_op_kind_parse(const char *text, trace_op_kind *out);
bool trace_op_is_comm(trace_op_kind k);

typedef enum {
  TRACE_PHASE_FORWARD, TRACE_PHASE_BACKWARD, TRACE_PHASE_RECOMPUTE, TRACE_PHASE_OPTIMIZER,
  TRACE_PHASE_COUNT
} trace_phase;
const char *trace_phase_name(trace_phase p); /* "fwd", "bwd", "recompute", "optim" */
bool trace_phase_parse(const char *text, trace_phase *out);

/* Streams of a rank: compute, and one per kind of communication, so comm overlaps compute. */
typedef enum {
  TRACE_STREAM_COMPUTE, TRACE_STREAM_TP, TRACE_STREAM_CP, TRACE_STREAM_EP, TRACE_STREAM_DP,
  TRACE_STREAM_PP_SEND, TRACE_STREAM_PP_RECV, TRACE_STREAM_COUNT
} trace_stream;
const char *trace_stream_name(trace_stream s); /* "compute", "tp", "cp", "ep", "dp", "pp_send", "pp_recv" */
bool trace_stream_parse(const char *text, trace_stream *out);

enum { TRACE_NO_LAYER = 0xffff, TRACE_NO_COMM = 0xff };
enum { TRACE_FLAG_CAUSAL = 1 << 0, TRACE_FLAG_EXPERT = 1 << 1 };

typedef struct trace_op {
  uint8_t kind;      /* trace_op_kind */
  uint8_t dtype;     /* hw_dtype of the data */
  uint8_t phase;     /* trace_phase */
  uint8_t stream;    /* trace_stream */
  uint8_t comm;      /* communicator index, TRACE_NO_COMM for compute ops */
  uint8_t flags;     /* TRACE_FLAG_* */
  uint16_t layer;    /* transformer layer (global index) or TRACE_NO_LAYER */
  uint32_t micro;    /* micro-batch index */
  int32_t peer;      /* send/recv: peer class index; -1 otherwise */
  int64_t m, n, k;   /* GEMM: C[MxN] = A[MxK] B[KxN]; attention: batch*heads, seq_q, head_dim */
  int64_t count;     /* GEMM: how many such products (grouped expert GEMMs); else 1 */
  double flops;      /* FLOPs this op executes on the rank */
  double bytes;      /* compute: HBM bytes moved; comm: NCCL-convention size per rank
                        (all-reduce: buffer; all-gather: output; reduce-scatter: input;
                        all-to-all: bytes sent; send/recv: message) */
  uint32_t dep_first; /* index into the class's deps array */
  uint32_t dep_count;
  double duration_s;  /* measured duration of a compute op (captured traces: Chakra
                         duration_micros); 0 = none, the kernel model times the op. A trace with
                         any non-zero duration_s is written as format version 2. */
} trace_op;

/* A communicator: the ranks r, r+stride, ..., r+(size-1)*stride around a rank r of the group.
 * Placement (which chips) follows from the rank → chip mapping. */
typedef struct trace_comm {
  char name[16];     /* "tp", "cp", "ep", "dp", "edp", "pp" */
  int64_t size;
  int64_t stride;
} trace_comm;

typedef struct trace_class {
  char name[32];      /* "stage0" */
  int32_t stage;      /* pipeline stage, -1 if not applicable */
  int64_t first_rank; /* the class's representative rank */
  int64_t ranks;      /* how many ranks run this program */
  uint32_t n_ops;
  trace_op *ops;
  uint32_t n_deps;
  uint32_t *deps;     /* op indices, each < the op that names it */
  uint32_t cap_ops;   /* allocated lengths of ops and deps (growable arrays) */
  uint32_t cap_deps;
} trace_class;

enum { TRACE_MAX_COMMS = 16 };

typedef struct trace {
  uint32_t version;
  bool has_model;          /* false for imported traces (Chakra) */
  model model;
  plan plan;
  char system[HW_NAME_MAX];
  int64_t chips;
  int64_t ranks;           /* chips x ranks per chip */
  uint32_t n_comms;
  trace_comm comms[TRACE_MAX_COMMS];
  uint32_t n_classes;
  trace_class *classes;
  uint32_t cap_classes;    /* allocated length of classes */
} trace;

/* The newest format this trainsim reads and writes. Version 2 adds the op field duration_s; a trace
 * without measured durations is still written as version 1 (byte-identical to earlier releases),
 * and version 1 files stay readable. t->version is the version of the file a trace was read from
 * (new traces: TRACE_FORMAT_VERSION); writers pick trace_format_version_needed(t). */
enum { TRACE_FORMAT_VERSION = 2, TRACE_FORMAT_VERSION_DURATION = 2 };
/* 2 when an op carries a measured duration_s, else 1. */
uint32_t trace_format_version_needed(const trace *t);
/* Limits every trace obeys (checked by trace_add_* and by both readers; see traces/FORMAT.md). */
enum {
  TRACE_MAX_CLASSES = 1 << 20,
  TRACE_MAX_OPS = 1 << 28,       /* per class */
  TRACE_MAX_DEPS = 1 << 30,      /* per class */
  TRACE_MAX_STRING = 4096        /* bytes of any string in a file */
};

/* Construction (used by the generator and readers). Classes and ops grow as needed. */
trace *trace_new(void);
void trace_free(trace *t);
/* Adds a class; returns its index or -1 on allocation failure. */
int32_t trace_add_class(trace *t, const char *name, int32_t stage, int64_t first_rank, int64_t ranks);
/* Appends an op with its deps (indices of earlier ops in the class); returns the op index, or -1
 * on allocation failure, a class index out of range, a dep that is not an earlier op, or a limit
 * (TRACE_MAX_OPS, TRACE_MAX_DEPS) reached. The op's dep_first/dep_count are set here. */
int64_t trace_add_op(trace *t, int32_t cls, const trace_op *op, const uint32_t *deps, uint32_t n_deps);
/* Adds a communicator; returns its index or -1. */
int32_t trace_add_comm(trace *t, const char *name, int64_t size, int64_t stride);
/* Full consistency check: deps earlier, indices in range, send/recv pairs match, numbers finite.
 * Also: every enum in range; compute ops on the compute stream with comm == TRACE_NO_COMM; comm
 * ops name a communicator; peer is a class for send/recv and -1 otherwise; count >= 1; flops and
 * bytes finite and >= 0; deps stored in op order (dep_first == sum of earlier dep_count); class
 * ranks sum to t->ranks; with a model, tp*pp*dp*cp == ranks and layers < model.layers. */
ts_status trace_validate(const trace *t, ts_err *err);

/* Binary file (.tst): whole or nothing on write; reader checks every length and count. */
ts_status trace_write_file(const trace *t, const char *path, ts_err *err);
ts_status trace_read_file(const char *path, trace **out, ts_err *err);
ts_status trace_write_mem(const trace *t, unsigned char **data, size_t *len, ts_err *err);
/* name is used in messages for the byte offsets. */
ts_status trace_read_mem(const char *name, const unsigned char *data, size_t len, trace **out,
                         ts_err *err);

/* Text form: one op per line; binary → text → binary is byte-identical. */
ts_status trace_write_text(const trace *t, FILE *fp, ts_err *err);
ts_status trace_read_text(const char *name, const char *text, size_t len, trace **out, ts_err *err);

/* Totals for `trace show`. */
typedef struct trace_summary {
  uint64_t ops_by_kind[TRACE_OP_KIND_COUNT];   /* ops in the programs (each class counted once) */
  double flops_by_kind[TRACE_OP_KIND_COUNT];   /* summed over ranks of each class */
  double bytes_by_comm[TRACE_MAX_COMMS];       /* summed over ranks of each class */
  uint64_t total_ops;
  double total_flops; /* summed over ranks of each class */
  double bytes_by_kind[TRACE_OP_KIND_COUNT];   /* summed over ranks of each class */
  uint64_t total_deps;
} trace_summary;

void trace_summarize(const trace *t, trace_summary *out);

/* ---- replay at another scale (traces/trace_rescale.c) -------------------------------------------
 * Re-sizes the data-parallel dimension: the per-rank programs stay; the DP communicator (native: the
 * one named "dp"; imported: the outermost collective communicator, not the pipeline's, whose stride
 * is tiled by the inner ones, see trace_rescale.c) becomes new_dp wide, with every communicator that
 * spans DP (edp, a world group); groups inside a block of DP replicas (ep) keep their width;
 * communicators outside DP (pp) get their stride rescaled; class ranks, trace ranks and chips scale
 * by new_dp / old_dp. With a model: plan.dp = new_dp, gbs scales (micro-batches per DP rank kept)
 * and, with ZeRO >= 1, the optimizer op's shard scales by old_dp / new_dp. */
typedef struct trace_rescale_info {
  int32_t dp_comm;        /* index of the DP communicator */
  int64_t old_dp, new_dp;
  int64_t old_ranks, new_ranks;
  int64_t old_gbs, new_gbs; /* 0 without a model */
  uint32_t restrided;     /* communicators whose stride changed (pp) */
  bool edp;               /* an "edp" communicator was resized too */
} trace_rescale_info;

/* Finds the DP communicator (TS_EINPUT with the reason when there is none); no change to t. */
ts_status trace_dp_comm(const trace *t, int32_t *comm, ts_err *err);
/* Re-sizes t in place to new_dp (>= 1); info may be NULL. On error t is unchanged. */
ts_status trace_rescale_dp(trace *t, int64_t new_dp, trace_rescale_info *info, ts_err *err);

#endif
