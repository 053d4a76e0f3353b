/* Inside hw/ only: reading descriptor files (chips, systems) and resolving catalog names.
 *
 * Every figure in a descriptor is a sourced value, `key: {value: X, source: "..."}`; the readers
 * here check the shape, the range and the source, convert the customary unit of the key to SI
 * and record the source under the field's name. Errors name file:line and the field. */
#ifndef HW_DESC_INT_H
#define HW_DESC_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "hw/base/ts_yaml.h"
#include "hw/hw.h"

/* Allowed range of a number. */
typedef enum {
  HW_ANY,  /* any finite number */
  HW_GE0,  /* >= 0 */
  HW_GT0,  /* > 0 */
  HW_FRAC, /* 0 < x <= 1 */
} hw_bound;

/* One descriptor being read: the document, where its sources go, the field-name prefix
 * ("scaleup.") of the mapping being read. */
typedef struct hw_desc {
  const ts_yaml *y;
  hw_source *sources;
  int *n_sources;
  const char *prefix;
  ts_err *err;
} hw_desc;

/* Sourced figures. required=false: an absent key leaves *out alone and sets *present false.
 * Doubles are multiplied by scale (customary unit -> SI) after the range check. */
ts_status hw_desc_double(hw_desc *d, ts_ynode map, const char *key, bool required, hw_bound bound,
                         double scale, double *out, bool *present);
ts_status hw_desc_int(hw_desc *d, ts_ynode map, const char *key, bool required, long long min,
                      long long max, long long *out, bool *present);
ts_status hw_desc_str(hw_desc *d, ts_ynode map, const char *key, bool required, char *buf,
                      size_t cap, bool *present);
ts_status hw_desc_bool(hw_desc *d, ts_ynode map, const char *key, bool required, bool *out,
                       bool *present);
/* Records a source that does not come from a file (the host system's nominal constants). */
ts_status hw_desc_add_source(hw_source *sources, int *n_sources, const char *field,
                             const char *text, ts_err *err);
/* The source recorded for field, or NULL. */
const char *hw_desc_find_source(const hw_source *sources, int n_sources, const char *field);

/* A catalog name: lower-case letters, digits, '.', '_', '-', starting with a letter or digit,
 * shorter than HW_NAME_MAX. Descriptor files must carry such a name. */
bool hw_catalog_valid_name(const char *name);
/* Catalog: is this a path rather than a name (contains '/' or ends in .yaml)? */
bool hw_catalog_is_path(const char *name_or_path);
/* Resolves a catalog name to its file; TS_ENOTFOUND with the closest names when it is not there.
 * what is "chip" or "system". */
ts_status hw_catalog_path(bool chips, const char *name, char *path, size_t cap, ts_err *err);
/* Opens the descriptor a chip or system name (or a path) names: *y is the document, path its
 * file, *expect_name the catalog name it must carry (NULL when given by path). */
ts_status hw_catalog_open(bool chips, const char *name_or_path, ts_yaml **y, char *path,
                          size_t cap, const char **expect_name, ts_err *err);

/* Parses a chip from an open document (the chip loader and tests share it). expect_name, when
 * non-NULL, is the catalog name the file must carry. */
ts_status hw_chip_parse(const ts_yaml *y, const char *expect_name, hw_chip *out, ts_err *err);
/* Parses a system; a chip given by path is resolved relative to the folder of base_path. */
ts_status hw_system_parse(const ts_yaml *y, const char *expect_name, const char *base_path,
                          hw_system *out, ts_err *err);

/* The host chip and system (host_system.c), built from an hwloc description. */
void hw_host_chip(const hw_host *host, hw_chip *out);

#endif
