/* The model zoo: one YAML file per model under models/zoo/ in the data folder (hw_data_dir()).
 * Names are the file names without ".yaml"; an unknown name fails with the closest names by edit
 * distance, as hw/ does for its catalog. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "models/models_int.h"

enum { ZOO_NAME = 64 };

static void zoo_dir(char *buf, size_t cap) {
  snprintf(buf, cap, "%s/models/zoo", hw_data_dir());
}

static int cmp_names(const void *a, const void *b) {
  return strcmp((const char *)a, (const char *)b);
}

ts_status model_zoo_names(char (**names)[64], size_t *n, ts_err *err) {
  *names = NULL;
  *n = 0;
  char dir_path[4096];
  zoo_dir(dir_path, sizeof dir_path);
  DIR *dir = opendir(dir_path);
  if (!dir) return ts_fail(err, TS_EIO, "%s: cannot open the model zoo folder", dir_path);
  size_t count = 0, cap = 0;
  char(*list)[64] = NULL;
  struct dirent *ent;
  while ((ent = readdir(dir)) != NULL) {
    size_t len = strlen(ent->d_name);
    if (len <= 5 || len - 5 >= ZOO_NAME || strcmp(ent->d_name + len - 5, ".yaml") != 0) continue;
    if (count == cap) {
      size_t new_cap = cap ? cap * 2 : 32;
      char(*grown)[64] = realloc(list, new_cap * sizeof *list);
      if (!grown) {
        free(list);
        closedir(dir);
        return ts_fail(err, TS_ENOMEM, "model zoo: out of memory listing %s", dir_path);
      }
      list = grown;
      cap = new_cap;
    }
    snprintf(list[count], ZOO_NAME, "%.*s", (int)(len - 5), ent->d_name);
    count++;
  }
  closedir(dir);
  if (count) qsort(list, count, sizeof *list, cmp_names);
  *names = list;
  *n = count;
  return TS_OK;
}

/* Levenshtein distance of two short names (both under ZOO_NAME characters). */
static size_t edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la >= ZOO_NAME) la = ZOO_NAME - 1;
  if (lb >= ZOO_NAME) lb = ZOO_NAME - 1;
  size_t prev[ZOO_NAME], cur[ZOO_NAME];
  for (size_t j = 0; j <= lb; j++) prev[j] = j;
  for (size_t i = 1; i <= la; i++) {
    cur[0] = i;
    for (size_t j = 1; j <= lb; j++) {
      size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
      size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
      cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
    }
    memcpy(prev, cur, (lb + 1) * sizeof prev[0]);
  }
  return prev[lb];
}

/* "a, b, c": the three names closest to name; ties keep name order (names are sorted). */
static void closest_names(const char *name, char (*names)[64], size_t n, char *out, size_t cap) {
  enum { TAKE = 3 };
  size_t best[TAKE], dist[TAKE], kept = 0;
  for (size_t i = 0; i < n; i++) {
    size_t d = edit_distance(name, names[i]), at = kept;
    while (at > 0 && dist[at - 1] > d) at--;
    if (at == TAKE) continue;
    size_t last = kept < TAKE ? kept : TAKE - 1;
    for (size_t k = last; k > at; k--) best[k] = best[k - 1], dist[k] = dist[k - 1];
    best[at] = i;
    dist[at] = d;
    if (kept < TAKE) kept++;
  }
  out[0] = '\0';
  size_t pos = 0;
  for (size_t k = 0; k < kept && pos < cap; k++)
    pos += (size_t)snprintf(out + pos, cap - pos, "%s%s", k ? ", " : "", names[best[k]]);
}

static bool plain_name(const char *name) {
  if (!*name || strlen(name) >= ZOO_NAME || name[0] == '.') return false;
  for (const char *c = name; *c; c++)
    if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
          *c == '-' || *c == '_' || *c == '.'))
      return false;
  return true;
}

ts_status model_zoo_path(const char *name, char *path, size_t cap, ts_err *err) {
  char dir_path[4096];
  zoo_dir(dir_path, sizeof dir_path);
  if (plain_name(name)) {
    snprintf(path, cap, "%s/%s.yaml", dir_path, name);
    if (access(path, R_OK) == 0) return TS_OK;
  }
  char(*names)[64] = NULL;
  size_t n = 0;
  ts_err list_err = {0};
  char close[256] = "";
  if (model_zoo_names(&names, &n, &list_err) == TS_OK)
    closest_names(name, names, n, close, sizeof close);
  free(names);
  if (close[0])
    return ts_fail(err, TS_ENOTFOUND, "unknown model '%s' (closest: %s; see 'trainsim model list')",
                   name, close);
  return ts_fail(err, TS_ENOTFOUND, "unknown model '%s' (the zoo at %s is empty)", name, dir_path);
}
