/* Without MPI (TRAINSIM_HAVE_MPI undefined) ranks run as threads only: these say so. */
#ifndef TRAINSIM_HAVE_MPI
#include "sim/exec/exec.h"

bool exec_mpi_available(void) {
  return false;
}
ts_status exec_run_mpi(const trace *t, const exec_options *opt, exec_result **out, ts_err *err) {
  (void)t, (void)opt;
  *out = NULL;
  return ts_fail(err, TS_EUSAGE, "this trainsim was built without MPI (cmake -DTRAINSIM_MPI=ON)");
}
#else
typedef int exec_nompi_unused; /* ISO C wants a translation unit to declare something */
#endif
