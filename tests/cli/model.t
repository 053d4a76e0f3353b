# trainsim model: the zoo table, one model by zoo name, by path and inline, and the errors.
# Hand checks: tiny-moe has 18,726,400 parameters (12,434,944 active) and 76,234,752 FLOPs per
# token; gpt3-175b's 1.07644e12 per token is 72*l*h^2*(1 + s/6h + V/12lh).
$ trainsim model list
> NAME           LAYERS HIDDEN    FFN HEADS   KV   VOCAB    SEQ MLP     MOE             PARAMS_B  ACTIVE_B
> deepseek-v3        61   7168  18432   128  128  129280   4096 swiglu  256 top-8 +1      671.03     37.55
> gpt3-1.7b          24   2304   9216    24   24   51200   2048 gelu    -                   1.65      1.65
> gpt3-3.6b          30   3072  12288    32   32   51200   2048 gelu    -                   3.55      3.55
> gpt3-7.5b          36   4096  16384    32   32   51200   2048 gelu    -                   7.46      7.46
> gpt3-18.4b         40   6144  24576    48   48   51200   2048 gelu    -                  18.43     18.43
> gpt3-39.1b         48   8192  32768    64   64   51200   2048 gelu    -                  39.07     39.07
> gpt3-76.1b         60  10240  40960    80   80   51200   2048 gelu    -                  76.02     76.02
> gpt3-145.6b        80  12288  49152    96   96   51200   2048 gelu    -                 145.59    145.59
> gpt3-175b          96  12288  49152    96   96   51200   2048 gelu    -                 174.58    174.58
> gpt3-310.1b        96  16384  65536   128  128   51200   2048 gelu    -                 310.08    310.08
> gpt3-529.6b       105  20480  81920   128  128   51200   2048 gelu    -                 529.54    529.54
> gpt3-1t           128  25600 102400   160  160   51200   2048 gelu    -                1007.95   1007.95
> llama2-7b          32   4096  11008    32   32   32000   4096 swiglu  -                   6.74      6.74
> llama2-13b         40   5120  13824    40   40   32000   4096 swiglu  -                  13.02     13.02
> llama2-70b         80   8192  28672    64    8   32000   4096 swiglu  -                  68.98     68.98
> llama3-8b          32   4096  14336    32    8  128256   8192 swiglu  -                   8.03      8.03
> llama3-70b         80   8192  28672    64    8  128256   8192 swiglu  -                  70.55     70.55
> llama3-405b       126  16384  53248   128    8  128256   8192 swiglu  -                 405.85    405.85
> mixtral-8x7b       32   4096  14336    32    8   32000   4096 swiglu  8 top-2            46.70     12.88
> nemotron4-340b     96  18432  73728    96    8  256000   4096 relu2   -                 341.03    341.03
$ trainsim model show gpt3-175b
> model          gpt3-175b
> source         Brown et al., Language Models are Few-Shot Learners (2020), Table 2.1: 96 layers, d_model 12288, 96 heads, context 2048; vocab 51200 and tied embeddings as in Megatron-LM (Narayanan et al. SC21; Korthikanti et al. 2022)
> layers         96
> hidden         12288
> ffn            49152
> heads          96 (kv_heads 96, head_dim 128)
> vocab          51200
> seq            2048
> mlp            gelu (2 matrices)
> attention      standard
> embeddings     tied
> params total   174577692672 (174.58 B)
> params active  174577692672 (174.58 B per token)
> flops/token    1.07644e+12 (model FLOPs, forward + backward, at seq 2048)
$ trainsim model show llama3-70b --seq 4096
> model          llama3-70b
> source         Llama Team, The Llama 3 Herd of Models (2024), Table 3 (80 layers, model dim 8192, FFN 28672, 64 heads, 8 KV heads, vocab 128256, 8192 pre-training context); 70.6B parameters
> layers         80
> hidden         8192
> ffn            28672
> heads          64 (kv_heads 8, head_dim 128)
> vocab          128256
> seq            4096
> mlp            swiglu (3 matrices)
> attention      standard
> embeddings     untied
> params total   70553706496 (70.55 B)
> params active  70553706496 (70.55 B per token)
> flops/token    4.49223e+11 (model FLOPs, forward + backward, at seq 4096)
$ trainsim model show models/custom.yaml
> model          tiny-moe
> source         test fixture (hand-made)
> layers         3
> hidden         512
> ffn            2048
> heads          8 (kv_heads 2, head_dim 64)
> vocab          1000
> seq            256
> mlp            swiglu (3 matrices)
> attention      standard
> moe            4 experts, top-2, expert ffn 1024, 0 shared, 1 dense layers first
> embeddings     untied
> params total   18726400 (0.02 B)
> params active  12434944 (0.01 B per token)
> flops/token    7.62348e+07 (model FLOPs, forward + backward, at seq 256)
$ trainsim model show models/custom.yaml --json
> {
>   "name": "tiny-moe",
>   "source": "test fixture (hand-made)",
>   "layers": 3,
>   "hidden": 512,
>   "ffn": 2048,
>   "heads": 8,
>   "kv_heads": 2,
>   "head_dim": 64,
>   "vocab": 1000,
>   "seq": 256,
>   "mlp": "swiglu",
>   "attention": "standard",
>   "tied_embeddings": false,
>   "moe": {
>     "experts": 4,
>     "topk": 2,
>     "ffn": 1024,
>     "shared": 0,
>     "dense_layers": 1
>   },
>   "params_total": 18726400.0,
>   "params_active": 12434944.0,
>   "model_flops_per_token": 76234752.0
> }
$ trainsim model show layers=2,hidden=64,ffn=256,heads=4,vocab=100,seq=16,mlp=gelu,tied=true
> model          inline
> source         given inline on the command line
> layers         2
> hidden         64
> ffn            256
> heads          4 (kv_heads 4, head_dim 16)
> vocab          100
> seq            16
> mlp            gelu (2 matrices)
> attention      standard
> embeddings     tied
> params total   105024 (0.00 B)
> params active  105024 (0.00 B per token)
> flops/token    652800 (model FLOPs, forward + backward, at seq 16)
$ trainsim model show llama3-7b
> trainsim: unknown model 'llama3-7b' (closest: llama2-7b, llama3-70b, llama3-8b; see 'trainsim model list')
? 2
$ trainsim model show layers=2,hidden=64
> trainsim: model 'inline': missing required field 'ffn'
? 2
$ trainsim model show layers=2,hidden=64,ffn=256,heads=4,vocab=100,seq=16,mlp=gelu,kv_heads=3
> trainsim: model 'inline': field 'kv_heads': 3 does not divide heads 4
? 2
$ trainsim model show models/bad_heads.yaml
> trainsim: models/bad_heads.yaml:7: field 'kv_heads': 'three' is not an integer
? 2
$ trainsim model show models/none.yaml
> trainsim: models/none.yaml: cannot open: No such file or directory
? 2
$ trainsim model show gpt3-175b --seq 0
> trainsim model: --seq: '0' is not a positive sequence length (see 'trainsim help model')
? 2
$ trainsim model show gpt3-175b --seq
> trainsim model: --seq needs a value (see 'trainsim help model')
? 2
$ trainsim model show
> trainsim model: 'model show' needs a model name, path or inline form (see 'trainsim help model')
? 2
$ trainsim model show a b
> trainsim model: 'model show' takes one model, got 'a' and 'b' (see 'trainsim help model')
? 2
$ trainsim model show gpt3-175b --bogus
> trainsim model: unknown flag '--bogus' to 'model show' (see 'trainsim help model')
? 2
$ trainsim model list extra
> trainsim model: unknown argument 'extra' to 'model list' (see 'trainsim help model')
? 2
$ trainsim model
> trainsim model: missing subcommand (list or show) (see 'trainsim help model')
? 2
$ trainsim model frob
> trainsim model: unknown subcommand 'frob' (expected list or show) (see 'trainsim help model')
? 2
