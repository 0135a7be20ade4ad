#!/usr/bin/env python3
"""ONNX Runtime parity of backprop's ONNX export (issue #16): a model
trained and exported by the examples, run by ONNX Runtime on the first
1,000 MNIST test images, against backprop's own outputs for them.

    python3 scripts/ort_parity.py                      # MLP and LeNet-5, trained briefly
    python3 scripts/ort_parity.py --model runs/mnist/model.safetensors
    python3 scripts/ort_parity.py --python /path/to/venv/bin/python --images 10000

For each network it
  1. trains it with the example (`mnist --epochs 1 --onnx FILE`, the
     784-128-64-10 MLP on the 60,000 training images; `cnn --epochs 1
     --limit 6000 --onnx FILE`, LeNet-5), or takes --model;
  2. exports the saved model with `predict --model M.safetensors
     --export-onnx M.onnx` (and says whether that file is byte-identical to
     the one the training run wrote);
  3. writes backprop's outputs for the first N test images with `predict
     --model M.safetensors --limit N --outputs ours.csv`, and those of the
     ONNX file imported back by backprop (`predict --model M.onnx ...`);
  4. runs ONNX Runtime (CPU) on the same images, preprocessed as the ONNX
     file's metadata says (`pixels x/255`, or `(x/255 - mean)/std`),
     computed in float64 and rounded to float32 as backprop does;
  5. prints the max |difference| of the outputs and how many arg-maxes
     agree, and fails (exit 1) above 1e-5 or on any disagreement.

Interpreter: the one running this script if it imports onnxruntime, onnx
and numpy; else --python if given, else $BACKPROP_PEERS_PYTHON if set,
else /tmp/peers-venv/bin/python (made by ../shared/peers/python/setup.sh).
If that one lacks them too it says so and exits 0: ONNX Runtime is optional, tract-onnx
(`cargo test -p backprop-onnx`) is the parity check CI runs.
Cargo builds the examples in release mode (CARGO_TARGET_DIR is honoured).
"""

import argparse
import gzip
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
DEFAULT_VENV_PYTHON = "/tmp/peers-venv/bin/python"
TOLERANCE = 1e-5
NETWORKS = {
    "mlp": ["mnist", "--epochs", "1"],
    "cnn": ["cnn", "--epochs", "1", "--limit", "6000"],
}


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--python", help="a Python with onnxruntime, onnx and numpy")
    p.add_argument("--model", action="append", default=[],
                   help="a saved model (.safetensors) to check instead of training (repeatable)")
    p.add_argument("--networks", default="mlp,cnn",
                   help="networks to train and check when no --model: mlp, cnn (default both)")
    p.add_argument("--images", type=int, default=1000, help="test images to compare (default 1000)")
    p.add_argument("--data", default=os.path.join(ROOT, "data", "mnist"), help="MNIST directory")
    p.add_argument("--keep", help="keep the models and outputs in this directory")
    p.add_argument("--json", action="store_true", help="print one JSON object per model")
    return p.parse_args()


