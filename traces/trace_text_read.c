/* Reader of the text form (written by trace_text.c, laid out in traces/FORMAT.md). Lines are split
 * into tokens that point into the input (no copies, so a line of any length is fine); header
 * lines are filled through the shared field tables; every value is parsed strictly (whole token,
 * in range, finite). Errors read "name:line: reason". The finished trace goes through
 * trace_check, whose finding is mapped back to the line of the op, class or communicator. */
#include "traces/trace.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "traces/trace_int.h"
#include "traces/trace_text_int.h"

enum { MAX_TOKENS = 64, NUM_MAX = 64 };

typedef struct token {
  const char *key, *val;
  size_t klen, vlen;
  bool has_val; /* key=value */
  bool quoted;  /* the value (or a positional token) was a "string" */
} token;

typedef struct class_pos {
  uint64_t line;
  size_t op_base; /* index of its first op in op_line */
} class_pos;

typedef struct treader {
  const char *name;
  ts_err *err;
  trace *t;
  uint64_t line, system_line, comm_line[TRACE_MAX_COMMS];
  int section; /* 0 version, 1 model, 2 plan, 3 system, 4 body */
  class_pos *classes;
  size_t cap_classes;
  uint64_t *op_line;
  size_t n_op_lines, cap_op_lines;
} treader;

static ts_status fail(treader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static ts_status fail(treader *r, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return ts_fail(r->err, TS_EINPUT, "%s:%llu: %s", r->name, (unsigned long long)r->line, msg);
}

static bool grow(void **arr, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap) return true;
  size_t ncap = *cap ? *cap * 2 : 64;
  while (ncap < need) ncap *= 2;
  void *p = realloc(*arr, ncap * elem);
  if (!p) return false;
  *arr = p;
  *cap = ncap;
  return true;
}

/* ---- tokens ---------------------------------------------------------------------------------- */
static ts_status scan_quoted(treader *r, const char **s, const char *end, const char **v,
                             size_t *vlen) {
  const char *p = *s + 1;
  *v = p;
  while (p < end && *p != '"') p += (*p == '\\' && p + 1 < end) ? 2 : 1;
  if (p >= end) return fail(r, "unterminated string");
  *vlen = (size_t)(p - *v);
  *s = p + 1;
  if (*s < end && **s != ' ' && **s != '\t') return fail(r, "text after a closing quote");
  return TS_OK;
}

static ts_status tokenize(treader *r, const char *s, const char *end, token *toks, int *n) {
  *n = 0;
  for (;;) {
    while (s < end && (*s == ' ' || *s == '\t')) s++;
    if (s >= end) return TS_OK;
    if (*n == MAX_TOKENS) return fail(r, "more than %d fields on one line", MAX_TOKENS);
    token *tk = &toks[(*n)++];
    memset(tk, 0, sizeof *tk);
    if (*s == '"') {
      tk->quoted = true;
      ts_status st = scan_quoted(r, &s, end, &tk->key, &tk->klen);
      if (st) return st;
      continue;
    }
    tk->key = s;
    while (s < end && *s != ' ' && *s != '\t' && *s != '=') s++;
    tk->klen = (size_t)(s - tk->key);
    if (s >= end || *s != '=') continue;
    tk->has_val = true;
    s++;
    if (s < end && *s == '"') {
      tk->quoted = true;
      ts_status st = scan_quoted(r, &s, end, &tk->val, &tk->vlen);
      if (st) return st;
      continue;
    }
    tk->val = s;
    while (s < end && *s != ' ' && *s != '\t') s++;
    tk->vlen = (size_t)(s - tk->val);
  }
}

