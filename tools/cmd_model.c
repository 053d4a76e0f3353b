/* trainsim model: placeholder until its issue lands. */
#include <stdio.h>

#include "tools/commands.h"

int cmd_model(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "trainsim model: not built yet\n");
  return 1;
}
