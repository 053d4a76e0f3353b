/* trainsim trace: placeholder until its issue lands. */
#include <stdio.h>

#include "tools/commands.h"

int cmd_trace(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "trainsim trace: not built yet\n");
  return 1;
}
