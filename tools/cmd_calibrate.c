/* trainsim calibrate: placeholder until its issue lands. */
#include <stdio.h>

#include "tools/commands.h"

int cmd_calibrate(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "trainsim calibrate: not built yet\n");
  return 1;
}
