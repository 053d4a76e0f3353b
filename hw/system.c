/* System descriptors (hw/systems/NAME.yaml): a chip (by catalog name or by a path relative to
 * the system file), the scale-up domain and the scale-out network.
 *
 * Layout: top-level name, description, chip, stack, host_overhead_w_per_chip, and two mappings,
 * `scaleup` (topology kind, domain size, torus/ring dims or switch2 group size, link bandwidth per
 * direction in GB/s, links per chip, per-chip bandwidth, per-hop latency in us) and `scaleout`
 * (NIC Gb/s per chip, latency, rail optimisation, oversubscription, chips per leaf, the largest
 * cluster built), each tier with an optional bw_efficiency (achievable fraction of the line
 * rate), an optional `attention` (flash | unfused: the stack's attention kernels) and an optional
 * `grad_overlap` (false: the stack reduces gradients only after the backward). Every figure is sourced; checks tie the figures together (dims multiply to the
 * domain size, a switch2 group divides it, the cluster holds at least one domain). */
#include "hw/hw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/base/ts_yaml.h"
#include "hw/desc_int.h"

static const char *const SYSTEM_KEYS[] = {
    "name", "description", "chip", "stack", "attention", "grad_overlap", "scaleup", "scaleout",
    "host_overhead_w_per_chip", NULL};
static const char *const UP_KEYS[] = {
    "topology",      "domain_chips",   "dims",      "group_chips", "link_GBps",
    "dim_link_GBps", "links_per_chip", "chip_GBps", "latency_us",  "bw_efficiency", NULL};
static const char *const OUT_KEYS[] = {
    "nic_Gbps_per_chip", "latency_us", "rail_optimized", "oversubscription", "leaf_chips",
    "max_chips",         "bw_efficiency", NULL};

static ts_status parse_kind(hw_desc *d, ts_ynode up, hw_topo_kind *kind) {
  char text[32];
  ts_status st = hw_desc_str(d, up, "topology", true, text, sizeof text, NULL);
  if (st) return st;
  for (int k = 0; k < HW_TOPO_KIND_COUNT; k++)
    if (strcmp(text, hw_topo_kind_name((hw_topo_kind)k)) == 0) {
      *kind = (hw_topo_kind)k;
      return TS_OK;
    }
  return ts_yaml_fail(d->y, ts_yaml_get(d->y, up, "topology"), TS_EINPUT, d->err,
                      "field 'scaleup.topology': unknown kind '%s' (expected switch, switch2, "
                      "ring, torus or mesh)",
                      text);
}

/* dims "4x4x4": ring takes one extent, torus two or three; their product is the domain. */
static ts_status parse_dims(hw_desc *d, ts_ynode up, hw_scaleup *u) {
  ts_ynode node = ts_yaml_get(d->y, up, "dims");
  bool grid = u->kind == HW_TOPO_TORUS || u->kind == HW_TOPO_RING;
  if (!grid) {
    if (node)
      return ts_yaml_fail(d->y, node, TS_EINPUT, d->err,
                          "field 'scaleup.dims': only ring and torus domains have dims");
    return TS_OK;
  }
  char text[48];
  ts_status st = hw_desc_str(d, up, "dims", true, text, sizeof text, NULL);
  if (st) return st;
  node = ts_yaml_get(d->y, up, "dims");
  const char *p = text;
  long long product = 1;
  u->ndims = 0;
  while (*p && u->ndims < 3) {
    char *end;
    long v = strtol(p, &end, 10);
    if (end == p || v < 1 || v > 100000 || (*end && *end != 'x')) break;
    u->dims[u->ndims++] = (int)v;
    product *= v;
    p = *end ? end + 1 : end;
  }
  int want_min = u->kind == HW_TOPO_RING ? 1 : 2, want_max = u->kind == HW_TOPO_RING ? 1 : 3;
  bool trailing_x = p > text && p[-1] == 'x'; /* "4x4x": an extent is missing */
  if (*p || trailing_x || u->ndims < want_min || u->ndims > want_max)
    return ts_yaml_fail(d->y, node, TS_EINPUT, d->err,
                        "field 'scaleup.dims': expected %s, got '%s'",
                        u->kind == HW_TOPO_RING ? "one extent (e.g. 8)" : "AxB or AxBxC", text);
  if (product != u->domain_chips)
    return ts_yaml_fail(d->y, node, TS_EINPUT, d->err,
                        "field 'scaleup.dims': %s makes %lld chips, but scaleup.domain_chips is %d",
                        text, product, u->domain_chips);
  return TS_OK;
}

