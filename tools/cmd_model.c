/* trainsim model: list the zoo and show one model (zoo name, YAML path or inline form) with its
 * shape, parameter counts (total and active per token) and model FLOPs per token. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/base/ts_io.h"
#include "models/models.h"
#include "tools/cli.h"
#include "tools/commands.h"

static void moe_text(const model *m, char *buf, size_t cap) {
  if (m->moe_experts == 0)
    snprintf(buf, cap, "-");
  else if (m->moe_shared)
    snprintf(buf, cap, "%lld top-%lld +%lld", (long long)m->moe_experts, (long long)m->moe_topk,
             (long long)m->moe_shared);
  else
    snprintf(buf, cap, "%lld top-%lld", (long long)m->moe_experts, (long long)m->moe_topk);
}

/* The table lists families together, each by size: by the name up to its first '-', then by
 * parameter count (names alone sort gpt3-1t before gpt3-3.6b). */
static int by_family_then_size(const void *a, const void *b) {
  const model *x = a, *y = b;
  size_t nx = strcspn(x->name, "-"), ny = strcspn(y->name, "-");
  int c = strncmp(x->name, y->name, nx < ny ? nx : ny);
  if (c == 0 && nx != ny) c = nx < ny ? -1 : 1;
  if (c != 0) return c;
  double px = model_params_total(x), py = model_params_total(y);
  return px < py ? -1 : px > py ? 1 : strcmp(x->name, y->name);
}

static int list_table(char (*names)[64], size_t n) {
  model *all = calloc(n ? n : 1, sizeof *all);
  if (!all) {
    fprintf(stderr, "trainsim: out of memory listing the model zoo\n");
    return 1;
  }
  for (size_t i = 0; i < n; i++) {
    ts_err err = {0};
    if (model_load(names[i], &all[i], &err) != TS_OK) {
      free(all);
      return cli_fail(&err);
    }
  }
  qsort(all, n, sizeof *all, by_family_then_size);
  printf("%-14s %6s %6s %6s %5s %4s %7s %6s %-7s %-14s %9s %9s\n", "NAME", "LAYERS", "HIDDEN",
         "FFN", "HEADS", "KV", "VOCAB", "SEQ", "MLP", "MOE", "PARAMS_B", "ACTIVE_B");
  for (size_t i = 0; i < n; i++) {
    const model *m = &all[i];
    char moe[48];
    moe_text(m, moe, sizeof moe);
    printf("%-14s %6lld %6lld %6lld %5lld %4lld %7lld %6lld %-7s %-14s %9.2f %9.2f\n", m->name,
           (long long)m->layers, (long long)m->hidden, (long long)m->ffn, (long long)m->heads,
           (long long)m->kv_heads, (long long)m->vocab, (long long)m->seq, model_mlp_name(m->mlp),
           moe, model_params_total(m) / 1e9, model_params_active(m) / 1e9);
  }
  free(all);
  return 0;
}

static json_t *model_json(const model *m) {
  json_t *j = json_object();
  json_object_set_new(j, "name", json_string(m->name));
  json_object_set_new(j, "source", json_string(m->source));
  const struct {
    const char *key;
    int64_t v;
  } ints[] = {{"layers", m->layers},     {"hidden", m->hidden},
              {"ffn", m->ffn},           {"heads", m->heads},
              {"kv_heads", m->kv_heads}, {"head_dim", m->head_dim},
              {"vocab", m->vocab},       {"seq", m->seq}};
  for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
    json_object_set_new(j, ints[i].key, json_integer(ints[i].v));
  json_object_set_new(j, "mlp", json_string(model_mlp_name(m->mlp)));
  json_object_set_new(j, "attention",
                      json_string(m->attn == MODEL_ATTN_LATENT ? "latent" : "standard"));
  json_object_set_new(j, "tied_embeddings", json_boolean(m->tied_embeddings));
  if (m->moe_experts > 0)
    json_object_set_new(
        j, "moe",
        json_pack("{s:I,s:I,s:I,s:I,s:I}", "experts", (json_int_t)m->moe_experts, "topk",
                  (json_int_t)m->moe_topk, "ffn", (json_int_t)m->moe_ffn, "shared",
                  (json_int_t)m->moe_shared, "dense_layers", (json_int_t)m->dense_layers));
  if (m->attn == MODEL_ATTN_LATENT)
    json_object_set_new(
        j, "latent",
        json_pack("{s:I,s:I,s:I,s:I,s:I}", "q_lora_rank", (json_int_t)m->q_lora_rank,
                  "kv_lora_rank", (json_int_t)m->kv_lora_rank, "qk_rope_dim",
                  (json_int_t)m->qk_rope_dim, "qk_nope_dim", (json_int_t)m->qk_nope_dim,
                  "v_head_dim", (json_int_t)m->v_head_dim));
  json_object_set_new(j, "params_total", json_real(model_params_total(m)));
  json_object_set_new(j, "params_active", json_real(model_params_active(m)));
  json_object_set_new(j, "model_flops_per_token", json_real(model_flops_per_token(m, m->seq)));
  return j;
}

