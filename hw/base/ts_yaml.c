/* YAML documents with line numbers: see ts_yaml.h. libyaml's document API gives every node a
 * start mark; node ids are 1-based indices into the document's node stack. */
#include "hw/base/ts_yaml.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "hw/base/ts_io.h"

/* Flow collections ([ ] and { }) nested deeper than this are refused before libyaml sees them:
 * its scanner checks every open level on every token, so time grows with depth squared (80,000
 * levels take a minute). The count is of raw brackets, comments and quoted text included, so it
 * can only over-estimate; the shipped files nest one level. */
/* Data files are a few KB; libyaml keeps about 160 bytes per node and scans a 7-million-node
 * line for seconds, so the cap is 1 MiB (about 0.5 million nodes at most). */
enum { TS_YAML_MAX_BYTES = 1 << 20, TS_YAML_MAX_FLOW_DEPTH = 64 };

struct ts_yaml {
  yaml_document_t doc;
  char name[1024];
};

static yaml_node_t *node_at(const ts_yaml *y, ts_ynode id) {
  if (!y || id <= 0) return NULL;
  return yaml_document_get_node((yaml_document_t *)&y->doc, id);
}

/* Messages are one line: text quoted from the document (a key, a scalar with an escaped
 * newline) may hold control characters, shown as '?'. */
static void one_line(char *s) {
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || *s == 0x7f) *s = '?';
}

