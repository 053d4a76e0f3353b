/* What limits a system in the comparison, read from the critical rank's step breakdown: the
 * largest of compute, exposed TP+CP communication, exposed EP all-to-all, the pipeline bubble,
 * exposed DP communication and the optimizer. Memory is a second mark, read from the plan: the
 * search chose recomputation (it never makes a step faster, so only memory forces it), or the
 * plan fills more than 90% of HBM (a larger micro-batch would not fit). */
#include "sim/study/compare.h"

const char *compare_limit_name(compare_limit l) {
  static const char *const names[COMPARE_LIMIT_COUNT] = {
      "compute", "TP comm", "EP comm", "bubble", "DP comm", "optimizer"};
  return (unsigned)l < COMPARE_LIMIT_COUNT ? names[l] : "?";
}

void compare_classify(compare_row *row, const plan *fixed) {
  const sim_breakdown *b = &row->report.breakdown;
  double parts[COMPARE_LIMIT_COUNT] = {
      [COMPARE_LIMIT_COMPUTE] = b->compute_s,
      [COMPARE_LIMIT_TP_COMM] = b->exposed_tp_s + b->exposed_cp_s,
      [COMPARE_LIMIT_EP_COMM] = b->exposed_ep_s,
      [COMPARE_LIMIT_BUBBLE] = b->bubble_s,
      [COMPARE_LIMIT_DP_COMM] = b->exposed_dp_s,
      [COMPARE_LIMIT_OPTIMIZER] = b->optimizer_s,
  };
  compare_limit best = COMPARE_LIMIT_COMPUTE;
  for (int l = 1; l < COMPARE_LIMIT_COUNT; l++)
    if (parts[l] > parts[best]) best = (compare_limit)l;
  row->limit = best;
  row->limit_share = row->report.step_s > 0 ? parts[best] / row->report.step_s : 0;
  bool recompute_fixed = fixed && (fixed->set & PLAN_SET_RECOMPUTE);
  row->memory_recompute = !recompute_fixed && row->plan.recompute != PLAN_RECOMP_NONE;
  row->memory_tight = row->hbm_bytes_per_chip > 0 &&
                      row->report.memory_bytes_per_chip > 0.9 * row->hbm_bytes_per_chip;
}
