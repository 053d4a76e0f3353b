/* The software-stack data file (hw/stacks.yaml): for each stack a system can name (its `stack`
 * field: nccl, neuron, rccl), how every trace op kind is implemented there (vendor library,
 * compiler-generated, custom kernel in some kernel language, collective library) and the data
 * types it trains in with the recipe it uses; and the rework cost model: engineer-weeks per
 * rework item kind, each with its rationale, the team size, the cost of an engineer-week, the
 * HBM change that calls for re-partitioning, and the revalidation runs. Every op kind and every
 * cost key is required (no silent defaults). Format:
 *
 *   stacks:
 *     - stack: nccl
 *       description: "..."
 *       dtypes: {bf16: "native", fp8: "Transformer Engine per-tensor delayed scaling"}
 *       ops:
 *         attention: {impl: custom_kernel, lang: cuda, detail: "FlashAttention-3"}
 *   costs:
 *     team_engineers: {value: 4, rationale: "..."}
 *     items:
 *       kernel_port: {weeks: 8, rationale: "..."}
 */
#include "sim/study/study.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/base/ts_yaml.h"

static const char *const ROOT_KEYS[] = {"stacks", "costs", NULL};
static const char *const STACK_KEYS[] = {"stack", "description", "dtypes", "ops", NULL};
static const char *const OP_KEYS[] = {"impl", "lang", "detail", NULL};
static const char *const COST_KEYS[] = {"team_engineers",
                                        "engineer_usd_per_week",
                                        "hbm_change_fraction",
                                        "validation_runs",
                                        "validation_hours_per_run",
                                        "items",
                                        NULL};
static const char *const VALUE_KEYS[] = {"value", "rationale", NULL};
static const char *const ITEM_KEYS[] = {"weeks", "rationale", NULL};

static const char *const IMPL_NAMES[REWORK_IMPL_COUNT] = {
    [REWORK_IMPL_VENDOR_LIBRARY] = "vendor_library",
    [REWORK_IMPL_COMPILER] = "compiler",
    [REWORK_IMPL_CUSTOM_KERNEL] = "custom_kernel",
    [REWORK_IMPL_COLLECTIVE] = "collective_library"};

static const char *const KIND_NAMES[REWORK_KIND_COUNT + 1] =
    {/* NULL-terminated */
     [REWORK_KERNEL_PORT] = "kernel_port",
     [REWORK_KERNEL_RETUNE] = "kernel_retune",
     [REWORK_COLLECTIVE_TUNING] = "collective_tuning",
     [REWORK_DTYPE] = "dtype_change",
     [REWORK_MEMORY] = "memory_repartition",
     [REWORK_PLACEMENT] = "topology_placement",
     [REWORK_PARALLELISM] = "parallelism_retune"};

const char *rework_impl_name(rework_impl i) {
  return i < REWORK_IMPL_COUNT ? IMPL_NAMES[i] : "?";
}

const char *rework_kind_name(rework_kind k) {
  return k < REWORK_KIND_COUNT ? KIND_NAMES[k] : "?";
}

static ts_status parse_op(const ts_yaml *y, ts_ynode n, const char *kind, rework_op_impl *op,
                          ts_err *err) {
  if (!ts_yaml_is_map(y, n))
    return ts_yaml_fail(y, n, TS_EINPUT, err, "op '%s': expected {impl, lang, detail}", kind);
  char impl[32];
  ts_status st = ts_yaml_check_keys(y, n, OP_KEYS, "op", err);
  if (!st) st = ts_yaml_req_str(y, n, "impl", impl, sizeof impl, err);
  if (!st) st = ts_yaml_req_str(y, n, "lang", op->lang, sizeof op->lang, err);
  if (!st) st = ts_yaml_req_str(y, n, "detail", op->detail, sizeof op->detail, err);
  if (st) return st;
  for (int i = 0; i < REWORK_IMPL_COUNT; i++)
    if (strcmp(impl, IMPL_NAMES[i]) == 0) {
      op->impl = (rework_impl)i;
      op->given = true;
      return TS_OK;
    }
  return ts_yaml_fail(y, ts_yaml_get(y, n, "impl"), TS_EINPUT, err,
                      "op '%s' field 'impl': '%s' (expected vendor_library, compiler, "
                      "custom_kernel or collective_library)",
                      kind, impl);
}

