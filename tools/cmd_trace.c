/* trainsim trace: look inside trace files. `show` summarises (model, plan, system, rank classes,
 * ops and FLOPs by kind, bytes by communicator), `dump` prints the text form, `pack` turns the
 * text form back into a binary .tst (whole file or nothing). show and dump read either form: a
 * file that starts with "trainsim-trace" is text, anything else is read as binary. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/base/ts_io.h"
#include "models/models.h"
#include "tools/cli.h"
#include "tools/cmd_chakra.h"
#include "tools/commands.h"
#include "traces/trace.h"

/* ---- show ------------------------------------------------------------------------------------ */
static void plan_text(const trace *t, char *buf, size_t cap) {
  if (t->has_model)
    plan_format(&t->plan, buf, cap);
  else
    snprintf(buf, cap, "-");
}

static void show_table(const char *path, const trace *t, const trace_summary *s) {
  char plan[512];
  plan_text(t, plan, sizeof plan);
  printf("trace:    %s (format %u)\n", path, t->version);
  if (t->has_model)
    printf(
        "model:    %s: layers=%lld hidden=%lld ffn=%lld heads=%lld kv_heads=%lld vocab=%lld "
        "seq=%lld mlp=%s\n",
        t->model.name, (long long)t->model.layers, (long long)t->model.hidden,
        (long long)t->model.ffn, (long long)t->model.heads, (long long)t->model.kv_heads,
        (long long)t->model.vocab, (long long)t->model.seq, model_mlp_name(t->model.mlp));
  else
    printf("model:    - (imported trace)\n");
  printf("plan:     %s\n", plan);
  printf("system:   %s, %lld chips, %lld ranks\n", t->system[0] ? t->system : "-",
         (long long)t->chips, (long long)t->ranks);
  printf("\nrank classes: %u\n  %-24s %6s %10s %8s %10s %10s\n", t->n_classes, "CLASS", "STAGE",
         "FIRST_RANK", "RANKS", "OPS", "DEPS");
  for (uint32_t i = 0; i < t->n_classes; i++) {
    const trace_class *c = &t->classes[i];
    printf("  %-24s %6d %10lld %8lld %10u %10u\n", c->name, c->stage, (long long)c->first_rank,
           (long long)c->ranks, c->n_ops, c->n_deps);
  }
  printf("\nops by kind (FLOPs and bytes summed over all ranks):\n  %-16s %10s %14s %14s\n", "KIND",
         "OPS", "FLOPS", "BYTES");
  for (int k = 0; k < TRACE_OP_KIND_COUNT; k++)
    if (s->ops_by_kind[k])
      printf("  %-16s %10llu %14.6g %14.6g\n", trace_op_kind_name((trace_op_kind)k),
             (unsigned long long)s->ops_by_kind[k], s->flops_by_kind[k], s->bytes_by_kind[k]);
  printf("  %-16s %10llu %14.6g\n", "total", (unsigned long long)s->total_ops, s->total_flops);
  printf("\ncommunicators (bytes summed over all ranks):\n  %-8s %8s %8s %14s\n", "NAME", "SIZE",
         "STRIDE", "BYTES");
  for (uint32_t i = 0; i < t->n_comms; i++)
    printf("  %-8s %8lld %8lld %14.6g\n", t->comms[i].name, (long long)t->comms[i].size,
           (long long)t->comms[i].stride, s->bytes_by_comm[i]);
}

static json_t *model_json(const trace *t) {
  if (!t->has_model) return json_null();
  const model *m = &t->model;
  return json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:s,s:I,s:I}", "name", m->name, "layers",
                   (json_int_t)m->layers, "hidden", (json_int_t)m->hidden, "ffn",
                   (json_int_t)m->ffn, "heads", (json_int_t)m->heads, "kv_heads",
                   (json_int_t)m->kv_heads, "vocab", (json_int_t)m->vocab, "seq",
                   (json_int_t)m->seq, "mlp", model_mlp_name(m->mlp), "moe_experts",
                   (json_int_t)m->moe_experts, "moe_topk", (json_int_t)m->moe_topk);
}

