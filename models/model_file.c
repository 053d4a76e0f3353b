/* Zoo files: one model per YAML file, the same keys as the inline form plus `name` and `source`
 * (required: where the figures come from) and `notes`. Every error names file:line. */
#include <stdio.h>
#include <string.h>

#include "hw/base/ts_yaml.h"
#include "models/models_int.h"

static ts_status read_fields(const ts_yaml *y, ts_ynode root, model *out, ts_err *err) {
  bool present[MODEL_FIELD_MAX] = {false};
  bool has_name = false, has_source = false;
  char msg[512];
  const char *key;
  ts_ynode value;
  for (size_t i = 0; ts_yaml_map_pair(y, root, i, &key, &value); i++) {
    const char *text = ts_yaml_scalar(y, value);
    if (!text)
      return ts_yaml_fail(y, value, TS_EINPUT, err, "field '%s': expected a single value", key);
    int slot = -1;
    if (!model_field_set(out, key, text, &slot, msg, sizeof msg))
      return ts_yaml_fail(y, value, TS_EINPUT, err, "%s", msg);
    if (slot >= 0) present[slot] = true;
    has_name = has_name || strcmp(key, "name") == 0;
    has_source = has_source || strcmp(key, "source") == 0;
  }
  if (!has_name) return ts_yaml_fail(y, root, TS_EINPUT, err, "missing required field 'name'");
  if (!has_source || !out->source[0])
    return ts_yaml_fail(y, root, TS_EINPUT, err,
                        "missing required field 'source' (cite the figures)");
  if (!model_field_finish(out, present, msg, sizeof msg))
    return ts_yaml_fail(y, root, TS_EINPUT, err, "%s", msg);
  return TS_OK;
}

ts_status model_load_file(const char *path, model *out, ts_err *err) {
  memset(out, 0, sizeof *out);
  ts_yaml *y = NULL;
  ts_status st = ts_yaml_load_file(path, &y, err);
  if (st != TS_OK) return st;
  ts_ynode root = ts_yaml_root(y);
  st = ts_yaml_check_keys(y, root, MODEL_FILE_KEYS, "model", err);
  if (st == TS_OK) st = read_fields(y, root, out, err);
  ts_yaml_free(y);
  return st;
}
