/* trainsim trace import --chakra / export --chakra: the front end of traces/chakra/. Import reads
 * every PREFIX.<rank>.et, says how it read the writer's units, writes a .tst and ends with the
 * three lines DESIGN.md fixes (`ranks: N`, `nodes: N`, `classes: N`). Export writes one .et per
 * rank (or per rank of --ranks) and the comm-group JSON. */
#include "tools/cmd_chakra.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/base/ts_io.h"
#include "tools/cli.h"
#include "traces/chakra/chakra.h"
#include "traces/trace.h"

typedef struct import_args {
  const char *prefix, *groups, *out;
  chakra_import_options opt;
} import_args;

static int parse_import(int argc, char **argv, import_args *a) {
  memset(a, 0, sizeof *a);
  for (int i = 1; i < argc; i++) {
    bool missing = false;
    const char *v;
    if ((v = cli_flag_value(argc, argv, &i, "--chakra", &missing)))
      a->prefix = v;
    else if (!missing && (v = cli_flag_value(argc, argv, &i, "--comm-groups", &missing)))
      a->groups = v;
    else if (!missing && (v = cli_flag_value(argc, argv, &i, "-o", &missing)))
      a->out = v;
    else if (!missing && (v = cli_flag_value(argc, argv, &i, "--elem-bytes", &missing))) {
      long long n;
      if (ts_parse_int64(v, &n) != 0 || n < 1 || n > 16)
        return cli_usage_error("trace", "--elem-bytes '%s': expected 1..16", v);
      a->opt.elem_bytes = (int)n;
    } else if (!missing && strcmp(argv[i], "--as-astra-sim") == 0)
      a->opt.as_astra_sim = true;
    else if (missing)
      return cli_usage_error("trace", "%s needs a value", argv[i]);
    else if (!a->prefix && argv[i][0] != '-')
      a->prefix = argv[i];
    else
      return cli_usage_error("trace", "import: unexpected argument '%s'", argv[i]);
  }
  if (!a->prefix || !a->out)
    return cli_usage_error("trace", "import needs --chakra PREFIX and -o FILE");
  return 0;
}

static void print_import(const import_args *a, const trace *t, const chakra_import_stats *s) {
  printf("chakra:   %s.0.et .. %s.%lld.et\n", a->prefix, a->prefix, (long long)(s->ranks - 1));
  printf("groups:   %s\n", s->groups_path[0] ? s->groups_path : "- (no comm-group file)");
  if (s->stg && s->converted)
    printf(
        "writer:   STG (schema symbolic_tensor_network): num_ops read as multiply-accumulates "
        "(x2 = FLOPs), tensor_size and comm_size as element counts (x%d bytes, --elem-bytes)\n",
        s->elem_bytes);
  else if (s->stg)
    printf(
        "writer:   STG (schema symbolic_tensor_network), read as ASTRA-sim does (--as-astra-sim): "
        "num_ops as FLOPs, tensor_size and comm_size as bytes\n");
  else if (s->trainsim_writer)
    printf("writer:   trainsim (ops restored from its ts_* attributes)\n");
  else
    printf("writer:   generic Chakra: num_ops as FLOPs, tensor_size and comm_size as bytes\n");
  if (s->metadata_nodes || s->cpu_nodes)
    printf("skipped:  %llu metadata and %llu CPU nodes (their dependencies kept)\n",
           (unsigned long long)s->metadata_nodes, (unsigned long long)s->cpu_nodes);
  if (s->duration_only)
    printf(
        "note:     %llu COMP nodes carry only a measured duration; kept as the op's duration_s\n",
        (unsigned long long)s->duration_only);
  if (s->approx_colls)
    printf(
        "note:     %llu collectives (reduce, gather, scatter, broadcast, barrier) timed as the "
        "closest trainsim collective\n",
        (unsigned long long)s->approx_colls);
  printf("communicators:");
  for (uint32_t i = 0; i < t->n_comms; i++)
    printf(" %s(size %lld, stride %lld)", t->comms[i].name, (long long)t->comms[i].size,
           (long long)t->comms[i].stride);
  printf("\nwrote:    %s\n", a->out);
  printf("ranks: %lld\nnodes: %llu\nclasses: %u\n", (long long)s->ranks,
         (unsigned long long)s->nodes, s->classes);
}

int cmd_trace_chakra_import(int argc, char **argv) {
  import_args a;
  int rc = parse_import(argc, argv, &a);
  if (rc) return rc;
  trace *t;
  chakra_import_stats s;
  ts_err err = {0};
  if (chakra_import(a.prefix, a.groups, &a.opt, &t, &s, &err)) return cli_fail(&err);
  ts_status st = trace_write_file(t, a.out, &err);
  if (!st) print_import(&a, t, &s);
  trace_free(t);
  return st ? cli_fail(&err) : 0;
}

/* ---- export ------------------------------------------------------------------------------------
 */
/* "0,2,5-7" → ranks; false on a malformed list. *out is malloc'd. */
static bool parse_ranks(const char *text, int64_t **out, size_t *n) {
  size_t cap = 16;
  *n = 0;
  *out = malloc(cap * sizeof **out);
  for (const char *p = text; *out && *p;) {
    char *end;
    long long a = strtoll(p, &end, 10), b = a;
    if (end == p || a < 0) return false;
    if (*end == '-') {
      p = end + 1;
      b = strtoll(p, &end, 10);
      if (end == p || b < a || b - a > CHAKRA_MAX_RANKS) return false;
    }
    for (long long r = a; r <= b; r++) {
      if (*n == cap) {
        int64_t *q = realloc(*out, 2 * cap * sizeof *q);
        if (!q) return false;
        *out = q;
        cap *= 2;
      }
      (*out)[(*n)++] = r;
    }
    if (*end == ',')
      end++;
    else if (*end)
      return false;
    p = end;
  }
  return *out && *n > 0;
}

int cmd_trace_chakra_export(int argc, char **argv) {
  const char *in = NULL, *out = NULL, *list = NULL;
  for (int i = 1; i < argc; i++) {
    bool missing = false;
    const char *v;
    if ((v = cli_flag_value(argc, argv, &i, "--chakra", &missing)))
      in = v;
    else if (!missing && (v = cli_flag_value(argc, argv, &i, "-o", &missing)))
      out = v;
    else if (!missing && (v = cli_flag_value(argc, argv, &i, "--ranks", &missing)))
      list = v;
    else if (missing)
      return cli_usage_error("trace", "%s needs a value", argv[i]);
    else if (!in && argv[i][0] != '-')
      in = argv[i];
    else
      return cli_usage_error("trace", "export: unexpected argument '%s'", argv[i]);
  }
  if (!in || !out) return cli_usage_error("trace", "export needs --chakra FILE.tst and -o PREFIX");
  chakra_export_options opt = {0};
  int64_t *ranks = NULL;
  if (list && !parse_ranks(list, &ranks, &opt.n_ranks)) {
    free(ranks);
    return cli_usage_error("trace", "--ranks '%s': expected a list like 0,2,4-7", list);
  }
  opt.ranks = ranks;
  trace *t = NULL;
  chakra_export_stats s;
  ts_err err = {0};
  ts_status st = cli_trace_read(in, &t, &err);
  if (!st) st = chakra_export(t, out, &opt, &s, &err);
  if (!st)
    printf("wrote:    %lld files %s.<rank>.et (%llu nodes) and %s.json (%u groups)\n",
           (long long)s.files, out, (unsigned long long)s.nodes, out, s.groups);
  trace_free(t);
  free(ranks);
  return st ? cli_fail(&err) : 0;
}