static json_t *show_json(const char *path, const trace *t, const trace_summary *s) {
  char plan[512];
  plan_text(t, plan, sizeof plan);
  json_t *classes = json_array(), *kinds = json_object(), *comms = json_array();
  for (uint32_t i = 0; i < t->n_classes; i++) {
    const trace_class *c = &t->classes[i];
    json_array_append_new(
        classes, json_pack("{s:s,s:i,s:I,s:I,s:I,s:I}", "name", c->name, "stage", c->stage,
                           "first_rank", (json_int_t)c->first_rank, "ranks", (json_int_t)c->ranks,
                           "ops", (json_int_t)c->n_ops, "deps", (json_int_t)c->n_deps));
  }
  for (int k = 0; k < TRACE_OP_KIND_COUNT; k++)
    if (s->ops_by_kind[k])
      json_object_set_new(kinds, trace_op_kind_name((trace_op_kind)k),
                          json_pack("{s:I,s:f,s:f}", "ops", (json_int_t)s->ops_by_kind[k], "flops",
                                    s->flops_by_kind[k], "bytes", s->bytes_by_kind[k]));
  for (uint32_t i = 0; i < t->n_comms; i++)
    json_array_append_new(
        comms, json_pack("{s:s,s:I,s:I,s:f}", "name", t->comms[i].name, "size",
                         (json_int_t)t->comms[i].size, "stride", (json_int_t)t->comms[i].stride,
                         "bytes", s->bytes_by_comm[i]));
  return json_pack("{s:s,s:i,s:o,s:s,s:s,s:I,s:I,s:o,s:o,s:o,s:I,s:f}", "file", path, "format",
                   (int)t->version, "model", model_json(t), "plan", plan, "system", t->system,
                   "chips", (json_int_t)t->chips, "ranks", (json_int_t)t->ranks, "classes", classes,
                   "ops_by_kind", kinds, "communicators", comms, "total_ops",
                   (json_int_t)s->total_ops, "total_flops", s->total_flops);
}

static int cmd_show(int argc, char **argv) {
  const char *path = NULL;
  bool json = false;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--json") == 0)
      json = true;
    else if (argv[i][0] == '-' && argv[i][1])
      return cli_usage_error("trace", "unknown flag '%s'", argv[i]);
    else if (path)
      return cli_usage_error("trace", "show takes one FILE");
    else
      path = argv[i];
  }
  if (!path) return cli_usage_error("trace", "show needs a FILE");
  trace *t;
  ts_err err = {0};
  if (cli_trace_read(path, &t, &err)) return cli_fail(&err);
  trace_summary s;
  trace_summarize(t, &s);
  int rc = 0;
  if (json)
    rc = cli_print_json(show_json(path, t, &s));
  else
    show_table(path, t, &s);
  trace_free(t);
  return rc;
}

/* ---- dump and pack --------------------------------------------------------------------------- */
static int cmd_dump(int argc, char **argv) {
  if (argc != 2) return cli_usage_error("trace", "dump takes one FILE");
  trace *t;
  ts_err err = {0};
  if (cli_trace_read(argv[1], &t, &err)) return cli_fail(&err);
  ts_status st = trace_write_text(t, stdout, &err);
  trace_free(t);
  if (!st && fflush(stdout) != 0) st = ts_fail(&err, TS_EIO, "error writing to stdout");
  return st ? cli_fail(&err) : 0;
}

static int cmd_pack(int argc, char **argv) {
  const char *in = NULL, *out = NULL;
  for (int i = 1; i < argc; i++) {
    bool missing = false;
    const char *v = cli_flag_value(argc, argv, &i, "-o", &missing);
    if (missing) return cli_usage_error("trace", "-o needs a FILE");
    if (v)
      out = v;
    else if (argv[i][0] == '-' && argv[i][1])
      return cli_usage_error("trace", "unknown flag '%s'", argv[i]);
    else if (in)
      return cli_usage_error("trace", "pack takes one TEXT file");
    else
      in = argv[i];
  }
  if (!in || !out) return cli_usage_error("trace", "pack needs TEXT and -o FILE");
  char *data;
  size_t len;
  ts_err err = {0};
  if (ts_read_file(in, CLI_MAX_TRACE_FILE, &data, &len, &err)) return cli_fail(&err);
  trace *t;
  ts_status st = trace_read_text(in, data, len, &t, &err);
  free(data);
  if (st) return cli_fail(&err);
  st = trace_write_file(t, out, &err);
  trace_free(t);
  return st ? cli_fail(&err) : 0;
}

int cmd_trace(int argc, char **argv) {
  if (argc < 2 || cli_is_help(argv[1])) {
    if (argc >= 2) return cli_print_usage(cli_find_command("trace"));
    return cli_usage_error("trace", "needs a subcommand: show, dump or pack");
  }
  const char *sub = argv[1];
  if (strcmp(sub, "show") == 0) return cmd_show(argc - 1, argv + 1);
  if (strcmp(sub, "dump") == 0) return cmd_dump(argc - 1, argv + 1);
  if (strcmp(sub, "pack") == 0) return cmd_pack(argc - 1, argv + 1);
  if (strcmp(sub, "import") == 0) return cmd_trace_chakra_import(argc - 1, argv + 1);
  if (strcmp(sub, "export") == 0) return cmd_trace_chakra_export(argc - 1, argv + 1);
  return cli_usage_error(
      "trace", "unknown subcommand '%s' (expected show, dump, pack, import or export)", sub);
}
