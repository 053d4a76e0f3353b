/* hw: what the machine is. Chips, systems (a chip, its scale-up domain and scale-out network),
 * the shipped catalog of descriptor files under hw/chips and hw/systems, the topology graph built
 * from a system, and the host described by hwloc.
 *
 * Units are SI in double (FLOP/s, bytes, bytes/s, seconds, watts, USD); descriptor files may use
 * the customary unit when the field name says it (bf16_tflops, hbm_gb, link_GBps). */
#ifndef HW_HW_H
#define HW_HW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hw/base/ts_err.h"

/* ---- data types ---------------------------------------------------------------------------- */
typedef enum { HW_FP32, HW_FP16, HW_BF16, HW_FP8, HW_FP4, HW_DTYPE_COUNT } hw_dtype;

const char *hw_dtype_name(hw_dtype dt);            /* "fp32", "bf16", ... */
bool hw_dtype_parse(const char *text, hw_dtype *out);
double hw_dtype_bytes(hw_dtype dt);                /* 4, 2, 2, 1, 0.5 */

/* ---- chips ----------------------------------------------------------------------------------- */
enum { HW_NAME_MAX = 64, HW_SOURCE_MAX = 240, HW_MAX_SOURCES = 64 };
enum { HW_KERN_HOST_OPS = 12 }; /* room for sim/sim.h's kern_host_op classes */
enum { HW_COLL_KINDS = 4 };      /* sim/sim.h's kern_comm_kind: the host's measured collectives */

/* Where one figure came from: field name as written in the file, and its source text. */
typedef struct hw_source {
  char field[48];
  char text[HW_SOURCE_MAX];
} hw_source;

/* Constants of the kernel model (sim/kern), per chip, with where they were fitted. */
typedef struct hw_kernel_consts {
  double gemm_efficiency;  /* fraction of dense peak a large, well-shaped GEMM reaches */
  double attn_efficiency;  /* fraction of dense peak the fused flash-attention kernel reaches */
  double mem_efficiency;   /* fraction of HBM bandwidth streaming (memory-bound) kernels reach */
  double launch_s;         /* fixed cost per kernel: launch / instruction dispatch */
} hw_kernel_consts;

typedef struct hw_chip {
  char name[HW_NAME_MAX];
  char vendor[32];        /* "nvidia", "aws", "amd", "host" */
  char family[32];        /* "hopper", "trainium", ... */
  char generation[48];    /* human name: "H100 SXM", "Trainium2" */
  int year;               /* year available (general availability) */
  bool projected;         /* figures are projections */
  char projected_from[HW_SOURCE_MAX];
  double peak_flops[HW_DTYPE_COUNT]; /* dense FLOP/s per dtype; 0 = not supported */
  double hbm_bytes;
  double hbm_Bps;
  double sram_bytes;      /* on-chip SRAM (L2 / SBUF) */
  int compute_units;      /* SMs, CUs, or NeuronCores' tensor engines */
  int tile_m, tile_n, tile_k; /* output tile one unit computes per pass (wave quantisation) */
  int ranks_per_chip;     /* framework ranks per chip: GPUs 1, Trn1 2 NeuronCores, ... */
  double power_w;
  double price_usd_per_chip_h;
  char price_date[16];    /* "2025-06" */
  double failure_rate_per_chip_h; /* interruptions per chip-hour (0 = not given) */
  hw_kernel_consts kern;
  double fp8_gemm_efficiency; /* kern.fp8_efficiency: fp8 GEMMs reach this fraction of
                                 gemm_efficiency x fp8 peak (scaling, casts, amax: fp8 rarely
                                 reaches 2x bf16); 0 = not given = 1 */
  /* Kernel model, the host only (fitted by `trainsim calibrate` on the executor's own kernels,
   * sim/calib_ops.c; 0 on every catalog chip = not given, the generic forms apply): per op class
   * of sim/sim.h's kern_host_op, seconds = host_op_s[c][0] + host_op_s[c][1] u1 +
   * host_op_s[c][2] u2, with the class's work measures u1, u2 (kern_host_op_units). */
  double host_op_s[HW_KERN_HOST_OPS][3];
  int n_sources;
  hw_source sources[HW_MAX_SOURCES];
} hw_chip;

