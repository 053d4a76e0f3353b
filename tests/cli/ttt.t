# trainsim run --tokens: the time-to-train block after the step report. The JSON object is checked
# against the formulas written out by hand in ttt_check.py (Daly interval, restarts, checkpoints,
# chip-hours, cost at --price, energy at --pue); flags are checked before anything runs.
$ trainsim run --model llama2-7b --system dgx-h100 --plan tp=8,gbs=2 --seq 2048 --tokens 1e9 --price 2 --pue 1.5 --json > /tmp/trainsim_ttt_$$_r.json
$ trainsim hw show dgx-h100 --json > /tmp/trainsim_ttt_$$_h.json
$ trainsim model show llama2-7b --json > /tmp/trainsim_ttt_$$_m.json
$ python3 cli/ttt_check.py /tmp/trainsim_ttt_$$_r.json /tmp/trainsim_ttt_$$_h.json /tmp/trainsim_ttt_$$_m.json 1e9 2 2048 2 1.5; rc=$?; rm -f /tmp/trainsim_ttt_$$_*; exit $rc
> time_to_train agrees
# the JSON keys of the time-to-train object, in order, after the step report's keys
$ trainsim run --model llama2-7b --system dgx-h100 --plan tp=8,gbs=2 --seq 2048 --tokens 1e9 --json | grep -o '^  "time_to_train"\|^    "[a-z_]*"' | tail -14
>   "time_to_train"
>     "tokens"
>     "seconds"
>     "ideal_s"
>     "goodput"
>     "chip_hours"
>     "price_usd_per_chip_h"
>     "cost_usd"
>     "power_w"
>     "energy_j"
>     "interruptions"
>     "mtbf_s"
>     "checkpoint_interval_s"
>     "checkpoint_write_s"
# the table: four lines after the step report
$ trainsim run --model llama2-7b --system dgx-h100 --plan tp=8,gbs=2 --seq 2048 --tokens 1e9 --price 2 | tail -4 | cut -c1-15 | sed 's/ *$//'
> time to train
> chip-hours
> energy
> interruptions
$ trainsim run --model llama2-7b --system dgx-h100 --plan tp=8,gbs=2 --seq 2048 --tokens 1e9 --price 2 | grep -c 'at \$2.000/chip-h'
> 1
# bad flags: exit 2, one line, before any simulation
$ trainsim run --model llama2-7b --system dgx-h100 --plan tp=8,gbs=2 --tokens abc
> trainsim run: --tokens: 'abc' is not a number in [1, 1e+18] (see 'trainsim help run')
? 2
$ trainsim run --model llama2-7b --system dgx-h100 --plan tp=8,gbs=2 --tokens 0
> trainsim run: --tokens: '0' is not a number in [1, 1e+18] (see 'trainsim help run')
? 2
$ trainsim run --model llama2-7b --system dgx-h100 --plan tp=8,gbs=2 --price 3
> trainsim run: --price needs --tokens (see 'trainsim help run')
? 2
$ trainsim run --model llama2-7b --system dgx-h100 --plan tp=8,gbs=2 --tokens 1e9 --pue 0.5
> trainsim run: --pue: '0.5' is not a number in [1, 10] (see 'trainsim help run')
? 2
$ trainsim run --model llama2-7b --system dgx-h100 --plan tp=8,gbs=2 --tokens
> trainsim run: --tokens needs a value (see 'trainsim help run')
? 2
