/* trainsim trace import --chakra: all ranks of PREFIX.<rank>.et → one trainsim trace.
 *
 * 1. Find the ranks: every file PREFIX.<digits>.et in PREFIX's folder; ranks are 0..N-1 with N-1
 *    the highest found, and each one must exist.
 * 2. Read each file (chakra_read.c) and recognise the writer from GlobalMetadata's `schema`:
 *    "symbolic_tensor_network" is ASTRA-sim's STG generator, which writes num_ops as
 *    multiply-accumulates and tensor_size/comm_size as element counts; these are converted to FLOPs
 *    (x2) and bytes (x elem_bytes, default 2) unless as_astra_sim asks to read them as ASTRA-sim
 *    does (as FLOPs and bytes). "trainsim" is our exporter: its ts_* attributes restore the ops.
 * 3. Per rank: topological sort and node → op (chakra_program.c), communicators from the
 *    comm-group file (PREFIX.json unless given; without one, the process groups a captured
 *    PyTorch trace lists in METADATA nodes).
 * 4. Across ranks: collectives agree within each group, sends pair with recvs (chakra_check.c).
 * 5. Fold ranks into classes and build the trace (chakra_fold.c): no model, plan or system. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "traces/chakra/chakra_int.h"

/* Splits prefix into folder and file-name stem. */
static void split_prefix(const char *prefix, char *dir, size_t dcap, const char **stem) {
  const char *slash = strrchr(prefix, '/');
  if (!slash) {
    snprintf(dir, dcap, ".");
    *stem = prefix;
  } else {
    size_t n = (size_t)(slash - prefix);
    snprintf(dir, dcap, "%.*s", (int)(n ? n : 1), n ? prefix : "/");
    *stem = slash + 1;
  }
}

/* The rank of a file name STEM.<digits>.et, or -1. */
static int64_t rank_of(const char *file, const char *stem) {
  size_t ls = strlen(stem), lf = strlen(file);
  if (lf < ls + 5 || strncmp(file, stem, ls) != 0 || file[ls] != '.' ||
      strcmp(file + lf - 3, ".et") != 0)
    return -1;
  const char *d = file + ls + 1, *end = file + lf - 3;
  if (d == end || (end - d > 1 && d[0] == '0') || end - d > 9) return -1;
  int64_t r = 0;
  for (; d < end; d++) {
    if (*d < '0' || *d > '9') return -1;
    r = r * 10 + (*d - '0');
  }
  return r;
}

static ts_status find_ranks(const char *prefix, int64_t *world, ts_err *err) {
  char dir[4096];
  const char *stem;
  split_prefix(prefix, dir, sizeof dir, &stem);
  DIR *d = opendir(dir);
  if (!d) return ts_fail(err, TS_ENOTFOUND, "%s: cannot open folder %s", prefix, dir);
  int64_t max = -1;
  for (struct dirent *e; (e = readdir(d));) {
    int64_t r = rank_of(e->d_name, stem);
    if (r > max) max = r;
  }
  closedir(d);
  if (max < 0) return ts_fail(err, TS_ENOTFOUND, "%s: no files %s.<rank>.et", prefix, prefix);
  if (max >= CHAKRA_MAX_RANKS)
    return ts_fail(err, TS_EINPUT, "%s.%lld.et: rank beyond the limit of %d ranks", prefix,
                   (long long)max, CHAKRA_MAX_RANKS);
  for (int64_t r = 0; r <= max; r++) {
    char path[4200];
    struct stat sb;
    snprintf(path, sizeof path, "%s.%lld.et", prefix, (long long)r);
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
      return ts_fail(err, TS_EINPUT,
                     "%s: missing (ranks must be 0..%lld: the highest file found is "
                     "%s.%lld.et)",
                     path, (long long)max, prefix, (long long)max);
  }
  *world = max + 1;
  return TS_OK;
}

