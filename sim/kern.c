/* Kernel model: how long one compute op takes on one chip. The same form serves every chip, from
 * the host CPU (constants fitted by `trainsim calibrate` on OpenBLAS runs) to the accelerators
 * (constants from published measurements, in the descriptors).
 *
 * GEMM C[MxN] = A[MxK] B[KxN], `count` independent products (grouped expert GEMMs):
 *   tiles     = ceil(M / tile_m) * ceil(N / tile_n) * count, spread over U = compute_units
 *   waves     = ceil(tiles / U)
 *   wave_s    = tile_m * tile_n * K * 2 / (peak[dt] / U) / gemm_efficiency
 *               (one full tile at one unit's share of the peak; a partly filled wave or a padded
 *               tile costs what a full one costs: wave quantisation); fp8 GEMMs on a chip with
 *               an fp8 peak also take the chip's fp8_efficiency factor (per-tensor scaling,
 *               casts and amax reductions around the fp8 kernels: fp8 rarely reaches 2x bf16)
 *   compute_s = waves * wave_s
 *   memory_s  = (M*K + K*N + M*N) * count * bytes(dt) / (hbm_Bps * mem_efficiency)
 *   seconds   = max(compute_s, memory_s) + launch_s
 * Bound: launch when launch_s exceeds the rest; else memory when memory_s > compute_s; else wave
 * quantisation when compute_s exceeds the unquantised 2MNK*count / (peak * efficiency) by more
 * than 10%; else compute.
 * Attention (fused flash attention): max(flops / (peak * attn_efficiency), bytes / (hbm_Bps *
 * mem_efficiency)) + launch_s.
 * Memory-bound ops (norm, elementwise, embedding, loss, optimizer): max(bytes / (hbm_Bps *
 * mem_efficiency), flops / peak) + launch_s.
 * Communication ops are not kernels (sim/coll times them): 0 seconds.
 * The host's own kernels (sim/exec): on a chip with fitted host_op_s (only the calibrated host),
 * the ops of each kern_host_op class take c0 + c1 u1 + c2 u2 seconds (the class's work measures,
 * kern_host_op_units) instead of the generic forms: on a CPU, GELU, softmax, gathers and Adam are
 * bound by their arithmetic and access pattern, not by streaming bandwidth, and the attention
 * core is small sgemm blocks plus an online softmax. Bound: memory for the memory-bound kinds,
 * compute for attention; launch_s = c0.
 * An op with a measured duration_s (captured traces) takes exactly that, bound "measured"; the
 * replay scales it between systems beforehand when asked (tools/replay_scale.c).
 * A data type the chip has no peak for runs at its fp32 peak (the host executes bf16 as fp32);
 * an efficiency of 0 (not given) counts as 1. */
#include "sim/sim.h"

#include <math.h>

static const char *const BOUND_NAMES[KERN_BOUND_COUNT] = {
    [KERN_BOUND_COMPUTE] = "compute",
    [KERN_BOUND_MEMORY] = "memory",
    [KERN_BOUND_WAVE] = "wave quantisation",
    [KERN_BOUND_LAUNCH] = "launch",
    [KERN_BOUND_TABLE] = "table",
    [KERN_BOUND_MEASURED] = "measured",
};

/* Above this ratio of quantised to unquantised compute time, the waves are what bounds. */
static const double WAVE_BOUND_RATIO = 1.10;

const char *kern_bound_name(kern_bound b) {
  return (unsigned)b < KERN_BOUND_COUNT ? BOUND_NAMES[b] : "none";
}

static double or_one(double x) {
  return x > 0.0 ? x : 1.0;
}

static double chip_peak(const hw_chip *chip, hw_dtype dt) {
  if ((unsigned)dt < HW_DTYPE_COUNT && chip->peak_flops[dt] > 0.0) return chip->peak_flops[dt];
  return chip->peak_flops[HW_FP32];
}

/* Seconds to do `flops` at rate flops_per_s; a rate of 0 (unknown) costs nothing. */
static double time_at(double amount, double rate) {
  return rate > 0.0 ? amount / rate : 0.0;
}

static double mem_rate(const hw_chip *chip) {
  return chip->hbm_Bps * or_one(chip->kern.mem_efficiency);
}

