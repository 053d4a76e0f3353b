/* The compute ops of a trace executed for real on fp32 buffers (data is random; the time is what
 * counts). GEMM: cblas_sgemm of the op's shape, `count` times. Attention: exec_attn.c. The
 * byte-sized ops move the op's bytes as fp32 words — the first half of the buffer is read, the
 * second half written — with the arithmetic their kind really does:
 *   norm        RMS norm over rows of `hidden` (sum of squares, scale);
 *   elementwise GELU (tanh form, a rational tanh), the activation being the bulk of these bytes;
 *   embedding   gathers (forward) or scatter-adds (backward) rows of `hidden` at pseudo-random
 *               token ids from the table in the model memory;
 *   loss        softmax cross-entropy over rows of the vocabulary shard: max, sum of exp, log,
 *               and in the backward the gradient softmax - one-hot;
 *   optimizer   Adam over bytes/28 parameters (p, g, m, v: 28 bytes of traffic per parameter).
 * exp is a polynomial (vectorisable, ~1e-7 relative), as CPU kernels use. */
#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "sim/exec/exec_int.h"

void exec_fill_random(float *p, size_t n, uint64_t seed) {
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    p[i] = (float)((double)(x >> 40) / (double)(1ull << 24) - 0.5); /* [-0.5, 0.5) */
  }
}

size_t exec_comm_floats(const trace_op *op) {
  double n = ceil(op->bytes / 4.0);
  return n < 1.0 ? 1 : (size_t)n;
}

static int64_t row_len(const trace *t, int64_t fallback) {
  return t->has_model && t->model.hidden > 0 ? t->model.hidden : fallback;
}

static void op_gemm(const trace *t, const trace_op *op, float *buf, size_t n, unsigned char *model,
                    size_t mb) {
  (void)t, (void)n, (void)model, (void)mb;
  int m = (int)op->m, nn = (int)op->n, k = (int)op->k;
  float *a = buf, *b = a + (size_t)m * (size_t)k, *c = b + (size_t)k * (size_t)nn;
  float alpha = 1.0f / sqrtf((float)(k > 0 ? k : 1)); /* keeps magnitudes stable op to op */
  for (int64_t i = 0; i < op->count; i++)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, nn, k, alpha, a, k, b, nn, 0.0f, c,
                nn);
}

static void op_attention(const trace *t, const trace_op *op, float *buf, size_t n,
                         unsigned char *model, size_t mb) {
  (void)t, (void)model, (void)mb;
  exec_attention(op, buf, n);
}

static void op_norm(const trace *t, const trace_op *op, float *buf, size_t n, unsigned char *model,
                    size_t mb) {
  (void)op, (void)model, (void)mb;
  size_t half = n / 2, h = (size_t)row_len(t, 1024);
  if (h > half) h = half ? half : 1;
  const float *x = buf;
  float *y = buf + half;
  for (size_t r = 0; r + h <= half; r += h) {
    float ss = 0.0f;
    for (size_t i = 0; i < h; i++) ss += x[r + i] * x[r + i];
    float inv = 1.0f / sqrtf(ss / (float)h + 1e-5f);
    for (size_t i = 0; i < h; i++) y[r + i] = x[r + i] * inv;
  }
}

static inline float fast_tanh(float x) { /* rational approximation, |error| < 2e-4 on [-3, 3] */
  x = x > 3.0f ? 3.0f : x < -3.0f ? -3.0f : x;
  float x2 = x * x;
  return x * (27.0f + x2) / (27.0f + 9.0f * x2);
}

static void op_elementwise(const trace *t, const trace_op *op, float *buf, size_t n,
                           unsigned char *model, size_t mb) {
  (void)t, (void)op, (void)model, (void)mb;
  size_t half = n / 2;
  const float *x = buf;
  float *y = buf + half;
  for (size_t i = 0; i < half; i++) {
    float v = x[i];
    y[i] = 0.5f * v * (1.0f + fast_tanh(0.7978845608f * (v + 0.044715f * v * v * v)));
  }
}

