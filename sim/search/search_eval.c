/* Evaluating the candidates: a pool of pthreads takes them in lower-bound order from one shared
 * cursor, generates each step (gen_step), prepares it (sim_cache_prepare: every op timed once,
 * through the worker's memo of durations), bounds it with those durations (search_bound.c,
 * search_sched.c) and simulates what is left (sim_cache_run, the options' fidelity: the same
 * report as sim_run), and keeps the best K sorted by (step_s, plan text). A candidate whose bound exceeds the K-th best
 * step time so far cannot enter the top K (its step time is at least its bound, and the K-th best
 * only improves), and since candidates come in bound order every later one is skipped too.
 * The skip uses a strict comparison, so the final top K is the same whatever the order the
 * threads finish in: any plan of the final top K has step <= the final K-th best <= every
 * threshold seen, hence bound <= threshold, and it is always simulated. Only the counts of skipped
 * and simulated plans depend on timing; they go to stderr, never into results.
 * Before generating a step the worker also checks the bound with the embedding and head ops
 * (search_bound_edges; edges probed once per (tp, cp, ep, mbs, recompute, dtype)), and take()
 * checks what earlier ZeRO siblings left: the compute bound and the schedule without the DP stream
 * (valid for every ZeRO stage), and for ZeRO 1 and 2 the other one's schedule bound (the
 * generator makes the same step for both). Every one is a lower bound, so the same argument
 * holds. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "models/gen.h"
#include "sim/search/search_int.h"

/* Trace bounds by plan without its ZeRO stage (open addressing, linear probing). */
typedef struct bound_slot {
  bool used;
  search_cand key; /* zero and index cleared */
  double bound_s;  /* for every ZeRO stage */
  double sched12_s; /* the schedule bound of the ZeRO 1 or 2 sibling; 0 until one is generated */
} bound_slot;

/* ZeRO 1 and 2 generate the same step (models/gen_dp.c tests zero == 0, >= 1, == 1 || == 2,
 * < 3 and >= 3, never 1 against 2; they differ only in memory), so the schedule bound of one is
 * the other's: the second of the two can be bounded out before it is generated. */
static bool zero12(const search_cand *k) {
  return k->zero == 1 || k->zero == 2;
}

/* Edge seconds (search_edges_s) by (tp, cp, ep, mbs, recompute, dtype): the other fields cleared. */
typedef struct edge_slot {
  bool used;
  search_cand key;
  search_edges edges;
} edge_slot;

/* A simulated step by the hash of its trace: plans whose generated steps are identical (ZeRO 1
 * and 2 often are: the same reduce-scatter and all-gather, only memory differs) are simulated once.
 * A worker that meets a step another worker is simulating waits for its report (the two are often
 * taken one right after the other) instead of simulating it again. */
typedef enum { STEP_EMPTY, STEP_RUNNING, STEP_DONE, STEP_FAILED } step_state;
typedef struct step_slot {
  uint8_t state; /* step_state */
  uint64_t h1, h2;
  sim_report report;
} step_slot;

typedef struct pool {
  const search_ctx *c;
  const search_space *s;
  pthread_mutex_t lock;
  pthread_cond_t step_done; /* a STEP_RUNNING slot left that state */
  size_t next;        /* cursor into s->cands */
  bool stop;          /* every remaining candidate is bounded out */
  search_entry *best; /* top_k slots, sorted */
  int32_t n_best;
  bound_slot *bounds;
  size_t bounds_cap;  /* a power of two, at least twice the candidates */
  step_slot *steps;
  size_t steps_cap;   /* a power of two, at least twice the candidates */
  edge_slot *edges;   /* bounds_cap slots */
  uint64_t simulated, reused, failed, bounded_trace;
  ts_status fatal;    /* out of memory: stops the search */
  ts_err fatal_err;
} pool;

int search_entry_compare(const search_entry *a, const search_entry *b) {
  if (a->report.step_s != b->report.step_s) return a->report.step_s < b->report.step_s ? -1 : 1;
  return strcmp(a->text, b->text);
}

/* Under the lock: the step time a candidate must beat (infinite until K are known). */
static double threshold(const pool *p) {
  return p->n_best < p->c->opt.top_k ? INFINITY : p->best[p->n_best - 1].report.step_s;
}

