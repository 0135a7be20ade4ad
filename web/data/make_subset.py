#!/usr/bin/env python3
"""Writes the MNIST subset the page ships (web/data/) from data/mnist:
the first 10,000 training and the first 1,000 test images and labels,
as gzipped IDX files with the same headers (counts changed), byte for byte
reproducible (gzip level 9, mtime 0). Run from the repository root:
    python3 web/data/make_subset.py
"""
import gzip
import struct

SETS = [
    ("train-images-idx3-ubyte.gz", "mnist-train-images-idx3-ubyte.gz", 10_000),
    ("train-labels-idx1-ubyte.gz", "mnist-train-labels-idx1-ubyte.gz", 10_000),
    ("t10k-images-idx3-ubyte.gz", "mnist-test-images-idx3-ubyte.gz", 1_000),
    ("t10k-labels-idx1-ubyte.gz", "mnist-test-labels-idx1-ubyte.gz", 1_000),
]


def subset(src, dst, n):
    raw = gzip.open(src).read()
    magic = struct.unpack(">I", raw[:4])[0]
    dims = magic & 0xFF
    shape = list(struct.unpack(">" + "I" * dims, raw[4 : 4 + 4 * dims]))
    if shape[0] < n:
        raise SystemExit(f"{src}: {shape[0]} items, fewer than {n}")
    per = 1
    for d in shape[1:]:
        per *= d
    header = 4 + 4 * dims
    shape[0] = n
    body = raw[header : header + n * per]
    out = struct.pack(">I", magic) + struct.pack(">" + "I" * dims, *shape) + body
    with open(dst, "wb") as f, gzip.GzipFile(fileobj=f, mode="wb", compresslevel=9, mtime=0, filename="") as g:
        g.write(out)


if __name__ == "__main__":
    for src, dst, n in SETS:
        subset(f"data/mnist/{src}", f"web/data/{dst}", n)
        print(f"web/data/{dst}: {n} items")
