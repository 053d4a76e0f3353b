/* The comm-group file ASTRA-sim takes beside a Chakra trace: a JSON object mapping a group id (a
 * string, the nodes' pg_name) to the list of global ranks in the group, {"1": [0, 1], ...}. Each
 * list is checked (integers in 0..world-1, no repeats, not empty) and kept sorted. Errors name the
 * file, and the byte offset when the JSON itself is malformed. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "traces/chakra/chakra_int.h"

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static ts_status read_group(const char *path, const char *key, json_t *list, int64_t world,
                            chakra_group *g, ts_err *err) {
  if (!json_is_array(list) || json_array_size(list) == 0 || json_array_size(list) > (size_t)world)
    return ts_fail(err, TS_EINPUT, "%s: group \"%s\": expected a list of 1..%lld ranks", path, key,
                   (long long)world);
  g->name = strdup(key);
  g->n_ranks = (uint32_t)json_array_size(list);
  g->ranks = malloc(g->n_ranks * sizeof *g->ranks);
  if (!g->name || !g->ranks) return ts_fail(err, TS_ENOMEM, "%s: out of memory", path);
  for (uint32_t i = 0; i < g->n_ranks; i++) {
    json_t *v = json_array_get(list, i);
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) >= world)
      return ts_fail(err, TS_EINPUT, "%s: group \"%s\": entry %u is not a rank in 0..%lld", path,
                     key, i, (long long)(world - 1));
    g->ranks[i] = json_integer_value(v);
  }
  qsort(g->ranks, g->n_ranks, sizeof *g->ranks, cmp_i64);
  for (uint32_t i = 1; i < g->n_ranks; i++)
    if (g->ranks[i] == g->ranks[i - 1])
      return ts_fail(err, TS_EINPUT, "%s: group \"%s\": rank %lld appears twice", path, key,
                     (long long)g->ranks[i]);
  return TS_OK;
}

ts_status chakra_groups_read(const char *path, int64_t world, chakra_groups *g, ts_err *err) {
  memset(g, 0, sizeof *g);
  json_error_t je;
  json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
  if (!root)
    return ts_fail(err, TS_EINPUT, "%s: byte %d: malformed JSON: %s", path, je.position, je.text);
  ts_status st = TS_OK;
  if (!json_is_object(root)) {
    st = ts_fail(err, TS_EINPUT, "%s: byte 0: expected an object mapping group ids to rank lists",
                 path);
  } else {
    g->groups = calloc(json_object_size(root) ? json_object_size(root) : 1, sizeof *g->groups);
    if (!g->groups) st = ts_fail(err, TS_ENOMEM, "%s: out of memory", path);
    const char *key;
    json_t *list;
    json_object_foreach(root, key, list) {
      if (st) break;
      st = read_group(path, key, list, world, &g->groups[g->n++], err);
    }
  }
  json_decref(root);
  if (st) chakra_groups_fini(g);
  return st;
}

void chakra_groups_fini(chakra_groups *g) {
  for (uint32_t i = 0; g->groups && i < g->n; i++) {
    free(g->groups[i].name);
    free(g->groups[i].ranks);
  }
  free(g->groups);
  memset(g, 0, sizeof *g);
}

const chakra_group *chakra_groups_find(const chakra_groups *g, const char *name) {
  for (uint32_t i = 0; i < g->n; i++)
    if (strcmp(g->groups[i].name, name) == 0) return &g->groups[i];
  return NULL;
}
