/* trainsim hw: the hardware catalog. `hw list` tabulates every system (or chip, --chips) of the
 * shipped catalog; `hw show NAME|PATH` prints every field with its source and the topology
 * summary of the scale-up domain (size, diameter, bisection) from the hw_topo graph; `hw show
 * host` describes this machine (hwloc). Both take --json. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/base/ts_yaml.h"
#include "tools/cli.h"
#include "tools/commands.h"
#include "tools/hw_cli.h"

typedef struct hw_args {
  const char *verb;
  const char *target;
  bool json, chips, chip;
} hw_args;

static int parse_args(int argc, char **argv, hw_args *a) {
  memset(a, 0, sizeof *a);
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (strcmp(arg, "--json") == 0)
      a->json = true;
    else if (strcmp(arg, "--chips") == 0)
      a->chips = true;
    else if (strcmp(arg, "--chip") == 0)
      a->chip = true;
    else if (arg[0] == '-' && arg[1] != '\0')
      return cli_usage_error("hw", "unknown option '%s'", arg);
    else if (!a->verb)
      a->verb = arg;
    else if (!a->target)
      a->target = arg;
    else
      return cli_usage_error("hw", "unexpected argument '%s'", arg);
  }
  if (!a->verb) return cli_usage_error("hw", "missing subcommand (list or show)");
  if (strcmp(a->verb, "list") == 0) {
    if (a->target) return cli_usage_error("hw", "'hw list' takes no name (got '%s')", a->target);
    if (a->chip)
      return cli_usage_error("hw", "--chip goes with 'hw show'; 'hw list' takes --chips");
    return 0;
  }
  if (strcmp(a->verb, "show") == 0) {
    if (!a->target) return cli_usage_error("hw", "'hw show' needs a system or chip NAME or PATH");
    if (a->chips)
      return cli_usage_error("hw", "--chips goes with 'hw list'; 'hw show' takes --chip");
    return 0;
  }
  return cli_usage_error("hw", "unknown subcommand '%s' (expected list or show)", a->verb);
}

ts_status hw_cli_topo_summary(const hw_system *sys, hw_topo_summary *out, ts_err *err) {
  hw_topo *t;
  ts_status st = hw_topo_new(sys, sys->up.domain_chips, &t, err);
  if (st) return st;
  out->domain_chips = sys->up.domain_chips;
  out->diameter_hops = hw_topo_domain_diameter(t);
  out->bisection_Bps = hw_topo_domain_bisection_Bps(t);
  int half = sys->up.domain_chips / 2;
  out->bisection_Bps_per_chip = half > 0 ? out->bisection_Bps / half : 0.0;
  hw_topo_free(t);
  return TS_OK;
}

static void system_row(const hw_system *s) {
  const hw_chip *c = &s->chip;
  char topo[48], year[8];
  hw_cli_topo_text(&s->up, topo, sizeof topo);
  snprintf(year, sizeof year, "%d%s", c->year, c->projected ? "*" : "");
  printf("%-18s %-6s %-26s %-5s %7.2f %7.2f %7.0f %6.2f %6d %-13s %7.0f %7.0f %8.2f %5.0f\n",
         s->name, c->vendor, c->generation, year, c->peak_flops[HW_BF16] / 1e15,
         c->peak_flops[HW_FP8] / 1e15, c->hbm_bytes / 1073741824.0, c->hbm_Bps / 1e12,
         s->up.domain_chips, topo, s->up.chip_Bps / 1e9, s->out.nic_Bps_per_chip * 8 / 1e9,
         c->price_usd_per_chip_h, c->power_w);
}

static void chip_row(const hw_chip *c) {
  char year[8];
  snprintf(year, sizeof year, "%d%s", c->year, c->projected ? "*" : "");
  printf("%-13s %-6s %-26s %-5s %7.1f %7.2f %7.2f %7.2f %7.0f %6.2f %8.0f %5d %5d %5.0f %8.2f\n",
         c->name, c->vendor, c->generation, year, c->peak_flops[HW_FP32] / 1e12,
         c->peak_flops[HW_BF16] / 1e15, c->peak_flops[HW_FP8] / 1e15, c->peak_flops[HW_FP4] / 1e15,
         c->hbm_bytes / 1073741824.0, c->hbm_Bps / 1e12, c->sram_bytes / 1048576.0,
         c->compute_units, c->ranks_per_chip, c->power_w, c->price_usd_per_chip_h);
}

static void list_header(bool chips) {
  if (chips)
    printf("%-13s %-6s %-26s %-5s %7s %7s %7s %7s %7s %6s %8s %5s %5s %5s %8s\n", "NAME", "VENDOR",
           "GENERATION", "YEAR", "FP32_TF", "BF16_PF", "FP8_PF", "FP4_PF", "HBM_GIB", "HBM_TB",
           "SRAM_MiB", "UNITS", "RANKS", "W", "USD/CH_H");
  else
    printf("%-18s %-6s %-26s %-5s %7s %7s %7s %6s %6s %-13s %7s %7s %8s %5s\n", "NAME", "VENDOR",
           "GENERATION", "YEAR", "BF16_PF", "FP8_PF", "HBM_GIB", "HBM_TB", "DOMAIN", "TOPOLOGY",
           "UP_GBps", "OUT_Gbps", "USD/CH_H", "W");
}

/* One catalog entry: printed as a row, or appended to arr as JSON. */
static ts_status list_one(const char *name, bool chips, json_t *arr, ts_err *err) {
  if (chips) {
    hw_chip c;
    ts_status st = hw_chip_load(name, &c, err);
    if (st) return st;
    if (arr)
      json_array_append_new(arr, hw_cli_chip_json(&c));
    else
      chip_row(&c);
    return TS_OK;
  }
  hw_system *s = malloc(sizeof *s);
  if (!s) return ts_fail(err, TS_ENOMEM, "out of memory loading system '%s'", name);
  hw_topo_summary topo;
  ts_status st = hw_system_load(name, s, err);
  if (!st && arr) st = hw_cli_topo_summary(s, &topo, err);
  if (!st && arr)
    json_array_append_new(arr, hw_cli_system_json(s, &topo));
  else if (!st)
    system_row(s);
  free(s);
  return st;
}

