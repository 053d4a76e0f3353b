/* The host calibration file: what `trainsim calibrate` measured and fitted, keyed by the host's
 * fingerprint, written whole or not at all, read back with every length and value checked.
 *
 * Layout (all integers little-endian, doubles IEEE-754 binary64 little-endian):
 *   offset 0   8 bytes  magic "TSCALIB\0"
 *   offset 8   u32      format version (2; version 1 files are still read)
 *   offset 12  u32      payload length in bytes, uncompressed (at most 1 MiB)
 *   offset 16  u32      CRC-32 (zlib) of the uncompressed payload
 *   offset 20  ...      the payload as one zlib stream, to the end of the file
 * The payload is a sequence of sections: 4-byte ASCII tag, u32 body length, body. Readers skip
 * tags they do not know (later versions add sections, e.g. measured communication), and require
 * each of these exactly once:
 *   HOST  str fingerprint, str cpu_model, str blas config, i32 cores
 *         (str = u16 length + that many bytes, no NUL)
 *   FIT1  the one-core fit, FITA the all-core fit, each:
 *         i32 units, i32 tile_m, i32 tile_n, f64 sgemm_flops_per_s, f64 dgemm_flops_per_s,
 *         f64 mem_Bps, f64 launch_s, f64 median_error, f64 worst_error      (60 bytes)
 *   PNTS  u32 count (<= 256), then per point: u8 kind (0 sgemm, 1 dgemm, 2 saxpy), u8 scope
 *         (0 one core, 1 all cores), i64 m, i64 n, i64 k, f64 measured_s, f64 model_s (42 bytes)
 * and, from version 2 on, exactly once:
 *   KOPS  the executor's own kernels measured per op class and fitted (body: sim/calib_ops.c)
 * and optionally once:
 *   NETW  measured rank-to-rank communication and its fit (body: sim/calib_comm.c)
 * A version-1 file has no KOPS: the host then keeps the generic forms for those ops (rerun
 * `trainsim calibrate` to get them).
 * Errors name the byte offset: in the file for the header, in the decompressed payload after. */
#include "sim/sim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "hw/base/ts_io.h"
#include "sim/calib_int.h"

enum {
  CAL_VERSION = 2,
  CAL_OLDEST_VERSION = 1,
  CAL_HEADER_BYTES = 20,
  CAL_MAX_PAYLOAD = 1 << 20,
  CAL_MAX_FILE = 2 << 20,
  CAL_FIT_BYTES = 60,
  CAL_POINT_BYTES = 42,
  CAL_MAX_TILE = 1 << 20
};
static const unsigned char CAL_MAGIC[8] = {'T', 'S', 'C', 'A', 'L', 'I', 'B', 0};

/* ---- writing ----------------------------------------------------------------------------------
 */
typedef struct wbuf {
  unsigned char *p;
  size_t len, cap;
  bool oom;
} wbuf;

static void put(wbuf *w, const void *src, size_t n) {
  if (w->oom) return;
  if (w->len + n > w->cap) {
    size_t ncap = w->cap ? w->cap * 2 : 1024;
    while (ncap < w->len + n) ncap *= 2;
    unsigned char *np = realloc(w->p, ncap);
    if (!np) {
      w->oom = true;
      return;
    }
    w->p = np;
    w->cap = ncap;
  }
  memcpy(w->p + w->len, src, n);
  w->len += n;
}

static void put_u64(wbuf *w, uint64_t v, int bytes) {
  unsigned char b[8];
  for (int i = 0; i < bytes; i++) b[i] = (unsigned char)(v >> (8 * i));
  put(w, b, (size_t)bytes);
}
static void put_f64(wbuf *w, double d) {
  uint64_t v;
  memcpy(&v, &d, sizeof v);
  put_u64(w, v, 8);
}
static void put_str(wbuf *w, const char *s) {
  size_t n = strlen(s);
  put_u64(w, n, 2);
  put(w, s, n);
}
/* Starts a section; returns the offset of its length field, patched by end_section. */
static size_t begin_section(wbuf *w, const char tag[4]) {
  put(w, tag, 4);
  size_t at = w->len;
  put_u64(w, 0, 4);
  return at;
}
static void end_section(wbuf *w, size_t at) {
  if (w->oom) return;
  uint64_t body = w->len - at - 4;
  for (int i = 0; i < 4; i++) w->p[at + i] = (unsigned char)(body >> (8 * i));
}

