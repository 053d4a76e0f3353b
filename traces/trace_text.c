/* Text form of a trace, the writer and the field tables the reader shares (trace_text_read.c).
 * One header block (version, model, plan, system, communicators), then each class followed by
 * its ops, one per line. Every field of the binary payload appears, doubles with "%.17g" and
 * integers exactly, so binary → text → binary is byte-identical. Layout: traces/FORMAT.md. */
#include "traces/trace.h"

#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include "traces/trace_text_int.h"

/* ---- enum names as (unsigned → name) functions, one per enum the header lines use ---------- */
static const char *mlp_name(unsigned v) {
  return v <= MODEL_MLP_RELU2 ? model_mlp_name((model_mlp)v) : "?";
}
static const char *attn_name(unsigned v) {
  static const char *const N[] = {"standard", "latent"};
  return v <= MODEL_ATTN_LATENT ? N[v] : "?";
}
static const char *recompute_name(unsigned v) {
  return v <= PLAN_RECOMP_FULL ? plan_recompute_name((plan_recompute)v) : "?";
}
static const char *schedule_name(unsigned v) {
  return v <= PLAN_SCHED_GPIPE ? plan_schedule_name((plan_schedule)v) : "?";
}
static const char *dtype_name(unsigned v) { return hw_dtype_name((hw_dtype)v); }

#define TF(key, type, member) {key, type, offsetof(trace, member), sizeof(((trace *)0)->member), NULL, 0}
#define TE(key, member, fn, count) {key, TF_ENUM, offsetof(trace, member), 0, fn, count}

const trace_text_field TRACE_TEXT_MODEL[] = {
    TF("has", TF_BOOL, has_model),
    TF("name", TF_STR, model.name),
    TF("source", TF_STR, model.source),
    TF("layers", TF_I64, model.layers),
    TF("hidden", TF_I64, model.hidden),
    TF("ffn", TF_I64, model.ffn),
    TF("heads", TF_I64, model.heads),
    TF("kv_heads", TF_I64, model.kv_heads),
    TF("head_dim", TF_I64, model.head_dim),
    TF("vocab", TF_I64, model.vocab),
    TF("seq", TF_I64, model.seq),
    TE("mlp", model.mlp, mlp_name, MODEL_MLP_RELU2 + 1),
    TE("attn", model.attn, attn_name, MODEL_ATTN_LATENT + 1),
    TF("moe_experts", TF_I64, model.moe_experts),
    TF("moe_topk", TF_I64, model.moe_topk),
    TF("moe_ffn", TF_I64, model.moe_ffn),
    TF("moe_shared", TF_I64, model.moe_shared),
    TF("dense_layers", TF_I64, model.dense_layers),
    TF("q_lora_rank", TF_I64, model.q_lora_rank),
    TF("kv_lora_rank", TF_I64, model.kv_lora_rank),
    TF("qk_rope_dim", TF_I64, model.qk_rope_dim),
    TF("qk_nope_dim", TF_I64, model.qk_nope_dim),
    TF("v_head_dim", TF_I64, model.v_head_dim),
    TF("tied_embeddings", TF_BOOL, model.tied_embeddings),
    {NULL, 0, 0, 0, NULL, 0}};

const trace_text_field TRACE_TEXT_PLAN[] = {
    TF("tp", TF_I32, plan.tp),
    TF("pp", TF_I32, plan.pp),
    TF("dp", TF_I32, plan.dp),
    TF("cp", TF_I32, plan.cp),
    TF("ep", TF_I32, plan.ep),
    TF("vpp", TF_I32, plan.vpp),
    TF("mbs", TF_I32, plan.mbs),
    TF("gbs", TF_I64, plan.gbs),
    TE("recompute", plan.recompute, recompute_name, PLAN_RECOMP_FULL + 1),
    TF("zero", TF_I32, plan.zero),
    TE("dtype", plan.dtype, dtype_name, HW_DTYPE_COUNT),
    TE("schedule", plan.schedule, schedule_name, PLAN_SCHED_GPIPE + 1),
    TF("sp", TF_BOOL, plan.sp),
    TF("tp_overlap", TF_BOOL, plan.tp_overlap),
    TF("dp_overlap", TF_BOOL, plan.dp_overlap),
    TF("pp_overlap", TF_BOOL, plan.pp_overlap),
    TF("naive_attention", TF_BOOL, plan.naive_attention),
    TF("set", TF_HEX32, plan.set),
    TF("stage_layers", TF_STAGES, plan),
    {NULL, 0, 0, 0, NULL, 0}};

const trace_text_field TRACE_TEXT_SYSTEM[] = {
    TF("name", TF_STR, system),
    TF("chips", TF_I64, chips),
    TF("ranks", TF_I64, ranks),
    {NULL, 0, 0, 0, NULL, 0}};

