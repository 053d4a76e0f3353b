/* Pipeline schedules: the order in which one stage runs the forwards and backwards of its
 * micro-batches. The bubble is not computed here; it appears in simulation from this order and
 * the send/recv dependencies between stages.
 *
 * - GPipe (Huang et al. 2019): every forward, then every backward (reverse micro-batch order, as
 *   autograd unwinds them).
 * - 1F1B (PipeDream-Flush, Narayanan et al. 2021; Megatron-LM forward_backward_pipelining_without_
 *   interleaving): min(pp - stage - 1, m) warm-up forwards, then one forward / one backward, then
 *   the remaining backwards.
 * - Interleaved 1F1B (Megatron-LM forward_backward_pipelining_with_interleaving): m*vpp virtual
 *   micro-batches; warm-up 2(pp - stage - 1) + (vpp - 1)pp forwards (all of them when that is not
 *   fewer than the total); the k-th virtual micro-batch runs chunk (k mod pp·vpp) / pp (reversed,
 *   vpp-1-chunk, for backwards) on micro-batch (k / (pp·vpp))·pp + k mod pp. */
#include "models/gen_int.h"

static gen_event virtual_event(const plan *p, int64_t k, bool fwd) {
  int64_t group = (int64_t)p->pp * p->vpp;
  int64_t in_group = k % group;
  int32_t chunk = (int32_t)(in_group / p->pp);
  if (!fwd) chunk = p->vpp - 1 - chunk;
  gen_event ev = {fwd, chunk, (k / group) * p->pp + k % p->pp};
  return ev;
}

static int64_t interleaved(const plan *p, int32_t stage, int64_t m, gen_event *out) {
  int64_t total = m * p->vpp;
  int64_t warmup = 2 * (int64_t)(p->pp - stage - 1) + (int64_t)(p->vpp - 1) * p->pp;
  if (warmup > total) warmup = total;
  int64_t n = 0;
  for (int64_t k = 0; k < warmup; k++) out[n++] = virtual_event(p, k, true);
  for (int64_t k = 0; k < total - warmup; k++) {
    out[n++] = virtual_event(p, k + warmup, true);
    out[n++] = virtual_event(p, k, false);
  }
  for (int64_t k = total - warmup; k < total; k++) out[n++] = virtual_event(p, k, false);
  return n;
}

static int64_t one_f_one_b(const plan *p, int32_t stage, int64_t m, gen_event *out) {
  int64_t warmup = p->pp - stage - 1;
  if (warmup > m) warmup = m;
  int64_t n = 0;
  for (int64_t j = 0; j < warmup; j++) out[n++] = (gen_event){true, 0, j};
  for (int64_t j = 0; j < m - warmup; j++) {
    out[n++] = (gen_event){true, 0, j + warmup};
    out[n++] = (gen_event){false, 0, j};
  }
  for (int64_t j = m - warmup; j < m; j++) out[n++] = (gen_event){false, 0, j};
  return n;
}

static int64_t gpipe(int64_t m, gen_event *out) {
  int64_t n = 0;
  for (int64_t j = 0; j < m; j++) out[n++] = (gen_event){true, 0, j};
  for (int64_t j = m - 1; j >= 0; j--) out[n++] = (gen_event){false, 0, j};
  return n;
}

ts_status gen_schedule(const plan *p, int32_t stage, int64_t micro_batches, gen_event *out,
                       int64_t cap, int64_t *n, ts_err *err) {
  if (stage < 0 || stage >= p->pp || micro_batches < 1 || p->vpp < 1)
    return ts_fail(err, TS_EINPUT,
                   "gen_schedule: stage %d of pp=%d with %lld micro-batches, vpp=%d", stage, p->pp,
                   (long long)micro_batches, p->vpp);
  int64_t need = 2 * micro_batches * p->vpp;
  if (cap < need)
    return ts_fail(err, TS_EINPUT, "gen_schedule: room for %lld events, need %lld", (long long)cap,
                   (long long)need);
  if (p->vpp > 1) {
    if (p->schedule == PLAN_SCHED_GPIPE)
      return ts_fail(err, TS_EINPUT,
                     "plan: schedule=gpipe with vpp=%d; GPipe has no virtual stages "
                     "(use schedule=interleaved or vpp=1)",
                     p->vpp);
    if (p->pp < 2)
      return ts_fail(err, TS_EINPUT,
                     "plan: vpp=%d needs pp >= 2 (interleaving chunks over one stage "
                     "is no pipeline)",
                     p->vpp);
    if (micro_batches % p->pp != 0)
      return ts_fail(err, TS_EINPUT,
                     "plan: the interleaved schedule needs the micro-batch count "
                     "(gbs/(dp*mbs) = %lld) to be a multiple of pp=%d",
                     (long long)micro_batches, p->pp);
    *n = interleaved(p, stage, micro_batches, out);
  } else if (p->schedule == PLAN_SCHED_GPIPE) {
    *n = gpipe(micro_batches, out);
  } else {
    *n = one_f_one_b(p, stage, micro_batches, out);
  }
  return TS_OK;
}
