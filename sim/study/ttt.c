/* Time-to-train for a token budget: goodput under failures and checkpoints, chip-hours, cost and
 * energy, from one simulated step.
 *
 * Model (all times in seconds):
 *   ideal  W = tokens / tokens_per_step x step_s
 *   job MTBF  M = 3600 / (failure_rate_per_chip_h x chips)
 *   checkpoint write  d = checkpoint_bytes / storage_Bps,
 *     checkpoint_bytes = params x 14 B (2 B bf16 weights + 12 B fp32 master, Adam m and v)
 *   interval tau (compute between checkpoints), Daly 2006 (FGCS 22(3)) higher-order form:
 *     tau = sqrt(2dM) (1 + sqrt(d/2M)/3 + d/18M) - d   for d < 2M,   tau = M otherwise
 *     (Young 1974's first-order form is sqrt(2dM))
 *   each interruption loses the restart R plus, on average, half a segment: R + (tau + d)/2
 *   total T = W (1 + d/tau) + (T/M) (R + (tau + d)/2), so
 *     T = W (1 + d/tau) / (1 - (R + (tau + d)/2) / M)       (no progress when the divisor <= 0)
 *   goodput = W / T, interruptions = T / M, chip-hours = chips x T / 3600, cost = chip-hours x
 * price power  P = chips x (power_w x (idle + (1 - idle) x busy) + host_overhead_w_per_chip) x PUE,
 *     busy = the share of the step the chips compute, idle = 0.5 (a chip that waits on
 *     communication still draws about half its TDP); energy = P x T (time lost to failures is
 *     counted at the same average power, a small overestimate).
 * Defaults: PUE 1.2 (a modern hyperscale hall; the Uptime Institute's 2023 industry average is
 * 1.58, Google reports 1.10); storage 2 TB/s aggregate (Llama 3, arXiv 2407.21783 sec. 3.3.1:
 * Tectonic sustains 2 TB/s, peaks at 7 TB/s, for a 16k-GPU job); restart 600 s (assumed:
 * rescheduling, process-group initialisation and checkpoint reload take minutes at scale).
 * A failure rate of 0 means no interruptions, so no checkpoints are charged: goodput 1. */
#include "sim/study/study.h"

#include <math.h>
#include <string.h>

void ttt_options_init(ttt_options *opt) {
  *opt = (ttt_options){
      .pue = 1.2,
      .idle_power_fraction = 0.5,
      .price_usd_per_chip_h = -1,
      .failure_rate_per_chip_h = -1,
      .checkpoint_bytes = -1,
      .checkpoint_bytes_per_param = 14,
      .storage_Bps = 2e12,
      .restart_s = 600,
  };
}

double ttt_young_interval_s(double d, double m) {
  return sqrt(2 * d * m);
}

double ttt_daly_interval_s(double d, double m) {
  if (d >= 2 * m) return m;
  double r = d / (2 * m);
  return sqrt(2 * d * m) * (1 + sqrt(r) / 3 + r / 9) - d;
}

/* A finite value in [lo, hi], else an error naming the field. */
static ts_status check_range(const char *field, double v, double lo, double hi, ts_err *err) {
  if (isfinite(v) && v >= lo && v <= hi) return TS_OK;
  return ts_fail(err, TS_EINPUT, "time-to-train: field '%s' is %g, expected a number in [%g, %g]",
                 field, v, lo, hi);
}

static ts_status check_input(const ttt_input *in, const ttt_options *o, ts_err *err) {
  ts_status st = check_range("step_s", in->step_s, 1e-12, 1e12, err);
  if (!st) st = check_range("tokens_per_step", in->tokens_per_step, 1, 1e18, err);
  if (!st) st = check_range("tokens", in->tokens, 1, 1e18, err);
  if (!st && in->chips < 1)
    st = ts_fail(err, TS_EINPUT, "time-to-train: field 'chips' is %lld, expected >= 1",
                 (long long)in->chips);
  if (!st) st = check_range("busy_fraction", in->busy_fraction, 0, 1, err);
  if (!st) st = check_range("pue", o->pue, 1, 10, err);
  if (!st) st = check_range("idle_power_fraction", o->idle_power_fraction, 0, 1, err);
  if (!st) st = check_range("storage_Bps", o->storage_Bps, 1, 1e18, err);
  if (!st) st = check_range("restart_s", o->restart_s, 0, 1e9, err);
  if (!st)
    st = check_range("checkpoint_bytes_per_param", o->checkpoint_bytes_per_param, 0, 1e3, err);
  return st;
}

