"""Summarise scripts/bench.sh's runs.jsonl as a markdown table with ratios.

Medians over repeated runs; every ratio compares runs made in the same
invocation of bench.sh on the same machine.
"""
import json
import statistics
import sys
from collections import defaultdict

runs = defaultdict(list)
for line in open(sys.argv[1]):
    try:
        r = json.loads(line)
    except json.JSONDecodeError:
        continue
    runs[(r["impl"], r["kind"], r["batch"])].append(r["result"])


def med(impl, kind, batch, *keys):
    vals = []
    for res in runs.get((impl, kind, batch), []):
        for k in keys:
            if isinstance(res, dict) and res.get(k) is not None:
                vals.append(float(res[k]))
                break
    return statistics.median(vals) if vals else None


def fmt(x, spec=".3f"):
    return "—" if x is None else format(x, spec)


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


print("## Training, 784-128-64-10, Adam, f32 (mean epoch seconds over epochs 2..N, median of runs)\n")
print("| batch | backprop | PyTorch | candle | NumPy seed | gemm floor | backprop / PyTorch | backprop / floor | backprop GFLOP/s | of gemm ceiling |")
print("|---|---|---|---|---|---|---|---|---|---|")
for b in (64, 256):
    ours = med("backprop", "train", b, "mean_epoch_seconds")
    torch = med("pytorch", "train", b, "mean_epoch_s")
    candle = med("candle", "train", b, "mean_epoch_s")
    numpy = med("numpy-seed", "train", b, "mean_epoch_s") if b == 64 else None
    floor = med("gemm-probe", "floor", b, "epoch_matmul_floor_s")
    step_gflops = med("gemm-probe", "floor", b, "step_gflops")
    # 454,400 FLOPs per sample (3 fwd + 3 dW + 2 dA products), 60,000 samples.
    achieved = None if ours is None else 454_400 * 60_000 / ours / 1e9
    print(f"| {b} | {fmt(ours)} | {fmt(torch)} | {fmt(candle)} | {fmt(numpy)} | {fmt(floor)} | "
          f"{fmt(ratio(ours, torch), '.2f')} | {fmt(ratio(ours, floor), '.2f')} | {fmt(achieved, '.1f')} | "
          f"{fmt(ratio(achieved, step_gflops), '.0%')} |")

print("\n## Test accuracy after the run\n")
for (impl, kind, b), res in sorted(runs.items()):
    if kind == "train":
        acc = med(impl, kind, b, "test_accuracy", "final_test_acc")
        print(f"- {impl}, batch {b}: {fmt(acc, '.4f')}")

print("\n## Inference (single-sample median latency, batch-1000 throughput)\n")
print("| impl | latency µs | images/s at batch 1000 | peak RSS MiB |")
print("|---|---|---|---|")
for impl in ("backprop", "pytorch-1thread", "pytorch", "candle-1thread"):
    lat = med(impl, "infer", 1, "single_latency_us_median", "single_us_median", "latency_us_median")
    thr = med(impl, "infer", 1, "batch1000_images_per_s", "batch_images_per_s", "batch_samples_per_s_best")
    rss = med(impl, "infer", 1, "peak_rss_mib")
    if lat is not None or thr is not None:
        print(f"| {impl} | {fmt(lat, '.1f')} | {fmt(thr, '.0f')} | {fmt(rss, '.0f')} |")
ours_lat = med("backprop", "infer", 1, "single_latency_us_median")
torch_lat = med("pytorch-1thread", "infer", 1, "single_latency_us_median")
ours_thr = med("backprop", "infer", 1, "batch1000_images_per_s")
torch_thr = med("pytorch", "infer", 1, "batch_images_per_s")
print(f"\nlatency backprop / PyTorch (1 thread): {fmt(ratio(ours_lat, torch_lat), '.3f')}; "
      f"throughput backprop / PyTorch (2 threads): {fmt(ratio(ours_thr, torch_thr), '.2f')}")

print("\n## Peak resident memory in training (MiB)\n")
for (impl, kind, b), res in sorted(runs.items()):
    if kind == "train":
        print(f"- {impl}, batch {b}: {fmt(med(impl, kind, b, 'peak_rss_mib'), '.0f')}")
