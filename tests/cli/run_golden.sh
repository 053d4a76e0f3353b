#!/usr/bin/env bash
# Golden CLI tests (SimGrid .tesh style). A .t file holds blocks:
#   $ trainsim ARGS...      a command ("trainsim" is replaced by the binary under test)
#   > line                  expected output (stdout and stderr together), exactly, in order
#   ? N                     expected exit status (default 0)
#   # ...                   comment
# The command runs in tests/ so relative paths to fixtures work. Prints a diff on mismatch.
set -u
bin=$1
file=$2
here=$(cd "$(dirname "$file")/.." && pwd)
status=0
cmd=""
expected=""
want_rc=0
n=0
run_block() {
  [ -z "$cmd" ] && return
  n=$((n + 1))
  local actual rc
  actual=$(cd "$here" && eval "${cmd/#trainsim/\"$bin\"}" 2>&1)
  rc=$?
  if [ "$actual" != "$expected" ] || [ "$rc" != "$want_rc" ]; then
    echo "FAIL: $cmd (exit $rc, expected $want_rc)"
    diff <(printf '%s\n' "$expected") <(printf '%s\n' "$actual") | head -40
    status=1
  fi
  cmd=""
  expected=""
  want_rc=0
}
first=1
while IFS= read -r line || [ -n "$line" ]; do
  case "$line" in
    '$ '*) run_block; cmd=${line#\$ }; first=1 ;;
    '> '*|'>')
      text=${line#>}; text=${text# }
      if [ $first = 1 ]; then expected=$text; first=0; else expected+=$'\n'$text; fi ;;
    '? '*) want_rc=${line#\? } ;;
    *) ;;
  esac
done < "$file"
run_block
echo "$n commands, $([ $status = 0 ] && echo all passed || echo some failed)"
exit $status
