#!/usr/bin/env python3
"""The PAMAP2 CNN of powertrain (src/models/pamap2_cnn.cc) in Python PyTorch,
trained on generated windows of the same shape: the Python side of
scripts/gpu-check.sh's samples/s comparison, and a GPU script for `track`.

  python3 bench/gpu/pamap2_cnn.py --device cuda --batch-size 64 --epochs 2

Prints one line per epoch ("epoch N ... samples/s X", the form `track
--epoch-regex 'epoch (\\d+)'` reads) and a JSON summary as its last line.
Same architecture and optimiser as `powertrain train --task pamap2`: three
blocks of Conv1d(kernel 9, 5, 5; 64 filters; same padding), BatchNorm,
ReLU, MaxPool(2), Dropout(0.2); Linear(1024, 128), ReLU, Dropout, Linear(128,
12); Adam (lr 0.01); gradients set to None; one loss read per epoch;
batches gathered into pinned memory and copied without blocking.
"""
import argparse
import json
import time

import torch
from torch import nn


def make_model(channels=27, length=128, classes=12, filters=(64, 64, 64), kernels=(9, 5, 5),
               dropout=0.2, hidden=128):
    layers, inp = [], channels
    for out, k in zip(filters, kernels):
        layers += [nn.Conv1d(inp, out, k, padding=k // 2), nn.BatchNorm1d(out), nn.ReLU(True),
                   nn.MaxPool1d(2), nn.Dropout(dropout)]
        inp = out
        length = (length + 2 * (k // 2) - k + 1) // 2
    layers += [nn.Flatten(), nn.Linear(inp * length, hidden), nn.ReLU(True), nn.Dropout(dropout),
               nn.Linear(hidden, classes)]
    return nn.Sequential(*layers)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--train", type=int, default=32768, help="generated training windows")
    ap.add_argument("--lr", type=float, default=0.01)
    args = ap.parse_args()
    torch.manual_seed(1)
    device = torch.device(args.device)
    x = torch.randn(args.train, 27, 128)
    y = torch.randint(0, 12, (args.train,))
    pin = device.type == "cuda"
    model = make_model().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    rates = []
    for epoch in range(1, args.epochs + 1):
        model.train()
        order = torch.randperm(args.train)
        total = torch.zeros((), dtype=torch.float64, device=device)
        seen = 0
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        for i in range(0, args.train - args.batch_size + 1, args.batch_size):
            idx = order[i:i + args.batch_size]
            # Gathered into pinned memory (the caching host allocator reuses a
            # block only once its copy is done), copied without blocking: what
            # DataLoader(pin_memory=True) gives, without its workers.
            xp = torch.empty((len(idx), 27, 128), pin_memory=pin)
            yp = torch.empty(len(idx), dtype=torch.long, pin_memory=pin)
            torch.index_select(x, 0, idx, out=xp)
            torch.index_select(y, 0, idx, out=yp)
            xb = xp.to(device, non_blocking=True)
            yb = yp.to(device, non_blocking=True)
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.detach().double() * len(idx)
            seen += len(idx)
        if device.type == "cuda":
            torch.cuda.synchronize()
        seconds = time.perf_counter() - start
        rates.append(seen / seconds)
        print(f"epoch {epoch} loss {total.item() / seen:.4f} {seconds:.2f} s "
              f"samples/s {rates[-1]:.0f}", flush=True)
    print(json.dumps({"framework": "python-pytorch", "torch": torch.__version__,
                      "device": str(device), "batch_size": args.batch_size,
                      "samples_per_s": rates}), flush=True)


if __name__ == "__main__":
    main()