/* Under the lock: inserts e if it belongs in the top K. */
static void keep(pool *p, const search_entry *e) {
  int32_t k = p->c->opt.top_k;
  if (p->n_best == k && search_entry_compare(e, &p->best[k - 1]) >= 0) return;
  int32_t at = p->n_best < k ? p->n_best++ : k - 1;
  while (at > 0 && search_entry_compare(e, &p->best[at - 1]) < 0) {
    p->best[at] = p->best[at - 1];
    at--;
  }
  p->best[at] = *e;
}

static search_cand bound_key(const search_cand *k) {
  search_cand key;
  memset(&key, 0, sizeof key);
  key.tp = k->tp, key.pp = k->pp, key.dp = k->dp, key.cp = k->cp, key.ep = k->ep;
  key.vpp = k->vpp, key.mbs = k->mbs, key.recompute = k->recompute, key.dtype = k->dtype;
  return key;
}

static size_t key_hash(const search_cand *key) {
  uint64_t h = 1469598103934665603ull;
  const int64_t f[] = {key->tp, key->pp, key->dp, key->cp, key->ep, key->vpp, key->mbs,
                       key->recompute, key->dtype};
  for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) h = (h ^ (uint64_t)f[i]) * 1099511628211ull;
  return (size_t)h;
}

static bool same_key(const search_cand *a, const search_cand *b) {
  return a->tp == b->tp && a->pp == b->pp && a->dp == b->dp && a->cp == b->cp && a->ep == b->ep &&
         a->vpp == b->vpp && a->mbs == b->mbs && a->recompute == b->recompute &&
         a->dtype == b->dtype;
}

/* Under the lock: the slot of key (found, or the empty one where it goes). */
static bound_slot *bound_find(pool *p, const search_cand *key) {
  size_t mask = p->bounds_cap - 1, i = key_hash(key) & mask;
  while (p->bounds[i].used && !same_key(&p->bounds[i].key, key)) i = (i + 1) & mask;
  return &p->bounds[i];
}

static search_cand edge_key(const search_cand *k) {
  search_cand key;
  memset(&key, 0, sizeof key);
  key.tp = k->tp, key.cp = k->cp, key.ep = k->ep, key.mbs = k->mbs;
  key.recompute = k->recompute, key.dtype = k->dtype;
  return key;
}

/* Under the lock: the edge slot of key (found, or the empty one where it goes). */
static edge_slot *edge_find(pool *p, const search_cand *key) {
  size_t mask = p->bounds_cap - 1, i = key_hash(key) & mask;
  while (p->edges[i].used && !same_key(&p->edges[i].key, key)) i = (i + 1) & mask;
  return &p->edges[i];
}

/* Outside the lock: the bound of k with its edges, before generating its step (the edges probed
 * once per key; a second worker probing the same key at once finds the same seconds). */
static double edge_bound(pool *p, const search_cand *k, const plan *pl) {
  search_cand key = edge_key(k);
  pthread_mutex_lock(&p->lock);
  edge_slot *slot = edge_find(p, &key);
  bool have = slot->used;
  search_edges e = slot->edges;
  pthread_mutex_unlock(&p->lock);
  if (!have) {
    e = search_edges_s(p->c, pl);
    pthread_mutex_lock(&p->lock);
    slot = edge_find(p, &key);
    if (!slot->used) *slot = (edge_slot){.used = true, .key = key, .edges = e};
    pthread_mutex_unlock(&p->lock);
  }
  return search_bound_edges(p->c, pl, k->layer_s, e);
}

/* Mixes n bytes into two 64-bit lanes, eight bytes at a time (the tail zero-padded). */
static void mix_bytes(uint64_t h[2], const void *data, size_t n) {
  const unsigned char *p = data;
  uint64_t a = h[0], b = h[1];
  for (size_t i = 0; i < n; i += 8) {
    uint64_t w = 0;
    memcpy(&w, p + i, n - i < 8 ? n - i : 8);
    a = (a ^ w) * 0x9E3779B97F4A7C15ull;
    a ^= a >> 32;
    b = (b + w) * 0xC2B2AE3D27D4EB4Full;
    b = b << 31 | b >> 33;
  }
  h[0] = a, h[1] = b;
}

/* Two 64-bit hashes (independent lanes) of everything the simulator reads of a trace except the
 * plan: chips, ranks, communicators, classes, ops and deps. */
