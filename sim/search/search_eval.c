/* Evaluating the candidates: a pool of pthreads takes them in lower-bound order from one shared
 * cursor, generates each step (gen_step) and simulates it (sim_run, the options' fidelity), and
 * keeps the best K sorted by (step_s, plan text). A candidate whose bound exceeds the K-th best
 * step time so far cannot enter the top K (its step time is at least its bound, and the K-th best
 * only improves), and since candidates come in bound order every later one is skipped too.
 * The skip uses a strict comparison, so the final top K is the same whatever the order the
 * threads finish in: any plan of the final top K has step <= the final K-th best <= every
 * threshold seen, hence bound <= threshold, and it is always simulated. Only the counts of skipped
 * and simulated plans depend on timing; they go to stderr, never into results. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "models/gen.h"
#include "sim/search/search_int.h"

typedef struct pool {
  const search_ctx *c;
  const search_space *s;
  pthread_mutex_t lock;
  size_t next;        /* cursor into s->cands */
  bool stop;          /* every remaining candidate is bounded out */
  search_entry *best; /* top_k slots, sorted */
  int32_t n_best;
  uint64_t simulated, failed, bounded;
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

/* Generates and simulates one candidate into e. TS_OK, or the refusal (counted as failed). */
static ts_status simulate(const search_ctx *c, const search_cand *k, search_entry *e, ts_err *err) {
  memset(e, 0, sizeof *e);
  search_plan_build(c, k, &e->plan);
  plan_format(&e->plan, e->text, sizeof e->text);
  e->bound_s = k->bound_s;
  ts_status st = model_memory_per_rank(c->m, &e->plan, &e->memory, err);
  if (st) return st;
  e->over_memory = model_memory_check(&e->memory, &c->sys->chip, NULL) != TS_OK;
  gen_options go = {.allow_oom = c->opt.allow_oom};
  trace *t = NULL;
  st = gen_step(c->m, &e->plan, c->sys, c->chips, &go, &t, err);
  if (st) return st;
  sim_result *r = NULL;
  st = sim_run(t, c->sys, &c->opt.sim, &r, err);
  trace_free(t);
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
    if (!o->exhaustive && k->bound_s > threshold(p)) {
      p->stop = true; /* sorted by bound: the rest are out too */
      break;
    }
    return k;
  }
  return NULL;
}

static void *worker(void *arg) {
  pool *p = arg;
  search_entry *e = malloc(sizeof *e);
  pthread_mutex_lock(&p->lock);
  if (!e && p->fatal == TS_OK) {
    p->fatal = ts_fail(&p->fatal_err, TS_ENOMEM, "search: out of memory for a worker");
  }
  const search_cand *k;
  while (e && (k = take(p)) != NULL) {
    pthread_mutex_unlock(&p->lock);
    ts_err why = {0};
    ts_status st = simulate(p->c, k, e, &why);
    pthread_mutex_lock(&p->lock);
    if (st == TS_ENOMEM) {
      if (p->fatal == TS_OK) p->fatal = st, p->fatal_err = why;
    } else if (st) {
      p->failed++;
    } else {
      p->simulated++;
      keep(p, e);
    }
  }
  pthread_mutex_unlock(&p->lock);
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
  p.best = calloc((size_t)c->opt.top_k, sizeof *p.best);
  if (!p.best) return ts_fail(err, TS_ENOMEM, "search: out of memory for the top %d",
                              c->opt.top_k);
  pthread_mutex_init(&p.lock, NULL);
  int32_t n = thread_count(c);
  pthread_t *tids = calloc((size_t)n, sizeof *tids);
  int32_t started = 0;
  for (int32_t i = 0; tids && i < n; i++, started++)
    if (pthread_create(&tids[i], NULL, worker, &p) != 0) break;
  if (started == 0) worker(&p); /* no thread could start: evaluate here */
  for (int32_t i = 0; i < started; i++) pthread_join(tids[i], NULL);
  free(tids);
  pthread_mutex_destroy(&p.lock);
  if (p.fatal) {
    free(p.best);
    *err = p.fatal_err;
    return p.fatal;
  }
  res->best = p.best;
  res->n = p.n_best;
  res->stats.simulated = p.simulated;
  res->stats.failed = p.failed;
  res->stats.bounded = part_size(c, s) - p.simulated - p.failed;
  return TS_OK;
}
