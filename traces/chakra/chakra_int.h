/* Internals shared by the files of traces/chakra/ (reader, importer, exporter); no other folder
 * includes this. A decoded .et file is kept as compact nodes: the fields and the attributes the
 * importer uses, already checked for kind and range by the reader (so every attribute error names
 * the file and the byte offset of its record). */
#ifndef TRACES_CHAKRA_INT_H
#define TRACES_CHAKRA_INT_H

#include "traces/chakra/chakra.h"

/* Node types (ChakraProtoMsg.NodeType) and collectives (CollectiveCommType), as on the wire. */
enum {
  CHAKRA_NODE_METADATA = 1,
  CHAKRA_NODE_MEM_LOAD = 2,
  CHAKRA_NODE_MEM_STORE = 3,
  CHAKRA_NODE_COMP = 4,
  CHAKRA_NODE_SEND = 5,
  CHAKRA_NODE_RECV = 6,
  CHAKRA_NODE_COLL = 7
};
enum {
  CHAKRA_ALL_REDUCE = 0,
  CHAKRA_REDUCE = 1,
  CHAKRA_ALL_GATHER = 2,
  CHAKRA_GATHER = 3,
  CHAKRA_SCATTER = 4,
  CHAKRA_BROADCAST = 5,
  CHAKRA_ALL_TO_ALL = 6,
  CHAKRA_REDUCE_SCATTER = 7,
  CHAKRA_REDUCE_SCATTER_BLOCK = 8,
  CHAKRA_BARRIER = 9,
  CHAKRA_COMM_TYPE_COUNT = 10
};

/* Which attributes a node carries (bits of chakra_node.have). */
enum {
  CHAKRA_HAVE_NUM_OPS = 1 << 0,
  CHAKRA_HAVE_TENSOR_SIZE = 1 << 1,
  CHAKRA_HAVE_COMM_TYPE = 1 << 2,
  CHAKRA_HAVE_COMM_SIZE = 1 << 3,
  CHAKRA_HAVE_COMM_SRC = 1 << 4,
  CHAKRA_HAVE_COMM_DST = 1 << 5,
  CHAKRA_HAVE_COMM_TAG = 1 << 6,
  CHAKRA_HAVE_PG_NAME = 1 << 7,
  CHAKRA_HAVE_TS_OP = 1 << 8, /* trainsim's own attributes (ts_*) restore the exact op */
  CHAKRA_HAVE_TS_FLOPS = 1 << 9,
  CHAKRA_HAVE_TS_BYTES = 1 << 10
};

typedef struct chakra_node {
  uint64_t id;
  uint64_t offset;   /* byte offset of the record's length prefix in its file */
  uint32_t type;     /* CHAKRA_NODE_* */
  uint32_t have;     /* CHAKRA_HAVE_* */
  uint64_t name_off; /* into chakra_et.strings */
  uint64_t pg_off;   /* pg_name, into chakra_et.strings */
  uint64_t
      inputs_off; /* METADATA node: inputs.values (PyTorch's process groups), UINT64_MAX: none */
  uint64_t dep_first; /* into chakra_et.deps: data_deps then ctrl_deps */
  uint32_t n_deps;
  bool is_cpu_op;
  uint64_t duration_micros;
  int64_t num_ops, comm_type, comm_size, comm_src, comm_dst, comm_tag;
  uint64_t tensor_size;
  trace_op ts;          /* with CHAKRA_HAVE_TS_OP: kind, dtype, phase, stream, layer, micro, flags,
                           m, n, k, count (flops and bytes with the TS_FLOPS / TS_BYTES bits) */
  char ts_comm[16];     /* the trainsim communicator name, "" when absent */
  double ts_duration_s; /* ts_duration_s attribute (0 when absent) */
} chakra_node;

struct chakra_et {
  char name[4096]; /* file name for messages */
  char version[64];
  bool stg;      /* schema = "symbolic_tensor_network" */
  bool trainsim; /* schema = "trainsim" */
  chakra_node *nodes;
  uint32_t n_nodes, cap_nodes;
  uint64_t *deps;
  uint64_t n_deps, cap_deps;
  char *strings; /* NUL-terminated strings back to back */
  uint64_t n_strings, cap_strings;
};