static ts_status parse_ops(const ts_yaml *y, ts_ynode s, rework_stack *out, ts_err *err) {
  ts_ynode ops = ts_yaml_get(y, s, "ops");
  if (!ops || !ts_yaml_is_map(y, ops))
    return ts_yaml_fail(y, ops ? ops : s, TS_EINPUT, err,
                        "stack '%s' field 'ops': expected a mapping of op kinds", out->name);
  const char *key;
  ts_ynode v;
  for (size_t i = 0; ts_yaml_map_pair(y, ops, i, &key, &v); i++) {
    trace_op_kind k;
    if (!trace_op_kind_parse(key, &k))
      return ts_yaml_fail(y, v, TS_EINPUT, err, "stack '%s': unknown op kind '%s'", out->name, key);
    if (out->ops[k].given)
      return ts_yaml_fail(y, v, TS_EINPUT, err, "stack '%s': op kind '%s' appears twice", out->name,
                          key);
    ts_status st = parse_op(y, v, key, &out->ops[k], err);
    if (st) return st;
  }
  for (int k = 0; k < TRACE_OP_KIND_COUNT; k++)
    if (!out->ops[k].given)
      return ts_yaml_fail(y, ops, TS_EINPUT, err, "stack '%s' field 'ops': op kind '%s' missing",
                          out->name, trace_op_kind_name((trace_op_kind)k));
  return TS_OK;
}

static ts_status parse_dtypes(const ts_yaml *y, ts_ynode s, rework_stack *out, ts_err *err) {
  ts_ynode dts = ts_yaml_get(y, s, "dtypes");
  if (!dts || !ts_yaml_is_map(y, dts) || ts_yaml_map_len(y, dts) == 0)
    return ts_yaml_fail(y, dts ? dts : s, TS_EINPUT, err,
                        "stack '%s' field 'dtypes': expected a mapping dtype: recipe", out->name);
  const char *key;
  ts_ynode v;
  for (size_t i = 0; ts_yaml_map_pair(y, dts, i, &key, &v); i++) {
    hw_dtype dt;
    const char *text = ts_yaml_scalar(y, v);
    if (!hw_dtype_parse(key, &dt))
      return ts_yaml_fail(y, v, TS_EINPUT, err,
                          "stack '%s': unknown dtype '%s' (expected fp32, fp16, bf16, fp8, fp4)",
                          out->name, key);
    if (out->dtype_supported[dt])
      return ts_yaml_fail(y, v, TS_EINPUT, err, "stack '%s': dtype '%s' appears twice", out->name,
                          key);
    if (!text || !*text)
      return ts_yaml_fail(y, v, TS_EINPUT, err, "stack '%s' dtype '%s': expected a recipe text",
                          out->name, key);
    out->dtype_supported[dt] = true;
    snprintf(out->dtype_recipe[dt], sizeof out->dtype_recipe[dt], "%s", text);
  }
  return TS_OK;
}

static ts_status parse_stack(rework_model *m, const ts_yaml *y, ts_ynode s, rework_stack *out,
                             ts_err *err) {
  if (!ts_yaml_is_map(y, s)) return ts_yaml_fail(y, s, TS_EINPUT, err, "a stack must be a mapping");
  out->line = ts_yaml_line(y, s);
  ts_status st = ts_yaml_check_keys(y, s, STACK_KEYS, "stack", err);
  if (!st) st = ts_yaml_req_str(y, s, "stack", out->name, sizeof out->name, err);
  if (!st)
    st = ts_yaml_req_str(y, s, "description", out->description, sizeof out->description, err);
  if (st) return st;
  if (rework_model_stack(m, out->name))
    return ts_yaml_fail(y, s, TS_EINPUT, err, "stack '%s' appears twice", out->name);
  st = parse_dtypes(y, s, out, err);
  if (!st) st = parse_ops(y, s, out, err);
  return st;
}

/* {value: X, rationale: "..."} with X in [lo, hi]. */
static ts_status parse_value(const ts_yaml *y, ts_ynode costs, const char *key, double lo,
                             double hi, double *out, ts_err *err) {
  ts_ynode n = ts_yaml_get(y, costs, key);
  if (!n || !ts_yaml_is_map(y, n))
    return ts_yaml_fail(y, n ? n : costs, TS_EINPUT, err,
                        "field 'costs.%s': expected {value: X, rationale: \"...\"}", key);
  char why[REWORK_TEXT_MAX];
  ts_status st = ts_yaml_check_keys(y, n, VALUE_KEYS, key, err);
  if (!st) st = ts_yaml_req_double(y, n, "value", out, err);
  if (!st) st = ts_yaml_req_str(y, n, "rationale", why, sizeof why, err);
  if (!st && (*out < lo || *out > hi))
    st = ts_yaml_fail(y, ts_yaml_get(y, n, "value"), TS_EINPUT, err,
                      "field 'costs.%s': %g (expected %g..%g)", key, *out, lo, hi);
  return st;
}

