#!/usr/bin/env python3
"""Writes the malformed-input corpus: tests/data/bad/<reader>/NAME.<ext>. Each file breaks one
rule of its reader; NAME.expected (kept in git, written by hand after checking the reader's
message) holds the one-line error it must produce. Run from anywhere; overwrites the inputs only."""
import os, struct, zlib

HERE = os.path.dirname(os.path.abspath(__file__))

CHIP = """name: bad-chip
vendor: test
family: test
generation: Test 1
year: {value: 2024, source: "fixture"}
fp32_tflops: {value: 60, source: "fixture"}
fp16_tflops: {value: 900, source: "fixture"}
bf16_tflops: {value: 900, source: "fixture"}
fp8_tflops: {value: 1800, source: "fixture"}
fp4_tflops: {value: 0, source: "fixture"}
hbm_gb: {value: 80, source: "fixture"}
hbm_tbps: {value: 3, source: "fixture"}
sram_mib: {value: 50, source: "fixture"}
compute_units: {value: 132, source: "fixture"}
tile_mnk: {value: 128x128x64, source: "fixture"}
ranks_per_chip: {value: 1, source: "fixture"}
power_w: {value: 700, source: "fixture"}
price_usd_per_chip_h: {value: 2.5, source: "fixture"}
price_date: "2025-01"
kern:
  gemm_efficiency: {value: 0.8, source: "fixture"}
  attn_efficiency: {value: 0.6, source: "fixture"}
  mem_efficiency: {value: 0.9, source: "fixture"}
  launch_us: {value: 4, source: "fixture"}
"""

SYSTEM = """name: bad-system
description: "fixture"
chip: h100-sxm
stack: nccl
scaleup:
  topology: {value: torus, source: "fixture"}
  domain_chips: {value: 16, source: "fixture"}
  dims: {value: 4x4, source: "fixture"}
  link_GBps: {value: 100, source: "fixture"}
  links_per_chip: {value: 1, source: "fixture"}
  chip_GBps: {value: 400, source: "fixture"}
  latency_us: {value: 1, source: "fixture"}
scaleout:
  nic_Gbps_per_chip: {value: 400, source: "fixture"}
  latency_us: {value: 5, source: "fixture"}
  rail_optimized: {value: true, source: "fixture"}
  oversubscription: {value: 1, source: "fixture"}
  leaf_chips: {value: 32, source: "fixture"}
  max_chips: {value: 1024, source: "fixture"}
host_overhead_w_per_chip: {value: 100, source: "fixture"}
"""

MODEL = """name: bad-model
source: "fixture"
layers: 24
hidden: 2048
ffn: 8192
heads: 16
vocab: 51200
seq: 2048
mlp: gelu
"""


def put(reader, name, data):
    d = os.path.join(HERE, reader)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data.encode() if isinstance(data, str) else data)


def swap(text, old, new):
    assert old in text, old
    return text.replace(old, new, 1)


