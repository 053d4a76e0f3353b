/* Shared by test_bad_inputs.c and test_regress.c: runs every file of a folder of malformed inputs
 * through one reader and checks that it is refused cleanly — a status whose exit code is 2 (bad
 * input), a one-line message, and, where NAME.expected exists beside NAME.<ext>, exactly that
 * message. The readers are called from inside the folder with the bare file name, so messages
 * read "NAME.yaml:3: ..." whatever the checkout's path. For the one-line readers (inline model,
 * plan) the file holds the text, without its final newline. */
#ifndef TESTS_READER_CORPUS_H
#define TESTS_READER_CORPUS_H

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hw/base/ts_io.h"
#include "hw/hw.h"
#include "models/models.h"
#include "sim/sim.h"
#include "sim/validate/validate.h"

typedef ts_status (*corpus_read_fn)(const char *name, const char *text, ts_err *err);

static ts_status corpus_chip(const char *name, const char *text, ts_err *err) {
  (void)text;
  hw_chip *c = malloc(sizeof *c);
  if (!c) return ts_fail(err, TS_ENOMEM, "out of memory");
  ts_status st = hw_chip_load(name, c, err);
  free(c);
  return st;
}

static ts_status corpus_system(const char *name, const char *text, ts_err *err) {
  (void)text;
  hw_system *s = malloc(sizeof *s);
  if (!s) return ts_fail(err, TS_ENOMEM, "out of memory");
  ts_status st = hw_system_load(name, s, err);
  free(s);
  return st;
}

static ts_status corpus_model(const char *name, const char *text, ts_err *err) {
  (void)text;
  model m;
  return model_load(name, &m, err);
}

static ts_status corpus_model_inline(const char *name, const char *text, ts_err *err) {
  (void)name;
  model m;
  return model_load(text, &m, err);
}

static ts_status corpus_plan(const char *name, const char *text, ts_err *err) {
  (void)name;
  plan p;
  return plan_parse(text, &p, err);
}

static ts_status corpus_kernel_table(const char *name, const char *text, ts_err *err) {
  (void)text;
  kern_table *kt = NULL;
  ts_status st = kern_table_load(name, &kt, err);
  kern_table_free(kt);
  return st;
}

static ts_status corpus_calibration(const char *name, const char *text, ts_err *err) {
  (void)text;
  kern_calibration *c = malloc(sizeof *c);
  if (!c) return ts_fail(err, TS_ENOMEM, "out of memory");
  ts_status st = kern_calibration_read(name, c, err);
  free(c);
  return st;
}

static ts_status corpus_validate(const char *name, const char *text, ts_err *err) {
  (void)text;
  validate_set *set = NULL;
  ts_status st = validate_read(name, &set, err);
  validate_set_free(set);
  return st;
}

/* The readers by folder name (tests/data/bad/<folder>, tests/data/regress/<folder>). */
static const struct {
  const char *folder;
  corpus_read_fn read;
} CORPUS_READERS[] = {
    {"chip", corpus_chip},
    {"system", corpus_system},
    {"model", corpus_model},
    {"model_inline", corpus_model_inline},
    {"plan", corpus_plan},
    {"kernel_table", corpus_kernel_table},
    {"calibration", corpus_calibration},
    {"validate", corpus_validate},
};

static corpus_read_fn corpus_reader(const char *folder) {
  for (size_t i = 0; i < sizeof CORPUS_READERS / sizeof CORPUS_READERS[0]; i++)
    if (strcmp(CORPUS_READERS[i].folder, folder) == 0) return CORPUS_READERS[i].read;
  return NULL;
}

/* An input file: not NAME.expected, not a script or a note, not hidden. */
static int corpus_is_input(const struct dirent *e) {
  const char *n = e->d_name, *dot = strrchr(n, '.');
  if (n[0] == '.') return 0;
  if (dot && (strcmp(dot, ".expected") == 0 || strcmp(dot, ".py") == 0 || strcmp(dot, ".md") == 0))
    return 0;
  return 1;
}

/* Whole file, NUL-terminated, without one final newline; NULL if missing. */
static char *corpus_slurp(const char *path, bool strip_newline) {
  char *data = NULL;
  size_t len = 0;
  if (ts_read_file(path, 64 << 20, &data, &len, NULL) != TS_OK) return NULL;
  if (strip_newline && len && data[len - 1] == '\n') data[--len] = '\0';
  return data;
}

typedef struct corpus_result {
  int inputs, checked_messages, failures;
  char first_failure[1024];
} corpus_result;

static void corpus_failed(corpus_result *r, const char *fmt, const char *a, const char *b,
                          const char *c) {
  if (r->failures++ == 0) snprintf(r->first_failure, sizeof r->first_failure, fmt, a, b, c);
  fprintf(stderr, fmt, a, b, c);
  fprintf(stderr, "\n");
}

/* Runs every input of dir (an absolute path) through the reader of folder `reader`.
 * need_expected: every input must have its NAME.expected. */
static corpus_result corpus_run(const char *dir, const char *reader, bool need_expected) {
  corpus_result r = {0};
  corpus_read_fn read = corpus_reader(reader);
  char cwd[4096];
  if (!read || !getcwd(cwd, sizeof cwd) || chdir(dir) != 0) {
    corpus_failed(&r, "%s: no reader or cannot enter %s%s", reader, dir, "");
    return r;
  }
  struct dirent **list = NULL;
  int n = scandir(".", &list, corpus_is_input, alphasort);
  for (int i = 0; i < n; i++) {
    const char *name = list[i]->d_name;
    char stem[512], expected_path[600];
    snprintf(stem, sizeof stem, "%s", name);
    char *dot = strrchr(stem, '.');
    if (dot) *dot = '\0';
    snprintf(expected_path, sizeof expected_path, "%s.expected", stem);
    char *text = corpus_slurp(name, true);
    char *expected = corpus_slurp(expected_path, true);
    ts_err err = {0};
    ts_status st = read(name, text ? text : "", &err);
    r.inputs++;
    if (st == TS_OK)
      corpus_failed(&r, "%s/%s: accepted, expected a refusal%s", reader, name, "");
    else if (ts_status_exit_code(st) != 2)
      corpus_failed(&r, "%s/%s: refused as '%s', not as bad input (exit 2)", reader, name,
                    ts_status_name(st));
    else if (strchr(err.msg, '\n') || strchr(err.msg, '\r'))
      corpus_failed(&r, "%s/%s: message spans lines: %s", reader, name, err.msg);
    else if (expected) {
      r.checked_messages++;
      if (strcmp(expected, err.msg) != 0)
        corpus_failed(&r, "%s/%s: got message\n  %s", reader, name, err.msg);
    } else if (need_expected)
      corpus_failed(&r, "%s/%s: no .expected file; message was\n  %s", reader, name, err.msg);
    free(text);
    free(expected);
    free(list[i]);
  }
  free(list);
  if (chdir(cwd) != 0) corpus_failed(&r, "%s: cannot return to %s%s", reader, cwd, "");
  return r;
}

#endif
