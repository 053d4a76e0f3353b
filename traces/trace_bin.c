/* The .tst container (traces/FORMAT.md): a fixed 40-byte little-endian header — magic, format
 * version, flags, payload and compressed lengths, CRC32 of the payload — followed by exactly one
 * zlib stream (RFC 1950) of the payload. Writing is deterministic (fixed zlib level and
 * parameters, no timestamps) and whole or nothing; reading checks the header against the file's
 * real size, inflates incrementally up to the promised length (memory grows with the data that
 * actually arrives, never with what a header claims) and checks the CRC before the payload is
 * decoded. Errors name the byte offset in the file and the reason. */
#include "traces/trace.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "hw/base/ts_io.h"
#include "traces/trace_int.h"

static const unsigned char MAGIC[8] = {'T', 'S', 'T', 'R', 'A', 'C', 'E', '\0'};
enum { ZLIB_LEVEL = 6, FIRST_CHUNK = 1 << 20 };
/* Largest payload a reader accepts; also the largest file. zlib expands at most ~1032:1. */
static const uint64_t MAX_PAYLOAD = (uint64_t)1 << 32;
static const uint64_t ZLIB_MAX_RATIO = 1032;

static void le_put(unsigned char *p, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static uint64_t le_get(const unsigned char *p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; i++) v |= (uint64_t)p[i] << (8 * i);
  return v;
}

