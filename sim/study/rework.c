/* Migration rework: what must change when a training stack moves from system A to system B, and
 * what it costs under the editable model of hw/stacks.yaml. Rules (one item each, except kernels,
 * one item per op kind present in the trace):
 *   kernel_port         B implements the op as a custom kernel, and A does not, or in another
 *                       kernel language (CUDA -> NKI): it is written again;
 *   kernel_retune       B's custom kernel is in A's language but the chip family differs
 *                       (FlashAttention-2 -> -3 for Hopper's TMA/wgmma);
 *   collective_tuning   the stack, the scale-up topology kind or the domain size differs;
 *   topology_placement  switch-like (switch, switch2, mesh) <-> torus-like (torus, ring), or
 *                       another torus shape: rank placement is redone;
 *   dtype_change        the plan's dtype is unsupported on B (stack or chip), the best plan on B
 *                       trains in another dtype, or B's stack uses another recipe for it;
 *   memory_repartition  the plan does not fit B's memory, or HBM per chip changes by more than
 *                       hbm_change_fraction;
 *   parallelism_retune  the best plan on B differs from the plan on A (the plan diff).
 * Cost: engineer-weeks = sum of the items' weeks; calendar weeks = max(weeks / team, the largest
 * item) (one item is one engineer's work); revalidation = runs x hours x B's chips, at B's price.
 */
#include "sim/study/study.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The plan fields a migration can change, with their names in a plan diff. */
static const struct {
  uint32_t bit;
  const char *name;
} PLAN_FIELDS[] = {{PLAN_SET_TP, "tp"},
                   {PLAN_SET_PP, "pp"},
                   {PLAN_SET_DP, "dp"},
                   {PLAN_SET_CP, "cp"},
                   {PLAN_SET_EP, "ep"},
                   {PLAN_SET_VPP, "vpp"},
                   {PLAN_SET_MBS, "mbs"},
                   {PLAN_SET_RECOMPUTE, "recompute"},
                   {PLAN_SET_ZERO, "zero"},
                   {PLAN_SET_DTYPE, "dtype"},
                   {PLAN_SET_SCHEDULE, "schedule"},
                   {PLAN_SET_SP, "sp"}};

const char *rework_plan_field(size_t i, uint32_t *bit) {
  if (i >= sizeof PLAN_FIELDS / sizeof PLAN_FIELDS[0]) return NULL;
  *bit = PLAN_FIELDS[i].bit;
  return PLAN_FIELDS[i].name;
}

uint32_t rework_plan_diff(const plan *a, const plan *b) {
  uint32_t d = 0;
  d |= a->tp != b->tp ? PLAN_SET_TP : 0;
  d |= a->pp != b->pp ? PLAN_SET_PP : 0;
  d |= a->dp != b->dp ? PLAN_SET_DP : 0;
  d |= a->cp != b->cp ? PLAN_SET_CP : 0;
  d |= a->ep != b->ep ? PLAN_SET_EP : 0;
  d |= a->vpp != b->vpp ? PLAN_SET_VPP : 0;
  d |= a->mbs != b->mbs ? PLAN_SET_MBS : 0;
  d |= a->recompute != b->recompute ? PLAN_SET_RECOMPUTE : 0;
  d |= a->zero != b->zero ? PLAN_SET_ZERO : 0;
  d |= a->dtype != b->dtype ? PLAN_SET_DTYPE : 0;
  d |= a->schedule != b->schedule ? PLAN_SET_SCHEDULE : 0;
  d |= a->sp != b->sp ? PLAN_SET_SP : 0;
  return d;
}

static bool torus_like(hw_topo_kind k) {
  return k == HW_TOPO_TORUS || k == HW_TOPO_RING;
}