static ts_status parse_group(hw_desc *d, ts_ynode up, hw_scaleup *u) {
  ts_ynode node = ts_yaml_get(d->y, up, "group_chips");
  if (u->kind != HW_TOPO_SWITCH2) {
    if (node)
      return ts_yaml_fail(d->y, node, TS_EINPUT, d->err,
                          "field 'scaleup.group_chips': only switch2 domains have groups");
    return TS_OK;
  }
  long long g = 0;
  ts_status st = hw_desc_int(d, up, "group_chips", true, 1, u->domain_chips, &g, NULL);
  if (st) return st;
  if (u->domain_chips % g != 0)
    return ts_yaml_fail(d->y, ts_yaml_get(d->y, up, "group_chips"), TS_EINPUT, d->err,
                        "field 'scaleup.group_chips': %lld does not divide scaleup.domain_chips %d",
                        g, u->domain_chips);
  u->group_chips = (int)g;
  return TS_OK;
}

/* dim_link_GBps "128, 128, 64": per-dimension link bandwidth; defaults to link_GBps. */
static ts_status parse_dim_links(hw_desc *d, ts_ynode up, hw_scaleup *u) {
  for (int i = 0; i < u->ndims; i++) u->dim_link_Bps[i] = u->link_Bps;
  ts_ynode node = ts_yaml_get(d->y, up, "dim_link_GBps");
  if (!node) return TS_OK;
  if (u->ndims == 0)
    return ts_yaml_fail(d->y, node, TS_EINPUT, d->err,
                        "field 'scaleup.dim_link_GBps': only ring and torus domains have dims");
  char text[96];
  ts_status st = hw_desc_str(d, up, "dim_link_GBps", true, text, sizeof text, NULL);
  if (st) return st;
  const char *p = text;
  int n = 0;
  while (*p && n < u->ndims) {
    char *end;
    double v = strtod(p, &end);
    if (end == p || !(v > 0.0) || v > 1e9) break;
    u->dim_link_Bps[n++] = v * 1e9;
    while (*end == ' ') end++;
    p = *end == ',' ? end + 1 : end;
    while (*p == ' ') p++;
  }
  if (*p || n != u->ndims)
    return ts_yaml_fail(d->y, ts_yaml_get(d->y, up, "dim_link_GBps"), TS_EINPUT, d->err,
                        "field 'scaleup.dim_link_GBps': expected %d positive numbers separated by "
                        "commas (one per dimension), got '%s'",
                        u->ndims, text);
  return TS_OK;
}