static void op_loss(const trace *t, const trace_op *op, float *buf, size_t n, unsigned char *model,
                    size_t mb) {
  (void)model, (void)mb;
  int64_t tp = t->has_model && t->plan.tp > 0 ? t->plan.tp : 1;
  size_t half = n / 2;
  size_t v = (size_t)(t->has_model && t->model.vocab > 0 ? t->model.vocab / tp : 4096);
  if (v < 1 || v > half) v = half ? half : 1;
  const float *x = buf;
  float *g = buf + half;
  bool bwd = op->phase == TRACE_PHASE_BACKWARD;
  for (size_t r = 0; r + v <= half; r += v) {
    float mx = x[r];
    for (size_t i = 1; i < v; i++) mx = x[r + i] > mx ? x[r + i] : mx;
    float sum = 0.0f;
    for (size_t i = 0; i < v; i++) sum += exec_fast_exp(x[r + i] - mx);
    float lse = mx + logf(sum);
    if (bwd) {
      for (size_t i = 0; i < v; i++) g[r + i] = exec_fast_exp(x[r + i] - lse);
      g[r + (r / v * 2654435761u) % v] -= 1.0f;
    } else {
      g[r / v] = lse - x[r + (r / v * 2654435761u) % v];
    }
  }
}

static void op_embedding(const trace *t, const trace_op *op, float *buf, size_t n,
                         unsigned char *model, size_t mb) {
  size_t h = (size_t)row_len(t, 1024);
  float *out = buf;
  float *table = (float *)model;
  size_t rows_table = mb / sizeof(float) / h;
  if (rows_table < 1) { /* no model memory: gather from the buffer's second half */
    table = buf + n / 2;
    rows_table = (n / 2) / h;
    n /= 2;
  }
  if (rows_table < 1 || h > n) return;
  bool bwd = op->phase == TRACE_PHASE_BACKWARD;
  uint64_t x = 88172645463325252ull;
  for (size_t r = 0; r + h <= n; r += h) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    float *row = table + (x % rows_table) * h;
    if (bwd)
      for (size_t i = 0; i < h; i++) row[i] += out[r + i];
    else
      memcpy(out + r, row, h * sizeof *row);
  }
}

static void op_optimizer(const trace *t, const trace_op *op, float *buf, size_t n,
                         unsigned char *model, size_t mb) {
  (void)t, (void)model, (void)mb;
  size_t params = (size_t)(op->bytes / 28.0);
  if (params * 4 > n) params = n / 4;
  float *p = buf, *g = p + params, *m = g + params, *v = m + params;
  const float lr = 1e-4f, b1 = 0.9f, b2 = 0.95f, eps = 1e-8f;
  for (size_t i = 0; i < params; i++) {
    m[i] = b1 * m[i] + (1.0f - b1) * g[i];
    v[i] = b2 * v[i] + (1.0f - b2) * g[i] * g[i];
    p[i] -= lr * m[i] / (sqrtf(fabsf(v[i])) + eps);
  }
}

typedef void (*exec_op_fn)(const trace *t, const trace_op *op, float *buf, size_t n,
                           unsigned char *model, size_t model_bytes);
static const exec_op_fn OPS[TRACE_OP_KIND_COUNT] = {
    [TRACE_OP_GEMM] = op_gemm,           [TRACE_OP_ATTENTION] = op_attention,
    [TRACE_OP_NORM] = op_norm,           [TRACE_OP_ELEMENTWISE] = op_elementwise,
    [TRACE_OP_EMBEDDING] = op_embedding, [TRACE_OP_LOSS] = op_loss,
    [TRACE_OP_OPTIMIZER] = op_optimizer,
};

void exec_compute(const trace *t, const trace_op *op, float *buf, size_t n, unsigned char *model,
                  size_t model_bytes) {
  if (op->kind < TRACE_OP_KIND_COUNT && OPS[op->kind])
    OPS[op->kind](t, op, buf, n, model, model_bytes);
}
