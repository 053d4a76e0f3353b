#!/usr/bin/env bash
# `mpirun -n 2 trainsim search` gathers the same top K as one process, byte for byte (issue 5).
# Usage: search_mpi.sh TRAINSIM [MPIRUN]. Run by CTest when the build has MPI.
set -eu
bin=$1
mpirun=${2:-mpirun}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
args=(search --model gpt3-1.7b --system dgx-h100 --chips 8 --gbs 64 --seq 2048 --top 5 --json)
export OPENBLAS_NUM_THREADS=1
# Open MPI leaks in MPI_Init/MPI_Finalize (ompi_op_base_op_select, its plug-ins): not ours. The
# single-process runs and tests/test_search.c keep leak checking on.
"$bin" "${args[@]}" > "$tmp/one.json" 2> /dev/null
ASAN_OPTIONS=detect_leaks=0 "$mpirun" --allow-run-as-root --oversubscribe -n 2 "$bin" "${args[@]}" > "$tmp/two.json" 2> "$tmp/two.err"
if ! cmp -s "$tmp/one.json" "$tmp/two.json"; then
  echo "FAIL: mpirun -n 2 differs from one process"
  diff "$tmp/one.json" "$tmp/two.json" | head -20
  exit 1
fi
grep -q "2 processes" "$tmp/two.err" || { echo "FAIL: the search did not run on 2 ranks"; cat "$tmp/two.err"; exit 1; }
echo "mpirun -n 2: same top 5 as one process"