static void put_fit(wbuf *w, const char tag[4], const kern_calib_fit *f) {
  size_t at = begin_section(w, tag);
  put_u64(w, (uint32_t)f->units, 4);
  put_u64(w, (uint32_t)f->tile_m, 4);
  put_u64(w, (uint32_t)f->tile_n, 4);
  const double d[6] = {f->sgemm_flops_per_s, f->dgemm_flops_per_s, f->mem_Bps,
                       f->launch_s,          f->median_error,      f->worst_error};
  for (int i = 0; i < 6; i++) put_f64(w, d[i]);
  end_section(w, at);
}

/* A version-1 calibration (read from an old file, no KOPS) is written back as version 1. */
static bool written_as_v1(const kern_calibration *c) {
  return c->version == 1 && !c->ops.present;
}

static void put_payload(wbuf *w, const kern_calibration *c) {
  size_t at = begin_section(w, "HOST");
  put_str(w, c->fingerprint);
  put_str(w, c->cpu_model);
  put_str(w, c->blas);
  put_u64(w, (uint32_t)c->cores, 4);
  end_section(w, at);
  put_fit(w, "FIT1", &c->fit[KERN_CALIB_ONE_CORE]);
  put_fit(w, "FITA", &c->fit[KERN_CALIB_ALL_CORES]);
  at = begin_section(w, "PNTS");
  put_u64(w, c->n_points, 4);
  for (uint32_t i = 0; i < c->n_points && i < KERN_CALIB_MAX_POINTS; i++) {
    const kern_calib_point *pt = &c->points[i];
    put(w, &pt->kind, 1);
    put(w, &pt->scope, 1);
    put_u64(w, (uint64_t)pt->m, 8);
    put_u64(w, (uint64_t)pt->n, 8);
    put_u64(w, (uint64_t)pt->k, 8);
    put_f64(w, pt->measured_s);
    put_f64(w, pt->model_s);
  }
  end_section(w, at);
  if (!written_as_v1(c)) { /* version 2 requires KOPS (empty when not measured) */
    unsigned char *body = NULL;
    size_t len = 0;
    if (kern_calib_ops_encode(&c->ops, &body, &len, NULL) != TS_OK) {
      w->oom = true;
      return;
    }
    at = begin_section(w, "KOPS");
    put(w, body, len);
    end_section(w, at);
    free(body);
  }
  if (c->comm.present) {
    unsigned char *body = NULL;
    size_t len = 0;
    if (kern_calib_comm_encode(&c->comm, &body, &len, NULL) != TS_OK) {
      w->oom = true;
      return;
    }
    at = begin_section(w, "NETW");
    put(w, body, len);
    end_section(w, at);
    free(body);
  }
}

ts_status kern_calibration_encode(const kern_calibration *c, unsigned char **data, size_t *len,
                                  ts_err *err) {
  *data = NULL;
  *len = 0;
  wbuf payload = {0};
  put_payload(&payload, c);
  if (payload.oom || payload.len > CAL_MAX_PAYLOAD) {
    free(payload.p);
    return ts_fail(err, TS_ENOMEM, "calibration: cannot build the payload");
  }
  uLongf zcap = compressBound((uLong)payload.len);
  unsigned char *out = malloc(CAL_HEADER_BYTES + zcap);
  if (!out) {
    free(payload.p);
    return ts_fail(err, TS_ENOMEM, "calibration: out of memory");
  }
  int zrc = compress2(out + CAL_HEADER_BYTES, &zcap, payload.p, (uLong)payload.len, 9);
  wbuf head = {0};
  put(&head, CAL_MAGIC, sizeof CAL_MAGIC);
  put_u64(&head, written_as_v1(c) ? 1 : CAL_VERSION, 4);
  put_u64(&head, payload.len, 4);
  put_u64(&head, crc32(0L, payload.p, (uInt)payload.len), 4);
  free(payload.p);
  if (zrc != Z_OK || head.oom) {
    free(out);
    free(head.p);
    return ts_fail(err, TS_ERUN, "calibration: zlib compression failed (%d)", zrc);
  }
  memcpy(out, head.p, CAL_HEADER_BYTES);
  free(head.p);
  *data = out;
  *len = CAL_HEADER_BYTES + zcap;
  return TS_OK;
}

