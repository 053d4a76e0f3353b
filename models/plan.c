/* Plans: the parallel layout and training switches of one run, parsed from the one-line form
 * "tp=8,pp=16,dp=64,cp=1,ep=1,vpp=1,mbs=1,gbs=2048,recompute=selective,zero=1,dtype=bf16,
 * schedule=1f1b" (plus sp, tp_overlap, dp_overlap, pp_overlap, attention, stage_layers=a/b/..).
 * Each key is one row of a table (data over code); plan.set records which keys were given so the
 * plan search can fill the rest (DESIGN.md: partial plans). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "hw/base/ts_io.h"
#include "models/models.h"

enum { DEGREE_MAX = 1 << 20 };

const char *plan_schedule_name(plan_schedule s) {
  switch (s) {
    case PLAN_SCHED_1F1B:
      return "1f1b";
    case PLAN_SCHED_INTERLEAVED:
      return "interleaved";
    case PLAN_SCHED_GPIPE:
      return "gpipe";
  }
  return "?";
}

const char *plan_recompute_name(plan_recompute r) {
  switch (r) {
    case PLAN_RECOMP_NONE:
      return "none";
    case PLAN_RECOMP_SELECTIVE:
      return "selective";
    case PLAN_RECOMP_FULL:
      return "full";
  }
  return "?";
}

void plan_init(plan *p) {
  memset(p, 0, sizeof *p);
  p->tp = p->pp = p->dp = p->cp = p->ep = p->vpp = p->mbs = 1;
  p->gbs = 1;
  p->recompute = PLAN_RECOMP_NONE;
  p->zero = 1;
  p->dtype = HW_BF16;
  p->schedule = PLAN_SCHED_1F1B;
  p->sp = false;
  p->tp_overlap = p->dp_overlap = p->pp_overlap = true;
}

/* ---- one setter per kind of value ----------------------------------------------------------- */
typedef struct plan_key plan_key;
typedef ts_status (*plan_setter)(const plan_key *k, plan *p, const char *value, ts_err *err);
struct plan_key {
  const char *key;
  uint32_t bit;
  plan_setter set;
  size_t offset; /* of the int32/bool field, where the setter uses one */
};

static ts_status set_degree(const plan_key *k, plan *p, const char *value, ts_err *err) {
  long long v = 0;
  if (!ts_parse_int64(value, &v))
    return ts_fail(err, TS_EINPUT, "plan: field '%s': '%s' is not a number", k->key, value);
  long long max =
      strcmp(k->key, "pp") == 0 || strcmp(k->key, "vpp") == 0 ? PLAN_MAX_PP : DEGREE_MAX;
  if (v < 1 || v > max)
    return ts_fail(err, TS_EINPUT, "plan: field '%s': %lld is out of range (expected 1..%lld)",
                   k->key, v, max);
  *(int32_t *)((char *)p + k->offset) = (int32_t)v;
  return TS_OK;
}

static ts_status set_gbs(const plan_key *k, plan *p, const char *value, ts_err *err) {
  long long v = 0;
  if (!ts_parse_int64(value, &v))
    return ts_fail(err, TS_EINPUT, "plan: field '%s': '%s' is not a number", k->key, value);
  if (v < 1 || v > ((long long)1 << 40))
    return ts_fail(err, TS_EINPUT, "plan: field 'gbs': %lld is out of range (expected 1..2^40)", v);
  p->gbs = v;
  return TS_OK;
}

static ts_status set_bool(const plan_key *k, plan *p, const char *value, ts_err *err) {
  bool *out = (bool *)((char *)p + k->offset);
  if (strcmp(value, "true") == 0 || strcmp(value, "on") == 0 || strcmp(value, "1") == 0)
    *out = true;
  else if (strcmp(value, "false") == 0 || strcmp(value, "off") == 0 || strcmp(value, "0") == 0)
    *out = false;
  else
    return ts_fail(err, TS_EINPUT, "plan: field '%s': '%s' is not true or false", k->key, value);
  return TS_OK;
}

static ts_status set_recompute(const plan_key *k, plan *p, const char *value, ts_err *err) {
  static const plan_recompute ALL[] = {PLAN_RECOMP_NONE, PLAN_RECOMP_SELECTIVE, PLAN_RECOMP_FULL};
  for (size_t i = 0; i < 3; i++)
    if (strcmp(value, plan_recompute_name(ALL[i])) == 0) {
      p->recompute = ALL[i];
      return TS_OK;
    }
  return ts_fail(err, TS_EINPUT, "plan: field '%s': '%s' is not none, selective or full", k->key,
                 value);
}