static ts_status read_ranks(chakra_ctx *x, const char *prefix, ts_err *err) {
  for (int64_t r = 0; r < x->world; r++) {
    char path[4200];
    snprintf(path, sizeof path, "%s.%lld.et", prefix, (long long)r);
    ts_status st = chakra_et_read_file(path, &x->ets[r], err);
    if (st) return st;
    x->stats->nodes += x->ets[r]->n_nodes;
    if (x->ets[r]->stg != x->ets[0]->stg || x->ets[r]->trainsim != x->ets[0]->trainsim)
      return ts_fail(err, TS_EINPUT,
                     "%s: byte 0: written by another tool (GlobalMetadata schema) "
                     "than %s",
                     path, x->ets[0]->name);
  }
  return TS_OK;
}

/* Without a group file: the process groups captured PyTorch traces list in METADATA nodes. */
static ts_status pytorch_groups(chakra_ctx *x, char *path, ts_err *err) {
  for (int64_t r = 0; r < x->world; r++) {
    const chakra_et *et = x->ets[r];
    for (uint32_t i = 0; i < et->n_nodes; i++) {
      const chakra_node *nd = &et->nodes[i];
      if (nd->inputs_off == UINT64_MAX) continue;
      char where[4200];
      snprintf(where, sizeof where, "%s: byte %llu: node id %llu", et->name,
               (unsigned long long)nd->offset, (unsigned long long)nd->id);
      ts_status st =
          chakra_groups_add_pytorch(&x->groups, where, et->strings + nd->inputs_off, x->world, err);
      if (st) return st;
    }
  }
  x->have_groups = x->groups.n > 0;
  x->groups_path = path;
  if (!x->have_groups) path[0] = '\0';
  return TS_OK;
}

static ts_status read_groups(chakra_ctx *x, const char *prefix, const char *groups_json, char *path,
                             size_t cap, ts_err *err) {
  struct stat sb;
  if (groups_json)
    snprintf(path, cap, "%s", groups_json);
  else
    snprintf(path, cap, "%s.json", prefix);
  if (!groups_json && stat(path, &sb) != 0) {
    snprintf(path, cap, "the METADATA nodes' process groups");
    return pytorch_groups(x, path, err);
  }
  x->groups_path = path;
  x->have_groups = true;
  return chakra_groups_read(path, x->world, &x->groups, err);
}

static void ctx_fini(chakra_ctx *x) {
  for (int64_t r = 0; x->ets && r < x->world; r++) chakra_et_free(x->ets[r]);
  for (int64_t r = 0; x->progs && r < x->world; r++) chakra_prog_fini(&x->progs[r]);
  free(x->ets);
  free(x->progs);
  chakra_groups_fini(&x->groups);
}

ts_status chakra_import(const char *prefix, const char *groups_json,
                        const chakra_import_options *opt, trace **out, chakra_import_stats *stats,
                        ts_err *err) {
  chakra_import_stats local;
  chakra_import_options defaults = {0};
  if (!stats) stats = &local;
  if (!opt) opt = &defaults;
  memset(stats, 0, sizeof *stats);
  *out = NULL;
  if (opt->elem_bytes < 0 || opt->elem_bytes > 16)
    return ts_fail(err, TS_EUSAGE, "element size %d bytes, expected 1..16", opt->elem_bytes);
  chakra_ctx x = {.elem_bytes = opt->elem_bytes ? opt->elem_bytes : 2, .stats = stats};
  ts_status st = find_ranks(prefix, &x.world, err);
  if (st) return st;
  x.ets = calloc((size_t)x.world, sizeof *x.ets);
  x.progs = calloc((size_t)x.world, sizeof *x.progs);
  if (!x.ets || !x.progs)
    st = ts_fail(err, TS_ENOMEM, "out of memory for %lld ranks", (long long)x.world);
  if (!st) st = read_ranks(&x, prefix, err);
  if (!st) {
    stats->ranks = x.world;
    stats->stg = x.ets[0]->stg;
    stats->trainsim_writer = x.ets[0]->trainsim;
    stats->elem_bytes = x.elem_bytes;
    x.convert = stats->converted = stats->stg && !opt->as_astra_sim;
    st = read_groups(&x, prefix, groups_json, stats->groups_path, sizeof stats->groups_path, err);
  }
  for (int64_t r = 0; !st && r < x.world; r++) st = chakra_program_build(&x, r, err);
  if (!st) st = chakra_check_ranks(&x, err);
  if (!st) st = chakra_fold(&x, out, err);
  if (!st) stats->classes = (*out)->n_classes;
  ctx_fini(&x);
  return st;
}
