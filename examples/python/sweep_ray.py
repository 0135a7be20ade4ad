"""A hyperparameter sweep of backprop's MLPClassifier on Ray.

Every configuration is one Ray task (3-fold cross-validation of one
estimator); Ray schedules the tasks over every CPU of every machine in the
cluster. The data set is put in Ray's object store once and shared by all
tasks. Results are bit-identical to running the same configurations one
after the other (each estimator has its own random_state), which
python/tests/test_ray.py checks.

    python examples/python/sweep_ray.py                  # a local Ray on this machine
    python examples/python/sweep_ray.py --address auto   # inside a Ray cluster (see docs/python.md)
"""

import argparse
import itertools
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from backprop import MLPClassifier


def grid(hidden=((32,), (64,), (64, 32)), alpha=(1e-4, 1e-2), lr=(1e-3, 3e-3)):
    """Every combination of the given values, as estimator parameters."""
    return [
        {"hidden_layer_sizes": h, "alpha": a, "learning_rate_init": r}
        for h, a, r in itertools.product(hidden, alpha, lr)
    ]


def run_trial(config, X, y, max_iter=30, seed=0):
    """Mean 3-fold accuracy of one configuration."""
    est = make_pipeline(
        StandardScaler(),
        MLPClassifier(max_iter=max_iter, random_state=seed, **config),
    )
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(np.mean(cross_val_score(est, X, y, cv=3)))


def sweep(configs, X, y, max_iter=30, seed=0):
    """Runs every configuration as a Ray task; returns their scores in the
    order of ``configs``. ``ray.init`` must have been called."""
    import ray

    trial = ray.remote(num_cpus=1)(run_trial)
    X_ref, y_ref = ray.put(X), ray.put(y)
    futures = [trial.remote(c, X_ref, y_ref, max_iter, seed) for c in configs]
    return ray.get(futures)


def main():
    import ray

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--address", default=None, help="a Ray cluster's address ('auto' inside one)")
    p.add_argument("--num-cpus", type=int, default=None, help="CPUs of a local Ray")
    p.add_argument("--max-iter", type=int, default=30)
    args = p.parse_args()
    if args.address:
        ray.init(address=args.address)
    else:
        ray.init(num_cpus=args.num_cpus)
    X, y = load_digits(return_X_y=True)
    configs = grid()
    t = time.perf_counter()
    scores = sweep(configs, X, y, args.max_iter)
    elapsed = time.perf_counter() - t
    for c, s in sorted(zip(configs, scores), key=lambda cs: -cs[1]):
        print(f"{s:.4f}  {c}")
    print(f"{len(configs)} trials in {elapsed:.1f} s on {ray.cluster_resources().get('CPU', 0):.0f} CPUs")


if __name__ == "__main__":
    main()