/* Adds launch, picks launch/memory/compute as the bound, fills achieved FLOP/s. */
static kern_estimate finish(const hw_chip *chip, double compute_s, double memory_s, double flops) {
  kern_estimate e = {0};
  double body = fmax(compute_s, memory_s);
  e.compute_s = compute_s;
  e.memory_s = memory_s;
  e.launch_s = chip->kern.launch_s > 0.0 ? chip->kern.launch_s : 0.0;
  e.seconds = body + e.launch_s;
  e.bound = e.launch_s > body      ? KERN_BOUND_LAUNCH
            : memory_s > compute_s ? KERN_BOUND_MEMORY
                                   : KERN_BOUND_COMPUTE;
  e.flops_per_s = e.seconds > 0.0 ? flops / e.seconds : 0.0;
  return e;
}

kern_estimate kern_gemm(const hw_chip *chip, int64_t m, int64_t n, int64_t k, int64_t count,
                        hw_dtype dt) {
  if (m <= 0 || n <= 0 || k <= 0 || count <= 0) return finish(chip, 0.0, 0.0, 0.0);
  double units = chip->compute_units > 0 ? chip->compute_units : 1;
  double tm = chip->tile_m > 0 ? chip->tile_m : 1, tn = chip->tile_n > 0 ? chip->tile_n : 1;
  double rate = chip_peak(chip, dt) * or_one(chip->kern.gemm_efficiency);
  if (dt == HW_FP8 && chip->peak_flops[HW_FP8] > 0.0) rate *= or_one(chip->fp8_gemm_efficiency);
  double md = (double)m, nd = (double)n, kd = (double)k, cd = (double)count;
  double flops = 2.0 * md * nd * kd * cd;
  double tiles = ceil(md / tm) * ceil(nd / tn) * cd;
  double waves = ceil(tiles / units);
  double wave_s = time_at(tm * tn * kd * 2.0 * units, rate);
  double compute_s = waves * wave_s;
  double memory_s =
      time_at((md * kd + kd * nd + md * nd) * cd * hw_dtype_bytes(dt), mem_rate(chip));
  kern_estimate e = finish(chip, compute_s, memory_s, flops);
  e.tiles = tiles;
  e.waves = waves;
  if (e.bound == KERN_BOUND_COMPUTE && compute_s > WAVE_BOUND_RATIO * time_at(flops, rate))
    e.bound = KERN_BOUND_WAVE;
  return e;
}

static kern_estimate attention(const hw_chip *chip, const trace_op *op) {
  double rate = chip_peak(chip, (hw_dtype)op->dtype) * or_one(chip->kern.attn_efficiency);
  return finish(chip, time_at(op->flops, rate), time_at(op->bytes, mem_rate(chip)), op->flops);
}

static kern_estimate memory_op(const hw_chip *chip, const trace_op *op) {
  double compute_s = time_at(op->flops, chip_peak(chip, (hw_dtype)op->dtype));
  return finish(chip, compute_s, time_at(op->bytes, mem_rate(chip)), op->flops);
}

_Static_assert((int)KERN_HOST_OP_COUNT <= (int)HW_KERN_HOST_OPS,
               "hw_chip.host_op_s has too few rows");

static const char *const HOST_OP_NAMES[KERN_HOST_OP_COUNT] = {
    [KERN_HOST_NORM] = "norm",
    [KERN_HOST_ELEMENTWISE] = "elementwise",
    [KERN_HOST_EMBEDDING_FWD] = "embedding_fwd",
    [KERN_HOST_EMBEDDING_BWD] = "embedding_bwd",
    [KERN_HOST_LOSS_FWD] = "loss_fwd",
    [KERN_HOST_LOSS_BWD] = "loss_bwd",
    [KERN_HOST_OPTIMIZER] = "optimizer",
    [KERN_HOST_ATTENTION_FWD] = "attention_fwd",
    [KERN_HOST_ATTENTION_BWD] = "attention_bwd",
};

const char *kern_host_op_name(kern_host_op c) {
  return (unsigned)c < KERN_HOST_OP_COUNT ? HOST_OP_NAMES[c] : "?";
}

bool kern_host_op_of(const trace_op *op, kern_host_op *out) {
  bool bwd = op->phase == TRACE_PHASE_BACKWARD;
  switch ((trace_op_kind)op->kind) {
    case TRACE_OP_NORM:
      *out = KERN_HOST_NORM;
      return true;
    case TRACE_OP_ELEMENTWISE:
      *out = KERN_HOST_ELEMENTWISE;
      return true;
    case TRACE_OP_EMBEDDING:
      *out = bwd ? KERN_HOST_EMBEDDING_BWD : KERN_HOST_EMBEDDING_FWD;
      return true;
    case TRACE_OP_LOSS:
      *out = bwd ? KERN_HOST_LOSS_BWD : KERN_HOST_LOSS_FWD;
      return true;
    case TRACE_OP_OPTIMIZER:
      *out = KERN_HOST_OPTIMIZER;
      return true;
    case TRACE_OP_ATTENTION:
      *out = bwd ? KERN_HOST_ATTENTION_BWD : KERN_HOST_ATTENTION_FWD;
      return true;
    default:
      return false;
  }
}

