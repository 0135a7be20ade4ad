#!/usr/bin/env python3
"""PyTorch reference values for backprop's convolution family (Conv2d,
MaxPool2d, AvgPool2d, BatchNorm2d) on real MNIST images: the fixtures of
crates/backprop-io/tests/torch_conv_agreement.rs.

Run from the repository root with a Python that has torch 2.x and numpy
(the Rust tests never run Python):

    /tmp/peers-venv/bin/python scripts/torch_conv_reference.py

It writes crates/backprop-io/tests/fixtures/torch_conv_{f32,f64}.safetensors.gz:
gzip-compressed safetensors files, one per dtype, where PyTorch ran entirely
in that dtype. Tensors are in PyTorch's layout (row-major; images
`[batch, 1, 28, 28]`, convolution weights `[out, in, kh, kw]`):

    input                 [8, 1, 28, 28]  the first 8 MNIST test images, pixel / 255
    labels                [8]             int64 digits
    init_lenet.<p>        initial state dict of LeNet-5 (below): torch's default
                          init under torch.manual_seed(0), in float32 (the f64
                          file holds the same values, widened exactly)
    init_convbn.<p>       initial state dict of the conv-BN net (below), with
                          random BatchNorm affine parameters and running statistics

LeNet-5, as ../shared/peers/python/torch_cnn.py describes it:

    Conv2d(1, 6, 5, padding=2), ReLU, MaxPool2d(2),
    Conv2d(6, 16, 5), ReLU, MaxPool2d(2), Flatten,
    Linear(400, 120), ReLU, Linear(120, 84), ReLU, Linear(84, 10)

The conv-BN net (every setting the library has, none at its default):

    0 Conv2d(1, 4, (3, 5), stride=2, padding=(1, 2), dilation=2, bias=False)  -> 4x13x12
    1 BatchNorm2d(4), 2 ReLU,
    3 AvgPool2d(3, stride=2, padding=1)                                       -> 4x7x6
    4 Conv2d(4, 8, 3, padding=1, bias=False)                                  -> 8x7x6
    5 BatchNorm2d(8), 6 ReLU,
    7 MaxPool2d((2, 3), stride=(2, 1), padding=1)                             -> 8x4x6
    8 Flatten, 9 Linear(192, 10)

For each case, `lenet` (train mode; it has no mode-dependent layer),
`convbn` (the conv-BN net in eval mode: running statistics) and
`convbn_train` (train mode: batch statistics; the buffers are also recorded
after the first forward pass, `convbn_train.buffers.<b>`, and after the
steps, `convbn_train.<opt>_buffers.<b>`), with CrossEntropyLoss:

    <case>.output         [8, 10]         logits
    <case>.loss           []              the loss
    <case>.grad.<p>       gradient of the loss for every parameter <p>
    <case>.input_grad     [8, 1, 28, 28]  gradient of the loss for the input
    <case>.adam.<p>       <p> after three Adam steps minus <p> before them
    <case>.sgd.<p>        <p> after three SGD-momentum steps minus <p> before

Each step is zero_grad, forward on the same batch, loss, backward, step
(foreach=False). Hyper-parameters are in the file's metadata.
"""

import gzip
import json
import os
import struct
import sys

import numpy as np
import torch
from torch import nn

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
DATA = os.path.join(ROOT, "data", "mnist")
OUT = os.path.join(ROOT, "crates", "backprop-io", "tests", "fixtures")

BATCH = 8
STEPS = 3
ADAM = dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
SGD = dict(lr=0.01, momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=False)


DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64"}


