#!/usr/bin/env python3
"""PyTorch-made ONNX files for backprop-onnx's import test
(crates/backprop-onnx/tests/torch_import.rs, issue #16).

Run from anywhere with the peer venv's Python (torch 2.x, onnx, onnxscript;
`VENV=/tmp/peers-venv bash ../shared/peers/python/setup.sh` makes it). The
Rust tests never run Python; they read the committed files:

    /tmp/peers-venv/bin/python scripts/torch_onnx_fixtures.py

Each network is trained briefly on MNIST (data/mnist, read locally, never
downloaded): STEPS Adam steps (lr 1e-3, batch 64, torch.manual_seed(SEED),
one thread) on pixel / 255, so that its weights and BatchNorm running
statistics look like a real model's, then put in eval mode and exported by
torch.onnx.export twice, with the legacy TorchScript exporter
(dynamo=False) and the dynamo exporter (dynamo=True), with a dynamic batch
dimension named "batch", input "input" [batch, 1, 28, 28], output "output".
It writes into crates/backprop-onnx/tests/fixtures/:

    inputs.json                the first 16 MNIST test images as bytes (row
                               major, 16 x 784) and how they become the
                               input: float32(pixel) / 255, shape
                               [16, 1, 28, 28]
    <net>_<exporter>.onnx      the exported network
    <net>_<exporter>.json      PyTorch's own float32 outputs for inputs.json
                               ([16][10]), the torch/onnx versions, the
                               opset and the ONNX operators in the file

The networks (what each exercises in the importer):

    mlp      Flatten, Linear(784,32), ReLU, Linear(32,16), ReLU, Linear(16,10):
             Flatten (legacy) or Reshape (dynamo) before Gemm(transB=1)
    acts     Flatten, Linear(784,32), BatchNorm1d(32), ReLU, Dropout(0.2),
             Linear, Sigmoid, Linear, Tanh, Linear, LeakyReLU(0.1), Linear,
             ELU(0.5), Linear, Softplus, Linear(16,10), Softmax(dim=1):
             every activation ONNX has at opset 17 (GELU has no operator
             before opset 20: see gelu) and BatchNormalization (the legacy
             exporter keeps it; the dynamo one folds it into the Gemm before
             it, and writes Softplus's threshold as Greater + Where)
    gelu     Linear(784,16), GELU(approximate="tanh"), Linear(16,10) at
             opset 20, where Gelu(approximate="tanh") is one operator
             (at opset 17 both exporters write it as Mul/Pow/Tanh/Add)
    lenet    LeNet-5 with BatchNorm2d: Conv2d(1,6,5,padding=2),
             BatchNorm2d(6), ReLU, MaxPool2d(2), Conv2d(6,16,5), ReLU,
             AvgPool2d(2), BatchNorm2d(16), Flatten, Linear(400,120), ReLU,
             Linear(120,84), ReLU, Linear(84,10): Conv (the first BatchNorm
             folded into it by both exporters), MaxPool, AveragePool,
             BatchNormalization, Flatten/Reshape
    matmul   Flatten, x @ W + b (784->16), ReLU, x @ W + b (16->10): MatMul
             followed by Add, as Keras/TF converters write dense layers

All the files together are about 1 MB.

    /tmp/peers-venv/bin/python scripts/torch_onnx_fixtures.py --fuzz-seeds

writes instead tiny versions of the same networks (untrained, inputs of
4 features or 1x8x8 pixels, a few hundred bytes each) into
fuzz/corpus/onnx_import/ as torch-<net>_<exporter>.onnx: seeds for the
importer's fuzz target (scripts/fuzz.sh), beside the files our own
exporter writes there (fuzz/corpus-gen).
"""

import gzip
import json
import os
import struct
import sys
import warnings

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, ".."))
OUT = os.path.join(ROOT, "crates", "backprop-onnx", "tests", "fixtures")
DATA = os.path.join(ROOT, "data", "mnist")

SEED = 0
STEPS = 300
BATCH = 64
N_INPUTS = 16