static bool tok_is(const char *s, size_t n, const char *word) {
  return strlen(word) == n && memcmp(s, word, n) == 0;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Undoes the writer's escapes (\" \\ \xNN) into dst[cap]. */
static ts_status unquote(treader *r, const char *what, const char *s, size_t n, char *dst,
                         size_t cap) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '\\') {
      if (i + 1 < n && (s[i + 1] == '"' || s[i + 1] == '\\')) {
        c = (unsigned char)s[++i];
      } else if (i + 3 < n && s[i + 1] == 'x' && hexval(s[i + 2]) >= 0 && hexval(s[i + 3]) >= 0) {
        c = (unsigned char)(hexval(s[i + 2]) * 16 + hexval(s[i + 3]));
        i += 3;
        if (c == 0) return fail(r, "%s contains \\x00", what);
      } else {
        return fail(r, "%s: bad escape (expected \\\", \\\\ or \\xNN)", what);
      }
    }
    if (o + 1 >= cap) return fail(r, "%s longer than %zu bytes", what, cap - 1);
    dst[o++] = (char)c;
  }
  dst[o] = '\0';
  return TS_OK;
}

/* ---- numbers --------------------------------------------------------------------------------- */
static ts_status parse_i64(treader *r, const char *what, const char *s, size_t n, int64_t lo,
                           int64_t hi, int64_t *out) {
  char buf[NUM_MAX];
  if (n == 0 || n >= sizeof buf) return fail(r, "%s: '%.*s' is not an integer", what, (int)(n < 40 ? n : 40), s);
  memcpy(buf, s, n);
  buf[n] = '\0';
  char *end;
  errno = 0;
  long long v = strtoll(buf, &end, 10);
  if (*end != '\0' || buf[0] == ' ' || buf[0] == '+' || errno == ERANGE)
    return fail(r, "%s: '%s' is not an integer", what, buf);
  if (v < lo || v > hi)
    return fail(r, "%s: %lld out of range (expected %lld..%lld)", what, v, (long long)lo,
                (long long)hi);
  *out = v;
  return TS_OK;
}

static ts_status parse_f64(treader *r, const char *what, const char *s, size_t n, double *out) {
  char buf[NUM_MAX];
  if (n == 0 || n >= sizeof buf) return fail(r, "%s: '%.*s' is not a number", what, (int)(n < 40 ? n : 40), s);
  memcpy(buf, s, n);
  buf[n] = '\0';
  char *end;
  double v = strtod(buf, &end);
  if (*end != '\0' || buf[0] == ' ' || !isfinite(v))
    return fail(r, "%s: '%s' is not a finite number", what, buf);
  *out = v;
  return TS_OK;
}

/* ---- header lines ---------------------------------------------------------------------------- */
static ts_status set_stages(treader *r, const token *tk, plan *p) {
  if (tok_is(tk->val, tk->vlen, "-")) {
    p->n_stage_layers = 0;
    return TS_OK;
  }
  int32_t n = 0;
  const char *s = tk->val, *end = tk->val + tk->vlen;
  while (s <= end) {
    const char *e = memchr(s, '/', (size_t)(end - s));
    if (!e) e = end;
    if (n == PLAN_MAX_PP) return fail(r, "stage_layers: more than %d stages", PLAN_MAX_PP);
    int64_t v;
    ts_status st = parse_i64(r, "stage_layers", s, (size_t)(e - s), INT32_MIN, INT32_MAX, &v);
    if (st) return st;
    p->stage_layers[n++] = (int32_t)v;
    s = e + 1;
  }
  p->n_stage_layers = n;
  return TS_OK;
}

