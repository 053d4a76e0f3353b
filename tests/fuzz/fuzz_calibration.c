/* libFuzzer target for the calibration file (sim/calib_file.c, kern_calibration_decode). The
 * first input byte picks what the rest is:
 *   even: a whole calibration file, decoded as is (magic, version, length, zlib, CRC, sections);
 *   odd:  a payload (the sections), wrapped here in a valid header with its CRC so the fuzzer
 *         reaches the section decoder without forging CRCs; bit 1 of that byte picks format
 *         version 2 (section KOPS required, sim/calib_ops.c) over version 1.
 * Besides "no crash, no leak, no undefined behaviour": a rejected file gets a one-line message;
 * an accepted one re-encodes to bytes that decode to the same record and encode the same again. */
#include <stdbool.h>
#include <zlib.h>

#include "fuzz_util.h"
#include "sim/sim.h"

static const char T[] = "fuzz_calibration";

static unsigned char *wrap_payload(const uint8_t *p, size_t n, uint32_t version, size_t *len) {
  if (n > (1u << 20)) return NULL;
  uLongf clen = compressBound((uLong)n);
  unsigned char *out = malloc(20 + clen);
  if (!out || compress2(out + 20, &clen, p, (uLong)n, 1) != Z_OK) {
    free(out);
    return NULL;
  }
  const uint32_t fields[3] = {version, (uint32_t)n, (uint32_t)crc32(0L, p, (uInt)n)};
  memcpy(out, "TSCALIB", 8);
  for (int f = 0; f < 3; f++)
    for (int i = 0; i < 4; i++) out[8 + 4 * f + i] = (unsigned char)(fields[f] >> (8 * i));
  *len = 20 + clen;
  return out;
}

static void check_accepted(const kern_calibration *c) {
  static kern_calibration again;
  unsigned char *a = NULL, *b = NULL;
  size_t alen = 0, blen = 0;
  ts_err err = {0};
  fuzz_check(c->n_points <= KERN_CALIB_MAX_POINTS, T, "point count", NULL);
  fuzz_check(c->ops.n_points <= KERN_OPS_MAX_POINTS, T, "executor op point count", NULL);
  fuzz_check(kern_calibration_encode(c, &a, &alen, &err) == TS_OK, T, "cannot encode", err.msg);
  fuzz_check(kern_calibration_decode("again", a, alen, &again, &err) == TS_OK, T,
             "encoded record does not decode", err.msg);
  fuzz_check(kern_calibration_encode(&again, &b, &blen, &err) == TS_OK, T, "cannot re-encode",
             err.msg);
  fuzz_check(alen == blen && memcmp(a, b, alen) == 0, T, "encode/decode round trip differs", NULL);
  free(a);
  free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  bool wrap = data[0] & 1;
  uint32_t version = data[0] & 2 ? 2 : 1;
  data++;
  size--;
  static kern_calibration c; /* about 20 KB */
  ts_err err = {0};
  ts_status st;
  if (wrap) {
    size_t len = 0;
    unsigned char *file = wrap_payload(data, size, version, &len);
    if (!file) return 0;
    st = kern_calibration_decode("fuzz.bin", file, len, &c, &err);
    free(file);
  } else {
    st = kern_calibration_decode("fuzz.bin", data, size, &c, &err);
  }
  if (st == TS_OK)
    check_accepted(&c);
  else
    fuzz_check_rejected(T, st, &err);
  return 0;
}
