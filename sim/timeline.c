/* The timeline of a replay in the Chrome trace event format (the JSON that Perfetto and
 * chrome://tracing open): one process per simulated rank (a rank class in symmetric fidelity, a
 * rank in full), one thread per stream, one complete ("X") event per op with ts/dur in
 * microseconds (printed exactly from integer picoseconds), named with its shape or bytes, and
 * metadata ("M") events naming processes and threads. The replay appends one slice per finished
 * op; the file is written whole or not at all (ts_afile). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hw/base/ts_io.h"
#include "sim/engine_int.h"

enum { TIMELINE_MAX_SLICES = 1 << 26 };

ts_status sim_timeline_capture(sim_result *r, const trace *t, uint32_t n_ranks,
                               const uint32_t *class_of, const int64_t *rank_id, ts_err *err) {
  r->tl_classes = calloc(t->n_classes, sizeof *r->tl_classes);
  r->tl_class_of = malloc(n_ranks * sizeof *r->tl_class_of);
  r->tl_rank_id = malloc(n_ranks * sizeof *r->tl_rank_id);
  if (!r->tl_classes || !r->tl_class_of || !r->tl_rank_id)
    return ts_fail(err, TS_ENOMEM, "timeline: cannot allocate %u ranks", n_ranks);
  r->n_tl_classes = t->n_classes;
  r->n_tl_ranks = n_ranks;
  memcpy(r->tl_class_of, class_of, n_ranks * sizeof *class_of);
  memcpy(r->tl_rank_id, rank_id, n_ranks * sizeof *rank_id);
  for (uint32_t ci = 0; ci < t->n_classes; ci++) {
    const trace_class *c = &t->classes[ci];
    sim_tl_class *tc = &r->tl_classes[ci];
    memcpy(tc->name, c->name, sizeof tc->name);
    tc->ops = malloc((c->n_ops ? c->n_ops : 1) * sizeof *tc->ops);
    if (!tc->ops) return ts_fail(err, TS_ENOMEM, "timeline: class %s", c->name);
    if (c->n_ops) memcpy(tc->ops, c->ops, c->n_ops * sizeof *c->ops);
    tc->n_ops = c->n_ops;
  }
  for (uint32_t m = 0; m < t->n_comms; m++)
    memcpy(r->comm_names[m], t->comms[m].name, sizeof r->comm_names[m]);
  r->n_tl_comms = t->n_comms;
  return TS_OK;
}

bool sim_timeline_add(sim_result *r, uint32_t rank, uint32_t op, sim_ps start, sim_ps end) {
  if (r->n_slices == r->cap_slices) {
    if (r->cap_slices >= TIMELINE_MAX_SLICES) return false;
    uint64_t cap = r->cap_slices ? r->cap_slices * 2 : 4096;
    sim_slice *s = realloc(r->slices, cap * sizeof *s);
    if (!s) return false;
    r->slices = s;
    r->cap_slices = cap;
  }
  r->slices[r->n_slices++] = (sim_slice){rank, op, start, end};
  return true;
}

/* Microseconds, exactly: picoseconds / 1e6 with six decimals. */
static void put_us(FILE *fp, sim_ps ps) {
  fprintf(fp, "%" PRId64 ".%06" PRId64, ps / 1000000, ps % 1000000);
}

/* JSON string body of text (class names come from files). */
static void put_str(FILE *fp, const char *s) {
  fputc('"', fp);
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\')
      fprintf(fp, "\\%c", ch);
    else if (ch < 0x20)
      fprintf(fp, "\\u%04x", ch);
    else
      fputc(ch, fp);
  }
  fputc('"', fp);
}

static void put_metadata(FILE *fp, const sim_result *r) {
  bool first = true;
  for (uint32_t k = 0; k < r->n_tl_ranks; k++) {
    const sim_tl_class *c = &r->tl_classes[r->tl_class_of[k]];
    char name[96];
    if (r->fidelity == SIM_FIDELITY_FULL)
      snprintf(name, sizeof name, "rank %" PRId64 " (%s)", r->tl_rank_id[k], c->name);
    else
      snprintf(name, sizeof name, "%s (rank %" PRId64 ")", c->name, r->tl_rank_id[k]);
    fprintf(fp,
            "%s{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":%u,\"tid\":0,\"args\":{\"name\":",
            first ? "" : ",\n", k);
    put_str(fp, name);
    fprintf(fp,
            "}},\n{\"name\":\"process_sort_index\",\"ph\":\"M\",\"pid\":%u,\"tid\":0,"
            "\"args\":{\"sort_index\":%u}}",
            k, k);
    first = false;
    unsigned used = 0;
    for (uint32_t i = 0; i < c->n_ops; i++) used |= 1u << c->ops[i].stream;
    for (int s = 0; s < TRACE_STREAM_COUNT; s++)
      if (used & (1u << s))
        fprintf(fp,
                ",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%u,\"tid\":%d,"
                "\"args\":{\"name\":\"%s\"}}",
                k, s, trace_stream_name((trace_stream)s));
  }
}

static void put_slice(FILE *fp, const sim_result *r, const trace *names, const sim_slice *sl) {
  const trace_op *o = &r->tl_classes[r->tl_class_of[sl->rank]].ops[sl->op];
  char name[128];
  sim_op_name(names, o, name, sizeof name);
  fprintf(fp, ",\n{\"name\":\"%s\",\"cat\":\"%s\",\"ph\":\"X\",\"ts\":", name,
          trace_op_kind_name((trace_op_kind)o->kind));
  put_us(fp, sl->start);
  fputs(",\"dur\":", fp);
  put_us(fp, sl->end - sl->start);
  fprintf(fp,
          ",\"pid\":%u,\"tid\":%u,\"args\":{\"op\":%u,\"flops\":%.17g,\"bytes\":%.17g,"
          "\"micro\":%u",
          sl->rank, o->stream, sl->op, o->flops, o->bytes, o->micro);
  if (o->layer != TRACE_NO_LAYER) fprintf(fp, ",\"layer\":%u", o->layer);
  fputs("}}", fp);
}

ts_status sim_timeline_write(const sim_result *r, const char *path, ts_err *err) {
  if (!r->tl_classes)
    return ts_fail(err, TS_EUSAGE, "%s: no timeline was recorded (sim_options.record_timeline)",
                   path);
  /* sim_op_name wants the communicator names of a trace */
  trace *names = calloc(1, sizeof *names);
  if (!names) return ts_fail(err, TS_ENOMEM, "%s: timeline", path);
  names->n_comms = r->n_tl_comms;
  for (uint32_t m = 0; m < r->n_tl_comms; m++)
    memcpy(names->comms[m].name, r->comm_names[m], sizeof names->comms[m].name);
  ts_afile af;
  ts_status st = ts_afile_open(&af, path, err);
  if (st) {
    free(names);
    return st;
  }
  fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n", af.fp);
  put_metadata(af.fp, r);
  for (uint64_t i = 0; i < r->n_slices; i++) put_slice(af.fp, r, names, &r->slices[i]);
  fputs("\n]}\n", af.fp);
  free(names);
  return ts_afile_commit(&af, err);
}
