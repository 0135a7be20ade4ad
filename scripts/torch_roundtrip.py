#!/usr/bin/env python3
"""Round trip of model files between backprop and PyTorch, on the 10,000
MNIST test images.

1. backprop -> PyTorch: trains the tutorial's 784-128-64-10 network with
   `examples/mnist` (which writes <out>/model.safetensors), classifies the
   test set with `examples/predict --predictions`, then loads the same file in
   PyTorch with safetensors.torch.load_file + nn.Sequential.load_state_dict
   (strict) and checks that PyTorch predicts the same class for every image.
2. PyTorch -> backprop: trains the same architecture in PyTorch, saves its
   state dict with safetensors.torch.save_file (no backprop metadata),
   classifies the test set in PyTorch, then with
   `examples/predict --layers 784,128,64,10` and checks the classes agree.

Run from the repository root (needs cargo, and a Python with torch, numpy
and safetensors):

    /tmp/peers-venv/bin/python scripts/torch_roundtrip.py [--epochs 3] [--out runs/roundtrip]

The last line printed is a JSON summary. Exit status 1 if any class differs.
"""

import argparse
import gzip
import json
import os
import struct
import subprocess
import sys

import numpy as np
import torch
from torch import nn
from safetensors.torch import load_file, save_file

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
DATA = os.path.join(ROOT, "data", "mnist")


def read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    zero, code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or code != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * ndim, raw[4 : 4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def mnist(split):
    prefix = "train" if split == "train" else "t10k"
    x = read_idx(os.path.join(DATA, f"{prefix}-images-idx3-ubyte.gz"))
    y = read_idx(os.path.join(DATA, f"{prefix}-labels-idx1-ubyte.gz"))
    x = torch.from_numpy(x.reshape(len(x), 784).astype(np.float32) / 255.0)
    return x, torch.from_numpy(y.astype(np.int64))


def net():
    return nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))


def cargo(*args):
    cmd = ["cargo", "run", "--release", "--quiet", "--example", *args]
    print("$", " ".join(cmd), file=sys.stderr)
    out = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


def torch_classes(model, x):
    model.eval()
    with torch.no_grad():
        logits = model(x)
    top2 = logits.topk(2, dim=1).values
    return logits.argmax(dim=1), (top2[:, 0] - top2[:, 1])


def compare(ours_path, theirs, margin, what):
    ours = torch.tensor([int(l) for l in open(ours_path).read().split()])
    same = int((ours == theirs).sum())
    differ = (ours != theirs).nonzero().flatten().tolist()
    print(
        f"{what}: same class for {same}/{len(theirs)} test images"
        + (f"; differing at {differ[:10]} (PyTorch's top-2 margins {margin[differ[:10]].tolist()})" if differ else ""),
        file=sys.stderr,
    )
    return same, len(differ)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--out", default=os.path.join(ROOT, "runs", "roundtrip"))
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(2)
    x_test, y_test = mnist("test")

    # 1. backprop -> PyTorch.
    ours_dir = os.path.join(args.out, "backprop")
    summary = json.loads(cargo("mnist", "--", "--epochs", str(args.epochs), "--out", ours_dir, "--json"))
    ours_model = os.path.join(ours_dir, "model.safetensors")
    ours_pred = os.path.join(ours_dir, "predictions.txt")
    predict = json.loads(cargo("predict", "--", "--model", ours_model, "--predictions", ours_pred, "--json"))
    model = net()
    model.load_state_dict(load_file(ours_model), strict=True)
    classes, margin = torch_classes(model, x_test)
    same1, diff1 = compare(ours_pred, classes, margin, "backprop-trained model, classes by backprop vs PyTorch")
    torch_acc1 = float((classes == y_test).float().mean())

    # 2. PyTorch -> backprop.
    torch.manual_seed(args.seed)
    x_train, y_train = mnist("train")
    model = net()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(args.seed)
    for _ in range(args.epochs):
        model.train()
        perm = torch.randperm(len(x_train), generator=g)
        for i in range(0, len(perm), 64):
            idx = perm[i : i + 64]
            opt.zero_grad()
            nn.functional.cross_entropy(model(x_train[idx]), y_train[idx]).backward()
            opt.step()
    torch_model = os.path.join(args.out, "torch_model.safetensors")
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, torch_model)
    classes, margin = torch_classes(model, x_test)
    torch_acc2 = float((classes == y_test).float().mean())
    theirs_pred = os.path.join(args.out, "torch_model_predictions.txt")
    predict2 = json.loads(
        cargo("predict", "--", "--model", torch_model, "--layers", "784,128,64,10", "--predictions", theirs_pred, "--json")
    )
    same2, diff2 = compare(theirs_pred, classes, margin, "PyTorch-trained model, classes by PyTorch vs backprop")

    result = {
        "epochs": args.epochs,
        "backprop_trained": {
            "test_accuracy_backprop": predict["test_accuracy"],
            "test_accuracy_training_run": summary["test_accuracy"],
            "test_accuracy_pytorch": torch_acc1,
            "same_class": same1,
            "differ": diff1,
        },
        "pytorch_trained": {
            "test_accuracy_pytorch": torch_acc2,
            "test_accuracy_backprop": predict2["test_accuracy"],
            "same_class": same2,
            "differ": diff2,
        },
        "torch": torch.__version__,
    }
    print(json.dumps(result))
    sys.exit(1 if diff1 or diff2 else 0)


if __name__ == "__main__":
    main()