static ts_status set_schedule(const plan_key *k, plan *p, const char *value, ts_err *err) {
  static const plan_schedule ALL[] = {PLAN_SCHED_1F1B, PLAN_SCHED_INTERLEAVED, PLAN_SCHED_GPIPE};
  for (size_t i = 0; i < 3; i++)
    if (strcmp(value, plan_schedule_name(ALL[i])) == 0) {
      p->schedule = ALL[i];
      return TS_OK;
    }
  return ts_fail(err, TS_EINPUT, "plan: field '%s': '%s' is not 1f1b, interleaved or gpipe", k->key,
                 value);
}

static ts_status set_zero(const plan_key *k, plan *p, const char *value, ts_err *err) {
  long long v = 0;
  if (strcmp(value, "fsdp") == 0)
    v = 3;
  else if (!ts_parse_int64(value, &v))
    return ts_fail(err, TS_EINPUT, "plan: field '%s': '%s' is not a number", k->key, value);
  if (v < 0 || v > 3)
    return ts_fail(err, TS_EINPUT,
                   "plan: field 'zero': %lld is out of range (expected 0..3 or fsdp)", v);
  p->zero = (int32_t)v;
  return TS_OK;
}

static ts_status set_dtype(const plan_key *k, plan *p, const char *value, ts_err *err) {
  if (hw_dtype_parse(value, &p->dtype)) return TS_OK;
  return ts_fail(err, TS_EINPUT, "plan: field '%s': '%s' is not fp32, fp16, bf16, fp8 or fp4",
                 k->key, value);
}

static ts_status set_attention(const plan_key *k, plan *p, const char *value, ts_err *err) {
  if (strcmp(value, "flash") == 0)
    p->naive_attention = false;
  else if (strcmp(value, "naive") == 0)
    p->naive_attention = true;
  else
    return ts_fail(err, TS_EINPUT, "plan: field '%s': '%s' is not flash or naive", k->key, value);
  return TS_OK;
}

/* "a/b/c": layers per pipeline stage. */
static ts_status set_stage_layers(const plan_key *k, plan *p, const char *value, ts_err *err) {
  int32_t n = 0;
  const char *c = value;
  while (1) {
    char item[32];
    size_t len = strcspn(c, "/");
    long long v = 0;
    if (len == 0 || len >= sizeof item)
      return ts_fail(err, TS_EINPUT, "plan: field '%s': '%s' is not a list like 8/8/7", k->key,
                     value);
    memcpy(item, c, len);
    item[len] = '\0';
    if (!ts_parse_int64(item, &v) || v < 1 || v > DEGREE_MAX)
      return ts_fail(err, TS_EINPUT,
                     "plan: field '%s': entry %d '%s' is not a positive number of layers", k->key,
                     n + 1, item);
    if (n == PLAN_MAX_PP)
      return ts_fail(err, TS_EINPUT, "plan: field '%s': more than %d stages", k->key, PLAN_MAX_PP);
    p->stage_layers[n++] = (int32_t)v;
    if (c[len] == '\0') break;
    c += len + 1;
  }
  p->n_stage_layers = n;
  return TS_OK;
}

