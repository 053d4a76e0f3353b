/* Chakra execution traces (MLCommons ET, the input of ASTRA-sim): import a prefix of per-rank
 * files into one trainsim trace with rank classes, export a trainsim trace to per-rank files plus
 * the comm-group JSON, and read one .et stream (for tests and the fuzz target).
 *
 * The wire format and the attributes each simulator reads are in shared/specs/CHAKRA.md; trainsim's
 * own schema is traces/chakra/chakra.proto. The node → op mapping is at the top of
 * chakra_program.c, the STG (ASTRA-sim's symbolic_tensor_network generator) unit conversion at the
 * top of chakra_import.c, the class folding in chakra_fold.c, the export form in chakra_export.c.
 */
#ifndef TRACES_CHAKRA_H
#define TRACES_CHAKRA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hw/base/ts_err.h"
#include "traces/trace.h"

/* ---- one .et file ------------------------------------------------------------------------------
 */
typedef struct chakra_et chakra_et; /* one rank's decoded file (see chakra_int.h) */

enum {
  CHAKRA_MAX_MESSAGE = 64 << 20, /* bytes of one delimited message */
  CHAKRA_MAX_RANKS = 1 << 24     /* ranks of one prefix */
};

/* Reads a delimited stream (GlobalMetadata, then Nodes). name is used in messages, which give the
 * byte offset of the record at fault. Errors are TS_EINPUT (TS_ENOMEM on allocation failure). */
ts_status chakra_et_read_mem(const char *name, const unsigned char *data, size_t len,
                             chakra_et **out, ts_err *err);
ts_status chakra_et_read_file(const char *path, chakra_et **out, ts_err *err);
void chakra_et_free(chakra_et *et);
uint32_t chakra_et_node_count(const chakra_et *et);

/* ---- import -----------------------------------------------------------------------------------
 */
typedef struct chakra_import_options {
  int elem_bytes;    /* bytes per element when a writer gives element counts (STG); 0 = 2 */
  bool as_astra_sim; /* read num_ops as FLOPs and sizes as bytes, as ASTRA-sim does */
} chakra_import_options;

typedef struct chakra_import_stats {
  int64_t ranks;
  uint64_t nodes; /* nodes read over all ranks (metadata and CPU nodes included) */
  uint32_t classes;
  bool stg;             /* GlobalMetadata attr schema = "symbolic_tensor_network" */
  bool trainsim_writer; /* written by trainsim's exporter (exact op fields restored) */
  bool converted;       /* STG units converted: num_ops x2 (MACs to FLOPs), sizes x elem_bytes */
  int elem_bytes;
  char groups_path[4096];  /* the comm-group file read, "" when none */
  uint64_t metadata_nodes; /* METADATA nodes: no op; their deps are passed on */
  uint64_t cpu_nodes;      /* COMP nodes with is_cpu_op: skipped like metadata */
  uint64_t duration_only;  /* COMP nodes with only duration_micros (see chakra_import.c) */
  uint64_t approx_colls;   /* REDUCE/GATHER/SCATTER/BROADCAST/BARRIER mapped to a like collective */
} chakra_import_stats;

/* Imports PREFIX.<rank>.et for ranks 0..N-1 (N-1 the highest rank found; every rank must exist).
 * groups_json: the comm-group file, or NULL to use PREFIX.json when it exists. The trace carries
 * no model, plan or system (has_model = false). stats may be NULL. */
ts_status chakra_import(const char *prefix, const char *groups_json,
                        const chakra_import_options *opt, trace **out, chakra_import_stats *stats,
                        ts_err *err);

/* ---- export -----------------------------------------------------------------------------------
 */
typedef struct chakra_export_options {
  const int64_t *ranks; /* the ranks to write; NULL = all */
  size_t n_ranks;
} chakra_export_options;

typedef struct chakra_export_stats {
  int64_t files;   /* .et files written */
  uint64_t nodes;  /* nodes written over those files */
  uint32_t groups; /* entries of the comm-group JSON */
} chakra_export_stats;

/* Writes PREFIX.<rank>.et (each rank runs its class's program with its own peers and groups) and
 * PREFIX.json. Everything is encoded before the first file is written; on a write failure the
 * files written by this call are removed. opt and stats may be NULL. */
ts_status chakra_export(const trace *t, const char *prefix, const chakra_export_options *opt,
                        chakra_export_stats *stats, ts_err *err);

#endif
