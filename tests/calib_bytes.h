/* Calibration files built byte by byte from the layout documented at the top of sim/calib_file.c
 * and sim/calib_ops.c, independently of the writer, for test_calib.c and test_calib_ops.c: a
 * growing byte buffer, little-endian integers, doubles, length-prefixed strings, tagged sections,
 * the FIT body, the HOST and PNTS bodies of the documented example, and the compressed file around
 * a payload. */
#ifndef TESTS_CALIB_BYTES_H
#define TESTS_CALIB_BYTES_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <zlib.h>

#include <cmocka.h>

#include "sim/sim.h"

typedef struct bytes {
  unsigned char b[16384];
  size_t n;
} bytes;

/* v as n little-endian bytes. */
static inline void le(bytes *w, uint64_t v, int n) {
  for (int i = 0; i < n; i++) w->b[w->n++] = (unsigned char)(v >> (8 * i));
}

static inline void f64(bytes *w, double d) {
  uint64_t v;
  memcpy(&v, &d, 8);
  le(w, v, 8);
}

/* u16 length, then the bytes. */
static inline void str(bytes *w, const char *s) {
  le(w, strlen(s), 2);
  memcpy(w->b + w->n, s, strlen(s));
  w->n += strlen(s);
}

/* Four-byte tag, u32 length, then the body. */
static inline void section(bytes *w, const char *tag, const bytes *body) {
  memcpy(w->b + w->n, tag, 4);
  w->n += 4;
  le(w, body->n, 4);
  memcpy(w->b + w->n, body->b, body->n);
  w->n += body->n;
}

/* A FIT1/FITA body: units, tile 8 x 4 (m x n), SGEMM sgemm FLOP/s and DGEMM half of it, 10 GB/s, 1
 * us launch, 0.01 and 0.1 error. */
static inline void fit_body(bytes *w, int units, double sgemm) {
  le(w, (uint32_t)units, 4), le(w, 8, 4), le(w, 4, 4);
  f64(w, sgemm), f64(w, sgemm / 2), f64(w, 1e10), f64(w, 1e-6), f64(w, 0.01), f64(w, 0.1);
}

/* The HOST body of the example: fingerprint "fp-doc", CPU "Doc CPU", BLAS "blas", 4 cores. */
static inline void host_body(bytes *w) {
  str(w, "fp-doc"), str(w, "Doc CPU"), str(w, "blas"), le(w, 4, 4);
}

/* The PNTS body of the example: one SGEMM point on one core, 100 x 200 x 300, measured 0.3 ms
 * against 0.29 ms modelled. */
static inline void points_body(bytes *w) {
  le(w, 1, 4);
  le(w, KERN_CALIB_SGEMM, 1), le(w, KERN_CALIB_ONE_CORE, 1);
  le(w, 100, 8), le(w, 200, 8), le(w, 300, 8), f64(w, 3e-4), f64(w, 2.9e-4);
}

/* The file around payload p: magic, version, payload length, CRC-32, zlib-compressed payload. */
static inline void file_of(const bytes *p, uint32_t version, bytes *out) {
  memset(out, 0, sizeof *out);
  memcpy(out->b, "TSCALIB", 8);
  out->n = 8;
  le(out, version, 4);
  le(out, p->n, 4);
  le(out, crc32(0L, p->b, (uInt)p->n), 4);
  uLongf zlen = sizeof out->b - out->n;
  assert_int_equal(compress(out->b + out->n, &zlen, p->b, (uLong)p->n), Z_OK);
  out->n += zlen;
}

#endif
