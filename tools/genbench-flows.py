#!/usr/bin/env python3
"""Per-flow ground truth of a genbench.py capture, as JSON lines.

genbench.py (../shared/bench, read-only) writes only aggregate ground truth. This script imports
it and re-runs its deterministic planner with the same arguments, then prints one line per planned
flow: proto, client and server address/port, service label, TCP close mode, midstream flag. The
sensor's flow records can then be checked flow by flow (service identification, flow counts).

usage: genbench-flows.py --packets N --seed S [--duration D]
"""
import argparse
import json
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'shared', 'bench'))
import genbench  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument('--packets', type=int, required=True)
ap.add_argument('--seed', type=int, required=True)
ap.add_argument('--duration', type=float, default=600.0)
a = ap.parse_args()

# Same initialisation as genbench.main(), without writing the capture.
genbench.POOL = random.Random(a.seed * 1000003 + 17).randbytes(genbench.POOL_SIZE)
genbench.JR = random.Random(a.seed * 7 + 3)
R = random.Random(a.seed)
W = genbench.World(R)
flows = genbench.plan_flows(W, R, a.packets, a.duration)
modes = ['fin_by_client', 'fin_by_server', 'rst_by_client', 'rst_by_server', 'open_at_end', 'refused', 'no_answer']
out = sys.stdout
for f in flows:
    rec = {
        'proto': {6: 'tcp', 17: 'udp', 1: 'icmp'}[f.proto],
        'c': f.c.ipstr(), 'cport': f.cport, 's': f.s.ipstr(), 'sport': f.sport,
        'svc': f.svc, 'start': f.start,
    }
    if f.proto == 6:
        rec['mode'] = modes[f.mode]
        rec['mid'] = bool(f.mid)
    if f.limit is not None:
        rec['truncated'] = True
    out.write(json.dumps(rec) + '\n')
