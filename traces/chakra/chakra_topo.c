/* The order of one rank's nodes: Chakra files list nodes in any order (STG's point to later nodes)
 * and name dependencies by id (data_deps and ctrl_deps alike: both must finish first). This sorts
 * them topologically with Kahn's algorithm, taking among the ready nodes the one earliest in the
 * file (a binary heap on file position), so a file already in order keeps its order. Duplicate ids,
 * dependencies on ids that are not in the file, and cycles are errors naming the node ids and the
 * byte offset of the record. */
#include <stdlib.h>
#include <string.h>

#include "traces/chakra/chakra_topo.h"

typedef struct id_index {
  uint64_t id;
  uint32_t idx;
} id_index;

static int cmp_id(const void *a, const void *b) {
  const id_index *x = a, *y = b;
  if (x->id != y->id) return x->id < y->id ? -1 : 1;
  return (x->idx > y->idx) - (x->idx < y->idx);
}

static uint32_t find_id(const id_index *ix, uint32_t n, uint64_t id) {
  uint32_t lo = 0, hi = n;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (ix[mid].id < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < n && ix[lo].id == id ? ix[lo].idx : UINT32_MAX;
}

/* Resolves every dep id to a node index (dep_idx parallel to et->deps). */
static ts_status resolve(const chakra_et *et, uint32_t *dep_idx, ts_err *err) {
  uint32_t n = et->n_nodes;
  id_index *ix = malloc((n ? n : 1) * sizeof *ix);
  if (!ix) return ts_fail(err, TS_ENOMEM, "%s: out of memory sorting node ids", et->name);
  for (uint32_t i = 0; i < n; i++) ix[i] = (id_index){et->nodes[i].id, i};
  qsort(ix, n, sizeof *ix, cmp_id);
  ts_status st = TS_OK;
  for (uint32_t i = 1; i < n && !st; i++)
    if (ix[i].id == ix[i - 1].id)
      st = ts_fail(err, TS_EINPUT,
                   "%s: byte %llu: node id %llu already used by the node at byte %llu", et->name,
                   (unsigned long long)et->nodes[ix[i].idx].offset, (unsigned long long)ix[i].id,
                   (unsigned long long)et->nodes[ix[i - 1].idx].offset);
  for (uint32_t i = 0; i < n && !st; i++) {
    const chakra_node *nd = &et->nodes[i];
    for (uint32_t k = 0; k < nd->n_deps && !st; k++) {
      uint64_t id = et->deps[nd->dep_first + k];
      uint32_t d = find_id(ix, n, id);
      if (d == UINT32_MAX)
        st = ts_fail(err, TS_EINPUT,
                     "%s: byte %llu: node id %llu depends on node id %llu, which is "
                     "not in the file",
                     et->name, (unsigned long long)nd->offset, (unsigned long long)nd->id,
                     (unsigned long long)id);
      dep_idx[nd->dep_first + k] = d;
    }
  }
  free(ix);
  return st;
}

/* ---- a min-heap of node indices (file positions) ----------------------------------------------
 */
typedef struct heap {
  uint32_t *v;
  uint32_t n;
} heap;

static void heap_push(heap *h, uint32_t x) {
  uint32_t i = h->n++;
  while (i > 0 && h->v[(i - 1) / 2] > x) {
    h->v[i] = h->v[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  h->v[i] = x;
}

static uint32_t heap_pop(heap *h) {
  uint32_t top = h->v[0], x = h->v[--h->n], i = 0;
  for (;;) {
    uint32_t c = 2 * i + 1;
    if (c >= h->n) break;
    if (c + 1 < h->n && h->v[c + 1] < h->v[c]) c++;
    if (h->v[c] >= x) break;
    h->v[i] = h->v[c];
    i = c;
  }
  if (h->n) h->v[i] = x;
  return top;
}

/* Names a cycle among the nodes left unsorted (remaining[i] true): walks deps that are left until a
 * node repeats, then prints the loop. */
static ts_status cycle_error(const chakra_et *et, const uint32_t *dep_idx, const bool *remaining,
                             ts_err *err) {
  uint32_t n = et->n_nodes, start = 0;
  while (start < n && !remaining[start]) start++;
  uint32_t *seen = calloc(n, sizeof *seen); /* step at which a node was visited, 1-based */
  uint32_t *path = malloc(n * sizeof *path);
  if (!seen || !path) {
    free(seen);
    free(path);
    return ts_fail(err, TS_EINPUT, "%s: dependency cycle among the nodes", et->name);
  }
  uint32_t v = start, len = 0;
  while (!seen[v]) {
    seen[v] = ++len;
    path[len - 1] = v;
    const chakra_node *nd = &et->nodes[v];
    for (uint32_t k = 0; k < nd->n_deps; k++)
      if (remaining[dep_idx[nd->dep_first + k]]) {
        v = dep_idx[nd->dep_first + k];
        break;
      }
  }
  char ids[256] = "";
  size_t used = 0;
  for (uint32_t i = seen[v] - 1; i < len && used < sizeof ids - 32; i++)
    used += (size_t)snprintf(ids + used, sizeof ids - used, "%llu -> ",
                             (unsigned long long)et->nodes[path[i]].id);
  snprintf(ids + used, sizeof ids - used, "%llu", (unsigned long long)et->nodes[v].id);
  ts_status st = ts_fail(err, TS_EINPUT,
                         "%s: byte %llu: dependency cycle: node ids %s (each "
                         "depends on the next)",
                         et->name, (unsigned long long)et->nodes[v].offset, ids);
  free(seen);
  free(path);
  return st;
}

/* Successor lists in CSR form: succ[first[i] .. first[i+1]) depend on node i. */
static bool successors(const chakra_et *et, const uint32_t *dep_idx, uint32_t *first,
                       uint32_t *succ, uint32_t *indeg) {
  uint32_t n = et->n_nodes;
  memset(first, 0, (n + 1) * sizeof *first);
  for (uint32_t i = 0; i < n; i++) {
    const chakra_node *nd = &et->nodes[i];
    indeg[i] = nd->n_deps;
    for (uint32_t k = 0; k < nd->n_deps; k++) first[dep_idx[nd->dep_first + k] + 1]++;
  }
  for (uint32_t i = 0; i < n; i++) first[i + 1] += first[i];
  uint32_t *fill = malloc((n ? n : 1) * sizeof *fill);
  if (!fill) return false;
  memcpy(fill, first, n * sizeof *fill);
  for (uint32_t i = 0; i < n; i++) {
    const chakra_node *nd = &et->nodes[i];
    for (uint32_t k = 0; k < nd->n_deps; k++) succ[fill[dep_idx[nd->dep_first + k]]++] = i;
  }
  free(fill);
  return true;
}

ts_status chakra_topo_sort(const chakra_et *et, uint32_t *order, uint32_t *dep_idx, ts_err *err) {
  uint32_t n = et->n_nodes;
  ts_status st = resolve(et, dep_idx, err);
  if (st) return st;
  size_t nn = n ? n : 1, nd = et->n_deps ? et->n_deps : 1;
  uint32_t *first = malloc((nn + 1) * sizeof *first), *succ = malloc(nd * sizeof *succ);
  uint32_t *indeg = malloc(nn * sizeof *indeg);
  heap h = {malloc(nn * sizeof(uint32_t)), 0};
  bool *remaining = malloc(nn * sizeof *remaining);
  if (!first || !succ || !indeg || !h.v || !remaining ||
      !successors(et, dep_idx, first, succ, indeg))
    st = ts_fail(err, TS_ENOMEM, "%s: out of memory sorting %u nodes", et->name, n);
  uint32_t done = 0;
  for (uint32_t i = 0; !st && i < n; i++)
    if (!indeg[i]) heap_push(&h, i);
  while (!st && h.n) {
    uint32_t v = heap_pop(&h);
    order[done++] = v;
    for (uint32_t k = first[v]; k < first[v + 1]; k++)
      if (--indeg[succ[k]] == 0) heap_push(&h, succ[k]);
  }
  if (!st && done < n) {
    for (uint32_t i = 0; i < n; i++) remaining[i] = indeg[i] > 0;
    st = cycle_error(et, dep_idx, remaining, err);
  }
  free(first);
  free(succ);
  free(indeg);
  free(h.v);
  free(remaining);
  return st;
}