ts_status kern_calibration_write(const kern_calibration *c, const char *path, ts_err *err) {
  unsigned char *data = NULL;
  size_t len = 0;
  ts_status st = kern_calibration_encode(c, &data, &len, err);
  if (st) return st;
  st = ts_write_file_atomic(path, data, len, err);
  free(data);
  return st;
}

/* ---- reading ----------------------------------------------------------------------------------
 */
typedef struct rbuf {
  const unsigned char *p;
  size_t len, off;
  const char *name;
  const char *where; /* "offset" or "payload offset" */
  const char *scope; /* what a truncated read runs past the end of: "the payload", a section */
  ts_err *err;
  ts_status st;
} rbuf;

static bool bad(rbuf *r, size_t at, const char *fmt, const char *detail) {
  if (r->st) return false;
  char msg[256];
  snprintf(msg, sizeof msg, fmt, detail);
  r->st = ts_fail(r->err, TS_EINPUT, "%s: %s %zu: %s", r->name, r->where, at, msg);
  return false;
}

static bool need(rbuf *r, size_t n, const char *what) {
  if (r->st) return false;
  if (r->len - r->off < n) {
    char detail[160];
    snprintf(detail, sizeof detail, "%s runs past the end of %s", what,
             r->scope ? r->scope : "the data");
    return bad(r, r->off, "truncated: %s", detail);
  }
  return true;
}

static uint64_t get_u(rbuf *r, int bytes, const char *what) {
  if (!need(r, (size_t)bytes, what)) return 0;
  uint64_t v = 0;
  for (int i = 0; i < bytes; i++) v |= (uint64_t)r->p[r->off + i] << (8 * i);
  r->off += (size_t)bytes;
  return v;
}

static double get_f64(rbuf *r, const char *what) {
  uint64_t v = get_u(r, 8, what);
  double d;
  memcpy(&d, &v, sizeof d);
  return d;
}

static void get_str(rbuf *r, char *dst, size_t cap, const char *what) {
  size_t at = r->off;
  size_t n = (size_t)get_u(r, 2, what);
  if (r->st) return;
  if (n >= cap) {
    bad(r, at, "%s is longer than its field", what);
    return;
  }
  if (!need(r, n, what)) return;
  memcpy(dst, r->p + r->off, n);
  dst[n] = '\0';
  if (memchr(dst, '\0', n)) bad(r, at, "%s contains a NUL byte", what);
  for (size_t i = 0; i < n && !r->st; i++) /* messages quote these strings: one line each */
    if ((unsigned char)dst[i] < 0x20 || dst[i] == 0x7f)
      bad(r, at, "%s contains a control character", what);
  r->off += n;
}

/* A double at offset `at` that must be finite and >= lo (strictly > lo when strict). */
static double get_num(rbuf *r, const char *what, double lo, bool strict) {
  size_t at = r->off;
  double d = get_f64(r, what);
  if (!r->st && (!isfinite(d) || d < lo || (strict && d == lo)))
    bad(r, at, strict ? "%s must be finite and positive" : "%s must be finite and >= 0", what);
  return d;
}

static int32_t get_count(rbuf *r, const char *what, int64_t lo, int64_t hi) {
  size_t at = r->off;
  int64_t v = (int32_t)(uint32_t)get_u(r, 4, what);
  if (!r->st && (v < lo || v > hi)) bad(r, at, "%s out of range", what);
  return (int32_t)v;
}

static void get_fit(rbuf *r, kern_calib_fit *f) {
  f->units = get_count(r, "fit units", 1, 1 << 20);
  f->tile_m = get_count(r, "fit tile_m", 1, CAL_MAX_TILE);
  f->tile_n = get_count(r, "fit tile_n", 1, CAL_MAX_TILE);
  f->sgemm_flops_per_s = get_num(r, "sgemm FLOP/s", 0.0, true);
  f->dgemm_flops_per_s = get_num(r, "dgemm FLOP/s", 0.0, false);
  f->mem_Bps = get_num(r, "memory bandwidth", 0.0, true);
  f->launch_s = get_num(r, "launch time", 0.0, false);
  f->median_error = get_num(r, "median error", 0.0, false);
  f->worst_error = get_num(r, "worst error", 0.0, false);
}

