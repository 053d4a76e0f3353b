/* The kernel table: measured kernel times that override the kernel model for the ops they cover
 * (how a user with real hardware, or `trainsim exec --kernel-table-out`, plugs in measurements).
 *
 * CSV, header exactly `op,dtype,m,n,k,bytes,seconds`; fields may be padded with spaces; blank
 * lines are skipped; CRLF line ends are accepted. `op` is a trace op-kind name (compute ops only),
 * `dtype` an hw dtype name. A gemm row keys on (op, dtype, m, n, k) with m, n, k >= 1 and `bytes`
 * ignored (may be empty); its seconds are for ONE product C[MxN] = A[MxK] B[KxN]. Every other row
 * keys on (op, dtype, bytes) with bytes >= 0 and m, n, k ignored (may be empty). seconds is a
 * finite number >= 0. A bad row fails the whole load with `file:line: reason`.
 *
 * Rows live in one array sorted by key (ties by line, so the order is deterministic); lookups are
 * binary searches. */
#include "sim/sim.h"

#include <stdlib.h>
#include <string.h>

#include "hw/base/ts_io.h"

enum { KT_FIELDS = 7, KT_MAX_FILE_BYTES = 256 << 20 };
static const char KT_HEADER[] = "op,dtype,m,n,k,bytes,seconds";

typedef struct kt_row {
  uint8_t kind, dtype;
  int64_t m, n, k;
  double bytes;
  double seconds;
  int64_t line;
} kt_row;

struct kern_table {
  size_t n;
  kt_row *rows;
};

static int key_cmp(const kt_row *a, const kt_row *b) {
  if (a->kind != b->kind) return a->kind < b->kind ? -1 : 1;
  if (a->dtype != b->dtype) return a->dtype < b->dtype ? -1 : 1;
  if (a->m != b->m) return a->m < b->m ? -1 : 1;
  if (a->n != b->n) return a->n < b->n ? -1 : 1;
  if (a->k != b->k) return a->k < b->k ? -1 : 1;
  if (a->bytes != b->bytes) return a->bytes < b->bytes ? -1 : 1;
  return 0;
}

static int row_cmp(const void *pa, const void *pb) {
  const kt_row *a = pa, *b = pb;
  int c = key_cmp(a, b);
  return c ? c : (a->line > b->line) - (a->line < b->line);
}

static char *trim(char *s) {
  while (*s == ' ' || *s == '\t') s++;
  size_t n = strlen(s);
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) s[--n] = '\0';
  return s;
}

/* Splits line at commas in place; returns the field count (at most max, then max + 1). */
static int split(char *line, char **fields, int max) {
  int n = 0;
  for (char *p = line;; n++) {
    char *comma = strchr(p, ',');
    if (comma) *comma = '\0';
    if (n < max) fields[n] = trim(p);
    if (!comma) return n + 1 > max ? max + 1 : n + 1;
    p = comma + 1;
  }
}

static ts_status parse_dim(const char *path, int64_t line, const char *name, const char *text,
                           int64_t *out, ts_err *err) {
  long long v = 0;
  if (!ts_parse_int64(text, &v) || v < 1)
    return ts_fail(err, TS_EINPUT, "%s:%lld: %s must be an integer >= 1, found '%s'", path,
                   (long long)line, name, text);
  *out = v;
  return TS_OK;
}

static ts_status parse_row(const char *path, int64_t line, char **f, kt_row *row, ts_err *err) {
  trace_op_kind kind;
  hw_dtype dt;
  memset(row, 0, sizeof *row);
  row->line = line;
  if (!trace_op_kind_parse(f[0], &kind))
    return ts_fail(err, TS_EINPUT,
                   "%s:%lld: unknown op '%s' (expected a trace op kind: gemm, "
                   "attention, norm, elementwise, embedding, loss, optimizer)",
                   path, (long long)line, f[0]);
  if (trace_op_is_comm(kind))
    return ts_fail(err, TS_EINPUT,
                   "%s:%lld: op '%s' is a collective; the kernel table covers "
                   "compute ops only",
                   path, (long long)line, f[0]);
  if (!hw_dtype_parse(f[1], &dt))
    return ts_fail(err, TS_EINPUT,
                   "%s:%lld: unknown dtype '%s' (expected fp32, fp16, bf16, fp8, "
                   "fp4)",
                   path, (long long)line, f[1]);
  row->kind = (uint8_t)kind;
  row->dtype = (uint8_t)dt;
  ts_status st = TS_OK;
  if (kind == TRACE_OP_GEMM) {
    if ((st = parse_dim(path, line, "m", f[2], &row->m, err)) ||
        (st = parse_dim(path, line, "n", f[3], &row->n, err)) ||
        (st = parse_dim(path, line, "k", f[4], &row->k, err)))
      return st;
  } else if (!ts_parse_double(f[5], &row->bytes) || row->bytes < 0.0) {
    return ts_fail(err, TS_EINPUT, "%s:%lld: bytes must be a finite number >= 0, found '%s'", path,
                   (long long)line, f[5]);
  }
  if (!ts_parse_double(f[6], &row->seconds) || !(row->seconds >= 0.0))
    return ts_fail(err, TS_EINPUT, "%s:%lld: seconds must be a finite number >= 0, found '%s'",
                   path, (long long)line, f[6]);
  return TS_OK;
}

