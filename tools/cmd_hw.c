/* trainsim hw: placeholder until its issue lands. */
#include <stdio.h>

#include "tools/commands.h"

int cmd_hw(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "trainsim hw: not built yet\n");
  return 1;
}
