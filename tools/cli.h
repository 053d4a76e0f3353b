/* Shared helpers of the `trainsim` front end: the only place that prints and picks exit codes
 * (0 ok, 1 the run failed, 2 bad usage or input). */
#ifndef TOOLS_CLI_H
#define TOOLS_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "hw/base/ts_err.h"

/* One subcommand: entry point, one-line summary and the full usage text for `help`. */
typedef struct cli_command {
  const char *name;
  int (*run)(int argc, char **argv); /* argv[0] is the command name */
  const char *summary;
  const char *usage;
} cli_command;

/* Prints "trainsim: <message>" to stderr; returns the exit code for the error's status. */
int cli_fail(const ts_err *err);
/* Prints "trainsim CMD: <message>" and a pointer to `trainsim help CMD`; returns 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Dumps JSON to stdout, keys in insertion order, reals with 12 significant digits; steals j. */
int cli_print_json(json_t *j);
/* Writes JSON to a file whole or nothing; steals j. */
int cli_write_json(json_t *j, const char *path);
/* Flag parsing shared by commands: "--flag value" or "--flag=value". Returns the value of
 * argv[*i] when it is flag (advancing *i past the value), NULL otherwise; *missing is set when the
 * flag is last with no value. */
const char *cli_flag_value(int argc, char **argv, int *i, const char *flag, bool *missing);
bool cli_is_help(const char *arg);
/* A "--flag VALUE" that sets the const char * field at offset in a command's argument struct. */
typedef struct cli_value_flag {
  const char *name;
  size_t offset;
} cli_value_flag;
/* Matches argv[*i] against flags: 1 when it matched (value stored, *i past it), 0 when it is none
 * of them, -1 after printing the usage error of a flag given without a value. */
int cli_match_value_flag(const char *cmd, int argc, char **argv, int *i,
                         const cli_value_flag *flags, size_t n_flags, void *args);
/* A "--flag" without a value that sets the bool field at offset in a command's argument struct. */
typedef struct cli_bool_flag {
  const char *name;
  size_t offset;
} cli_bool_flag;
/* The argument loop of a command that takes flags only: each of argv[1..] is one of bools (exact
 * match, set true), else one of values (cli_match_value_flag), else "unknown argument". Returns 0,
 * or 2 after printing the usage error. */
int cli_parse_flags(const char *cmd, int argc, char **argv, const cli_bool_flag *bools,
                    size_t n_bools, const cli_value_flag *values, size_t n_values, void *args);
/* Parses a whole number in 1..max for a flag; else a usage error of cmd (returns 2). */
int cli_parse_count(const char *cmd, const char *flag, const char *text, long long max,
                    long long *out);
const cli_command *cli_find_command(const char *name);
/* hw_system_load, and for `host` the calibration file of this host when there is one. */
struct hw_system;
ts_status cli_system_load(const char *name, struct hw_system *sys, ts_err *err);
/* Prints the usage of a command to stdout; returns 0. */
int cli_print_usage(const cli_command *cmd);
/* The largest trace file the front end reads: 4 GiB of payload and a header. */
#define CLI_MAX_TRACE_FILE (((size_t)1 << 32) + 64)
/* Reads a trace file in either form: text when it starts with "trainsim-trace", else binary. */
struct trace;
ts_status cli_trace_read(const char *path, struct trace **out, ts_err *err);

#endif
