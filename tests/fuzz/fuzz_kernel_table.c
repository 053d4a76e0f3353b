/* libFuzzer target for the kernel table CSV (sim/kern_table.c). The input is the whole file,
 * handed to kern_table_load through an in-memory file. Besides "no crash, no leak, no undefined
 * behaviour": a rejected table gets a one-line message; an accepted one has no more rows than
 * lines and looks its keys up without trouble. */
#include <stdbool.h>

#include "fuzz_util.h"
#include "sim/sim.h"

static const char T[] = "fuzz_kernel_table";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  kern_table *kt = NULL;
  ts_err err = {0};
  ts_status st = kern_table_load(fuzz_memfile(data, size), &kt, &err);
  if (st != TS_OK) {
    fuzz_check(kt == NULL, T, "failed load returned a table", NULL);
    fuzz_check_rejected(T, st, &err);
    return 0;
  }
  size_t lines = 1;
  for (size_t i = 0; i < size; i++) lines += data[i] == '\n';
  fuzz_check(kern_table_rows(kt) < lines, T, "more rows than lines", NULL);
  double s = -1;
  for (int kind = 0; kind < TRACE_OP_KIND_COUNT; kind++)
    if (kern_table_find(kt, (trace_op_kind)kind, HW_BF16, 1024, 1024, 1024, 1048576.0, &s))
      fuzz_check(s >= 0, T, "negative seconds found", NULL);
  kern_table_free(kt);
  return 0;
}
