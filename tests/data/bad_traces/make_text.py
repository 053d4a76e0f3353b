#!/usr/bin/env python3
"""Makes the malformed text traces of this folder, each an edit of tests/data/traces/tiny.txt.
Run from this folder after tiny.txt changes; then check expected.msgs (the test says what differs)."""
import random

src = open('../traces/tiny.txt').read()
lines = src.split('\n')


def w(name, text):
    open(name, 'wb').write(text if isinstance(text, bytes) else text.encode())


def line_index(prefix):
    return [i for i, l in enumerate(lines) if l.startswith(prefix)][0]


w('text_empty.txt', '')
w('text_future_version.txt', src.replace('trainsim-trace 1', 'trainsim-trace 7', 1))
p = line_index('plan ')
w('text_truncated_header.txt', '\n'.join(lines[:p]) + '\n' + lines[p][:60])
o = line_index('op 4 send')
w('text_truncated_ops.txt', '\n'.join(lines[:o + 1]) + '\n')
w('text_nan.txt', src.replace('flops=25769803776', 'flops=nan', 1))
w('text_negative.txt', src.replace('bytes=60000000', 'bytes=-5', 1))
w('text_huge_number.txt', src.replace('m=4096', 'm=1e400', 1))
w('text_huge_integer.txt', src.replace('m=4096', 'm=99999999999999999999999', 1))
w('text_dep_forward.txt', src.replace('deps=1,5', 'deps=1,7', 1))
w('text_unknown_key.txt', src.replace(' vocab=32000', ' vocab=32000 color=blue', 1))
w('text_duplicate_key.txt', src.replace(' seq=4096', ' seq=4096 seq=2048', 1))
w('text_wrong_type.txt', src.replace('layers=2', 'layers="two"', 1))
w('text_other_chip_count.txt', src.replace('chips=8 ranks=8', 'chips=16 ranks=16', 1))
r = random.Random(7)
w('text_binary_garbage.txt', bytes(r.randrange(256) for _ in range(300)))
w('text_unterminated_string.txt', src.replace('"stage1"', '"stage1', 1))
w('text_peer_out_of_range.txt', src.replace('peer=1 m=0', 'peer=9 m=0', 1))
w('text_comm_unknown.txt', src.replace('comm=dp', 'comm=ep', 1))
w('text_class_index.txt', src.replace('class 1 "stage1"', 'class 3 "stage1"', 1))
w('text_op_index.txt', src.replace('op 5 recv', 'op 6 recv', 1))