static inline const char *chakra_node_name(const chakra_et *et, const chakra_node *n) {
  return et->strings + n->name_off;
}
static inline const char *chakra_node_pg(const chakra_et *et, const chakra_node *n) {
  return et->strings + n->pg_off;
}
const char *chakra_node_type_name(uint32_t type); /* "COMP_NODE", ... "?" */
const char *chakra_comm_type_name(int64_t type);  /* "ALL_REDUCE", ... "?" */

/* Decodes the attributes of one node message into n (the proto message is passed as void * so
 * that this header does not need the generated one). */
ts_status chakra_node_attrs(chakra_et *et, chakra_node *n, const void *proto_node, ts_err *err);
/* Appends a string to et->strings; returns its offset or UINT64_MAX on allocation failure. */
uint64_t chakra_et_add_string(chakra_et *et, const char *s);

/* The comm-group file: group name → sorted rank list. */
typedef struct chakra_group {
  char *name;
  int64_t *ranks;
  uint32_t n_ranks;
} chakra_group;
typedef struct chakra_groups {
  chakra_group *groups;
  uint32_t n;
} chakra_groups;
ts_status chakra_groups_read(const char *path, int64_t world, chakra_groups *g, ts_err *err);
void chakra_groups_fini(chakra_groups *g);
const chakra_group *chakra_groups_find(const chakra_groups *g, const char *name);
/* Adds the process groups a captured PyTorch trace lists in a METADATA node's inputs.values (a
 * JSON list of {"pg_name": ..., "ranks": [...]}, an empty list meaning all ranks); text that is not
 * such a list is ignored. A group listed again must have the same ranks. where names the record. */
ts_status chakra_groups_add_pytorch(chakra_groups *g, const char *where, const char *text,
                                    int64_t world, ts_err *err);

/* The first rank of rank's group on a communicator (the same rule as sim/: ranks r, r+stride, ...
 * of a block of size*stride). */
static inline int64_t chakra_comm_base(int64_t size, int64_t stride, int64_t rank) {
  return rank - ((rank / stride) % size) * stride;
}

/* ---- import internals (chakra_import.c, chakra_program.c, chakra_fold.c) -----------------------
 */
/* One rank's program in topological order, before ranks are folded into classes. */
typedef struct chakra_prog {
  trace_op *ops; /* op.peer is -1 here; the peer rank is in peer_rank */
  uint32_t n_ops;
  uint32_t *deps; /* op indices, each op's in trace_op.dep_first/dep_count */
  uint32_t n_deps, cap_deps;
  int64_t *peer_rank; /* per op: send/recv peer rank, -1 otherwise */
  int64_t *tag;       /* per op: comm_tag of a send/recv */
  uint32_t *node;     /* per op: index of its node in the rank's file */
} chakra_prog;

/* A communicator found in the trace: ranks r, r+stride, ... (blocks of size*stride). */
typedef struct chakra_comm {
  int64_t size, stride;
  bool coll;        /* used by a collective (picks a stream) */
  char ts_name[16]; /* the name trainsim's exporter gave it, "" when none or conflicting */
  bool ts_conflict;
} chakra_comm;

typedef struct chakra_ctx {
  int64_t world;
  int elem_bytes;
  bool convert;    /* STG writer and not as_astra_sim: MACs x2, elements x elem_bytes */
  chakra_et **ets; /* one per rank */
  chakra_groups groups;
  bool have_groups;
  const char *groups_path;
  chakra_prog *progs; /* one per rank */
  uint32_t n_comms;
  chakra_comm comms[TRACE_MAX_COMMS];
  chakra_import_stats *stats;
} chakra_ctx;

/* Converts rank's file into x->progs[rank]: topological sort (stable by file order), node → op. */
ts_status chakra_program_build(chakra_ctx *x, int64_t rank, ts_err *err);
void chakra_prog_fini(chakra_prog *p);
/* Checks that ranks agree on every collective of a group and that sends and recvs pair up. */
ts_status chakra_check_ranks(const chakra_ctx *x, ts_err *err);
/* Picks streams, folds ranks into classes and builds the trace. */
ts_status chakra_fold(chakra_ctx *x, trace **out, ts_err *err);

#endif
