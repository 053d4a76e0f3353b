/* Shared helpers of the front end: see cli.h. */
#include "tools/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/base/ts_io.h"
#include "sim/sim.h"

int cli_fail(const ts_err *err) {
  fprintf(stderr, "trainsim: %s\n", err->msg[0] ? err->msg : ts_status_name(err->code));
  int code = ts_status_exit_code(err->code);
  return code ? code : 1;
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  fprintf(stderr, "trainsim %s: %s (see 'trainsim help %s')\n", cmd, msg, cmd);
  return 2;
}

static const size_t JSON_FLAGS = JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12);

/* The text of j, or NULL after saying why on stderr; steals j. */
static char *json_text(json_t *j) {
  if (!j) {
    fprintf(stderr, "trainsim: out of memory building JSON\n");
    return NULL;
  }
  char *text = json_dumps(j, JSON_FLAGS);
  json_decref(j);
  if (!text) fprintf(stderr, "trainsim: cannot format JSON\n");
  return text;
}

int cli_print_json(json_t *j) {
  char *text = json_text(j);
  if (!text) return 1;
  fputs(text, stdout);
  fputc('\n', stdout);
  free(text);
  return 0;
}

int cli_write_json(json_t *j, const char *path) {
  char *text = json_text(j);
  if (!text) return 1;
  ts_err err = {0};
  size_t len = strlen(text);
  ts_status st = ts_write_file_atomic(path, text, len, &err);
  free(text);
  return st ? cli_fail(&err) : 0;
}

const char *cli_flag_value(int argc, char **argv, int *i, const char *flag, bool *missing) {
  size_t n = strlen(flag);
  const char *arg = argv[*i];
  if (missing) *missing = false;
  if (strncmp(arg, flag, n) != 0) return NULL;
  if (arg[n] == '=') return arg + n + 1;
  if (arg[n] != '\0') return NULL;
  if (*i + 1 >= argc) {
    if (missing) *missing = true;
    return NULL;
  }
  *i += 1;
  return argv[*i];
}

bool cli_is_help(const char *arg) {
  return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

int cli_print_usage(const cli_command *cmd) {
  printf("usage: %s\n", cmd->usage);
  return 0;
}

int cli_parse_count(const char *cmd, const char *flag, const char *text, long long max,
                    long long *out) {
  if (!ts_parse_int64(text, out) || *out < 1 || *out > max)
    return cli_usage_error(cmd, "%s: '%s' is not a positive integer up to %lld", flag, text, max);
  return 0;
}

ts_status cli_system_load(const char *name, hw_system *sys, ts_err *err) {
  ts_status st = hw_system_load(name, sys, err);
  if (st || strcmp(name, "host") != 0) return st;
  /* The host's constants come from `trainsim calibrate` when this host has a calibration file;
   * without one they stay the nominal, uncalibrated figures (hw show host says so). */
  hw_host host;
  st = hw_host_describe(&host, err);
  if (st) return st;
  st = kern_calibration_load(NULL, &host, sys, err);
  if (st == TS_ENOTFOUND) {
    ts_err_clear(err);
    return TS_OK;
  }
  return st;
}

int cli_match_value_flag(const char *cmd, int argc, char **argv, int *i,
                         const cli_value_flag *flags, size_t n_flags, void *args) {
  for (size_t f = 0; f < n_flags; f++) {
    bool missing = false;
    const char *v = cli_flag_value(argc, argv, i, flags[f].name, &missing);
    if (missing) {
      cli_usage_error(cmd, "%s needs a value", flags[f].name);
      return -1;
    }
    if (!v) continue;
    *(const char **)((char *)args + flags[f].offset) = v;
    return 1;
  }
  return 0;
}

int cli_parse_flags(const char *cmd, int argc, char **argv, const cli_bool_flag *bools,
                    size_t n_bools, const cli_value_flag *values, size_t n_values, void *args) {
  for (int i = 1; i < argc; i++) {
    bool matched = false;
    for (size_t b = 0; b < n_bools && !matched; b++) {
      matched = strcmp(argv[i], bools[b].name) == 0;
      if (matched) *(bool *)((char *)args + bools[b].offset) = true;
    }
    if (matched) continue;
    int used = cli_match_value_flag(cmd, argc, argv, &i, values, n_values, args);
    if (used < 0) return 2;
    if (!used) return cli_usage_error(cmd, "unknown argument '%s'", argv[i]);
  }
  return 0;
}

ts_status cli_trace_read(const char *path, trace **out, ts_err *err) {
  char *data;
  size_t len;
  ts_status st = ts_read_file(path, CLI_MAX_TRACE_FILE, &data, &len, err);
  if (st) return st;
  static const char TEXT_MAGIC[] = "trainsim-trace";
  if (len >= sizeof TEXT_MAGIC - 1 && memcmp(data, TEXT_MAGIC, sizeof TEXT_MAGIC - 1) == 0)
    st = trace_read_text(path, data, len, out, err);
  else
    st = trace_read_mem(path, (const unsigned char *)data, len, out, err);
  free(data);
  return st;
}
