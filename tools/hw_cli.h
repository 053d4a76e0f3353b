/* Shared by the files of `trainsim hw` (cmd_hw.c, hw_json.c, hw_text.c): JSON and text renderings
 * of chips, systems and the host, and the topology summary of a system's scale-up domain. */
#ifndef TOOLS_HW_CLI_H
#define TOOLS_HW_CLI_H

#include <jansson.h>

#include "hw/hw.h"

/* One scale-up domain, from the topology graph (one direction). */
typedef struct hw_topo_summary {
  int domain_chips;
  int diameter_hops;
  double bisection_Bps;
  double bisection_Bps_per_chip; /* bisection / (domain_chips / 2): what each chip of one half
                                    can send to the other half at once */
} hw_topo_summary;

ts_status hw_cli_topo_summary(const hw_system *sys, hw_topo_summary *out, ts_err *err);

/* JSON with stable keys, SI units named in the keys, and a "sources" object. */
json_t *hw_cli_chip_json(const hw_chip *c);
json_t *hw_cli_system_json(const hw_system *s, const hw_topo_summary *topo);
json_t *hw_cli_host_json(const hw_host *h);

/* Text for people: every field in the descriptor's own unit, with its source. */
void hw_cli_chip_text(const hw_chip *c);
void hw_cli_system_text(const hw_system *s, const hw_topo_summary *topo);
void hw_cli_host_text(const hw_host *h);
/* "torus 4x4x4", "switch2 4x36", "switch", "mesh". */
void hw_cli_topo_text(const hw_scaleup *u, char *buf, size_t cap);

#endif
