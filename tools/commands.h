/* Entry points of the subcommands, one file each (tools/cmd_*.c). */
#ifndef TOOLS_COMMANDS_H
#define TOOLS_COMMANDS_H

int cmd_hw(int argc, char **argv);
int cmd_model(int argc, char **argv);
int cmd_gen(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_kernel(int argc, char **argv);
int cmd_calibrate(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_search(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_roadmap(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_compare(int argc, char **argv);

#endif
