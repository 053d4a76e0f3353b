# trainsim run and trainsim replay: usage errors, the JSON contract (keys and their order),
# re-targeting a trace file to another system, refusing traces that do not fit, the timeline file.
# Numbers come from the kernel and collective models, so only structure is checked here; the
# engine's closed forms are in tests/test_sim.c.
$ trainsim run --model llama3-8b --plan tp=8
> trainsim run: missing --system (see 'trainsim help run')
? 2
$ trainsim run --model llama3-8b --system dgx-h100 --plan tp=8 --fidelity fast
> trainsim run: --fidelity: 'fast' is not symmetric or full (see 'trainsim help run')
? 2
$ trainsim run --model llama3-8b --system dgx-h100 --plan tp=8 --coll-algo nosuch
> trainsim run: --coll-algo: 'nosuch' is not one of auto, ring, ring_bidir, tree, rhd, hier, torus, mesh, direct, kangaring (see 'trainsim help run')
? 2
$ trainsim run --model llama3-8b --system dgx-h100 --plan tp=8 --bogus
> trainsim run: unknown argument '--bogus' (see 'trainsim help run')
? 2
$ trainsim run --model llama3-8b --system dgx-h100 --plan tp=8 --timeline
> trainsim run: --timeline needs a value (see 'trainsim help run')
? 2
$ trainsim run --model llama2-7b --system dgx-h100 --plan tp=8,gbs=2 --seq 2048 --kernel-table /nonexistent.csv
> trainsim: /nonexistent.csv: cannot open: No such file or directory
? 2
$ trainsim replay
> trainsim replay: missing the trace FILE (see 'trainsim help replay')
? 2
$ trainsim replay a.tst b.tst
> trainsim replay: one trace file only ('a.tst' and 'b.tst') (see 'trainsim help replay')
? 2
$ trainsim replay a.tst --fidelity=some
> trainsim replay: --fidelity: 'some' is not symmetric or full (see 'trainsim help replay')
? 2
# the JSON keys, in order (DESIGN.md "Outputs")
$ trainsim run --model llama2-7b --system dgx-h100 --plan tp=8,gbs=2 --seq 2048 --json | grep -o '^  "[a-z_]*"'
>   "model"
>   "plan"
>   "system"
>   "chips"
>   "fidelity"
>   "step_s"
>   "mfu"
>   "tokens_per_s"
>   "hw_flops_per_s_per_chip"
>   "model_flops_per_s_per_chip"
>   "memory_bytes_per_chip"
>   "breakdown"
>   "top_ops"
>   "model_flops"
>   "hw_flops"
>   "kind_total_s"
>   "events"
$ trainsim run --model llama2-7b --system dgx-h100 --plan tp=8,gbs=2 --seq 2048 --fidelity full --json | grep -o '^    "[a-z_]*_s"' | head -7
>     "compute_s"
>     "exposed_tp_s"
>     "exposed_cp_s"
>     "exposed_ep_s"
>     "bubble_s"
>     "exposed_dp_s"
>     "optimizer_s"
# a trace file replays on its own system, re-targets to another, and is refused where it does not fit
$ trainsim gen --model llama2-7b --system dgx-h100 --plan tp=4,dp=2,gbs=4 --seq 2048 -o /tmp/trainsim_run_$$_8.tst >/dev/null
$ trainsim replay /tmp/trainsim_run_$$_8.tst --json | grep -E '^  "(system|chips|fidelity)"'
>   "system": "dgx-h100",
>   "chips": 8,
>   "fidelity": "symmetric",
$ trainsim replay /tmp/trainsim_run_$$_8.tst --system trn2-48xl --fidelity full --json 2>&1 | sed "s/_$$_/_PID_/" | grep -E '^(trainsim|  "(system|chips|fidelity)")'
> trainsim replay: re-targeting /tmp/trainsim_run_PID_8.tst from dgx-h100 (8 chips) to trn2-48xl (2 chips)
>   "system": "trn2-48xl",
>   "chips": 2,
>   "fidelity": "full",
$ trainsim replay /tmp/trainsim_run_$$_8.tst --chips 3 2>&1 | sed "s/_$$_/_PID_/"; exit ${PIPESTATUS[0]}
> trainsim: /tmp/trainsim_run_PID_8.tst: 8 ranks run on 8 chips of dgx-h100, not 3
? 2
$ trainsim gen --model llama2-7b --system dgx-h100 --plan tp=2,dp=3,gbs=6 --seq 2048 -o /tmp/trainsim_run_$$_6.tst >/dev/null
$ trainsim replay /tmp/trainsim_run_$$_6.tst --system trn2-48xl 2>&1 | sed "s/_$$_/_PID_/"; exit ${PIPESTATUS[0]}
> trainsim: /tmp/trainsim_run_PID_6.tst: 6 ranks do not fill whole chips of trn2-48xl (4 ranks per chip)
? 2
# the timeline: Chrome trace event JSON, written whole
$ trainsim replay /tmp/trainsim_run_$$_6.tst --timeline /tmp/trainsim_run_$$_tl.json >/dev/null && head -c 39 /tmp/trainsim_run_$$_tl.json && echo && rm -f /tmp/trainsim_run_$$_*
> {"displayTimeUnit":"ns","traceEvents":[
