/* A memo of op durations shared by many replays on one system and chip count (the plan search
 * times thousands of steps that repeat the same kernels and collectives). The cost pass (costs.c)
 * asks it before the cost model:
 * - a compute op by every field the kernel model may read: all of the op but the fields that only
 *   place it in the program (layer, micro-batch, peer, deps);
 * - a collective or send/recv by what fixes its groups and size: op kind, bytes, the
 *   communicator's size and stride, the class's rank range and (send/recv) the peer class's.
 *   Classes are contiguous rank ranges (program.c), so these name the same groups of the same
 *   chips in any trace on the same chips.
 * A hit returns what the cost model returned the first time, already in picoseconds, so a replay
 * that uses the memo gets the same durations as one that does not. Two open-addressing tables
 * with linear probing; every field of the key is compared, never only its hash. Doubles are
 * compared by their bits. */
#include <stdlib.h>
#include <string.h>

#include "sim/engine_int.h"

/* A compute op as the kernel model sees it. */
typedef struct kern_key {
  uint64_t head; /* kind, dtype, phase, stream, comm, flags */
  int64_t m, n, k, count;
  uint64_t flops, bytes, duration; /* bits of the doubles */
} kern_key;

typedef struct comm_key {
  uint64_t kind;
  uint64_t bytes; /* bits */
  int64_t size, stride, first_rank, ranks, peer_first, peer_ranks;
} comm_key;

typedef struct kern_slot {
  uint64_t hash; /* 0: empty */
  kern_key key;
  sim_ps dur;
} kern_slot;

typedef struct comm_slot {
  uint64_t hash; /* 0: empty */
  comm_key key;
  sim_ps dur;
} comm_slot;

struct sim_memo {
  kern_slot *kern;
  size_t kern_cap, kern_n; /* cap: a power of two */
  comm_slot *comm;
  size_t comm_cap, comm_n;
};

enum { MEMO_INITIAL = 1024 };

ts_status sim_memo_new(sim_memo **out, ts_err *err) {
  sim_memo *m = calloc(1, sizeof *m);
  if (m) {
    m->kern = calloc(MEMO_INITIAL, sizeof *m->kern);
    m->comm = calloc(MEMO_INITIAL, sizeof *m->comm);
  }
  if (!m || !m->kern || !m->comm) {
    sim_memo_free(m);
    *out = NULL;
    return ts_fail(err, TS_ENOMEM, "duration memo: out of memory");
  }
  m->kern_cap = m->comm_cap = MEMO_INITIAL;
  *out = m;
  return TS_OK;
}

void sim_memo_free(sim_memo *m) {
  if (!m) return;
  free(m->kern);
  free(m->comm);
  free(m);
}

static uint64_t bits_of(double x) {
  uint64_t b;
  memcpy(&b, &x, sizeof b);
  return b;
}

/* The last mixing step of a hash (splitmix64's finalizer); never 0 (0 marks an empty slot). */
static uint64_t finish(uint64_t h) {
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  h ^= h >> 31;
  return h ? h : 1;
}

static void make_kern_key(const trace_op *o, kern_key *k) {
  k->head = (uint64_t)o->kind | (uint64_t)o->dtype << 8 | (uint64_t)o->phase << 16 |
            (uint64_t)o->stream << 24 | (uint64_t)o->comm << 32 | (uint64_t)o->flags << 40;
  k->m = o->m, k->n = o->n, k->k = o->k, k->count = o->count;
  k->flops = bits_of(o->flops), k->bytes = bits_of(o->bytes), k->duration = bits_of(o->duration_s);
}

/* Products with distinct odd constants, summed: independent multiplies, one finalizer. */
static uint64_t kern_hash(const kern_key *k) {
  uint64_t h = k->head * 0x9E3779B97F4A7C15ull + (uint64_t)k->m * 0xC2B2AE3D27D4EB4Full +
               (uint64_t)k->n * 0x165667B19E3779F9ull + (uint64_t)k->k * 0xD6E8FEB86659FD93ull +
               (uint64_t)k->count * 0xFF51AFD7ED558CCDull + k->flops * 0xC4CEB9FE1A85EC53ull +
               k->bytes * 0x85EBCA77C2B2AE63ull + k->duration * 0x27D4EB2F165667C5ull;
  return finish(h);
}

static bool kern_equal(const kern_key *a, const kern_key *b) {
  return a->head == b->head && a->m == b->m && a->n == b->n && a->k == b->k &&
         a->count == b->count && a->flops == b->flops && a->bytes == b->bytes &&
         a->duration == b->duration;
}

static void make_comm_key(const trace *t, const trace_class *c, const trace_op *o, comm_key *k) {
  memset(k, 0, sizeof *k);
  k->kind = o->kind;
  k->bytes = bits_of(o->bytes);
  k->size = t->comms[o->comm].size;
  k->stride = t->comms[o->comm].stride;
  k->first_rank = c->first_rank;
  k->ranks = c->ranks;
  if (o->kind == TRACE_OP_SEND || o->kind == TRACE_OP_RECV) {
    const trace_class *peer = &t->classes[o->peer];
    k->peer_first = peer->first_rank;
    k->peer_ranks = peer->ranks;
  }
}

