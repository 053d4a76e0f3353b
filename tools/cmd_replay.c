/* trainsim replay: placeholder until its issue lands. */
#include <stdio.h>

#include "tools/commands.h"

int cmd_replay(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "trainsim replay: not built yet\n");
  return 1;
}
