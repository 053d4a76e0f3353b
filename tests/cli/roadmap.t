# trainsim roadmap: per year and vendor track, the newest generation (listed or projected) runs the
# reference training with its best plan. A small model on 8 chips over two years keeps this fast
# (the default 405B / 50 MW roadmap takes minutes of CPU and is not run here); the figures come
# from the models, so the structure is checked: which system each track offers each year (from
# hw/roadmap.yaml), the projected marking, the JSON keys, CSV rows, and the SVG as XML.
$ trainsim roadmap --model layers=8,hidden=1024,ffn=4096,heads=16,vocab=32000,seq=1024,mlp=gelu --years 2026-2027 --chips 8 --tokens 1e10 --gbs 16 --json > /tmp/trainsim_roadmap_$$.json
$ python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(list(j)); [print(r["year"], r["track"], r["system"], r["status"], r["projected"], r["chips"], r["ok"]) for r in j["rows"]]; print(list(j["rows"][0])); print(list(j["years"][0]))' /tmp/trainsim_roadmap_$$.json; rm -f /tmp/trainsim_roadmap_$$.json
> ['model', 'seq', 'gbs', 'tokens', 'basis', 'pue', 'ttt_threshold', 'dollar_threshold', 'tracks', 'rows', 'years']
> 2026 nvidia vr200-nvl144 announced False 8 True
> 2026 trainium trn3-ultraserver shipped False 8 True
> 2026 amd mi355x-8 shipped False 8 True
> 2027 nvidia rubin-ultra-nvl576 announced True 8 True
> 2027 trainium trn4 announced True 8 True
> 2027 amd amd-proj-2027 projected True 8 True
> ['year', 'track', 'generation', 'system', 'status', 'projected', 'chips', 'ok', 'plan', 'step_s', 'mfu', 'time_to_train', 'model_flops', 'flops_per_usd', 'flops_per_j']
> ['year', 'ttt_spread', 'ttt_close', 'dollar_spread', 'dollar_diverge']
# the chart: XML, one <path> per track, projected years dashed
$ trainsim roadmap --model layers=8,hidden=1024,ffn=4096,heads=16,vocab=32000,seq=1024,mlp=gelu --years 2026-2028 --chips 8 --tokens 1e10 --gbs 16 --svg /tmp/trainsim_roadmap_$$.svg > /dev/null
$ python3 -c 'import xml.dom.minidom as x,sys; d=x.parse(sys.argv[1]); p=d.getElementsByTagName("path"); print(len(p), [e.getAttribute("id") for e in p]); print(all(e.getAttribute("stroke-dasharray") for e in d.getElementsByTagName("polyline")), len(d.getElementsByTagName("polyline")) > 0)' /tmp/trainsim_roadmap_$$.svg; rm -f /tmp/trainsim_roadmap_$$.svg
> 3 ['track-nvidia', 'track-trainium', 'track-amd']
> True True
# CSV: a header and one row per (year, track), written whole with -o
$ trainsim roadmap --model layers=8,hidden=1024,ffn=4096,heads=16,vocab=32000,seq=1024,mlp=gelu --years 2026-2026 --chips 8 --tokens 1e10 --gbs 16 --csv -o /tmp/trainsim_roadmap_$$.csv
$ cut -d, -f1-6 /tmp/trainsim_roadmap_$$.csv; rm -f /tmp/trainsim_roadmap_$$.csv
> year,track,generation,system,status,chips
> 2026,nvidia,rubin,vr200-nvl144,announced,8
> 2026,trainium,trainium3,trn3-ultraserver,shipped,8
> 2026,amd,cdna4,mi355x-8,shipped,8
# the fits are printed, overrides marked with *
$ trainsim roadmap --model layers=8,hidden=1024,ffn=4096,heads=16,vocab=32000,seq=1024,mlp=gelu --years 2028-2028 --chips 8 --tokens 1e10 --gbs 16 --cadence nvidia=1 --growth amd.price=1 | grep -E '^  (nvidia|amd) ' | cut -c1-22 | sed 's/ *$//'
>   nvidia       1.00 y*
>   amd          2.00 y
$ trainsim roadmap --model layers=8,hidden=1024,ffn=4096,heads=16,vocab=32000,seq=1024,mlp=gelu --years 2028-2028 --chips 8 --tokens 1e10 --gbs 16 --growth amd.price=1 | grep -E '^  amd ' | grep -o 'x1.00\*'
> x1.00*
# bad flags: exit 2 with one line
$ trainsim roadmap --years 2030-2020
> trainsim roadmap: --years: '2030-2020' is not FROM-TO with 1990 <= FROM <= TO <= 2100 (see 'trainsim help roadmap')
? 2
$ trainsim roadmap --power-mw 50 --chips 8
> trainsim roadmap: give one of --power-mw, --budget-usd-per-h, --chips (see 'trainsim help roadmap')
? 2
$ trainsim roadmap --power-mw lots
> trainsim roadmap: --power-mw: 'lots' is not a number in [1e-06, 1e+12] (see 'trainsim help roadmap')
? 2
$ trainsim roadmap --json --csv
> trainsim roadmap: --json and --csv exclude each other (see 'trainsim help roadmap')
? 2
$ trainsim roadmap --ttt-threshold -1
> trainsim roadmap: --ttt-threshold: '-1' is not a number in [0, 100] (see 'trainsim help roadmap')
? 2
$ trainsim roadmap --bogus
> trainsim roadmap: unknown argument '--bogus' (see 'trainsim help roadmap')
? 2
$ trainsim roadmap --svg
> trainsim roadmap: --svg needs a value (see 'trainsim help roadmap')
? 2
$ trainsim roadmap --chips 8 --cadence nvidia=zero
> trainsim: cadence: 'nvidia' has value 'zero' (expected a number in (0, 20])
? 2
$ trainsim roadmap --chips 8 --growth nvidia.speed=2
> trainsim: growth: unknown field 'speed' (expected bf16, fp8, hbm_bw, hbm, link, nic, power or price)
? 2
$ trainsim roadmap -o /tmp/x.json
> trainsim roadmap: -o needs --json or --csv (see 'trainsim help roadmap')
? 2