static ts_status set_field(treader *r, const trace_text_field *f, const token *tk) {
  char *base = (char *)r->t + f->offset;
  int64_t v;
  ts_status st = TS_OK;
  if (f->type == TF_STR) {
    if (!tk->quoted) return fail(r, "%s: expected a \"quoted string\"", f->key);
    return unquote(r, f->key, tk->val, tk->vlen, base, f->cap);
  }
  if (tk->quoted) return fail(r, "%s: unexpected quoted string", f->key);
  switch (f->type) {
    case TF_BOOL:
      st = parse_i64(r, f->key, tk->val, tk->vlen, 0, 1, &v);
      if (!st) *(bool *)base = v == 1;
      return st;
    case TF_I32:
      st = parse_i64(r, f->key, tk->val, tk->vlen, INT32_MIN, INT32_MAX, &v);
      if (!st) *(int32_t *)base = (int32_t)v;
      return st;
    case TF_I64: return parse_i64(r, f->key, tk->val, tk->vlen, INT64_MIN, INT64_MAX, (int64_t *)base);
    case TF_HEX32: {
      char buf[NUM_MAX];
      if (tk->vlen < 3 || tk->vlen >= sizeof buf || tk->val[0] != '0' || tk->val[1] != 'x')
        return fail(r, "%s: expected a hexadecimal number 0x...", f->key);
      memcpy(buf, tk->val, tk->vlen);
      buf[tk->vlen] = '\0';
      char *end;
      errno = 0;
      unsigned long long x = strtoull(buf + 2, &end, 16);
      if (*end || buf[2] == '-' || buf[2] == '+' || errno || x > UINT32_MAX)
        return fail(r, "%s: '%s' is not a 32-bit hexadecimal number", f->key, buf);
      *(uint32_t *)base = (uint32_t)x;
      return TS_OK;
    }
    case TF_ENUM:
      for (unsigned e = 0; e < f->enum_count; e++)
        if (tok_is(tk->val, tk->vlen, f->enum_name(e))) {
          int iv = (int)e;
          memcpy(base, &iv, sizeof iv);
          return TS_OK;
        }
      return fail(r, "%s: unknown value '%.*s'", f->key, (int)(tk->vlen < 40 ? tk->vlen : 40),
                  tk->val);
    case TF_STAGES: return set_stages(r, tk, (plan *)base);
    case TF_STR: break;
  }
  return st;
}

/* A header line: keyword, then every field of the table exactly once, in any order. */
static ts_status read_fields(treader *r, const char *keyword, const trace_text_field *table,
                             const token *toks, int n) {
  uint64_t seen = 0;
  int n_fields = 0;
  while (table[n_fields].key) n_fields++;
  for (int i = 1; i < n; i++) {
    const token *tk = &toks[i];
    if (!tk->has_val)
      return fail(r, "%s line: expected key=value, found '%.*s'", keyword,
                  (int)(tk->klen < 40 ? tk->klen : 40), tk->key);
    int f = 0;
    while (f < n_fields && !tok_is(tk->key, tk->klen, table[f].key)) f++;
    if (f == n_fields)
      return fail(r, "%s line: unknown key '%.*s'", keyword, (int)(tk->klen < 40 ? tk->klen : 40),
                  tk->key);
    if (seen & (1ull << f)) return fail(r, "%s line: duplicate key '%s'", keyword, table[f].key);
    seen |= 1ull << f;
    ts_status st = set_field(r, &table[f], tk);
    if (st) return st;
  }
  for (int f = 0; f < n_fields; f++)
    if (!(seen & (1ull << f))) return fail(r, "%s line: missing key '%s'", keyword, table[f].key);
  return TS_OK;
}

static ts_status read_version(treader *r, const token *toks, int n) {
  if (n != 2 || !tok_is(toks[0].key, toks[0].klen, "trainsim-trace") || toks[1].has_val)
    return fail(r, "expected 'trainsim-trace %d' as the first line", TRACE_FORMAT_VERSION);
  int64_t v;
  ts_status st = parse_i64(r, "version", toks[1].key, toks[1].klen, 1, INT32_MAX, &v);
  if (st) return st;
  if (v > TRACE_FORMAT_VERSION)
    return fail(r, "format version %lld is newer than this trainsim (%d)", (long long)v,
                TRACE_FORMAT_VERSION);
  r->t->version = (uint32_t)v;
  return TS_OK;
}

/* Positional token i must be a plain word; returns false (with the error set) otherwise. */
static ts_status positional(treader *r, const token *toks, int n, int i, const char *what) {
  if (i >= n || toks[i].has_val || toks[i].quoted)
    return fail(r, "expected %s as field %d", what, i + 1);
  return TS_OK;
}

