/* flow: max-min fair sharing of link bandwidth among concurrent flows.
 *
 * Model: all flows of a step start together and keep the rate they get at the start. The rates
 * are the max-min fair allocation (Bertsekas & Gallager, "Data Networks", §6.5.2), found by
 * progressive filling: every unfrozen flow's rate rises at the same pace; when a link's capacity
 * is used up (its remaining capacity over its unfrozen flows is the smallest such share), every
 * flow that crosses it freezes at the current level and leaves the other links' counts; repeat
 * until every flow is frozen. Each round saturates at least one link, so there are at most as
 * many rounds as links, and in the collectives' regular patterns only a few.
 *
 * The interface is plain arrays (flow_problem in coll_int.h) so the solver is tested alone. */
#include "sim/coll_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct flow_solver {
  double *rem;     /* remaining capacity per link */
  int64_t *active; /* unfrozen flows per link */
  int64_t *lfirst; /* link -> flows (inverse CSR), n_links + 1 offsets */
  int64_t *lflows;
  int32_t *live; /* links with unfrozen flows and capacity left */
  uint8_t *frozen;
  size_t rem_cap, active_cap, lfirst_cap, lflows_cap, live_cap, frozen_cap;
};

/* Relative remaining capacity below which a link counts as saturated (rounding of the sums). */
static const double flow_saturated = 1e-9;

bool coll_grow(void *ptr_addr, size_t *cap, size_t n, size_t elem) {
  if (n <= *cap) return true;
  size_t want = *cap ? *cap : 64;
  while (want < n) want *= 2;
  void *p;
  memcpy(&p, ptr_addr, sizeof p);
  void *q = realloc(p, want * elem);
  if (!q) return false;
  memcpy(ptr_addr, &q, sizeof q);
  *cap = want;
  return true;
}

ts_status flow_solver_new(flow_solver **out, ts_err *err) {
  *out = calloc(1, sizeof **out);
  return *out ? TS_OK : ts_fail(err, TS_ENOMEM, "flow solver: out of memory");
}

void flow_solver_free(flow_solver *s) {
  if (!s) return;
  free(s->rem);
  free(s->active);
  free(s->lfirst);
  free(s->lflows);
  free(s->live);
  free(s->frozen);
  free(s);
}

static ts_status flow_check(const flow_problem *p, ts_err *err) {
  if (p->n_links < 0 || p->n_flows < 0)
    return ts_fail(err, TS_EINPUT, "flow problem: %d links, %lld flows, expected >= 0", p->n_links,
                   (long long)p->n_flows);
  for (int32_t l = 0; l < p->n_links; l++)
    if (!isfinite(p->link_Bps[l]) || p->link_Bps[l] <= 0)
      return ts_fail(err, TS_EINPUT, "flow problem: link %d has capacity %g B/s, expected > 0", l,
                     p->link_Bps[l]);
  for (int64_t f = 0; f < p->n_flows; f++) {
    if (p->flow_first[f + 1] < p->flow_first[f])
      return ts_fail(err, TS_EINPUT, "flow problem: flow %lld has a negative link count",
                     (long long)f);
    for (int64_t i = p->flow_first[f]; i < p->flow_first[f + 1]; i++)
      if (p->flow_links[i] < 0 || p->flow_links[i] >= p->n_links)
        return ts_fail(err, TS_EINPUT, "flow problem: flow %lld crosses link %d, expected 0..%d",
                       (long long)f, p->flow_links[i], p->n_links - 1);
  }
  return TS_OK;
}

static bool flow_reserve(flow_solver *s, const flow_problem *p) {
  size_t nl = (size_t)p->n_links + 1, nf = (size_t)p->n_flows + 1;
  size_t refs = (size_t)p->flow_first[p->n_flows] + 1;
  return COLL_GROW(s, rem, rem_cap, nl) && COLL_GROW(s, active, active_cap, nl) &&
         COLL_GROW(s, lfirst, lfirst_cap, nl) && COLL_GROW(s, lflows, lflows_cap, refs) &&
         COLL_GROW(s, live, live_cap, nl) && COLL_GROW(s, frozen, frozen_cap, nf);
}

