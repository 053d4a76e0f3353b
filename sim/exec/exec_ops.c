/* The compute ops of a trace executed for real on fp32 buffers (data is random; the time is what
 * counts). GEMM: cblas_sgemm of the op's shape, `count` times. Attention: exec_attn.c. The
 * byte-sized ops move the op's bytes as fp32 words — the first half of the buffer is read, the
 * second half written — with the arithmetic their kind really does:
 *   norm        RMS norm over rows of `hidden` (sum of squares, scale);
 *   elementwise GELU (tanh form, a rational tanh), the activation being the bulk of these bytes;
 * (elementwise loops run in vectorisable blocks, exec_int.h: EXEC_VB)
 *   embedding   gathers (forward) or scatter-adds (backward) rows of the op's width (k; older
 *               traces: the model's `hidden`) at pseudo-random token ids from the table in the
 *               model memory;
 *   loss        softmax cross-entropy over rows of the vocabulary shard: max, sum of exp, log,
 *               and in the backward the gradient softmax - one-hot;
 *   optimizer   Adam over bytes/28 parameters (p, g, m, v: 28 bytes of traffic per parameter).
 * exp is a polynomial (vectorisable), as CPU kernels use. */
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

static float sum_squares(const float *x, size_t n) {
  float acc[EXEC_VB] = {0}, s = 0.0f;
  size_t i = 0;
  for (; i + EXEC_VB <= n; i += EXEC_VB)
    for (int j = 0; j < EXEC_VB; j++) acc[j] += x[i + j] * x[i + j];
  for (; i < n; i++) s += x[i] * x[i];
  for (int j = 0; j < EXEC_VB; j++) s += acc[j];
  return s;
}

static void scale(const float *restrict x, float *restrict y, size_t n, float a) {
  size_t i = 0;
  for (; i + EXEC_VB <= n; i += EXEC_VB)
    for (int j = 0; j < EXEC_VB; j++) y[i + j] = x[i + j] * a;
  for (; i < n; i++) y[i] = x[i] * a;
}

static void op_norm(const trace *t, const trace_op *op, float *buf, size_t n, unsigned char *model,
                    size_t mb) {
  (void)op, (void)model, (void)mb;
  size_t half = n / 2, h = (size_t)row_len(t, 1024);
  if (h > half) h = half ? half : 1;
  for (size_t r = 0; r + h <= half; r += h)
    scale(buf + r, buf + half + r, h, 1.0f / sqrtf(sum_squares(buf + r, h) / (float)h + 1e-5f));
}

static inline float gelu(float v) { /* tanh form; tanh(u) rational on |u| <= 3, |error| < 2e-4 */
  float u = exec_clampf(0.7978845608f * (v + 0.044715f * v * v * v), -3.0f, 3.0f), u2 = u * u;
  return 0.5f * v * (1.0f + u * (27.0f + u2) / (27.0f + 9.0f * u2));
}

static void gelu_pass(const float *restrict x, float *restrict y, size_t n) {
  size_t i = 0;
  for (; i + EXEC_VB <= n; i += EXEC_VB)
    for (int j = 0; j < EXEC_VB; j++) y[i + j] = gelu(x[i + j]);
  for (; i < n; i++) y[i] = gelu(x[i]);
}

static void op_elementwise(const trace *t, const trace_op *op, float *buf, size_t n,
                           unsigned char *model, size_t mb) {
  (void)t, (void)op, (void)model, (void)mb;
  gelu_pass(buf, buf + n / 2, n / 2);
}

static float sum_exp(const float *x, size_t n, float shift) {
  float acc[EXEC_VB] = {0}, s = 0.0f;
  size_t i = 0;
  for (; i + EXEC_VB <= n; i += EXEC_VB)
    for (int j = 0; j < EXEC_VB; j++) acc[j] += exec_fast_exp(x[i + j] - shift);
  for (; i < n; i++) s += exec_fast_exp(x[i] - shift);
  for (int j = 0; j < EXEC_VB; j++) s += acc[j];
  return s;
}

static void exp_pass(const float *restrict x, float *restrict y, size_t n, float shift) {
  size_t i = 0;
  for (; i + EXEC_VB <= n; i += EXEC_VB)
    for (int j = 0; j < EXEC_VB; j++) y[i + j] = exec_fast_exp(x[i + j] - shift);
  for (; i < n; i++) y[i] = exec_fast_exp(x[i] - shift);
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
    float mx = exec_row_max(x + r, v);
    float lse = mx + logf(sum_exp(x + r, v, mx));
    size_t label = r + (r / v * 2654435761u) % v;
    if (bwd) {
      exp_pass(x + r, g + r, v, lse);
      g[label] -= 1.0f;
    } else {
      g[r / v] = lse - x[label];
    }
  }
}

static void op_embedding(const trace *t, const trace_op *op, float *buf, size_t n,
                         unsigned char *model, size_t mb) {
  size_t h = (size_t)(op->k > 0 ? op->k : row_len(t, 1024)); /* the op's row width */
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

static inline float rsqrt_newton(float x) { /* 1/sqrt(x), x > 0: bit estimate + 2 Newton steps */
  uint32_t b;
  memcpy(&b, &x, sizeof b);
  b = 0x5f3759dfu - (b >> 1);
  float y;
  memcpy(&y, &b, sizeof y);
  y = y * (1.5f - 0.5f * x * y * y);
  return y * (1.5f - 0.5f * x * y * y);
}

static inline void adam1(float *p, float *m, float *v, float g) {
  const float lr = 1e-4f, b1 = 0.9f, b2 = 0.95f, eps2 = 1e-16f;
  *m = b1 * *m + (1.0f - b1) * g;
  *v = b2 * *v + (1.0f - b2) * g * g;
  *p -= lr * *m * rsqrt_newton(fabsf(*v) + eps2);
}

static void adam(float *restrict p, const float *restrict g, float *restrict m, float *restrict v,
                 size_t n) {
  size_t i = 0;
  for (; i + EXEC_VB <= n; i += EXEC_VB)
    for (int j = 0; j < EXEC_VB; j++) adam1(&p[i + j], &m[i + j], &v[i + j], g[i + j]);
  for (; i < n; i++) adam1(&p[i], &m[i], &v[i], g[i]);
}

static void op_optimizer(const trace *t, const trace_op *op, float *buf, size_t n,
                         unsigned char *model, size_t mb) {
  (void)t, (void)model, (void)mb;
  size_t params = (size_t)(op->bytes / 28.0);
  if (params * 4 > n) params = n / 4;
  adam(buf, buf + params, buf + 2 * params, buf + 3 * params, params);
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
