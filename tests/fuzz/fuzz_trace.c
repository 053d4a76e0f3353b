/* libFuzzer target for the trace readers. The first input byte picks what the rest is:
 *   0: a whole .tst file, read as is (header, zlib, CRC and payload checks);
 *   1: a payload, wrapped here in a valid header with its CRC so the fuzzer reaches the payload
 *      decoder without having to forge CRCs;
 *   2: the text form.
 * Besides "no crash, no leak, no undefined behaviour", an accepted input must be a valid trace
 * whose re-encoding reads back to the same bytes (binary) or the same text (text form). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "traces/trace.h"

static void check(int ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "fuzz_trace: invariant broken: %s\n", what);
    abort();
  }
}

/* An accepted trace must validate and re-encode to bytes that read back to the same bytes. */
static void check_accepted(const trace *t) {
  ts_err err = {0};
  check(trace_validate(t, &err) == TS_OK, "accepted trace fails trace_validate");
  unsigned char *bin, *bin2;
  size_t len, len2;
  check(trace_write_mem(t, &bin, &len, &err) == TS_OK, "accepted trace cannot be written");
  trace *back = NULL;
  check(trace_read_mem("again", bin, len, &back, &err) == TS_OK, "written trace cannot be read");
  check(trace_write_mem(back, &bin2, &len2, &err) == TS_OK, "re-read trace cannot be written");
  check(len == len2 && memcmp(bin, bin2, len) == 0, "binary round trip differs");
  char *text = NULL;
  size_t tlen = 0;
  FILE *fp = open_memstream(&text, &tlen);
  check(fp && trace_write_text(back, fp, &err) == TS_OK, "accepted trace cannot be printed");
  fclose(fp);
  trace *from_text = NULL;
  check(trace_read_text("text", text, tlen, &from_text, &err) == TS_OK, "printed text cannot be read");
  unsigned char *bin3;
  size_t len3;
  check(trace_write_mem(from_text, &bin3, &len3, &err) == TS_OK, "text trace cannot be written");
  check(len == len3 && memcmp(bin, bin3, len) == 0, "binary -> text -> binary differs");
  free(bin);
  free(bin2);
  free(bin3);
  free(text);
  trace_free(back);
  trace_free(from_text);
}

static unsigned char *wrap_payload(const uint8_t *p, size_t n, size_t *len) {
  uLongf clen = compressBound((uLong)n);
  unsigned char *out = malloc(40 + clen);
  if (!out || compress2(out + 40, &clen, p, (uLong)n, 1) != Z_OK) {
    free(out);
    return NULL;
  }
  uint64_t crc = crc32(crc32(0, Z_NULL, 0), p, (uInt)n);
  const uint64_t fields[] = {1, 0, n, clen, crc, 0};
  const int widths[] = {4, 4, 8, 8, 4, 4};
  memcpy(out, "TSTRACE", 8);
  size_t off = 8;
  for (int f = 0; f < 6; f++)
    for (int i = 0; i < widths[f]; i++) out[off++] = (unsigned char)(fields[f] >> (8 * i));
  *len = 40 + clen;
  return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  int mode = data[0] % 3;
  data++;
  size--;
  trace *t = NULL;
  ts_err err = {0};
  ts_status st;
  if (mode == 0) {
    st = trace_read_mem("fuzz.tst", data, size, &t, &err);
  } else if (mode == 1) {
    size_t len;
    unsigned char *file = wrap_payload(data, size, &len);
    if (!file) return 0;
    st = trace_read_mem("fuzz.tst", file, len, &t, &err);
    free(file);
  } else {
    st = trace_read_text("fuzz.txt", (const char *)data, size, &t, &err);
  }
  if (st == TS_OK) check_accepted(t);
  else check(err.msg[0] != '\0' && t == NULL, "rejected input without a message");
  trace_free(t);
  return 0;
}
