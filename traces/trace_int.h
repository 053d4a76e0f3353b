/* Internals shared by the files of traces/ (trace.c, trace_bin.c, trace_text.c); no other folder
 * includes this. */
#ifndef TRACES_TRACE_INT_H
#define TRACES_TRACE_INT_H

#include "traces/trace.h"

/* Grows class cls's arrays to hold at least n_ops ops and n_deps deps (readers know the counts up
 * front, so they allocate once). False on allocation failure or a limit exceeded. */
bool trace_class_reserve(trace *t, uint32_t cls, uint32_t n_ops, uint32_t n_deps);

/* Copies text into a fixed-size field; false when it does not fit (with its NUL). */
bool trace_copy_name(char *dst, size_t cap, const char *src);

/* Where trace_check found a problem, so readers can name a byte offset or a line: indices of the
 * communicator, class and op involved, -1 where not applicable (all -1: the header fields). */
typedef struct trace_where {
  int64_t comm, cls, op;
} trace_where;

/* trace_validate that also says where. */
ts_status trace_check(const trace *t, trace_where *where, ts_err *err);

/* The uncompressed payload of a .tst file (traces/FORMAT.md section "Payload"). encode allocates
 * *buf (free()); decode fills *out (trace_free) and runs trace_check, naming payload offsets. */
ts_status trace_payload_encode(const trace *t, unsigned char **buf, size_t *len, ts_err *err);
ts_status trace_payload_decode(const char *name, uint32_t version, const unsigned char *p,
                               size_t len, trace **out, ts_err *err);

enum { TRACE_OP_RECORD_BYTES = 68, /* version 1; version 2 adds 8 (duration_s) */ TRACE_HEADER_BYTES = 40 };

#endif