static ts_status read_index(treader *r, const token *toks, int n, const char *what, int64_t want) {
  ts_status st = positional(r, toks, n, 1, what);
  int64_t v;
  if (!st) st = parse_i64(r, what, toks[1].key, toks[1].klen, 0, INT64_MAX, &v);
  if (!st && v != want) st = fail(r, "%s %lld out of order (expected %lld)", what, (long long)v,
                                  (long long)want);
  return st;
}

static ts_status read_comm(treader *r, const token *toks, int n) {
  trace *t = r->t;
  if (t->n_comms == TRACE_MAX_COMMS) return fail(r, "more than %d communicators", TRACE_MAX_COMMS);
  ts_status st = read_index(r, toks, n, "communicator index", t->n_comms);
  if (!st) st = positional(r, toks, n, 2, "communicator name");
  if (st) return st;
  if (n != 5 || !toks[3].has_val || !tok_is(toks[3].key, toks[3].klen, "size") ||
      !toks[4].has_val || !tok_is(toks[4].key, toks[4].klen, "stride"))
    return fail(r, "expected 'comm INDEX NAME size=N stride=N'");
  char name[sizeof t->comms[0].name];
  if (toks[2].klen >= sizeof name)
    return fail(r, "communicator name longer than %zu bytes", sizeof name - 1);
  memcpy(name, toks[2].key, toks[2].klen);
  name[toks[2].klen] = '\0';
  int64_t size, stride;
  st = parse_i64(r, "size", toks[3].val, toks[3].vlen, INT64_MIN, INT64_MAX, &size);
  if (!st) st = parse_i64(r, "stride", toks[4].val, toks[4].vlen, INT64_MIN, INT64_MAX, &stride);
  if (st) return st;
  r->comm_line[t->n_comms] = r->line;
  if (trace_add_comm(t, name, size, stride) < 0) return fail(r, "cannot add communicator");
  return TS_OK;
}

static ts_status read_class(treader *r, const token *toks, int n) {
  trace *t = r->t;
  ts_status st = read_index(r, toks, n, "class index", t->n_classes);
  if (st) return st;
  if (n != 6 || !toks[2].quoted || !toks[3].has_val || !tok_is(toks[3].key, toks[3].klen, "stage") ||
      !toks[4].has_val || !tok_is(toks[4].key, toks[4].klen, "first_rank") || !toks[5].has_val ||
      !tok_is(toks[5].key, toks[5].klen, "ranks"))
    return fail(r, "expected 'class INDEX \"NAME\" stage=N first_rank=N ranks=N'");
  char name[sizeof t->classes[0].name];
  int64_t stage, first, ranks;
  st = unquote(r, "class name", toks[2].key, toks[2].klen, name, sizeof name);
  if (!st) st = parse_i64(r, "stage", toks[3].val, toks[3].vlen, INT32_MIN, INT32_MAX, &stage);
  if (!st) st = parse_i64(r, "first_rank", toks[4].val, toks[4].vlen, INT64_MIN, INT64_MAX, &first);
  if (!st) st = parse_i64(r, "ranks", toks[5].val, toks[5].vlen, INT64_MIN, INT64_MAX, &ranks);
  if (st) return st;
  if (t->n_classes == TRACE_MAX_CLASSES) return fail(r, "more than %d classes", TRACE_MAX_CLASSES);
  void *arr = r->classes;
  bool ok = grow(&arr, &r->cap_classes, t->n_classes + 1, sizeof *r->classes);
  r->classes = arr;
  if (!ok || trace_add_class(t, name, (int32_t)stage, first, ranks) < 0)
    return ts_fail(r->err, TS_ENOMEM, "%s:%llu: out of memory", r->name, (unsigned long long)r->line);
  r->classes[t->n_classes - 1] = (class_pos){r->line, r->n_op_lines};
  return TS_OK;
}

