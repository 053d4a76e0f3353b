/* Internals shared by the files of the discrete-event core (engine.c, replay*.c, sim.c, report.c,
 * timeline.c) and by their own tests and benchmark; no other library folder includes this.
 *
 * Two layers:
 * - the event queue (engine.c): fixed-size events pooled on a free list with their payload inline,
 *   ordered by a binary heap on (time, insertion sequence), so equal times pop in the order they
 *   were scheduled and every run is deterministic (libuv orders its timers the same way); events
 *   scheduled back to back for the same time share one heap node (a run);
 * - the replay (replay.c): ranks, FIFO streams, dependencies, rendezvous of collectives and
 *   send/recv pairs, and the accounting the report needs. Costs come from a table of two
 *   callbacks (sim_cost_model), so the core knows nothing of kernels or links and tests can plug
 *   in closed forms. */
#ifndef SIM_ENGINE_INT_H
#define SIM_ENGINE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/sim.h"

/* ---- event queue ----------------------------------------------------------------------------- */
typedef struct sim_event {
  sim_ps time;
  uint32_t a, b, c; /* payload, meaning per type */
  uint16_t type;
  uint16_t d;
} sim_event;

/* A pooled event: payload inline; `next` links the events of one run, or the free list. */
typedef struct sim_event_slot {
  uint32_t a, b, c, next;
  uint16_t type, d;
} sim_event_slot;

/* Heap node: a run of events scheduled one after the other for the same time, keyed by the time
 * and (sequence of the run's first event << SIM_EVENT_INDEX_BITS | pool index of its head). The
 * sequence is unique and in the high bits, and a run's events have consecutive sequences, so the
 * heap pops in exactly (time, insertion) order. */
enum { SIM_EVENT_INDEX_BITS = 24 };
#define SIM_EVENT_MAX_POOL ((uint32_t)1 << SIM_EVENT_INDEX_BITS)

typedef struct sim_heap_node {
  sim_ps time;
  uint64_t key;
} sim_heap_node;

typedef struct sim_engine {
  sim_event_slot *pool;
  uint32_t pool_cap;
  uint32_t free_head; /* UINT32_MAX when empty */
  sim_heap_node *heap;
  uint32_t n_nodes;   /* runs in the heap */
  uint32_t n;         /* events pending */
  uint32_t open_tail; /* last event of the run still open for appending, or UINT32_MAX */
  sim_ps open_time;
  uint64_t seq;       /* next insertion sequence */
  uint64_t processed; /* events popped */
  sim_ps now;         /* time of the last popped event */
} sim_engine;

/* capacity: events expected in flight at once (the pool grows by doubling past it, which is the
 * only allocation; a run sized right never allocates after init). */
ts_status sim_engine_init(sim_engine *e, uint32_t capacity, ts_err *err);
void sim_engine_fini(sim_engine *e);
/* false when the pool cannot grow (out of memory or SIM_EVENT_MAX_POOL events in flight). */
bool sim_engine_schedule(sim_engine *e, sim_ps time, uint16_t type, uint32_t a, uint32_t b,
                         uint32_t c, uint16_t d);
/* Pops the earliest event into *out (time, then insertion order); false when none is left. */
bool sim_engine_pop(sim_engine *e, sim_event *out);
static inline uint32_t sim_engine_pending(const sim_engine *e) {
  return e->n;
}

/* ---- match table ----------------------------------------------------------------------------- */
/* Open-addressing hash table (linear probing, backward-shift deletion) that pairs the arrivals of a
 * rendezvous (a collective's group members, a send with its recv) and caches costs. Keys are two
 * 64-bit words; k0 must have bit 63 set (k0 == 0 marks an empty slot). */
typedef struct sim_match_entry {
  uint64_t k0, k1;
  sim_ps dur;
  uint32_t count;
  uint32_t rank, op;
  uint32_t kind;
} sim_match_entry;

typedef struct sim_match {
  sim_match_entry *slots;
  uint32_t cap, n; /* cap: a power of two */
} sim_match;

#define SIM_MATCH_KEY ((uint64_t)1 << 63)

