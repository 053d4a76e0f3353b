/* The attention core executed as flash attention blocks it (Dao et al., FlashAttention-2): per
 * head, query blocks of 64 rows against key/value blocks of 64 columns up to the causal diagonal,
 * S = Q Kᵀ and O += P V with sgemm, the softmax online (running max and sum) in between; the
 * backward recomputes P from the saved log-sum-exp and runs the five block products
 * dV += Pᵀ dO, dP = dO Vᵀ, dS = P (dP - D), dQ += dS K, dK += dSᵀ Q — 2.5x the forward's FLOPs,
 * as the trace counts. op: m = batch x heads, n = sequence, k = head dimension. */
#include <cblas.h>
#include <math.h>

#include "sim/exec/exec_int.h"

enum { BLK = 64 };
static const float MASKED = -1e4f; /* exp() of it is 0 at float precision; finite for the clamp */

typedef struct attn_bufs {
  float *q, *k, *v, *o, *dout, *dq, *dk, *dv, *lse, *dsum, *s, *p, *dp;
} attn_bufs;

size_t exec_attention_floats(const trace_op *op) {
  size_t qkv = (size_t)op->m * (size_t)op->n * (size_t)op->k;
  return 8 * qkv + 2 * (size_t)op->m * (size_t)op->n + 3 * BLK * BLK + 2 * BLK * (size_t)op->k;
}

static void carve(const trace_op *op, float *buf, attn_bufs *b) {
  size_t qkv = (size_t)op->m * (size_t)op->n * (size_t)op->k, rows = (size_t)op->m * (size_t)op->n;
  float **arr[8] = {&b->q, &b->k, &b->v, &b->o, &b->dout, &b->dq, &b->dk, &b->dv};
  for (int i = 0; i < 8; i++) *arr[i] = buf + (size_t)i * qkv;
  b->lse = buf + 8 * qkv;
  b->dsum = b->lse + rows;
  b->s = b->dsum + rows;
  b->p = b->s + BLK * BLK;
  b->dp = b->p + BLK * BLK;
}

/* Scaled, causally masked scores of one block: s[i][j] for query i0+i, key j0+j. */
static void scores(const float *q, const float *k, int d, int i0, int bi, int j0, int bj,
                   float scale, float *s) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, bi, bj, d, scale, q + (size_t)i0 * d, d,
              k + (size_t)j0 * d, d, 0.0f, s, BLK);
  for (int i = 0; i < bi; i++)
    for (int j = 0; j < bj; j++)
      if (j0 + j > i0 + i) s[i * BLK + j] = MASKED;
}

static void forward_head(const attn_bufs *b, size_t off, size_t row_off, int n, int d,
                         float scale) {
  const float *q = b->q + off, *k = b->k + off, *v = b->v + off;
  float *o = b->o + off, *lse = b->lse + row_off, *s = b->s;
  float mx[BLK], sum[BLK];
  for (int i0 = 0; i0 < n; i0 += BLK) {
    int bi = n - i0 < BLK ? n - i0 : BLK;
    for (int i = 0; i < bi; i++) mx[i] = MASKED, sum[i] = 0.0f;
    for (int x = 0; x < bi * d; x++) o[(size_t)i0 * d + x] = 0.0f;
    for (int j0 = 0; j0 <= i0 + bi - 1; j0 += BLK) {
      int bj = n - j0 < BLK ? n - j0 : BLK;
      scores(q, k, d, i0, bi, j0, bj, scale, s);
      for (int i = 0; i < bi; i++) {
        float row = exec_row_max(s + i * BLK, (size_t)bj);
        float m_new = 0.5f * (mx[i] + row + fabsf(mx[i] - row));
        float corr = exec_fast_exp(mx[i] - m_new);
        sum[i] = sum[i] * corr + exec_exp_row(s + i * BLK, (size_t)bj, m_new);
        mx[i] = m_new;
        for (int x = 0; x < d; x++) o[(size_t)(i0 + i) * d + x] *= corr;
      }
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, bi, d, bj, 1.0f, s, BLK,
                  v + (size_t)j0 * d, d, 1.0f, o + (size_t)i0 * d, d);
    }
    for (int i = 0; i < bi; i++) {
      float inv = 1.0f / sum[i];
      for (int x = 0; x < d; x++) o[(size_t)(i0 + i) * d + x] *= inv;
      lse[i0 + i] = mx[i] + logf(sum[i]);
    }
  }
}

static void backward_block(const attn_bufs *b, size_t off, size_t row_off, int d, int i0, int bi,
                           int j0, int bj, float scale) {
  const float *q = b->q + off, *k = b->k + off, *v = b->v + off, *dout = b->dout + off;
  float *dq = b->dq + off, *dk = b->dk + off, *dv = b->dv + off, *p = b->p, *dp = b->dp;
  const float *lse = b->lse + row_off, *dsum = b->dsum + row_off;
  scores(q, k, d, i0, bi, j0, bj, scale, p);
  for (int i = 0; i < bi; i++) exec_exp_row(p + i * BLK, (size_t)bj, lse[i0 + i]);
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, bj, d, bi, 1.0f, p, BLK,
              dout + (size_t)i0 * d, d, 1.0f, dv + (size_t)j0 * d, d);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, bi, bj, d, 1.0f, dout + (size_t)i0 * d, d,
              v + (size_t)j0 * d, d, 0.0f, dp, BLK);
  for (int i = 0; i < bi; i++)
    for (int j = 0; j < bj; j++)
      dp[i * BLK + j] = p[i * BLK + j] * (dp[i * BLK + j] - dsum[i0 + i]) * scale;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, bi, d, bj, 1.0f, dp, BLK,
              k + (size_t)j0 * d, d, 1.0f, dq + (size_t)i0 * d, d);
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, bj, d, bi, 1.0f, dp, BLK, q + (size_t)i0 * d,
              d, 1.0f, dk + (size_t)j0 * d, d);
}

static void backward_head(const attn_bufs *b, size_t off, size_t row_off, int n, int d,
                          float scale) {
  for (int i = 0; i < n; i++) { /* D_i = rowsum(dO_i * O_i) */
    float acc = 0.0f;
    for (int x = 0; x < d; x++)
      acc += b->dout[off + (size_t)i * d + x] * b->o[off + (size_t)i * d + x];
    b->dsum[row_off + i] = acc;
    b->lse[row_off + i] = fabsf(b->lse[row_off + i]); /* keep exp() of random data bounded */
  }
  for (int j0 = 0; j0 < n; j0 += BLK) {
    int bj = n - j0 < BLK ? n - j0 : BLK;
    for (int i0 = j0 - j0 % BLK; i0 < n; i0 += BLK) {
      int bi = n - i0 < BLK ? n - i0 : BLK;
      backward_block(b, off, row_off, d, i0, bi, j0, bj, scale);
    }
  }
}

void exec_attention(const trace_op *op, float *buf, size_t n_floats) {
  if (op->m < 1 || op->n < 1 || op->k < 1 || n_floats < exec_attention_floats(op)) return;
  attn_bufs b;
  carve(op, buf, &b);
  int n = (int)op->n, d = (int)op->k;
  float scale = 1.0f / sqrtf((float)d);
  bool bwd = op->phase == TRACE_PHASE_BACKWARD;
  for (int64_t h = 0; h < op->m; h++) {
    size_t off = (size_t)h * (size_t)n * (size_t)d, row_off = (size_t)h * (size_t)n;
    if (bwd)
      backward_head(&b, off, row_off, n, d, scale);
    else
      forward_head(&b, off, row_off, n, d, scale);
  }
}
