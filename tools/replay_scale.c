/* Measured durations across systems (`trainsim replay --captured-on S`). A captured trace's COMP
 * node that carries only duration_micros was measured on the system it was captured on; on another
 * system it takes that time times the kernel model's ratio for the op's FLOPs and bytes:
 *     d_target = d_measured · kern_op(target rank chip, op) / kern_op(captured-on rank chip, op),
 * the model's own times read without the measured duration. The rank chip is the share of the chip
 * one rank runs on (peak, HBM bandwidth, compute units divided by ranks per chip), as sim/sim.c
 * times kernels. */
#include "tools/replay_scale.h"

#include <string.h>

static hw_chip rank_chip(const hw_system *sys) {
  hw_chip c = sys->chip;
  int64_t n = c.ranks_per_chip > 1 ? c.ranks_per_chip : 1;
  for (int d = 0; d < HW_DTYPE_COUNT; d++) c.peak_flops[d] /= (double)n;
  c.hbm_Bps /= (double)n;
  c.hbm_bytes /= (double)n;
  c.sram_bytes /= (double)n;
  c.compute_units = c.compute_units / (int)n > 0 ? c.compute_units / (int)n : 1;
  c.ranks_per_chip = 1;
  return c;
}

void replay_scale_durations(trace *t, const hw_system *from, const hw_system *to,
                            replay_durations *out) {
  *out = (replay_durations){0};
  bool scale = from && strcmp(from->name, to->name) != 0;
  hw_chip src = rank_chip(from ? from : to), dst = rank_chip(to);
  for (uint32_t c = 0; c < t->n_classes; c++)
    for (uint32_t i = 0; i < t->classes[c].n_ops; i++) {
      trace_op *o = &t->classes[c].ops[i];
      if (o->duration_s <= 0.0) continue;
      out->measured++;
      if (!scale) continue;
      trace_op bare = *o;
      bare.duration_s = 0.0;
      double s = kern_op(&src, &bare, NULL).seconds, d = kern_op(&dst, &bare, NULL).seconds;
      if (!(s > 0.0)) continue;
      double r = d / s;
      o->duration_s *= r;
      if (out->scaled == 0 || r < out->min_ratio) out->min_ratio = r;
      if (out->scaled == 0 || r > out->max_ratio) out->max_ratio = r;
      out->scaled++;
    }
}
