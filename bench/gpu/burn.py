#!/usr/bin/env python3
"""Keeps a GPU busy with bf16 matrix products for --seconds (the burn of
scripts/gpu-check.sh's power probe). Last line: JSON with the burn's start
and end (Unix time, after the warm-up) and the TFLOP/s it ran at."""
import argparse
import json
import time

import torch

ap = argparse.ArgumentParser()
ap.add_argument("--seconds", type=float, default=3.0)
ap.add_argument("--size", type=int, default=8192)
args = ap.parse_args()
a = torch.randn(args.size, args.size, device="cuda", dtype=torch.bfloat16)
b = torch.randn(args.size, args.size, device="cuda", dtype=torch.bfloat16)
a @ b
torch.cuda.synchronize()
wall_start = time.time()
start, n = time.perf_counter(), 0
while time.perf_counter() - start < args.seconds:
    for _ in range(10):
        a @ b
    torch.cuda.synchronize()
    n += 10
elapsed = time.perf_counter() - start
print(json.dumps({"start": wall_start, "end": time.time(), "products": n,
                  "tflops": 2 * args.size ** 3 * n / elapsed / 1e12}))
