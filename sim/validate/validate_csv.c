/* The validation CSV (shared/validation/README.md): a header naming every column once, in
 * any order, then one run per record. Fields follow RFC 4180: separated by commas, optionally in
 * double quotes (a quoted field may hold commas, newlines and "" for a quote); CRLF or LF line
 * ends; blank lines are skipped. An empty field means "not given" (row.given has no bit for it).
 * Every field is checked here for its syntax and range; errors read "FILE:LINE: column 'x': what
 * was found, what was expected". Whether the columns make a model, plan and system is checked when
 * the row is run (validate_run.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/base/ts_io.h"
#include "sim/validate/validate.h"

enum { FILE_MAX_BYTES = 16 << 20, FIELD_MAX = 4096, ROWS_MAX = 1 << 20 };

static const char *const COLUMN_NAMES[VC_COUNT] = {
    "id", "source", "system", "chips", "model", "layers", "hidden", "ffn", "heads", "kv_heads",
    "vocab", "seq", "mlp", "moe_experts", "moe_topk", "moe_ffn", "moe_shared", "dense_layers",
    "tp", "pp", "dp", "cp", "ep", "vpp", "mbs", "gbs", "recompute", "zero", "dtype",
    "nic_Gbps_per_chip", "tokens", "metric", "value", "notes"};

const char *validate_column_name(validate_column c) {
  return (unsigned)c < VC_COUNT ? COLUMN_NAMES[c] : "?";
}

/* ---- records ------------------------------------------------------------------------------- */
typedef struct csv_cursor {
  const char *name, *p, *end;
  int line;
} csv_cursor;

typedef struct csv_record {
  int line;      /* where it starts */
  int n;         /* fields */
  char *fields[VC_COUNT + 1];
  char buf[(VC_COUNT + 1) * (FIELD_MAX + 1)];
} csv_record;

/* One field into out (NUL-terminated); stops at ',' (returns 1), end of record (0) or error. */
static ts_status read_field(csv_cursor *c, char *out, int *more, ts_err *err) {
  size_t n = 0;
  int start_line = c->line;
  bool quoted = c->p < c->end && *c->p == '"';
  if (quoted) c->p++;
  while (c->p < c->end) {
    char ch = *c->p;
    if (quoted && ch == '"') {
      if (c->p + 1 < c->end && c->p[1] == '"') {
        c->p++;
      } else {
        quoted = false;
        c->p++;
        if (c->p < c->end && *c->p != ',' && *c->p != '\n' && *c->p != '\r')
          return ts_fail(err, TS_EINPUT, "%s:%d: text after a closing quote", c->name, c->line);
        continue;
      }
    } else if (!quoted && (ch == ',' || ch == '\n' || ch == '\r')) {
      break;
    } else if (ch == '\n') {
      c->line++;
    } else if (ch == '\0') {
      return ts_fail(err, TS_EINPUT, "%s:%d: NUL byte in the file", c->name, c->line);
    }
    if (n == FIELD_MAX)
      return ts_fail(err, TS_EINPUT, "%s:%d: a field longer than %d bytes", c->name, c->line,
                     FIELD_MAX);
    out[n++] = *c->p++;
  }
  if (quoted)
    return ts_fail(err, TS_EINPUT, "%s:%d: quoted field never closed", c->name, start_line);
  out[n] = '\0';
  *more = c->p < c->end && *c->p == ',';
  if (*more) c->p++;
  return TS_OK;
}

/* A CR outside quotes must start a CRLF: a bare CR would end a record without ending a line, and
 * every later message would name the wrong line. */
static ts_status check_cr(const csv_cursor *c, ts_err *err) {
  if (*c->p == '\r' && (c->p + 1 >= c->end || c->p[1] != '\n'))
    return ts_fail(err, TS_EINPUT, "%s:%d: carriage return without a line feed (line ends are LF "
                   "or CRLF)", c->name, c->line);
  return TS_OK;
}

/* The next non-blank record; rec->n = 0 at the end of the file. */
static ts_status read_record(csv_cursor *c, csv_record *rec, ts_err *err) {
  rec->n = 0;
  while (c->p < c->end && (*c->p == '\n' || *c->p == '\r')) {
    if (check_cr(c, err)) return TS_EINPUT;
    if (*c->p == '\n') c->line++;
    c->p++;
  }
  if (c->p >= c->end) return TS_OK;
  rec->line = c->line;
  int more = 1;
  while (more) {
    if (rec->n == VC_COUNT + 1)
      return ts_fail(err, TS_EINPUT, "%s:%d: more than %d fields", c->name, rec->line, VC_COUNT);
    rec->fields[rec->n] = rec->buf + (size_t)rec->n * (FIELD_MAX + 1);
    ts_status st = read_field(c, rec->fields[rec->n], &more, err);
    if (st) return st;
    rec->n++;
  }
  if (c->p < c->end && *c->p == '\r') {
    if (check_cr(c, err)) return TS_EINPUT;
    c->p++;
  }
  if (c->p < c->end && *c->p == '\n') c->p++, c->line++;
  return TS_OK;
}