static void add(const rework_model *m, rework_result *r, rework_kind kind, int op_kind,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void add(const rework_model *m, rework_result *r, rework_kind kind, int op_kind,
                const char *fmt, ...) {
  if (r->n_items >= REWORK_MAX_ITEMS) return; /* cannot happen: at most kinds + op kinds items */
  rework_item *it = &r->items[r->n_items++];
  it->kind = kind;
  it->op_kind = op_kind;
  it->weeks = m->weeks[kind];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(it->detail, sizeof it->detail, fmt, ap);
  va_end(ap);
}

static void kernel_items(const rework_model *m, const rework_input *in, rework_result *r) {
  for (int k = 0; k < TRACE_OP_KIND_COUNT; k++) {
    if (!(in->op_kinds & (1u << k))) continue;
    const rework_op_impl *a = &r->stack_a->ops[k], *b = &r->stack_b->ops[k];
    const char *name = trace_op_kind_name((trace_op_kind)k);
    if (b->impl != REWORK_IMPL_CUSTOM_KERNEL) continue;
    if (a->impl != REWORK_IMPL_CUSTOM_KERNEL || strcmp(a->lang, b->lang) != 0)
      add(m, r, REWORK_KERNEL_PORT, k, "%s: %s (%s%s%s) -> %s (%s)", name, a->detail,
          rework_impl_name(a->impl), *a->lang ? ", " : "", a->lang, b->detail, b->lang);
    else if (strcmp(in->a->chip.family, in->b->chip.family) != 0)
      add(m, r, REWORK_KERNEL_RETUNE, k, "%s: %s re-tuned for %s (from %s)", name, b->detail,
          in->b->chip.family, in->a->chip.family);
  }
}

static void system_items(const rework_model *m, const rework_input *in, rework_result *r) {
  const hw_scaleup *ua = &in->a->up, *ub = &in->b->up;
  if (strcmp(in->a->stack, in->b->stack) != 0 || ua->kind != ub->kind ||
      ua->domain_chips != ub->domain_chips)
    add(m, r, REWORK_COLLECTIVE_TUNING, -1, "collectives: %s on %s-%d -> %s on %s-%d", in->a->stack,
        hw_topo_kind_name(ua->kind), ua->domain_chips, in->b->stack, hw_topo_kind_name(ub->kind),
        ub->domain_chips);
  bool shape = torus_like(ua->kind) && torus_like(ub->kind) &&
               (ua->ndims != ub->ndims || memcmp(ua->dims, ub->dims, sizeof ua->dims) != 0);
  if (torus_like(ua->kind) != torus_like(ub->kind) || shape)
    add(m, r, REWORK_PLACEMENT, -1, "placement: %s (%d chips) -> %s (%d chips)",
        hw_topo_kind_name(ua->kind), ua->domain_chips, hw_topo_kind_name(ub->kind),
        ub->domain_chips);
}

static void plan_items(const rework_model *m, const rework_input *in, rework_result *r) {
  hw_dtype d = in->plan_a->dtype;
  const char *dn = hw_dtype_name(d);
  if (!r->stack_b->dtype_supported[d] || !(in->b->chip.peak_flops[d] > 0))
    add(m, r, REWORK_DTYPE, -1, "dtype: %s is not supported on %s (%s)", dn, in->b->name,
        r->stack_b->dtype_supported[d] ? "chip" : "stack");
  else if (in->plan_b && in->plan_b->dtype != d)
    add(m, r, REWORK_DTYPE, -1, "dtype: best plan on %s trains in %s, not %s", in->b->name,
        hw_dtype_name(in->plan_b->dtype), dn);
  else if (strcmp(r->stack_a->dtype_recipe[d], r->stack_b->dtype_recipe[d]) != 0)
    add(m, r, REWORK_DTYPE, -1, "dtype: %s recipe %s -> %s", dn, r->stack_a->dtype_recipe[d],
        r->stack_b->dtype_recipe[d]);
  double ha = in->a->chip.hbm_bytes, hb = in->b->chip.hbm_bytes;
  if (!in->fits_b)
    add(m, r, REWORK_MEMORY, -1, "memory: the plan does not fit %s (%.0f GiB HBM per chip)",
        in->b->name, hb / 1073741824.0);
  else if (ha > 0 && fabs(hb / ha - 1) > m->hbm_change_fraction)
    add(m, r, REWORK_MEMORY, -1, "memory: HBM per chip %.0f -> %.0f GiB", ha / 1073741824.0,
        hb / 1073741824.0);
  r->plan_diff = in->plan_b ? rework_plan_diff(in->plan_a, in->plan_b) : 0;
  if (!r->plan_diff) return;
  char list[REWORK_TEXT_MAX] = "";
  for (size_t i = 0; i < sizeof PLAN_FIELDS / sizeof PLAN_FIELDS[0]; i++)
    if (r->plan_diff & PLAN_FIELDS[i].bit) {
      size_t len = strlen(list);
      snprintf(list + len, sizeof list - len, "%s%s", *list ? ", " : "", PLAN_FIELDS[i].name);
    }
  add(m, r, REWORK_PARALLELISM, -1, "parallelism: best plan changes %s", list);
}

static void cost(const rework_model *m, const rework_input *in, rework_result *r) {
  double largest = 0;
  for (int i = 0; i < r->n_items; i++) {
    r->engineer_weeks += r->items[i].weeks;
    largest = fmax(largest, r->items[i].weeks);
  }
  r->calendar_weeks = fmax(r->engineer_weeks / m->team_engineers, largest);
  r->engineer_usd = r->engineer_weeks * m->engineer_usd_per_week;
  r->validation_chip_hours = m->validation_runs * m->validation_hours_per_run * (double)in->chips_b;
  r->validation_usd = r->validation_chip_hours * in->b->chip.price_usd_per_chip_h;
  r->total_usd = r->engineer_usd + r->validation_usd;
}

static ts_status find_stack(const rework_model *m, const hw_system *s, const rework_stack **out,
                            ts_err *err) {
  *out = rework_model_stack(m, s->stack);
  if (*out) return TS_OK;
  char names[256] = "";
  for (int i = 0; i < m->n_stacks; i++) {
    size_t len = strlen(names);
    snprintf(names + len, sizeof names - len, "%s%s", i ? ", " : "", m->stacks[i].name);
  }
  return ts_fail(err, TS_EINPUT,
                 "%s: system '%s' field 'stack': '%s' is not described (stacks: %s)", m->path,
                 s->name, s->stack, names);
}

ts_status rework_compute(const rework_model *m, const rework_input *in, rework_result *out,
                         ts_err *err) {
  memset(out, 0, sizeof *out);
  if (!in->a || !in->b || !in->plan_a)
    return ts_fail(err, TS_EINPUT, "rework: systems A and B and the plan on A are required");
  if (in->chips_b < 0)
    return ts_fail(err, TS_EINPUT, "rework: field 'chips_b' is %lld, expected >= 0",
                   (long long)in->chips_b);
  if (in->plan_a->dtype >= HW_DTYPE_COUNT)
    return ts_fail(err, TS_EINPUT, "rework: plan dtype %d out of range", (int)in->plan_a->dtype);
  ts_status st = find_stack(m, in->a, &out->stack_a, err);
  if (!st) st = find_stack(m, in->b, &out->stack_b, err);
  if (st) return st;
  kernel_items(m, in, out);
  system_items(m, in, out);
  plan_items(m, in, out);
  cost(m, in, out);
  return TS_OK;
}