/* flags=causal,expert and deps=1,5,9: comma-separated lists. */
static ts_status parse_flags(treader *r, const token *tk, uint8_t *flags) {
  const char *s = tk->val, *end = tk->val + tk->vlen;
  *flags = 0;
  while (s <= end) {
    const char *e = memchr(s, ',', (size_t)(end - s));
    if (!e) e = end;
    if (tok_is(s, (size_t)(e - s), "causal")) *flags |= TRACE_FLAG_CAUSAL;
    else if (tok_is(s, (size_t)(e - s), "expert")) *flags |= TRACE_FLAG_EXPERT;
    else return fail(r, "flags: unknown flag '%.*s' (expected causal, expert)",
                     (int)(e - s < 40 ? e - s : 40), s);
    s = e + 1;
  }
  return TS_OK;
}

typedef struct dep_list {
  uint32_t *v;
  size_t n, cap;
} dep_list;

static ts_status parse_deps(treader *r, const token *tk, uint32_t op_index, dep_list *deps) {
  const char *s = tk->val, *end = tk->val + tk->vlen;
  deps->n = 0;
  while (s <= end) {
    const char *e = memchr(s, ',', (size_t)(end - s));
    if (!e) e = end;
    int64_t v;
    ts_status st = parse_i64(r, "deps", s, (size_t)(e - s), 0, UINT32_MAX, &v);
    if (st) return st;
    if (v >= op_index) return fail(r, "dep %lld is not an earlier op (this is op %u)", (long long)v, op_index);
    void *arr = deps->v;
    bool ok = grow(&arr, &deps->cap, deps->n + 1, sizeof *deps->v);
    deps->v = arr;
    if (!ok) return ts_fail(r->err, TS_ENOMEM, "%s:%llu: out of memory", r->name, (unsigned long long)r->line);
    deps->v[deps->n++] = (uint32_t)v;
    s = e + 1;
  }
  return TS_OK;
}

/* One key=value of an op line. */
static ts_status op_field(treader *r, const token *tk, trace_op *o, uint32_t index, dep_list *deps) {
  const char *k = tk->key, *v = tk->val;
  size_t kl = tk->klen, vl = tk->vlen;
  int64_t x;
  ts_status st = TS_OK;
  if (tk->quoted) return fail(r, "op field '%.*s': unexpected quoted string", (int)kl, k);
  if (tok_is(k, kl, "layer")) {
    st = parse_i64(r, "layer", v, vl, 0, UINT16_MAX, &x);
    o->layer = (uint16_t)x;
  } else if (tok_is(k, kl, "micro")) {
    st = parse_i64(r, "micro", v, vl, 0, UINT32_MAX, &x);
    o->micro = (uint32_t)x;
  } else if (tok_is(k, kl, "peer")) {
    st = parse_i64(r, "peer", v, vl, INT32_MIN, INT32_MAX, &x);
    o->peer = (int32_t)x;
  } else if (tok_is(k, kl, "comm")) {
    uint32_t c = 0;
    while (c < r->t->n_comms && !tok_is(v, vl, r->t->comms[c].name)) c++;
    if (c == r->t->n_comms)
      return fail(r, "comm: no communicator named '%.*s'", (int)(vl < 40 ? vl : 40), v);
    o->comm = (uint8_t)c;
  } else if (tok_is(k, kl, "flags")) {
    st = parse_flags(r, tk, &o->flags);
  } else if (tok_is(k, kl, "m")) {
    st = parse_i64(r, "m", v, vl, INT64_MIN, INT64_MAX, &o->m);
  } else if (tok_is(k, kl, "n")) {
    st = parse_i64(r, "n", v, vl, INT64_MIN, INT64_MAX, &o->n);
  } else if (tok_is(k, kl, "k")) {
    st = parse_i64(r, "k", v, vl, INT64_MIN, INT64_MAX, &o->k);
  } else if (tok_is(k, kl, "count")) {
    st = parse_i64(r, "count", v, vl, INT64_MIN, INT64_MAX, &o->count);
  } else if (tok_is(k, kl, "flops")) {
    st = parse_f64(r, "flops", v, vl, &o->flops);
  } else if (tok_is(k, kl, "bytes")) {
    st = parse_f64(r, "bytes", v, vl, &o->bytes);
  } else if (tok_is(k, kl, "duration_s")) {
    if (r->t->version < TRACE_FORMAT_VERSION_DURATION)
      return fail(r, "op: duration_s needs format version %d (this file says %u)",
                  TRACE_FORMAT_VERSION_DURATION, r->t->version);
    st = parse_f64(r, "duration_s", v, vl, &o->duration_s);
  } else if (tok_is(k, kl, "deps")) {
    st = parse_deps(r, tk, index, deps);
  } else {
    return fail(r, "op: unknown key '%.*s'", (int)(kl < 40 ? kl : 40), k);
  }
  return st;
}