static void trace_hash(const trace *t, uint64_t *h1, uint64_t *h2) {
  uint64_t h[2] = {1469598103934665603ull, 0x9E3779B97F4A7C15ull};
  mix_bytes(h, &t->chips, sizeof t->chips);
  mix_bytes(h, &t->ranks, sizeof t->ranks);
  for (uint32_t i = 0; i < t->n_comms; i++) {
    mix_bytes(h, t->comms[i].name, strnlen(t->comms[i].name, sizeof t->comms[i].name));
    mix_bytes(h, &t->comms[i].size, sizeof t->comms[i].size);
    mix_bytes(h, &t->comms[i].stride, sizeof t->comms[i].stride);
  }
  for (uint32_t i = 0; i < t->n_classes; i++) {
    const trace_class *c = &t->classes[i];
    mix_bytes(h, c->name, strnlen(c->name, sizeof c->name));
    mix_bytes(h, &c->stage, sizeof c->stage);
    mix_bytes(h, &c->first_rank, sizeof c->first_rank);
    mix_bytes(h, &c->ranks, sizeof c->ranks);
    mix_bytes(h, &c->n_ops, sizeof c->n_ops);
    mix_bytes(h, c->ops, (size_t)c->n_ops * sizeof *c->ops);
    mix_bytes(h, c->deps, (size_t)c->n_deps * sizeof *c->deps);
  }
  /* finalize each lane (avalanche) */
  for (int k = 0; k < 2; k++) {
    uint64_t x = h[k];
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    h[k] = x;
  }
  *h1 = h[0], *h2 = h[1];
}

/* Under the lock: the slot of a step hash (found, or the empty one where it goes). */
static step_slot *step_find(pool *p, uint64_t h1, uint64_t h2) {
  size_t mask = p->steps_cap - 1, i = (size_t)h1 & mask;
  while (p->steps[i].state != STEP_EMPTY && !(p->steps[i].h1 == h1 && p->steps[i].h2 == h2))
    i = (i + 1) & mask;
  return &p->steps[i];
}

/* The plan, its text and memory; then its generated step. */
static ts_status generate(const search_ctx *c, const search_cand *k, search_entry *e, trace **t,
                          ts_err *err) {
  memset(e, 0, sizeof *e);
  search_plan_build(c, k, &e->plan);
  plan_format(&e->plan, e->text, sizeof e->text);
  e->bound_s = k->bound_s;
  ts_status st = model_memory_per_rank(c->m, &e->plan, &e->memory, err);
  if (st) return st;
  e->over_memory = model_memory_check(&e->memory, &c->sys->chip, NULL) != TS_OK;
  gen_options go = {.allow_oom = c->opt.allow_oom};
  return gen_step(c->m, &e->plan, c->sys, c->chips, &go, t, err);
}

static ts_status simulate(sim_cache *sc, search_entry *e, ts_err *err) {
  sim_result *r = NULL;
  ts_status st = sim_cache_run(sc, &r, err);
  if (st) return st;
  e->report = *sim_result_report(r);
  sim_result_free(r);
  return TS_OK;
}

/* Under the lock: the next candidate of this part to simulate, or NULL when done. */
static const search_cand *take(pool *p) {
  const search_options *o = &p->c->opt;
  while (!p->stop && p->fatal == TS_OK && p->next < p->s->n) {
    size_t i = p->next++;
    if (o->parts > 1 && (int64_t)(i % (size_t)o->parts) != o->part) continue;
    const search_cand *k = &p->s->cands[i];
    if (o->exhaustive) return k;
    if (k->bound_s > threshold(p)) {
      p->stop = true; /* sorted by bound: the rest are out too */
      break;
    }
    search_cand key = bound_key(k);
    bound_slot *b = bound_find(p, &key);
    if (b->used && fmax(b->bound_s, zero12(k) ? b->sched12_s : 0.0) > threshold(p)) {
      p->bounded_trace++;
      continue;
    }
    return k;
  }
  return NULL;
}

/* What a worker thread owns: the schedule bound's scratch and the simulation cache (topology,
 * collective workspace and the memo of durations, reused across the plans it evaluates). */
typedef struct worker_state {
  search_sched *sched;
  sim_cache *sim;
} worker_state;

/* Outside the lock: bounds k with its edges (search_bound_edges) and, unless that rules it out
 * (*skip_edges), generates and prepares its step (every op timed once, through the worker's
 * memo), computes its bounds (the trace bound is cached for k's ZeRO siblings) and says whether
 * they rule it out (*skip). */
