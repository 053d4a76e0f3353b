/* libFuzzer target for the Chakra reader (traces/chakra/chakra_read.c): the input is one .et file
 * (varint-delimited GlobalMetadata + Node records, decoded by protobuf-c). Besides "no crash, no
 * leak, no undefined behaviour", an accepted file must report as many nodes as its records after
 * the first, and a rejected one must say why with a message. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "traces/chakra/chakra.h"

static void check(int ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "fuzz_chakra: invariant broken: %s\n", what);
    abort();
  }
}

/* Records in a stream whose lengths all fit (the reader's own framing, recomputed here). */
static long long count_records(const uint8_t *data, size_t size) {
  size_t pos = 0;
  long long n = 0;
  while (pos < size) {
    uint64_t len = 0;
    int shift = 0;
    for (;;) {
      if (pos >= size || shift >= 70) return -1;
      uint8_t b = data[pos++];
      len |= (uint64_t)(b & 0x7f) << shift;
      shift += 7;
      if (!(b & 0x80)) break;
    }
    if (len > size - pos) return -1;
    pos += (size_t)len;
    n++;
  }
  return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  chakra_et *et = NULL;
  ts_err err = {0};
  ts_status st = chakra_et_read_mem("fuzz.et", data, size, &et, &err);
  if (st == TS_OK) {
    check(et != NULL, "accepted input without a result");
    check((long long)chakra_et_node_count(et) + 1 == count_records(data, size),
          "node count differs from the records in the stream");
  } else {
    check(et == NULL, "rejected input with a result");
    check(err.msg[0] != '\0', "rejected input without a message");
  }
  chakra_et_free(et);
  return 0;
}
