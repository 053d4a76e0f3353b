/* Attributes of a Chakra node, decoded with their kind checked. The simulators rely on a handful
 * of named attributes (shared/specs/CHAKRA.md): integers are accepted in any of the ten integer
 * encodings (writers differ in signedness: STG writes is_cpu_op as int32_val, Chakra's own
 * generator as bool_val), a value of another kind is an error naming the attribute, and an
 * attribute with a name but no value (STG writes such "inputs"/"outputs") counts as absent.
 * trainsim's exporter adds ts_* attributes that carry the exact op (kind, shape, dtype, FLOPs and
 * bytes as doubles), so trainsim → Chakra → trainsim keeps the program; other readers ignore them.
 */
#include <math.h>
#include <string.h>

#include "chakra.pb-c.h"
#include "traces/chakra/chakra_int.h"

typedef ChakraProtoMsg__AttributeProto attr_t;

#define VAL(x) CHAKRA_PROTO_MSG__ATTRIBUTE_PROTO__VALUE_##x

/* Decode context: the node being filled, for messages. */
typedef struct actx {
  chakra_et *et;
  chakra_node *n;
  ts_err *err;
} actx;

static ts_status wrong_kind(const actx *c, const attr_t *a, const char *expected) {
  return ts_fail(c->err, TS_EINPUT,
                 "%s: byte %llu: node id %llu: attribute %s has value field %d, "
                 "expected %s",
                 c->et->name, (unsigned long long)c->n->offset, (unsigned long long)c->n->id,
                 a->name, (int)a->value_case, expected);
}

/* Any integer encoding as int64 (a uint64 above INT64_MAX is out of range). */
static ts_status get_int(const actx *c, const attr_t *a, int64_t *out) {
  uint64_t u;
  switch (a->value_case) {
    case VAL(INT32_VAL):
      *out = a->int32_val;
      return TS_OK;
    case VAL(INT64_VAL):
      *out = a->int64_val;
      return TS_OK;
    case VAL(SINT32_VAL):
      *out = a->sint32_val;
      return TS_OK;
    case VAL(SINT64_VAL):
      *out = a->sint64_val;
      return TS_OK;
    case VAL(SFIXED32_VAL):
      *out = a->sfixed32_val;
      return TS_OK;
    case VAL(SFIXED64_VAL):
      *out = a->sfixed64_val;
      return TS_OK;
    case VAL(UINT32_VAL):
      *out = a->uint32_val;
      return TS_OK;
    case VAL(FIXED32_VAL):
      *out = a->fixed32_val;
      return TS_OK;
    case VAL(UINT64_VAL):
      u = a->uint64_val;
      break;
    case VAL(FIXED64_VAL):
      u = a->fixed64_val;
      break;
    default:
      return wrong_kind(c, a, "an integer");
  }
  if (u > (uint64_t)INT64_MAX)
    return ts_fail(c->err, TS_EINPUT,
                   "%s: byte %llu: node id %llu: attribute %s = %llu is out of "
                   "range",
                   c->et->name, (unsigned long long)c->n->offset, (unsigned long long)c->n->id,
                   a->name, (unsigned long long)u);
  *out = (int64_t)u;
  return TS_OK;
}

/* A non-negative integer (sizes, counts). */
static ts_status get_count(const actx *c, const attr_t *a, int64_t *out) {
  ts_status st = get_int(c, a, out);
  if (!st && *out < 0)
    return ts_fail(c->err, TS_EINPUT,
                   "%s: byte %llu: node id %llu: attribute %s = %lld, expected "
                   ">= 0",
                   c->et->name, (unsigned long long)c->n->offset, (unsigned long long)c->n->id,
                   a->name, (long long)*out);
  return st;
}

static ts_status get_bool(const actx *c, const attr_t *a, bool *out) {
  if (a->value_case == VAL(BOOL_VAL)) {
    *out = a->bool_val;
    return TS_OK;
  }
  int64_t v;
  ts_status st = get_int(c, a, &v);
  if (st) return wrong_kind(c, a, "bool_val or an integer");
  *out = v != 0;
  return TS_OK;
}

