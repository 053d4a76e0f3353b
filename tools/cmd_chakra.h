/* `trainsim trace import --chakra` and `trainsim trace export --chakra` (tools/cmd_chakra.c),
 * called by `trainsim trace` (tools/cmd_trace.c) when its subcommand is import or export and
 * --chakra is among the arguments. argv[0] is the subcommand ("import" / "export"); the flags
 * follow, --chakra with its value included. */
#ifndef TOOLS_CMD_CHAKRA_H
#define TOOLS_CMD_CHAKRA_H

/* trace import --chakra PREFIX [--comm-groups FILE.json] [--elem-bytes N] [--as-astra-sim] -o FILE
 */
int cmd_trace_chakra_import(int argc, char **argv);
/* trace export --chakra FILE.tst -o PREFIX [--ranks LIST] */
int cmd_trace_chakra_export(int argc, char **argv);

#endif
