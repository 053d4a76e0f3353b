# trainsim migrate: plans on A and B, A's plan on B, the rework inventory and its cost, break-even;
# --roadmap: cumulative rework of staying with one vendor against switching. Small models and
# chip counts; the rework items follow from hw/stacks.yaml's rules, so they are checked by name.
# Two generations of one vendor list fewer items than a move between vendors:
$ trainsim migrate --model layers=8,hidden=1024,ffn=4096,heads=16,vocab=32000,seq=1024,mlp=gelu --from dgx-h100 --to b200-hgx --chips 8 --gbs 16 --tokens 1e10 --json | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["fits_b"], [i["kind"] for i in j["rework"]["items"] if i["kind"] != "parallelism_retune"])'
> True ['kernel_retune', 'kernel_retune', 'memory_repartition']
$ trainsim migrate --model layers=8,hidden=1024,ffn=4096,heads=16,vocab=32000,seq=1024,mlp=gelu --from dgx-h100 --to trn2-48xl --chips 8 --gbs 16 --tokens 1e10 --json | python3 -c 'import json,sys; j=json.load(sys.stdin); print([i["kind"] + (":" + i["op"] if i["op"] else "") for i in j["rework"]["items"] if i["kind"] != "parallelism_retune"])'
> ['kernel_port:attention', 'collective_tuning', 'topology_placement', 'dtype_change', 'memory_repartition']
# the JSON keys
$ trainsim migrate --model layers=8,hidden=1024,ffn=4096,heads=16,vocab=32000,seq=1024,mlp=gelu --from dgx-h100 --to trn2-48xl --chips 8 --gbs 16 --tokens 1e10 --json | python3 -c 'import json,sys; j=json.load(sys.stdin); print(list(j)); print(list(j["best_a"])); print(list(j["rework"])); print(list(j["break_even"]))'
> ['model', 'tokens', 'gbs', 'from', 'to', 'best_a', 'same_on_b', 'best_b', 'fits_b', 'speed_left', 'plan_diff', 'rework', 'break_even']
> ['ok', 'chips', 'plan', 'step_s', 'mfu', 'memory_bytes_per_chip', 'time_to_train']
> ['stack_a', 'stack_b', 'items', 'engineer_weeks', 'team_engineers', 'calendar_weeks', 'engineer_usd', 'validation_chip_hours', 'validation_usd', 'total_usd']
> ['saving_usd_per_run', 'saving_s_per_run', 'runs', 'months']
# a plan that fits A (8 x 192 GB) but not B (8 x 80 GB): re-partitioning, not a crash
$ trainsim migrate --model llama3-70b --seq 2048 --gbs 64 --tokens 1e9 --from mi300x-8 --to dgx-a100 --chips 8 | grep -E '^  (same on|memory_rep)|^4\.' | sed -E 's/ +/ /g' | cut -d: -f1-2
>  same on dgx-a100 8 chips does not run: memory
>  memory_repartition 2.0 wk memory: the plan does not fit dgx-a100 (80 GiB HBM per chip)
> 4. break-even: no plan runs on dgx-a100
# --team changes calendar time, not engineer-weeks
$ trainsim migrate --model layers=8,hidden=1024,ffn=4096,heads=16,vocab=32000,seq=1024,mlp=gelu --from dgx-h100 --to trn2-48xl --chips 8 --gbs 16 --tokens 1e10 --team 1 --json | python3 -c 'import json,sys; r=json.load(sys.stdin)["rework"]; print(r["team_engineers"], r["calendar_weeks"] == r["engineer_weeks"])'
> 1.0 True
# along the roadmap
$ trainsim migrate --roadmap --from nvidia --to trainium --switch-year 2027 --years 2026-2028 --chips 64 | cut -c1-34 | sed 's/ *$//'
> cumulative rework: staying on nvid
> year  stay                      wk
> 2026  vr200-nvl144               0
> 2027  rubin-ultra-nvl576   *     6
> 2028  nvidia-proj-2028     *     2
> * projected generation
$ trainsim migrate --roadmap --from nvidia --to trainium --switch-year 2027 --years 2026-2028 --chips 64 --json | python3 -c 'import json,sys; j=json.load(sys.stdin); [print(r["year"], r["switch_system"], r["switch_weeks"] > r["stay_weeks"] or r["year"] != 2027) for r in j["rows"]]'
> 2026 vr200-nvl144 True
> 2027 trn4 True
> 2028 trainium-proj-2028 True
# bad flags: exit 2 with one line
$ trainsim migrate --model llama3-8b --to dgx-h100
> trainsim migrate: missing --from (see 'trainsim help migrate')
? 2
$ trainsim migrate --from dgx-h100 --to b200-hgx
> trainsim migrate: missing --model (see 'trainsim help migrate')
? 2
$ trainsim migrate --model llama3-8b --from dgx-h100 --to b200-hgx --chips 8 --power-mw 1
> trainsim migrate: give --chips or --power-mw, not both (see 'trainsim help migrate')
? 2
$ trainsim migrate --model llama3-8b --from dgx-h100 --to b200-hgx --chips many
> trainsim migrate: --chips: 'many' is not a number in [1, 1e+09] (see 'trainsim help migrate')
? 2
$ trainsim migrate --model llama3-8b --from dgx-h100 --to b200-hgx --switch-year 2028
> trainsim migrate: --switch-year and --years need --roadmap (see 'trainsim help migrate')
? 2
$ trainsim migrate --roadmap --from nvidia --to intel
> trainsim migrate: --roadmap: 'intel' is not a track (nvidia, trainium, amd) (see 'trainsim help migrate')
? 2
$ trainsim migrate --model llama3-8b --from dgx-h100 --to nosuch-system --chips 8
> trainsim: unknown system 'nosuch-system' (closest: b200-hgx, dgx-a100, dgx-h100)
? 2
$ trainsim migrate --model llama3-8b --from dgx-h100 --to b200-hgx --chips 8 --team 0
> trainsim migrate: --team: '0' is not a number in [1, 10000] (see 'trainsim help migrate')
? 2
