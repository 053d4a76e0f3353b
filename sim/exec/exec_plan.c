/* What each rank of a host execution runs and needs, decided before anything runs: the class a
 * rank belongs to (classes are contiguous rank blocks, as the generator places pipeline stages
 * outermost), its ops split into FIFO streams (the one schedule both transports follow), the
 * peer of each send/recv, the working set of each op as executed in fp32, and the refusals
 * (trace not for `host`, rank count, memory). */
#include "sim/exec/exec.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/models.h"

int32_t exec_class_of(const trace *t, int64_t rank) {
  for (uint32_t ci = 0; ci < t->n_classes; ci++) {
    const trace_class *c = &t->classes[ci];
    if (rank >= c->first_rank && rank < c->first_rank + c->ranks) return (int32_t)ci;
  }
  return -1;
}

int64_t exec_comm_base(const trace_comm *cm, int64_t rank) {
  int64_t span = cm->size * cm->stride;
  return rank - rank % span + rank % cm->stride;
}

int64_t exec_p2p_peer(const trace *t, int64_t rank, uint32_t comm, uint32_t peer_cls) {
  if (comm >= t->n_comms) return -1;
  const trace_comm *cm = &t->comms[comm];
  int64_t base = exec_comm_base(cm, rank);
  for (int64_t i = 0; i < cm->size; i++) {
    int64_t m = base + i * cm->stride;
    if (exec_class_of(t, m) == (int32_t)peer_cls) return m;
  }
  return -1;
}

ts_status exec_schedule_build(const trace *t, uint32_t ci, exec_schedule *out, ts_err *err) {
  memset(out, 0, sizeof *out);
  if (ci >= t->n_classes) return ts_fail(err, TS_EINPUT, "class %u out of range", ci);
  const trace_class *c = &t->classes[ci];
  uint32_t count[TRACE_STREAM_COUNT] = {0};
  int comm_stream[TRACE_MAX_COMMS];
  for (int m = 0; m < TRACE_MAX_COMMS; m++) comm_stream[m] = -1;
  for (uint32_t i = 0; i < c->n_ops; i++) {
    const trace_op *o = &c->ops[i];
    if (o->stream >= TRACE_STREAM_COUNT || o->kind >= TRACE_OP_KIND_COUNT)
      return ts_fail(err, TS_EINPUT, "class %s op %u: stream or kind out of range", c->name, i);
    bool coll = trace_op_is_comm(o->kind) && o->kind != TRACE_OP_SEND && o->kind != TRACE_OP_RECV;
    if (coll && o->comm < TRACE_MAX_COMMS) {
      /* a communicator's collectives match by order of issue, so they must come from one stream */
      if (comm_stream[o->comm] >= 0 && comm_stream[o->comm] != o->stream)
        return ts_fail(err, TS_EINPUT,
                       "class %s op %u: communicator %u is used from streams %s and %s; host "
                       "execution needs one stream per communicator",
                       c->name, i, o->comm, trace_stream_name((trace_stream)comm_stream[o->comm]),
                       trace_stream_name((trace_stream)o->stream));
      comm_stream[o->comm] = o->stream;
    }
    count[o->stream]++;
    if (o->micro + 1 > out->n_micro) out->n_micro = o->micro + 1;
  }
  uint32_t *block = malloc((c->n_ops ? c->n_ops : 1) * sizeof *block);
  if (!block) return ts_fail(err, TS_ENOMEM, "class %s: schedule", c->name);
  uint32_t at = 0, idx_of[TRACE_STREAM_COUNT];
  for (int s = 0; s < TRACE_STREAM_COUNT; s++) {
    idx_of[s] = UINT32_MAX;
    if (!count[s] && s != TRACE_STREAM_COMPUTE) continue; /* compute stream always first */
    uint32_t k = out->n_streams++;
    idx_of[s] = k;
    out->stream_id[k] = (uint8_t)s;
    out->stream_ops[k] = block + at;
    at += count[s];
  }
  for (uint32_t i = 0; i < c->n_ops; i++) {
    uint32_t k = idx_of[c->ops[i].stream];
    out->stream_ops[k][out->stream_len[k]++] = i;
  }
  return TS_OK;
}

void exec_schedule_fini(exec_schedule *s) {
  free(s->stream_ops[0]);
  memset(s, 0, sizeof *s);
}

static double attn_bytes(const trace_op *op) {
  enum { BLOCK = 64 };
  double qkv = (double)op->m * (double)op->n * (double)op->k;
  /* Q, K, V, O, dO, dQ, dK, dV; row stats; block scratch (S, P, dP) */
  return 4.0 * (8.0 * qkv + 2.0 * (double)op->m * (double)op->n + 3.0 * BLOCK * BLOCK +
                2.0 * BLOCK * (double)op->k);
}

