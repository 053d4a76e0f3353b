/* How a plan splits the layers across pipeline stages and their virtual chunks (DESIGN.md):
 * as evenly as possible, the extra layers going to the middle chunks first so the first chunk
 * (embedding) and the last (loss) take the smaller shares, e.g. Llama 3 405B's 126 layers on
 * pp=16 as 7/8/.../8/7. `stage_layers=a/b/..` fixes the split per stage; each stage's layers are
 * then spread evenly over its vpp chunks. Chunk c (model order) runs on stage c % pp. */
#include "models/models.h"

static int64_t even_chunk(int64_t layers, int64_t n, int64_t c) {
  int64_t q = layers / n, r = layers % n;
  if (n <= 2) return q + (c < r); /* no middle: the first chunk takes the extra layer */
  /* Middle chunks 1..n-2 take the first n-2 extras, then chunk 0. */
  if (c >= 1 && c <= n - 2) return q + (c <= r);
  if (c == 0) return q + (r > n - 2);
  return q;
}

int64_t plan_chunk_layers(const plan *p, const model *m, int32_t chunk) {
  int64_t v = p->vpp > 0 ? p->vpp : 1, n = (int64_t)p->pp * v;
  if (p->pp < 1 || chunk < 0 || chunk >= n) return 0;
  if (p->n_stage_layers > 0) {
    if (p->n_stage_layers != p->pp) return 0;
    int64_t stage = chunk % p->pp, virt = chunk / p->pp, total = p->stage_layers[stage];
    return total / v + (virt < total % v);
  }
  return even_chunk(m->layers, n, chunk);
}

/* Layers before chunk c under the even split, in closed form (no loop over chunks). */
static int64_t even_first(int64_t layers, int64_t n, int64_t c) {
  int64_t q = layers / n, r = layers % n;
  if (n <= 2) return c * q + (c < r ? c : r);
  if (c == 0) return 0;
  int64_t middle_before = c - 1 < r ? c - 1 : r; /* extras of middle chunks 1..c-1 */
  if (middle_before > n - 2) middle_before = n - 2;
  return c * q + (r > n - 2) + middle_before;
}

int64_t plan_chunk_first_layer(const plan *p, const model *m, int32_t chunk) {
  int64_t v = p->vpp > 0 ? p->vpp : 1, n = (int64_t)p->pp * v;
  if (p->pp < 1 || chunk <= 0) return 0;
  if (chunk > n) chunk = (int32_t)n;
  if (p->n_stage_layers == 0) return even_first(m->layers, n, chunk);
  int64_t first = 0;
  for (int32_t c = 0; c < chunk; c++) first += plan_chunk_layers(p, m, c);
  return first;
}

int64_t plan_stage_layers(const plan *p, const model *m, int32_t stage) {
  if (stage < 0 || stage >= p->pp) return 0;
  int64_t total = 0;
  for (int32_t v = 0; v < (p->vpp > 0 ? p->vpp : 1); v++)
    total += plan_chunk_layers(p, m, stage + v * p->pp);
  return total;
}