static ts_status parse_scaleup(hw_desc *d, ts_ynode root, hw_scaleup *u) {
  ts_ynode up = ts_yaml_get(d->y, root, "scaleup");
  if (!up) return ts_yaml_fail(d->y, root, TS_EINPUT, d->err, "missing required field 'scaleup'");
  ts_status st = ts_yaml_check_keys(d->y, up, UP_KEYS, "field 'scaleup'", d->err);
  hw_desc sub = *d;
  sub.prefix = "scaleup.";
  long long domain = 0, links = 0;
  if (!st) st = parse_kind(&sub, up, &u->kind);
  if (!st) st = hw_desc_int(&sub, up, "domain_chips", true, 1, 1 << 20, &domain, NULL);
  u->domain_chips = (int)domain;
  if (!st) st = parse_dims(&sub, up, u);
  if (!st) st = parse_group(&sub, up, u);
  if (!st) st = hw_desc_double(&sub, up, "link_GBps", true, HW_GT0, 1e9, &u->link_Bps, NULL);
  if (!st) st = parse_dim_links(&sub, up, u);
  if (!st) st = hw_desc_int(&sub, up, "links_per_chip", true, 1, 1 << 16, &links, NULL);
  u->links_per_chip = (int)links;
  if (!st) st = hw_desc_double(&sub, up, "chip_GBps", true, HW_GT0, 1e9, &u->chip_Bps, NULL);
  if (!st) st = hw_desc_double(&sub, up, "latency_us", true, HW_GE0, 1e-6, &u->latency_s, NULL);
  if (!st)
    st = hw_desc_double(&sub, up, "bw_efficiency", false, HW_FRAC, 1.0, &u->bw_efficiency, NULL);
  return st;
}

static ts_status parse_scaleout(hw_desc *d, ts_ynode root, const hw_scaleup *u, hw_scaleout *o) {
  ts_ynode out = ts_yaml_get(d->y, root, "scaleout");
  if (!out) return ts_yaml_fail(d->y, root, TS_EINPUT, d->err, "missing required field 'scaleout'");
  ts_status st = ts_yaml_check_keys(d->y, out, OUT_KEYS, "field 'scaleout'", d->err);
  hw_desc sub = *d;
  sub.prefix = "scaleout.";
  long long leaf = 0, max_chips = 0;
  if (!st)
    st = hw_desc_double(&sub, out, "nic_Gbps_per_chip", true, HW_GT0, 1e9 / 8.0,
                        &o->nic_Bps_per_chip, NULL);
  if (!st) st = hw_desc_double(&sub, out, "latency_us", true, HW_GE0, 1e-6, &o->latency_s, NULL);
  if (!st) st = hw_desc_bool(&sub, out, "rail_optimized", true, &o->rail_optimized, NULL);
  if (!st)
    st = hw_desc_double(&sub, out, "oversubscription", true, HW_GT0, 1.0, &o->oversubscription,
                        NULL);
  if (!st && o->oversubscription < 1.0)
    st = ts_yaml_fail(d->y, ts_yaml_get(d->y, out, "oversubscription"), TS_EINPUT, d->err,
                      "field 'scaleout.oversubscription': must be >= 1 (1 = non-blocking), got %g",
                      o->oversubscription);
  if (!st) st = hw_desc_int(&sub, out, "leaf_chips", true, 1, 1 << 20, &leaf, NULL);
  o->leaf_chips = (int)leaf;
  if (!st)
    st = hw_desc_int(&sub, out, "max_chips", true, u->domain_chips, 1LL << 40, &max_chips, NULL);
  o->max_chips = max_chips;
  if (!st)
    st = hw_desc_double(&sub, out, "bw_efficiency", false, HW_FRAC, 1.0, &o->bw_efficiency, NULL);
  return st;
}

/* attention: the stack's attention kernels, "flash" (default) or "unfused". */
static ts_status parse_attention(hw_desc *d, ts_ynode root, hw_system *s) {
  char text[32];
  bool present = false;
  ts_status st = hw_desc_str(d, root, "attention", false, text, sizeof text, &present);
  if (st || !present) return st;
  if (strcmp(text, "unfused") == 0 || strcmp(text, "flash") == 0) {
    s->naive_attention = text[0] == 'u';
    return TS_OK;
  }
  return ts_yaml_fail(d->y, ts_yaml_get(d->y, root, "attention"), TS_EINPUT, d->err,
                      "field 'attention': unknown kind '%s' (expected flash or unfused)", text);
}

