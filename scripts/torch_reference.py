#!/usr/bin/env python3
"""PyTorch reference values for backprop's forward, backward and optimizer
steps on real MNIST images (the fixtures of crates/backprop-io/tests/torch_agreement.rs).

Run from the repository root with a Python that has torch 2.x, numpy and
safetensors (the Rust tests never run Python):

    /tmp/peers-venv/bin/python scripts/torch_reference.py

It writes crates/backprop-io/tests/fixtures/torch_{f32,f64}.safetensors.gz:
gzip-compressed safetensors files (see docs/pytorch.md), one per dtype, where
PyTorch ran entirely in that dtype. Tensors are in PyTorch's layout
(`[batch, features]`, weights `[out, in]`, row-major):

    input                 [32, 784]  the first 32 MNIST test images, pixel / 255
    labels                [32]       int64 digits
    init_mlp.<p>          initial state dict of Sequential(Linear(784,128), ReLU,
                          Linear(128,64), ReLU, Linear(64,10)): torch's default
                          init under torch.manual_seed(0), in float32 (the f64
                          file holds the same values, widened exactly)
    init_bn.<p>           initial state dict of Sequential(Linear(784,32),
                          BatchNorm1d(32), ReLU, Dropout(0.5), Linear(32,10)),
                          with random affine parameters and running statistics

and for each case `ce` (mlp, logits, CrossEntropyLoss), `bce` (mlp + Sigmoid,
binary cross-entropy on one-hot labels), `bn` (the bn net in eval mode,
CrossEntropyLoss) and `bn_train` (the bn net with Dropout(0) in train mode:
batch statistics; its buffers are also recorded after the first forward pass,
`bn_train.buffers.<b>`, and after the steps, `bn_train.<opt>_buffers.<b>`):

    <case>.output         [32, 10]   the network's output (probabilities for bce)
    <case>.loss           []         the loss
    <case>.grad.<p>       gradient of the loss for every parameter <p>
    <case>.input_grad     [32, 784]  gradient of the loss for the input
    <case>.adam.<p>       <p> after three Adam steps minus <p> before them
    <case>.sgd.<p>        <p> after three SGD-momentum steps minus <p> before

Each step is zero_grad, forward on the same batch, loss, backward, step.
Updates are stored as differences from the initial values (exact zeros where a
pixel is 0 in all 32 images), which the test also compares relative to the
update's own size. BCE: backprop's BinaryCrossEntropy sums over the 10 outputs
and averages over the samples, which is BCELoss(reduction="sum") / 32 =
BCELoss() * 10; `bce.loss` is that, `bce.loss_torch_mean` is BCELoss().
Hyper-parameters are in the file's metadata.
"""

import gzip
import io
import json
import os
import struct
import sys

import numpy as np
import torch
from torch import nn
from safetensors.torch import save

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
DATA = os.path.join(ROOT, "data", "mnist")
OUT = os.path.join(ROOT, "crates", "backprop-io", "tests", "fixtures")

BATCH = 32
STEPS = 3
ADAM = dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
SGD = dict(lr=0.01, momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=False)


