# trainsim replay of Chakra prefixes (imported in memory), --dp re-sizing and measured durations
# (--captured-on). Fixtures: tests/data/chakra/gpt16 (STG, 16 ranks, TP2 PP2 DP4) and micro/.
# a prefix carries no system
$ trainsim replay data/chakra/gpt16/workload
> trainsim replay: data/chakra/gpt16/workload is a Chakra trace and carries no system; give --system (see 'trainsim help replay')
? 2
# imported in memory and replayed; what was imported is said on stderr
$ trainsim replay data/chakra/gpt16/workload --system dgx-h100 --json 2>&1 | grep -E '^(trainsim|  "(system|chips|fidelity)")'
> trainsim replay: imported Chakra data/chakra/gpt16/workload.<0..15>.et: 5632 nodes, 2 classes (STG units converted: num_ops x2, sizes x elem bytes)
>   "system": "dgx-h100",
>   "chips": 16,
>   "fidelity": "symmetric",
# the import flags pass through
$ trainsim replay data/chakra/gpt16/workload --system dgx-h100 --as-astra-sim --comm-groups data/chakra/gpt16/workload.json --json 2>&1 | grep -E '^(trainsim|  "chips")'
> trainsim replay: imported Chakra data/chakra/gpt16/workload.<0..15>.et: 5632 nodes, 2 classes
>   "chips": 16,
$ trainsim replay data/chakra/gpt16/workload --system dgx-h100 --elem-bytes 0
> trainsim replay: --elem-bytes: '0' is not a positive integer up to 64 (see 'trainsim help replay')
? 2
# the DP groups (4 ranks, stride 2) become 1,024 wide: 4,096 ranks, stage peers 2,048 apart
$ trainsim replay data/chakra/gpt16/workload --system dgx-h100 --dp 1024 --fidelity full --json 2>&1 | grep -E '^(trainsim replay: re-sized|  "chips")'
> trainsim replay: re-sized the data-parallel dimension of data/chakra/gpt16/workload (communicator n1024s2) from 4 to 1024: 16 -> 4096 ranks, n2s2048 stride 8 -> 2048, n1024s2 size 4 -> 1024
>   "chips": 4096,
# native traces: --dp, or --chips when the trace carries its plan (a --chips that no DP degree
# reaches stays a check)
$ trainsim gen --model layers=4,hidden=1024,ffn=4096,heads=8,kv_heads=8,vocab=8192,seq=512,mlp=gelu --system dgx-h100 --plan tp=2,pp=2,dp=2,gbs=8 -o /tmp/trainsim_rc_$$_2.tst >/dev/null
$ trainsim replay /tmp/trainsim_rc_$$_2.tst --chips 32 --json 2>&1 | sed "s/_$$_/_PID_/" | grep -E '^(trainsim|  "(plan|chips)")'
> trainsim replay: re-sized the data-parallel dimension of /tmp/trainsim_rc_PID_2.tst (communicator dp) from 2 to 8: 8 -> 32 ranks, dp size 2 -> 8, pp stride 4 -> 16, gbs 8 -> 32, optimizer shard rescaled
>   "plan": "tp=2,pp=2,dp=8,cp=1,ep=1,vpp=1,mbs=1,gbs=32,recompute=none,zero=1,dtype=bf16,schedule=1f1b,sp=true,tp_overlap=true,dp_overlap=true,pp_overlap=true,attention=flash,stage_layers=2/2",
>   "chips": 32,
$ trainsim replay /tmp/trainsim_rc_$$_2.tst --chips 10 2>&1 | sed "s/_$$_/_PID_/"; exit ${PIPESTATUS[0]}
> trainsim: /tmp/trainsim_rc_PID_2.tst: 8 ranks run on 8 chips of dgx-h100, not 10
? 2
# refused with the reason when there is no DP dimension
$ trainsim gen --model layers=4,hidden=1024,ffn=4096,heads=8,kv_heads=8,vocab=8192,seq=512,mlp=gelu --system dgx-h100 --plan tp=2,pp=2,dp=1,gbs=4 -o /tmp/trainsim_rc_$$_1.tst >/dev/null
$ trainsim replay /tmp/trainsim_rc_$$_1.tst --dp 8 2>&1 | sed "s/_$$_/_PID_/"; exit ${PIPESTATUS[0]}
> trainsim: /tmp/trainsim_rc_PID_1.tst: --dp 8: no data-parallel dimension to re-size: the trace has no 'dp' communicator (plan dp=1 cp=1: the program has no gradient reduction over data-parallel ranks)
? 2
$ trainsim replay /tmp/trainsim_rc_$$_1.tst --dp 0 2>&1 | sed "s/_$$_/_PID_/"; exit ${PIPESTATUS[0]}
> trainsim replay: --dp: '0' is not a positive integer up to 16777216 (see 'trainsim help replay')
? 2
$ trainsim replay /tmp/trainsim_rc_$$_1.tst --comm-groups x.json 2>&1 | sed "s/_$$_/_PID_/"; exit ${PIPESTATUS[0]}
> trainsim replay: --comm-groups, --elem-bytes and --as-astra-sim apply to a Chakra prefix (PREFIX.0.et ...), and /tmp/trainsim_rc_PID_1.tst is not one (see 'trainsim help replay')
? 2
# measured durations (Chakra duration_micros): used as is without --captured-on, and said so
$ trainsim replay data/chakra/micro/one_comp_node --system dgx-h100 --json 2>&1 | grep -E '^(trainsim|  "step_s")'
> trainsim replay: imported Chakra data/chakra/micro/one_comp_node.<0..3>.et: 4 nodes, 1 classes
> trainsim replay: 1 compute ops carry a measured duration, used as is on dgx-h100 (give --captured-on SYSTEM to scale them by the kernel model)
>   "step_s": 5e-6,
$ trainsim replay data/chakra/micro/one_comp_node --system dgx-h100 --captured-on dgx-h100 --json 2>&1 | grep -E '^(trainsim replay: 1|  "step_s")'
> trainsim replay: 1 measured durations stand (captured on dgx-h100)
>   "step_s": 5e-6,
# on another system, scaled by the kernel model's ratio: a 4 GB memory-bound op measured at 5 us on
# dgx-a100 takes 5 us x (model time on dgx-h100 / model time on dgx-a100) on dgx-h100
$ trainsim trace import --chakra data/chakra/micro/one_comp_node -o /tmp/trainsim_rc_$$_m.tst >/dev/null
$ trainsim trace dump /tmp/trainsim_rc_$$_m.tst | sed 's/bytes=0/bytes=4e9/' > /tmp/trainsim_rc_$$_m.txt && sed -e 's/ duration_s=[^ ]*//' -e 's/^trainsim-trace 2/trainsim-trace 1/' /tmp/trainsim_rc_$$_m.txt > /tmp/trainsim_rc_$$_u.txt
$ trainsim trace pack /tmp/trainsim_rc_$$_m.txt -o /tmp/trainsim_rc_$$_m.tst >/dev/null
$ trainsim trace pack /tmp/trainsim_rc_$$_u.txt -o /tmp/trainsim_rc_$$_u.tst >/dev/null
$ trainsim replay /tmp/trainsim_rc_$$_u.tst --system dgx-a100 --json 2>/dev/null | grep '"step_s"' > /tmp/trainsim_rc_$$_a
$ trainsim replay /tmp/trainsim_rc_$$_u.tst --system dgx-h100 --json 2>/dev/null | grep '"step_s"' > /tmp/trainsim_rc_$$_h
$ trainsim replay /tmp/trainsim_rc_$$_m.tst --system dgx-h100 --captured-on dgx-a100 --json 2>/dev/null | grep '"step_s"' > /tmp/trainsim_rc_$$_s
$ paste /tmp/trainsim_rc_$$_a /tmp/trainsim_rc_$$_h /tmp/trainsim_rc_$$_s | tr -d ',' | awk '{ want = 5e-6 * $4 / $2; d = $6 / want - 1; print (d < 1e-6 && d > -1e-6 && $4 < $2) ? "ok" : "differs " $6 " " want }'
> ok
$ trainsim replay /tmp/trainsim_rc_$$_m.tst --system dgx-h100 --captured-on dgx-a100 2>&1 >/dev/null | sed 's/(x[0-9.]* \.\. x[0-9.]*;/(RATIO;/'
> trainsim replay: 1 measured durations scaled from dgx-a100 to dgx-h100 by the kernel model's ratio (RATIO; 0 kept: no model time on dgx-a100)
$ trainsim replay /tmp/trainsim_rc_$$_u.tst --system dgx-h100 --captured-on dgx-a100 2>&1 >/dev/null | sed "s/_$$_/_PID_/"
> trainsim replay: /tmp/trainsim_rc_PID_u.tst has no measured durations; --captured-on changes nothing
$ rm -f /tmp/trainsim_rc_$$_*
