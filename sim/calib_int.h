/* Internals of the host calibration shared by sim/calib*.c (no other folder includes this): the
 * optional NETW section of the calibration file (sim/calib_comm.c) and the KOPS section of
 * version 2 (sim/calib_ops.c), encoded and decoded there and placed in the payload by
 * sim/calib_file.c. */
#ifndef SIM_CALIB_INT_H
#define SIM_CALIB_INT_H

#include "sim/sim.h"

/* The body of section NETW (format at the top of sim/calib_comm.c); *data is malloc'd. */
ts_status kern_calib_comm_encode(const kern_calib_comm *c, unsigned char **data, size_t *len,
                                 ts_err *err);
/* Decodes a NETW body of len bytes found at payload offset base_off of file `name`; errors name
 * the payload offset. Sets c->present. */
ts_status kern_calib_comm_decode(const unsigned char *p, size_t len, const char *name,
                                 size_t base_off, kern_calib_comm *c, ts_err *err);
/* Applies a present NETW section to the host system's scale-up network. */
void kern_calib_comm_apply(const kern_calib_comm *c, hw_system *host_sys);

/* The body of section KOPS (format at the top of sim/calib_ops.c); *data is malloc'd. */
ts_status kern_calib_ops_encode(const kern_calib_ops *o, unsigned char **data, size_t *len,
                                ts_err *err);
/* Decodes a KOPS body of len bytes found at payload offset base_off of file `name`; errors name
 * the payload offset. Sets o->present. */
ts_status kern_calib_ops_decode(const unsigned char *p, size_t len, const char *name,
                                size_t base_off, kern_calib_ops *o, ts_err *err);
/* Applies a present KOPS section: the host chip's host_op_s. */
void kern_calib_ops_apply(const kern_calib_ops *o, hw_system *host_sys);

/* A reader over one section's payload (sim/calib_rd.c): the first error sticks in st, and every
 * message reads "NAME: payload offset N: section SECT: what". */
typedef struct calib_rd {
  const unsigned char *p;
  size_t len, off, base; /* base: the section's offset in the payload, for messages */
  const char *name, *section;
  ts_err *err;
  ts_status st;
} calib_rd;
bool calib_rd_bad(calib_rd *r, size_t at, const char *what); /* records the error; false */
uint64_t calib_rd_u(calib_rd *r, int bytes);                 /* little-endian; 0 after an error */
double calib_rd_num(calib_rd *r, const char *what, bool positive); /* finite, >= 0 (> 0) */
/* Their writers: little-endian, advancing *w. */
void calib_put_le(unsigned char **w, uint64_t v, int bytes);
void calib_put_f64(unsigned char **w, double d);

#endif