static void get_point(rbuf *r, kern_calib_point *pt) {
  size_t at = r->off;
  pt->kind = (uint8_t)get_u(r, 1, "point kind");
  pt->scope = (uint8_t)get_u(r, 1, "point scope");
  if (!r->st && (pt->kind >= KERN_CALIB_KIND_COUNT || pt->scope >= KERN_CALIB_SCOPE_COUNT))
    bad(r, at, "%s", "point kind or scope out of range");
  int64_t *dims[3] = {&pt->m, &pt->n, &pt->k};
  for (int i = 0; i < 3; i++) {
    size_t dat = r->off;
    *dims[i] = (int64_t)get_u(r, 8, "point shape");
    if (!r->st && *dims[i] < 1) bad(r, dat, "%s", "point shape must be >= 1");
  }
  pt->measured_s = get_num(r, "measured time", 0.0, true);
  pt->model_s = get_num(r, "model time", 0.0, false);
}

enum { SEC_HOST, SEC_FIT1, SEC_FITA, SEC_PNTS, SEC_COUNT };
static const char SEC_TAGS[SEC_COUNT][5] = {"HOST", "FIT1", "FITA", "PNTS"};

static void get_section(rbuf *r, int sec, kern_calibration *c) {
  if (sec == SEC_HOST) {
    get_str(r, c->fingerprint, sizeof c->fingerprint, "fingerprint");
    get_str(r, c->cpu_model, sizeof c->cpu_model, "cpu model");
    get_str(r, c->blas, sizeof c->blas, "blas config");
    c->cores = get_count(r, "cores", 1, 1 << 20);
  } else if (sec == SEC_FIT1 || sec == SEC_FITA) {
    get_fit(r, &c->fit[sec == SEC_FIT1 ? KERN_CALIB_ONE_CORE : KERN_CALIB_ALL_CORES]);
  } else {
    c->n_points = (uint32_t)get_count(r, "point count", 0, KERN_CALIB_MAX_POINTS);
    for (uint32_t i = 0; i < c->n_points && !r->st; i++) get_point(r, &c->points[i]);
  }
}

static ts_status decode_payload(rbuf *r, uint32_t version, kern_calibration *c) {
  bool seen[SEC_COUNT] = {false};
  while (r->off < r->len && !r->st) {
    size_t at = r->off;
    char tag[5] = {0};
    if (!need(r, 8, "section header")) break;
    memcpy(tag, r->p + r->off, 4);
    r->off += 4;
    char shown[5]; /* the tag as messages quote it: one line, printable */
    for (int i = 0; i < 5; i++)
      shown[i] = tag[i] && (tag[i] < 0x20 || tag[i] > 0x7e) ? '?' : tag[i];
    size_t body = (size_t)get_u(r, 4, "section length");
    if (body > r->len - r->off) return bad(r, at, "section '%.4s' runs past the end", shown), r->st;
    int sec = -1;
    for (int i = 0; i < SEC_COUNT; i++)
      if (memcmp(tag, SEC_TAGS[i], 4) == 0) sec = i;
    if (memcmp(tag, "KOPS", 4) == 0 && version >= 2) { /* the executor's kernels */
      if (c->ops.present) return bad(r, at, "section '%.4s' appears twice", tag), r->st;
      r->st = kern_calib_ops_decode(r->p + r->off, body, r->name, r->off, &c->ops, r->err);
      r->off += body;
      continue;
    }
    if (memcmp(tag, "NETW", 4) == 0) { /* optional: measured communication */
      if (c->comm.present) return bad(r, at, "section '%.4s' appears twice", tag), r->st;
      r->st = kern_calib_comm_decode(r->p + r->off, body, r->name, r->off, &c->comm, r->err);
      r->off += body;
      continue;
    }
    if (sec < 0) { /* a later version's section: skip it */
      r->off += body;
      continue;
    }
    if (seen[sec]) return bad(r, at, "section '%.4s' appears twice", shown), r->st;
    seen[sec] = true;
    size_t start = r->off, payload_len = r->len;
    r->len = start + body; /* a section's fields never read into the next section */
    char scope[32];
    snprintf(scope, sizeof scope, "section '%s'", SEC_TAGS[sec]);
    r->scope = scope;
    get_section(r, sec, c);
    r->len = payload_len;
    r->scope = "the payload";
    if (!r->st && r->off - start != body)
      return bad(r, at, "section '%.4s' length does not match its contents", shown), r->st;
  }
  for (int i = 0; i < SEC_COUNT && !r->st; i++)
    if (!seen[i]) bad(r, r->len, "section '%s' is missing", SEC_TAGS[i]);
  if (!r->st && version >= 2 && !c->ops.present)
    bad(r, r->len, "%s", "section 'KOPS' is missing (required from version 2 on)");
  return r->st;
}