#define DEG(name, bit) \
  { #name, bit, set_degree, offsetof(plan, name) }
#define BOOLF(name, bit) \
  { #name, bit, set_bool, offsetof(plan, name) }
static const plan_key KEYS[] = {
    DEG(tp, PLAN_SET_TP),
    DEG(pp, PLAN_SET_PP),
    DEG(dp, PLAN_SET_DP),
    DEG(cp, PLAN_SET_CP),
    DEG(ep, PLAN_SET_EP),
    DEG(vpp, PLAN_SET_VPP),
    DEG(mbs, PLAN_SET_MBS),
    {"gbs", PLAN_SET_GBS, set_gbs, 0},
    {"recompute", PLAN_SET_RECOMPUTE, set_recompute, 0},
    {"zero", PLAN_SET_ZERO, set_zero, 0},
    {"dtype", PLAN_SET_DTYPE, set_dtype, 0},
    {"schedule", PLAN_SET_SCHEDULE, set_schedule, 0},
    BOOLF(sp, PLAN_SET_SP),
    BOOLF(tp_overlap, PLAN_SET_TP_OVERLAP),
    BOOLF(dp_overlap, PLAN_SET_DP_OVERLAP),
    BOOLF(pp_overlap, PLAN_SET_PP_OVERLAP),
    {"attention", PLAN_SET_ATTENTION, set_attention, 0},
    {"stage_layers", PLAN_SET_STAGE_LAYERS, set_stage_layers, 0},
};
#undef DEG
#undef BOOLF
enum { N_KEYS = sizeof KEYS / sizeof KEYS[0] };

static ts_status parse_item(char *item, plan *out, ts_err *err) {
  char *eq = strchr(item, '=');
  if (!eq || eq == item) return ts_fail(err, TS_EINPUT, "plan: '%s' is not key=value", item);
  *eq = '\0';
  if (eq[1] == '\0') return ts_fail(err, TS_EINPUT, "plan: field '%s' has no value", item);
  for (int i = 0; i < N_KEYS; i++) {
    if (strcmp(item, KEYS[i].key) != 0) continue;
    if (out->set & KEYS[i].bit)
      return ts_fail(err, TS_EINPUT, "plan: field '%s' given twice", item);
    out->set |= KEYS[i].bit;
    return KEYS[i].set(&KEYS[i], out, eq + 1, err);
  }
  return ts_fail(
      err, TS_EINPUT,
      "plan: unknown field '%s' (expected tp, pp, dp, cp, ep, vpp, mbs, gbs, recompute, "
      "zero, dtype, schedule, sp, tp_overlap, dp_overlap, pp_overlap, attention, stage_layers)",
      item);
}

/* Defaults that depend on other fields (models.h). */
static ts_status finish(plan *p, ts_err *err) {
  if (p->set & PLAN_SET_STAGE_LAYERS) {
    if (!(p->set & PLAN_SET_PP)) p->pp = p->n_stage_layers;
    if (p->n_stage_layers != p->pp)
      return ts_fail(err, TS_EINPUT, "plan: field 'stage_layers': %d entries, expected pp=%d",
                     p->n_stage_layers, p->pp);
  }
  if (!(p->set & PLAN_SET_GBS)) p->gbs = (int64_t)p->dp * p->mbs;
  if (!(p->set & PLAN_SET_SP)) p->sp = p->tp > 1;
  if (!(p->set & PLAN_SET_SCHEDULE) && p->vpp > 1) p->schedule = PLAN_SCHED_INTERLEAVED;
  return TS_OK;
}

ts_status plan_parse(const char *spec, plan *out, ts_err *err) {
  plan_init(out);
  if (!spec) spec = "";
  char buf[8192];
  if (strlen(spec) >= sizeof buf)
    return ts_fail(err, TS_EINPUT, "plan: longer than %zu characters", sizeof buf - 1);
  /* Messages quote the text: refuse control characters so that every message stays one line. */
  for (size_t i = 0; spec[i]; i++)
    if ((unsigned char)spec[i] < 0x20 || spec[i] == 0x7f)
      return ts_fail(err, TS_EINPUT,
                     "plan: control character 0x%02x at character %zu (a plan is one line of text)",
                     (unsigned)(unsigned char)spec[i], i + 1);
  snprintf(buf, sizeof buf, "%s", spec);
  char *c = buf;
  while (*c) {
    size_t len = strcspn(c, ",");
    bool last = c[len] == '\0';
    c[len] = '\0';
    if (len == 0)
      return ts_fail(err, TS_EINPUT, "plan: empty field (two commas in a row?) in '%s'", spec);
    ts_status st = parse_item(c, out, err);
    if (st != TS_OK) return st;
    if (last) break;
    c += len + 1;
    if (!*c) return ts_fail(err, TS_EINPUT, "plan: empty field after the last comma in '%s'", spec);
  }
  return finish(out, err);
}

int plan_format(const plan *p, char *buf, size_t cap) {
  int n =
      snprintf(buf, cap,
               "tp=%d,pp=%d,dp=%d,cp=%d,ep=%d,vpp=%d,mbs=%d,gbs=%lld,recompute=%s,zero=%d,"
               "dtype=%s,schedule=%s,sp=%s,tp_overlap=%s,dp_overlap=%s,pp_overlap=%s,attention=%s",
               p->tp, p->pp, p->dp, p->cp, p->ep, p->vpp, p->mbs, (long long)p->gbs,
               plan_recompute_name(p->recompute), p->zero, hw_dtype_name(p->dtype),
               plan_schedule_name(p->schedule), p->sp ? "true" : "false",
               p->tp_overlap ? "true" : "false", p->dp_overlap ? "true" : "false",
               p->pp_overlap ? "true" : "false", p->naive_attention ? "naive" : "flash");
  for (int32_t i = 0; n >= 0 && i < p->n_stage_layers && i < PLAN_MAX_PP; i++) {
    size_t at = (size_t)n < cap ? (size_t)n : cap;
    int k = snprintf(buf ? buf + at : NULL, cap - at, "%s%d",
                     i ? "/" : ",stage_layers=", p->stage_layers[i]);
    if (k < 0) return k;
    n += k;
  }
  return n;
}

int64_t plan_micro_batches(const plan *p) {
  int64_t per = (int64_t)p->dp * p->mbs;
  return per > 0 ? p->gbs / per : 0;
}