static ts_status get_string(const actx *c, const attr_t *a, const char **out) {
  if (a->value_case != VAL(STRING_VAL)) return wrong_kind(c, a, "string_val");
  *out = a->string_val ? a->string_val : "";
  return TS_OK;
}

static ts_status get_double(const actx *c, const attr_t *a, double *out) {
  if (a->value_case != VAL(DOUBLE_VAL)) return wrong_kind(c, a, "double_val");
  if (!isfinite(a->double_val) || a->double_val < 0)
    return ts_fail(c->err, TS_EINPUT,
                   "%s: byte %llu: node id %llu: attribute %s = %g, expected "
                   "finite and >= 0",
                   c->et->name, (unsigned long long)c->n->offset, (unsigned long long)c->n->id,
                   a->name, a->double_val);
  *out = a->double_val;
  return TS_OK;
}

static ts_status bad_value(const actx *c, const attr_t *a, const char *text) {
  return ts_fail(c->err, TS_EINPUT,
                 "%s: byte %llu: node id %llu: attribute %s = '%s' is not a "
                 "trainsim name",
                 c->et->name, (unsigned long long)c->n->offset, (unsigned long long)c->n->id,
                 a->name, text);
}

/* ts_op / ts_dtype / ts_phase / ts_stream / ts_comm: names of trainsim's enums. */
static ts_status ts_name_attr(const actx *c, const attr_t *a) {
  const char *s = "";
  ts_status st = get_string(c, a, &s);
  if (st) return st;
  trace_op *o = &c->n->ts;
  if (strcmp(a->name, "ts_op") == 0) {
    trace_op_kind k;
    if (!trace_op_kind_parse(s, &k)) return bad_value(c, a, s);
    o->kind = (uint8_t)k;
    c->n->have |= CHAKRA_HAVE_TS_OP;
  } else if (strcmp(a->name, "ts_dtype") == 0) {
    hw_dtype d;
    if (!hw_dtype_parse(s, &d)) return bad_value(c, a, s);
    o->dtype = (uint8_t)d;
  } else if (strcmp(a->name, "ts_phase") == 0) {
    trace_phase p;
    if (!trace_phase_parse(s, &p)) return bad_value(c, a, s);
    o->phase = (uint8_t)p;
  } else if (strcmp(a->name, "ts_stream") == 0) {
    trace_stream t;
    if (!trace_stream_parse(s, &t)) return bad_value(c, a, s);
    o->stream = (uint8_t)t;
  } else {
    if (strlen(s) >= sizeof c->n->ts_comm) return bad_value(c, a, s);
    memcpy(c->n->ts_comm, s, strlen(s) + 1);
  }
  return TS_OK;
}

/* ts_layer / ts_micro / ts_flags / ts_m / ts_n / ts_k / ts_count: integers of the op. */
static ts_status ts_int_attr(const actx *c, const attr_t *a) {
  int64_t v = 0;
  ts_status st = get_count(c, a, &v);
  if (st) return st;
  trace_op *o = &c->n->ts;
  const char *f = a->name + 3;
  if (strcmp(f, "layer") == 0 && v <= UINT16_MAX)
    o->layer = (uint16_t)v;
  else if (strcmp(f, "micro") == 0 && v <= UINT32_MAX)
    o->micro = (uint32_t)v;
  else if (strcmp(f, "flags") == 0 && v <= UINT8_MAX)
    o->flags = (uint8_t)v;
  else if (strcmp(f, "m") == 0)
    o->m = v;
  else if (strcmp(f, "n") == 0)
    o->n = v;
  else if (strcmp(f, "k") == 0)
    o->k = v;
  else if (strcmp(f, "count") == 0)
    o->count = v;
  else if (strcmp(f, "layer") != 0 && strcmp(f, "micro") != 0 && strcmp(f, "flags") != 0)
    return TS_OK; /* a ts_ attribute of a later trainsim: ignored */
  else
    return ts_fail(c->err, TS_EINPUT,
                   "%s: byte %llu: node id %llu: attribute %s = %lld is out of "
                   "range",
                   c->et->name, (unsigned long long)c->n->offset, (unsigned long long)c->n->id,
                   a->name, (long long)v);
  return TS_OK;
}

