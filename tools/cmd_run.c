/* trainsim run: placeholder until its issue lands. */
#include <stdio.h>

#include "tools/commands.h"

int cmd_run(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "trainsim run: not built yet\n");
  return 1;
}
