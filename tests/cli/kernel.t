# trainsim kernel on a made-up chip (tests/data/kern/test-chip.yaml): 100 units, tile 128x128,
# 100 TFLOP/s bf16, 2 TB/s, efficiencies 1, launch 5 us. Hand-computed: one 128x128 tile of
# K=8192 on one unit = 128*128*8192*2 / 1e12 = 268.4 us.
$ trainsim kernel --system data/kern/test-system.yaml --gemm 1280x1280x8192
> system    kern-test (chip kern-test-chip)
> gemm      1280x1280x8192 bf16, count 1: 26.84 GFLOP
> time      273.4 us
> TFLOP/s   98.17
> bound     compute
> waves     1 (100 tiles of 128x128 over 100 units)
> parts     compute 268.4 us, memory 22.61 us, launch 5 us
$ trainsim kernel --system data/kern/test-system.yaml --gemm 12928x128x8192
> system    kern-test (chip kern-test-chip)
> gemm      12928x128x8192 bf16, count 1: 27.11 GFLOP
> time      541.9 us
> TFLOP/s   50.03
> bound     wave quantisation
> waves     2 (101 tiles of 128x128 over 100 units)
> parts     compute 536.9 us, memory 108.6 us, launch 5 us
$ trainsim kernel --system data/kern/test-system.yaml --gemm 12800x12800x16
> system    kern-test (chip kern-test-chip)
> gemm      12800x12800x16 bf16, count 1: 5.243 GFLOP
> time      169.2 us
> TFLOP/s   30.98
> bound     memory
> waves     100 (10000 tiles of 128x128 over 100 units)
> parts     compute 52.43 us, memory 164.2 us, launch 5 us
$ trainsim kernel --system data/kern/test-system.yaml --gemm 128x128x128
> system    kern-test (chip kern-test-chip)
> gemm      128x128x128 bf16, count 1: 0.004194 GFLOP
> time      9.194 us
> TFLOP/s   0.4562
> bound     launch
> waves     1 (1 tiles of 128x128 over 100 units)
> parts     compute 4.194 us, memory 49.15 ns, launch 5 us
$ trainsim kernel --system data/kern/test-system.yaml --gemm 1280x1280x8192 --count 4 --dtype fp8
> system    kern-test (chip kern-test-chip)
> gemm      1280x1280x8192 fp8, count 4: 107.4 GFLOP
> time      541.9 us
> TFLOP/s   198.2
> bound     compute
> waves     4 (400 tiles of 128x128 over 100 units)
> parts     compute 536.9 us, memory 45.22 us, launch 5 us
$ trainsim kernel --system data/kern/test-system.yaml --gemm 1280x1280x8192 --kernel-table data/kern/table.csv
> system    kern-test (chip kern-test-chip)
> gemm      1280x1280x8192 bf16, count 1: 26.84 GFLOP
> time      1 ms
> TFLOP/s   26.84
> bound     table
$ trainsim kernel --system data/kern/test-system.yaml --gemm 1280x1280x8192 --json
> {
>   "system": "kern-test",
>   "chip": "kern-test-chip",
>   "m": 1280,
>   "n": 1280,
>   "k": 8192,
>   "count": 1,
>   "dtype": "bf16",
>   "flops": 26843545600.0,
>   "seconds": 0.000273435456,
>   "flops_per_s": 9.81714149024e13,
>   "bound": "compute",
>   "compute_s": 0.000268435456,
>   "memory_s": 2.260992e-5,
>   "launch_s": 5e-6,
>   "tiles": 100.0,
>   "waves": 1.0,
>   "units": 100,
>   "tile_m": 128,
>   "tile_n": 128
> }
$ trainsim kernel --system data/kern/test-system.yaml --gemm 1280x1280
> trainsim kernel: bad --gemm '1280x1280': expected MxNxK, positive integers (e.g. 8192x8192x8192) (see 'trainsim help kernel')
? 2
$ trainsim kernel --system data/kern/test-system.yaml --gemm 0x1x1
> trainsim kernel: bad --gemm '0x1x1': expected MxNxK, positive integers (e.g. 8192x8192x8192) (see 'trainsim help kernel')
? 2
$ trainsim kernel --system data/kern/test-system.yaml --gemm 12x12x12 --dtype int4
> trainsim kernel: unknown dtype 'int4' (expected fp32, fp16, bf16, fp8, fp4) (see 'trainsim help kernel')
? 2
$ trainsim kernel --system data/kern/test-system.yaml --gemm 12x12x12 --dtype fp4
> trainsim: chip kern-test-chip has no fp4 (it has: fp32, fp16, bf16, fp8)
? 2
$ trainsim kernel --system data/kern/test-system.yaml --gemm 12x12x12 --count 0
> trainsim kernel: bad --count '0': expected an integer >= 1 (see 'trainsim help kernel')
? 2
$ trainsim kernel --system data/kern/test-system.yaml --gemm 12x12x12 --kernel-table data/kern/bad-table.csv
> trainsim: data/kern/bad-table.csv:3: seconds must be a finite number >= 0, found '-1'
? 2
$ trainsim kernel --system data/kern/test-system.yaml --gemm 12x12x12 --frobnicate
> trainsim kernel: unknown argument '--frobnicate' (see 'trainsim help kernel')
? 2
$ trainsim kernel --gemm 1x1x1
> trainsim kernel: --system is required (see 'trainsim help kernel')
? 2
# calibrate: only usage errors here (its output is this host's timing)
$ trainsim calibrate --bogus
> trainsim calibrate: unknown argument '--bogus' (see 'trainsim help calibrate')
? 2
$ trainsim calibrate -o
> trainsim calibrate: -o needs a file name (see 'trainsim help calibrate')
? 2