/* Price, failure rate and checkpoint size: the override, else the system or the model. */
static ts_status resolve(const hw_system *sys, const ttt_input *in, const ttt_options *o,
                         ttt_result *r, ts_err *err) {
  r->price_usd_per_chip_h =
      o->price_usd_per_chip_h >= 0 ? o->price_usd_per_chip_h : sys->chip.price_usd_per_chip_h;
  r->failure_rate_per_chip_h = o->failure_rate_per_chip_h >= 0 ? o->failure_rate_per_chip_h
                                                               : sys->chip.failure_rate_per_chip_h;
  r->checkpoint_bytes = o->checkpoint_bytes >= 0 ? o->checkpoint_bytes
                                                 : in->params_total * o->checkpoint_bytes_per_param;
  ts_status st = check_range("price_usd_per_chip_h", r->price_usd_per_chip_h, 0, 1e6, err);
  if (!st) st = check_range("failure_rate_per_chip_h", r->failure_rate_per_chip_h, 0, 1, err);
  if (!st) st = check_range("checkpoint_bytes", r->checkpoint_bytes, 0, 1e18, err);
  if (!st && r->checkpoint_bytes <= 0 && r->failure_rate_per_chip_h > 0)
    st = ts_fail(err, TS_EINPUT,
                 "time-to-train: field 'params_total' is %g and no checkpoint_bytes given: the "
                 "checkpoint size is needed when the failure rate is > 0",
                 in->params_total);
  if (!st) st = check_range("power_w", sys->chip.power_w, 0, 1e6, err);
  if (!st) st = check_range("host_overhead_w_per_chip", sys->host_overhead_w_per_chip, 0, 1e6, err);
  return st;
}

/* Goodput part: MTBF, Daly interval, expected wall time. */
static ts_status goodput(const ttt_input *in, const ttt_options *o, ttt_result *r, ts_err *err) {
  r->checkpoint_write_s = r->checkpoint_bytes / o->storage_Bps;
  if (r->failure_rate_per_chip_h == 0) {
    r->wall_s = r->ideal_s;
    return TS_OK;
  }
  double m = 3600.0 / (r->failure_rate_per_chip_h * (double)in->chips);
  double d = r->checkpoint_write_s;
  double tau = ttt_daly_interval_s(d, m);
  r->mtbf_s = m;
  r->checkpoint_interval_s = tau;
  r->lost_s_per_interruption = o->restart_s + (tau + d) / 2;
  double divisor = 1 - r->lost_s_per_interruption / m;
  if (!(divisor > 0) || !(tau > 0))
    return ts_fail(err, TS_ERUN,
                   "time-to-train: the job's MTBF (%.0f s at %g failures per chip-hour on %lld "
                   "chips) is shorter than the %.0f s each interruption loses (restart %.0f s + "
                   "half of interval %.0f s and checkpoint write %.0f s): the run cannot progress",
                   m, r->failure_rate_per_chip_h, (long long)in->chips, r->lost_s_per_interruption,
                   o->restart_s, tau, d);
  r->wall_s = r->ideal_s * (1 + d / tau) / divisor;
  r->interruptions = r->wall_s / m;
  r->checkpoints = r->ideal_s / tau;
  return TS_OK;
}

ts_status ttt_compute(const hw_system *sys, const ttt_input *in, const ttt_options *opt,
                      ttt_result *out, ts_err *err) {
  ttt_options defaults;
  ttt_options_init(&defaults);
  const ttt_options *o = opt ? opt : &defaults;
  memset(out, 0, sizeof *out);
  ts_status st = check_input(in, o, err);
  if (!st) st = resolve(sys, in, o, out, err);
  if (st) return st;
  out->steps = in->tokens / in->tokens_per_step;
  out->ideal_s = out->steps * in->step_s;
  st = goodput(in, o, out, err);
  if (st) return st;
  double chips = (double)in->chips;
  out->goodput = out->ideal_s / out->wall_s;
  out->chip_hours = chips * out->wall_s / 3600.0;
  out->cost_usd = out->chip_hours * out->price_usd_per_chip_h;
  double idle = o->idle_power_fraction;
  double chip_w = sys->chip.power_w * (idle + (1 - idle) * in->busy_fraction);
  out->power_w = chips * (chip_w + sys->host_overhead_w_per_chip) * o->pue;
  out->energy_j = out->power_w * out->wall_s;
  out->energy_mwh = out->energy_j / 3.6e9;
  return TS_OK;
}

void ttt_input_from_report(const sim_report *r, const model *m, const plan *p, int64_t seq,
                           double tokens, int64_t chips, ttt_input *out) {
  double compute_s = r->breakdown.compute_s + r->breakdown.optimizer_s;
  double busy = r->step_s > 0 ? compute_s / r->step_s : 1;
  *out = (ttt_input){
      .step_s = r->step_s,
      .tokens_per_step = (double)p->gbs * (double)seq,
      .tokens = tokens,
      .chips = chips,
      .busy_fraction = busy < 0   ? 0
                       : busy > 1 ? 1
                                  : busy,
      .params_total = model_params_total(m),
  };
}