def has_runtime():
    try:
        import numpy  # noqa: F401
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def reexec_or_skip(args):
    """Runs the script again under an interpreter that has ONNX Runtime, or
    says why it cannot and exits 0."""
    if args.python:
        candidates = [("--python", args.python)]
    elif os.environ.get("BACKPROP_PEERS_PYTHON"):
        candidates = [("$BACKPROP_PEERS_PYTHON", os.environ["BACKPROP_PEERS_PYTHON"])]
    else:
        candidates = [("the peer venv", DEFAULT_VENV_PYTHON)]
    tried = []
    for origin, python in candidates:
        if not python:
            continue
        if not (os.path.isfile(python) and os.access(python, os.X_OK)):
            tried.append(f"{python} ({origin}): not an executable file")
            continue
        check = subprocess.run([python, "-c", "import numpy, onnx, onnxruntime"],
                               capture_output=True, text=True)
        if check.returncode != 0:
            last = (check.stderr.strip().splitlines() or ["?"])[-1]
            tried.append(f"{python} ({origin}): {last}")
            continue
        # Not a comparison of real paths: a venv's python is a symlink to the
        # base interpreter, which lacks the venv's packages. The variable
        # stops a second re-exec if the imports failed under it anyway.
        if os.environ.get("BACKPROP_ORT_REEXEC") == python:
            tried.append(f"{python} ({origin}): the check imported them, this script could not")
            continue
        os.environ["BACKPROP_ORT_REEXEC"] = python
        os.execv(python, [python, os.path.abspath(__file__)] + sys.argv[1:])
    print("ONNX Runtime parity: SKIPPED, no Python with onnxruntime, onnx and numpy.")
    print(f"  this interpreter: {sys.executable}")
    for t in tried:
        print(f"  {t}")
    print("  Make the peer venv with `VENV=/tmp/peers-venv bash ../shared/peers/python/setup.sh`,")
    print("  or pass --python / set BACKPROP_PEERS_PYTHON. (tract-onnx parity runs in cargo test.)")
    sys.exit(0)