/* ---- header ---------------------------------------------------------------------------------- */
static ts_status read_header(const char *name, const csv_record *h, int col_of[VC_COUNT + 1],
                             ts_err *err) {
  bool seen[VC_COUNT] = {false};
  for (int i = 0; i < h->n; i++) {
    int c = 0;
    while (c < VC_COUNT && strcmp(h->fields[i], COLUMN_NAMES[c]) != 0) c++;
    if (c == VC_COUNT)
      return ts_fail(err, TS_EINPUT, "%s:%d: unknown column '%s' in the header", name, h->line,
                     h->fields[i]);
    if (seen[c])
      return ts_fail(err, TS_EINPUT, "%s:%d: column '%s' appears twice in the header", name,
                     h->line, h->fields[i]);
    seen[c] = true;
    col_of[i] = c;
  }
  for (int c = 0; c < VC_COUNT; c++)
    if (!seen[c])
      return ts_fail(err, TS_EINPUT, "%s:%d: the header has no column '%s'", name, h->line,
                     COLUMN_NAMES[c]);
  return TS_OK;
}

/* ---- fields ---------------------------------------------------------------------------------- */
typedef struct field_ctx {
  const char *file;
  int line;
  validate_column col;
  const char *text;
} field_ctx;

static ts_status bad(const field_ctx *f, ts_err *err, const char *expected) {
  return ts_fail(err, TS_EINPUT, "%s:%d: column '%s': '%s' is not %s", f->file, f->line,
                 COLUMN_NAMES[f->col], f->text, expected);
}

static ts_status parse_text(const field_ctx *f, char *out, size_t cap, ts_err *err) {
  size_t n = strlen(f->text);
  if (n >= cap)
    return ts_fail(err, TS_EINPUT, "%s:%d: column '%s': %zu characters, at most %zu", f->file,
                   f->line, COLUMN_NAMES[f->col], n, cap - 1);
  memcpy(out, f->text, n + 1);
  return TS_OK;
}

static ts_status parse_int(const field_ctx *f, long long min, long long max, int64_t *out,
                           ts_err *err) {
  long long v = 0;
  if (!ts_parse_int64(f->text, &v) || v < min || v > max) {
    char what[96];
    snprintf(what, sizeof what, "an integer in %lld..%lld", min, max);
    return bad(f, err, what);
  }
  *out = v;
  return TS_OK;
}

static ts_status parse_positive(const field_ctx *f, double *out, ts_err *err) {
  double v = 0;
  if (!ts_parse_double(f->text, &v) || !(v > 0) || v > 1e30)
    return bad(f, err, "a positive number");
  *out = v;
  return TS_OK;
}

static ts_status parse_enum(const field_ctx *f, validate_row *r, ts_err *err) {
  switch (f->col) {
    case VC_MLP:
      return model_mlp_parse(f->text, &r->mlp) ? TS_OK : bad(f, err, "gelu, swiglu or relu2");
    case VC_RECOMPUTE:
      for (int i = 0; i < 3; i++)
        if (strcmp(f->text, plan_recompute_name((plan_recompute)i)) == 0) {
          r->recompute = (plan_recompute)i;
          return TS_OK;
        }
      return bad(f, err, "none, selective or full");
    case VC_DTYPE:
      return hw_dtype_parse(f->text, &r->dtype) ? TS_OK : bad(f, err, "fp16, bf16 or fp8");
    case VC_METRIC:
      return validate_metric_parse(f->text, &r->metric)
                 ? TS_OK
                 : bad(f, err, "hw_tflops_per_chip, model_tflops_per_chip, mfu, step_s, "
                               "seqs_per_s, tokens_per_s_per_chip or chip_hours");
    default:
      return TS_OK;
  }
}

static ts_status parse_field(const field_ctx *f, validate_row *r, ts_err *err) {
  validate_column c = f->col;
  switch (c) {
    case VC_ID: return parse_text(f, r->id, sizeof r->id, err);
    case VC_SOURCE: return parse_text(f, r->source, sizeof r->source, err);
    case VC_SYSTEM: return parse_text(f, r->system, sizeof r->system, err);
    case VC_MODEL: return parse_text(f, r->model, sizeof r->model, err);
    case VC_NOTES: return parse_text(f, r->notes, sizeof r->notes, err);
    case VC_CHIPS: return parse_int(f, 1, (long long)1 << 40, &r->chips, err);
    case VC_MLP: case VC_RECOMPUTE: case VC_DTYPE: case VC_METRIC: return parse_enum(f, r, err);
    case VC_ZERO: {
      int64_t z = 0;
      ts_status st = parse_int(f, 0, 3, &z, err);
      r->zero = (int32_t)z;
      return st;
    }
    case VC_NIC_GBPS: return parse_positive(f, &r->nic_Gbps_per_chip, err);
    case VC_TOKENS: return parse_positive(f, &r->tokens, err);
    case VC_VALUE: return parse_positive(f, &r->value, err);
    case VC_GBS: return parse_int(f, 1, (long long)1 << 40, &r->degree[c], err);
    case VC_MOE_EXPERTS: case VC_MOE_TOPK: case VC_MOE_SHARED: case VC_DENSE_LAYERS:
      return parse_int(f, 0, (long long)1 << 32, &r->arch[c], err);
    default:
      if (c >= VC_TP && c <= VC_MBS) return parse_int(f, 1, PLAN_MAX_PP * 1024, &r->degree[c], err);
      return parse_int(f, 1, (long long)1 << 32, &r->arch[c], err);
  }
}

