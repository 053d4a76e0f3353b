/* trainsim kernel: placeholder until its issue lands. */
#include <stdio.h>

#include "tools/commands.h"

int cmd_kernel(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "trainsim kernel: not built yet\n");
  return 1;
}