static int cmd_list(const hw_args *a) {
  ts_err err = {0};
  char(*names)[HW_NAME_MAX];
  size_t n;
  if (hw_catalog_names(a->chips, &names, &n, &err)) return cli_fail(&err);
  json_t *arr = a->json ? json_array() : NULL;
  if (!a->json) list_header(a->chips);
  ts_status st = TS_OK;
  for (size_t i = 0; i < n && !st; i++) st = list_one(names[i], a->chips, arr, &err);
  free(names);
  if (st) {
    json_decref(arr);
    return cli_fail(&err);
  }
  if (a->json) return cli_print_json(json_pack("{s:o}", a->chips ? "chips" : "systems", arr));
  printf(
      "* projected. PF = PFLOP/s dense, TB = TB/s, UP = scale-up GB/s per chip (one direction),\n"
      "OUT = scale-out Gb/s per chip, USD/CH_H = USD per chip-hour, W = chip power.\n"
      "'trainsim hw show NAME' gives every figure with its source; 'host' is this machine.\n");
  return 0;
}

static int show_chip(const char *name, bool json) {
  hw_chip c;
  ts_err err = {0};
  if (hw_chip_load(name, &c, &err)) return cli_fail(&err);
  if (json) return cli_print_json(hw_cli_chip_json(&c));
  hw_cli_chip_text(&c);
  return 0;
}

static int show_system(const hw_system *s, bool json, json_t *host_json) {
  hw_topo_summary topo;
  ts_err err = {0};
  if (hw_cli_topo_summary(s, &topo, &err)) {
    json_decref(host_json);
    return cli_fail(&err);
  }
  if (json && host_json)
    return cli_print_json(
        json_pack("{s:o,s:o}", "host", host_json, "system", hw_cli_system_json(s, &topo)));
  if (json) return cli_print_json(hw_cli_system_json(s, &topo));
  hw_cli_system_text(s, &topo);
  return 0;
}

/* The host as every command sees it: calibrated by this host's calibration file when there is one
 * (cli_system_load; a corrupt file is an error), the nominal figures otherwise. */
static int show_host(bool json, bool chip) {
  hw_host h;
  ts_err err = {0};
  hw_system *s = malloc(sizeof *s);
  if (!s) return fprintf(stderr, "trainsim: out of memory\n"), 1;
  int rc;
  if (hw_host_describe(&h, &err) || cli_system_load("host", s, &err))
    rc = cli_fail(&err);
  else if (chip)
    rc = json ? cli_print_json(hw_cli_chip_json(&s->chip)) : (hw_cli_chip_text(&s->chip), 0);
  else {
    if (!json) hw_cli_host_text(&h);
    rc = show_system(s, json, json ? hw_cli_host_json(&h) : NULL);
  }
  free(s);
  return rc;
}

/* A file: a system when it has a scaleup section, else a chip. */
static bool file_is_system(const char *path) {
  ts_yaml *y;
  if (ts_yaml_load_file(path, &y, NULL)) return true; /* the system loader reports the error */
  bool sys = ts_yaml_get(y, ts_yaml_root(y), "scaleup") != 0;
  ts_yaml_free(y);
  return sys;
}

static int cmd_show(const hw_args *a) {
  if (strcmp(a->target, "host") == 0) return show_host(a->json, a->chip);
  bool is_path = strchr(a->target, '/') || strstr(a->target, ".yaml");
  if (a->chip || (is_path && !file_is_system(a->target))) return show_chip(a->target, a->json);
  hw_system *s = malloc(sizeof *s);
  if (!s) return fprintf(stderr, "trainsim: out of memory\n"), 1;
  ts_err err = {0};
  ts_status st = hw_system_load(a->target, s, &err);
  int rc;
  if (!st)
    rc = show_system(s, a->json, NULL);
  else if (st != TS_ENOTFOUND || is_path)
    rc = cli_fail(&err);
  else {
    hw_chip probe;
    ts_status cst = hw_chip_load(a->target, &probe, &err);
    if (cst == TS_OK)
      rc = show_chip(a->target, a->json);
    else if (cst != TS_ENOTFOUND)
      rc = cli_fail(&err);
    else {
      char closest[256];
      hw_catalog_closest(a->target, true, true, closest, sizeof closest);
      ts_fail(&err, TS_ENOTFOUND, "unknown system or chip '%s' (closest: %s)", a->target, closest);
      rc = cli_fail(&err);
    }
  }
  free(s);
  return rc;
}

int cmd_hw(int argc, char **argv) {
  hw_args a;
  int rc = parse_args(argc, argv, &a);
  if (rc) return rc;
  return strcmp(a.verb, "list") == 0 ? cmd_list(&a) : cmd_show(&a);
}