def cargo_example(name, args, log):
    """Runs `cargo run --release --example name -- args`; its output goes
    to `log`, and a failure stops the script with that output."""
    cmd = ["cargo", "run", "--release", "--quiet", "--example", name, "--"] + args
    with open(log, "a") as f:
        f.write("$ " + " ".join(cmd) + "\n")
        f.flush()
        done = subprocess.run(cmd, cwd=ROOT, stdout=f, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        with open(log) as f:
            sys.stderr.write(f.read()[-4000:])
        sys.exit(f"ort_parity: `{' '.join(cmd)}` failed (exit {done.returncode}); log {log}")


def read_idx(path):
    """A gzipped (or raw) unsigned-byte IDX file as a numpy array."""
    import numpy as np

    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    zero, kind, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or kind != 0x08:
        sys.exit(f"ort_parity: {path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def test_images(data):
    for name in ["t10k-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte"]:
        path = os.path.join(data, name)
        if os.path.exists(path):
            return read_idx(path)
    sys.exit(f"ort_parity: no t10k-images-idx3-ubyte(.gz) in {data}")


def read_outputs(path):
    """predict --outputs: a header `image,label,predicted,out_0,...`, then
    one row per test image."""
    import numpy as np

    with open(path) as f:
        header = f.readline().strip().split(",")
        first = header.index("out_0")
        rows = [line.strip().split(",") for line in f if line.strip()]
    return np.array([[float(v) for v in r[first:]] for r in rows], dtype=np.float64)


def preprocessing(model):
    """(mean, std) of the pixels from the ONNX file's metadata_props."""
    props = {p.key: p.value for p in model.metadata_props}
    for key, value in props.items():
        if "preprocess" not in key:
            continue
        try:
            v = json.loads(value)
        except ValueError:
            continue
        if isinstance(v, dict):
            inner = v.get("Pixels") or v.get("pixels") or v
            if "mean" in inner and "std" in inner:
                return float(inner["mean"]), float(inner["std"]), f"{key}={value}"
    sys.exit(f"ort_parity: the ONNX file records no pixel preprocessing; metadata_props: {props}")


def run_onnxruntime(path, pixels):
    """ONNX Runtime's outputs for the images (uint8 [n, 28, 28]), shaped as
    the graph's input says, and a description of the session."""
    import numpy as np
    import onnx
    import onnxruntime as ort

    model = onnx.load(path)
    mean, std, recorded = preprocessing(model)
    x = ((pixels.astype(np.float64) / 255.0 - mean) / std).astype(np.float32)
    dims = model.graph.input[0].type.tensor_type.shape.dim
    shape = [len(pixels)] + [d.dim_value for d in dims[1:]]
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    y = session.run(None, {name: x.reshape(shape)})[0]
    opset = max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    return y.astype(np.float64), {"input": name, "shape": shape, "opset": opset,
                                  "preprocessing": recorded}


def check(label, safetensors, onnx_written, work, args, images, log):
    """Exports, runs both, compares; returns the result as a dict."""
    import numpy as np
    import onnxruntime as ort

    exported = os.path.join(work, f"{label}.onnx")
    cargo_example("predict", ["--model", safetensors, "--export-onnx", exported], log)
    same_file = None
    if onnx_written:
        with open(exported, "rb") as a, open(onnx_written, "rb") as b:
            same_file = a.read() == b.read()
    ours = os.path.join(work, f"{label}.ours.csv")
    back = os.path.join(work, f"{label}.imported.csv")
    common = ["--data", args.data, "--limit", str(args.images)]
    cargo_example("predict", ["--model", safetensors, "--outputs", ours] + common, log)
    cargo_example("predict", ["--model", exported, "--outputs", back] + common, log)
    y_ours = read_outputs(ours)
    y_back = read_outputs(back)
    y_ort, session = run_onnxruntime(exported, images[:args.images])
    if y_ours.shape != y_ort.shape:
        sys.exit(f"ort_parity: {label}: backprop gave {y_ours.shape} outputs, ONNX Runtime {y_ort.shape}")
    diff = float(np.abs(y_ours - y_ort).max())
    agree = int((y_ours.argmax(1) == y_ort.argmax(1)).sum())
    return {
        "model": label,
        "onnxruntime": ort.__version__,
        "images": len(y_ours),
        "max_abs_diff": diff,
        "argmax_agree": agree,
        "import_max_abs_diff": float(np.abs(y_ours - y_back).max()),
        "same_file_as_training_run": same_file,
        **session,
        "ok": diff <= TOLERANCE and agree == len(y_ours),
    }


def main():
    args = parse_args()
    if not has_runtime():
        reexec_or_skip(args)
    if shutil.which("cargo") is None:
        sys.exit("ort_parity: cargo is not on PATH")
    work = args.keep or tempfile.mkdtemp(prefix="backprop-ort-parity-")
    os.makedirs(work, exist_ok=True)
    log = os.path.join(work, "cargo.log")
    images = test_images(args.data)
    jobs = []
    for model in args.model:
        jobs.append((os.path.splitext(os.path.basename(model))[0], os.path.abspath(model), None))
    if not args.model:
        for net in [n for n in args.networks.split(",") if n]:
            if net not in NETWORKS:
                sys.exit(f"ort_parity: --networks: unknown network {net!r} (mlp, cnn)")
            out = os.path.join(work, net)
            written = os.path.join(work, f"{net}.trained.onnx")
            example, *flags = NETWORKS[net]
            print(f"training {net}: {example} {' '.join(flags)} (log {log})", flush=True)
            cargo_example(example, flags + ["--data", args.data, "--out", out,
                                            "--onnx", written], log)
            jobs.append((net, os.path.join(out, "model.safetensors"), written))
    failed = False
    for label, safetensors, written in jobs:
        r = check(label, safetensors, written, work, args, images, log)
        failed |= not r["ok"]
        if args.json:
            print(json.dumps(r))
        else:
            print(f"{label}: ONNX Runtime {r['onnxruntime']} (opset {r['opset']}, input "
                  f"{r['input']} {r['shape']}) vs backprop on {r['images']} MNIST test images: "
                  f"max |diff| {r['max_abs_diff']:.3g}, argmax agrees {r['argmax_agree']}/{r['images']}"
                  f" -> {'OK' if r['ok'] else 'FAILED'} (tolerance {TOLERANCE:g})")
            print(f"  backprop's own import of the file: max |diff| {r['import_max_abs_diff']:.3g};"
                  f" preprocessing {r['preprocessing']}"
                  + ("" if r["same_file_as_training_run"] is None else
                     f"; predict --export-onnx {'==' if r['same_file_as_training_run'] else '!='}"
                     " the training run's --onnx file"))
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
