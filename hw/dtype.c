/* Names and sizes of the data types and topology kinds: one table each, so names and values
 * cannot drift apart (data over code). */
#include "hw/hw.h"

#include <string.h>

static const struct {
  const char *name;
  double bytes;
} DTYPES[HW_DTYPE_COUNT] = {
    [HW_FP32] = {"fp32", 4.0}, [HW_FP16] = {"fp16", 2.0}, [HW_BF16] = {"bf16", 2.0},
    [HW_FP8] = {"fp8", 1.0},   [HW_FP4] = {"fp4", 0.5},
};

static const char *const TOPO_KINDS[HW_TOPO_KIND_COUNT] = {
    [HW_TOPO_SWITCH] = "switch", [HW_TOPO_SWITCH2] = "switch2", [HW_TOPO_RING] = "ring",
    [HW_TOPO_TORUS] = "torus",   [HW_TOPO_MESH] = "mesh",
};

const char *hw_dtype_name(hw_dtype dt) {
  if ((unsigned)dt >= HW_DTYPE_COUNT) return "?";
  return DTYPES[dt].name;
}

bool hw_dtype_parse(const char *text, hw_dtype *out) {
  if (!text) return false;
  for (int i = 0; i < HW_DTYPE_COUNT; i++)
    if (strcmp(text, DTYPES[i].name) == 0) {
      *out = (hw_dtype)i;
      return true;
    }
  return false;
}

double hw_dtype_bytes(hw_dtype dt) {
  if ((unsigned)dt >= HW_DTYPE_COUNT) return 0.0;
  return DTYPES[dt].bytes;
}

const char *hw_topo_kind_name(hw_topo_kind k) {
  if ((unsigned)k >= HW_TOPO_KIND_COUNT) return "?";
  return TOPO_KINDS[k];
}
