/* The error record every library function fills: a status code from one table and a one-line
 * message that names the file and line or the field, what was found and what was expected.
 * Only tools/ prints it and turns the code into an exit status (SQLite's result codes + errmsg). */
#ifndef TS_ERR_H
#define TS_ERR_H

#include <stdarg.h>

/* X-macro: name, exit status the CLI uses, short description. */
#define TS_STATUS_LIST(X)                                         \
  X(TS_OK, 0, "ok")                                               \
  X(TS_EUSAGE, 2, "bad usage")                                    \
  X(TS_EINPUT, 2, "bad input")                                    \
  X(TS_ENOTFOUND, 2, "not found")                                 \
  X(TS_ENOFIT, 2, "does not fit")                                 \
  X(TS_EIO, 1, "input/output error")                              \
  X(TS_ENOMEM, 1, "out of memory")                                \
  X(TS_ERUN, 1, "run failed")

typedef enum {
#define TS_STATUS_ENUM(name, exit_code, text) name,
  TS_STATUS_LIST(TS_STATUS_ENUM)
#undef TS_STATUS_ENUM
} ts_status;

typedef struct ts_err {
  ts_status code;
  char msg[768];
} ts_err;

/* Fills the record (when err is non-NULL) and returns code, so callers can `return ts_fail(...)`. */
ts_status ts_fail(ts_err *err, ts_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
ts_status ts_vfail(ts_err *err, ts_status code, const char *fmt, va_list ap);
/* Prepends "prefix: " to an error already set (e.g. the file name once the reader failed). */
void ts_err_prefix(ts_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ts_err_clear(ts_err *err);
int ts_status_exit_code(ts_status code);
const char *ts_status_name(ts_status code);

#endif
