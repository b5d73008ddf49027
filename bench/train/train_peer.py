#!/usr/bin/python3
"""The Python PyTorch peer of train_bench: the same models (PAMAP2 1D CNN,
ResNet18), the same generated data shapes, batch size, optimiser and thread
count; samples/s of the training part of each epoch, written the way a
PyTorch user would write it (shuffled indices, tensor slicing, no
DataLoader workers). Prints one JSON line like train_bench."""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Pamap2Net(nn.Module):
    def __init__(self, in_channels=27, length=128, channels=(64, 64, 64), kernels=(9, 5, 5),
                 dropout=0.2, hidden=128, classes=12):
        super().__init__()
        blocks = []
        c_in = in_channels
        for c, k in zip(channels, kernels):
            blocks.append(nn.Sequential(nn.Conv1d(c_in, c, k, padding=k // 2), nn.BatchNorm1d(c),
                                        nn.ReLU(inplace=True), nn.MaxPool1d(2), nn.Dropout(dropout)))
            length = (length + 2 * (k // 2) - k + 1) // 2
            c_in = c
        self.encoder = nn.Sequential(*blocks)
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(c_in * length, hidden),
                                        nn.ReLU(inplace=True), nn.Dropout(dropout),
                                        nn.Linear(hidden, classes))

    def forward(self, x):
        return self.classifier(self.encoder(x))


class BasicBlock(nn.Module):
    def __init__(self, inp, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inp, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inp != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inp, planes, 1, stride, bias=False),
                                            nn.BatchNorm2d(planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)), inplace=True)
        out = self.bn2(self.conv2(out))
        out += x if self.downsample is None else self.downsample(x)
        return F.relu(out, inplace=True)


class ResNet18Net(nn.Module):
    def __init__(self, classes=40):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        layers, inp = [], 64
        for planes, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
            layers.append(nn.Sequential(BasicBlock(inp, planes, stride), BasicBlock(planes, planes, 1)))
            inp = planes
        self.layer1, self.layer2, self.layer3, self.layer4 = layers
        self.identity_head = nn.Linear(512, classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)), inplace=True)
        x = F.max_pool2d(x, 3, 2, 1)
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.identity_head(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="pamap2")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--samples", type=int, default=0)
    p.add_argument("--image-size", type=int, default=64)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    if a.model == "pamap2":
        n = a.samples or 8192
        x = torch.randn(n, 27, 128)
        y = torch.randint(0, 12, (n,))
        model = Pamap2Net()
    else:
        n = a.samples or 512
        x = torch.randn(n, 3, a.image_size, a.image_size)
        y = torch.randint(0, 40, (n,))
        model = ResNet18Net()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    rates, waits = [], []
    for epoch in range(a.epochs):
        model.train()
        perm = torch.randperm(n)
        start = time.perf_counter()
        wait = 0.0
        seen = 0
        for s in range(0, n, a.batch_size):
            if n - s == 1 and s > 0:
                break  # same rule as the C++ loader: batch norm cannot train on one sample
            t0 = time.perf_counter()
            idx = perm[s:s + a.batch_size]
            xb, yb = x[idx], y[idx]
            wait += time.perf_counter() - t0
            opt.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            value = loss.item()
            loss.backward()
            opt.step()
            seen += xb.shape[0]
        elapsed = time.perf_counter() - start
        rates.append(seen / elapsed)
        waits.append(wait / elapsed)
    best = max(rates[1:]) if len(rates) > 1 else rates[0]
    wait = max(waits[1:]) if len(waits) > 1 else waits[0]
    print(json.dumps({"side": "python", "model": a.model, "batch_size": a.batch_size,
                      "threads": a.threads, "samples": n, "epoch_samples_per_s": rates,
                      "samples_per_s": round(best, 2), "data_wait_share": round(wait, 4),
                      "torch": torch.__version__}))


if __name__ == "__main__":
    main()