/* ---- writer ---------------------------------------------------------------------------------- */
static void write_string(FILE *fp, const char *s) {
  fputc('"', fp);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\')
      fprintf(fp, "\\%c", *p);
    else if (*p < 0x20 || *p == 0x7f)
      fprintf(fp, "\\x%02x", *p);
    else
      fputc(*p, fp);
  }
  fputc('"', fp);
}

static void write_value(FILE *fp, const trace *t, const trace_text_field *f) {
  const char *base = (const char *)t + f->offset;
  switch (f->type) {
    case TF_BOOL: fprintf(fp, "%d", *(const bool *)base ? 1 : 0); break;
    case TF_I32: fprintf(fp, "%" PRId32, *(const int32_t *)base); break;
    case TF_I64: fprintf(fp, "%" PRId64, *(const int64_t *)base); break;
    case TF_HEX32: fprintf(fp, "0x%" PRIx32, *(const uint32_t *)base); break;
    case TF_STR: write_string(fp, base); break;
    case TF_ENUM: {
      unsigned v;
      int iv;
      memcpy(&iv, base, sizeof iv); /* the C enums of models.h and hw.h are int-sized */
      v = (unsigned)iv;
      fputs(f->enum_name(v), fp);
      break;
    }
    case TF_STAGES: {
      const plan *p = (const plan *)base;
      if (p->n_stage_layers == 0) fputc('-', fp);
      for (int32_t i = 0; i < p->n_stage_layers; i++)
        fprintf(fp, "%s%" PRId32, i ? "/" : "", p->stage_layers[i]);
      break;
    }
  }
}

static void write_fields(FILE *fp, const char *keyword, const trace *t, const trace_text_field *f) {
  fputs(keyword, fp);
  for (; f->key; f++) {
    fprintf(fp, " %s=", f->key);
    write_value(fp, t, f);
  }
  fputc('\n', fp);
}

static void write_op(FILE *fp, const trace *t, const trace_class *c, uint32_t i) {
  const trace_op *o = &c->ops[i];
  fprintf(fp, "op %" PRIu32 " %s %s %s %s", i, trace_op_kind_name((trace_op_kind)o->kind),
          hw_dtype_name((hw_dtype)o->dtype), trace_phase_name((trace_phase)o->phase),
          trace_stream_name((trace_stream)o->stream));
  if (o->layer != TRACE_NO_LAYER) fprintf(fp, " layer=%u", (unsigned)o->layer);
  fprintf(fp, " micro=%" PRIu32, o->micro);
  if (o->comm != TRACE_NO_COMM) fprintf(fp, " comm=%s", t->comms[o->comm].name);
  if (o->peer != -1) fprintf(fp, " peer=%" PRId32, o->peer);
  if (o->flags) {
    fputs(" flags=", fp);
    const char *sep = "";
    if (o->flags & TRACE_FLAG_CAUSAL) fprintf(fp, "%scausal", sep), sep = ",";
    if (o->flags & TRACE_FLAG_EXPERT) fprintf(fp, "%sexpert", sep);
  }
  fprintf(fp, " m=%" PRId64 " n=%" PRId64 " k=%" PRId64 " count=%" PRId64, o->m, o->n, o->k,
          o->count);
  fprintf(fp, " flops=%.17g bytes=%.17g", o->flops, o->bytes);
  if (o->duration_s != 0.0) fprintf(fp, " duration_s=%.17g", o->duration_s); /* version 2 */
  for (uint32_t d = 0; d < o->dep_count; d++)
    fprintf(fp, "%s%" PRIu32, d ? "," : " deps=", c->deps[o->dep_first + d]);
  fputc('\n', fp);
}

ts_status trace_write_text(const trace *t, FILE *fp, ts_err *err) {
  ts_status st = trace_validate(t, err);
  if (st) return st;
  fprintf(fp, "trainsim-trace %u\n", trace_format_version_needed(t));
  write_fields(fp, "model", t, TRACE_TEXT_MODEL);
  write_fields(fp, "plan", t, TRACE_TEXT_PLAN);
  write_fields(fp, "system", t, TRACE_TEXT_SYSTEM);
  for (uint32_t i = 0; i < t->n_comms; i++)
    fprintf(fp, "comm %" PRIu32 " %s size=%" PRId64 " stride=%" PRId64 "\n", i, t->comms[i].name,
            t->comms[i].size, t->comms[i].stride);
  for (uint32_t ci = 0; ci < t->n_classes; ci++) {
    const trace_class *c = &t->classes[ci];
    fprintf(fp, "class %" PRIu32 " ", ci);
    write_string(fp, c->name);
    fprintf(fp, " stage=%" PRId32 " first_rank=%" PRId64 " ranks=%" PRId64 "\n", c->stage,
            c->first_rank, c->ranks);
    for (uint32_t i = 0; i < c->n_ops; i++) write_op(fp, t, c, i);
  }
  if (ferror(fp)) return ts_fail(err, TS_EIO, "error writing the text trace");
  return TS_OK;
}
