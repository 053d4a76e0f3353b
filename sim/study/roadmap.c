/* The roadmap data file (hw/roadmap.yaml): per vendor track, each generation with the year it is
 * available, whether it has shipped (generally available: the fit uses it) or is only announced,
 * the catalog system that represents it and the source of the year. Loading reads the file,
 * checks it (known keys, years in order, shipped before announced, unique track names), loads
 * every system (a catalog name, or a path relative to the roadmap file) and fits every track
 * (sim/study/roadmap_fit.c). Format:
 *
 *   tracks:
 *     - track: nvidia
 *       generations:
 *         - {name: hopper, system: dgx-h100, year: 2022, status: shipped, source: "S9,S10"}
 */
#include "sim/study/study.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/base/ts_yaml.h"

static const char *const ROOT_KEYS[] = {"tracks", NULL};
static const char *const TRACK_KEYS[] = {"track", "generations", NULL};
static const char *const GEN_KEYS[] = {"name", "system", "year", "status", "source", NULL};

enum { YEAR_MIN = 1990, YEAR_MAX = 2100 };

/* ref as given when it is a catalog name or an absolute path; else relative to the roadmap file. */
static void resolve_ref(const char *roadmap_path, const char *ref, char *buf, size_t cap) {
  bool path = strchr(ref, '/') || (strlen(ref) > 5 && strcmp(ref + strlen(ref) - 5, ".yaml") == 0);
  const char *slash = strrchr(roadmap_path, '/');
  if (!path || ref[0] == '/' || !slash)
    snprintf(buf, cap, "%s", ref);
  else
    snprintf(buf, cap, "%.*s/%s", (int)(slash - roadmap_path), roadmap_path, ref);
}

static ts_status parse_status(const ts_yaml *y, ts_ynode g, bool *shipped, ts_err *err) {
  char text[32];
  ts_status st = ts_yaml_req_str(y, g, "status", text, sizeof text, err);
  if (st) return st;
  if (strcmp(text, "shipped") == 0 || strcmp(text, "announced") == 0) {
    *shipped = text[0] == 's';
    return TS_OK;
  }
  return ts_yaml_fail(y, ts_yaml_get(y, g, "status"), TS_EINPUT, err,
                      "field 'status': '%s' (expected shipped or announced)", text);
}

static ts_status parse_gen(const ts_yaml *y, ts_ynode g, const roadmap_gen *prev, roadmap_gen *out,
                           ts_err *err) {
  if (!ts_yaml_is_map(y, g))
    return ts_yaml_fail(y, g, TS_EINPUT, err, "a generation must be a mapping");
  out->line = ts_yaml_line(y, g);
  long long year = 0;
  ts_status st = ts_yaml_check_keys(y, g, GEN_KEYS, "generation", err);
  if (!st) st = ts_yaml_req_str(y, g, "name", out->name, sizeof out->name, err);
  if (!st) st = ts_yaml_req_str(y, g, "system", out->system_ref, sizeof out->system_ref, err);
  if (!st) st = ts_yaml_req_int(y, g, "year", &year, err);
  if (!st) st = parse_status(y, g, &out->shipped, err);
  if (!st) st = ts_yaml_req_str(y, g, "source", out->source, sizeof out->source, err);
  if (st) return st;
  ts_ynode yn = ts_yaml_get(y, g, "year");
  if (year < YEAR_MIN || year > YEAR_MAX)
    return ts_yaml_fail(y, yn, TS_EINPUT, err, "field 'year': %lld (expected %d..%d)", year,
                        YEAR_MIN, YEAR_MAX);
  out->year = (int)year;
  if (prev && year < prev->year)
    return ts_yaml_fail(y, yn, TS_EINPUT, err,
                        "field 'year': %lld is before the previous generation's %d (list "
                        "generations in year order)",
                        year, prev->year);
  if (prev && out->shipped && !prev->shipped)
    return ts_yaml_fail(y, g, TS_EINPUT, err,
                        "generation '%s' is shipped but follows announced '%s' (shipped "
                        "generations come first)",
                        out->name, prev->name);
  return TS_OK;
}

static ts_status load_system(const roadmap *rm, const ts_yaml *y, ts_ynode g, roadmap_gen *gen,
                             ts_err *err) {
  char ref[ROADMAP_REF_MAX * 2];
  resolve_ref(rm->path, gen->system_ref, ref, sizeof ref);
  gen->sys = malloc(sizeof *gen->sys);
  if (!gen->sys) return ts_fail(err, TS_ENOMEM, "%s: out of memory", rm->path);
  ts_status st = hw_system_load(ref, gen->sys, err);
  if (st)
    ts_err_prefix(err, "%s:%d: field 'system' '%s'", ts_yaml_name(y),
                  ts_yaml_line(y, ts_yaml_get(y, g, "system")), gen->system_ref);
  return st;
}