static const validate_column REQUIRED[] = {VC_ID, VC_SYSTEM, VC_CHIPS, VC_METRIC, VC_VALUE};

static ts_status parse_row(const char *name, const csv_record *rec, const int col_of[],
                           validate_row *r, ts_err *err) {
  memset(r, 0, sizeof *r);
  r->line = rec->line;
  for (int i = 0; i < rec->n; i++) {
    if (rec->fields[i][0] == '\0') continue;
    field_ctx f = {name, rec->line, (validate_column)col_of[i], rec->fields[i]};
    ts_status st = parse_field(&f, r, err);
    if (st) return st;
    r->given |= (uint64_t)1 << col_of[i];
  }
  for (size_t i = 0; i < sizeof REQUIRED / sizeof REQUIRED[0]; i++)
    if (!(r->given & ((uint64_t)1 << REQUIRED[i])))
      return ts_fail(err, TS_EINPUT, "%s:%d: column '%s': empty, a value is required", name,
                     rec->line, COLUMN_NAMES[REQUIRED[i]]);
  if (r->metric == VALIDATE_CHIP_HOURS && !(r->given & ((uint64_t)1 << VC_TOKENS)))
    return ts_fail(err, TS_EINPUT, "%s:%d: column 'tokens': empty, chip_hours needs the tokens",
                   name, rec->line);
  return TS_OK;
}

static ts_status add_row(validate_set *s, int *cap, const validate_row *r, ts_err *err) {
  if (s->n == *cap) {
    int n = *cap ? *cap * 2 : 64;
    validate_row *rows = realloc(s->rows, (size_t)n * sizeof *rows);
    if (!rows) return ts_fail(err, TS_ENOMEM, "validate: out of memory at row %d", s->n + 1);
    s->rows = rows;
    *cap = n;
  }
  s->rows[s->n++] = *r;
  return TS_OK;
}

static ts_status parse_all(csv_cursor *c, csv_record *rec, validate_set *s, ts_err *err) {
  ts_status st = read_record(c, rec, err);
  if (st) return st;
  if (rec->n == 0) return ts_fail(err, TS_EINPUT, "%s: empty file, expected a header", c->name);
  int col_of[VC_COUNT + 1];
  int n_cols = rec->n;
  st = read_header(c->name, rec, col_of, err);
  int cap = 0;
  validate_row row;
  while (!st) {
    st = read_record(c, rec, err);
    if (st || rec->n == 0) break;
    if (rec->n != n_cols)
      return ts_fail(err, TS_EINPUT, "%s:%d: %d fields, the header has %d", c->name, rec->line,
                     rec->n, n_cols);
    if (s->n == ROWS_MAX)
      return ts_fail(err, TS_EINPUT, "%s:%d: more than %d rows", c->name, rec->line, ROWS_MAX);
    st = parse_row(c->name, rec, col_of, &row, err);
    if (!st) st = add_row(s, &cap, &row, err);
  }
  if (!st && s->n == 0) st = ts_fail(err, TS_EINPUT, "%s: no rows after the header", c->name);
  return st;
}

ts_status validate_parse(const char *name, const char *text, size_t len, validate_set **out,
                         ts_err *err) {
  *out = NULL;
  validate_set *s = calloc(1, sizeof *s);
  csv_record *rec = malloc(sizeof *rec);
  if (!s || !rec) {
    free(s);
    free(rec);
    return ts_fail(err, TS_ENOMEM, "validate: out of memory reading %s", name);
  }
  csv_cursor c = {.name = name, .p = text, .end = text + len, .line = 1};
  if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) c.p += 3; /* UTF-8 byte order mark */
  ts_status st = parse_all(&c, rec, s, err);
  free(rec);
  if (st) {
    validate_set_free(s);
    return st;
  }
  *out = s;
  return TS_OK;
}

ts_status validate_read(const char *path, validate_set **out, ts_err *err) {
  char *data = NULL;
  size_t len = 0;
  *out = NULL;
  ts_status st = ts_read_file(path, FILE_MAX_BYTES, &data, &len, err);
  if (st) return st;
  st = validate_parse(path, data, len, out, err);
  free(data);
  return st;
}

void validate_set_free(validate_set *s) {
  if (!s) return;
  free(s->rows);
  free(s);
}
