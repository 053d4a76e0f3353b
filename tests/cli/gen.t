# trainsim gen: the step summary of a small model, JSON, and every usage and plan error.
# Figures: gpt3-1.7b (24 layers, hidden 2304) at seq 1024 on tp=2 pp=2 dp=2.
$ trainsim gen --model gpt3-1.7b --system dgx-h100 --plan tp=2,pp=2,dp=2,gbs=8 --seq 1024 --summary
> model          gpt3-1.7b (seq 1024)
> system         dgx-h100, 8 chips, 8 ranks
> plan           tp=2,pp=2,dp=2,cp=1,ep=1,vpp=1,mbs=1,gbs=8,recompute=none,zero=1,dtype=bf16,schedule=1f1b,sp=true,tp_overlap=true,dp_overlap=true,pp_overlap=true,attention=flash,stage_layers=12/12
> micro-batches  4 per step
> params         total 1.647e+09, active 1.647e+09 per token
> flops/step     model 8.651e+13, hardware 8.651e+13 (Megatron convention, attention in full)
> trace flops    8.419e+13 (kernels as executed: causal attention, flash backward 2.5x)
> memory/rank    weights 0.82 GiB, grads 1.64 GiB, optimizer 2.47 GiB, activations 0.90 GiB, buffers 0.01 GiB
> memory total   5.84 GiB of 79.65 GiB HBM per rank (stage 0), fits
> classes        2
>   stage0     ranks 4 (first 0), 1671 ops: gemm 576 attention 96 norm 192 elementwise 288 embedding 8 optimizer 1 all_gather 299 reduce_scatter 203 send 4 recv 4
>   stage1     ranks 4 (first 4), 1699 ops: gemm 588 attention 96 norm 200 elementwise 288 loss 8 optimizer 1 all_reduce 4 all_gather 303 reduce_scatter 203 send 4 recv 4
$ trainsim gen --model layers=4,hidden=256,ffn=1024,heads=4,vocab=1024,seq=128,mlp=gelu --system dgx-h100 --plan pp=2,dp=2,gbs=4,recompute=full --json
> {
>   "model": "inline",
>   "seq": 128,
>   "system": "dgx-h100",
>   "chips": 4,
>   "ranks": 4,
>   "plan": "tp=1,pp=2,dp=2,cp=1,ep=1,vpp=1,mbs=1,gbs=4,recompute=full,zero=1,dtype=bf16,schedule=1f1b,sp=false,tp_overlap=true,dp_overlap=true,pp_overlap=true,attention=flash,stage_layers=2/2",
>   "micro_batches": 2,
>   "params_total": 3672320.0,
>   "params_active": 3672320.0,
>   "model_flops": 11274289152.0,
>   "hw_flops": 14763950080.0,
>   "trace_flops": 14294188032.0,
>   "memory": {
>     "weights_bytes": 3672576.0,
>     "grads_bytes": 7345152.0,
>     "optimizer_bytes": 11017728.0,
>     "activations_bytes": 786432.0,
>     "buffers_bytes": 262144.0,
>     "total_bytes": 23084032.0,
>     "hbm_bytes": 85523536281.6,
>     "worst_stage": 1
>   },
>   "classes": [
>     {
>       "name": "stage0",
>       "stage": 0,
>       "first_rank": 0,
>       "ranks": 2,
>       "ops": 147,
>       "ops_by_kind": {
>         "gemm": 64,
>         "attention": 12,
>         "norm": 24,
>         "elementwise": 36,
>         "embedding": 4,
>         "optimizer": 1,
>         "all_gather": 1,
>         "reduce_scatter": 1,
>         "send": 2,
>         "recv": 2
>       }
>     },
>     {
>       "name": "stage1",
>       "stage": 1,
>       "first_rank": 2,
>       "ranks": 2,
>       "ops": 157,
>       "ops_by_kind": {
>         "gemm": 70,
>         "attention": 12,
>         "norm": 28,
>         "elementwise": 36,
>         "loss": 4,
>         "optimizer": 1,
>         "all_gather": 1,
>         "reduce_scatter": 1,
>         "send": 2,
>         "recv": 2
>       }
>     }
>   ],
>   "output": null
> }
$ trainsim gen --system dgx-h100 --plan tp=2
> trainsim gen: missing --model (see 'trainsim help gen')
? 2
$ trainsim gen --model gpt3-1.7b --plan tp=2
> trainsim gen: missing --system (see 'trainsim help gen')
? 2
$ trainsim gen --model gpt3-1.7b --system dgx-h100
> trainsim gen: missing --plan (see 'trainsim help gen')
? 2
$ trainsim gen --model gpt3-1.7b --system dgx-h100 --plan tp=2 --bogus
> trainsim gen: unknown argument '--bogus' (see 'trainsim help gen')
? 2
$ trainsim gen --model gpt3-1.7b --system dgx-h100 --plan
> trainsim gen: --plan needs a value (see 'trainsim help gen')
? 2
$ trainsim gen --model gpt3-1.7b --system dgx-h100 --plan tp=2 --chips x
> trainsim gen: --chips: 'x' is not a positive integer up to 1099511627776 (see 'trainsim help gen')
? 2
$ trainsim gen --model gpt3-1.7b --system dgx-h100 --plan tp=2 --seq 0
> trainsim gen: --seq: '0' is not a positive integer up to 4294967296 (see 'trainsim help gen')
? 2
$ trainsim gen --model gpt3-1.7b --system dgx-h100 --plan tp=5
> trainsim: plan: tp=5 does not divide the 24 heads of model 'gpt3-1.7b'
? 2
$ trainsim gen --model gpt3-1.7b --system dgx-h100 --plan tp=2,gbs=3,dp=2
> trainsim: plan: gbs=3 is not divisible by dp*mbs = 2*1 = 2
? 2
$ trainsim gen --model gpt3-1.7b --system dgx-h100 --plan tp=2 --chips 4
> trainsim: plan: tp*pp*dp*cp = 2 ranks, but 4 chips x 1 ranks per chip of dgx-h100 = 4 ranks
? 2
$ trainsim gen --model gpt3-1.7b --system dgx-h100 --plan tp=2,bogus=1
> trainsim: plan: unknown field 'bogus' (expected tp, pp, dp, cp, ep, vpp, mbs, gbs, recompute, zero, dtype, schedule, sp, tp_overlap, dp_overlap, pp_overlap, attention, stage_layers)
? 2
$ trainsim gen --model nosuchmodel --system dgx-h100 --plan tp=2
> trainsim: unknown model 'nosuchmodel' (closest: deepseek-v3, gpt3-1.7b, gpt3-145.6b; see 'trainsim model list')
? 2
$ trainsim gen --model llama3-405b --system dgx-h100 --plan tp=8,gbs=1
> trainsim: memory: 917.8 GiB per rank (weights 94.5, gradients 189.0, optimizer 567.0, activations 67.0, buffers 0.2 GiB; stage 0) exceeds the 79.7 GiB of HBM per rank of h100-sxm by 838.1 GiB (899934643814 bytes)
? 2
$ trainsim gen --model gpt3-1.7b --system dgx-h100 --plan tp=2 -o /nonexistent/dir/step.tst
> trainsim: /nonexistent/dir/step.tst: cannot create temporary file: No such file or directory
? 1
$ trainsim gen --model llama3-405b --system dgx-h100 --plan tp=8,gbs=1 --seq 512 --allow-oom --summary
> model          llama3-405b (seq 512)
> system         dgx-h100, 8 chips, 8 ranks
> plan           tp=8,pp=1,dp=1,cp=1,ep=1,vpp=1,mbs=1,gbs=1,recompute=none,zero=1,dtype=bf16,schedule=1f1b,sp=true,tp_overlap=true,dp_overlap=true,pp_overlap=true,attention=flash,stage_layers=126
> micro-batches  1 per step
> params         total 4.059e+11, active 4.059e+11 per token
> flops/step     model 1.247e+15, hardware 1.247e+15 (Megatron convention, attention in full)
> trace flops    1.244e+15 (kernels as executed: causal attention, flash backward 2.5x)
> memory/rank    weights 94.50 GiB, grads 189.00 GiB, optimizer 567.01 GiB, activations 4.19 GiB, buffers 0.02 GiB
> memory total   854.72 GiB of 79.65 GiB HBM per rank (stage 0), over by 832225797734 bytes
> classes        1
>   stage0     ranks 8 (first 0), 4300 ops: gemm 1515 attention 252 norm 506 elementwise 756 embedding 2 loss 2 optimizer 1 all_reduce 1 all_gather 759 reduce_scatter 506
# -o writes the trace whole (a temporary file beside the target, then renamed).
$ trainsim gen --model gpt3-1.7b --system dgx-h100 --plan tp=2,pp=2,gbs=2 --seq 512 -o /tmp/trainsim_gen_$$.tst >/dev/null && echo written && rm /tmp/trainsim_gen_$$.tst
> written
