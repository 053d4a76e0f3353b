/* The match table of the replay: an open-addressing hash table with linear probing and
 * backward-shift deletion (no tombstones, so a table that sees millions of short-lived rendezvous
 * keeps its probe lengths short). It grows by doubling at half load; a run's rendezvous in flight
 * are bounded by ranks x streams, so growth stops early. Also used as the per-class cost cache. */
#include "sim/engine_int.h"

#include <stdlib.h>
#include <string.h>

static uint64_t mix(uint64_t k0, uint64_t k1) {
  uint64_t x = k0 ^ (k1 * 0x9e3779b97f4a7c15ull);
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

ts_status sim_match_init(sim_match *m, uint32_t capacity, ts_err *err) {
  uint32_t cap = 16;
  while (cap < 2 * capacity && cap < (1u << 30)) cap *= 2;
  m->slots = calloc(cap, sizeof *m->slots);
  m->cap = m->slots ? cap : 0;
  m->n = 0;
  if (!m->slots) return ts_fail(err, TS_ENOMEM, "match table: cannot allocate %u slots", cap);
  return TS_OK;
}

void sim_match_fini(sim_match *m) {
  free(m->slots);
  memset(m, 0, sizeof *m);
}

static bool rehash(sim_match *m) {
  if (m->cap >= (1u << 30)) return false;
  uint32_t cap = m->cap * 2;
  sim_match_entry *slots = calloc(cap, sizeof *slots);
  if (!slots) return false;
  for (uint32_t i = 0; i < m->cap; i++) {
    const sim_match_entry *e = &m->slots[i];
    if (!e->k0) continue;
    uint32_t j = (uint32_t)mix(e->k0, e->k1) & (cap - 1);
    while (slots[j].k0) j = (j + 1) & (cap - 1);
    slots[j] = *e;
  }
  free(m->slots);
  m->slots = slots;
  m->cap = cap;
  return true;
}

sim_match_entry *sim_match_get(sim_match *m, uint64_t k0, uint64_t k1, bool *created) {
  *created = false;
  uint32_t mask = m->cap - 1;
  uint32_t i = (uint32_t)mix(k0, k1) & mask;
  for (;; i = (i + 1) & mask) {
    sim_match_entry *e = &m->slots[i];
    if (e->k0 == k0 && e->k1 == k1) return e;
    if (!e->k0) break;
  }
  if (2 * (m->n + 1) > m->cap) {
    if (!rehash(m)) return NULL;
    mask = m->cap - 1;
    i = (uint32_t)mix(k0, k1) & mask;
    while (m->slots[i].k0) i = (i + 1) & mask;
  }
  sim_match_entry *e = &m->slots[i];
  memset(e, 0, sizeof *e);
  e->k0 = k0;
  e->k1 = k1;
  m->n++;
  *created = true;
  return e;
}

void sim_match_remove(sim_match *m, sim_match_entry *e) {
  uint32_t mask = m->cap - 1;
  uint32_t hole = (uint32_t)(e - m->slots);
  m->slots[hole].k0 = 0;
  m->n--;
  /* backward shift: pull later entries of the cluster into the hole when their home allows */
  for (uint32_t j = (hole + 1) & mask; m->slots[j].k0; j = (j + 1) & mask) {
    uint32_t home = (uint32_t)mix(m->slots[j].k0, m->slots[j].k1) & mask;
    bool movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
    if (movable) {
      m->slots[hole] = m->slots[j];
      m->slots[j].k0 = 0;
      hole = j;
    }
  }
}
