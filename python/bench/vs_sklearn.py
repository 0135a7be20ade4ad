"""backprop's MLPClassifier side by side with scikit-learn's (issue #19).

    python python/bench/vs_sklearn.py mnist [SEEDS]  # MNIST, (128, 64), adam, batch 64, 10 epochs,
                                                     # float32, seeds 0..SEEDS-1 (default 5)
    python python/bench/vs_sklearn.py digits   # sklearn digits, default-like settings, 5 seeds

One run each, on the same machine; prints the load average before and after,
since a busy machine makes fit times meaningless. Accuracies do not depend
on the load. Results are recorded in docs/python.md.
"""

import gzip
import os
import pathlib
import sys
import time
import warnings

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def mnist():
    d = ROOT / "data" / "mnist"
    X = idx(d / "train-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255
    y = idx(d / "train-labels-idx1-ubyte.gz").astype(np.int64)
    Xt = idx(d / "t10k-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255
    yt = idx(d / "t10k-labels-idx1-ubyte.gz").astype(np.int64)
    return X, y, Xt, yt


def timed_fit(est, X, y):
    """Wall-clock seconds of fit; the process's CPU seconds (all threads)
    are kept in timed_fit.cpu, steadier than wall time on a busy machine."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning at max_iter
        t, c = time.perf_counter(), time.process_time()
        est.fit(X, y)
        timed_fit.cpu = time.process_time() - c
        return time.perf_counter() - t


def bench_mnist(seeds=5):
    """Per seed, backprop's fit then scikit-learn's, back to back (so both
    see the same load); the ratio of their wall times per seed, its median
    and range, and the test accuracies."""
    import statistics

    from sklearn.neural_network import MLPClassifier as SkMLP

    from backprop import MLPClassifier

    X, y, Xt, yt = mnist()
    print(f"MNIST, hidden (128, 64), adam, batch 64, 10 epochs, float32; "
          f"threads {os.environ.get('BACKPROP_NUM_THREADS', 'all cores')}; "
          f"load average before: {os.getloadavg()}", flush=True)
    rows = []
    for seed in range(seeds):
        params = dict(hidden_layer_sizes=(128, 64), solver="adam", batch_size=64, max_iter=10,
                      learning_rate_init=1e-3, alpha=1e-4, tol=0, n_iter_no_change=100,
                      random_state=seed)
        r = []
        for cls in (MLPClassifier, SkMLP):
            est = cls(**params)
            t = timed_fit(est, X, y)
            r += [t, timed_fit.cpu, est.score(Xt, yt)]
        rows.append(r)
        print(f"seed {seed}: backprop {r[0]:6.2f} s (CPU {r[1]:5.1f} s) accuracy {r[2]:.4f} | "
              f"scikit-learn {r[3]:6.2f} s (CPU {r[4]:5.1f} s) accuracy {r[5]:.4f} | "
              f"ratio {r[0] / r[3]:.3f}  load {os.getloadavg()[0]:.1f}", flush=True)
    ratios = [r[0] / r[3] for r in rows]
    print(f"fit time ratio backprop/scikit-learn: median {statistics.median(ratios):.3f}, "
          f"range {min(ratios):.3f}-{max(ratios):.3f} (target <= 0.3)")
    ours, theirs = [r[2] for r in rows], [r[5] for r in rows]
    print(f"test accuracy mean: backprop {statistics.mean(ours):.4f}, scikit-learn "
          f"{statistics.mean(theirs):.4f}; backprop equal or better on "
          f"{sum(a >= b for a, b in zip(ours, theirs))} of {seeds} seeds")
    print(f"load average after: {os.getloadavg()}")


def bench_digits():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier as SkMLP
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from backprop import MLPClassifier

    X, y = load_digits(return_X_y=True)
    rows = []
    for seed in range(5):
        Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=seed, stratify=y)
        accs = []
        for cls in (MLPClassifier, SkMLP):
            est = make_pipeline(StandardScaler(), cls(random_state=seed))  # defaults: (100,), adam, 200 iter
            timed_fit(est, Xtr, ytr)
            accs.append(est.score(Xte, yte))
        rows.append(accs)
        print(f"seed {seed}: backprop {accs[0]:.4f}  scikit-learn {accs[1]:.4f}")
    a = np.array(rows)
    print(f"mean over 5 seeds: backprop {a[:, 0].mean():.4f}  scikit-learn {a[:, 1].mean():.4f}")
    print(f"backprop equal or better on {int((a[:, 0] >= a[:, 1]).sum())} of 5 seeds")


if __name__ == "__main__":
    which = [a for a in sys.argv[1:] if not a.isdigit()] or ["digits", "mnist"]
    n = [int(a) for a in sys.argv[1:] if a.isdigit()]
    for w in which:
        if w == "mnist":
            bench_mnist(*n)
        else:
            bench_digits()
