/* Reader of one Chakra .et file: a stream of varint-length-prefixed protobuf messages (the
 * "delimited" encoding), first a ChakraProtoMsg.GlobalMetadata, then one ChakraProtoMsg.Node per
 * node, until the end of the file. Every length is checked against the bytes left and against
 * CHAKRA_MAX_MESSAGE before protobuf-c's unpack sees it; every error names the file and the byte
 * offset of the record at fault. Nodes are kept in the compact form of chakra_int.h. */
#include "traces/chakra/chakra.h"

#include <stdlib.h>
#include <string.h>

#include "chakra.pb-c.h"
#include "hw/base/ts_io.h"
#include "traces/chakra/chakra_int.h"

static const size_t CHAKRA_MAX_FILE = (size_t)1 << 34;

static const char *const NODE_TYPE_NAMES[] = {"INVALID_NODE",   "METADATA_NODE", "MEM_LOAD_NODE",
                                              "MEM_STORE_NODE", "COMP_NODE",     "COMM_SEND_NODE",
                                              "COMM_RECV_NODE", "COMM_COLL_NODE"};
static const char *const COMM_TYPE_NAMES[CHAKRA_COMM_TYPE_COUNT] = {
    "ALL_REDUCE", "REDUCE",         "ALL_GATHER",           "GATHER", "SCATTER", "BROADCAST",
    "ALL_TO_ALL", "REDUCE_SCATTER", "REDUCE_SCATTER_BLOCK", "BARRIER"};

const char *chakra_node_type_name(uint32_t type) {
  return type < sizeof NODE_TYPE_NAMES / sizeof NODE_TYPE_NAMES[0] ? NODE_TYPE_NAMES[type] : "?";
}
const char *chakra_comm_type_name(int64_t type) {
  return type >= 0 && type < CHAKRA_COMM_TYPE_COUNT ? COMM_TYPE_NAMES[type] : "?";
}

void chakra_et_free(chakra_et *et) {
  if (!et) return;
  free(et->nodes);
  free(et->deps);
  free(et->strings);
  free(et);
}

uint32_t chakra_et_node_count(const chakra_et *et) {
  return et ? et->n_nodes : 0;
}

/* Grows a byte array to hold need elements of size elem (doubling). */
static bool grow(void **arr, uint64_t *cap, uint64_t need, size_t elem) {
  if (need <= *cap) return true;
  uint64_t ncap = *cap ? *cap : 64;
  while (ncap < need) ncap *= 2;
  if (ncap > SIZE_MAX / elem) return false;
  void *p = realloc(*arr, (size_t)ncap * elem);
  if (!p) return false;
  *arr = p;
  *cap = ncap;
  return true;
}

uint64_t chakra_et_add_string(chakra_et *et, const char *s) {
  size_t n = strlen(s) + 1;
  if (!grow((void **)&et->strings, &et->cap_strings, et->n_strings + n, 1)) return UINT64_MAX;
  uint64_t off = et->n_strings;
  memcpy(et->strings + off, s, n);
  et->n_strings += n;
  return off;
}

/* Reads the varint at data[*pos]; false when the input ends inside it or it has over 10 bytes. */
static bool read_varint(const unsigned char *data, size_t len, size_t *pos, uint64_t *out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (*pos >= len) return false;
    unsigned char b = data[(*pos)++];
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *out = v;
      return true;
    }
  }
  return false;
}

/* The next record: [start, start+*mlen) after its length prefix at offset *rec. */
static ts_status next_record(const char *name, const unsigned char *data, size_t len, size_t *pos,
                             size_t *rec, size_t *mlen, ts_err *err) {
  *rec = *pos;
  uint64_t n;
  if (!read_varint(data, len, pos, &n))
    return ts_fail(err, TS_EINPUT, "%s: byte %zu: truncated length varint (%zu bytes left)", name,
                   *rec, len - *rec);
  if (n > CHAKRA_MAX_MESSAGE)
    return ts_fail(err, TS_EINPUT,
                   "%s: byte %zu: message length %llu exceeds the limit of %d bytes", name, *rec,
                   (unsigned long long)n, CHAKRA_MAX_MESSAGE);
  if (n > len - *pos)
    return ts_fail(
        err, TS_EINPUT,
        "%s: byte %zu: message length %llu runs past the end of the file (%zu bytes left)", name,
        *rec, (unsigned long long)n, len - *pos);
  *mlen = (size_t)n;
  return TS_OK;
}

static ts_status read_metadata(chakra_et *et, const unsigned char *msg, size_t mlen, size_t rec,
                               ts_err *err) {
  ChakraProtoMsg__GlobalMetadata *m = chakra_proto_msg__global_metadata__unpack(NULL, mlen, msg);
  if (!m)
    return ts_fail(err, TS_EINPUT,
                   "%s: byte %zu: the first record (%zu bytes) does not parse as "
                   "ChakraProtoMsg.GlobalMetadata",
                   et->name, rec, mlen);
  snprintf(et->version, sizeof et->version, "%s", m->version ? m->version : "");
  for (size_t i = 0; i < m->n_attr; i++) {
    const ChakraProtoMsg__AttributeProto *a = m->attr[i];
    if (!a->name || strcmp(a->name, "schema") != 0 ||
        a->value_case != CHAKRA_PROTO_MSG__ATTRIBUTE_PROTO__VALUE_STRING_VAL)
      continue;
    et->stg = strcmp(a->string_val, "symbolic_tensor_network") == 0;
    et->trainsim = strcmp(a->string_val, "trainsim") == 0;
  }
  chakra_proto_msg__global_metadata__free_unpacked(m, NULL);
  return TS_OK;
}

