# trainsim hw: the hardware catalog. Error messages, and stable pieces of list and show.
# The systems of the catalog, in order (a new system is a reviewed change here).
$ trainsim hw list | awk 'NR > 1 && $1 ~ /^[a-z0-9]/ {print $1}' | paste -sd ' ' -
> b200-hgx dgx-a100 dgx-h100 gb200-nvl72 gb300-nvl72 h200-hgx h800-hgx mi300x-8 mi355x-8 rubin-ultra-nvl576 trn1-32xl trn2-48xl trn2-ultraserver trn3-ultraserver trn4 vr200-nvl144
$ trainsim hw list | head -1
> NAME               VENDOR GENERATION                 YEAR  BF16_PF  FP8_PF HBM_GIB HBM_TB DOMAIN TOPOLOGY      UP_GBps OUT_Gbps USD/CH_H     W
$ trainsim hw list | grep '^dgx-h100 '
> dgx-h100           nvidia H100 SXM                   2022     0.99    1.98      80   3.35      8 switch            450     400     6.88   700
$ trainsim hw list --chips | grep '^trn2 '
> trn2          aws    Trainium2                  2024    181.0    0.67    1.30    0.00      96   2.90      224     8     4   500     2.23
# JSON is SI with the unit in the key; every system is listed with its sources.
$ trainsim hw list --json | grep -c '"chip_name"'
> 16
$ trainsim hw show dgx-h100 --json | grep -E '"(bf16_flops_per_s|hbm_bytes|chip_Bps|nic_Bps_per_chip|domain_diameter_hops|domain_bisection_Bps)"'
>     "chip_Bps": 450000000000.0,
>     "nic_Bps_per_chip": 50000000000.0,
>     "domain_diameter_hops": 2,
>     "domain_bisection_Bps": 1.8e12,
>     "bf16_flops_per_s": 9.89e14,
>     "hbm_bytes": 85523536281.6,
$ trainsim hw show trn2 --chip --json | grep -E '"(hbm_bytes|hbm_gib)"'
>   "hbm_bytes": 103079215104.0,
>     "hbm_gib": "S2 (V): 96 GiB",
# The topology summary of a 4x4x4 torus: diameter 6; the cut across the slower Z ring.
$ trainsim hw show trn2-ultraserver | grep -A3 '^topology summary'
> topology summary (one scale-up domain, one direction)
>   domain size                  64 chips
>   diameter                     6 hops
>   bisection                    2048 GB/s total, 64 GB/s per chip
# A name that is only a chip shows the chip.
$ trainsim hw show h100-sxm | head -1
> chip h100-sxm: H100 SXM (nvidia, hopper)
$ trainsim hw show h100-sxm | grep '^  bf16_tflops'
>   bf16_tflops                  989            S9,S10 (V), dense
# Bad input: the closest names, file:line: reason, exit 2.
$ trainsim hw show h100
> trainsim: unknown system or chip 'h100' (closest: dgx-h100, h100-sxm (chip), h200 (chip))
? 2
$ trainsim hw show dgx-h10 --json
> trainsim: unknown system or chip 'dgx-h10' (closest: dgx-h100, dgx-a100, gb200 (chip))
? 2
$ trainsim hw show --chip trn5
> trainsim: unknown chip 'trn5' (closest: trn1, trn2, trn3)
? 2
$ trainsim hw show hw/bad_torus.yaml
> trainsim: hw/bad_torus.yaml:9: field 'scaleup.dims': 4x4 makes 16 chips, but scaleup.domain_chips is 64
? 2
$ trainsim hw show hw/no_source.yaml
> trainsim: hw/no_source.yaml:18: field 'power_w': a figure needs its source: write {value: ..., source: "..."}
? 2
$ trainsim hw show hw/missing.yaml
> trainsim: hw/missing.yaml: cannot open: No such file or directory
? 2
$ trainsim hw
> trainsim hw: missing subcommand (list or show) (see 'trainsim help hw')
? 2
$ trainsim hw list --chip
> trainsim hw: --chip goes with 'hw show'; 'hw list' takes --chips (see 'trainsim help hw')
? 2
$ trainsim hw show
> trainsim hw: 'hw show' needs a system or chip NAME or PATH (see 'trainsim help hw')
? 2
$ trainsim hw show dgx-h100 extra
> trainsim hw: unexpected argument 'extra' (see 'trainsim help hw')
? 2
# This machine: hwloc facts vary, the shape does not.
$ trainsim hw show host --json | grep -cE '"(cores|pus|memory_bytes|fingerprint)"'
> 4
$ trainsim hw show host | grep -c '^system host: this machine'
> 1