/* ---- writer ---------------------------------------------------------------------------------- */
static ts_status deflate_all(const unsigned char *in, size_t in_len, unsigned char *out,
                             size_t *out_len, ts_err *err) {
  z_stream zs;
  memset(&zs, 0, sizeof zs);
  if (deflateInit2(&zs, ZLIB_LEVEL, Z_DEFLATED, 15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return ts_fail(err, TS_ENOMEM, "cannot start zlib compression");
  int rc = Z_OK;
  size_t in_done = 0, out_done = 0;
  /* zlib counts in uInt: feed at most 1 GiB per call so payloads over 4 GiB are not truncated. */
  while (rc == Z_OK) {
    size_t in_chunk = in_len - in_done > (1u << 30) ? (1u << 30) : in_len - in_done;
    size_t out_chunk = *out_len - out_done > (1u << 30) ? (1u << 30) : *out_len - out_done;
    zs.next_in = (Bytef *)(in + in_done);
    zs.avail_in = (uInt)in_chunk;
    zs.next_out = out + out_done;
    zs.avail_out = (uInt)out_chunk;
    rc = deflate(&zs, in_done + in_chunk == in_len ? Z_FINISH : Z_NO_FLUSH);
    in_done += in_chunk - zs.avail_in;
    out_done += out_chunk - zs.avail_out;
    if (rc == Z_BUF_ERROR && out_done < *out_len) rc = Z_OK;
  }
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return ts_fail(err, TS_ERUN, "zlib compression failed (%d)", rc);
  *out_len = out_done;
  return TS_OK;
}

ts_status trace_write_mem(const trace *t, unsigned char **data, size_t *len, ts_err *err) {
  *data = NULL;
  *len = 0;
  unsigned char *payload;
  size_t plen;
  ts_status st = trace_payload_encode(t, &payload, &plen, err);
  if (st) return st;
  if (plen > MAX_PAYLOAD) {
    free(payload);
    return ts_fail(err, TS_EINPUT, "trace payload of %zu bytes exceeds the format's limit of %llu",
                   plen, (unsigned long long)MAX_PAYLOAD);
  }
  size_t cap = (size_t)deflateBound(NULL, (uLong)plen) + plen / 1000 + 64;
  unsigned char *out = malloc(TRACE_HEADER_BYTES + cap);
  if (!out) {
    free(payload);
    return ts_fail(err, TS_ENOMEM, "out of memory compressing the trace");
  }
  size_t clen = cap;
  st = deflate_all(payload, plen, out + TRACE_HEADER_BYTES, &clen, err);
  uLong crc = crc32(0L, Z_NULL, 0);
  for (size_t done = 0; done < plen;) {
    size_t chunk = plen - done > (1u << 30) ? (1u << 30) : plen - done;
    crc = crc32(crc, payload + done, (uInt)chunk);
    done += chunk;
  }
  free(payload);
  if (st) {
    free(out);
    return st;
  }
  memcpy(out, MAGIC, sizeof MAGIC);
  le_put(out + 8, trace_format_version_needed(t), 4);
  le_put(out + 12, 0, 4);
  le_put(out + 16, plen, 8);
  le_put(out + 24, clen, 8);
  le_put(out + 32, crc, 4);
  le_put(out + 36, 0, 4);
  *data = out;
  *len = TRACE_HEADER_BYTES + clen;
  return TS_OK;
}

ts_status trace_write_file(const trace *t, const char *path, ts_err *err) {
  unsigned char *data;
  size_t len;
  ts_status st = trace_write_mem(t, &data, &len, err);
  if (st) {
    ts_err_prefix(err, "%s", path);
    return st;
  }
  ts_afile af;
  st = ts_afile_open(&af, path, err);
  if (!st) {
    if (fwrite(data, 1, len, af.fp) != len) {
      ts_afile_abort(&af);
      st = ts_fail(err, TS_EIO, "%s: write failed (old file left untouched)", path);
    } else {
      st = ts_afile_commit(&af, err);
    }
  }
  free(data);
  return st;
}

/* ---- reader ---------------------------------------------------------------------------------- */
static ts_status at(ts_err *err, const char *name, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static ts_status at(ts_err *err, const char *name, uint64_t off, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return ts_fail(err, TS_EINPUT, "%s: offset %llu: %s", name, (unsigned long long)off, msg);
}

typedef struct tst_header {
  uint32_t version, flags, crc, reserved;
  uint64_t payload_len, compressed_len;
} tst_header;

static ts_status check_header(const char *name, const unsigned char *d, size_t len, tst_header *h,
                              ts_err *err) {
  if (len == 0) return at(err, name, 0, "empty file (a trace starts with a 40-byte header)");
  if (len < TRACE_HEADER_BYTES && memcmp(d, MAGIC, len < 8 ? len : 8) == 0)
    return at(err, name, len, "truncated header: %zu of 40 bytes", len);
  if (len < 8 || memcmp(d, MAGIC, 8) != 0)
    return at(err, name, 0, "bad magic: not a trainsim trace (expected \"TSTRACE\\0\")");
  h->version = (uint32_t)le_get(d + 8, 4);
  h->flags = (uint32_t)le_get(d + 12, 4);
  h->payload_len = le_get(d + 16, 8);
  h->compressed_len = le_get(d + 24, 8);
  h->crc = (uint32_t)le_get(d + 32, 4);
  h->reserved = (uint32_t)le_get(d + 36, 4);
  if (h->version > TRACE_FORMAT_VERSION)
    return at(err, name, 8, "format version %u is newer than this trainsim (%d)", h->version,
              TRACE_FORMAT_VERSION);
  if (h->version < 1) return at(err, name, 8, "format version 0 is not valid");
  if (h->flags != 0) return at(err, name, 12, "unknown flags 0x%x (expected 0)", h->flags);
  if (h->reserved != 0) return at(err, name, 36, "reserved field 0x%x (expected 0)", h->reserved);
  if (h->payload_len > MAX_PAYLOAD)
    return at(err, name, 16, "payload length %llu exceeds the limit of %llu bytes",
              (unsigned long long)h->payload_len, (unsigned long long)MAX_PAYLOAD);
  uint64_t body = len - TRACE_HEADER_BYTES;
  if (h->compressed_len > body)
    return at(err, name, 24, "compressed length %llu but only %llu bytes follow the header "
              "(truncated file)", (unsigned long long)h->compressed_len, (unsigned long long)body);
  if (h->compressed_len < body)
    return at(err, name, TRACE_HEADER_BYTES + h->compressed_len,
              "%llu bytes of trailing garbage after the compressed payload",
              (unsigned long long)(body - h->compressed_len));
  if (h->payload_len > h->compressed_len * ZLIB_MAX_RATIO + 64)
    return at(err, name, 16, "payload length %llu cannot come from %llu compressed bytes",
              (unsigned long long)h->payload_len, (unsigned long long)h->compressed_len);
  return TS_OK;
}

/* Inflates the body into a buffer that grows with the output, never past payload_len. */
static ts_status inflate_body(const char *name, const unsigned char *in, const tst_header *h,
                              unsigned char **out, ts_err *err) {
  size_t want = (size_t)h->payload_len;
  size_t cap = want < FIRST_CHUNK ? want : FIRST_CHUNK;
  unsigned char *buf = malloc(cap ? cap : 1);
  z_stream zs;
  memset(&zs, 0, sizeof zs);
  if (!buf || inflateInit(&zs) != Z_OK) {
    free(buf);
    return ts_fail(err, TS_ENOMEM, "%s: out of memory inflating the trace", name);
  }
  size_t in_done = 0, out_done = 0, clen = (size_t)h->compressed_len;
  int rc = Z_OK;
  ts_status st = TS_OK;
  for (;;) {
    if (out_done == cap && cap < want) {
      size_t ncap = cap * 2 < want ? cap * 2 : want;
      unsigned char *nb = realloc(buf, ncap);
      if (!nb) {
        st = ts_fail(err, TS_ENOMEM, "%s: out of memory inflating the trace", name);
        break;
      }
      buf = nb;
      cap = ncap;
    }
    size_t in_chunk = clen - in_done > (1u << 30) ? (1u << 30) : clen - in_done;
    size_t out_room = cap - out_done;
    /* One spare byte of output space detects a stream longer than the header promised. */
    unsigned char spare;
    bool use_spare = out_room == 0;
    zs.next_in = (Bytef *)(in + in_done);
    zs.avail_in = (uInt)in_chunk;
    zs.next_out = use_spare ? &spare : buf + out_done;
    zs.avail_out = use_spare ? 1 : (uInt)(out_room > (1u << 30) ? (1u << 30) : out_room);
    uInt avail_out = zs.avail_out;
    rc = inflate(&zs, Z_NO_FLUSH);
    in_done += in_chunk - zs.avail_in;
    size_t produced = avail_out - zs.avail_out;
    if (use_spare && produced) {
      st = at(err, name, TRACE_HEADER_BYTES + in_done,
              "compressed data inflates to more than the %zu bytes the header gives", want);
      break;
    }
    out_done += produced;
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      st = at(err, name, TRACE_HEADER_BYTES + in_done, "corrupt compressed data (zlib: %s)",
              zs.msg ? zs.msg : "error");
      break;
    }
    if (in_done == clen && produced == 0) {
      st = at(err, name, TRACE_HEADER_BYTES + in_done,
              "compressed data ends early (truncated zlib stream)");
      break;
    }
  }
  if (!st && out_done != want)
    st = at(err, name, 16, "payload is %zu bytes, the header says %zu", out_done, want);
  if (!st && in_done != clen)
    st = at(err, name, TRACE_HEADER_BYTES + in_done,
            "%zu bytes after the end of the zlib stream", clen - in_done);
  inflateEnd(&zs);
  if (st) {
    free(buf);
    return st;
  }
  *out = buf;
  return TS_OK;
}

ts_status trace_read_mem(const char *name, const unsigned char *data, size_t len, trace **out,
                         ts_err *err) {
  *out = NULL;
  tst_header h = {0};
  ts_status st = check_header(name, data, len, &h, err);
  if (st) return st;
  unsigned char *payload = NULL;
  st = inflate_body(name, data + TRACE_HEADER_BYTES, &h, &payload, err);
  if (st) return st;
  uLong crc = crc32(0L, Z_NULL, 0);
  for (size_t done = 0; done < h.payload_len;) {
    size_t chunk = h.payload_len - done > (1u << 30) ? (1u << 30) : h.payload_len - done;
    crc = crc32(crc, payload + done, (uInt)chunk);
    done += chunk;
  }
  if ((uint32_t)crc != h.crc)
    st = at(err, name, 32, "payload CRC32 0x%08x does not match the header's 0x%08x",
            (unsigned)crc, h.crc);
  if (!st) st = trace_payload_decode(name, h.version, payload, (size_t)h.payload_len, out, err);
  free(payload);
  return st;
}

ts_status trace_read_file(const char *path, trace **out, ts_err *err) {
  *out = NULL;
  char *data;
  size_t len;
  ts_status st = ts_read_file(path, (size_t)MAX_PAYLOAD + TRACE_HEADER_BYTES, &data, &len, err);
  if (st) return st;
  st = trace_read_mem(path, (const unsigned char *)data, len, out, err);
  free(data);
  return st;
}