def read_idx(name):
    """A gzipped unsigned-byte IDX file of data/mnist as a numpy array."""
    with gzip.open(os.path.join(DATA, name), "rb") as f:
        raw = f.read()
    zero, kind, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or kind != 0x08:
        raise ValueError(f"{name}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


class MatMulDense(nn.Module):
    """A dense layer written as x @ W + b (W is in x out), which both
    exporters write as MatMul followed by Add."""

    def __init__(self, inputs, outputs):
        super().__init__()
        bound = 1.0 / inputs**0.5
        self.w = nn.Parameter(torch.empty(inputs, outputs).uniform_(-bound, bound))
        self.b = nn.Parameter(torch.empty(outputs).uniform_(-bound, bound))

    def forward(self, x):
        return torch.matmul(x, self.w) + self.b


def networks():
    """(name, opset, constructor) for each network, in the order above."""
    return [
        ("mlp", 17, lambda: nn.Sequential(
            nn.Flatten(), nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU(),
            nn.Linear(16, 10))),
        ("acts", 17, lambda: nn.Sequential(
            nn.Flatten(), nn.Linear(784, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.2),
            nn.Linear(32, 32), nn.Sigmoid(), nn.Linear(32, 24), nn.Tanh(),
            nn.Linear(24, 24), nn.LeakyReLU(0.1), nn.Linear(24, 16), nn.ELU(0.5),
            nn.Linear(16, 16), nn.Softplus(), nn.Linear(16, 10), nn.Softmax(dim=1))),
        ("gelu", 20, lambda: nn.Sequential(
            nn.Flatten(), nn.Linear(784, 16), nn.GELU(approximate="tanh"), nn.Linear(16, 10))),
        ("lenet", 17, lambda: nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.BatchNorm2d(6), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.AvgPool2d(2), nn.BatchNorm2d(16), nn.Flatten(),
            nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))),
        ("matmul", 17, lambda: nn.Sequential(
            nn.Flatten(), MatMulDense(784, 16), nn.ReLU(), MatMulDense(16, 10))),
    ]


def tiny_networks():
    """(name, opset, constructor, example input) for the fuzz seeds."""
    flat = torch.zeros(2, 4)
    image = torch.zeros(2, 1, 8, 8)
    return [
        ("mlp", 17, lambda: nn.Sequential(
            nn.Flatten(), nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)), flat),
        ("acts", 17, lambda: nn.Sequential(
            nn.Linear(4, 3), nn.BatchNorm1d(3), nn.Sigmoid(), nn.Linear(3, 3), nn.Tanh(),
            nn.Linear(3, 3), nn.LeakyReLU(0.1), nn.Linear(3, 3), nn.ELU(0.5), nn.Linear(3, 3),
            nn.Softplus(), nn.Dropout(0.5), nn.Linear(3, 2), nn.Softmax(dim=1)), flat),
        ("gelu", 20, lambda: nn.Sequential(
            nn.Linear(4, 3), nn.GELU(approximate="tanh"), nn.Linear(3, 2)), flat),
        ("cnn", 17, lambda: nn.Sequential(
            nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(2, 2, 3),
            nn.AvgPool2d(2), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(2, 2)), image),
        ("matmul", 17, lambda: nn.Sequential(
            nn.Flatten(), MatMulDense(4, 3), nn.ReLU(), MatMulDense(3, 2)), flat),
    ]


def fuzz_seeds():
    import onnx

    out = os.path.join(ROOT, "fuzz", "corpus", "onnx_import")
    os.makedirs(out, exist_ok=True)
    for name, opset, make, example in tiny_networks():
        torch.manual_seed(SEED)
        net = make().eval()
        for exporter in ["legacy", "dynamo"]:
            path = os.path.join(out, f"torch-{name}_{exporter}.onnx")
            export(net, path, opset, exporter == "dynamo", example)
            model = onnx.load(path)
            ops = " ".join(n.op_type for n in model.graph.node)
            print(f"{path}: {os.path.getsize(path)} bytes, opset {model.opset_import[0].version}: {ops}")