ts_status sim_match_init(sim_match *m, uint32_t capacity, ts_err *err);
void sim_match_fini(sim_match *m);
/* The entry for (k0, k1), created zeroed (*created set) when absent; NULL when the table cannot
 * grow. The pointer is valid until the next get or remove. */
sim_match_entry *sim_match_get(sim_match *m, uint64_t k0, uint64_t k1, bool *created);
void sim_match_remove(sim_match *m, sim_match_entry *e);

/* ---- costs ----------------------------------------------------------------------------------- */
/* Seconds of compute op `op` of class cls on one chip. */
typedef ts_status sim_compute_cost_fn(void *ctx, const trace *t, uint32_t cls, const trace_op *op,
                                      double *seconds, ts_err *err);
/* Seconds of communication op `op` (a collective, or a send/recv as TRACE_OP_SEND) of class cls
 * when all the groups run it at once. */
typedef ts_status sim_comm_cost_fn(void *ctx, const trace *t, uint32_t cls, const trace_op *op,
                                   trace_op_kind kind, const coll_groups *groups, double *seconds,
                                   ts_err *err);

typedef struct sim_cost_model {
  sim_compute_cost_fn *compute;
  sim_comm_cost_fn *comm;
  void *ctx;
} sim_cost_model;

/* ---- the world: class programs shared by their ranks (program.c, costs.c) -------------------- */
/* What every rank of a class shares: its ops split into FIFO streams, the matching ordinal of each
 * communication op, and durations. Per-rank state stays a few counters per stream. */
typedef struct sim_prog {
  const trace_class *cls;
  uint32_t *pos;                            /* op -> position in its stream */
  uint32_t *stream_ops[TRACE_STREAM_COUNT]; /* position -> op */
  uint32_t stream_len[TRACE_STREAM_COUNT];
  uint32_t *ordinal; /* collective: index among the class's ops on its comm; send (recv): index
                        among its sends to (recvs from) the same peer class */
  uint32_t *comm_ops[TRACE_MAX_COMMS]; /* collectives: ordinal -> op */
  uint32_t n_comm_ops[TRACE_MAX_COMMS];
  /* Symmetric fidelity: the classes the group of first_rank spans on each comm (first the
   * smallest class index); one class (itself) means the collective runs locally. */
  uint32_t *group_classes[TRACE_MAX_COMMS];
  uint32_t n_group_classes[TRACE_MAX_COMMS];
  sim_ps *dur;  /* op -> duration: kernel, collective, or transfer */
  uint8_t *cat; /* op -> sim_cat it is charged to */
} sim_prog;

typedef struct sim_world {
  const trace *t;
  int64_t ranks, ranks_per_chip;
  uint32_t *class_of; /* rank -> class (classes are the ranks first_rank .. first_rank+ranks-1) */
  sim_prog *progs;
  bool programs;      /* sim_world_programs done: streams, ordinals, categories, group classes */
} sim_world;

/* sim_world_init then sim_world_programs. */
ts_status sim_world_build(sim_world *w, const trace *t, int64_t ranks_per_chip, bool symmetric,
                          ts_err *err);
/* What costing needs: the trace checked (communicators, ranks, every op's fields and deps), the
 * rank -> class map, and each prog's cls and zeroed dur. */
ts_status sim_world_init(sim_world *w, const trace *t, int64_t ranks_per_chip, ts_err *err);
/* What the replay needs besides: streams, ordinals, categories and (symmetric) group classes. */
ts_status sim_world_programs(sim_world *w, bool symmetric, ts_err *err);
/* A memo of durations across replays of different traces on the same system, chip count and cost
 * model (memo.c: the key of each op and why it is enough). */
typedef struct sim_memo sim_memo;
ts_status sim_memo_new(sim_memo **out, ts_err *err);
void sim_memo_free(sim_memo *m);
bool sim_memo_kernel_get(sim_memo *m, const trace_op *op, sim_ps *dur);
ts_status sim_memo_kernel_put(sim_memo *m, const trace_op *op, sim_ps dur, ts_err *err);
bool sim_memo_comm_get(sim_memo *m, const trace *t, const trace_class *c, const trace_op *op,
                       sim_ps *dur);
