/* calib_rd: the little-endian writers and the bounds-checked reader that the calibration file's
 * optional sections share (NETW: communication, KOPS: the executor's kernels). The reader keeps
 * the first error and later reads return 0, so a section reader can read everything and check
 * r.st once. */
#include <math.h>
#include <string.h>

#include "sim/calib_int.h"

bool calib_rd_bad(calib_rd *r, size_t at, const char *what) {
  if (!r->st)
    r->st = ts_fail(r->err, TS_EINPUT, "%s: payload offset %zu: section %s: %s", r->name,
                    r->base + at, r->section, what);
  return false;
}

uint64_t calib_rd_u(calib_rd *r, int bytes) {
  if (r->st) return 0;
  if (r->len - r->off < (size_t)bytes) return calib_rd_bad(r, r->off, "truncated"), 0;
  uint64_t v = 0;
  for (int i = 0; i < bytes; i++) v |= (uint64_t)r->p[r->off + i] << (8 * i);
  r->off += (size_t)bytes;
  return v;
}

double calib_rd_num(calib_rd *r, const char *what, bool positive) {
  size_t at = r->off;
  uint64_t v = calib_rd_u(r, 8);
  double d;
  memcpy(&d, &v, sizeof d);
  if (!r->st && (!isfinite(d) || d < 0.0 || (positive && d == 0.0))) calib_rd_bad(r, at, what);
  return d;
}

void calib_put_le(unsigned char **w, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; i++) *(*w)++ = (unsigned char)(v >> (8 * i));
}

void calib_put_f64(unsigned char **w, double d) {
  uint64_t v;
  memcpy(&v, &d, sizeof v);
  calib_put_le(w, v, 8);
}