static ts_status check_header(rbuf *h, uint32_t *version_out, uint32_t *plen, uint32_t *crc) {
  if (h->len < CAL_HEADER_BYTES)
    return bad(h, 0, "%s", "too short for the header (20 bytes)"), h->st;
  if (memcmp(h->p, CAL_MAGIC, sizeof CAL_MAGIC) != 0)
    return bad(h, 0, "%s", "not a trainsim calibration file (bad magic)"), h->st;
  h->off = 8;
  uint32_t version = (uint32_t)get_u(h, 4, "version");
  if (version < CAL_OLDEST_VERSION || version > CAL_VERSION) {
    char v[32];
    snprintf(v, sizeof v, "%u", version);
    return bad(h, 8, "version %s not supported (expected 1 or 2)", v), h->st;
  }
  *version_out = version;
  *plen = (uint32_t)get_u(h, 4, "payload length");
  if (*plen > CAL_MAX_PAYLOAD)
    return bad(h, 12, "%s", "payload length over the 1 MiB limit"), h->st;
  *crc = (uint32_t)get_u(h, 4, "crc");
  return TS_OK;
}

ts_status kern_calibration_decode(const char *name, const unsigned char *data, size_t len,
                                  kern_calibration *out, ts_err *err) {
  memset(out, 0, sizeof *out);
  rbuf h = {
      .p = data, .len = len, .name = name, .where = "offset", .scope = "the header", .err = err};
  uint32_t version = 0, plen = 0, crc = 0;
  if (check_header(&h, &version, &plen, &crc)) return h.st;
  /* One byte more than the header promises, so that a longer payload is told apart from a
   * truncated stream (both end in Z_BUF_ERROR when the buffer is exactly full). */
  unsigned char *payload = malloc((size_t)plen + 1);
  if (!payload) return ts_fail(err, TS_ENOMEM, "%s: out of memory", name);
  uLongf got = (uLongf)plen + 1;
  int zrc = uncompress(payload, &got, data + CAL_HEADER_BYTES, (uLong)(len - CAL_HEADER_BYTES));
  bool longer = (zrc == Z_OK || zrc == Z_BUF_ERROR) && got > plen;
  if (zrc != Z_OK || got != plen || crc32(0L, payload, (uInt)plen) != crc) {
    free(payload);
    return bad(&h, CAL_HEADER_BYTES, "%s",
               longer        ? "payload is longer than the header's payload length"
               : zrc != Z_OK ? "compressed payload is corrupt or truncated"
               : got != plen ? "payload is shorter than the header's payload length"
                             : "payload CRC does not match the header"),
           h.st;
  }
  rbuf r = {.p = payload,
            .len = plen,
            .name = name,
            .where = "payload offset",
            .scope = "the payload",
            .err = err};
  ts_status st = decode_payload(&r, version, out);
  free(payload);
  out->version = version;
  return st;
}

ts_status kern_calibration_read(const char *path, kern_calibration *out, ts_err *err) {
  char *data = NULL;
  size_t len = 0;
  ts_status st = ts_read_file(path, CAL_MAX_FILE, &data, &len, err);
  if (st) return st;
  st = kern_calibration_decode(path, (const unsigned char *)data, len, out, err);
  free(data);
  return st;
}
