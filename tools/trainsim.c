/* trainsim: the command-line front end. Subcommands in the style of git, dispatched from one
 * table; each lives in its own tools/cmd_*.c. */
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "tools/cli.h"
#include "tools/commands.h"

static const cli_command COMMANDS[] = {
    {"hw", cmd_hw, "list and show chips and systems of the hardware catalog",
     "trainsim hw list [--chips] [--json]\n"
     "       trainsim hw show NAME|PATH [--chip] [--json]\n"
     "       trainsim hw show host [--json]\n"
     "  list     a table of every system (or chip with --chips): vendor, generation, year,\n"
     "           BF16/FP8 PFLOP/s, HBM, scale-up domain and bandwidth, scale-out, price, power\n"
     "  show     every field of a system or chip with its source, and the topology summary\n"
     "           (domain size, diameter, bisection bandwidth per chip); `host` is this machine"},
    {"model", cmd_model, "list and show transformer models of the zoo",
     "trainsim model list [--json]\n"
     "       trainsim model show NAME|PATH|INLINE [--seq L] [--json]\n"
     "  INLINE is layers=..,hidden=..,ffn=..,heads=..,kv_heads=..,vocab=..,seq=..,mlp=gelu|swiglu|relu2"},
    {"gen", cmd_gen, "generate the trace of one training step",
     "trainsim gen --model M --system S [--chips N] --plan tp=..,pp=.. [--seq L] [--allow-oom]\n"
     "             [--summary] [--json] [-o FILE.tst]"},
    {"trace", cmd_trace, "show, dump and pack trace files",
     "trainsim trace show FILE [--json]\n"
     "       trainsim trace dump FILE\n"
     "       trainsim trace pack TEXT -o FILE\n"
     "       trainsim trace import --chakra PREFIX [--comm-groups FILE.json] [--elem-bytes N]\n"
     "                             [--as-astra-sim] -o FILE.tst\n"
     "       trainsim trace export --chakra FILE.tst -o PREFIX [--ranks LIST]\n"
     "  show    summary: ops by kind, FLOPs, bytes by communicator, rank classes\n"
     "  dump    the text form, one op per line; pack reads it back (byte-identical round trip)\n"
     "  import  MLCommons Chakra execution traces PREFIX.<rank>.et, ranks folded into classes\n"
     "  export  one Chakra .et per rank plus the communicator-group JSON"},
    {"replay", cmd_replay, "simulate a trace file (or a Chakra prefix) on a system",
     "trainsim replay FILE|PREFIX [--system S] [--chips N] [--dp N] [--captured-on S]\n"
     "                [--fidelity symmetric|full] [--coll-algo ALGO] [--kernel-table FILE.csv]\n"
     "                [--timeline OUT.json] [--json]\n"
     "                [--comm-groups FILE.json] [--elem-bytes N] [--as-astra-sim]   (Chakra prefix)\n"
     "  FILE is a .tst or its text form; PREFIX names Chakra files PREFIX.<rank>.et (imported in\n"
     "  memory; needs --system). --dp N re-sizes the data-parallel dimension (also --chips N on a\n"
     "  trace with its plan); --captured-on S scales measured durations from S by the kernel model;\n"
     "  --tokens T [--price USD_PER_CHIP_H] [--pue X] adds time-to-train, cost and energy"},
    {"run", cmd_run, "generate a step in memory and simulate it",
     "trainsim run --model M --system S [--chips N] --plan ... [--seq L] [--fidelity F]\n"
     "             [--coll-algo ALGO] [--kernel-table FILE.csv] [--timeline OUT.json] [--json]\n"
     "             [--allow-oom] [--tokens T [--price USD_PER_CHIP_H] [--pue X]]"},
    {"kernel", cmd_kernel, "time one kernel with the kernel model",
     "trainsim kernel --system S --gemm MxNxK [--dtype bf16] [--count N] [--kernel-table FILE.csv]\n"
     "                [--calibration FILE] [--json]\n"
     "  time, TFLOP/s, tiles and waves, and what bound it: compute, memory, wave quantisation,\n"
     "  launch, or a measured table row; --system host uses this host's calibration file"},
    {"calibrate", cmd_calibrate, "measure OpenBLAS GEMMs on this host and fit the kernel model",
     "trainsim calibrate [--quick] [-o FILE | --calibration FILE] [--json]\n"
     "  runs OpenBLAS sgemm/dgemm/saxpy over a grid of shapes (threads bound with hwloc), fits\n"
     "  the host's kernel-model constants and writes the calibration file (default\n"
     "  $XDG_CACHE_HOME/trainsim/, i.e. ~/.cache/trainsim/); --quick is a small grid for CI"},
    {"search", cmd_search, "find the best parallel plans for a model on a system",
     "trainsim search --model M --system S --chips N [--gbs G] [--seq L] [--fix tp=8,...]\n"
     "                [--top K] [--threads T] [--dtypes bf16,fp8] [--max-cp N] [--max-mbs N]\n"
     "                [--exhaustive] [--fidelity F] [--coll-algo ALGO] [--kernel-table FILE]\n"
     "                [--tokens T [--price USD_PER_CHIP_H] [--pue X]] [--quiet] [--json|--csv]\n"
     "  enumerates every valid plan (TP, PP, vpp, DP, CP, EP, mbs, recomputation, ZeRO, dtype)\n"
     "  with the --fix fields held, prunes by memory and a lower bound, simulates the rest on T\n"
     "  threads and prints the best K; under mpirun the space is split across the ranks"},
    {"validate", cmd_validate, "predict published training runs and print the error",
     "trainsim validate FILE.csv [--threads T] [--json]\n"
     "  reads the format of shared/validation (one published run per row), simulates each row\n"
     "  (empty plan fields searched), and prints predicted vs published, the signed error and\n"
     "  the mean absolute percentage error overall and per hardware family"},
    {"roadmap", cmd_roadmap, "the same training run, year by year, on each vendor's newest generation",
     "trainsim roadmap [--model M] [--seq L] [--gbs N] [--tokens T] [--years 2026-2036]\n"
     "                 [--power-mw P | --budget-usd-per-h B | --chips N] [--pue X]\n"
     "                 [--cadence nvidia=1,trainium=2] [--growth [TRACK.]FIELD=X,...]\n"
     "                 [--ttt-threshold 0.2] [--dollar-threshold 0.5] [--roadmap-file FILE]\n"
     "                 [--threads N] [--json | --csv] [-o FILE] [--svg FILE]\n"
     "  defaults: llama3-405b, 15T tokens, 16M-token batches, equal cluster power of 50 MW, 2026-2036"},
    {"migrate", cmd_migrate, "what moving a training stack from one system to another costs",
     "trainsim migrate --model M --from SYSTEM_A --to SYSTEM_B [--chips N | --power-mw P]\n"
     "                 [--seq L] [--gbs N] [--tokens T] [--stacks FILE] [--team N] [--threads N]\n"
     "                 [--json]\n"
     "       trainsim migrate --roadmap --from TRACK --to TRACK [--switch-year 2028]\n"
     "                 [--years 2026-2036] [--chips 1024] [--stacks FILE] [--team N] [--json]"},
    {"compare", cmd_compare, "compare systems head to head, and price the capacity bet",
     "trainsim compare --model M [--systems a,b,c | --systems all-generations-of nvidia|trainium|amd]\n"
     "                 [--chips N | --power-mw P | --budget-usd-per-h B] [--tokens T] [--seq L]\n"
     "                 [--gbs N] [--plan-fixed tp=..,pp=..,gbs=..]\n"
     "                 [--capacity FILE [--draws N] [--seed S]]\n"
     "                 [--json | --csv] [--svg FILE]\n"
     "  each system's best plan (search) under one basis: equal power (default 50 MW, whole\n"
     "  scale-up domains), equal hourly spend, or equal chips; step, tokens/s, MFU, memory,\n"
     "  time-to-train with goodput (default 15e12 tokens), cost, energy, model FLOPs per USD and\n"
     "  per J, ratios to the first system, and what limits each; one global batch for every system\n"
     "  (--gbs sequences, default 2^24 tokens); default systems: the newest\n"
     "  shipped of each track. --capacity FILE: the run on each system's delivery schedule\n"
     "  (re-planned as chips arrive), Monte Carlo finish dates (mean, P10, P90; --draws, default\n"
     "  1000; --seed, default 1) and the delivery-shortfall crossover"},
    {"exec", cmd_exec, "execute a host trace for real (OpenBLAS, MPI or threads) and compare",
     "trainsim exec FILE.tst [--ranks R] [--timeline OUT.json] [--kernel-table-out OUT.csv]\n"
     "              [--calibration FILE] [--warmup N] [--json]\n"
     "  runs every op of a trace made for the `host` system for real (GEMMs through OpenBLAS,\n"
     "  collectives through MPI under mpirun, else threads) and prints the measured step next to\n"
     "  the simulated one, per op kind (wall and CPU time); --warmup N unmeasured steps (default 1)"},
};