static const char *const OP_KEYS[] = {"layer", "micro", "peer",  "comm", "flags",      "m", "n",
                                      "k",     "count", "flops", "bytes", "duration_s", "deps", NULL};

static ts_status read_op_fields(treader *r, const token *toks, int n, trace_op *o, uint32_t index,
                                dep_list *deps) {
  uint32_t seen = 0;
  for (int i = 6; i < n; i++) {
    if (!toks[i].has_val)
      return fail(r, "op: expected key=value, found '%.*s'",
                  (int)(toks[i].klen < 40 ? toks[i].klen : 40), toks[i].key);
    int f = 0;
    while (OP_KEYS[f] && !tok_is(toks[i].key, toks[i].klen, OP_KEYS[f])) f++;
    if (OP_KEYS[f] && (seen & (1u << f))) return fail(r, "op: duplicate key '%s'", OP_KEYS[f]);
    if (OP_KEYS[f]) seen |= 1u << f;
    ts_status st = op_field(r, &toks[i], o, index, deps);
    if (st) return st;
  }
  return TS_OK;
}

static ts_status read_op(treader *r, const token *toks, int n, dep_list *deps) {
  trace *t = r->t;
  if (t->n_classes == 0) return fail(r, "op before the first class line");
  trace_class *c = &t->classes[t->n_classes - 1];
  ts_status st = read_index(r, toks, n, "op index", c->n_ops);
  for (int i = 2; !st && i < 6; i++) st = positional(r, toks, n, i, "op kind, dtype, phase, stream");
  if (st) return st;
  trace_op o = {.comm = TRACE_NO_COMM, .layer = TRACE_NO_LAYER, .peer = -1, .count = 1};
  trace_op_kind kind;
  hw_dtype dtype;
  trace_phase phase;
  trace_stream stream;
  char word[4][32];
  for (int i = 0; i < 4; i++) {
    size_t len = toks[2 + i].klen < sizeof word[i] ? toks[2 + i].klen : sizeof word[i] - 1;
    memcpy(word[i], toks[2 + i].key, len);
    word[i][len] = '\0';
  }
  if (!trace_op_kind_parse(word[0], &kind)) return fail(r, "unknown op kind '%s'", word[0]);
  if (!hw_dtype_parse(word[1], &dtype)) return fail(r, "unknown dtype '%s'", word[1]);
  if (!trace_phase_parse(word[2], &phase)) return fail(r, "unknown phase '%s'", word[2]);
  if (!trace_stream_parse(word[3], &stream)) return fail(r, "unknown stream '%s'", word[3]);
  o.kind = (uint8_t)kind;
  o.dtype = (uint8_t)dtype;
  o.phase = (uint8_t)phase;
  o.stream = (uint8_t)stream;
  deps->n = 0;
  st = read_op_fields(r, toks, n, &o, c->n_ops, deps);
  if (st) return st;
  void *arr = r->op_line;
  bool ok = grow(&arr, &r->cap_op_lines, r->n_op_lines + 1, sizeof *r->op_line);
  r->op_line = arr;
  if (!ok) return ts_fail(r->err, TS_ENOMEM, "%s:%llu: out of memory", r->name, (unsigned long long)r->line);
  if (trace_add_op(t, (int32_t)t->n_classes - 1, &o, deps->v, (uint32_t)deps->n) < 0)
    return fail(r, "cannot add op (out of memory, or more than %d ops / %d deps in the class)",
                TRACE_MAX_OPS, TRACE_MAX_DEPS);
  r->op_line[r->n_op_lines++] = r->line;
  return TS_OK;
}

