/* plan_check: a plan against a model and a system, one line per refusal naming the field, what
 * was found and what was needed. Rules (DESIGN.md): heads divisible by tp (KV heads replicated
 * when tp > kv_heads, as Megatron does); every pipeline chunk non-empty (uneven splits allowed);
 * gbs divisible by dp*mbs; experts by ep, and ep carved out of dp*cp; seq by cp (2*cp for the
 * load-balanced causal split); ranks tp*pp*dp*cp == chips * ranks_per_chip; dtype supported. */
#include "models/models.h"

static ts_status check_ranges(const plan *p, ts_err *err) {
  const struct {
    const char *key;
    int32_t v;
  } deg[] = {{"tp", p->tp}, {"pp", p->pp},   {"dp", p->dp},  {"cp", p->cp},
             {"ep", p->ep}, {"vpp", p->vpp}, {"mbs", p->mbs}};
  for (size_t i = 0; i < sizeof deg / sizeof deg[0]; i++)
    if (deg[i].v < 1)
      return ts_fail(err, TS_EINPUT, "plan: field '%s': %d, expected a positive degree", deg[i].key,
                     deg[i].v);
  if (p->pp > PLAN_MAX_PP || p->vpp > PLAN_MAX_PP)
    return ts_fail(err, TS_EINPUT, "plan: fields 'pp', 'vpp': %d and %d, expected at most %d each",
                   p->pp, p->vpp, PLAN_MAX_PP);
  if (p->gbs < 1)
    return ts_fail(err, TS_EINPUT, "plan: field 'gbs': %lld, expected >= 1", (long long)p->gbs);
  if (p->zero < 0 || p->zero > 3)
    return ts_fail(err, TS_EINPUT, "plan: field 'zero': %d, expected 0..3", p->zero);
  if ((unsigned)p->dtype >= HW_DTYPE_COUNT)
    return ts_fail(err, TS_EINPUT, "plan: field 'dtype': unknown data type %d", (int)p->dtype);
  if (p->vpp > 1 && p->schedule != PLAN_SCHED_INTERLEAVED)
    return ts_fail(err, TS_EINPUT, "plan: vpp=%d needs schedule=interleaved, not %s", p->vpp,
                   plan_schedule_name(p->schedule));
  if (p->schedule == PLAN_SCHED_INTERLEAVED && p->vpp < 2)
    return ts_fail(err, TS_EINPUT, "plan: schedule=interleaved needs vpp > 1 (got vpp=%d)", p->vpp);
  return TS_OK;
}

static ts_status check_heads(const plan *p, const model *m, ts_err *err) {
  if (m->heads % p->tp != 0)
    return ts_fail(err, TS_EINPUT, "plan: tp=%d does not divide the %lld heads of model '%s'",
                   p->tp, (long long)m->heads, m->name);
  bool ok = p->tp <= m->kv_heads ? m->kv_heads % p->tp == 0 : p->tp % m->kv_heads == 0;
  if (!ok)
    return ts_fail(err, TS_EINPUT,
                   "plan: tp=%d and the %lld KV heads of model '%s' do not divide one another",
                   p->tp, (long long)m->kv_heads, m->name);
  return TS_OK;
}

static ts_status check_layers(const plan *p, const model *m, ts_err *err) {
  int64_t chunks = (int64_t)p->pp * p->vpp;
  if (p->n_stage_layers > 0) {
    if (p->n_stage_layers != p->pp)
      return ts_fail(err, TS_EINPUT, "plan: field 'stage_layers': %d entries, expected pp=%d",
                     p->n_stage_layers, p->pp);
    int64_t sum = 0;
    for (int32_t i = 0; i < p->n_stage_layers; i++) {
      if (p->stage_layers[i] < p->vpp)
        return ts_fail(err, TS_EINPUT,
                       "plan: field 'stage_layers': stage %d has %d layers, fewer than "
                       "its vpp=%d chunks",
                       i, p->stage_layers[i], p->vpp);
      sum += p->stage_layers[i];
    }
    if (sum != m->layers)
      return ts_fail(err, TS_EINPUT,
                     "plan: field 'stage_layers': sums to %lld, model '%s' has %lld layers",
                     (long long)sum, m->name, (long long)m->layers);
    return TS_OK;
  }
  if (m->layers < chunks)
    return ts_fail(err, TS_EINPUT,
                   "plan: %lld layers of model '%s' cannot fill pp*vpp = %d*%d = %lld "
                   "chunks (a stage would be empty)",
                   (long long)m->layers, m->name, p->pp, p->vpp, (long long)chunks);
  return TS_OK;
}

