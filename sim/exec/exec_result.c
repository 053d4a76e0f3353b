/* What a host execution measured, and its outputs: the step time (the last op to finish on any
 * rank, from the common start), per-kind totals on the representative rank of class 0 (the rank
 * sim_report.kind_total_s describes), the measured timeline in the simulator's Chrome-trace shape
 * (sim/timeline.c: pid per rank, tid per stream, one "X" event per op, "M" events naming them; ts
 * and dur in microseconds), and the kernel table CSV of DESIGN.md (`op,dtype,m,n,k,bytes,seconds`)
 * that `--kernel-table` reads back. Files are written whole or not at all (ts_afile). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hw/base/ts_io.h"
#include "sim/exec/exec_int.h"

ts_status exec_result_new(const trace *t, exec_result **out, ts_err *err) {
  exec_result *r = calloc(1, sizeof *r);
  if (r) {
    r->ranks = t->ranks;
    r->start_s = calloc((size_t)t->ranks, sizeof *r->start_s);
    r->end_s = calloc((size_t)t->ranks, sizeof *r->end_s);
    r->cpu_s = calloc((size_t)t->ranks, sizeof *r->cpu_s);
  }
  if (!r || !r->start_s || !r->end_s || !r->cpu_s) {
    exec_result_free(r);
    return ts_fail(err, TS_ENOMEM, "exec: cannot allocate the result");
  }
  r->t = t;
  r->root = true;
  *out = r;
  return TS_OK;
}

/* A copy of n doubles (NULL on allocation failure). */
static double *dup_array(const double *src, uint32_t n) {
  double *d = malloc((n ? n : 1) * sizeof *d);
  if (d && n) memcpy(d, src, n * sizeof *d);
  return d;
}

static ts_status take_arrays(exec_result *r, int64_t rank, const double *start, const double *end,
                             const double *cpu, uint32_t n, ts_err *err) {
  if (rank < 0 || rank >= r->ranks) return ts_fail(err, TS_EINPUT, "rank %lld", (long long)rank);
  double *s = dup_array(start, n), *e = dup_array(end, n), *c = dup_array(cpu, n);
  if (!s || !e || !c) {
    free(s);
    free(e);
    free(c);
    return ts_fail(err, TS_ENOMEM, "exec: result of rank %lld", (long long)rank);
  }
  free(r->start_s[rank]);
  free(r->end_s[rank]);
  free(r->cpu_s[rank]);
  r->start_s[rank] = s;
  r->end_s[rank] = e;
  r->cpu_s[rank] = c;
  for (uint32_t i = 0; i < n; i++)
    if (e[i] > r->step_s) r->step_s = e[i];
  return TS_OK;
}

ts_status exec_result_take(exec_result *r, const exec_rank *rk, ts_err *err) {
  return take_arrays(r, rk->rank, rk->start_s, rk->end_s, rk->cpu_s, r->t->classes[rk->cls].n_ops,
                     err);
}

ts_status exec_result_put(exec_result *r, int64_t rank, const double *start, const double *end,
                          const double *cpu, ts_err *err) {
  int32_t ci = exec_class_of(r->t, rank);
  if (ci < 0) return ts_fail(err, TS_EINPUT, "rank %lld belongs to no class", (long long)rank);
  return take_arrays(r, rank, start, end, cpu, r->t->classes[ci].n_ops, err);
}

void exec_result_free(exec_result *r) {
  if (!r) return;
  for (int64_t k = 0; k < r->ranks; k++) {
    if (r->start_s) free(r->start_s[k]);
    if (r->end_s) free(r->end_s[k]);
    if (r->cpu_s) free(r->cpu_s[k]);
  }
  free(r->start_s);
  free(r->end_s);
  free(r->cpu_s);
  free(r);
}

double exec_result_step_s(const exec_result *r) {
  return r->step_s;
}
bool exec_result_is_root(const exec_result *r) {
  return r->root;
}

bool exec_result_op(const exec_result *r, int64_t rank, uint32_t op, double *start_s,
                    double *end_s) {
  int32_t ci = rank >= 0 && rank < r->ranks ? exec_class_of(r->t, rank) : -1;
  if (ci < 0 || !r->start_s[rank] || op >= r->t->classes[ci].n_ops) return false;
  *start_s = r->start_s[rank][op];
  *end_s = r->end_s[rank][op];
  return true;
}