ts_status sim_memo_comm_put(sim_memo *m, const trace *t, const trace_class *c, const trace_op *op,
                            sim_ps dur, ts_err *err);
/* Fills every prog's dur from the cost model (collective costs cached per class, kind, comm,
 * peer and bytes). memo (may be NULL) is asked first and given every new duration; it must only
 * ever see this cost model, system and chip count. */
ts_status sim_world_costs(sim_world *w, const sim_cost_model *cost, sim_memo *memo, ts_err *err);
void sim_world_fini(sim_world *w);
/* The first rank of rank's group on comm c. */
static inline int64_t sim_comm_base(const trace_comm *c, int64_t rank) {
  return rank - ((rank / c->stride) % c->size) * c->stride;
}
/* The rank of class peer_cls in rank's group on comm c, or -1. */
int64_t sim_world_peer(const sim_world *w, int64_t rank, uint32_t comm, uint32_t peer_cls);

/* ---- breakdown categories (the order of sim_breakdown's fields) -------------------------------
 */
typedef enum {
  SIM_CAT_COMPUTE,
  SIM_CAT_TP,
  SIM_CAT_CP,
  SIM_CAT_EP,
  SIM_CAT_BUBBLE,
  SIM_CAT_DP,
  SIM_CAT_OPTIMIZER,
  SIM_CAT_COUNT
} sim_cat;

/* ---- result ---------------------------------------------------------------------------------- */
typedef struct sim_slice {
  uint32_t rank; /* simulated rank: class (symmetric) or rank (full) */
  uint32_t op;
  sim_ps start, end;
} sim_slice;

/* What the timeline needs of the trace, copied so the result outlives it. */
typedef struct sim_tl_class {
  char name[32];
  uint32_t n_ops;
  trace_op *ops;
} sim_tl_class;

struct sim_result {
  sim_report report;
  sim_fidelity fidelity;
  int64_t critical_rank; /* simulated rank that finished last */
  /* timeline (record_timeline) */
  uint64_t n_slices, cap_slices;
  sim_slice *slices;
  uint32_t n_tl_classes;
  sim_tl_class *tl_classes;
  uint32_t *tl_class_of; /* simulated rank -> class */
  int64_t *tl_rank_id;   /* simulated rank -> real rank */
  uint32_t n_tl_ranks;
  uint32_t n_tl_comms;
  char comm_names[TRACE_MAX_COMMS][16];
};

/* sim_run with the costs given: what sim_run does after building the topology. speed (NULL: all
 * 1) multiplies the compute durations of each simulated rank (stragglers). */
ts_status sim_replay(const trace *t, const hw_system *sys, const sim_options *opt,
                     const sim_cost_model *cost, const double *speed, sim_result **out,
                     ts_err *err);
/* The replay of a world already built and costed (sim_world_build with symmetric = the options'
 * fidelity is symmetric, then sim_world_costs); the world is left as it was. */
ts_status sim_replay_world(sim_world *w, const hw_system *sys, const sim_options *opt,
                           const double *speed, sim_result **out, ts_err *err);

/* ---- report (report.c) ----------------------------------------------------------------------- */
/* Category an op is charged to when the compute stream waited for it. */
sim_cat sim_op_category(const trace *t, const trace_op *op);
/* Report name of an op: "gemm fwd 8192x3072x1024 bf16", "all_reduce bwd tp 16.8MB". */
void sim_op_name(const trace *t, const trace_op *op, char *buf, size_t cap);
/* Fills the parts of the report that follow from step time and the trace: FLOPs, MFU, tokens/s,
 * memory, and the top ops and kind totals of class cls (the critical rank's) from durations dur. */
ts_status sim_report_fill(sim_report *r, const trace *t, const hw_system *sys, uint32_t cls,
                          const sim_ps *dur, ts_err *err);

/* ---- timeline (timeline.c) ------------------------------------------------------------------- */
bool sim_timeline_add(sim_result *r, uint32_t rank, uint32_t op, sim_ps start, sim_ps end);
ts_status sim_timeline_capture(sim_result *r, const trace *t, uint32_t n_ranks,
                               const uint32_t *class_of, const int64_t *rank_id, ts_err *err);

#endif