static ts_status parse_track(roadmap *rm, const ts_yaml *y, ts_ynode tn, roadmap_track *t,
                             ts_err *err) {
  if (!ts_yaml_is_map(y, tn))
    return ts_yaml_fail(y, tn, TS_EINPUT, err, "a track must be a mapping");
  t->line = ts_yaml_line(y, tn);
  ts_status st = ts_yaml_check_keys(y, tn, TRACK_KEYS, "track", err);
  if (!st) st = ts_yaml_req_str(y, tn, "track", t->name, sizeof t->name, err);
  if (st) return st;
  if (roadmap_track_index(rm, t->name) >= 0)
    return ts_yaml_fail(y, tn, TS_EINPUT, err, "track '%s' appears twice", t->name);
  ts_ynode gens = ts_yaml_get(y, tn, "generations");
  size_t n = ts_yaml_seq_len(y, gens);
  if (!gens || !ts_yaml_is_seq(y, gens) || n == 0)
    return ts_yaml_fail(y, gens ? gens : tn, TS_EINPUT, err,
                        "field 'generations': expected a non-empty list");
  if (n > ROADMAP_MAX_GENS)
    return ts_yaml_fail(y, gens, TS_EINPUT, err, "field 'generations': %zu entries (at most %d)", n,
                        ROADMAP_MAX_GENS);
  for (size_t i = 0; i < n; i++) {
    ts_ynode g = ts_yaml_seq_item(y, gens, i);
    st = parse_gen(y, g, i ? &t->gens[i - 1] : NULL, &t->gens[i], err);
    if (!st) {
      t->n_gens = (int)i + 1; /* counted before loading, so roadmap_free frees a partial load */
      st = load_system(rm, y, g, &t->gens[i], err);
    }
    if (st) return st;
  }
  return TS_OK;
}

static ts_status parse_roadmap(roadmap *rm, const ts_yaml *y, ts_err *err) {
  ts_ynode root = ts_yaml_root(y);
  if (!ts_yaml_is_map(y, root))
    return ts_yaml_fail(y, root, TS_EINPUT, err, "expected a mapping with 'tracks'");
  ts_status st = ts_yaml_check_keys(y, root, ROOT_KEYS, "roadmap", err);
  if (st) return st;
  ts_ynode tracks = ts_yaml_get(y, root, "tracks");
  size_t n = ts_yaml_seq_len(y, tracks);
  if (!tracks || !ts_yaml_is_seq(y, tracks) || n == 0)
    return ts_yaml_fail(y, tracks ? tracks : root, TS_EINPUT, err,
                        "field 'tracks': expected a non-empty list");
  if (n > ROADMAP_MAX_TRACKS)
    return ts_yaml_fail(y, tracks, TS_EINPUT, err, "field 'tracks': %zu entries (at most %d)", n,
                        ROADMAP_MAX_TRACKS);
  for (size_t i = 0; i < n; i++) {
    roadmap_track *t = &rm->tracks[i];
    st = parse_track(rm, y, ts_yaml_seq_item(y, tracks, i), t, err);
    rm->n_tracks = (int)i + 1;
    if (!st) st = roadmap_fit_track(t, err);
    if (st) return st;
  }
  return TS_OK;
}

ts_status roadmap_load(const char *path, roadmap **out, ts_err *err) {
  *out = NULL;
  roadmap *rm = calloc(1, sizeof *rm);
  if (!rm) return ts_fail(err, TS_ENOMEM, "roadmap: out of memory");
  if (path)
    snprintf(rm->path, sizeof rm->path, "%s", path);
  else
    snprintf(rm->path, sizeof rm->path, "%s/hw/roadmap.yaml", hw_data_dir());
  ts_yaml *y;
  ts_status st = ts_yaml_load_file(rm->path, &y, err);
  if (!st) {
    st = parse_roadmap(rm, y, err);
    ts_yaml_free(y);
  }
  if (st) {
    roadmap_free(rm);
    return st;
  }
  *out = rm;
  return TS_OK;
}

void roadmap_free(roadmap *rm) {
  if (!rm) return;
  for (int t = 0; t < rm->n_tracks; t++)
    for (int g = 0; g < rm->tracks[t].n_gens; g++) free(rm->tracks[t].gens[g].sys);
  free(rm);
}

int roadmap_track_index(const roadmap *rm, const char *name) {
  for (int t = 0; t < rm->n_tracks; t++)
    if (strcmp(rm->tracks[t].name, name) == 0) return t;
  return -1;
}
