/* What the two files of `trainsim compare` share: the parsed request and the results, and the
 * printers (tools/cmd_compare_out.c: table, JSON, CSV, SVG). */
#ifndef TOOLS_CMD_COMPARE_H
#define TOOLS_CMD_COMPARE_H

#include <stdbool.h>

#include "sim/study/compare.h"

enum { CMP_MAX_SYSTEMS = 32 };

typedef struct cmp_capacity_out {
  bool present;
  const capacity_system *entry;
  capacity_summary summary;
  int searches;
} cmp_capacity_out;

typedef struct cmp_report {
  const char *model_name;
  int64_t seq;           /* the model's sequence length */
  compare_options opt;
  bool have_basis;       /* the basis table was computed */
  int n;
  hw_system *systems[CMP_MAX_SYSTEMS];
  compare_row rows[CMP_MAX_SYSTEMS];
  /* capacity */
  const capacity_file *cap;
  int draws;
  unsigned long long seed;
  cmp_capacity_out capout[CMP_MAX_SYSTEMS];
  int fast, slow;        /* indices of the crossover pair; -1 when none */
  bool crossover_found;
  double crossover_shortfall;
} cmp_report;

/* --capacity: Monte Carlo per system and the crossover (tools/cmd_compare_cap.c); exit code. */
int cmp_run_capacity(cmp_report *r, const model *m);

void cmp_print_table(const cmp_report *r);
int cmp_print_json(const cmp_report *r);
void cmp_print_csv(const cmp_report *r);
int cmp_write_svg(const cmp_report *r, const char *path);

#endif
