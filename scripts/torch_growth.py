#!/usr/bin/env python3
"""PyTorch side of scripts/bench.sh's growth table: an MLP 784-h-h-10 (ReLU,
nn.CrossEntropyLoss, Adam 1e-3, f32) trained on the first --limit MNIST
training images, timed as torch_mlp.py times an epoch (one seeded permutation,
then every batch: gather, forward, loss, backward, step; the last partial
batch kept), mean over epochs 2..N. Prints one JSON line.

Usage: torch_growth.py --hidden H --batch B [--limit N] [--epochs E] [--threads T]
(run with the peer venv's python; the IDX reader is the peers' idx_mnist.py).
"""
import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

SHARED = os.environ.get("SHARED", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared"))
sys.path.insert(0, os.path.join(SHARED, "peers", "python"))
from idx_mnist import load_mnist  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--hidden", type=int, required=True)
    p.add_argument("--batch", type=int, required=True)
    p.add_argument("--limit", type=int, default=60000)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--data", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "mnist"))
    a = p.parse_args()
    import torch
    from torch import nn

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    xtr, ytr, _, _ = load_mnist(a.data)
    n = min(a.limit, len(xtr))
    x = torch.from_numpy(xtr[:n].reshape(n, -1).astype(np.float32) / 255.0).contiguous()
    y = torch.from_numpy(ytr[:n].astype(np.int64))
    h = a.hidden
    net = nn.Sequential(nn.Linear(784, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU(), nn.Linear(h, 10))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    g = torch.Generator().manual_seed(0)
    times = []
    for _ in range(a.epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(n, generator=g)
        for i in range(0, n, a.batch):
            idx = perm[i:i + a.batch]
            out = net(x[idx])
            loss = loss_fn(out, y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - t0)
    mean = statistics.mean(times[1:]) if len(times) > 1 else times[0]
    print(json.dumps({"impl": "pytorch", "hidden": h, "batch": a.batch, "limit": n, "epochs": a.epochs,
                      "threads": a.threads, "torch": torch.__version__, "mean_epoch_s": mean,
                      "epoch_s": times, "final_loss": loss.item()}))


if __name__ == "__main__":
    main()