/* The chip: a catalog name, or a path (relative paths start at the system file's folder). */
static ts_status load_chip(const ts_yaml *y, ts_ynode root, const char *base_path, hw_system *s,
                           ts_err *err) {
  ts_status st = ts_yaml_req_str(y, root, "chip", s->chip_name, sizeof s->chip_name, err);
  if (st) return st;
  for (const char *c = s->chip_name; *c; c++) /* messages quote the name: keep them one line */
    if ((unsigned char)*c < 0x20 || *c == 0x7f)
      return ts_yaml_fail(y, ts_yaml_get(y, root, "chip"), TS_EINPUT, err,
                          "field 'chip': '%s' holds a control character (expected a catalog "
                          "name or a path)",
                          s->chip_name);
  char path[4096];
  const char *ref = s->chip_name;
  if (hw_catalog_is_path(ref) && ref[0] != '/' && base_path) {
    const char *slash = strrchr(base_path, '/');
    int dir_len = slash ? (int)(slash - base_path) : 1;
    snprintf(path, sizeof path, "%.*s/%s", dir_len, slash ? base_path : ".", ref);
    ref = path;
  }
  st = hw_chip_load(ref, &s->chip, err);
  if (st)
    ts_err_prefix(err, "%s:%d: chip '%s'", ts_yaml_name(y),
                  ts_yaml_line(y, ts_yaml_get(y, root, "chip")), s->chip_name);
  return st;
}

ts_status hw_system_parse(const ts_yaml *y, const char *expect_name, const char *base_path,
                          hw_system *out, ts_err *err) {
  memset(out, 0, sizeof *out);
  ts_ynode root = ts_yaml_root(y);
  ts_status st = ts_yaml_check_keys(y, root, SYSTEM_KEYS, "system", err);
  if (!st) st = ts_yaml_req_str(y, root, "name", out->name, sizeof out->name, err);
  if (!st && !hw_catalog_valid_name(out->name))
    st = ts_yaml_fail(y, ts_yaml_get(y, root, "name"), TS_EINPUT, err,
                      "field 'name': '%s' is not a valid name (lower-case letters, digits, '.', "
                      "'_', '-')",
                      out->name);
  if (!st && expect_name && strcmp(out->name, expect_name) != 0)
    st = ts_yaml_fail(y, ts_yaml_get(y, root, "name"), TS_EINPUT, err,
                      "field 'name': '%s' does not match the catalog name '%s'", out->name,
                      expect_name);
  if (!st)
    st = ts_yaml_req_str(y, root, "description", out->description, sizeof out->description, err);
  if (!st) st = ts_yaml_req_str(y, root, "stack", out->stack, sizeof out->stack, err);
  hw_desc d = {
      .y = y, .sources = out->sources, .n_sources = &out->n_sources, .prefix = "", .err = err};
  if (!st) st = parse_attention(&d, root, out);
  bool overlap = true;
  if (!st) st = hw_desc_bool(&d, root, "grad_overlap", false, &overlap, NULL);
  out->dp_after_backward = !overlap;
  if (!st) st = parse_scaleup(&d, root, &out->up);
  if (!st) st = parse_scaleout(&d, root, &out->up, &out->out);
  if (!st)
    st = hw_desc_double(&d, root, "host_overhead_w_per_chip", true, HW_GE0, 1.0,
                        &out->host_overhead_w_per_chip, NULL);
  if (!st) st = load_chip(y, root, base_path, out, err);
  return st;
}

ts_status hw_system_load(const char *name_or_path, hw_system *out, ts_err *err) {
  memset(out, 0, sizeof *out);
  if (strcmp(name_or_path, "host") == 0) return hw_system_host(out, err);
  char path[4096];
  const char *expect;
  ts_yaml *y;
  ts_status st = hw_catalog_open(false, name_or_path, &y, path, sizeof path, &expect, err);
  if (st) return st;
  st = hw_system_parse(y, expect, path, out, err);
  ts_yaml_free(y);
  return st;
}

const char *hw_system_source(const hw_system *sys, const char *field) {
  return hw_desc_find_source(sys->sources, sys->n_sources, field);
}
