/* One validation row end to end: the model (zoo entry with the architecture columns overriding
 * it, or the columns alone through the inline model form, so both get model_load's defaults and
 * checks), the system (nic_Gbps_per_chip replaces the scale-out bandwidth per chip), the partial
 * plan (the plan columns given, through plan_parse so the set bits and defaults are the same as
 * on the command line), then search_best with those fields fixed — a row with every plan field is
 * a search of one plan — and the conversion to the row's metric. Published plans are never
 * refused for memory (DESIGN.md): when nothing fits, the search runs again keeping plans over HBM
 * and the outcome is flagged. A system whose stack runs unfused attention marks the plan
 * attention=naive, so the memory fit counts the s^2 scores. Plan degrees count ranks as the
 * framework sees them (NeuronCores on Trainium), exactly as plan_check counts them: chips x
 * ranks per chip. */
#include <stdio.h>
#include <string.h>

#include "sim/study/study.h"
#include "sim/validate/validate.h"

static bool given(const validate_row *r, validate_column c) {
  return (r->given & ((uint64_t)1 << c)) != 0;
}

/* Appends "key=value," for each architecture column given. */
static void arch_spec(const validate_row *r, char *buf, size_t cap) {
  size_t n = 0;
  buf[0] = '\0';
  for (int c = VC_LAYERS; c <= VC_DENSE_LAYERS && n < cap; c++) {
    if (!given(r, (validate_column)c)) continue;
    if (c == VC_MLP)
      n += (size_t)snprintf(buf + n, cap - n, "%smlp=%s", n ? "," : "", model_mlp_name(r->mlp));
    else
      n += (size_t)snprintf(buf + n, cap - n, "%s%s=%lld", n ? "," : "",
                            validate_column_name((validate_column)c), (long long)r->arch[c]);
  }
}

static void override_arch(const validate_row *r, model *m) {
  bool default_head_dim = m->attn == MODEL_ATTN_STANDARD && m->heads > 0 &&
                          m->head_dim == m->hidden / m->heads;
  bool default_moe_ffn = m->moe_ffn == m->ffn;
  int64_t *field[VC_COUNT] = {
      [VC_LAYERS] = &m->layers, [VC_HIDDEN] = &m->hidden, [VC_FFN] = &m->ffn,
      [VC_HEADS] = &m->heads, [VC_KV_HEADS] = &m->kv_heads, [VC_VOCAB] = &m->vocab,
      [VC_SEQ] = &m->seq, [VC_MOE_EXPERTS] = &m->moe_experts, [VC_MOE_TOPK] = &m->moe_topk,
      [VC_MOE_FFN] = &m->moe_ffn, [VC_MOE_SHARED] = &m->moe_shared,
      [VC_DENSE_LAYERS] = &m->dense_layers};
  for (int c = VC_LAYERS; c <= VC_DENSE_LAYERS; c++)
    if (field[c] && given(r, (validate_column)c)) *field[c] = r->arch[c];
  if (given(r, VC_MLP)) m->mlp = r->mlp;
  if (default_head_dim && m->heads > 0) m->head_dim = m->hidden / m->heads;
  if (default_moe_ffn && !given(r, VC_MOE_FFN)) m->moe_ffn = m->ffn;
  if (given(r, VC_HEADS) && !given(r, VC_KV_HEADS) && m->kv_heads > m->heads) m->kv_heads = m->heads;
}

ts_status validate_row_model(const validate_row *r, model *out, ts_err *err) {
  ts_status st;
  if (given(r, VC_MODEL)) {
    st = model_load(r->model, out, err);
    if (st) return st;
    override_arch(r, out);
    st = model_check(out, err);
  } else {
    char spec[1024];
    arch_spec(r, spec, sizeof spec);
    if (!spec[0])
      return ts_fail(err, TS_EINPUT,
                     "column 'model': empty, and no architecture columns define the model");
    st = model_load(spec, out, err);
    if (!st) snprintf(out->name, sizeof out->name, "%s", r->id);
  }
  if (st) ts_err_prefix(err, "model");
  return st;
}