static ts_status ts_attr(const actx *c, const attr_t *a) {
  static const char *const NAMES[] = {"ts_op", "ts_dtype", "ts_phase", "ts_stream", "ts_comm"};
  for (size_t i = 0; i < sizeof NAMES / sizeof NAMES[0]; i++)
    if (strcmp(a->name, NAMES[i]) == 0) return ts_name_attr(c, a);
  if (strcmp(a->name, "ts_flops") == 0) {
    c->n->have |= CHAKRA_HAVE_TS_FLOPS;
    return get_double(c, a, &c->n->ts.flops);
  }
  if (strcmp(a->name, "ts_bytes") == 0) {
    c->n->have |= CHAKRA_HAVE_TS_BYTES;
    return get_double(c, a, &c->n->ts.bytes);
  }
  if (strcmp(a->name, "ts_duration_s") == 0) return get_double(c, a, &c->n->ts_duration_s);
  return ts_int_attr(c, a);
}

/* The attributes of shared/specs/CHAKRA.md's table. */
static ts_status known_attr(const actx *c, const attr_t *a, bool *used) {
  chakra_node *n = c->n;
  *used = true;
  const char *s = a->name;
  if (strcmp(s, "num_ops") == 0)
    return n->have |= CHAKRA_HAVE_NUM_OPS, get_count(c, a, &n->num_ops);
  if (strcmp(s, "comm_type") == 0)
    return n->have |= CHAKRA_HAVE_COMM_TYPE, get_int(c, a, &n->comm_type);
  if (strcmp(s, "comm_size") == 0)
    return n->have |= CHAKRA_HAVE_COMM_SIZE, get_count(c, a, &n->comm_size);
  if (strcmp(s, "comm_src") == 0)
    return n->have |= CHAKRA_HAVE_COMM_SRC, get_int(c, a, &n->comm_src);
  if (strcmp(s, "comm_dst") == 0)
    return n->have |= CHAKRA_HAVE_COMM_DST, get_int(c, a, &n->comm_dst);
  if (strcmp(s, "comm_tag") == 0)
    return n->have |= CHAKRA_HAVE_COMM_TAG, get_int(c, a, &n->comm_tag);
  if (strcmp(s, "is_cpu_op") == 0) return get_bool(c, a, &n->is_cpu_op);
  if (strcmp(s, "tensor_size") == 0) {
    int64_t v;
    ts_status st = get_count(c, a, &v);
    n->tensor_size = (uint64_t)v;
    n->have |= CHAKRA_HAVE_TENSOR_SIZE;
    return st;
  }
  if (strcmp(s, "pg_name") == 0) {
    const char *pg = "";
    ts_status st = get_string(c, a, &pg);
    if (st) return st;
    n->pg_off = chakra_et_add_string(c->et, pg);
    n->have |= CHAKRA_HAVE_PG_NAME;
    if (n->pg_off == UINT64_MAX)
      return ts_fail(c->err, TS_ENOMEM, "%s: out of memory", c->et->name);
    return TS_OK;
  }
  *used = false;
  return TS_OK;
}

ts_status chakra_node_attrs(chakra_et *et, chakra_node *n, const void *proto_node, ts_err *err) {
  const ChakraProtoMsg__Node *p = proto_node;
  actx c = {et, n, err};
  n->ts.count = 1;
  n->ts.layer = TRACE_NO_LAYER;
  n->ts.dtype = HW_BF16;
  n->ts.comm = TRACE_NO_COMM;
  n->ts.peer = -1;
  if (n->type == CHAKRA_NODE_METADATA) return TS_OK; /* attributes of any kind, none used */
  for (size_t i = 0; i < p->n_attr; i++) {
    const attr_t *a = p->attr[i];
    if (!a->name || a->value_case == VAL(_NOT_SET)) continue;
    bool used;
    ts_status st = known_attr(&c, a, &used);
    if (st) return st;
    if (!used && et->trainsim && strncmp(a->name, "ts_", 3) == 0) st = ts_attr(&c, a);
    if (st) return st;
  }
  return TS_OK;
}