static ts_status check_batch_and_seq(const plan *p, const model *m, ts_err *err) {
  int64_t per = (int64_t)p->dp * p->mbs;
  if (p->gbs % per != 0)
    return ts_fail(err, TS_EINPUT, "plan: gbs=%lld is not divisible by dp*mbs = %d*%d = %lld",
                   (long long)p->gbs, p->dp, p->mbs, (long long)per);
  if (m->seq % p->cp != 0)
    return ts_fail(err, TS_EINPUT, "plan: cp=%d does not divide seq %lld", p->cp,
                   (long long)m->seq);
  if (p->cp > 1 && m->seq % (2 * (int64_t)p->cp) != 0)
    return ts_fail(err, TS_EINPUT,
                   "plan: seq %lld is not divisible by 2*cp = %d (load-balanced causal "
                   "context parallelism)",
                   (long long)m->seq, 2 * p->cp);
  return TS_OK;
}

static ts_status check_experts(const plan *p, const model *m, ts_err *err) {
  if (p->ep == 1) return TS_OK;
  if (m->moe_experts == 0)
    return ts_fail(err, TS_EINPUT, "plan: ep=%d needs a mixture-of-experts model; '%s' is dense",
                   p->ep, m->name);
  if (m->moe_experts % p->ep != 0)
    return ts_fail(err, TS_EINPUT, "plan: ep=%d does not divide the %lld experts of model '%s'",
                   p->ep, (long long)m->moe_experts, m->name);
  int64_t dpcp = (int64_t)p->dp * p->cp;
  if (dpcp % p->ep != 0)
    return ts_fail(err, TS_EINPUT,
                   "plan: ep=%d does not divide dp*cp = %lld (EP is carved out of DP*CP)", p->ep,
                   (long long)dpcp);
  return TS_OK;
}

static ts_status check_system(const plan *p, const hw_system *sys, int64_t chips, ts_err *err) {
  if (!sys) return TS_OK;
  /* In double: the product of four degrees can pass 2^63; below 2^53 the comparison is exact. */
  double ranks = (double)p->tp * p->pp * p->dp * p->cp;
  double have = (double)chips * sys->chip.ranks_per_chip;
  if (chips < 1 || ranks != have)
    return ts_fail(err, TS_EINPUT,
                   "plan: tp*pp*dp*cp = %.0f ranks, but %lld chips x %d ranks per chip "
                   "of %s = %.0f ranks",
                   ranks, (long long)chips, sys->chip.ranks_per_chip, sys->name, have);
  if (!(sys->chip.peak_flops[p->dtype] > 0))
    return ts_fail(err, TS_EINPUT, "plan: dtype=%s is not supported by chip %s (no %s peak)",
                   hw_dtype_name(p->dtype), sys->chip.name, hw_dtype_name(p->dtype));
  return TS_OK;
}

ts_status plan_check(const plan *p, const model *m, const hw_system *sys, int64_t chips,
                     ts_err *err) {
  ts_status st = check_ranges(p, err);
  if (st == TS_OK) st = check_heads(p, m, err);
  if (st == TS_OK) st = check_layers(p, m, err);
  if (st == TS_OK) st = check_batch_and_seq(p, m, err);
  if (st == TS_OK) st = check_experts(p, m, err);
  if (st == TS_OK) st = check_system(p, sys, chips, err);
  return st;
}