void exec_result_kind_totals(const exec_result *r, double out[TRACE_OP_KIND_COUNT],
                             double cpu_out[TRACE_OP_KIND_COUNT]) {
  memset(out, 0, TRACE_OP_KIND_COUNT * sizeof *out);
  if (cpu_out) memset(cpu_out, 0, TRACE_OP_KIND_COUNT * sizeof *cpu_out);
  const trace_class *c = &r->t->classes[0];
  int64_t rank = c->first_rank;
  if (rank < 0 || rank >= r->ranks || !r->start_s[rank]) return;
  for (uint32_t i = 0; i < c->n_ops; i++) {
    out[c->ops[i].kind] += r->end_s[rank][i] - r->start_s[rank][i];
    if (cpu_out) cpu_out[c->ops[i].kind] += r->cpu_s[rank][i];
  }
}

/* ---- timeline -------------------------------------------------------------------------------- */
static void op_name(const trace *t, const trace_op *o, char *buf, size_t cap) {
  const char *kind = trace_op_kind_name((trace_op_kind)o->kind);
  if (o->kind == TRACE_OP_GEMM || o->kind == TRACE_OP_ATTENTION)
    snprintf(buf, cap, "%s %" PRId64 "x%" PRId64 "x%" PRId64, kind, o->m, o->n, o->k);
  else if (trace_op_is_comm((trace_op_kind)o->kind) && o->comm < t->n_comms)
    snprintf(buf, cap, "%s %s %.0f B", kind, t->comms[o->comm].name, o->bytes);
  else
    snprintf(buf, cap, "%s %.0f B", kind, o->bytes);
}

static void put_us(FILE *fp, double s) {
  fprintf(fp, "%.3f", s * 1e6);
}

static void put_rank_meta(FILE *fp, const trace *t, int64_t rank, bool first) {
  int32_t ci = exec_class_of(t, rank);
  const trace_class *c = &t->classes[ci];
  fprintf(fp,
          "%s{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":%" PRId64
          ",\"tid\":0,\"args\":{\"name\":\"rank %" PRId64
          " (%s, measured)\"}},\n"
          "{\"name\":\"process_sort_index\",\"ph\":\"M\",\"pid\":%" PRId64
          ",\"tid\":0,\"args\":{\"sort_index\":%" PRId64 "}}",
          first ? "" : ",\n", rank, rank, c->name, rank, rank);
  unsigned used = 0;
  for (uint32_t i = 0; i < c->n_ops; i++) used |= 1u << c->ops[i].stream;
  for (int s = 0; s < TRACE_STREAM_COUNT; s++)
    if (used & (1u << s))
      fprintf(fp,
              ",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%" PRId64
              ",\"tid\":%d,\"args\":{\"name\":\"%s\"}}",
              rank, s, trace_stream_name((trace_stream)s));
}

static void put_rank_slices(FILE *fp, const exec_result *r, int64_t rank) {
  const trace_class *c = &r->t->classes[exec_class_of(r->t, rank)];
  for (uint32_t i = 0; i < c->n_ops; i++) {
    const trace_op *o = &c->ops[i];
    char name[128];
    op_name(r->t, o, name, sizeof name);
    fprintf(fp, ",\n{\"name\":\"%s\",\"cat\":\"%s\",\"ph\":\"X\",\"ts\":", name,
            trace_op_kind_name((trace_op_kind)o->kind));
    put_us(fp, r->start_s[rank][i]);
    fputs(",\"dur\":", fp);
    put_us(fp, r->end_s[rank][i] - r->start_s[rank][i]);
    fprintf(fp,
            ",\"pid\":%" PRId64
            ",\"tid\":%u,\"args\":{\"op\":%u,\"flops\":%.17g,\"bytes\":%.17g,"
            "\"micro\":%u",
            rank, o->stream, i, o->flops, o->bytes, o->micro);
    if (o->layer != TRACE_NO_LAYER) fprintf(fp, ",\"layer\":%u", o->layer);
    fputs("}}", fp);
  }
}

