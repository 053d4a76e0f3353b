/* Shared by the fuzz targets of the file readers (fuzz_descriptor, fuzz_model, fuzz_kernel_table,
 * fuzz_calibration, fuzz_plan): a harness abort with a reason, the "one-line message" rule every
 * reader's error must keep, and an unlinked temporary file, reached as /proc/self/fd/N, for readers
 * that only take a path (nothing is left behind when the fuzzer stops). Harness code: the static fd
 * is per process, not library state. */
#ifndef FUZZ_UTIL_H
#define FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hw/base/ts_err.h"

static inline void fuzz_check(int ok, const char *target, const char *what, const char *detail) {
  if (ok) return;
  fprintf(stderr, "%s: invariant broken: %s%s%s\n", target, what, detail ? ": " : "",
          detail ? detail : "");
  abort();
}

/* A rejected input: a status that is not OK, a message, and the message on one line. */
static inline void fuzz_check_rejected(const char *target, ts_status st, const ts_err *err) {
  fuzz_check(st != TS_OK, target, "fuzz_check_rejected called on success", NULL);
  fuzz_check(err->msg[0] != '\0', target, "rejected input without a message", NULL);
  fuzz_check(strchr(err->msg, '\n') == NULL && strchr(err->msg, '\r') == NULL, target,
             "error message spans lines", err->msg);
  fuzz_check(ts_status_exit_code(st) == 2 || st == TS_EIO || st == TS_ENOMEM, target,
             "bad input not reported as an input error", err->msg);
}

/* Writes data to the process's temporary file and returns its path ("/proc/self/fd/N"). */
static inline const char *fuzz_memfile(const uint8_t *data, size_t size) {
  static int fd = -1;
  static char path[64];
  if (fd < 0) {
    char tmp[] = "/dev/shm/trainsim-fuzz-XXXXXX"; /* tmpfs: far faster than a disk file */
    fd = mkstemp(tmp);
    if (fd < 0) {
      snprintf(tmp, sizeof tmp, "/tmp/trainsim-fuzz-XXXXXX");
      fd = mkstemp(tmp);
    }
    fuzz_check(fd >= 0, "fuzz", "mkstemp failed", NULL);
    unlink(tmp);
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  }
  fuzz_check(ftruncate(fd, 0) == 0, "fuzz", "ftruncate failed", NULL);
  size_t off = 0;
  while (off < size) {
    ssize_t w = pwrite(fd, data + off, size - off, (off_t)off);
    fuzz_check(w > 0, "fuzz", "pwrite failed", NULL);
    off += (size_t)w;
  }
  return path;
}

#endif
