/* The shipped catalog: hw/chips/NAME.yaml and hw/systems/NAME.yaml under the data folder
 * ($TRAINSIM_DATA_DIR, else the source tree the library was built from). Resolves names to files,
 * lists them sorted, and suggests the closest names (Levenshtein edit distance, a name that
 * contains the query counting as distance 1) when a name is unknown. */
#include "hw/hw.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hw/desc_int.h"

enum { SUGGEST_MAX = 3 };

const char *hw_data_dir(void) {
  const char *env = getenv("TRAINSIM_DATA_DIR");
  return env && *env ? env : TRAINSIM_DATA_DIR;
}

bool hw_catalog_is_path(const char *name_or_path) {
  size_t n = strlen(name_or_path);
  return strchr(name_or_path, '/') || (n > 5 && strcmp(name_or_path + n - 5, ".yaml") == 0);
}

static const char *folder(bool chips) {
  return chips ? "hw/chips" : "hw/systems";
}

/* A catalog name: lower-case letters, digits, '.', '_', '-', starting with a letter or digit. */
bool hw_catalog_valid_name(const char *name) {
  size_t n = strlen(name);
  if (n == 0 || n >= HW_NAME_MAX || !isalnum((unsigned char)name[0])) return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)name[i];
    if (!(islower(c) || isdigit(c) || c == '.' || c == '_' || c == '-')) return false;
  }
  return true;
}

static int compare_names(const void *a, const void *b) {
  return strcmp(a, b);
}

ts_status hw_catalog_names(bool chips, char (**names)[HW_NAME_MAX], size_t *n, ts_err *err) {
  *names = NULL;
  *n = 0;
  char dir_path[4096];
  snprintf(dir_path, sizeof dir_path, "%s/%s", hw_data_dir(), folder(chips));
  DIR *dir = opendir(dir_path);
  if (!dir) return ts_fail(err, TS_EIO, "%s: cannot open the catalog folder", dir_path);
  size_t cap = 0;
  char(*list)[HW_NAME_MAX] = NULL;
  struct dirent *e;
  while ((e = readdir(dir)) != NULL) {
    size_t len = strlen(e->d_name);
    if (len <= 5 || strcmp(e->d_name + len - 5, ".yaml") != 0 || len - 5 >= HW_NAME_MAX) continue;
    char stem[HW_NAME_MAX];
    snprintf(stem, sizeof stem, "%.*s", (int)(len - 5), e->d_name);
    if (!hw_catalog_valid_name(stem)) continue;
    if (*n == cap) {
      cap = cap ? cap * 2 : 32;
      char(*grown)[HW_NAME_MAX] = realloc(list, cap * sizeof *list);
      if (!grown) {
        free(list);
        closedir(dir);
        *n = 0;
        return ts_fail(err, TS_ENOMEM, "out of memory listing %s", dir_path);
      }
      list = grown;
    }
    memcpy(list[(*n)++], stem, sizeof stem);
  }
  closedir(dir);
  if (*n) qsort(list, *n, sizeof *list, compare_names);
  *names = list;
  return TS_OK;
}

/* Levenshtein distance, case-insensitive; names are shorter than HW_NAME_MAX (longer queries
 * are cut, which only affects the ranking of suggestions). */
static int edit_distance(const char *a, const char *b) {
  int row[HW_NAME_MAX + 1];
  int la = (int)strnlen(a, HW_NAME_MAX), lb = (int)strnlen(b, HW_NAME_MAX);
  for (int j = 0; j <= lb; j++) row[j] = j;
  for (int i = 1; i <= la; i++) {
    int diag = row[0];
    row[0] = i;
    for (int j = 1; j <= lb; j++) {
      int up = row[j];
      int same = tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]);
      int best = diag + !same;
      if (up + 1 < best) best = up + 1;
      if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
      row[j] = best;
      diag = up;
    }
  }
  return row[lb];
}

static int score(const char *query, const char *name) {
  int d = edit_distance(query, name);
  return (*query && strstr(name, query) && d > 1) ? 1 : d;
}

typedef struct suggestion {
  int score;
  bool chip;
  char name[HW_NAME_MAX];
} suggestion;

/* Keeps the SUGGEST_MAX best (score, then name) in best[0..*n). */
static void consider(suggestion *best, int *n, const char *query, const char *name, bool chip) {
  suggestion s = {.score = score(query, name), .chip = chip};
  snprintf(s.name, sizeof s.name, "%s", name);
  int pos = *n;
  while (pos > 0 && (best[pos - 1].score > s.score ||
                     (best[pos - 1].score == s.score && strcmp(best[pos - 1].name, s.name) > 0)))
    pos--;
  if (pos >= SUGGEST_MAX) return;
  int last = *n < SUGGEST_MAX ? *n : SUGGEST_MAX - 1;
  for (int i = last; i > pos; i--) best[i] = best[i - 1];
  best[pos] = s;
  if (*n < SUGGEST_MAX) (*n)++;
}

static void consider_all(suggestion *best, int *n, const char *query, bool chips) {
  char(*names)[HW_NAME_MAX];
  size_t count;
  if (hw_catalog_names(chips, &names, &count, NULL) != TS_OK) return;
  for (size_t i = 0; i < count; i++) consider(best, n, query, names[i], chips);
  free(names);
}

void hw_catalog_closest(const char *name, bool systems, bool chips, char *buf, size_t cap) {
  suggestion best[SUGGEST_MAX];
  int n = 0;
  if (systems) consider_all(best, &n, name, false);
  if (chips) consider_all(best, &n, name, true);
  if (cap) buf[0] = '\0';
  size_t used = 0;
  for (int i = 0; i < n && used < cap; i++) {
    int w = snprintf(buf + used, cap - used, "%s%s%s", i ? ", " : "", best[i].name,
                     systems && chips && best[i].chip ? " (chip)" : "");
    if (w < 0) break;
    used += (size_t)w;
  }
}

ts_status hw_catalog_path(bool chips, const char *name, char *path, size_t cap, ts_err *err) {
  const char *what = chips ? "chip" : "system";
  if (hw_catalog_valid_name(name)) {
    snprintf(path, cap, "%s/%s/%s.yaml", hw_data_dir(), folder(chips), name);
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) return TS_OK;
  }
  char closest[256];
  hw_catalog_closest(name, !chips, chips, closest, sizeof closest);
  if (!closest[0])
    return ts_fail(err, TS_ENOTFOUND, "unknown %s '%s' (the catalog in %s/%s is empty)", what, name,
                   hw_data_dir(), folder(chips));
  return ts_fail(err, TS_ENOTFOUND, "unknown %s '%s' (closest: %s)", what, name, closest);
}

ts_status hw_catalog_open(bool chips, const char *name_or_path, ts_yaml **y, char *path,
                          size_t cap, const char **expect_name, ts_err *err) {
  *y = NULL;
  bool by_path = hw_catalog_is_path(name_or_path);
  *expect_name = by_path ? NULL : name_or_path;
  if (by_path) {
    snprintf(path, cap, "%s", name_or_path);
  } else {
    ts_status st = hw_catalog_path(chips, name_or_path, path, cap, err);
    if (st) return st;
  }
  return ts_yaml_load_file(path, y, err);
}