ts_status exec_timeline_write(const exec_result *r, const char *path, ts_err *err) {
  ts_afile af;
  ts_status st = ts_afile_open(&af, path, err);
  if (st) return st;
  fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n", af.fp);
  bool first = true;
  for (int64_t k = 0; k < r->ranks; k++)
    if (r->start_s[k]) put_rank_meta(af.fp, r->t, k, first), first = false;
  for (int64_t k = 0; k < r->ranks; k++)
    if (r->start_s[k]) put_rank_slices(af.fp, r, k);
  fputs("\n]}\n", af.fp);
  return ts_afile_commit(&af, err);
}

/* ---- kernel table ---------------------------------------------------------------------------- */
typedef struct kt_row {
  uint8_t kind, dtype;
  int64_t m, n, k;
  double bytes, sum_s;
  uint64_t count;
} kt_row;

static int kt_cmp(const void *pa, const void *pb) {
  const kt_row *a = pa, *b = pb;
  if (a->kind != b->kind) return a->kind < b->kind ? -1 : 1;
  if (a->dtype != b->dtype) return a->dtype < b->dtype ? -1 : 1;
  int64_t x[3] = {a->m, a->n, a->k}, y[3] = {b->m, b->n, b->k};
  for (int i = 0; i < 3; i++)
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  return (a->bytes > b->bytes) - (a->bytes < b->bytes);
}

static kt_row key_of(const trace_op *o) {
  kt_row k = {.kind = o->kind, .dtype = o->dtype};
  if (o->kind == TRACE_OP_GEMM)
    k.m = o->m, k.n = o->n, k.k = o->k;
  else
    k.bytes = o->bytes;
  return k;
}

/* Every measured compute op as a keyed row, sorted; merged rows summed. */
static ts_status collect_rows(const exec_result *r, kt_row **rows, size_t *n, ts_err *err) {
  size_t cap = 0, len = 0;
  for (int64_t k = 0; k < r->ranks; k++)
    if (r->start_s[k]) cap += r->t->classes[exec_class_of(r->t, k)].n_ops;
  kt_row *v = malloc((cap ? cap : 1) * sizeof *v);
  if (!v) return ts_fail(err, TS_ENOMEM, "kernel table: out of memory");
  for (int64_t k = 0; k < r->ranks; k++) {
    if (!r->start_s[k]) continue;
    const trace_class *c = &r->t->classes[exec_class_of(r->t, k)];
    for (uint32_t i = 0; i < c->n_ops; i++) {
      const trace_op *o = &c->ops[i];
      if (trace_op_is_comm((trace_op_kind)o->kind)) continue;
      kt_row row = key_of(o);
      double d = r->end_s[k][i] - r->start_s[k][i];
      row.sum_s = o->kind == TRACE_OP_GEMM && o->count > 0 ? d / (double)o->count : d;
      row.count = 1;
      v[len++] = row;
    }
  }
  qsort(v, len, sizeof *v, kt_cmp);
  size_t out = 0;
  for (size_t i = 0; i < len; i++) {
    if (out && kt_cmp(&v[out - 1], &v[i]) == 0) {
      v[out - 1].sum_s += v[i].sum_s;
      v[out - 1].count++;
    } else {
      v[out++] = v[i];
    }
  }
  *rows = v;
  *n = out;
  return TS_OK;
}

ts_status exec_kernel_table_write(const exec_result *r, const char *path, ts_err *err) {
  kt_row *rows = NULL;
  size_t n = 0;
  ts_status st = collect_rows(r, &rows, &n, err);
  if (st) return st;
  ts_afile af;
  if ((st = ts_afile_open(&af, path, err))) {
    free(rows);
    return st;
  }
  fputs("op,dtype,m,n,k,bytes,seconds\n", af.fp);
  for (size_t i = 0; i < n; i++) {
    const kt_row *w = &rows[i];
    const char *op = trace_op_kind_name((trace_op_kind)w->kind);
    const char *dt = hw_dtype_name((hw_dtype)w->dtype);
    double s = w->sum_s / (double)w->count;
    if (s <= 0.0) s = 1e-9; /* the reader wants a positive time */
    if (w->kind == TRACE_OP_GEMM)
      fprintf(af.fp, "%s,%s,%" PRId64 ",%" PRId64 ",%" PRId64 ",,%.6e\n", op, dt, w->m, w->n, w->k,
              s);
    else
      fprintf(af.fp, "%s,%s,,,,%.17g,%.6e\n", op, dt, w->bytes, s);
  }
  free(rows);
  return ts_afile_commit(&af, err);
}