enum { N_COMMANDS = sizeof COMMANDS / sizeof COMMANDS[0] };

const cli_command *cli_find_command(const char *name) {
  for (int i = 0; i < N_COMMANDS; i++)
    if (strcmp(COMMANDS[i].name, name) == 0) return &COMMANDS[i];
  return NULL;
}

static int print_help(void) {
  printf("usage: trainsim [--version] [--help] COMMAND [ARGS]\n\n"
         "trainsim simulates a transformer training step on a modeled cluster (Trainium, NVIDIA,\n"
         "AMD) and reports step time, its breakdown, MFU, memory, and more.\n\ncommands:\n");
  for (int i = 0; i < N_COMMANDS; i++) printf("  %-10s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
  printf("\nSee 'trainsim help COMMAND' for a command's flags.\n");
  return 0;
}

static int help_command(int argc, char **argv) {
  if (argc < 2) return print_help();
  const cli_command *cmd = cli_find_command(argv[1]);
  if (!cmd) {
    fprintf(stderr, "trainsim help: unknown command '%s' (see 'trainsim --help')\n", argv[1]);
    return 2;
  }
  return cli_print_usage(cmd);
}

int main(int argc, char **argv) {
  /* Keep freed memory in the process: a search generates thousands of step traces of the same
   * size, and returning their pages to the kernel only to fault them in again cost ~15% of it. */
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_MMAP_THRESHOLD, 1 << 28);
  if (argc < 2) {
    print_help();
    return 2;
  }
  const char *name = argv[1];
  if (cli_is_help(name)) return print_help();
  if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
    printf("trainsim %s\n", TRAINSIM_VERSION);
    return 0;
  }
  if (strcmp(name, "help") == 0) return help_command(argc - 1, argv + 1);
  const cli_command *cmd = cli_find_command(name);
  if (!cmd) {
    fprintf(stderr, "trainsim: '%s' is not a trainsim command (see 'trainsim --help')\n", name);
    return 2;
  }
  for (int i = 2; i < argc; i++)
    if (cli_is_help(argv[i])) return cli_print_usage(cmd);
  return cmd->run(argc - 1, argv + 1);
}
