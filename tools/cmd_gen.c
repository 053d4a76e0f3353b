/* trainsim gen: generate the trace of one training step (models/gen.h) for a model, a system and a
 * plan; write it whole or not at all (-o FILE.tst), and/or print what the step holds: FLOPs per
 * step (model and hardware, Megatron's convention, and what the trace's kernels execute), parameter
 * counts, memory per rank against HBM, and the ops of each rank class. */
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/base/ts_io.h"
#include "models/gen.h"
#include "tools/cli.h"
#include "tools/commands.h"
#include "tools/sim_cli.h"

typedef struct gen_args {
  const char *model, *system, *chips, *plan, *seq, *out;
  bool allow_oom, summary, json;
} gen_args;

static const cli_bool_flag BOOL_FLAGS[] = {{"--allow-oom", offsetof(gen_args, allow_oom)},
                                           {"--summary", offsetof(gen_args, summary)},
                                           {"--json", offsetof(gen_args, json)}};

static const cli_value_flag VALUE_FLAGS[] = {
    {"--model", offsetof(gen_args, model)}, {"--system", offsetof(gen_args, system)},
    {"--chips", offsetof(gen_args, chips)}, {"--plan", offsetof(gen_args, plan)},
    {"--seq", offsetof(gen_args, seq)},     {"-o", offsetof(gen_args, out)}};

/* Returns 0 when parsed, else the exit code of the usage error already printed. */
static int parse_args(int argc, char **argv, gen_args *a) {
  if (cli_parse_flags("gen", argc, argv, BOOL_FLAGS, sizeof BOOL_FLAGS / sizeof BOOL_FLAGS[0],
                      VALUE_FLAGS, sizeof VALUE_FLAGS / sizeof VALUE_FLAGS[0], a))
    return 2;
  if (!a->model) return cli_usage_error("gen", "missing --model");
  if (!a->system) return cli_usage_error("gen", "missing --system");
  if (!a->plan) return cli_usage_error("gen", "missing --plan");
  return 0;
}

/* Model (with --seq), system, plan and chips (sim_cli_step_load). */
static int load_inputs(const gen_args *a, sim_cli_step *in) {
  memset(in, 0, sizeof *in);
  ts_err err = {0};
  if (model_load(a->model, &in->m, &err) != TS_OK) return cli_fail(&err);
  if (a->seq) {
    long long v = 0;
    int rc = cli_parse_count("gen", "--seq", a->seq, (long long)1 << 32, &v);
    if (rc) return rc;
    in->m.seq = v;
  }
  return sim_cli_step_load("gen", a->system, a->plan, a->chips, in);
}

static uint64_t class_ops_of_kind(const trace_class *c, trace_op_kind k) {
  uint64_t n = 0;
  for (uint32_t i = 0; i < c->n_ops; i++) n += c->ops[i].kind == k;
  return n;
}

static double trace_flops(const trace *t) {
  double sum = 0.0;
  for (uint32_t c = 0; c < t->n_classes; c++)
    for (uint32_t i = 0; i < t->classes[c].n_ops; i++)
      sum += t->classes[c].ops[i].flops * (double)t->classes[c].ranks;
  return sum;
}

typedef struct gen_report {
  const sim_cli_step *in;
  const trace *t;
  model_step_flops flops;
  model_memory mem;
  bool have_mem;
  char plan_text[1024];
} gen_report;

static void print_memory(const gen_report *r) {
  const model_memory *mem = &r->mem;
  double gib = 1073741824.0, hbm = r->in->sys.chip.hbm_bytes;
  if (!r->have_mem) {
    printf("memory/rank    unavailable\n");
    return;
  }
  printf(
      "memory/rank    weights %.2f GiB, grads %.2f GiB, optimizer %.2f GiB, activations %.2f GiB, "
      "buffers %.2f GiB\n",
      mem->weights_bytes / gib, mem->grads_bytes / gib, mem->optimizer_bytes / gib,
      mem->activations_bytes / gib, mem->buffers_bytes / gib);
  double per_rank_hbm =
      hbm / (r->in->sys.chip.ranks_per_chip > 0 ? r->in->sys.chip.ranks_per_chip : 1);
  if (mem->total_bytes <= per_rank_hbm)
    printf("memory total   %.2f GiB of %.2f GiB HBM per rank (stage %d), fits\n",
           mem->total_bytes / gib, per_rank_hbm / gib, mem->worst_stage);
  else
    printf("memory total   %.2f GiB of %.2f GiB HBM per rank (stage %d), over by %.0f bytes\n",
           mem->total_bytes / gib, per_rank_hbm / gib, mem->worst_stage,
           mem->total_bytes - per_rank_hbm);
}

