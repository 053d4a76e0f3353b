# trainsim compare: usage errors, bad bases and bad capacity files (one line naming file:line,
# exit 2), and the structure of a comparison of two hand-made systems that differ only in peak
# FLOP/s (tests/data/compare). Numbers come from the models, so only ranks, ratios within a
# tolerance and keys are checked here; the closed forms are in tests/test_compare.c and
# tests/test_capacity.c.
$ trainsim compare --systems dgx-h100
> trainsim compare: missing --model (see 'trainsim help compare')
? 2
$ trainsim compare --model llama3-8b --chips 8 --power-mw 5
> trainsim compare: give one of --chips, --power-mw, --budget-usd-per-h (see 'trainsim help compare')
? 2
$ trainsim compare --model llama3-8b --bogus
> trainsim compare: unknown argument '--bogus' (see 'trainsim help compare')
? 2
$ trainsim compare --model llama3-8b --tokens -5
> trainsim compare: --tokens: '-5' is not a positive number (see 'trainsim help compare')
? 2
$ trainsim compare --model llama3-8b --gbs 0
> trainsim compare: --gbs: expected at least 1 (see 'trainsim help compare')
? 2
$ trainsim compare --model llama3-8b --gbs 64 --plan-fixed gbs=32
> trainsim compare: --gbs 64 and --plan-fixed gbs=32 disagree (see 'trainsim help compare')
? 2
# tp=16 spans two domains of 8: no chip count holds the batch; one line naming the system.
$ trainsim compare --model layers=4,hidden=1024,ffn=4096,heads=16,vocab=32000,seq=1024,mlp=gelu --systems data/compare/sys-slow.yaml --chips 64 --gbs 8 --plan-fixed tp=16,pp=1,cp=1
> trainsim: sys-slow on 64 chips: no plan holds the global batch of 8 sequences (8192 tokens): dp x mbs must divide it and the layout must fit in memory; change --gbs or the basis
? 2
$ trainsim compare --model llama3-8b --systems dgx-h900 --chips 8
> trainsim: unknown system 'dgx-h900' (closest: dgx-h100, dgx-a100, b200-hgx)
? 2
$ trainsim compare --model llama3-8b --systems all-generations-of intel
> trainsim compare: all-generations-of: no track 'intel' (see 'trainsim help compare')
? 2
$ trainsim compare --model llama3-8b --systems data/compare/sys-slow.yaml --power-mw 0.001
> trainsim: compare: the power basis leaves system sys-slow with zero chips (it buys whole scale-up domains of 8 chips)
? 2
$ trainsim compare --model llama3-8b --capacity data/compare/bad-negative.yaml
> trainsim: data/compare/bad-negative.yaml:6: field 'planned': -8 chips: a delivery cannot be negative
? 2
$ trainsim compare --model llama3-8b --capacity data/compare/bad-nonmonotone.yaml
> trainsim: data/compare/bad-nonmonotone.yaml:7: field 'total': non-monotone schedule: 32 chips, below the 64 delivered before
? 2
$ trainsim compare --model llama3-8b --capacity data/compare/bad-range.yaml
> trainsim: data/compare/bad-range.yaml:6: delivery: range not monotone: expected low <= expected <= high, found 16, 8, 32
? 2
$ trainsim compare --model llama3-8b --capacity data/compare/bad-order.yaml
> trainsim: data/compare/bad-order.yaml:7: field 'at': dates out of order: 2026-04-01 is not after 2026-07-01 (line 6)
? 2
$ trainsim compare --model llama3-8b --capacity data/compare/bad-date.yaml
> trainsim: data/compare/bad-date.yaml:4: field 'start': '2026-13-01' is not a date (YYYY-MM-DD, YYYY-MM or YYYY-Qn)
? 2
$ trainsim compare --model llama3-8b --capacity data/compare/bad-probability.yaml
> trainsim: data/compare/bad-probability.yaml:6: field 'probability': 1.5: expected 0..1
? 2
$ trainsim compare --model llama3-8b --capacity data/compare/bad-system.yaml
> trainsim: data/compare/bad-system.yaml:3: unknown system 'dgx-h900' (closest: dgx-h100, dgx-a100, b200-hgx)
? 2
$ trainsim compare --model llama3-8b --capacity data/compare/cap-ok.yaml --systems dgx-h100
> trainsim: data/compare/cap-ok.yaml: no capacity entry for system dgx-h100
? 2
# Equal chips, compute-bound: the fast system (2x peak) takes half the time, within 1%.
$ trainsim compare --model layers=4,hidden=1024,ffn=4096,heads=16,vocab=32000,seq=1024,mlp=gelu --systems data/compare/sys-slow.yaml,data/compare/sys-fast.yaml --chips 8 --tokens 1e9 --plan-fixed pp=1,cp=1,recompute=none,zero=1,mbs=1,gbs=64 --json | jq -r '.basis, (.systems[] | "\(.system) \(.chips) \(.limit.what) \(.ratio_to_first.time > 0.495 and .ratio_to_first.time < 0.505 or .ratio_to_first.time == 1)"), (.systems[0] | keys_unsorted | join(","))'
> chips
> sys-slow 8 compute true
> sys-fast 8 compute true
> system,projected,chips,basis_chips,plan,step_s,tokens_per_s,mfu,memory_bytes_per_chip,hbm_bytes_per_chip,breakdown,run,limit,ratio_to_first
# One batch for every system (64 sequences, hand count): 24 chips cannot hold it with pp=1
# (dp x tp = 24 needs dp in 3, 6, 12, 24, none divides 64), so 16 train and 8 are reported idle.
$ trainsim compare --model layers=4,hidden=1024,ffn=4096,heads=16,vocab=32000,seq=1024,mlp=gelu --systems data/compare/sys-slow.yaml,data/compare/sys-fast.yaml --chips 24 --tokens 1e9 --gbs 64 --plan-fixed pp=1,cp=1,recompute=none,zero=1,mbs=1 --json | jq -r '.gbs, .batch_tokens, (.systems[] | "\(.system) \(.chips) of \(.basis_chips), gbs \(.plan | capture("gbs=(?<g>[0-9]+)").g)")'
> 64
> 65536
> sys-slow 16 of 24, gbs 64
> sys-fast 16 of 24, gbs 64
$ trainsim compare --model layers=4,hidden=1024,ffn=4096,heads=16,vocab=32000,seq=1024,mlp=gelu --systems data/compare/sys-slow.yaml --chips 24 --tokens 1e9 --gbs 64 --plan-fixed pp=1,cp=1,recompute=none,zero=1,mbs=1 | grep -c '+batch(8 of 24 chips idle)'
> 1
# The capacity run (determinism for a seed is in tests/test_capacity.c), and the SVG parses as XML.
$ trainsim compare --model layers=4,hidden=1024,ffn=4096,heads=16,vocab=32000,seq=1024,mlp=gelu --capacity data/compare/cap-ok.yaml --tokens 2e11 --plan-fixed pp=1,cp=1,recompute=none,zero=1,mbs=1 --draws 100 --seed 3 --json | jq -r '.capacity.draws, .capacity.systems[].system, .capacity.crossover.faster, (.capacity.systems[0] | keys_unsorted | join(","))'
> 100
> sys-fast
> sys-slow
> sys-slow
> system,start,planned_finish_s,mean_finish_s,p10_finish_s,p90_finish_s,unfinished_draws,chip_hours_used,chip_hours_idle,cost_usd,max_chips,plans_searched
$ trainsim compare --model layers=4,hidden=1024,ffn=4096,heads=16,vocab=32000,seq=1024,mlp=gelu --systems data/compare/sys-slow.yaml,data/compare/sys-fast.yaml --chips 8 --tokens 1e9 --plan-fixed pp=1,cp=1,recompute=none,zero=1,mbs=1,gbs=64 --svg compare_t.svg > /dev/null && python3 -c "import xml.etree.ElementTree as E; r = E.parse('compare_t.svg').getroot(); print(r.tag)"; rm -f compare_t.svg
> {http://www.w3.org/2000/svg}svg
