/* File input/output that every reader and writer shares: bounded whole-file reads and
 * whole-or-nothing writes (temporary file in the same folder, then rename). */
#ifndef TS_IO_H
#define TS_IO_H

#include <stdio.h>
#include <stddef.h>

#include "hw/base/ts_err.h"

/* Reads all of path (at most max_bytes, else an error naming the limit). *data is
 * NUL-terminated and owned by the caller (free()). */
ts_status ts_read_file(const char *path, size_t max_bytes, char **data, size_t *len, ts_err *err);

/* A file being written whole or not at all. */
typedef struct ts_afile {
  FILE *fp;
  char path[4096];
  char tmp_path[4096];
} ts_afile;

ts_status ts_afile_open(ts_afile *af, const char *path, ts_err *err);
/* Flushes, fsyncs and renames into place; on any failure removes the temp file (old file kept). */
ts_status ts_afile_commit(ts_afile *af, ts_err *err);
void ts_afile_abort(ts_afile *af);

ts_status ts_write_file_atomic(const char *path, const void *data, size_t len, ts_err *err);

/* Strict number parsing: the whole string must be the number; no NaN or infinity. */
int ts_parse_double(const char *text, double *out);
int ts_parse_int64(const char *text, long long *out);

#endif