static ts_status bound_step(pool *p, worker_state *w, const search_cand *k, search_entry *e,
                            trace **t, bool *skip, bool *skip_edges, ts_err *why) {
  *skip = *skip_edges = false;
  double bound = 0.0, sb = 0.0;
  plan pl;
  search_plan_build(p->c, k, &pl);
  double pre = edge_bound(p, k, &pl);
  if (!p->c->opt.exhaustive) {
    pthread_mutex_lock(&p->lock);
    *skip_edges = pre > threshold(p);
    pthread_mutex_unlock(&p->lock);
    if (*skip_edges) return TS_OK;
  }
  ts_status st = generate(p->c, k, e, t, why);
  if (!st) st = sim_cache_prepare(w->sim, *t, why);
  if (!st) st = search_sched_bound(w->sched, *t, w->sim, &sb, why);
  if (!st)
    bound = search_bound_trace(p->c, &e->plan, *t, search_sched_compute(w->sched), k->layer_s);
  if (!st) {
    /* for the ZeRO siblings: the compute bound and the schedule without the DP stream */
    double shared = fmax(bound, search_sched_nodp_s(w->sched));
    pthread_mutex_lock(&p->lock);
    search_cand key = bound_key(k);
    bound_slot *b = bound_find(p, &key);
    if (!b->used) *b = (bound_slot){.used = true, .key = key, .bound_s = shared};
    bound = fmax(bound, b->bound_s); /* a sibling's, when it came first: valid here too */
    if (zero12(k)) {
      if (b->sched12_s == 0.0) b->sched12_s = sb;
      bound = fmax(bound, b->sched12_s);
    }
    if (sb > bound) bound = sb;
    *skip = !p->c->opt.exhaustive && bound > threshold(p);
    pthread_mutex_unlock(&p->lock);
  }
  e->bound_s = fmax(fmax(bound, k->bound_s), pre);
  return st;
}

/* Outside the lock: the report of the prepared step t — another plan's when the step is the same
 * (waiting for it while another worker simulates it), else simulated here, in the slot this worker
 * claims (*claimed; the caller marks it done or failed). */
static ts_status report_of(pool *p, worker_state *w, const trace *t, search_entry *e,
                           step_slot **claimed, bool *reused, ts_err *why) {
  uint64_t h1 = 0, h2 = 0;
  trace_hash(t, &h1, &h2);
  pthread_mutex_lock(&p->lock);
  step_slot *s = step_find(p, h1, h2);
  while (s->state == STEP_RUNNING) pthread_cond_wait(&p->step_done, &p->lock);
  if (s->state == STEP_DONE) e->report = s->report, *reused = true;
  if (s->state == STEP_EMPTY) *s = (step_slot){.state = STEP_RUNNING, .h1 = h1, .h2 = h2};
  if (s->state == STEP_RUNNING) *claimed = s;
  pthread_mutex_unlock(&p->lock);
  if (!*reused) return simulate(w->sim, e, why);
  /* The one field that follows from the plan rather than the step, computed as the simulation's
   * report computes it (sim/report.c: from the trace's model and plan), so a reused report is the
   * one simulating would give, whichever of the plans sharing the step was simulated first. */
  model_memory mem;
  ts_status st = t->has_model ? model_memory_per_rank(&t->model, &t->plan, &mem, why) : TS_OK;
  if (!st && t->has_model)
    e->report.memory_bytes_per_chip = mem.total_bytes * (double)(t->ranks / t->chips);
  return st;
}

/* Under the lock: counts the outcome of one candidate and keeps it when it makes the top K. */
static void record(pool *p, ts_status st, bool skip, bool skip_edges, bool reused,
                   const search_entry *e, const ts_err *why) {
  if (skip_edges) {
    /* bounded before generating: counted in stats.bounded only */
  } else if (skip) {
    p->bounded_trace++;
  } else if (st == TS_ENOMEM) {
    if (p->fatal == TS_OK) p->fatal = st, p->fatal_err = *why;
  } else if (st) {
    p->failed++;
  } else {
    if (reused) p->reused++;
    else p->simulated++;
    keep(p, e);
  }
}

/* Outside the lock: one candidate through generation, bounds and simulation. Returns with the
 * lock held. */