/* ---- lines ----------------------------------------------------------------------------------- */
static ts_status read_line(treader *r, const token *toks, int n, dep_list *deps) {
  static const char *const HEADER[] = {"trainsim-trace", "model", "plan", "system"};
  const token *kw = &toks[0];
  if (kw->has_val || kw->quoted)
    return fail(r, "expected a keyword at the start of the line");
  if (r->section < 4) {
    if (!tok_is(kw->key, kw->klen, HEADER[r->section]))
      return fail(r, "expected the '%s' line, found '%.*s'", HEADER[r->section],
                  (int)(kw->klen < 40 ? kw->klen : 40), kw->key);
    ts_status st = TS_OK;
    switch (r->section) {
      case 0: st = read_version(r, toks, n); break;
      case 1: st = read_fields(r, "model", TRACE_TEXT_MODEL, toks, n); break;
      case 2: st = read_fields(r, "plan", TRACE_TEXT_PLAN, toks, n); break;
      default: r->system_line = r->line; st = read_fields(r, "system", TRACE_TEXT_SYSTEM, toks, n);
    }
    r->section++;
    return st;
  }
  if (tok_is(kw->key, kw->klen, "op")) return read_op(r, toks, n, deps);
  if (tok_is(kw->key, kw->klen, "class")) return read_class(r, toks, n);
  if (tok_is(kw->key, kw->klen, "comm")) {
    if (r->t->n_classes) return fail(r, "communicators must come before the first class");
    return read_comm(r, toks, n);
  }
  return fail(r, "unknown line '%.*s' (expected op, class or comm)",
              (int)(kw->klen < 40 ? kw->klen : 40), kw->key);
}

static ts_status read_lines(treader *r, const char *text, size_t len) {
  token toks[MAX_TOKENS];
  dep_list deps = {0};
  ts_status st = TS_OK;
  const char *s = text, *end = text + len;
  while (!st && s < end) {
    const char *e = memchr(s, '\n', (size_t)(end - s));
    if (!e) e = end;
    r->line++;
    const char *le = e > s && e[-1] == '\r' ? e - 1 : e;
    const char *p = s;
    while (p < le && (*p == ' ' || *p == '\t')) p++;
    int n = 0;
    if (memchr(s, '\0', (size_t)(le - s))) st = fail(r, "NUL byte in text");
    else if (p < le && *p != '#') st = tokenize(r, p, le, toks, &n);
    if (!st && n > 0) st = read_line(r, toks, n, &deps);
    s = e + 1;
  }
  free(deps.v);
  if (!st && r->section < 4) {
    static const char *const HEADER[] = {"trainsim-trace", "model", "plan", "system"};
    if (r->line == 0) r->line = 1; /* an empty text still has a first line */
    st = fail(r, "missing the '%s' line", HEADER[r->section]);
  }
  return st;
}

static uint64_t where_line(const treader *r, const trace_where *w) {
  if (w->cls >= 0 && w->op >= 0) return r->op_line[r->classes[w->cls].op_base + (size_t)w->op];
  if (w->cls >= 0) return r->classes[w->cls].line;
  if (w->comm >= 0) return r->comm_line[w->comm];
  return r->system_line;
}

ts_status trace_read_text(const char *name, const char *text, size_t len, trace **out, ts_err *err) {
  *out = NULL;
  treader r = {.name = name, .err = err, .t = trace_new()};
  if (!r.t) return ts_fail(err, TS_ENOMEM, "%s: out of memory", name);
  ts_status st = read_lines(&r, text, len);
  if (!st) {
    trace_where w;
    st = trace_check(r.t, &w, err);
    if (st) ts_err_prefix(err, "%s:%llu", name, (unsigned long long)where_line(&r, &w));
  }
  free(r.classes);
  free(r.op_line);
  if (st) {
    trace_free(r.t);
    return st;
  }
  *out = r.t;
  return TS_OK;
}
