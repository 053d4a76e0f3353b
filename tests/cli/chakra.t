# Chakra import of the STG GPT fixture (16 ranks, TP2 PP2 DP4) and a send node without peers.
$ trainsim trace import --chakra data/chakra/gpt16/workload -o /tmp/cli_chakra_gpt16.tst
> chakra:   data/chakra/gpt16/workload.0.et .. data/chakra/gpt16/workload.15.et
> groups:   data/chakra/gpt16/workload.json
> writer:   STG (schema symbolic_tensor_network): num_ops read as multiply-accumulates (x2 = FLOPs), tensor_size and comm_size as element counts (x2 bytes, --elem-bytes)
> communicators: n2s1(size 2, stride 1) n2s8(size 2, stride 8) n4s2(size 4, stride 2)
> wrote:    /tmp/cli_chakra_gpt16.tst
> ranks: 16
> nodes: 5632
> classes: 2
$ trainsim trace import --chakra data/chakra/micro/one_comm_send_node -o /tmp/cli_chakra_x.tst
> trainsim: data/chakra/micro/one_comm_send_node.0.et: byte 8: node id 56 (COMM_SEND_NODE): needs comm_dst, comm_tag and comm_size (trainsim pairs a send with its recv by peer and tag)
? 2
$ trainsim trace import --chakra data/chakra/nosuch/prefix -o /tmp/cli_chakra_y.tst
> trainsim: data/chakra/nosuch/prefix: cannot open folder data/chakra/nosuch
? 2
