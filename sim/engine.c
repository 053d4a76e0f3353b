/* The event queue of the discrete-event core. Events are fixed-size records pooled on a free list
 * with their payload inline (ROSS's event pools); a binary heap of 16-byte nodes orders them by
 * (time, insertion sequence), the sequence packed above the pool index so one 64-bit compare breaks
 * ties. (A 4-ary heap with cache-line-aligned children measured no faster on the hold model or on
 * the 405B replay, so the simpler binary heap stays.) Popping copies the event out and returns its
 * slot to the free list at once, so handlers may schedule freely. The pool grows by doubling only
 * when more events are in flight than the capacity given at init; a run sized right allocates
 * nothing after init. */
#include "sim/engine_int.h"

#include <stdlib.h>
#include <string.h>

static bool node_less(const sim_heap_node *x, const sim_heap_node *y) {
  return x->time < y->time || (x->time == y->time && x->key < y->key);
}

/* Links slots [from, to) onto the free list, lowest index first. */
static void link_free(sim_engine *e, uint32_t from, uint32_t to) {
  for (uint32_t i = to; i-- > from;) {
    e->pool[i].a = e->free_head;
    e->free_head = i;
  }
}

ts_status sim_engine_init(sim_engine *e, uint32_t capacity, ts_err *err) {
  memset(e, 0, sizeof *e);
  e->free_head = UINT32_MAX;
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

static bool grow(sim_engine *e) {
  if (e->pool_cap >= SIM_EVENT_MAX_POOL) return false;
  uint32_t cap = e->pool_cap * 2;
  if (cap > SIM_EVENT_MAX_POOL) cap = SIM_EVENT_MAX_POOL;
  sim_event *pool = realloc(e->pool, (size_t)cap * sizeof *pool);
  if (!pool) return false;
  e->pool = pool;
  sim_heap_node *heap = realloc(e->heap, (size_t)cap * sizeof *heap);
  if (!heap) return false; /* pool stays larger; harmless */
  e->heap = heap;
  link_free(e, e->pool_cap, cap);
  e->pool_cap = cap;
  return true;
}

bool sim_engine_schedule(sim_engine *e, sim_ps time, uint16_t type, uint32_t a, uint32_t b,
                         uint32_t c, uint16_t d) {
  if (e->free_head == UINT32_MAX && !grow(e)) return false;
  uint32_t idx = e->free_head;
  sim_event *ev = &e->pool[idx];
  e->free_head = ev->a;
  *ev = (sim_event){.time = time, .a = a, .b = b, .c = c, .type = type, .d = d};
  sim_heap_node node = {time, (e->seq++ << SIM_EVENT_INDEX_BITS) | idx};
  /* sift up: move parents down into the hole until node fits */
  uint32_t i = e->n++;
  sim_heap_node *h = e->heap;
  while (i > 0) {
    uint32_t parent = (i - 1) / 2;
    if (!node_less(&node, &h[parent])) break;
    h[i] = h[parent];
    i = parent;
  }
  h[i] = node;
  return true;
}

bool sim_engine_pop(sim_engine *e, sim_event *out) {
  if (e->n == 0) return false;
  sim_heap_node *h = e->heap;
  uint32_t idx = (uint32_t)(h[0].key & (SIM_EVENT_MAX_POOL - 1));
  *out = e->pool[idx];
  e->pool[idx].a = e->free_head;
  e->free_head = idx;
  e->now = out->time;
  e->processed++;
  /* sift down the last node from the root */
  sim_heap_node last = h[--e->n];
  uint32_t n = e->n, i = 0;
  for (;;) {
    uint32_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && node_less(&h[child + 1], &h[child])) child++;
    if (!node_less(&h[child], &last)) break;
    h[i] = h[child];
    i = child;
  }
  if (n) {
    h[i] = last;
    /* the next pop reads the new root's event: start loading it while the handler runs */
    __builtin_prefetch(&e->pool[h[0].key & (SIM_EVENT_MAX_POOL - 1)]);
  }
  return true;
}