static ts_status parse_items(const ts_yaml *y, ts_ynode costs, rework_model *m, ts_err *err) {
  ts_ynode items = ts_yaml_get(y, costs, "items");
  if (!items || !ts_yaml_is_map(y, items))
    return ts_yaml_fail(y, items ? items : costs, TS_EINPUT, err,
                        "field 'costs.items': expected a mapping of item kinds");
  ts_status st = ts_yaml_check_keys(y, items, KIND_NAMES, "costs.items", err);
  for (int k = 0; !st && k < REWORK_KIND_COUNT; k++) {
    ts_ynode n = ts_yaml_get(y, items, KIND_NAMES[k]);
    if (!n || !ts_yaml_is_map(y, n))
      return ts_yaml_fail(y, n ? n : items, TS_EINPUT, err,
                          "field 'costs.items.%s': expected {weeks: X, rationale: \"...\"}",
                          KIND_NAMES[k]);
    st = ts_yaml_check_keys(y, n, ITEM_KEYS, KIND_NAMES[k], err);
    if (!st) st = ts_yaml_req_double(y, n, "weeks", &m->weeks[k], err);
    if (!st) st = ts_yaml_req_str(y, n, "rationale", m->rationale[k], sizeof m->rationale[k], err);
    if (!st && (m->weeks[k] < 0 || m->weeks[k] > 1000))
      st = ts_yaml_fail(y, ts_yaml_get(y, n, "weeks"), TS_EINPUT, err,
                        "field 'costs.items.%s.weeks': %g (expected 0..1000)", KIND_NAMES[k],
                        m->weeks[k]);
  }
  return st;
}

static ts_status parse_costs(const ts_yaml *y, ts_ynode root, rework_model *m, ts_err *err) {
  ts_ynode c = ts_yaml_get(y, root, "costs");
  if (!c || !ts_yaml_is_map(y, c))
    return ts_yaml_fail(y, c ? c : root, TS_EINPUT, err, "field 'costs': expected a mapping");
  ts_status st = ts_yaml_check_keys(y, c, COST_KEYS, "costs", err);
  if (!st) st = parse_value(y, c, "team_engineers", 1, 10000, &m->team_engineers, err);
  if (!st) st = parse_value(y, c, "engineer_usd_per_week", 0, 1e7, &m->engineer_usd_per_week, err);
  if (!st) st = parse_value(y, c, "hbm_change_fraction", 0, 10, &m->hbm_change_fraction, err);
  if (!st) st = parse_value(y, c, "validation_runs", 0, 1e4, &m->validation_runs, err);
  if (!st)
    st = parse_value(y, c, "validation_hours_per_run", 0, 1e5, &m->validation_hours_per_run, err);
  if (!st) st = parse_items(y, c, m, err);
  return st;
}

static ts_status parse_model(const ts_yaml *y, rework_model *m, ts_err *err) {
  ts_ynode root = ts_yaml_root(y);
  if (!ts_yaml_is_map(y, root))
    return ts_yaml_fail(y, root, TS_EINPUT, err, "expected a mapping with 'stacks' and 'costs'");
  ts_status st = ts_yaml_check_keys(y, root, ROOT_KEYS, "stacks file", err);
  if (st) return st;
  ts_ynode stacks = ts_yaml_get(y, root, "stacks");
  size_t n = ts_yaml_seq_len(y, stacks);
  if (!stacks || !ts_yaml_is_seq(y, stacks) || n == 0)
    return ts_yaml_fail(y, stacks ? stacks : root, TS_EINPUT, err,
                        "field 'stacks': expected a non-empty list");
  if (n > REWORK_MAX_STACKS)
    return ts_yaml_fail(y, stacks, TS_EINPUT, err, "field 'stacks': %zu entries (at most %d)", n,
                        REWORK_MAX_STACKS);
  for (size_t i = 0; i < n; i++) {
    st = parse_stack(m, y, ts_yaml_seq_item(y, stacks, i), &m->stacks[i], err);
    if (st) return st;
    m->n_stacks = (int)i + 1;
  }
  return parse_costs(y, root, m, err);
}

ts_status rework_model_load(const char *path, rework_model **out, ts_err *err) {
  *out = NULL;
  rework_model *m = calloc(1, sizeof *m);
  if (!m) return ts_fail(err, TS_ENOMEM, "stacks: out of memory");
  if (path)
    snprintf(m->path, sizeof m->path, "%s", path);
  else
    snprintf(m->path, sizeof m->path, "%s/hw/stacks.yaml", hw_data_dir());
  ts_yaml *y;
  ts_status st = ts_yaml_load_file(m->path, &y, err);
  if (!st) {
    st = parse_model(y, m, err);
    ts_yaml_free(y);
  }
  if (st) {
    free(m);
    return st;
  }
  *out = m;
  return TS_OK;
}

void rework_model_free(rework_model *m) {
  free(m);
}

const rework_stack *rework_model_stack(const rework_model *m, const char *name) {
  for (int i = 0; i < m->n_stacks; i++)
    if (strcmp(m->stacks[i].name, name) == 0) return &m->stacks[i];
  return NULL;
}