/* A control character other than a tab or the '\r' of a CRLF line end (messages quote the row,
 * and must stay on one line); its index through *at. */
static bool has_control_char(const char *line, size_t *at) {
  size_t n = strlen(line);
  if (n && line[n - 1] == '\r') n--;
  for (size_t i = 0; i < n; i++)
    if (((unsigned char)line[i] < 0x20 && line[i] != '\t') || line[i] == 0x7f) {
      *at = i;
      return true;
    }
  return false;
}

/* Parses text (NUL-terminated, modified in place) into kt->rows. */
static ts_status parse_text(const char *path, char *text, kern_table *kt, ts_err *err) {
  size_t cap = 0;
  int64_t line = 0;
  bool header_seen = false;
  for (char *p = text; p && *p;) {
    char *end = strchr(p, '\n');
    if (end) *end = '\0';
    char *cur = p;
    p = end ? end + 1 : NULL;
    line++;
    size_t at = 0;
    if (has_control_char(cur, &at))
      return ts_fail(err, TS_EINPUT,
                     "%s:%lld: control character 0x%02x at character %zu (expected CSV text)", path,
                     (long long)line, (unsigned)(unsigned char)cur[at], at + 1);
    if (!header_seen) {
      if (strcmp(trim(cur), KT_HEADER) != 0)
        return ts_fail(err, TS_EINPUT, "%s:%lld: header must be exactly '%s', found '%.80s'", path,
                       (long long)line, KT_HEADER, cur);
      header_seen = true;
      continue;
    }
    if (*trim(cur) == '\0') continue;
    char *f[KT_FIELDS];
    int nf = split(cur, f, KT_FIELDS);
    if (nf != KT_FIELDS)
      return ts_fail(err, TS_EINPUT, "%s:%lld: expected %d columns (%s), found %s%d", path,
                     (long long)line, KT_FIELDS, KT_HEADER, nf > KT_FIELDS ? "more than " : "",
                     nf > KT_FIELDS ? KT_FIELDS : nf);
    if (kt->n == cap) {
      size_t ncap = cap ? cap * 2 : 64;
      kt_row *nr = realloc(kt->rows, ncap * sizeof *nr);
      if (!nr) return ts_fail(err, TS_ENOMEM, "%s: out of memory", path);
      kt->rows = nr;
      cap = ncap;
    }
    ts_status st = parse_row(path, line, f, &kt->rows[kt->n], err);
    if (st) return st;
    kt->n++;
  }
  if (!header_seen)
    return ts_fail(err, TS_EINPUT, "%s:1: empty file (expected the header '%s')", path, KT_HEADER);
  return TS_OK;
}

static ts_status sort_and_check(const char *path, kern_table *kt, ts_err *err) {
  if (kt->n > 1) qsort(kt->rows, kt->n, sizeof kt->rows[0], row_cmp);
  for (size_t i = 1; i < kt->n; i++)
    if (key_cmp(&kt->rows[i - 1], &kt->rows[i]) == 0)
      return ts_fail(err, TS_EINPUT, "%s:%lld: duplicate key: same op, dtype and %s as line %lld",
                     path, (long long)kt->rows[i].line,
                     kt->rows[i].kind == TRACE_OP_GEMM ? "m, n, k" : "bytes",
                     (long long)kt->rows[i - 1].line);
  return TS_OK;
}

ts_status kern_table_load(const char *path, kern_table **out, ts_err *err) {
  *out = NULL;
  char *text = NULL;
  size_t len = 0;
  ts_status st = ts_read_file(path, KT_MAX_FILE_BYTES, &text, &len, err);
  if (st) return st;
  if (memchr(text, '\0', len)) {
    free(text);
    return ts_fail(err, TS_EINPUT, "%s: contains a NUL byte (expected CSV text)", path);
  }
  kern_table *kt = calloc(1, sizeof *kt);
  if (!kt) {
    free(text);
    return ts_fail(err, TS_ENOMEM, "%s: out of memory", path);
  }
  st = parse_text(path, text, kt, err);
  free(text);
  if (!st) st = sort_and_check(path, kt, err);
  if (st) {
    kern_table_free(kt);
    return st;
  }
  *out = kt;
  return TS_OK;
}

void kern_table_free(kern_table *kt) {
  if (!kt) return;
  free(kt->rows);
  free(kt);
}

size_t kern_table_rows(const kern_table *kt) {
  return kt ? kt->n : 0;
}

bool kern_table_find(const kern_table *kt, trace_op_kind kind, hw_dtype dt, int64_t m, int64_t n,
                     int64_t k, double bytes, double *seconds) {
  if (!kt || kt->n == 0) return false;
  kt_row key = {.kind = (uint8_t)kind, .dtype = (uint8_t)dt};
  if (kind == TRACE_OP_GEMM) {
    key.m = m, key.n = n, key.k = k;
  } else {
    key.bytes = bytes;
  }
  size_t lo = 0, hi = kt->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = key_cmp(&kt->rows[mid], &key);
    if (c == 0) {
      *seconds = kt->rows[mid].seconds;
      return true;
    }
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return false;
}
