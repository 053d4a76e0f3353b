/* Sourced figures of the descriptor files (see desc_int.h). A figure is a mapping with exactly
 * two keys, `value` and `source`; a bare number, a missing or empty source, an unknown key, a
 * value out of range: each is an error naming file:line and the field. */
#include "hw/desc_int.h"

#include <stdio.h>
#include <string.h>

#include "hw/base/ts_io.h"

static const char *const FIGURE_KEYS[] = {"value", "source", NULL};

ts_status hw_desc_add_source(hw_source *sources, int *n_sources, const char *field,
                             const char *text, ts_err *err) {
  if (*n_sources >= HW_MAX_SOURCES)
    return ts_fail(err, TS_EINPUT, "field '%s': more than %d sourced figures", field,
                   HW_MAX_SOURCES);
  if (strlen(field) >= sizeof sources[0].field || strlen(text) >= HW_SOURCE_MAX)
    return ts_fail(err, TS_EINPUT, "field '%s': source longer than %d characters", field,
                   HW_SOURCE_MAX - 1);
  hw_source *s = &sources[(*n_sources)++];
  snprintf(s->field, sizeof s->field, "%s", field);
  snprintf(s->text, sizeof s->text, "%s", text);
  return TS_OK;
}

const char *hw_desc_find_source(const hw_source *sources, int n_sources, const char *field) {
  for (int i = 0; i < n_sources; i++)
    if (strcmp(sources[i].field, field) == 0) return sources[i].text;
  return NULL;
}

/* Finds the figure `key`, checks its shape and records its source; *value is the scalar text
 * of `value` (NULL when the key is absent and not required). */
static ts_status figure(hw_desc *d, ts_ynode map, const char *key, bool required,
                        const char **value, ts_ynode *value_node) {
  *value = NULL;
  ts_ynode node = ts_yaml_get(d->y, map, key);
  if (!node) {
    if (!required) return TS_OK;
    return ts_yaml_fail(d->y, map, TS_EINPUT, d->err, "missing required field '%s%s'", d->prefix,
                        key);
  }
  if (!ts_yaml_is_map(d->y, node))
    return ts_yaml_fail(d->y, node, TS_EINPUT, d->err,
                        "field '%s%s': a figure needs its source: write {value: ..., source: "
                        "\"...\"}",
                        d->prefix, key);
  char what[96];
  snprintf(what, sizeof what, "field '%s%s'", d->prefix, key);
  ts_status st = ts_yaml_check_keys(d->y, node, FIGURE_KEYS, what, d->err);
  if (st) return st;
  ts_ynode src = ts_yaml_get(d->y, node, "source");
  const char *src_text = ts_yaml_scalar(d->y, src);
  if (!src || !src_text || !*src_text)
    return ts_yaml_fail(d->y, node, TS_EINPUT, d->err, "field '%s%s': no source given", d->prefix,
                        key);
  *value_node = ts_yaml_get(d->y, node, "value");
  *value = ts_yaml_scalar(d->y, *value_node);
  if (*value_node && !*value)
    return ts_yaml_fail(d->y, *value_node, TS_EINPUT, d->err,
                        "field '%s%s': 'value' must be a single value", d->prefix, key);
  if (!*value)
    return ts_yaml_fail(d->y, node, TS_EINPUT, d->err, "field '%s%s': missing 'value'", d->prefix,
                        key);
  char field[96];
  snprintf(field, sizeof field, "%s%s", d->prefix, key);
  st = hw_desc_add_source(d->sources, d->n_sources, field, src_text, d->err);
  if (st) ts_err_prefix(d->err, "%s:%d", ts_yaml_name(d->y), ts_yaml_line(d->y, src));
  return st;
}

static bool in_bound(double v, hw_bound b) {
  switch (b) {
    case HW_ANY:
      return true;
    case HW_GE0:
      return v >= 0.0;
    case HW_GT0:
      return v > 0.0;
    case HW_FRAC:
      return v > 0.0 && v <= 1.0;
  }
  return false;
}

static const char *bound_text(hw_bound b) {
  switch (b) {
    case HW_ANY:
      return "a number";
    case HW_GE0:
      return ">= 0";
    case HW_GT0:
      return "> 0";
    case HW_FRAC:
      return "a fraction in (0, 1]";
  }
  return "?";
}

ts_status hw_desc_double(hw_desc *d, ts_ynode map, const char *key, bool required, hw_bound bound,
                         double scale, double *out, bool *present) {
  const char *text;
  ts_ynode node = 0;
  ts_status st = figure(d, map, key, required, &text, &node);
  if (present) *present = text != NULL;
  if (st || !text) return st;
  double v;
  if (!ts_parse_double(text, &v))
    return ts_yaml_fail(d->y, node, TS_EINPUT, d->err,
                        "field '%s%s': expected a finite number, got '%s'", d->prefix, key, text);
  if (!in_bound(v, bound))
    return ts_yaml_fail(d->y, node, TS_EINPUT, d->err, "field '%s%s': must be %s, got %s",
                        d->prefix, key, bound_text(bound), text);
  *out = v * scale;
  return TS_OK;
}

ts_status hw_desc_int(hw_desc *d, ts_ynode map, const char *key, bool required, long long min,
                      long long max, long long *out, bool *present) {
  const char *text;
  ts_ynode node = 0;
  ts_status st = figure(d, map, key, required, &text, &node);
  if (present) *present = text != NULL;
  if (st || !text) return st;
  long long v;
  if (!ts_parse_int64(text, &v))
    return ts_yaml_fail(d->y, node, TS_EINPUT, d->err,
                        "field '%s%s': expected a whole number, got '%s'", d->prefix, key, text);
  if (v < min || v > max)
    return ts_yaml_fail(d->y, node, TS_EINPUT, d->err,
                        "field '%s%s': must be between %lld and %lld, got %s", d->prefix, key, min,
                        max, text);
  *out = v;
  return TS_OK;
}

ts_status hw_desc_str(hw_desc *d, ts_ynode map, const char *key, bool required, char *buf,
                      size_t cap, bool *present) {
  const char *text;
  ts_ynode node = 0;
  ts_status st = figure(d, map, key, required, &text, &node);
  if (present) *present = text != NULL;
  if (st || !text) return st;
  if (strlen(text) >= cap)
    return ts_yaml_fail(d->y, node, TS_EINPUT, d->err, "field '%s%s': longer than %zu characters",
                        d->prefix, key, cap - 1);
  memcpy(buf, text, strlen(text) + 1);
  return TS_OK;
}

ts_status hw_desc_bool(hw_desc *d, ts_ynode map, const char *key, bool required, bool *out,
                       bool *present) {
  const char *text;
  ts_ynode node = 0;
  ts_status st = figure(d, map, key, required, &text, &node);
  if (present) *present = text != NULL;
  if (st || !text) return st;
  if (strcmp(text, "true") == 0)
    *out = true;
  else if (strcmp(text, "false") == 0)
    *out = false;
  else
    return ts_yaml_fail(d->y, node, TS_EINPUT, d->err,
                        "field '%s%s': expected true or false, got '%s'", d->prefix, key, text);
  return TS_OK;
}