static int list_json(char (*names)[64], size_t n) {
  json_t *arr = json_array();
  for (size_t i = 0; i < n; i++) {
    model m;
    ts_err err = {0};
    if (model_load(names[i], &m, &err) != TS_OK) {
      json_decref(arr);
      return cli_fail(&err);
    }
    json_array_append_new(arr, model_json(&m));
  }
  return cli_print_json(json_pack("{s:o}", "models", arr));
}

static int cmd_list(int argc, char **argv) {
  bool as_json = false;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--json") == 0)
      as_json = true;
    else
      return cli_usage_error("model", "unknown argument '%s' to 'model list'", argv[i]);
  }
  char(*names)[64] = NULL;
  size_t n = 0;
  ts_err err = {0};
  if (model_zoo_names(&names, &n, &err) != TS_OK) return cli_fail(&err);
  int rc = as_json ? list_json(names, n) : list_table(names, n);
  free(names);
  return rc;
}

static void print_show(const model *m) {
  printf("model          %s\nsource         %s\n", m->name, m->source);
  printf("layers         %lld\nhidden         %lld\nffn            %lld\n", (long long)m->layers,
         (long long)m->hidden, (long long)m->ffn);
  printf("heads          %lld (kv_heads %lld, head_dim %lld)\n", (long long)m->heads,
         (long long)m->kv_heads, (long long)m->head_dim);
  printf("vocab          %lld\nseq            %lld\n", (long long)m->vocab, (long long)m->seq);
  printf("mlp            %s (%d matrices)\n", model_mlp_name(m->mlp),
         m->mlp == MODEL_MLP_SWIGLU ? 3 : 2);
  if (m->attn == MODEL_ATTN_LATENT)
    printf(
        "attention      latent (q_lora_rank %lld, kv_lora_rank %lld, qk_rope_dim %lld, "
        "qk_nope_dim %lld, v_head_dim %lld)\n",
        (long long)m->q_lora_rank, (long long)m->kv_lora_rank, (long long)m->qk_rope_dim,
        (long long)m->qk_nope_dim, (long long)m->v_head_dim);
  else
    printf("attention      standard\n");
  if (m->moe_experts > 0)
    printf(
        "moe            %lld experts, top-%lld, expert ffn %lld, %lld shared, %lld dense layers "
        "first\n",
        (long long)m->moe_experts, (long long)m->moe_topk, (long long)m->moe_ffn,
        (long long)m->moe_shared, (long long)m->dense_layers);
  printf("embeddings     %s\n", m->tied_embeddings ? "tied" : "untied");
  printf("params total   %.0f (%.2f B)\n", model_params_total(m), model_params_total(m) / 1e9);
  printf("params active  %.0f (%.2f B per token)\n", model_params_active(m),
         model_params_active(m) / 1e9);
  printf("flops/token    %.6g (model FLOPs, forward + backward, at seq %lld)\n",
         model_flops_per_token(m, m->seq), (long long)m->seq);
}

static int cmd_show(int argc, char **argv) {
  const char *spec = NULL, *seq_text = NULL;
  bool as_json = false, missing = false;
  for (int i = 1; i < argc; i++) {
    const char *v;
    if (strcmp(argv[i], "--json") == 0)
      as_json = true;
    else if ((v = cli_flag_value(argc, argv, &i, "--seq", &missing)) != NULL)
      seq_text = v;
    else if (missing)
      return cli_usage_error("model", "--seq needs a value");
    else if (argv[i][0] == '-' && argv[i][1] == '-')
      return cli_usage_error("model", "unknown flag '%s' to 'model show'", argv[i]);
    else if (!spec)
      spec = argv[i];
    else
      return cli_usage_error("model", "'model show' takes one model, got '%s' and '%s'", spec,
                             argv[i]);
  }
  if (!spec)
    return cli_usage_error("model", "'model show' needs a model name, path or inline form");
  model m;
  ts_err err = {0};
  if (model_load(spec, &m, &err) != TS_OK) return cli_fail(&err);
  if (seq_text) {
    long long seq = 0;
    if (!ts_parse_int64(seq_text, &seq) || seq < 1 || seq > ((long long)1 << 32))
      return cli_usage_error("model", "--seq: '%s' is not a positive sequence length", seq_text);
    m.seq = seq;
  }
  if (as_json) return cli_print_json(model_json(&m));
  print_show(&m);
  return 0;
}

int cmd_model(int argc, char **argv) {
  if (argc < 2) return cli_usage_error("model", "missing subcommand (list or show)");
  if (strcmp(argv[1], "list") == 0) return cmd_list(argc - 1, argv + 1);
  if (strcmp(argv[1], "show") == 0) return cmd_show(argc - 1, argv + 1);
  return cli_usage_error("model", "unknown subcommand '%s' (expected list or show)", argv[1]);
}