/* ---- systems --------------------------------------------------------------------------------- */
typedef enum {
  HW_TOPO_SWITCH,   /* one switch level: every chip one hop from the switch (NVSwitch) */
  HW_TOPO_SWITCH2,  /* two switch levels (NeuronSwitch in Trn3 UltraServer, NVL576) */
  HW_TOPO_RING,
  HW_TOPO_TORUS,    /* 2D or 3D with wrap-around (NeuronLink) */
  HW_TOPO_MESH,     /* full mesh: a direct link between every pair (AMD Infinity Fabric) */
  HW_TOPO_KIND_COUNT
} hw_topo_kind;

const char *hw_topo_kind_name(hw_topo_kind k);     /* "switch", "switch2", "ring", "torus", "mesh" */

typedef struct hw_scaleup {
  hw_topo_kind kind;
  int domain_chips;       /* chips in one scale-up domain */
  int ndims;              /* torus/ring: number of dimensions (ring: 1) */
  int dims[3];            /* torus/ring extents; product == domain_chips */
  int group_chips;        /* switch2: chips under one first-level switch */
  double link_Bps;        /* one link, one direction */
  int links_per_chip;     /* switch: links from a chip to the switch plane; torus: per neighbour */
  double chip_Bps;        /* scale-up bandwidth per chip, one direction (all links) */
  double latency_s;       /* per hop */
  /* torus/ring: one link's bandwidth, one direction, along each dimension. The loader always
   * fills dims 0..ndims-1 (equal to link_Bps unless the descriptor gives dim_link_GBps, e.g. the
   * slower Z ring across the four Trn2 instances of an UltraServer); 0 past ndims. */
  double dim_link_Bps[3];
  double bw_efficiency;   /* achievable fraction of the links' bandwidth (NCCL bus bandwidth vs
                             line rate); 0 = 1 */
  /* The host only (trainsim calibrate, sim/calib_comm.c): each collective kind as measured through
   * the executor's transport, seconds = coll_latency_s[k] + bytes / coll_Bps[k] (k a kern_comm_kind,
   * bytes as the op carries them) for a group of the calibrated size. On shared memory a
   * collective is copies and adds by the member cores, not transfers over links, and each kind
   * moves its bytes through the cores differently (a reduce-scatter reads every input, an
   * all-gather copies every part), so one link figure cannot time them all. coll_Bps 0: that kind
   * uses the link model. */
  double coll_latency_s[HW_COLL_KINDS], coll_Bps[HW_COLL_KINDS];
} hw_scaleup;

typedef struct hw_scaleout {
  double nic_Bps_per_chip; /* one direction */
  double latency_s;        /* end to end, one message */
  bool rail_optimized;
  double oversubscription; /* leaf uplinks vs downlinks; 1 = non-blocking */
  int leaf_chips;          /* chips (NICs) under one leaf switch */
  int64_t max_chips;       /* largest cluster the vendor builds of this system */
  double bw_efficiency;    /* achievable fraction of the NIC bandwidth; 0 = 1 */
} hw_scaleout;

typedef struct hw_system {
  char name[HW_NAME_MAX];
  char description[HW_SOURCE_MAX];
  char chip_name[HW_NAME_MAX];
  hw_chip chip;
  hw_scaleup up;
  hw_scaleout out;
  char stack[32];          /* software stack: "nccl", "neuron", "rccl", "host" */
  bool naive_attention;    /* the stack's attention is unfused (QK^T, softmax, dropout, AV as
                              separate kernels; Megatron-LM before FlashAttention): optional
                              top-level `attention: unfused` (default flash) */
  bool dp_after_backward;  /* the stack reduces gradients only after the whole backward (Megatron-LM
                              local DDP before 2023): optional top-level `grad_overlap: false` */
  double host_overhead_w_per_chip; /* CPU, NIC, fans per chip for energy */
  int n_sources;
  hw_source sources[HW_MAX_SOURCES];
} hw_system;

/* Loads by catalog name ("h100-sxm", "dgx-h100") or by path (contains '/' or ends in .yaml).
 * Unknown names fail with the closest catalog names in the message. */
ts_status hw_chip_load(const char *name_or_path, hw_chip *out, ts_err *err);
ts_status hw_system_load(const char *name_or_path, hw_system *out, ts_err *err);

/* The `host` system built from hwloc (and calibration when present; see sim/kern). */
ts_status hw_system_host(hw_system *out, ts_err *err);

