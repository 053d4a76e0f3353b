/* Checks across the ranks of an imported Chakra trace, before they are folded into classes: the
 * members of a group must issue the same collectives (kind and size) in the same order — Chakra
 * matches a collective across its group by order of issue — and every send must have the recv with
 * the same (src, dst, tag) and size. A disagreement names both ranks and both node ids, with the
 * byte offsets of their records. */
#include <stdlib.h>
#include <string.h>

#include "traces/chakra/chakra_int.h"

/* "FILE byte N node id X" of rank r's op i, for messages. */
static void where(const chakra_ctx *x, int64_t r, uint32_t i, char *buf, size_t cap) {
  const chakra_et *et = x->ets[r];
  const chakra_node *nd = &et->nodes[x->progs[r].node[i]];
  snprintf(buf, cap, "node id %llu (%s byte %llu)", (unsigned long long)nd->id, et->name,
           (unsigned long long)nd->offset);
}

static const char *pg_of(const chakra_ctx *x, int64_t r, uint32_t i) {
  const chakra_et *et = x->ets[r];
  const char *pg = chakra_node_pg(et, &et->nodes[x->progs[r].node[i]]);
  return pg[0] ? pg : "0";
}

/* The next collective on comm m at or after op *i of rank r's program; false at the end. */
static bool next_coll(const chakra_prog *p, uint32_t m, uint32_t *i) {
  for (; *i < p->n_ops; (*i)++) {
    const trace_op *o = &p->ops[*i];
    if (o->comm == m && trace_op_is_comm(o->kind) && o->kind != TRACE_OP_SEND &&
        o->kind != TRACE_OP_RECV)
      return true;
  }
  return false;
}

static ts_status compare_colls(const chakra_ctx *x, uint32_t m, int64_t a, int64_t b, ts_err *err) {
  const chakra_prog *pa = &x->progs[a], *pb = &x->progs[b];
  uint32_t i = 0, j = 0, k = 0;
  char wa[600], wb[600];
  for (;; i++, j++, k++) {
    bool ha = next_coll(pa, m, &i), hb = next_coll(pb, m, &j);
    if (!ha && !hb) return TS_OK;
    if (ha != hb) {
      int64_t r = ha ? a : b, q = ha ? b : a;
      where(x, r, ha ? i : j, wa, sizeof wa);
      return ts_fail(err, TS_EINPUT,
                     "ranks %lld and %lld disagree on group \"%s\": rank %lld issues "
                     "collective #%u, %s, and rank %lld has no collective #%u",
                     (long long)a, (long long)b, pg_of(x, r, ha ? i : j), (long long)r, k, wa,
                     (long long)q, k);
    }
    const trace_op *oa = &pa->ops[i], *ob = &pb->ops[j];
    if (oa->kind == ob->kind && oa->bytes == ob->bytes) continue;
    where(x, a, i, wa, sizeof wa);
    where(x, b, j, wb, sizeof wb);
    return ts_fail(err, TS_EINPUT,
                   "ranks %lld and %lld disagree on collective #%u of their group: "
                   "rank %lld %s is %s of %.17g bytes on group \"%s\", rank %lld %s is %s of %.17g "
                   "bytes on group \"%s\"",
                   (long long)a, (long long)b, k, (long long)a, wa, trace_op_kind_name(oa->kind),
                   oa->bytes, pg_of(x, a, i), (long long)b, wb, trace_op_kind_name(ob->kind),
                   ob->bytes, pg_of(x, b, j));
  }
}

static ts_status check_colls(const chakra_ctx *x, ts_err *err) {
  for (uint32_t m = 0; m < x->n_comms; m++) {
    const chakra_comm *c = &x->comms[m];
    if (!c->coll) continue;
    for (int64_t r = 0; r < x->world; r++) {
      int64_t base = chakra_comm_base(c->size, c->stride, r);
      if (base == r) continue;
      ts_status st = compare_colls(x, m, base, r, err);
      if (st) return st;
    }
  }
  return TS_OK;
}

/* ---- send/recv pairs ----------------------------------------------------------------------------
 */
typedef struct msg {
  int64_t src, dst, tag, rank; /* rank: whose op it is */
  uint32_t op;
  double bytes;
} msg;

