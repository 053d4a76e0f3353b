/* The event queue of the discrete-event core. Events are fixed-size records pooled on a free list
 * with their payload inline (ROSS's event pools); a binary heap orders them by (time, insertion
 * sequence), the sequence packed above the pool index so one 64-bit compare breaks ties.
 *
 * Runs: events scheduled one right after the other for the same time (the members of a collective
 * finishing together, the ranks of a class in full fidelity) are linked behind one heap node, so
 * popping all but the last of them costs no sift. Only the newest run is open for appending, which
 * keeps each run's sequences consecutive and the pop order exactly (time, insertion). (A 4-ary
 * heap with cache-line-aligned children measured no faster, so the heap stays binary.)
 *
 * Popping copies the event out and returns its slot to the free list at once, so handlers may
 * schedule freely. The pool grows by doubling only when more events are in flight than the
 * capacity given at init; a run sized right allocates nothing after init. */
#include <stdlib.h>
#include <string.h>

#include "sim/engine_int.h"

#define NONE UINT32_MAX
#define INDEX_MASK ((uint64_t)SIM_EVENT_MAX_POOL - 1)

static bool node_less(const sim_heap_node *x, const sim_heap_node *y) {
  return x->time < y->time || (x->time == y->time && x->key < y->key);
}

/* Links slots [from, to) onto the free list, lowest index first. */
static void link_free(sim_engine *e, uint32_t from, uint32_t to) {
  for (uint32_t i = to; i-- > from;) {
    e->pool[i].next = e->free_head;
    e->free_head = i;
  }
}

ts_status sim_engine_init(sim_engine *e, uint32_t capacity, ts_err *err) {
  memset(e, 0, sizeof *e);
  e->free_head = e->open_tail = NONE;
  if (capacity < 16) capacity = 16;
  if (capacity > SIM_EVENT_MAX_POOL) capacity = SIM_EVENT_MAX_POOL;
  e->pool = malloc((size_t)capacity * sizeof *e->pool);
  e->heap = malloc((size_t)capacity * sizeof *e->heap);
  if (!e->pool || !e->heap) {
    sim_engine_fini(e);
    return ts_fail(err, TS_ENOMEM, "event queue: cannot allocate %u events", capacity);
  }
  e->pool_cap = capacity;
  link_free(e, 0, capacity);
  return TS_OK;
}

void sim_engine_fini(sim_engine *e) {
  free(e->pool);
  free(e->heap);
  memset(e, 0, sizeof *e);
}

/* The heap never holds more nodes than the pool has events, so both grow together. */
static bool grow(sim_engine *e) {
  if (e->pool_cap >= SIM_EVENT_MAX_POOL) return false;
  uint32_t cap = e->pool_cap * 2;
  if (cap > SIM_EVENT_MAX_POOL) cap = SIM_EVENT_MAX_POOL;
  sim_event_slot *pool = realloc(e->pool, (size_t)cap * sizeof *pool);
  if (!pool) return false;
  e->pool = pool;
  sim_heap_node *heap = realloc(e->heap, (size_t)cap * sizeof *heap);
  if (!heap) return false; /* pool stays larger; harmless */
  e->heap = heap;
  link_free(e, e->pool_cap, cap);
  e->pool_cap = cap;
  return true;
}

static void sift_up(sim_engine *e, sim_heap_node node) {
  uint32_t i = e->n_nodes++;
  sim_heap_node *h = e->heap;
  while (i > 0) {
    uint32_t parent = (i - 1) / 2;
    if (!node_less(&node, &h[parent])) break;
    h[i] = h[parent];
    i = parent;
  }
  h[i] = node;
}

static void remove_root(sim_engine *e) {
  sim_heap_node *h = e->heap;
  sim_heap_node last = h[--e->n_nodes];
  uint32_t n = e->n_nodes, i = 0;
  if (n == 0) return;
  for (;;) {
    uint32_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && node_less(&h[child + 1], &h[child])) child++;
    if (!node_less(&h[child], &last)) break;
    h[i] = h[child];
    i = child;
  }
  h[i] = last;
}

bool sim_engine_schedule(sim_engine *e, sim_ps time, uint16_t type, uint32_t a, uint32_t b,
                         uint32_t c, uint16_t d) {
  if (e->free_head == NONE && !grow(e)) return false;
  uint32_t idx = e->free_head;
  sim_event_slot *ev = &e->pool[idx];
  e->free_head = ev->next;
  *ev = (sim_event_slot){.a = a, .b = b, .c = c, .next = NONE, .type = type, .d = d};
  uint64_t seq = e->seq++;
  e->n++;
  if (e->open_tail != NONE && e->open_time == time) {
    e->pool[e->open_tail].next = idx;
  } else {
    sift_up(e, (sim_heap_node){time, (seq << SIM_EVENT_INDEX_BITS) | idx});
    e->open_time = time;
  }
  e->open_tail = idx;
  return true;
}

bool sim_engine_pop(sim_engine *e, sim_event *out) {
  if (e->n == 0) return false;
  sim_heap_node *root = &e->heap[0];
  uint32_t idx = (uint32_t)(root->key & INDEX_MASK);
  const sim_event_slot *ev = &e->pool[idx];
  *out = (sim_event){
      .time = root->time, .a = ev->a, .b = ev->b, .c = ev->c, .type = ev->type, .d = ev->d};
  uint32_t next = ev->next;
  e->pool[idx].next = e->free_head;
  e->free_head = idx;
  if (idx == e->open_tail) e->open_tail = NONE;
  e->n--;
  e->now = out->time;
  e->processed++;
  if (next != NONE) /* the run goes on: same time, same ordering key, no sift */
    root->key = (root->key & ~INDEX_MASK) | next;
  else
    remove_root(e);
  /* the next pop reads the new root's event: start loading it while the handler runs */
  if (e->n_nodes) __builtin_prefetch(&e->pool[e->heap[0].key & INDEX_MASK]);
  return true;
}