static ts_status add_deps(chakra_et *et, chakra_node *n, const ChakraProtoMsg__Node *p,
                          ts_err *err) {
  uint64_t total = (uint64_t)p->n_data_deps + p->n_ctrl_deps;
  if (total > UINT32_MAX ||
      !grow((void **)&et->deps, &et->cap_deps, et->n_deps + total, sizeof *et->deps))
    return ts_fail(err, TS_ENOMEM, "%s: byte %llu: cannot hold %llu deps", et->name,
                   (unsigned long long)n->offset, (unsigned long long)total);
  n->dep_first = et->n_deps;
  n->n_deps = (uint32_t)total;
  if (p->n_data_deps)
    memcpy(et->deps + et->n_deps, p->data_deps, p->n_data_deps * sizeof(uint64_t));
  et->n_deps += p->n_data_deps;
  if (p->n_ctrl_deps)
    memcpy(et->deps + et->n_deps, p->ctrl_deps, p->n_ctrl_deps * sizeof(uint64_t));
  et->n_deps += p->n_ctrl_deps;
  return TS_OK;
}

static ts_status read_node(chakra_et *et, const unsigned char *msg, size_t mlen, size_t rec,
                           ts_err *err) {
  if (et->n_nodes >= TRACE_MAX_OPS)
    return ts_fail(err, TS_EINPUT, "%s: byte %zu: more than %d nodes", et->name, rec,
                   TRACE_MAX_OPS);
  ChakraProtoMsg__Node *p = chakra_proto_msg__node__unpack(NULL, mlen, msg);
  if (!p)
    return ts_fail(err, TS_EINPUT,
                   "%s: byte %zu: record of %zu bytes does not parse as "
                   "ChakraProtoMsg.Node",
                   et->name, rec, mlen);
  ts_status st = TS_OK;
  uint64_t cap = et->cap_nodes;
  if (!grow((void **)&et->nodes, &cap, (uint64_t)et->n_nodes + 1, sizeof *et->nodes)) {
    st = ts_fail(err, TS_ENOMEM, "%s: byte %zu: cannot hold %u nodes", et->name, rec,
                 et->n_nodes + 1);
  } else {
    et->cap_nodes = (uint32_t)(cap > UINT32_MAX ? UINT32_MAX : cap);
    chakra_node *n = &et->nodes[et->n_nodes];
    memset(n, 0, sizeof *n);
    n->id = p->id;
    n->offset = rec;
    n->type = (uint32_t)p->type;
    n->duration_micros = p->duration_micros;
    if ((int)p->type < (int)CHAKRA_NODE_METADATA || (int)p->type > (int)CHAKRA_NODE_COLL)
      st = ts_fail(err, TS_EINPUT,
                   "%s: byte %zu: node id %llu has type %d, expected 1..7 "
                   "(METADATA_NODE..COMM_COLL_NODE)",
                   et->name, rec, (unsigned long long)p->id, (int)p->type);
    if (!st) {
      n->name_off = chakra_et_add_string(et, p->name ? p->name : "");
      n->pg_off = chakra_et_add_string(et, "");
      n->inputs_off = UINT64_MAX;
      if (p->type == CHAKRA_PROTO_MSG__NODE_TYPE__METADATA_NODE && p->inputs && p->inputs->values &&
          p->inputs->values[0] == '[')
        n->inputs_off = chakra_et_add_string(et, p->inputs->values);
      if (n->name_off == UINT64_MAX || n->pg_off == UINT64_MAX)
        st = ts_fail(err, TS_ENOMEM, "%s: byte %zu: cannot hold node names", et->name, rec);
    }
    if (!st) st = add_deps(et, n, p, err);
    if (!st) st = chakra_node_attrs(et, n, p, err);
    if (!st) et->n_nodes++;
  }
  chakra_proto_msg__node__free_unpacked(p, NULL);
  return st;
}

ts_status chakra_et_read_mem(const char *name, const unsigned char *data, size_t len,
                             chakra_et **out, ts_err *err) {
  *out = NULL;
  chakra_et *et = calloc(1, sizeof *et);
  if (!et) return ts_fail(err, TS_ENOMEM, "%s: cannot allocate", name);
  snprintf(et->name, sizeof et->name, "%s", name);
  if (len == 0) {
    chakra_et_free(et);
    return ts_fail(err, TS_EINPUT, "%s: byte 0: empty file, expected a GlobalMetadata record",
                   name);
  }
  size_t pos = 0, rec = 0, mlen = 0;
  ts_status st = next_record(et->name, data, len, &pos, &rec, &mlen, err);
  if (!st) st = read_metadata(et, data + pos, mlen, rec, err);
  pos += st ? 0 : mlen;
  while (!st && pos < len) {
    st = next_record(et->name, data, len, &pos, &rec, &mlen, err);
    if (!st) st = read_node(et, data + pos, mlen, rec, err);
    if (!st) pos += mlen;
  }
  if (st) {
    chakra_et_free(et);
    return st;
  }
  *out = et;
  return TS_OK;
}

ts_status chakra_et_read_file(const char *path, chakra_et **out, ts_err *err) {
  char *data;
  size_t len;
  *out = NULL;
  ts_status st = ts_read_file(path, CHAKRA_MAX_FILE, &data, &len, err);
  if (st) return st;
  st = chakra_et_read_mem(path, (const unsigned char *)data, len, out, err);
  free(data);
  return st;
}
