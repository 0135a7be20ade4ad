"""backprop's MLPClassifier side by side with scikit-learn's (issue #19).

    python python/bench/vs_sklearn.py mnist    # MNIST, (128, 64), adam, batch 64, 10 epochs, float32
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


def bench_mnist():
    from sklearn.neural_network import MLPClassifier as SkMLP

    from backprop import MLPClassifier

    X, y, Xt, yt = mnist()
    params = dict(hidden_layer_sizes=(128, 64), solver="adam", batch_size=64, max_iter=10,
                  learning_rate_init=1e-3, alpha=1e-4, tol=0, n_iter_no_change=100, random_state=0)
    print(f"load average before: {os.getloadavg()}")
    ours = MLPClassifier(**params)
    t_ours = timed_fit(ours, X, y)
    cpu_ours = timed_fit.cpu
    acc_ours = ours.score(Xt, yt)
    print(f"backprop      fit {t_ours:7.2f} s ({t_ours / 10:.3f} s/epoch, CPU {cpu_ours:.1f} s)  "
          f"test accuracy {acc_ours:.4f}")
    print(f"load average between: {os.getloadavg()}")
    sk = SkMLP(**params)
    t_sk = timed_fit(sk, X, y)
    cpu_sk = timed_fit.cpu
    acc_sk = sk.score(Xt, yt)
    print(f"scikit-learn  fit {t_sk:7.2f} s ({t_sk / 10:.3f} s/epoch, CPU {cpu_sk:.1f} s)  "
          f"test accuracy {acc_sk:.4f}")
    print(f"time ratio backprop/sklearn: wall {t_ours / t_sk:.3f}, CPU {cpu_ours / cpu_sk:.3f} "
          f"(target <= 0.3); accuracy difference {acc_ours - acc_sk:+.4f}")
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
    which = sys.argv[1:] or ["digits", "mnist"]
    for w in which:
        {"mnist": bench_mnist, "digits": bench_digits}[w]()