static void print_summary(const gen_report *r) {
  const sim_cli_step *in = r->in;
  const trace *t = r->t;
  printf("model          %s (seq %lld)\n", in->m.name, (long long)in->m.seq);
  printf("system         %s, %lld chips, %lld ranks\n", in->sys.name, (long long)t->chips,
         (long long)t->ranks);
  printf("plan           %s\n", r->plan_text);
  printf("micro-batches  %lld per step\n", (long long)plan_micro_batches(&t->plan));
  printf("params         total %.4g, active %.4g per token\n", model_params_total(&in->m),
         model_params_active(&in->m));
  printf("flops/step     model %.4g, hardware %.4g (Megatron convention, attention in full)\n",
         r->flops.model_flops, r->flops.hw_flops);
  printf("trace flops    %.4g (kernels as executed: causal attention, flash backward 2.5x)\n",
         trace_flops(t));
  print_memory(r);
  printf("classes        %u\n", t->n_classes);
  for (uint32_t c = 0; c < t->n_classes; c++) {
    const trace_class *cl = &t->classes[c];
    printf("  %-10s ranks %lld (first %lld), %u ops:", cl->name, (long long)cl->ranks,
           (long long)cl->first_rank, cl->n_ops);
    for (int k = 0; k < TRACE_OP_KIND_COUNT; k++) {
      uint64_t n = class_ops_of_kind(cl, (trace_op_kind)k);
      if (n) printf(" %s %llu", trace_op_kind_name((trace_op_kind)k), (unsigned long long)n);
    }
    printf("\n");
  }
}

static json_t *summary_json(const gen_report *r, const char *out) {
  const sim_cli_step *in = r->in;
  const trace *t = r->t;
  json_t *j = json_object();
  json_object_set_new(j, "model", json_string(in->m.name));
  json_object_set_new(j, "seq", json_integer(in->m.seq));
  json_object_set_new(j, "system", json_string(in->sys.name));
  json_object_set_new(j, "chips", json_integer(t->chips));
  json_object_set_new(j, "ranks", json_integer(t->ranks));
  json_object_set_new(j, "plan", json_string(r->plan_text));
  json_object_set_new(j, "micro_batches", json_integer(plan_micro_batches(&t->plan)));
  json_object_set_new(j, "params_total", json_real(model_params_total(&in->m)));
  json_object_set_new(j, "params_active", json_real(model_params_active(&in->m)));
  json_object_set_new(j, "model_flops", json_real(r->flops.model_flops));
  json_object_set_new(j, "hw_flops", json_real(r->flops.hw_flops));
  json_object_set_new(j, "trace_flops", json_real(trace_flops(t)));
  if (r->have_mem) {
    const model_memory *m = &r->mem;
    json_object_set_new(
        j, "memory",
        json_pack("{s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:i}", "weights_bytes", m->weights_bytes,
                  "grads_bytes", m->grads_bytes, "optimizer_bytes", m->optimizer_bytes,
                  "activations_bytes", m->activations_bytes, "buffers_bytes", m->buffers_bytes,
                  "total_bytes", m->total_bytes, "hbm_bytes", in->sys.chip.hbm_bytes, "worst_stage",
                  m->worst_stage));
  }
  json_t *classes = json_array();
  for (uint32_t c = 0; c < t->n_classes; c++) {
    const trace_class *cl = &t->classes[c];
    json_t *kinds = json_object();
    for (int k = 0; k < TRACE_OP_KIND_COUNT; k++) {
      uint64_t n = class_ops_of_kind(cl, (trace_op_kind)k);
      if (n)
        json_object_set_new(kinds, trace_op_kind_name((trace_op_kind)k),
                            json_integer((json_int_t)n));
    }
    json_array_append_new(
        classes, json_pack("{s:s,s:i,s:I,s:I,s:I,s:o}", "name", cl->name, "stage", cl->stage,
                           "first_rank", (json_int_t)cl->first_rank, "ranks", (json_int_t)cl->ranks,
                           "ops", (json_int_t)cl->n_ops, "ops_by_kind", kinds));
  }
  json_object_set_new(j, "classes", classes);
  json_object_set_new(j, "output", out ? json_string(out) : json_null());
  return j;
}

int cmd_gen(int argc, char **argv) {
  for (int i = 1; i < argc; i++)
    if (cli_is_help(argv[i])) return cli_print_usage(cli_find_command("gen"));
  gen_args a = {0};
  int rc = parse_args(argc, argv, &a);
  if (rc) return rc;
  sim_cli_step in;
  trace *t = NULL;
  rc = load_inputs(&a, &in);
  if (!rc) rc = sim_cli_step_trace(&in, a.allow_oom, &t);
  if (rc) return rc;
  ts_err err = {0};
  if (a.out && trace_write_file(t, a.out, &err) != TS_OK) {
    trace_free(t);
    return cli_fail(&err);
  }
  gen_report r = {.in = &in, .t = t};
  r.flops = model_step_flops_count(&in.m, &t->plan);
  r.have_mem = model_memory_per_rank(&in.m, &t->plan, &r.mem, &err) == TS_OK;
  plan_format(&t->plan, r.plan_text, sizeof r.plan_text);
  rc = 0;
  if (a.json) {
    rc = cli_print_json(summary_json(&r, a.out));
  } else if (a.summary || !a.out) {
    print_summary(&r);
  } else {
    uint64_t ops = 0;
    for (uint32_t c = 0; c < t->n_classes; c++) ops += t->classes[c].n_ops;
    printf("wrote %s: %u classes, %llu ops\n", a.out, t->n_classes, (unsigned long long)ops);
  }
  trace_free(t);
  return rc;
}