static double comm_bytes(const trace *t, const trace_op *op) {
  double msg = 4.0 * ceil(op->bytes / 4.0);
  if (msg < 4.0) msg = 4.0;
  double g =
      op->comm < t->n_comms && t->comms[op->comm].size > 0 ? (double)t->comms[op->comm].size : 1.0;
  switch ((trace_op_kind)op->kind) {
    case TRACE_OP_SEND:
    case TRACE_OP_RECV:
      return msg;
    /* + g words: MPI's block collectives round each member's part up */
    case TRACE_OP_ALL_GATHER:
    case TRACE_OP_REDUCE_SCATTER:
      return msg + 4.0 * ceil(msg / 4.0 / g) + 8.0 * g;
    default:
      return 2.0 * msg + 8.0 * g;
  }
}

double exec_op_bytes(const trace *t, const trace_op *op) {
  if (trace_op_is_comm((trace_op_kind)op->kind)) return comm_bytes(t, op);
  if (op->kind == TRACE_OP_GEMM)
    return 4.0 * ((double)op->m * (double)op->k + (double)op->k * (double)op->n +
                  (double)op->m * (double)op->n);
  if (op->kind == TRACE_OP_ATTENTION) return attn_bytes(op);
  double b = 8.0 * ceil(op->bytes / 8.0); /* in and out halves of whole floats */
  return b < 64.0 ? 64.0 : b;
}

ts_status exec_memory_need(const trace *t, int64_t first, int64_t n, exec_memory *out,
                           ts_err *err) {
  memset(out, 0, sizeof *out);
  if (t->has_model) {
    model_memory mem;
    ts_status st = model_memory_per_rank(&t->model, &t->plan, &mem, err);
    if (st) return st;
    out->model_bytes = mem.total_bytes;
  }
  for (int64_t r = first; r < first + n; r++) {
    int32_t ci = exec_class_of(t, r);
    if (ci < 0) return ts_fail(err, TS_EINPUT, "rank %lld belongs to no class", (long long)r);
    const trace_class *c = &t->classes[ci];
    double per[TRACE_STREAM_COUNT] = {0};
    for (uint32_t i = 0; i < c->n_ops; i++) {
      double b = exec_op_bytes(t, &c->ops[i]);
      uint8_t s = c->ops[i].stream < TRACE_STREAM_COUNT ? c->ops[i].stream : 0;
      if (b > per[s]) per[s] = b;
    }
    double rank_bytes = out->model_bytes;
    for (int s = 0; s < TRACE_STREAM_COUNT; s++) {
      rank_bytes += per[s];
      if (per[s] > out->stream_bytes[s]) out->stream_bytes[s] = per[s];
    }
    if (rank_bytes > out->rank_bytes) out->rank_bytes = rank_bytes;
    out->total_bytes += rank_bytes;
  }
  return TS_OK;
}

ts_status exec_check(const trace *t, int64_t ranks, double memory_limit_bytes, ts_err *err) {
  if (strcmp(t->system, "host") != 0)
    return ts_fail(err, TS_EINPUT,
                   "trace was made for system '%s'; exec runs only traces for 'host' "
                   "(trainsim gen --system host ...)",
                   t->system);
  if (ranks != 0 && ranks != t->ranks)
    return ts_fail(err, TS_EUSAGE, "%lld ranks given but the trace has %lld ranks",
                   (long long)ranks, (long long)t->ranks);
  if (t->ranks < 1 || t->ranks > 4096 || t->n_classes < 1)
    return ts_fail(err, TS_EINPUT, "trace has %lld ranks in %u classes; exec runs 1..4096 ranks",
                   (long long)t->ranks, t->n_classes);
  exec_memory mem;
  ts_status st = exec_memory_need(t, 0, t->ranks, &mem, err);
  if (st) return st;
  if (memory_limit_bytes > 0.0 && mem.total_bytes > memory_limit_bytes)
    return ts_fail(err, TS_ENOFIT,
                   "trace needs %.4g GB for its %lld ranks (%.4g GB per rank) but the host has "
                   "%.4g GB: over by %.4g GB",
                   mem.total_bytes / 1e9, (long long)t->ranks, mem.rank_bytes / 1e9,
                   memory_limit_bytes / 1e9, (mem.total_bytes - memory_limit_bytes) / 1e9);
  return TS_OK;
}