/* Score elements of the blocked causal kernel (sim/exec/exec_attn.c, blocks of 64): per head, each
 * query block of bi rows meets the keys up to its last row in whole key blocks. */
static double causal_scores(int64_t n) {
  enum { BLK = 64 };
  double total = 0.0;
  for (int64_t i0 = 0; i0 < n; i0 += BLK) {
    int64_t bi = n - i0 < BLK ? n - i0 : BLK, last = i0 + bi - 1;
    int64_t keys = (last / BLK + 1) * BLK;
    total += (double)bi * (double)(keys < n ? keys : n);
  }
  return total;
}

void kern_host_op_units(const trace_op *op, double *u1, double *u2) {
  *u1 = *u2 = 0.0;
  if (op->kind == TRACE_OP_ATTENTION) {
    if (op->m < 1 || op->n < 1 || op->k < 1) return;
    *u1 = (double)op->m * causal_scores(op->n);
    *u2 = *u1 * (double)op->k;
  } else {
    *u1 = op->bytes > 0.0 ? op->bytes : 0.0;
    if (op->kind == TRACE_OP_EMBEDDING) /* rows: a cache and TLB miss each */
      *u2 = op->m > 0 ? (double)op->m : *u1 / KERN_EMBEDDING_ROW_BYTES;
  }
}

/* The fitted host form, when the chip has constants for the op's class. */
static bool host_op(const hw_chip *chip, const trace_op *op, kern_estimate *e) {
  kern_host_op c;
  if (!kern_host_op_of(op, &c)) return false;
  const double *k = chip->host_op_s[c];
  if (!(k[0] > 0.0 || k[1] > 0.0 || k[2] > 0.0)) return false;
  double u1, u2;
  kern_host_op_units(op, &u1, &u2);
  double body = k[1] * u1 + k[2] * u2;
  *e = (kern_estimate){0};
  bool attn = op->kind == TRACE_OP_ATTENTION;
  if (attn)
    e->compute_s = body;
  else
    e->memory_s = body;
  e->launch_s = k[0];
  e->seconds = body + k[0];
  e->bound = k[0] > body ? KERN_BOUND_LAUNCH : attn ? KERN_BOUND_COMPUTE : KERN_BOUND_MEMORY;
  e->flops_per_s = e->seconds > 0.0 ? op->flops / e->seconds : 0.0;
  return true;
}

static kern_estimate from_table(double seconds, double flops) {
  kern_estimate e = {0};
  e.seconds = seconds;
  e.bound = KERN_BOUND_TABLE;
  e.flops_per_s = seconds > 0.0 ? flops / seconds : 0.0;
  return e;
}

kern_estimate kern_op(const hw_chip *chip, const trace_op *op, const kern_table *kt) {
  trace_op_kind kind = (trace_op_kind)op->kind;
  if (kind >= TRACE_OP_KIND_COUNT || trace_op_is_comm(kind))
    return (kern_estimate){.bound = KERN_BOUND_COUNT};
  if (op->duration_s > 0.0) { /* a captured trace's measured time stands (see trace_op) */
    kern_estimate e = from_table(op->duration_s, op->flops);
    e.bound = KERN_BOUND_MEASURED;
    return e;
  }
  hw_dtype dt = (hw_dtype)op->dtype;
  double row_s = 0.0;
  if (kind == TRACE_OP_GEMM) {
    if (kt && kern_table_find(kt, kind, dt, op->m, op->n, op->k, 0.0, &row_s)) {
      double products = op->count > 0 ? (double)op->count : 1.0;
      return from_table(row_s * products, 2.0 * (double)op->m * op->n * op->k * products);
    }
    return kern_gemm(chip, op->m, op->n, op->k, op->count > 0 ? op->count : 1, dt);
  }
  if (kt && kern_table_find(kt, kind, dt, 0, 0, 0, op->bytes, &row_s))
    return from_table(row_s, op->flops);
  kern_estimate host;
  if (host_op(chip, op, &host)) return host;
  return kind == TRACE_OP_ATTENTION ? attention(chip, op) : memory_op(chip, op);
}
