/* The host described by hwloc: packages, cores, hardware threads, NUMA nodes, memory, cache
 * sizes and the CPU model. The fingerprint keys the calibration file (sim/kern): it holds what
 * changes a measured kernel time on this machine (CPU model, core and thread counts, cache
 * sizes, the OpenBLAS build and its kernel choice) and nothing that varies between runs. */
#include "hw/hw.h"

#include <cblas.h>
#include <hwloc.h>
#include <stdio.h>
#include <string.h>

static int count_of(hwloc_topology_t topo, hwloc_obj_type_t type) {
  int n = hwloc_get_nbobjs_by_type(topo, type);
  return n > 0 ? n : 0;
}

/* Size of the first cache of a level (data or unified), 0 when absent. */
static double cache_bytes(hwloc_topology_t topo, hwloc_obj_type_t type) {
  int n = count_of(topo, type);
  for (int i = 0; i < n; i++) {
    hwloc_obj_t o = hwloc_get_obj_by_type(topo, type, (unsigned)i);
    if (o && o->attr && o->attr->cache.type != HWLOC_OBJ_CACHE_INSTRUCTION)
      return (double)o->attr->cache.size;
  }
  return 0.0;
}

static void cpu_model(hwloc_topology_t topo, char *buf, size_t cap) {
  const char *model = NULL;
  hwloc_obj_t pkg = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PACKAGE, 0);
  if (pkg) model = hwloc_obj_get_info_by_name(pkg, "CPUModel");
  if (!model) model = hwloc_obj_get_info_by_name(hwloc_get_root_obj(topo), "CPUModel");
  snprintf(buf, cap, "%s", model && *model ? model : "unknown CPU");
}

static void fingerprint(hw_host *h) {
  const char *blas = openblas_get_config();
  snprintf(h->fingerprint, sizeof h->fingerprint,
           "%s|packages=%d|cores=%d|pus=%d|l1d=%.0f|l2=%.0f|l3=%.0fx%d|%s", h->cpu_model,
           h->packages, h->cores, h->pus, h->l1d_bytes, h->l2_bytes, h->l3_bytes, h->l3_count,
           blas ? blas : "openblas?");
}

ts_status hw_host_describe(hw_host *out, ts_err *err) {
  memset(out, 0, sizeof *out);
  hwloc_topology_t topo;
  if (hwloc_topology_init(&topo) != 0)
    return ts_fail(err, TS_ERUN, "hwloc: cannot initialise the topology");
  if (hwloc_topology_load(topo) != 0) {
    hwloc_topology_destroy(topo);
    return ts_fail(err, TS_ERUN, "hwloc: cannot load this machine's topology");
  }
  cpu_model(topo, out->cpu_model, sizeof out->cpu_model);
  out->pus = count_of(topo, HWLOC_OBJ_PU);
  out->cores = count_of(topo, HWLOC_OBJ_CORE);
  if (out->cores == 0) out->cores = out->pus; /* some virtual machines expose no cores */
  out->packages = count_of(topo, HWLOC_OBJ_PACKAGE);
  if (out->packages == 0) out->packages = 1;
  out->numa_nodes = count_of(topo, HWLOC_OBJ_NUMANODE);
  if (out->numa_nodes == 0) out->numa_nodes = 1;
  out->memory_bytes = (double)hwloc_get_root_obj(topo)->total_memory;
  out->l1d_bytes = cache_bytes(topo, HWLOC_OBJ_L1CACHE);
  out->l2_bytes = cache_bytes(topo, HWLOC_OBJ_L2CACHE);
  out->l3_bytes = cache_bytes(topo, HWLOC_OBJ_L3CACHE);
  out->l3_count = count_of(topo, HWLOC_OBJ_L3CACHE);
  hwloc_topology_destroy(topo);
  if (out->pus < 1 || out->memory_bytes <= 0.0)
    return ts_fail(err, TS_ERUN, "hwloc: found %d hardware threads and %.0f bytes of memory",
                   out->pus, out->memory_bytes);
  fingerprint(out);
  return TS_OK;
}
