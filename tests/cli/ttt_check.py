#!/usr/bin/env python3
"""Checks the "time_to_train" object of `trainsim run --tokens ... --json` by hand (tests/cli/ttt.t).
Arguments: RUN.json HW.json MODEL.json TOKENS GBS SEQ PRICE PUE. The formulas are those of the
README (Daly 2006 interval, restart 600 s, 14 bytes per parameter over 2 TB/s, idle 0.5), written
out again here from the step time, the chip's failure rate and the model's parameter count."""
import json
import math
import sys

run, hw, mdl = (json.load(open(p)) for p in sys.argv[1:4])
tokens, gbs, seq, price, pue = (float(x) for x in sys.argv[4:9])
t = run["time_to_train"]
chips = run["chips"]
W = tokens / (gbs * seq) * run["step_s"]
M = 3600.0 / (hw["chip"]["failure_rate_per_chip_h"] * chips)
d = mdl["params_total"] * 14 / 2e12
tau = math.sqrt(2 * d * M) * (1 + math.sqrt(d / (2 * M)) / 3 + d / (18 * M)) - d
T = W * (1 + d / tau) / (1 - (600 + (tau + d) / 2) / M)
p = hw["chip"]["power_w"]
h = hw["host_overhead_w_per_chip"]
expect = {
    "ideal_s": W, "seconds": T, "goodput": W / T, "chip_hours": chips * T / 3600,
    "cost_usd": chips * T / 3600 * price, "interruptions": T / M, "mtbf_s": M,
    "checkpoint_interval_s": tau, "checkpoint_write_s": d, "price_usd_per_chip_h": price,
}
bad = [k for k, v in expect.items() if abs(t[k] - v) > 1e-6 * abs(v)]
lo, hi = chips * (0.5 * p + h) * pue, chips * (p + h) * pue
if not lo <= t["power_w"] <= hi:
    bad.append("power_w")
if abs(t["energy_j"] - t["power_w"] * T) > 1e-6 * t["energy_j"]:
    bad.append("energy_j")
print("time_to_train agrees" if not bad else "mismatch: " + ", ".join(bad))