/* Counts flows per link and builds the link -> flows lists. */
static void flow_index(flow_solver *s, const flow_problem *p) {
  for (int32_t l = 0; l <= p->n_links; l++) s->active[l] = 0;
  int64_t refs = p->flow_first[p->n_flows];
  for (int64_t i = 0; i < refs; i++) s->active[p->flow_links[i]]++;
  s->lfirst[0] = 0;
  for (int32_t l = 0; l < p->n_links; l++) s->lfirst[l + 1] = s->lfirst[l] + s->active[l];
  for (int32_t l = 0; l < p->n_links; l++) s->rem[l] = (double)s->lfirst[l]; /* fill cursor */
  for (int64_t f = 0; f < p->n_flows; f++)
    for (int64_t i = p->flow_first[f]; i < p->flow_first[f + 1]; i++) {
      int32_t l = p->flow_links[i];
      s->lflows[(int64_t)s->rem[l]] = f;
      s->rem[l] += 1;
    }
  for (int32_t l = 0; l < p->n_links; l++) s->rem[l] = p->link_Bps[l];
}

/* Freezes every unfrozen flow that crosses link l at rate level; returns how many froze. */
static int64_t flow_freeze_link(flow_solver *s, const flow_problem *p, int32_t l, double level,
                                double *rate_Bps) {
  int64_t frozen = 0;
  for (int64_t j = s->lfirst[l]; j < s->lfirst[l + 1]; j++) {
    int64_t f = s->lflows[j];
    if (s->frozen[f]) continue;
    s->frozen[f] = 1;
    rate_Bps[f] = level;
    frozen++;
    for (int64_t i = p->flow_first[f]; i < p->flow_first[f + 1]; i++) s->active[p->flow_links[i]]--;
  }
  return frozen;
}

/* One round of progressive filling over the live links; returns the new live count. */
static int32_t flow_round(flow_solver *s, const flow_problem *p, int32_t n_live, double *level,
                          double *rate_Bps, int64_t *unfrozen) {
  double delta = INFINITY;
  for (int32_t k = 0; k < n_live; k++) {
    int32_t l = s->live[k];
    double share = s->rem[l] / (double)s->active[l];
    if (share < delta) delta = share;
  }
  *level += delta;
  for (int32_t k = 0; k < n_live; k++) {
    int32_t l = s->live[k];
    s->rem[l] -= delta * (double)s->active[l];
    if (s->rem[l] < 0) s->rem[l] = 0;
  }
  for (int32_t k = 0; k < n_live; k++) {
    int32_t l = s->live[k];
    if (s->active[l] > 0 && s->rem[l] <= flow_saturated * p->link_Bps[l])
      *unfrozen -= flow_freeze_link(s, p, l, *level, rate_Bps);
  }
  int32_t kept = 0;
  for (int32_t k = 0; k < n_live; k++) {
    int32_t l = s->live[k];
    if (s->active[l] > 0) s->live[kept++] = l;
  }
  return kept;
}

ts_status flow_maxmin(flow_solver *s, const flow_problem *p, double *rate_Bps, ts_err *err) {
  ts_status st = flow_check(p, err);
  if (st != TS_OK) return st;
  if (p->n_flows == 0) return TS_OK;
  if (!flow_reserve(s, p))
    return ts_fail(err, TS_ENOMEM, "flow solver: %lld flows over %d links do not fit in memory",
                   (long long)p->n_flows, p->n_links);
  flow_index(s, p);
  int64_t unfrozen = 0;
  for (int64_t f = 0; f < p->n_flows; f++) {
    bool none = p->flow_first[f + 1] == p->flow_first[f];
    s->frozen[f] = none;
    rate_Bps[f] = none ? INFINITY : 0;
    unfrozen += !none;
  }
  int32_t n_live = 0;
  for (int32_t l = 0; l < p->n_links; l++)
    if (s->active[l] > 0) s->live[n_live++] = l;
  double level = 0;
  while (unfrozen > 0 && n_live > 0) n_live = flow_round(s, p, n_live, &level, rate_Bps, &unfrozen);
  return TS_OK;
}