/* Catalog names, sorted; *names is one malloc'd block (free it). */
ts_status hw_catalog_names(bool chips, char (**names)[HW_NAME_MAX], size_t *n, ts_err *err);
/* Folder holding hw/, models/ data: $TRAINSIM_DATA_DIR or the source tree it was built from. */
const char *hw_data_dir(void);

/* Source of a field ("bf16_tflops"), or NULL if none recorded. */
const char *hw_chip_source(const hw_chip *chip, const char *field);
/* Source of a system field ("scaleup.link_GBps"), or NULL if none recorded. */
const char *hw_system_source(const hw_system *sys, const char *field);
/* The (at most 3) catalog names closest to name by edit distance, comma-separated, among
 * systems, chips or both (chips marked "(chip)" when both are searched); "" when none. */
void hw_catalog_closest(const char *name, bool systems, bool chips, char *buf, size_t cap);

/* ---- host (hwloc) ---------------------------------------------------------------------------- */
typedef struct hw_host {
  char cpu_model[128];
  int packages, cores, pus, numa_nodes;
  double memory_bytes;
  double l1d_bytes, l2_bytes, l3_bytes; /* per cache instance */
  int l3_count;
  char fingerprint[256]; /* stable key for the calibration file */
} hw_host;

ts_status hw_host_describe(hw_host *out, ts_err *err);

/* ---- topology -------------------------------------------------------------------------------- */
/* A graph of chips, switches and directed links built from a system and a chip count. Queries do
 * not allocate: routes are written into the caller's array. */
typedef struct hw_topo hw_topo;

typedef enum { HW_TIER_SCALEUP, HW_TIER_SCALEOUT } hw_tier;

typedef struct hw_link {
  int32_t from, to;   /* vertex ids: chips are 0..chips-1, switches after */
  double Bps;         /* this direction */
  double latency_s;
  uint8_t tier;       /* hw_tier */
  uint8_t dim;        /* torus dimension, 0 otherwise */
} hw_link;

enum { HW_ROUTE_MAX = 16 };

ts_status hw_topo_new(const hw_system *sys, int64_t chips, hw_topo **out, ts_err *err);
void hw_topo_free(hw_topo *t);
int64_t hw_topo_chips(const hw_topo *t);
int32_t hw_topo_link_count(const hw_topo *t);
const hw_link *hw_topo_link(const hw_topo *t, int32_t id);
int64_t hw_topo_domain_of(const hw_topo *t, int64_t chip);
/* Writes the link ids from src to dst (at most HW_ROUTE_MAX); returns the hop count (0 if same,
 * -1 if a chip is out of range). Chips of one domain route over the scale-up network only. */
int hw_topo_route(const hw_topo *t, int64_t src, int64_t dst, int32_t links[HW_ROUTE_MAX]);
int hw_topo_hops(const hw_topo *t, int64_t src, int64_t dst);
/* Largest hop count between two chips of one scale-up domain, and of the whole cluster. */
int hw_topo_domain_diameter(const hw_topo *t);
int hw_topo_diameter(const hw_topo *t);
/* Bandwidth across the worst even cut, one direction: of one scale-up domain, and of the cluster. */
double hw_topo_domain_bisection_Bps(const hw_topo *t);
double hw_topo_bisection_Bps(const hw_topo *t);
/* Per-chip bandwidth, one direction, along torus/ring dimension dim (switch: the chip's total).
 * Torus/ring: both neighbours together, 2 x hw_topo_dim_link_Bps; mesh: all pair links. */
double hw_topo_dim_Bps(const hw_topo *t, int dim);
/* One neighbour link along torus/ring dimension dim, one direction (switch: the chip's total to
 * the switch; mesh: one pair's link); 0 for a dimension without links. */
double hw_topo_dim_link_Bps(const hw_topo *t, int dim);
/* Vertices (chips, then switches); scale-up domains; chips in domain d (the last may be partly
 * filled; 0 out of range); a chip's index inside its domain. */
int64_t hw_topo_vertex_count(const hw_topo *t);
int64_t hw_topo_domain_count(const hw_topo *t);
int hw_topo_domain_size(const hw_topo *t, int64_t domain);
int hw_topo_local_index(const hw_topo *t, int64_t chip);
/* Index of the scale-out leaf switch a chip's NIC hangs off (chips on one leaf reach each other
 * in 2 scale-out hops); -1 when the topology has one domain (no scale-out) or chip is out of range. */
int64_t hw_topo_leaf_of(const hw_topo *t, int64_t chip);

#endif
