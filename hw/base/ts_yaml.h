/* YAML documents for the descriptor, model and other data files, read with libyaml (Debian's
 * libyaml-dev) so every node keeps its line: errors say "file:line: field 'x': reason".
 * The getters are strict: a wrong type, a NaN, a duplicate or unknown key is an error. */
#ifndef TS_YAML_H
#define TS_YAML_H

#include <stdbool.h>
#include <stddef.h>

#include "hw/base/ts_err.h"

typedef struct ts_yaml ts_yaml;
typedef int ts_ynode; /* 0 means "absent" */

ts_status ts_yaml_load_file(const char *path, ts_yaml **out, ts_err *err);
/* name is used in messages in place of a file name. */
ts_status ts_yaml_load_string(const char *name, const char *text, size_t len, ts_yaml **out,
                              ts_err *err);
void ts_yaml_free(ts_yaml *y);

const char *ts_yaml_name(const ts_yaml *y);
ts_ynode ts_yaml_root(const ts_yaml *y);
int ts_yaml_line(const ts_yaml *y, ts_ynode node); /* 1-based */
bool ts_yaml_is_map(const ts_yaml *y, ts_ynode node);
bool ts_yaml_is_seq(const ts_yaml *y, ts_ynode node);
bool ts_yaml_is_scalar(const ts_yaml *y, ts_ynode node);
const char *ts_yaml_scalar(const ts_yaml *y, ts_ynode node); /* NULL unless a scalar */

/* Mappings. */
ts_ynode ts_yaml_get(const ts_yaml *y, ts_ynode map, const char *key);
size_t ts_yaml_map_len(const ts_yaml *y, ts_ynode map);
/* i-th pair; returns false past the end. */
bool ts_yaml_map_pair(const ts_yaml *y, ts_ynode map, size_t i, const char **key, ts_ynode *value);
/* Every key must be in allowed (NULL-terminated) and appear once. */
ts_status ts_yaml_check_keys(const ts_yaml *y, ts_ynode map, const char *const *allowed,
                             const char *what, ts_err *err);

/* Sequences. */
size_t ts_yaml_seq_len(const ts_yaml *y, ts_ynode seq);
ts_ynode ts_yaml_seq_item(const ts_yaml *y, ts_ynode seq, size_t i);

/* Typed fields of a mapping. req_* fail when the key is missing; opt_* leave *out alone and set
 * *present=false (present may be NULL). Numbers must be finite. */
ts_status ts_yaml_req_double(const ts_yaml *y, ts_ynode map, const char *key, double *out, ts_err *err);
ts_status ts_yaml_opt_double(const ts_yaml *y, ts_ynode map, const char *key, double *out,
                             bool *present, ts_err *err);
ts_status ts_yaml_req_int(const ts_yaml *y, ts_ynode map, const char *key, long long *out, ts_err *err);
ts_status ts_yaml_opt_int(const ts_yaml *y, ts_ynode map, const char *key, long long *out,
                          bool *present, ts_err *err);
ts_status ts_yaml_req_str(const ts_yaml *y, ts_ynode map, const char *key, char *buf, size_t cap,
                          ts_err *err);
ts_status ts_yaml_opt_str(const ts_yaml *y, ts_ynode map, const char *key, char *buf, size_t cap,
                          bool *present, ts_err *err);
ts_status ts_yaml_req_bool(const ts_yaml *y, ts_ynode map, const char *key, bool *out, ts_err *err);
ts_status ts_yaml_opt_bool(const ts_yaml *y, ts_ynode map, const char *key, bool *out,
                           bool *present, ts_err *err);

/* "file:line: " error about a node. */
ts_status ts_yaml_fail(const ts_yaml *y, ts_ynode node, ts_status code, ts_err *err,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
