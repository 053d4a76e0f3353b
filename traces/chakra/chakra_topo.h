/* Topological order of one rank's Chakra nodes (chakra_topo.c); private to traces/chakra/. */
#ifndef TRACES_CHAKRA_TOPO_H
#define TRACES_CHAKRA_TOPO_H

#include "traces/chakra/chakra_int.h"

/* order: n_nodes node indices, dependencies first, ties by file position. dep_idx: parallel to
 * et->deps, each dep id resolved to its node index. Errors: duplicate id, dangling dep, cycle. */
ts_status chakra_topo_sort(const chakra_et *et, uint32_t *order, uint32_t *dep_idx, ts_err *err);

#endif
