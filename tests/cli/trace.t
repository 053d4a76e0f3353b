# trainsim trace: show, dump and pack on the shipped tiny trace (tests/trace_fixture.h), and the
# exit status 2 with offset and reason for malformed files.
$ trainsim trace show data/traces/tiny.tst
> trace:    data/traces/tiny.tst (format 1)
> model:    tiny "fixture": layers=2 hidden=1024 ffn=4096 heads=16 kv_heads=16 vocab=32000 seq=4096 mlp=gelu
> plan:     tp=2,pp=2,dp=2,cp=1,ep=1,vpp=1,mbs=1,gbs=2,recompute=selective,zero=1,dtype=bf16,schedule=1f1b,sp=true,tp_overlap=true,dp_overlap=false,pp_overlap=false,attention=flash,stage_layers=1/1
> system:   dgx-h100, 8 chips, 8 ranks
>
> rank classes: 2
>   CLASS                     STAGE FIRST_RANK    RANKS        OPS       DEPS
>   stage0                        0          0        4          9          8
>   stage1                        1          4        4          7          6
>
> ops by kind (FLOPs and bytes summed over all ranks):
>   KIND                    OPS          FLOPS          BYTES
>   gemm                      4    5.15396e+11    6.37534e+08
>   attention                 1          4e+09    1.00663e+08
>   embedding                 1              0    3.35544e+07
>   loss                      1    1.57286e+09    1.04858e+09
>   optimizer                 2              0        4.8e+08
>   all_reduce                1              0    3.35544e+07
>   reduce_scatter            2              0        1.2e+08
>   send                      2              0    6.71089e+07
>   recv                      2              0    6.71089e+07
>   total                    16    5.20969e+11
>
> communicators (bytes summed over all ranks):
>   NAME         SIZE   STRIDE          BYTES
>   tp              2        1    3.35544e+07
>   dp              2        2        1.2e+08
>   pp              2        4    1.34218e+08
$ trainsim trace dump data/traces/tiny.tst | cmp - data/traces/tiny.txt && echo identical
> identical
$ trainsim trace pack data/traces/tiny.txt -o "${TMPDIR:-/tmp}/trainsim-golden-$$.tst"
$ trainsim trace dump "${TMPDIR:-/tmp}/trainsim-golden-$$.tst" | cmp - data/traces/tiny.txt && rm -f "${TMPDIR:-/tmp}/trainsim-golden-$$.tst" && echo packed
> packed
$ trainsim trace show data/bad_traces/future_version.tst
> trainsim: data/bad_traces/future_version.tst: offset 8: format version 7 is newer than this trainsim (2)
? 2
$ trainsim trace show data/bad_traces/truncated_body.tst
> trainsim: data/bad_traces/truncated_body.tst: offset 24: compressed length 333 but only 283 bytes follow the header (truncated file)
? 2
$ trainsim trace dump data/bad_traces/nan_flops.tst
> trainsim: data/bad_traces/nan_flops.tst: payload offset 463: class stage0 (0) op 1: flops nan, expected finite and >= 0
? 2
$ trainsim trace pack data/bad_traces/text_dep_forward.txt -o "${TMPDIR:-/tmp}/trainsim-golden-never-$$.tst"
> trainsim: data/bad_traces/text_dep_forward.txt:15: dep 7 is not an earlier op (this is op 6)
? 2
$ trainsim trace show data/bad_traces/empty.tst
> trainsim: data/bad_traces/empty.tst: offset 0: empty file (a trace starts with a 40-byte header)
? 2
$ trainsim trace show
> trainsim trace: show needs a FILE (see 'trainsim help trace')
? 2
$ trainsim trace frobnicate x
> trainsim trace: unknown subcommand 'frobnicate' (expected show, dump, pack, import or export) (see 'trainsim help trace')
? 2
$ trainsim trace pack data/traces/tiny.txt
> trainsim trace: pack needs TEXT and -o FILE (see 'trainsim help trace')
? 2
