/* coll_auto: which algorithm the system's software stack would pick (COLL_ALGO_AUTO).
 *
 * Choice table (HARDWARE.md, "Neuron collectives on the Trn2 torus"; NCCL's tuner):
 *
 *   stack            collective        group inside one domain        group spans domains
 *   nccl/rccl/other  all_reduce        ring (mesh on a full mesh)     fastest of tree and
 *                                                                     hier (ring if 1 rank/domain)
 *                    all_gather, RS    ring (mesh on a full mesh)     hier (ring if 1 rank/domain)
 *                    all_to_all        direct                         direct
 *   neuron           all_reduce,       < 1 MiB mesh                   hier
 *                    all_gather, RS    1-56 MiB rhd
 *                                      > 56 MiB kangaring (torus/ring scale-up), else ring
 *                    all_to_all        direct                         direct
 *
 * NCCL's tuner times every algorithm with its own cost model and keeps the fastest; for an
 * all-reduce across nodes that means the tree for small messages and the ring (over the rails,
 * which is what hier models) for large ones, with a crossover that moves with the node count.
 * We do the same with our model: both candidates are timed and the faster kept (coll.c). An
 * algorithm that does not apply falls back as coll.c says (rhd on a group that is not a power of
 * two: ring). */
#include "sim/coll_int.h"

#include <math.h>
#include <string.h>

typedef struct coll_size_rule {
  double below_bytes;
  coll_algo algo;
} coll_size_rule;

enum { COLL_SIZE_RULES = 3 };
#define COLL_MIB (1024.0 * 1024.0)

/* Neuron: Mesh < 1 MB, recursive halving/doubling 1-56 MB, KangaRing above (Hamiltonian cycles
 * of the torus; the per-dimension rings where no cycle applies). */
static const coll_size_rule neuron_torus_rules[COLL_SIZE_RULES] = {
    {1 * COLL_MIB, COLL_ALGO_MESH}, {56 * COLL_MIB, COLL_ALGO_RHD}, {INFINITY, COLL_ALGO_KANGARING}};
static const coll_size_rule neuron_switch_rules[COLL_SIZE_RULES] = {
    {1 * COLL_MIB, COLL_ALGO_MESH}, {56 * COLL_MIB, COLL_ALGO_RHD}, {INFINITY, COLL_ALGO_RING}};

typedef int coll_stack_choose_fn(const coll_shape *sh, const hw_system *sys, trace_op_kind kind,
                                 double bytes, coll_algo out[COLL_AUTO_MAX_CANDIDATES]);

static bool spans_domains(const coll_shape *sh) {
  return sh->m > 1;
}
static coll_algo across_domains(const coll_shape *sh) {
  return sh->hier_ok && sh->c > 1 ? COLL_ALGO_HIER : COLL_ALGO_RING;
}

/* On a fully connected mesh (AMD Infinity Fabric: 7 direct links per GPU) RCCL runs several rings
 * at once so that every link carries traffic (bus bandwidth about (n-1) links); one ring r -> r+1
 * would load one link of seven. The all-pairs exchange (mesh) is that use of every link. */
static int nccl_choose(const coll_shape *sh, const hw_system *sys, trace_op_kind kind, double bytes,
                       coll_algo out[COLL_AUTO_MAX_CANDIDATES]) {
  (void)bytes;
  if (kind == TRACE_OP_ALL_TO_ALL) return out[0] = COLL_ALGO_DIRECT, 1;
  if (!spans_domains(sh))
    return out[0] = sys->up.kind == HW_TOPO_MESH ? COLL_ALGO_MESH : COLL_ALGO_RING, 1;
  out[0] = across_domains(sh);
  if (kind != TRACE_OP_ALL_REDUCE) return 1;
  out[1] = COLL_ALGO_TREE;
  return 2;
}

static int neuron_choose(const coll_shape *sh, const hw_system *sys, trace_op_kind kind,
                         double bytes, coll_algo out[COLL_AUTO_MAX_CANDIDATES]) {
  if (kind == TRACE_OP_ALL_TO_ALL) return out[0] = COLL_ALGO_DIRECT, 1;
  if (spans_domains(sh)) return out[0] = COLL_ALGO_HIER, 1;
  bool torus = sys->up.kind == HW_TOPO_TORUS || sys->up.kind == HW_TOPO_RING;
  const coll_size_rule *rules = torus ? neuron_torus_rules : neuron_switch_rules;
  for (int i = 0; i < COLL_SIZE_RULES; i++)
    if (bytes < rules[i].below_bytes) return out[0] = rules[i].algo, 1;
  return out[0] = rules[COLL_SIZE_RULES - 1].algo, 1;
}

static const struct {
  const char *stack;
  coll_stack_choose_fn *choose;
} coll_stacks[] = {
    {"nccl", nccl_choose},
    {"rccl", nccl_choose},
    {"neuron", neuron_choose},
};

int coll_auto_candidates(const coll_ctx *ctx, trace_op_kind kind, double bytes,
                         coll_algo out[COLL_AUTO_MAX_CANDIDATES]) {
  const coll_shape *sh = &ctx->comm->shape;
  for (size_t i = 0; i < sizeof coll_stacks / sizeof coll_stacks[0]; i++)
    if (strcmp(ctx->sys->stack, coll_stacks[i].stack) == 0)
      return coll_stacks[i].choose(sh, ctx->sys, kind, bytes, out);
  return nccl_choose(sh, ctx->sys, kind, bytes, out); /* host and unknown stacks: NCCL-like */
}