static int cmp_msg(const void *pa, const void *pb) {
  const msg *a = pa, *b = pb;
  if (a->src != b->src) return a->src < b->src ? -1 : 1;
  if (a->dst != b->dst) return a->dst < b->dst ? -1 : 1;
  if (a->tag != b->tag) return a->tag < b->tag ? -1 : 1;
  return (a->op > b->op) - (a->op < b->op);
}

static ts_status collect(const chakra_ctx *x, msg **s, size_t *ns, msg **r, size_t *nr,
                         ts_err *err) {
  size_t cs = 0, cr = 0;
  for (int64_t k = 0; k < x->world; k++)
    for (uint32_t i = 0; i < x->progs[k].n_ops; i++) {
      cs += x->progs[k].ops[i].kind == TRACE_OP_SEND;
      cr += x->progs[k].ops[i].kind == TRACE_OP_RECV;
    }
  *s = malloc((cs ? cs : 1) * sizeof **s);
  *r = malloc((cr ? cr : 1) * sizeof **r);
  if (!*s || !*r) return ts_fail(err, TS_ENOMEM, "out of memory pairing sends and recvs");
  *ns = *nr = 0;
  for (int64_t k = 0; k < x->world; k++) {
    const chakra_prog *p = &x->progs[k];
    for (uint32_t i = 0; i < p->n_ops; i++) {
      if (p->ops[i].kind == TRACE_OP_SEND)
        (*s)[(*ns)++] = (msg){k, p->peer_rank[i], p->tag[i], k, i, p->ops[i].bytes};
      else if (p->ops[i].kind == TRACE_OP_RECV)
        (*r)[(*nr)++] = (msg){p->peer_rank[i], k, p->tag[i], k, i, p->ops[i].bytes};
    }
  }
  qsort(*s, *ns, sizeof **s, cmp_msg);
  qsort(*r, *nr, sizeof **r, cmp_msg);
  return TS_OK;
}

static ts_status unmatched(const chakra_ctx *x, const msg *m, bool send, ts_err *err) {
  char w[600];
  where(x, m->rank, m->op, w, sizeof w);
  if (send)
    return ts_fail(err, TS_EINPUT,
                   "rank %lld %s sends to rank %lld with tag %lld, but rank %lld has "
                   "no recv from rank %lld with that tag",
                   (long long)m->src, w, (long long)m->dst, (long long)m->tag, (long long)m->dst,
                   (long long)m->src);
  return ts_fail(err, TS_EINPUT,
                 "rank %lld %s receives from rank %lld with tag %lld, but rank %lld "
                 "has no send to rank %lld with that tag",
                 (long long)m->dst, w, (long long)m->src, (long long)m->tag, (long long)m->src,
                 (long long)m->dst);
}

static ts_status match(const chakra_ctx *x, const msg *s, size_t ns, const msg *r, size_t nr,
                       ts_err *err) {
  size_t i = 0, j = 0;
  while (i < ns || j < nr) {
    int c = i == ns ? 1 : j == nr ? -1 : cmp_msg(&s[i], &r[j]);
    if (i < ns && j < nr && s[i].src == r[j].src && s[i].dst == r[j].dst && s[i].tag == r[j].tag)
      c = 0;
    if (c < 0) return unmatched(x, &s[i], true, err);
    if (c > 0) return unmatched(x, &r[j], false, err);
    if (s[i].bytes != r[j].bytes) {
      char ws[600], wr[600];
      where(x, s[i].rank, s[i].op, ws, sizeof ws);
      where(x, r[j].rank, r[j].op, wr, sizeof wr);
      return ts_fail(err, TS_EINPUT,
                     "rank %lld %s sends %.17g bytes to rank %lld (tag %lld), but "
                     "rank %lld %s expects %.17g",
                     (long long)s[i].src, ws, s[i].bytes, (long long)s[i].dst, (long long)s[i].tag,
                     (long long)r[j].dst, wr, r[j].bytes);
    }
    i++;
    j++;
  }
  return TS_OK;
}

ts_status chakra_check_ranks(const chakra_ctx *x, ts_err *err) {
  ts_status st = check_colls(x, err);
  if (st) return st;
  msg *s = NULL, *r = NULL;
  size_t ns = 0, nr = 0;
  st = collect(x, &s, &ns, &r, &nr, err);
  if (!st) st = match(x, s, ns, r, nr, err);
  free(s);
  free(r);
  return st;
}
