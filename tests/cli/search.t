# trainsim search: usage errors (the search itself is checked in tests/test_search.c).
$ trainsim search --system dgx-h100 --chips 8
> trainsim search: missing --model (see 'trainsim help search')
? 2
$ trainsim search --model gpt3-1.7b --chips 8
> trainsim search: missing --system (see 'trainsim help search')
? 2
$ trainsim search --model gpt3-1.7b --system dgx-h100
> trainsim search: missing --chips (or --fix with tp, pp, dp and cp) (see 'trainsim help search')
? 2
$ trainsim search --model gpt3-1.7b --system dgx-h100 --chips 8 --json --csv
> trainsim search: --json and --csv exclude each other (see 'trainsim help search')
? 2
$ trainsim search --model gpt3-1.7b --system dgx-h100 --chips 8 --top 0
> trainsim search: --top: '0' is not a positive integer up to 100000 (see 'trainsim help search')
? 2
$ trainsim search --model gpt3-1.7b --system dgx-h100 --chips 8 --dtypes bf16,int8
> trainsim search: --dtypes: 'int8' is not fp32, fp16, bf16, fp8 or fp4 (see 'trainsim help search')
? 2
$ trainsim search --model gpt3-1.7b --system dgx-h100 --chips 8 --gbs 64 --fix gbs=32
> trainsim search: --gbs 64 and --fix gbs=32 disagree (see 'trainsim help search')
? 2
$ trainsim search --model gpt3-1.7b --system dgx-h100 --chips 8 --timeline x.json
> trainsim search: --timeline is for run and replay (see 'trainsim help search')
? 2
$ trainsim search --model gpt3-1.7b --system dgx-h100 --chips 10 --fix tp=5,gbs=10
> trainsim: search: none of the 144 plans is valid; the first: plan: tp=5 does not divide the 24 heads of model 'gpt3-1.7b'
? 2
$ trainsim search --model gpt3-1.7b --system dgx-h100 --chips 8 --fix tp=2,pp=2,dp=4,gbs=8
> trainsim: search: no combination of the free fields uses every rank with the fixed fields (check tp*pp*dp*cp against the chips)
? 2
# --tokens adds each plan's time-to-train (goodput included); --price needs it.
$ trainsim search --model gpt3-1.7b --system dgx-h100 --chips 8 --gbs 64 --top 1 --tokens 1e11 --quiet --json | grep -c '"time_to_train"'
> 1
$ trainsim search --model gpt3-1.7b --system dgx-h100 --chips 8 --gbs 64 --top 1 --price 2 --quiet
> trainsim search: --price needs --tokens (see 'trainsim help search')
? 2
