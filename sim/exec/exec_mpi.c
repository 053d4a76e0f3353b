/* The MPI transport: built only with TRAINSIM_HAVE_MPI (see exec_mpi_stub.c otherwise). */
#ifdef TRAINSIM_HAVE_MPI
#error "exec_mpi.c: MPI transport not written yet"
#endif
typedef int exec_mpi_unused; /* ISO C wants a translation unit to declare something */
