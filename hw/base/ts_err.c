/* Error record: see ts_err.h. */
#include "hw/base/ts_err.h"

#include <stdio.h>
#include <string.h>

ts_status ts_vfail(ts_err *err, ts_status code, const char *fmt, va_list ap) {
  if (err) {
    err->code = code;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    /* A message is one line whatever a reader copied into it from a file. */
    for (char *c = err->msg; *c; c++)
      if ((unsigned char)*c < 0x20 || *c == 0x7f) *c = '?';
  }
  return code;
}

ts_status ts_fail(ts_err *err, ts_status code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  ts_vfail(err, code, fmt, ap);
  va_end(ap);
  return code;
}

void ts_err_prefix(ts_err *err, const char *fmt, ...) {
  if (!err) return;
  char prefix[256], old[sizeof err->msg];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  memcpy(old, err->msg, sizeof old);
  snprintf(err->msg, sizeof err->msg, "%s: %s", prefix, old);
}

void ts_err_clear(ts_err *err) {
  if (!err) return;
  err->code = TS_OK;
  err->msg[0] = '\0';
}

int ts_status_exit_code(ts_status code) {
  switch (code) {
#define TS_STATUS_EXIT(name, exit_code, text) \
  case name:                                  \
    return exit_code;
    TS_STATUS_LIST(TS_STATUS_EXIT)
#undef TS_STATUS_EXIT
  }
  return 1;
}

const char *ts_status_name(ts_status code) {
  switch (code) {
#define TS_STATUS_TEXT(name, exit_code, text) \
  case name:                                  \
    return text;
    TS_STATUS_LIST(TS_STATUS_TEXT)
#undef TS_STATUS_TEXT
  }
  return "unknown status";
}