static void evaluate(pool *p, worker_state *w, const search_cand *k, search_entry *e) {
  ts_err why = {0};
  trace *t = NULL;
  bool skip = false, skip_edges = false, reused = false;
  step_slot *claimed = NULL;
  ts_status st = bound_step(p, w, k, e, &t, &skip, &skip_edges, &why);
  if (!st && !skip && !skip_edges) st = report_of(p, w, t, e, &claimed, &reused, &why);
  sim_cache_release(w->sim);
  trace_free(t);
  pthread_mutex_lock(&p->lock);
  if (claimed) {
    claimed->state = st ? STEP_FAILED : STEP_DONE;
    if (!st) claimed->report = e->report;
    pthread_cond_broadcast(&p->step_done);
  }
  record(p, st, skip, skip_edges, reused, e, &why);
}

static void *worker(void *arg) {
  pool *p = arg;
  search_entry *e = malloc(sizeof *e);
  worker_state w = {0};
  ts_err why = {0};
  ts_status st = e ? search_sched_new(p->c, &w.sched, &why)
                   : ts_fail(&why, TS_ENOMEM, "search: out of memory for a worker");
  if (!st) st = sim_cache_new(p->c->sys, p->c->chips, &p->c->opt.sim, &w.sim, &why);
  pthread_mutex_lock(&p->lock);
  if (st && p->fatal == TS_OK) p->fatal = st, p->fatal_err = why;
  const search_cand *k;
  while (!st && (k = take(p)) != NULL) {
    pthread_mutex_unlock(&p->lock);
    evaluate(p, &w, k, e);
  }
  pthread_mutex_unlock(&p->lock);
  search_sched_free(w.sched);
  sim_cache_free(w.sim);
  free(e);
  return NULL;
}

static int32_t thread_count(const search_ctx *c) {
  int32_t n = c->opt.threads;
  if (n < 1) {
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    n = cpus > 0 ? (int32_t)cpus : 1;
  }
  if (n > 256) n = 256;
  return n;
}

/* Candidates of this part (for the count of those bounded out). */
static uint64_t part_size(const search_ctx *c, const search_space *s) {
  int64_t parts = c->opt.parts > 1 ? c->opt.parts : 1;
  if (parts == 1) return s->n;
  return s->n / (uint64_t)parts + ((int64_t)(s->n % (uint64_t)parts) > c->opt.part ? 1 : 0);
}

ts_status search_evaluate(const search_ctx *c, const search_space *s, search_result *res,
                          ts_err *err) {
  pool p = {.c = c, .s = s};
  p.bounds_cap = 64;
  while (p.bounds_cap < 2 * s->n) p.bounds_cap *= 2;
  p.steps_cap = p.bounds_cap;
  p.best = calloc((size_t)c->opt.top_k, sizeof *p.best);
  p.bounds = calloc(p.bounds_cap, sizeof *p.bounds);
  p.steps = calloc(p.steps_cap, sizeof *p.steps);
  p.edges = calloc(p.bounds_cap, sizeof *p.edges);
  if (!p.best || !p.bounds || !p.steps || !p.edges) {
    free(p.best);
    free(p.bounds);
    free(p.steps);
    free(p.edges);
    return ts_fail(err, TS_ENOMEM, "search: out of memory for the top %d", c->opt.top_k);
  }
  pthread_mutex_init(&p.lock, NULL);
  pthread_cond_init(&p.step_done, NULL);
  int32_t n = thread_count(c);
  pthread_t *tids = calloc((size_t)n, sizeof *tids);
  int32_t started = 0;
  for (int32_t i = 0; tids && i < n; i++, started++)
    if (pthread_create(&tids[i], NULL, worker, &p) != 0) break;
  if (started == 0) worker(&p); /* no thread could start: evaluate here */
  for (int32_t i = 0; i < started; i++) pthread_join(tids[i], NULL);
  free(tids);
  pthread_mutex_destroy(&p.lock);
  pthread_cond_destroy(&p.step_done);
  free(p.bounds);
  free(p.steps);
  free(p.edges);
  if (p.fatal) {
    free(p.best);
    *err = p.fatal_err;
    return p.fatal;
  }
  res->best = p.best;
  res->n = p.n_best;
  res->stats.simulated = p.simulated;
  res->stats.failed = p.failed;
  res->stats.bounded = part_size(c, s) - p.simulated - p.reused - p.failed;
  res->stats.reused = p.reused;
  res->stats.bounded_trace = p.bounded_trace;
  return TS_OK;
}
