/* trainsim gen: placeholder until its issue lands. */
#include <stdio.h>

#include "tools/commands.h"

int cmd_gen(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "trainsim gen: not built yet\n");
  return 1;
}