ts_status validate_row_system(const validate_row *r, hw_system *out, ts_err *err) {
  ts_status st = hw_system_load(r->system, out, err);
  if (st) {
    ts_err_prefix(err, "column 'system'");
    return st;
  }
  if (given(r, VC_NIC_GBPS)) out->out.nic_Bps_per_chip = r->nic_Gbps_per_chip * 1e9 / 8.0;
  return TS_OK;
}

ts_status validate_row_plan(const validate_row *r, plan *out, ts_err *err) {
  char spec[512];
  size_t n = 0;
  spec[0] = '\0';
  for (int c = VC_TP; c <= VC_GBS; c++)
    if (given(r, (validate_column)c))
      n += (size_t)snprintf(spec + n, sizeof spec - n, "%s%s=%lld", n ? "," : "",
                            validate_column_name((validate_column)c), (long long)r->degree[c]);
  if (given(r, VC_RECOMPUTE))
    n += (size_t)snprintf(spec + n, sizeof spec - n, "%srecompute=%s", n ? "," : "",
                          plan_recompute_name(r->recompute));
  if (given(r, VC_ZERO))
    n += (size_t)snprintf(spec + n, sizeof spec - n, "%szero=%d", n ? "," : "", r->zero);
  if (given(r, VC_DTYPE))
    snprintf(spec + n, sizeof spec - n, "%sdtype=%s", n ? "," : "", hw_dtype_name(r->dtype));
  ts_status st = plan_parse(spec, out, err);
  if (!st && !given(r, VC_GBS))
    st = ts_fail(err, TS_EINPUT, "column 'gbs': empty; the plan search needs the global batch");
  return st;
}

static ts_status run_search(const validate_row *r, const model *m, const hw_system *sys,
                            const plan *fixed, const search_options *opt, validate_outcome *out,
                            ts_err *err) {
  search_options o;
  if (opt) o = *opt;
  else search_options_init(&o);
  o.top_k = 1;
  o.allow_oom = false;
  search_result *res = NULL;
  ts_status st = search_best(m, sys, r->chips, fixed, &o, &res, err);
  if (st == TS_ENOFIT) {
    o.allow_oom = true;
    st = search_best(m, sys, r->chips, fixed, &o, &res, err);
  }
  if (st) return st;
  out->entry = res->best[0];
  out->chosen = res->chosen;
  out->over_memory = res->best[0].over_memory;
  search_result_free(res);
  return TS_OK;
}

ts_status validate_row_run(const validate_row *r, const search_options *opt, validate_outcome *out,
                           ts_err *err) {
  memset(out, 0, sizeof *out);
  model m;
  hw_system sys;
  plan fixed;
  ts_status st = validate_row_model(r, &m, err);
  if (!st) st = validate_row_system(r, &sys, err);
  if (!st) st = validate_row_plan(r, &fixed, err);
  if (!st) st = run_search(r, &m, &sys, &fixed, opt, out, err);
  if (st) return st;
  validate_family(&sys.chip, out->family, sizeof out->family);
  validate_scale scale = {.chips = r->chips, .gbs = fixed.gbs, .seq = m.seq, .tokens = r->tokens};
  out->predicted = validate_metric_value(r->metric, &out->entry.report, &scale);
  if (r->metric == VALIDATE_CHIP_HOURS) {
    /* Chip-hours of a whole run include failures, checkpoints and restarts (goodput). */
    ttt_input in;
    ttt_result tr;
    ttt_input_from_report(&out->entry.report, &m, &out->entry.plan, m.seq, r->tokens, r->chips, &in);
    st = ttt_compute(&sys, &in, NULL, &tr, err);
    if (st) return st;
    out->predicted = tr.chip_hours;
  }
  out->error = (out->predicted - r->value) / r->value;
  return TS_OK;
}