def train(net, x_train, y_train, softmax_out):
    """STEPS Adam steps on shuffled batches; a network that ends in Softmax
    is trained on the log of its probabilities."""
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(SEED)
    order = torch.randperm(len(x_train), generator=gen)
    net.train()
    for step in range(STEPS):
        idx = order[(step * BATCH) % len(order):][:BATCH]
        out = net(x_train[idx])
        if softmax_out:
            loss = nn.functional.nll_loss(torch.log(out.clamp_min(1e-12)), y_train[idx])
        else:
            loss = nn.functional.cross_entropy(out, y_train[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval()
    return float(loss)


def export(net, path, opset, dynamo, example=None):
    if example is None:
        example = torch.zeros(2, 1, 28, 28)
    if dynamo:
        torch.onnx.export(
            net, (example,), path, input_names=["input"], output_names=["output"],
            opset_version=opset, dynamo=True, external_data=False,
            dynamic_shapes=({0: torch.export.Dim("batch")},), verbose=False)
    else:
        torch.onnx.export(
            net, (example,), path, input_names=["input"], output_names=["output"],
            opset_version=opset, dynamo=False,
            dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})


def main():
    import onnx

    warnings.filterwarnings("ignore")
    torch.set_num_threads(1)
    if sys.argv[1:] == ["--fuzz-seeds"]:
        return fuzz_seeds()
    if sys.argv[1:]:
        sys.exit("usage: torch_onnx_fixtures.py [--fuzz-seeds]")
    os.makedirs(OUT, exist_ok=True)
    xtr = read_idx("train-images-idx3-ubyte.gz")
    ytr = read_idx("train-labels-idx1-ubyte.gz")
    xte = read_idx("t10k-images-idx3-ubyte.gz")
    x_train = torch.from_numpy(xtr.astype(np.float32) / np.float32(255.0)).reshape(-1, 1, 28, 28)
    y_train = torch.from_numpy(ytr.astype(np.int64))
    pixels = xte[:N_INPUTS].reshape(N_INPUTS, 784).astype(np.uint8)
    x = torch.from_numpy(pixels.astype(np.float32) / np.float32(255.0)).reshape(N_INPUTS, 1, 28, 28)
    with open(os.path.join(OUT, "inputs.json"), "w") as f:
        json.dump({
            "images": f"the first {N_INPUTS} MNIST test images (data/mnist/t10k-images-idx3-ubyte.gz)",
            "input": "float32(pixel) / 255, shape [16, 1, 28, 28]",
            "shape": [N_INPUTS, 1, 28, 28],
            "pixels": pixels.reshape(-1).tolist(),
        }, f, separators=(",", ":"))
        f.write("\n")
    total = 0
    for name, opset, make in networks():
        torch.manual_seed(SEED)
        net = make()
        loss = train(net, x_train, y_train, softmax_out=(name == "acts"))
        with torch.no_grad():
            out = net(x).numpy().astype(np.float32)
        for exporter in ["legacy", "dynamo"]:
            stem = f"{name}_{exporter}"
            path = os.path.join(OUT, stem + ".onnx")
            export(net, path, opset, exporter == "dynamo")
            model = onnx.load(path)
            onnx.checker.check_model(model)
            ops = [n.op_type for n in model.graph.node]
            with open(os.path.join(OUT, stem + ".json"), "w") as f:
                json.dump({
                    "network": name,
                    "exporter": exporter,
                    "torch": torch.__version__,
                    "onnx": onnx.__version__,
                    "opset": model.opset_import[0].version,
                    "ir_version": model.ir_version,
                    "operators": ops,
                    "train": f"{STEPS} Adam steps, lr 1e-3, batch {BATCH}, seed {SEED}, final loss {loss:.4f}",
                    "outputs": [[float(v) for v in row] for row in out],
                }, f, indent=1)
                f.write("\n")
            size = os.path.getsize(path)
            total += size
            print(f"{stem}: opset {model.opset_import[0].version}, {size} bytes, "
                  f"loss {loss:.4f}, ops {' '.join(ops)}")
    print(f"wrote {OUT} ({total} bytes of .onnx), torch {torch.__version__}, onnx {onnx.__version__}")


if __name__ == "__main__":
    main()