def yaml_set(reader, base, num_line, num_key):
    """The common YAML cases; num_line is a line holding a number, num_key its key."""
    lines = base.splitlines(True)
    put(reader, 'truncated.yaml', base[: base.index(num_line) + len(num_line) // 2])
    put(reader, 'truncated_mid_document.yaml', ''.join(lines[: len(lines) // 2]))
    put(reader, 'unknown_field.yaml', base + 'colour: blue\n')
    put(reader, 'duplicate_key.yaml', base + lines[0])
    put(reader, 'empty.yaml', '')
    put(reader, 'comments_only.yaml', '# nothing here\n')
    put(reader, 'binary_garbage.yaml', b'\x7fELF\x02\x01\x01\x00\x00\x00\xff\xfe' + bytes(range(256)))
    put(reader, 'tab_indented.yaml', base.replace('\n  ', '\n\t') if '\n  ' in base
        else base.replace('\n', '\n\t', 3))
    put(reader, 'not_a_mapping.yaml', '- a\n- b\n')
    put(reader, 'scalar_document.yaml', 'just text\n')
    put(reader, 'deep_flow_nesting.yaml', base + 'deep: ' + '[' * 65 + ']' * 65 + '\n')
    return num_key


def chip_cases():
    r = 'chip'
    yaml_set(r, CHIP, 'hbm_tbps: {value: 3, source: "fixture"}\n', 'hbm_tbps')
    put(r, 'wrong_type_mapping.yaml', swap(CHIP, '{value: 3, source', '{value: {a: 1}, source'))
    put(r, 'bare_number.yaml', swap(CHIP, 'hbm_tbps: {value: 3, source: "fixture"}', 'hbm_tbps: 3'))
    put(r, 'negative.yaml', swap(CHIP, 'power_w: {value: 700', 'power_w: {value: -700'))
    put(r, 'nan.yaml', swap(CHIP, 'hbm_tbps: {value: 3,', 'hbm_tbps: {value: .nan,'))
    put(r, 'nan_text.yaml', swap(CHIP, 'hbm_tbps: {value: 3,', 'hbm_tbps: {value: NaN,'))
    put(r, 'inf.yaml', swap(CHIP, 'hbm_tbps: {value: 3,', 'hbm_tbps: {value: 1e999,'))
    put(r, 'huge_integer.yaml', swap(CHIP, 'compute_units: {value: 132', 'compute_units: {value: 1180591620717411303424'))
    put(r, 'integer_past_int32.yaml', swap(CHIP, 'compute_units: {value: 132', 'compute_units: {value: 4294967297'))
    put(r, 'fraction_for_count.yaml', swap(CHIP, 'compute_units: {value: 132', 'compute_units: {value: 13.5'))
    put(r, 'efficiency_over_one.yaml', swap(CHIP, 'gemm_efficiency: {value: 0.8', 'gemm_efficiency: {value: 1.5'))
    put(r, 'missing_source.yaml', swap(CHIP, 'power_w: {value: 700, source: "fixture"}', 'power_w: {value: 700}'))
    put(r, 'missing_field.yaml', swap(CHIP, 'power_w: {value: 700, source: "fixture"}\n', ''))
    put(r, 'bad_tile.yaml', swap(CHIP, '128x128x64', '128x0x64'))
    put(r, 'bad_name.yaml', swap(CHIP, 'name: bad-chip', 'name: Bad Chip'))
    put(r, 'bad_price_date.yaml', swap(CHIP, '"2025-01"', '"Jan 2025"'))
    put(r, 'both_hbm_units.yaml', swap(CHIP, 'hbm_gb: {value: 80, source: "fixture"}', 'hbm_gb: {value: 80, source: "fixture"}\nhbm_gib: {value: 75, source: "fixture"}'))


def system_cases():
    r = 'system'
    yaml_set(r, SYSTEM, '  link_GBps: {value: 100, source: "fixture"}\n', 'link_GBps')
    put(r, 'unknown_field_nested.yaml', swap(SYSTEM, '  latency_us: {value: 1,', '  colour: {value: 1, source: "x"}\n  latency_us: {value: 1,'))
    put(r, 'duplicate_key_nested.yaml', swap(SYSTEM, '  leaf_chips: {value: 32, source: "fixture"}\n', '  leaf_chips: {value: 32, source: "fixture"}\n  leaf_chips: {value: 16, source: "fixture"}\n'))
    put(r, 'wrong_type_mapping.yaml', swap(SYSTEM, 'link_GBps: {value: 100,', 'link_GBps: {value: [1, 2],'))
    put(r, 'scaleup_not_mapping.yaml', SYSTEM.split('scaleup:')[0] + 'scaleup: 7\n')
    put(r, 'negative.yaml', swap(SYSTEM, 'chip_GBps: {value: 400', 'chip_GBps: {value: -400'))
    put(r, 'nan.yaml', swap(SYSTEM, 'link_GBps: {value: 100,', 'link_GBps: {value: .NaN,'))
    put(r, 'inf.yaml', swap(SYSTEM, 'link_GBps: {value: 100,', 'link_GBps: {value: 1e999,'))
    put(r, 'huge_integer.yaml', swap(SYSTEM, 'max_chips: {value: 1024', 'max_chips: {value: 1180591620717411303424'))
    put(r, 'huge_domain.yaml', swap(SYSTEM, 'domain_chips: {value: 16', 'domain_chips: {value: 9223372036854775807'))
    put(r, 'dims_mismatch.yaml', swap(SYSTEM, '4x4,', '4x8,'))
    put(r, 'dims_overflow.yaml', swap(SYSTEM, '4x4,', '100000x100000x100000,'))
    put(r, 'dims_trailing_x.yaml', swap(SYSTEM, '4x4,', '4x4x,'))
    put(r, 'oversubscription_below_one.yaml', swap(SYSTEM, 'oversubscription: {value: 1,', 'oversubscription: {value: 0.5,'))
    put(r, 'unknown_topology.yaml', swap(SYSTEM, 'topology: {value: torus', 'topology: {value: hypercube'))
    put(r, 'unknown_chip.yaml', swap(SYSTEM, 'chip: h100-sxm', 'chip: h100-sxn'))
    put(r, 'max_below_domain.yaml', swap(SYSTEM, 'max_chips: {value: 1024', 'max_chips: {value: 8'))


def model_cases():
    r = 'model'
    yaml_set(r, MODEL, 'hidden: 2048\n', 'hidden')
    put(r, 'wrong_type_mapping.yaml', swap(MODEL, 'hidden: 2048', 'hidden: {value: 2048}'))
    put(r, 'wrong_type_sequence.yaml', swap(MODEL, 'layers: 24', 'layers: [24]'))
    put(r, 'negative.yaml', swap(MODEL, 'layers: 24', 'layers: -24'))
    put(r, 'zero.yaml', swap(MODEL, 'heads: 16', 'heads: 0'))
    put(r, 'nan.yaml', swap(MODEL, 'ffn: 8192', 'ffn: .nan'))
    put(r, 'inf.yaml', swap(MODEL, 'ffn: 8192', 'ffn: 1e999'))
    put(r, 'huge_integer.yaml', swap(MODEL, 'vocab: 51200', 'vocab: 1180591620717411303424'))
    put(r, 'int64_max_layers.yaml', swap(MODEL, 'layers: 24', 'layers: 9223372036854775807'))
    put(r, 'fraction.yaml', swap(MODEL, 'seq: 2048', 'seq: 2048.5'))
    put(r, 'heads_do_not_divide.yaml', swap(MODEL, 'heads: 16', 'heads: 15'))
    put(r, 'kv_heads_do_not_divide.yaml', MODEL + 'kv_heads: 5\n')
    put(r, 'missing_field.yaml', swap(MODEL, 'vocab: 51200\n', ''))
    put(r, 'missing_source.yaml', swap(MODEL, 'source: "fixture"\n', ''))
    put(r, 'bad_mlp.yaml', swap(MODEL, 'mlp: gelu', 'mlp: tanh'))
    put(r, 'moe_topk_without_experts.yaml', MODEL + 'moe_topk: 2\n')
    put(r, 'latent_field_without_latent.yaml', MODEL + 'kv_lora_rank: 512\n')


def inline_cases():
    r = 'model_inline'
    base = 'layers=24,hidden=2048,ffn=8192,heads=16,vocab=51200,seq=2048,mlp=gelu'
    cases = {
        'unknown_field': base + ',colour=blue',
        'duplicate_key': base + ',layers=12',
        'not_key_value': base + ',tied',
        'empty_key': base + ',=3',
        'empty_value': base.replace('hidden=2048', 'hidden='),
        'negative': base.replace('layers=24', 'layers=-1'),
        'nan': base.replace('ffn=8192', 'ffn=nan'),
        'inf': base.replace('ffn=8192', 'ffn=1e999'),
        'huge_integer': base.replace('vocab=51200', 'vocab=1180591620717411303424'),
        'int64_max_layers': base.replace('layers=24', 'layers=9223372036854775807'),
        'int64_past_max': base.replace('layers=24', 'layers=9223372036854775808'),
        'missing_field': base.replace(',seq=2048', ''),
        'bad_bool': base + ',tied=yes',
        'bad_attention': base + ',attention=sparse',
        'too_long': base + ',name=' + 'x' * 1100,
        'name_too_long': base + ',name=' + 'x' * 80,
        'control_character': base.replace(',seq=', ',\x1bseq='),
        'empty_item': base.replace(',hidden=', ',,hidden='),
        'trailing_comma': base + ',',
        'duplicate_name': base + ',name=a,name=b',
    }
    for k, v in cases.items():
        put(r, k + '.txt', v + '\n')


def plan_cases():
    r = 'plan'
    cases = {
        'tp_zero': 'tp=0', 'tp_negative': 'tp=-8', 'tp_not_number': 'tp=eight',
        'tp_huge': 'tp=1180591620717411303424', 'tp_int64_max': 'tp=9223372036854775807',
        'tp_fraction': 'tp=2.5', 'tp_nan': 'tp=nan',
        'pp_over_max': 'pp=1025', 'dp_over_max': 'dp=1048577', 'cp_zero': 'cp=0', 'ep_zero': 'ep=0',
        'vpp_zero': 'vpp=0', 'mbs_zero': 'mbs=0', 'gbs_zero': 'gbs=0', 'gbs_huge': 'gbs=1099511627777',
        'recompute_bad': 'recompute=some', 'zero_four': 'zero=4', 'zero_word': 'zero=fsd',
        'dtype_bad': 'dtype=int8', 'schedule_bad': 'schedule=zigzag', 'sp_bad': 'sp=maybe',
        'tp_overlap_bad': 'tp_overlap=2', 'dp_overlap_bad': 'dp_overlap=yes', 'pp_overlap_bad': 'pp_overlap=',
        'attention_bad': 'attention=ring', 'stage_layers_empty_entry': 'pp=3,stage_layers=8//8',
        'stage_layers_zero': 'stage_layers=8/0/8', 'stage_layers_count': 'pp=4,stage_layers=8/8/8',
        'stage_layers_not_number': 'stage_layers=a/b', 'unknown_field': 'tp=2,colour=blue',
        'duplicate_key': 'tp=2,tp=4', 'no_value': 'tp=', 'not_key_value': 'tp', 'empty_key': '=4',
        'two_commas': 'tp=2,,pp=2', 'trailing_comma': 'tp=2,', 'leading_comma': ',tp=2',
        'too_long': 'tp=2,' + 'sp=true,' * 1200,
        'control_character': 'tp=8\tpp=2',
    }
    for k, v in cases.items():
        put(r, k + '.txt', v + '\n')


def kernel_table_cases():
    r = 'kernel_table'
    H = 'op,dtype,m,n,k,bytes,seconds\n'
    cases = {
        'empty': '', 'blank_only': '\n\n', 'bad_header': 'op,dtype,m,n,k,seconds\n',
        'header_only_ok_rows_bad': H + 'gemm,bf16,1,1,1,,1\nnorm,bf16,,,,1\n',
        'too_many_columns': H + 'gemm,bf16,1,1,1,,1,extra\n',
        'unknown_op': H + 'conv,bf16,1,1,1,,1\n',
        'collective_op': H + 'all_reduce,bf16,,,,1024,1\n',
        'unknown_dtype': H + 'gemm,int8,1,1,1,,1\n',
        'gemm_m_zero': H + 'gemm,bf16,0,1,1,,1\n',
        'gemm_n_negative': H + 'gemm,bf16,1,-1,1,,1\n',
        'gemm_k_not_number': H + 'gemm,bf16,1,1,x,,1\n',
        'gemm_m_huge': H + 'gemm,bf16,1180591620717411303424,1,1,,1\n',
        'gemm_m_missing': H + 'gemm,bf16,,1,1,,1\n',
        'bytes_negative': H + 'norm,bf16,,,,-1,1\n',
        'bytes_nan': H + 'norm,bf16,,,,nan,1\n',
        'bytes_missing': H + 'norm,bf16,,,,,1\n',
        'seconds_negative': H + 'gemm,bf16,1,1,1,,-1\n',
        'seconds_nan': H + 'gemm,bf16,1,1,1,,NaN\n',
        'seconds_inf': H + 'gemm,bf16,1,1,1,,1e999\n',
        'seconds_missing': H + 'gemm,bf16,1,1,1,,\n',
        'duplicate_gemm': H + 'gemm,bf16,8,8,8,,1\ngemm,bf16,8,8,8,,2\n',
        'duplicate_bytes': H + 'norm,fp32,,,,64,1\nnorm,fp32,,,,64.0,2\n',
        'binary_garbage': b'op,dtype,m,n,k,bytes,seconds\n\x00\x01\x02gemm',
        'control_character': H + 'gemm,bf16,1,1\x0b,1,,1\n',
    }
    for k, v in cases.items():
        put(r, k + '.csv', v)


def calibration_cases():
    r = 'calibration'
    def s(x): b = x.encode(); return struct.pack('<H', len(b)) + b
    def sec(tag, body): return tag + struct.pack('<I', len(body)) + body
    def fit(u): return struct.pack('<iii', u, 4, 8) + struct.pack('<6d', 1e11, 5e10, 2e10, 2e-6, .05, .2)
    host = s('fp') + s('cpu') + s('blas') + struct.pack('<i', 2)
    pts = struct.pack('<I', 1) + struct.pack('<BBqqqdd', 0, 0, 64, 64, 64, 1e-4, 1e-4)
    secs = [sec(b'HOST', host), sec(b'FIT1', fit(1)), sec(b'FITA', fit(2)), sec(b'PNTS', pts)]
    def wrap(payload, version=1, magic=b'TSCALIB\0', plen=None, crc=None):
        return (magic + struct.pack('<III', version, len(payload) if plen is None else plen,
                                    zlib.crc32(payload) if crc is None else crc)
                + zlib.compress(payload, 9))
    good = wrap(b''.join(secs))
    put(r, 'empty.bin', b'')
    put(r, 'short_header.bin', good[:12])
    put(r, 'header_only.bin', good[:20])
    put(r, 'bad_magic.bin', b'TSTRACE\0' + good[8:])
    put(r, 'future_version.bin', wrap(b''.join(secs), version=3))
    put(r, 'zero_version.bin', wrap(b''.join(secs), version=0))
    put(r, 'payload_too_long.bin', wrap(b''.join(secs), plen=(1 << 20) + 1))
    put(r, 'payload_longer_than_header.bin', wrap(b''.join(secs), plen=len(b''.join(secs)) - 1))
    put(r, 'payload_shorter_than_header.bin', wrap(b''.join(secs), plen=len(b''.join(secs)) + 1))
    put(r, 'bad_crc.bin', wrap(b''.join(secs), crc=12345))
    put(r, 'truncated_zlib.bin', good[:-5])
    # Truncation at each section boundary: the payload ends after sections 0..i (valid CRC).
    names = ['after_header_none', 'after_host', 'after_fit1', 'after_fita']
    for i, n in enumerate(names):
        put(r, 'truncated_' + n + '.bin', wrap(b''.join(secs[:i])))
    # Truncation inside each section (header says more than is there).
    for i, n in enumerate(['host', 'fit1', 'fita', 'pnts']):
        cut = b''.join(secs[:i]) + secs[i][:len(secs[i]) - 3]
        put(r, 'truncated_in_' + n + '.bin', wrap(cut))
    put(r, 'section_twice.bin', wrap(b''.join(secs) + secs[1]))
    put(r, 'section_length_mismatch.bin', wrap(b''.join(secs[:3]) + b'PNTS' + struct.pack('<I', len(pts) + 2) + pts + b'\0\0'))
    put(r, 'point_count_past_end.bin', wrap(b''.join(secs[:3]) + sec(b'PNTS', struct.pack('<I', 5) + pts[4:])))
    put(r, 'point_count_huge.bin', wrap(b''.join(secs[:3]) + sec(b'PNTS', struct.pack('<I', 0xffffffff))))
    bad_fit = struct.pack('<iii', 1, 4, 8) + struct.pack('<6d', float('nan'), 5e10, 2e10, 2e-6, .05, .2)
    put(r, 'nan_in_fit.bin', wrap(secs[0] + sec(b'FIT1', bad_fit) + b''.join(secs[2:])))
    neg = struct.pack('<I', 1) + struct.pack('<BBqqqdd', 0, 0, 64, -1, 64, 1e-4, 1e-4)
    put(r, 'negative_shape.bin', wrap(b''.join(secs[:3]) + sec(b'PNTS', neg)))
    kind = struct.pack('<I', 1) + struct.pack('<BBqqqdd', 7, 0, 64, 64, 64, 1e-4, 1e-4)
    put(r, 'bad_point_kind.bin', wrap(b''.join(secs[:3]) + sec(b'PNTS', kind)))
    long_str = struct.pack('<H', 300) + b'x' * 300 + s('cpu') + s('blas') + struct.pack('<i', 2)
    put(r, 'string_too_long.bin', wrap(sec(b'HOST', long_str) + b''.join(secs[1:])))
    put(r, 'binary_garbage.bin', bytes(range(256)) * 2)
    ctl = s('f\tp') + s('cpu') + s('blas') + struct.pack('<i', 2)
    put(r, 'control_character_in_string.bin', wrap(sec(b'HOST', ctl) + b''.join(secs[1:])))
    # Version 2: section KOPS (sim/calib_ops.c) is required: 9 class fits, then points.
    def kfit(c0=0.0, n=0): return struct.pack('<5dI', c0, 5e-11, 0.0, .01, .02, n)
    kpt = struct.pack('<Bqqqddd', 0, 0, 0, 0, 1048576.0, 5e-5, 5e-5)
    kops = struct.pack('<I', 9) + kfit(n=1) + kfit() * 8 + struct.pack('<I', 1) + kpt
    put(r, 'v2_kops_missing.bin', wrap(b''.join(secs), version=2))
    put(r, 'v2_kops_twice.bin', wrap(b''.join(secs) + sec(b'KOPS', kops) * 2, version=2))
    put(r, 'kops_class_count.bin', wrap(b''.join(secs) + sec(b'KOPS', struct.pack('<I', 12) + kops[4:]), version=2))
    put(r, 'kops_nan_constant.bin', wrap(b''.join(secs) + sec(b'KOPS', struct.pack('<I', 9) + kfit(c0=float('nan')) + kops[48:]), version=2))
    put(r, 'kops_point_class.bin', wrap(b''.join(secs) + sec(b'KOPS', kops[:-len(kpt)] + b'\x0c' + kpt[1:]), version=2))
    put(r, 'kops_truncated.bin', wrap(b''.join(secs) + sec(b'KOPS', kops[:-3]), version=2))
    put(r, 'kops_point_count_huge.bin', wrap(b''.join(secs) + sec(b'KOPS', kops[:4 + 9 * 44] + struct.pack('<I', 0xffffffff)), version=2))


chip_cases(); system_cases(); model_cases(); inline_cases(); plan_cases()
kernel_table_cases(); calibration_cases()