static uint64_t comm_hash(const comm_key *k) {
  uint64_t h = k->kind * 0x9E3779B97F4A7C15ull + k->bytes * 0xC2B2AE3D27D4EB4Full +
               (uint64_t)k->size * 0x165667B19E3779F9ull +
               (uint64_t)k->stride * 0xD6E8FEB86659FD93ull +
               (uint64_t)k->first_rank * 0xFF51AFD7ED558CCDull +
               (uint64_t)k->ranks * 0xC4CEB9FE1A85EC53ull +
               (uint64_t)k->peer_first * 0x85EBCA77C2B2AE63ull +
               (uint64_t)k->peer_ranks * 0x27D4EB2F165667C5ull;
  return finish(h);
}

static bool comm_equal(const comm_key *a, const comm_key *b) {
  return a->kind == b->kind && a->bytes == b->bytes && a->size == b->size &&
         a->stride == b->stride && a->first_rank == b->first_rank && a->ranks == b->ranks &&
         a->peer_first == b->peer_first && a->peer_ranks == b->peer_ranks;
}

/* The slot of key k (found: hash set; or the empty one where it goes). */
static kern_slot *kern_find(const sim_memo *m, const kern_key *k, uint64_t h) {
  size_t mask = m->kern_cap - 1;
  for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
    kern_slot *s = &m->kern[i];
    if (!s->hash || (s->hash == h && kern_equal(&s->key, k))) return s;
  }
}

static comm_slot *comm_find(const sim_memo *m, const comm_key *k, uint64_t h) {
  size_t mask = m->comm_cap - 1;
  for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
    comm_slot *s = &m->comm[i];
    if (!s->hash || (s->hash == h && comm_equal(&s->key, k))) return s;
  }
}

static bool kern_grow(sim_memo *m) {
  size_t cap = m->kern_cap * 2;
  kern_slot *slots = calloc(cap, sizeof *slots);
  if (!slots) return false;
  for (size_t i = 0; i < m->kern_cap; i++) {
    if (!m->kern[i].hash) continue;
    size_t j = (size_t)m->kern[i].hash & (cap - 1);
    while (slots[j].hash) j = (j + 1) & (cap - 1);
    slots[j] = m->kern[i];
  }
  free(m->kern);
  m->kern = slots;
  m->kern_cap = cap;
  return true;
}

static bool comm_grow(sim_memo *m) {
  size_t cap = m->comm_cap * 2;
  comm_slot *slots = calloc(cap, sizeof *slots);
  if (!slots) return false;
  for (size_t i = 0; i < m->comm_cap; i++) {
    if (!m->comm[i].hash) continue;
    size_t j = (size_t)m->comm[i].hash & (cap - 1);
    while (slots[j].hash) j = (j + 1) & (cap - 1);
    slots[j] = m->comm[i];
  }
  free(m->comm);
  m->comm = slots;
  m->comm_cap = cap;
  return true;
}

bool sim_memo_kernel_get(sim_memo *m, const trace_op *op, sim_ps *dur) {
  kern_key k;
  make_kern_key(op, &k);
  uint64_t h = kern_hash(&k);
  kern_slot *found = kern_find(m, &k, h);
  if (!found->hash) return false;
  *dur = found->dur;
  return true;
}

ts_status sim_memo_kernel_put(sim_memo *m, const trace_op *op, sim_ps dur, ts_err *err) {
  if (2 * (m->kern_n + 1) > m->kern_cap && !kern_grow(m))
    return ts_fail(err, TS_ENOMEM, "duration memo: cannot grow past %zu kernels", m->kern_n);
  kern_key k;
  make_kern_key(op, &k);
  uint64_t h = kern_hash(&k);
  kern_slot *found = kern_find(m, &k, h);
  if (!found->hash) m->kern_n++;
  *found = (kern_slot){.hash = h, .key = k, .dur = dur};
  return TS_OK;
}

bool sim_memo_comm_get(sim_memo *m, const trace *t, const trace_class *c, const trace_op *op,
                       sim_ps *dur) {
  comm_key k;
  make_comm_key(t, c, op, &k);
  uint64_t h = comm_hash(&k);
  comm_slot *found = comm_find(m, &k, h);
  if (!found->hash) return false;
  *dur = found->dur;
  return true;
}

ts_status sim_memo_comm_put(sim_memo *m, const trace *t, const trace_class *c, const trace_op *op,
                            sim_ps dur, ts_err *err) {
  if (2 * (m->comm_n + 1) > m->comm_cap && !comm_grow(m))
    return ts_fail(err, TS_ENOMEM, "duration memo: cannot grow past %zu collectives", m->comm_n);
  comm_key k;
  make_comm_key(t, c, op, &k);
  uint64_t h = comm_hash(&k);
  comm_slot *found = comm_find(m, &k, h);
  if (!found->hash) m->comm_n++;
  *found = (comm_slot){.hash = h, .key = k, .dur = dur};
  return TS_OK;
}
