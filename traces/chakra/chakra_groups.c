/* The comm-group file ASTRA-sim takes beside a Chakra trace: a JSON object mapping a group id (a
 * string, the nodes' pg_name) to the list of global ranks in the group, {"1": [0, 1], ...}. Each
 * list is checked (integers in 0..world-1, no repeats, not empty) and kept sorted. Errors name the
 * file, and the byte offset when the JSON itself is malformed. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "hw/base/ts_io.h"
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
  char *text;
  size_t len;
  ts_status st = ts_read_file(path, (size_t)1 << 30, &text, &len, err);
  if (st) return st;
  json_error_t je;
  json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
  free(text);
  if (!root)
    return ts_fail(err, TS_EINPUT, "%s: byte %d: malformed JSON: %s", path, je.position, je.text);
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

/* ---- process groups of a captured PyTorch trace ------------------------------------------------
 */
static ts_status add_group(chakra_groups *g, const char *where, const char *name, json_t *ranks,
                           int64_t world, ts_err *err) {
  chakra_group ng = {0};
  ts_status st;
  if (json_is_array(ranks) && json_array_size(ranks) == 0) { /* all ranks */
    json_t *all = json_array();
    for (int64_t r = 0; r < world; r++) json_array_append_new(all, json_integer(r));
    st = read_group(where, name, all, world, &ng, err);
    json_decref(all);
  } else {
    st = read_group(where, name, ranks, world, &ng, err);
  }
  const chakra_group *old = st ? NULL : chakra_groups_find(g, name);
  if (!st && old &&
      (old->n_ranks != ng.n_ranks || memcmp(old->ranks, ng.ranks, ng.n_ranks * sizeof *ng.ranks)))
    st = ts_fail(err, TS_EINPUT,
                 "%s: process group \"%s\" has other ranks than an earlier METADATA "
                 "node gave it",
                 where, name);
  if (!st && !old) {
    chakra_group *grown = realloc(g->groups, (g->n + 1) * sizeof *grown);
    if (!grown)
      st = ts_fail(err, TS_ENOMEM, "%s: out of memory", where);
    else {
      g->groups = grown;
      g->groups[g->n++] = ng;
      return TS_OK;
    }
  }
  free(ng.name);
  free(ng.ranks);
  return st;
}

ts_status chakra_groups_add_pytorch(chakra_groups *g, const char *where, const char *text,
                                    int64_t world, ts_err *err) {
  json_t *root = json_loads(text, 0, NULL);
  ts_status st = TS_OK;
  size_t i;
  json_t *e;
  json_array_foreach(root, i, e) {
    json_t *name = json_object_get(e, "pg_name"), *ranks = json_object_get(e, "ranks");
    if (!name || !ranks) continue; /* not a process-group entry */
    char key[64];
    if (json_is_string(name))
      snprintf(key, sizeof key, "%s", json_string_value(name));
    else if (json_is_integer(name))
      snprintf(key, sizeof key, "%lld", (long long)json_integer_value(name));
    else
      st =
          ts_fail(err, TS_EINPUT, "%s: process group entry %zu: pg_name is not a string", where, i);
    if (!st) st = add_group(g, where, key, ranks, world, err);
    if (st) break;
  }
  json_decref(root);
  return st;
}
