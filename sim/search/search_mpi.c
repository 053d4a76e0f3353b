/* The plan search across MPI ranks (`mpirun -n K trainsim search ...`). Every rank enumerates and
 * bounds the whole space (cheap, and identical everywhere), then simulates only the candidates
 * whose index in bound order is rank-th modulo K (round-robin) with its own thread pool, and rank 0
 * gathers each rank's top K and merges them with the same (step_s, plan text) order. A plan of the
 * global top K is in its rank's local top K (fewer than K plans of that rank beat it), so the
 * merged list is byte-identical to the single-process result. Statuses are agreed on first (an
 * all-reduce), so a rank that fails never leaves the others waiting in the gather.
 * Built only with TRAINSIM_HAVE_MPI (CMake option TRAINSIM_MPI with Open MPI found); otherwise
 * the functions below fall back to one process. */
#include "sim/search/search.h"

#ifdef TRAINSIM_HAVE_MPI

#include <mpi.h>
#include <stdlib.h>
#include <string.h>

bool search_mpi_built(void) {
  return true;
}

/* Launched by mpirun/mpiexec (Open MPI, PMI or PMIx): the launcher sets one of these. */
static bool launched_by_mpirun(void) {
  return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") || getenv("PMIX_RANK");
}

static bool mpi_running(void) {
  int init = 0, fin = 0;
  MPI_Initialized(&init);
  MPI_Finalized(&fin);
  return init && !fin;
}

ts_status search_mpi_begin(int *argc, char ***argv, int *rank, int *size, ts_err *err) {
  *rank = 0, *size = 1;
  if (!launched_by_mpirun()) return TS_OK;
  if (!mpi_running() && MPI_Init(argc, argv) != MPI_SUCCESS)
    return ts_fail(err, TS_ERUN, "search: MPI_Init failed");
  MPI_Comm_rank(MPI_COMM_WORLD, rank);
  MPI_Comm_size(MPI_COMM_WORLD, size);
  return TS_OK;
}

void search_mpi_end(void) {
  if (mpi_running()) MPI_Finalize();
}

/* What each rank sends to rank 0: its stats, then its entries. */
typedef struct part_head {
  search_stats stats;
  uint32_t chosen;
  int32_t n;
} part_head;

static ts_status gather(const search_result *mine, int rank, int size, int32_t top_k,
                        search_result **out, ts_err *err) {
  part_head head = {.stats = mine->stats, .chosen = mine->chosen, .n = mine->n};
  part_head *heads = rank == 0 ? calloc((size_t)size, sizeof *heads) : NULL;
  MPI_Gather(&head, (int)sizeof head, MPI_BYTE, heads, (int)sizeof head, MPI_BYTE, 0,
             MPI_COMM_WORLD);
  int *counts = NULL, *displs = NULL;
  search_entry *all = NULL;
  size_t total = 0;
  if (rank == 0) {
    counts = calloc((size_t)size, sizeof *counts);
    displs = calloc((size_t)size, sizeof *displs);
    for (int i = 0; heads && i < size; i++) total += (size_t)heads[i].n;
    all = calloc(total ? total : 1, sizeof *all);
    for (int i = 0, at = 0; counts && displs && heads && i < size; i++) {
      counts[i] = heads[i].n * (int)sizeof *all;
      displs[i] = at;
      at += counts[i];
    }
  }
  MPI_Gatherv(mine->best, mine->n * (int)sizeof *mine->best, MPI_BYTE, all, counts, displs,
              MPI_BYTE, 0, MPI_COMM_WORLD);
  ts_status st = TS_OK;
  if (rank == 0) {
    search_result *parts = calloc((size_t)size, sizeof *parts);
    const search_result **ptrs = calloc((size_t)size, sizeof *ptrs);
    if (!heads || !counts || !displs || !all || !parts || !ptrs) {
      st = ts_fail(err, TS_ENOMEM, "search: out of memory gathering the ranks' plans");
    } else {
      for (int i = 0; i < size; i++) {
        parts[i] = (search_result){.n = heads[i].n, .best = all + displs[i] / (int)sizeof *all,
                                   .chosen = heads[i].chosen, .stats = heads[i].stats};
        ptrs[i] = &parts[i];
      }
      st = search_result_merge(ptrs, size, top_k, out, err);
      if (!st && (*out)->n == 0)
        st = ts_fail(err, TS_ERUN, "search: the generator or simulator refused every plan");
    }
    free(parts);
    free(ptrs);
  }
  free(heads);
  free(counts);
  free(displs);
  free(all);
  return st;
}

ts_status search_best_mpi(const model *m, const hw_system *sys, int64_t chips, const plan *fixed,
                          const search_options *opt, search_result **out, ts_err *err) {
  int size = 1, rank = 0;
  if (mpi_running()) {
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  }
  if (size == 1) return search_best(m, sys, chips, fixed, opt, out, err);
  search_options o;
  if (opt) o = *opt;
  else search_options_init(&o);
  o.part = rank, o.parts = size;
  if (o.top_k < 1) o.top_k = SEARCH_DEFAULT_TOP;
  search_result *mine = NULL;
  ts_status st = search_best(m, sys, chips, fixed, &o, &mine, err);
  int failed = st != TS_OK, any = 0;
  MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (any) {
    search_result_free(mine);
    return st ? st : ts_fail(err, TS_ERUN, "search: another MPI rank failed");
  }
  if (rank != 0) {
    ts_status g = gather(mine, rank, size, o.top_k, NULL, err);
    *out = mine;
    return g;
  }
  st = gather(mine, rank, size, o.top_k, out, err);
  search_result_free(mine);
  return st;
}

#else /* one process */

bool search_mpi_built(void) {
  return false;
}

ts_status search_mpi_begin(int *argc, char ***argv, int *rank, int *size, ts_err *err) {
  (void)argc, (void)argv, (void)err;
  *rank = 0, *size = 1;
  return TS_OK;
}

void search_mpi_end(void) {}

ts_status search_best_mpi(const model *m, const hw_system *sys, int64_t chips, const plan *fixed,
                          const search_options *opt, search_result **out, ts_err *err) {
  return search_best(m, sys, chips, fixed, opt, out, err);
}

#endif
