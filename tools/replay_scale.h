/* What `trainsim replay` does to a trace before simulating it, beyond re-targeting: measured
 * durations of captured traces carried from the system they were captured on to the target
 * (--captured-on), and the reports of these changes and of a DP re-size (--dp, --chips). */
#ifndef TOOLS_REPLAY_SCALE_H
#define TOOLS_REPLAY_SCALE_H

#include "sim/sim.h"

typedef struct replay_durations {
  uint64_t measured; /* compute ops (over the class programs) with a measured duration_s */
  uint64_t scaled;   /* of them, scaled by the kernel model's ratio */
  double min_ratio, max_ratio; /* target / captured-on kernel time over the scaled ops */
} replay_durations;

/* Counts the ops with a measured duration_s; with from != NULL and from->chip differing from
 * to->chip, scales each by kern_op(to) / kern_op(from) for the op's FLOPs and bytes (each timed on
 * one rank's share of the chip, as the engine times it). An op the model times at 0 on `from`
 * keeps its duration. */
void replay_scale_durations(trace *t, const hw_system *from, const hw_system *to,
                            replay_durations *out);

#endif