ts_status ts_yaml_fail(const ts_yaml *y, ts_ynode node, ts_status code, ts_err *err,
                       const char *fmt, ...) {
  char detail[600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(detail, sizeof detail, fmt, ap);
  va_end(ap);
  one_line(detail);
  return ts_fail(err, code, "%s:%d: %s", y->name, ts_yaml_line(y, node), detail);
}

/* The 1-based line where the flow nesting first passes the limit, or 0. */
static size_t flow_too_deep(const char *text, size_t len) {
  size_t line = 1;
  int depth = 0;
  for (size_t i = 0; i < len; i++) {
    char c = text[i];
    if (c == '\n') line++;
    if (c == '[' || c == '{') {
      if (++depth > TS_YAML_MAX_FLOW_DEPTH) return line;
    } else if ((c == ']' || c == '}') && depth > 0) {
      depth--;
    }
  }
  return 0;
}

ts_status ts_yaml_load_string(const char *name, const char *text, size_t len, ts_yaml **out,
                              ts_err *err) {
  *out = NULL;
  ts_yaml *y = calloc(1, sizeof *y);
  if (!y) return ts_fail(err, TS_ENOMEM, "%s: out of memory", name);
  snprintf(y->name, sizeof y->name, "%s", name);
  if (len > TS_YAML_MAX_BYTES) {
    free(y);
    return ts_fail(err, TS_EINPUT, "%s: larger than the limit of %d bytes", name,
                   (int)TS_YAML_MAX_BYTES);
  }
  if (memchr(text, '\0', len)) {
    free(y);
    return ts_fail(err, TS_EINPUT, "%s: not a text file (contains a NUL byte)", name);
  }
  size_t deep_line = flow_too_deep(text, len);
  if (deep_line) {
    free(y);
    return ts_fail(err, TS_EINPUT, "%s:%zu: [ ] or { } nested deeper than %d levels", name,
                   deep_line, TS_YAML_MAX_FLOW_DEPTH);
  }
  yaml_parser_t parser;
  if (!yaml_parser_initialize(&parser)) {
    free(y);
    return ts_fail(err, TS_ENOMEM, "%s: cannot initialise the YAML parser", name);
  }
  yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
  if (!yaml_parser_load(&parser, &y->doc)) {
    ts_fail(err, TS_EINPUT, "%s:%zu: %s%s%s", name, parser.problem_mark.line + 1,
            parser.problem ? parser.problem : "malformed YAML", parser.context ? " " : "",
            parser.context ? parser.context : "");
    yaml_parser_delete(&parser);
    free(y);
    return TS_EINPUT;
  }
  yaml_parser_delete(&parser);
  if (!yaml_document_get_root_node(&y->doc)) {
    yaml_document_delete(&y->doc);
    free(y);
    return ts_fail(err, TS_EINPUT, "%s:1: empty document", name);
  }
  *out = y;
  return TS_OK;
}

ts_status ts_yaml_load_file(const char *path, ts_yaml **out, ts_err *err) {
  char *text;
  size_t len;
  ts_status st = ts_read_file(path, TS_YAML_MAX_BYTES, &text, &len, err);
  if (st) return st;
  st = ts_yaml_load_string(path, text, len, out, err);
  free(text);
  return st;
}

void ts_yaml_free(ts_yaml *y) {
  if (!y) return;
  yaml_document_delete(&y->doc);
  free(y);
}

const char *ts_yaml_name(const ts_yaml *y) {
  return y->name;
}

ts_ynode ts_yaml_root(const ts_yaml *y) {
  return node_at(y, 1) ? 1 : 0;
}

int ts_yaml_line(const ts_yaml *y, ts_ynode node) {
  yaml_node_t *n = node_at(y, node);
  return n ? (int)n->start_mark.line + 1 : 0;
}

bool ts_yaml_is_map(const ts_yaml *y, ts_ynode node) {
  yaml_node_t *n = node_at(y, node);
  return n && n->type == YAML_MAPPING_NODE;
}

bool ts_yaml_is_seq(const ts_yaml *y, ts_ynode node) {
  yaml_node_t *n = node_at(y, node);
  return n && n->type == YAML_SEQUENCE_NODE;
}

bool ts_yaml_is_scalar(const ts_yaml *y, ts_ynode node) {
  yaml_node_t *n = node_at(y, node);
  return n && n->type == YAML_SCALAR_NODE;
}

const char *ts_yaml_scalar(const ts_yaml *y, ts_ynode node) {
  yaml_node_t *n = node_at(y, node);
  if (!n || n->type != YAML_SCALAR_NODE) return NULL;
  return (const char *)n->data.scalar.value;
}

size_t ts_yaml_map_len(const ts_yaml *y, ts_ynode map) {
  yaml_node_t *n = node_at(y, map);
  if (!n || n->type != YAML_MAPPING_NODE) return 0;
  return (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
}

bool ts_yaml_map_pair(const ts_yaml *y, ts_ynode map, size_t i, const char **key, ts_ynode *value) {
  if (i >= ts_yaml_map_len(y, map)) return false;
  yaml_node_pair_t *p = node_at(y, map)->data.mapping.pairs.start + i;
  *key = ts_yaml_scalar(y, p->key);
  *value = p->value;
  return true;
}

ts_ynode ts_yaml_get(const ts_yaml *y, ts_ynode map, const char *key) {
  const char *k;
  ts_ynode v;
  for (size_t i = 0; ts_yaml_map_pair(y, map, i, &k, &v); i++)
    if (k && strcmp(k, key) == 0) return v;
  return 0;
}

ts_status ts_yaml_check_keys(const ts_yaml *y, ts_ynode map, const char *const *allowed,
                             const char *what, ts_err *err) {
  if (!ts_yaml_is_map(y, map))
    return ts_yaml_fail(y, map, TS_EINPUT, err, "%s: expected a mapping of fields", what);
  const char *k;
  ts_ynode v;
  for (size_t i = 0; ts_yaml_map_pair(y, map, i, &k, &v); i++) {
    yaml_node_pair_t *p = node_at(y, map)->data.mapping.pairs.start + i;
    if (!k) return ts_yaml_fail(y, p->key, TS_EINPUT, err, "%s: a key must be a plain name", what);
    bool known = false;
    for (const char *const *a = allowed; *a; a++) known = known || strcmp(*a, k) == 0;
    if (!known) return ts_yaml_fail(y, p->key, TS_EINPUT, err, "%s: unknown field '%s'", what, k);
    const char *k2;
    ts_ynode v2;
    for (size_t j = 0; j < i && ts_yaml_map_pair(y, map, j, &k2, &v2); j++)
      if (k2 && strcmp(k, k2) == 0)
        return ts_yaml_fail(y, p->key, TS_EINPUT, err, "%s: duplicate field '%s'", what, k);
  }
  return TS_OK;
}

size_t ts_yaml_seq_len(const ts_yaml *y, ts_ynode seq) {
  yaml_node_t *n = node_at(y, seq);
  if (!n || n->type != YAML_SEQUENCE_NODE) return 0;
  return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

ts_ynode ts_yaml_seq_item(const ts_yaml *y, ts_ynode seq, size_t i) {
  if (i >= ts_yaml_seq_len(y, seq)) return 0;
  return node_at(y, seq)->data.sequence.items.start[i];
}

/* Finds key; a missing required key is reported at the mapping's line. */
static ts_status field(const ts_yaml *y, ts_ynode map, const char *key, bool required,
                       const char **text, ts_ynode *node, ts_err *err) {
  *text = NULL;
  *node = ts_yaml_get(y, map, key);
  if (!*node) {
    if (required) return ts_yaml_fail(y, map, TS_EINPUT, err, "missing required field '%s'", key);
    return TS_OK;
  }
  *text = ts_yaml_scalar(y, *node);
  if (!*text)
    return ts_yaml_fail(y, *node, TS_EINPUT, err, "field '%s': expected a single value", key);
  return TS_OK;
}

static ts_status get_double(const ts_yaml *y, ts_ynode map, const char *key, bool required,
                            double *out, bool *present, ts_err *err) {
  const char *text;
  ts_ynode node;
  ts_status st = field(y, map, key, required, &text, &node, err);
  if (present) *present = text != NULL;
  if (st || !text) return st;
  if (!ts_parse_double(text, out))
    return ts_yaml_fail(y, node, TS_EINPUT, err, "field '%s': expected a finite number, got '%s'",
                        key, text);
  return TS_OK;
}

ts_status ts_yaml_req_double(const ts_yaml *y, ts_ynode map, const char *key, double *out,
                             ts_err *err) {
  return get_double(y, map, key, true, out, NULL, err);
}

ts_status ts_yaml_opt_double(const ts_yaml *y, ts_ynode map, const char *key, double *out,
                             bool *present, ts_err *err) {
  return get_double(y, map, key, false, out, present, err);
}

static ts_status get_int(const ts_yaml *y, ts_ynode map, const char *key, bool required,
                         long long *out, bool *present, ts_err *err) {
  const char *text;
  ts_ynode node;
  ts_status st = field(y, map, key, required, &text, &node, err);
  if (present) *present = text != NULL;
  if (st || !text) return st;
  if (!ts_parse_int64(text, out))
    return ts_yaml_fail(y, node, TS_EINPUT, err, "field '%s': expected a whole number, got '%s'",
                        key, text);
  return TS_OK;
}

ts_status ts_yaml_req_int(const ts_yaml *y, ts_ynode map, const char *key, long long *out,
                          ts_err *err) {
  return get_int(y, map, key, true, out, NULL, err);
}

ts_status ts_yaml_opt_int(const ts_yaml *y, ts_ynode map, const char *key, long long *out,
                          bool *present, ts_err *err) {
  return get_int(y, map, key, false, out, present, err);
}

static ts_status get_str(const ts_yaml *y, ts_ynode map, const char *key, bool required, char *buf,
                         size_t cap, bool *present, ts_err *err) {
  const char *text;
  ts_ynode node;
  ts_status st = field(y, map, key, required, &text, &node, err);
  if (present) *present = text != NULL;
  if (st || !text) return st;
  if (strlen(text) >= cap)
    return ts_yaml_fail(y, node, TS_EINPUT, err, "field '%s': longer than %zu characters", key,
                        cap - 1);
  memcpy(buf, text, strlen(text) + 1);
  return TS_OK;
}

ts_status ts_yaml_req_str(const ts_yaml *y, ts_ynode map, const char *key, char *buf, size_t cap,
                          ts_err *err) {
  return get_str(y, map, key, true, buf, cap, NULL, err);
}

ts_status ts_yaml_opt_str(const ts_yaml *y, ts_ynode map, const char *key, char *buf, size_t cap,
                          bool *present, ts_err *err) {
  return get_str(y, map, key, false, buf, cap, present, err);
}

static ts_status get_bool(const ts_yaml *y, ts_ynode map, const char *key, bool required, bool *out,
                          bool *present, ts_err *err) {
  const char *text;
  ts_ynode node;
  ts_status st = field(y, map, key, required, &text, &node, err);
  if (present) *present = text != NULL;
  if (st || !text) return st;
  if (strcmp(text, "true") == 0)
    *out = true;
  else if (strcmp(text, "false") == 0)
    *out = false;
  else
    return ts_yaml_fail(y, node, TS_EINPUT, err, "field '%s': expected true or false, got '%s'",
                        key, text);
  return TS_OK;
}

ts_status ts_yaml_req_bool(const ts_yaml *y, ts_ynode map, const char *key, bool *out,
                           ts_err *err) {
  return get_bool(y, map, key, true, out, NULL, err);
}

ts_status ts_yaml_opt_bool(const ts_yaml *y, ts_ynode map, const char *key, bool *out,
                           bool *present, ts_err *err) {
  return get_bool(y, map, key, false, out, present, err);
}