def save(tensors, metadata):
    """The safetensors file of `tensors` (name -> tensor) with `metadata`,
    written here rather than by the safetensors package, whose header order
    (its metadata is a hash map) changes from run to run: names and keys
    sorted, so that the same values give the same bytes."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        data = t.numpy().tobytes()  # little-endian on every platform torch runs on here
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = metadata
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the data starts 8-byte aligned
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def read_idx(path):
    """Reads a gzipped unsigned-byte IDX file into a numpy array, checking its header."""
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


def lenet():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10),
    )


def convbn():
    return nn.Sequential(
        nn.Conv2d(1, 4, (3, 5), stride=2, padding=(1, 2), dilation=2, bias=False),
        nn.BatchNorm2d(4), nn.ReLU(),
        nn.AvgPool2d(3, stride=2, padding=1),
        nn.Conv2d(4, 8, 3, padding=1, bias=False),
        nn.BatchNorm2d(8), nn.ReLU(),
        nn.MaxPool2d((2, 3), stride=(2, 1), padding=1),
        nn.Flatten(),
        nn.Linear(192, 10),
    )


def run_case(case, make, init_state, dtype, x, y, out):
    """Forward/backward at the initial weights and three steps of each optimizer."""

    def fresh():
        net = make()
        net.load_state_dict(init_state)
        net = net.to(dtype)
        if case == "convbn":
            net.eval()
        else:
            net.train()
        return net

    net = fresh()
    xin = x.clone().requires_grad_(True)
    output = net(xin)
    loss = nn.functional.cross_entropy(output, y)
    loss.backward()
    out[f"{case}.output"] = output.detach()
    out[f"{case}.loss"] = loss.detach().reshape(())
    out[f"{case}.input_grad"] = xin.grad.detach()
    for name, p in net.named_parameters():
        out[f"{case}.grad.{name}"] = p.grad.detach()
    if case == "convbn_train":
        for name, b in net.named_buffers():
            out[f"{case}.buffers.{name}"] = b.detach().clone()

    for opt_name, opt_make in (
        ("adam", lambda ps: torch.optim.Adam(ps, foreach=False, **ADAM)),
        ("sgd", lambda ps: torch.optim.SGD(ps, foreach=False, **SGD)),
    ):
        net = fresh()
        before = {n: p.detach().clone() for n, p in net.named_parameters()}
        opt = opt_make(net.parameters())
        for _ in range(STEPS):
            opt.zero_grad()
            nn.functional.cross_entropy(net(x), y).backward()
            opt.step()
        for name, p in net.named_parameters():
            out[f"{case}.{opt_name}.{name}"] = (p.detach() - before[name]).contiguous()
        if case == "convbn_train":
            for name, b in net.named_buffers():
                out[f"{case}.{opt_name}_buffers.{name}"] = b.detach().clone()


def main():
    images = read_idx(os.path.join(DATA, "t10k-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(DATA, "t10k-labels-idx1-ubyte.gz"))
    x_u8 = torch.from_numpy(images[:BATCH].reshape(BATCH, 1, 28, 28).astype(np.uint8))
    y = torch.from_numpy(labels[:BATCH].astype(np.int64))

    torch.manual_seed(0)
    lenet_init = {k: v.clone() for k, v in lenet().state_dict().items()}
    torch.manual_seed(1)
    net = convbn()
    with torch.no_grad():
        for b in (net[1], net[5]):
            b.weight.uniform_(0.5, 1.5)
            b.bias.normal_(0.0, 0.1)
            b.running_mean.normal_(0.0, 0.3)
            b.running_var.uniform_(0.5, 2.0)
            b.num_batches_tracked.fill_(7)
    convbn_init = {k: v.clone() for k, v in net.state_dict().items()}

    meta = {
        "generator": "scripts/torch_conv_reference.py",
        "torch": torch.__version__,
        "batch": str(BATCH),
        "steps": str(STEPS),
        "adam": json.dumps(ADAM),
        "sgd": json.dumps(SGD),
        "images": f"the first {BATCH} images of t10k-images-idx3-ubyte.gz, pixel / 255",
        "lenet": repr(lenet()),
        "convbn": repr(convbn()),
    }
    os.makedirs(OUT, exist_ok=True)
    for tag, dtype in (("f32", torch.float32), ("f64", torch.float64)):
        out = {}
        x = x_u8.to(dtype) / 255.0
        out["input"] = x
        out["labels"] = y
        for prefix, init in (("init_lenet", lenet_init), ("init_convbn", convbn_init)):
            for k, v in init.items():
                out[f"{prefix}.{k}"] = v.to(dtype) if v.is_floating_point() else v
        cast = lambda d: {k: (v.to(dtype) if v.is_floating_point() else v) for k, v in d.items()}  # noqa: E731
        run_case("lenet", lenet, cast(lenet_init), dtype, x, y, out)
        run_case("convbn", convbn, cast(convbn_init), dtype, x, y, out)
        run_case("convbn_train", convbn, cast(convbn_init), dtype, x, y, out)
        out = {k: v.contiguous() for k, v in out.items()}
        raw = save(out, metadata=dict(meta, dtype=tag))
        path = os.path.join(OUT, f"torch_conv_{tag}.safetensors.gz")
        with open(path, "wb") as f:
            # mtime=0: the same inputs give the same bytes.
            with gzip.GzipFile(fileobj=f, mode="wb", compresslevel=9, mtime=0) as gz:
                gz.write(raw)
        print(f"wrote {path}: {len(out)} tensors, {len(raw)} bytes, {os.path.getsize(path)} gzipped",
              file=sys.stderr)


if __name__ == "__main__":
    torch.set_num_threads(1)
    main()
