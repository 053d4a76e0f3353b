# trainsim exec: a small GPT-style configuration on 2 thread ranks (tp=2) runs and reports both
# the measured and the simulated step. Times are this host's, so only the labels are checked.
# Scratch files live under /tmp, named with the test script's process id.
$ trainsim gen --model "layers=2,hidden=128,ffn=512,heads=4,vocab=512,seq=64,mlp=gelu" --system host --plan tp=2,mbs=1,gbs=2,dtype=fp32 -o /tmp/trainsim-exec-t-$$.tst >/dev/null && echo generated
> generated
$ trainsim calibrate --quick -o /tmp/trainsim-exec-t-$$.cal >/dev/null && echo calibrated
> calibrated
$ trainsim exec /tmp/trainsim-exec-t-$$.tst --calibration /tmp/trainsim-exec-t-$$.cal | grep -o '^measured    step\|^simulated   step\|^error  \|^gemm  \|^all_gather  '
> measured    step
> simulated   step
> error  
> gemm  
> all_gather  
$ trainsim exec /tmp/trainsim-exec-t-$$.tst --calibration /tmp/trainsim-exec-t-$$.cal --json | grep -o '"measured_step_s"\|"simulated_step_s"\|"error"' | head -3
> "measured_step_s"
> "simulated_step_s"
> "error"
$ trainsim exec /tmp/trainsim-exec-t-$$.tst --calibration /tmp/trainsim-exec-t-$$.cal --timeline /tmp/trainsim-exec-t-$$.json --kernel-table-out /tmp/trainsim-exec-t-$$.csv >/dev/null && head -1 /tmp/trainsim-exec-t-$$.csv && grep -c '"process_name"' /tmp/trainsim-exec-t-$$.json
> op,dtype,m,n,k,bytes,seconds
> 2
# the measured kernel table feeds back into simulation
$ trainsim replay /tmp/trainsim-exec-t-$$.tst --system host --kernel-table /tmp/trainsim-exec-t-$$.csv --json | grep -c '"step_s"'
> 1
# bad input: one line, exit 2
$ trainsim exec /tmp/trainsim-exec-t-$$.tst --ranks 3 --calibration /tmp/trainsim-exec-t-$$.cal
> trainsim: 3 ranks given but the trace has 2 ranks
? 2
$ trainsim exec /tmp/trainsim-exec-t-$$.tst --calibration /nonexistent/calibration.bin
> trainsim: /nonexistent/calibration.bin: no calibration file (run 'trainsim calibrate')
? 2
$ trainsim gen --model "layers=2,hidden=128,ffn=512,heads=4,vocab=512,seq=64,mlp=gelu" --system dgx-h100 --chips 2 --plan tp=2,mbs=1,gbs=2 -o /tmp/trainsim-exec-t-$$.h100.tst >/dev/null && echo generated
> generated
$ trainsim exec /tmp/trainsim-exec-t-$$.h100.tst --calibration /tmp/trainsim-exec-t-$$.cal
> trainsim: trace was made for system 'dgx-h100'; exec runs only traces for 'host' (trainsim gen --system host ...)
? 2
# a trace that does not fit the host's memory is refused before anything runs, saying by how much
$ trainsim gen --model llama3-8b --system host --plan tp=2,mbs=1,gbs=2 --allow-oom -o /tmp/trainsim-exec-t-$$.big.tst >/dev/null && echo generated
> generated
$ trainsim exec /tmp/trainsim-exec-t-$$.big.tst --calibration /tmp/trainsim-exec-t-$$.cal 2>&1 | grep -o 'trace needs\|but the host has\|over by'
> trace needs
> but the host has
> over by
$ trainsim exec /tmp/trainsim-exec-t-$$.big.tst --calibration /tmp/trainsim-exec-t-$$.cal >/dev/null 2>&1; echo "exit $?"
> exit 2
$ trainsim exec
> trainsim exec: missing the trace FILE.tst (see 'trainsim help exec')
? 2
# CI runs one small bench/host configuration on 2 ranks: it completes and reports both the
# measured and the simulated step (positive numbers; their values are this host's).
# "$bin" is the binary under test (tests/cli/run_golden.sh runs each block in its shell).
$ trainsim --version >/dev/null && TRAINSIM="$bin" ../bench/host/run --only gpt-tp2 --repeat 1 --calibration /tmp/trainsim-exec-t-$$.cal | awk 'NR == 2 {print $1, ($2 > 0), ($3 > 0), ($4 ~ /%$/)}'
> gpt-tp2 1 1 1
$ trainsim --version >/dev/null && TRAINSIM="$bin" ../bench/host/run --calibrate --calibration /tmp/x.cal
> bench/host/run: give --calibration or --calibrate, not both
? 2
# The host calibration is applied by gen, run, replay and search on --system host (tools/cli.c,
# cli_system_load): with this host's default calibration file (under $XDG_CACHE_HOME) the
# simulated step differs from the uncalibrated one; with that file corrupt, each command refuses
# it, naming the file's problem, exit 2.
$ trainsim --version >/dev/null && mkdir -p /tmp/trainsim-exec-t-$$.xdg /tmp/trainsim-exec-t-$$.none && XDG_CACHE_HOME=/tmp/trainsim-exec-t-$$.xdg "$bin" calibrate --quick >/dev/null && ls /tmp/trainsim-exec-t-$$.xdg/trainsim | grep -c '^calibration-[0-9a-f]*\.bin$'
> 1
$ trainsim --version >/dev/null && for d in xdg none; do XDG_CACHE_HOME=/tmp/trainsim-exec-t-$$.$d "$bin" run --model "layers=2,hidden=128,ffn=512,heads=4,vocab=512,seq=64,mlp=gelu" --system host --plan tp=2,mbs=1,gbs=2,dtype=fp32 --json | grep '"step_s"'; done | uniq | wc -l
> 2
$ trainsim --version >/dev/null && XDG_CACHE_HOME=/tmp/trainsim-exec-t-$$.xdg "$bin" replay /tmp/trainsim-exec-t-$$.tst --system host --json | grep -c '"step_s"'
> 1
# hw show host shows the host as the commands see it: with the calibration, one measured fit per
# collective kind (all-reduce, all-gather, p2p, reduce-scatter); without, none.
$ trainsim --version >/dev/null && for d in xdg none; do XDG_CACHE_HOME=/tmp/trainsim-exec-t-$$.$d "$bin" hw show host | grep -c '^  scaleup\.coll\.' || true; done
> 4
> 0
$ trainsim --version >/dev/null && for f in /tmp/trainsim-exec-t-$$.xdg/trainsim/calibration-*.bin; do printf 'not a calibration' > "$f"; done && echo corrupted
> corrupted
$ trainsim --version >/dev/null && XDG_CACHE_HOME=/tmp/trainsim-exec-t-$$.xdg "$bin" hw show host 2>&1 | grep -o 'offset 0: too short for the header (20 bytes)'; echo "exit ${PIPESTATUS[0]}"
> offset 0: too short for the header (20 bytes)
> exit 2
$ trainsim --version >/dev/null && m="layers=2,hidden=128,ffn=512,heads=4,vocab=512,seq=64,mlp=gelu" && for c in "gen --plan tp=2,mbs=1,gbs=2 -o /tmp/trainsim-exec-t-$$.g.tst" "run --plan tp=2,mbs=1,gbs=2" "search --chips 2 --top 1"; do XDG_CACHE_HOME=/tmp/trainsim-exec-t-$$.xdg "$bin" $c --model "$m" --system host >/dev/null 2>/tmp/trainsim-exec-t-$$.err; echo "${c%% *} exit $?: $(grep -o 'offset 0: too short for the header (20 bytes)' /tmp/trainsim-exec-t-$$.err)"; done
> gen exit 2: offset 0: too short for the header (20 bytes)
> run exit 2: offset 0: too short for the header (20 bytes)
> search exit 2: offset 0: too short for the header (20 bytes)
$ trainsim --version >/dev/null && XDG_CACHE_HOME=/tmp/trainsim-exec-t-$$.xdg "$bin" replay /tmp/trainsim-exec-t-$$.tst --system host 2>&1 | grep -o 'offset 0: too short for the header (20 bytes)'; echo "exit ${PIPESTATUS[0]}"
> offset 0: too short for the header (20 bytes)
> exit 2
$ rm -rf /tmp/trainsim-exec-t-$$.* && echo cleaned
> cleaned