def read_idx(path):
    """Reads a (gzipped) IDX file into a numpy array, checking its header."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    zero, dtype_code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype_code != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * ndim, raw[4 : 4 + 4 * ndim])
    body = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise ValueError(f"{path}: expected {np.prod(dims)} bytes of data, found {body.size}")
    return body.reshape(dims)


def mlp(sigmoid=False):
    layers = [nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10)]
    if sigmoid:
        layers.append(nn.Sigmoid())
    return nn.Sequential(*layers)


def bn_net(p=0.5):
    return nn.Sequential(
        nn.Linear(784, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(p), nn.Linear(32, 10)
    )


def make_loss(case):
    if case == "bce":
        # backprop's BCE: sum over outputs, mean over samples.
        return lambda out, y, onehot: nn.functional.binary_cross_entropy(
            out, onehot, reduction="sum"
        ) / out.shape[0]
    return lambda out, y, onehot: nn.functional.cross_entropy(out, y)


def run_case(case, init_state, dtype, x, y, out):
    """Forward/backward at the initial weights and three steps of each optimizer."""
    onehot = nn.functional.one_hot(y, 10).to(dtype)
    loss_fn = make_loss(case)

    def fresh():
        if case == "bn":
            net = bn_net()
        elif case == "bn_train":
            net = bn_net(p=0.0)  # dropout masks cannot match across generators
        else:
            net = mlp(sigmoid=(case == "bce"))
        net.load_state_dict(init_state)
        net = net.to(dtype)
        if case == "bn":
            net.eval()  # running statistics, dropout off
        else:
            net.train()  # bn_train: batch statistics, running statistics updated
        return net

    net = fresh()
    xin = x.clone().requires_grad_(True)
    output = net(xin)
    loss = loss_fn(output, y, onehot)
    loss.backward()
    out[f"{case}.output"] = output.detach()
    out[f"{case}.loss"] = loss.detach().reshape(())
    out[f"{case}.input_grad"] = xin.grad.detach()
    for name, p in net.named_parameters():
        out[f"{case}.grad.{name}"] = p.grad.detach()
    if case == "bn_train":
        for name, b in net.named_buffers():
            out[f"{case}.buffers.{name}"] = b.detach().clone()
    if case == "bce":
        out["bce.loss_torch_mean"] = nn.functional.binary_cross_entropy(output, onehot).detach().reshape(())
        out["bce.logits"] = net[:-1](x).detach()

    for opt_name, make in (
        ("adam", lambda ps: torch.optim.Adam(ps, foreach=False, **ADAM)),
        ("sgd", lambda ps: torch.optim.SGD(ps, foreach=False, **SGD)),
    ):
        net = fresh()
        before = {n: p.detach().clone() for n, p in net.named_parameters()}
        opt = make(net.parameters())
        for _ in range(STEPS):
            opt.zero_grad()
            loss = loss_fn(net(x), y, onehot)
            loss.backward()
            opt.step()
        for name, p in net.named_parameters():
            out[f"{case}.{opt_name}.{name}"] = (p.detach() - before[name]).contiguous()
        if case == "bn_train":
            for name, b in net.named_buffers():
                out[f"{case}.{opt_name}_buffers.{name}"] = b.detach().clone()


def main():
    images = read_idx(os.path.join(DATA, "t10k-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(DATA, "t10k-labels-idx1-ubyte.gz"))
    x_u8 = torch.from_numpy(images[:BATCH].reshape(BATCH, 784).astype(np.uint8))
    y = torch.from_numpy(labels[:BATCH].astype(np.int64))

    torch.manual_seed(0)
    mlp_init = {k: v.clone() for k, v in mlp().state_dict().items()}
    torch.manual_seed(1)
    bn = bn_net()
    with torch.no_grad():
        b = bn[1]
        b.weight.uniform_(0.5, 1.5)
        b.bias.normal_(0.0, 0.1)
        b.running_mean.normal_(0.0, 0.3)
        b.running_var.uniform_(0.5, 2.0)
        b.num_batches_tracked.fill_(7)
    bn_init = {k: v.clone() for k, v in bn.state_dict().items()}

    meta = {
        "generator": "scripts/torch_reference.py",
        "torch": torch.__version__,
        "batch": str(BATCH),
        "steps": str(STEPS),
        "adam": json.dumps(ADAM),
        "sgd": json.dumps(SGD),
        "images": "the first 32 images of t10k-images-idx3-ubyte.gz, pixel / 255",
    }
    os.makedirs(OUT, exist_ok=True)
    for tag, dtype in (("f32", torch.float32), ("f64", torch.float64)):
        out = {}
        x = x_u8.to(dtype) / 255.0
        out["input"] = x
        out["labels"] = y
        for k, v in mlp_init.items():
            out[f"init_mlp.{k}"] = v.to(dtype) if v.is_floating_point() else v
        for k, v in bn_init.items():
            out[f"init_bn.{k}"] = v.to(dtype) if v.is_floating_point() else v
        for case in ("ce", "bce", "bn", "bn_train"):
            init = bn_init if case.startswith("bn") else mlp_init
            init = {k: (v.to(dtype) if v.is_floating_point() else v) for k, v in init.items()}
            run_case(case, init, dtype, x, y, out)
        out = {k: v.contiguous() for k, v in out.items()}
        raw = save(out, metadata=dict(meta, dtype=tag))
        path = os.path.join(OUT, f"torch_{tag}.safetensors.gz")
        with open(path, "wb") as f:
            # mtime=0: the same inputs give the same bytes.
            with gzip.GzipFile(fileobj=f, mode="wb", compresslevel=9, mtime=0) as gz:
                gz.write(raw)
        print(f"wrote {path}: {len(out)} tensors, {len(raw)} bytes, {os.path.getsize(path)} gzipped",
              file=sys.stderr)


if __name__ == "__main__":
    torch.set_num_threads(1)
    main()
