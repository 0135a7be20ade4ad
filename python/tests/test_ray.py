"""The Ray sweep of examples/python/sweep_ray.py equals the same
configurations run one after the other."""

import importlib.util
import pathlib

import pytest
from sklearn.datasets import load_digits

import ray  # noqa: E402 (installed by python/ci.sh; a missing ray fails, not skips)

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "python" / "sweep_ray.py"


def load_example():
    spec = importlib.util.spec_from_file_location("sweep_ray", EXAMPLE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_ray_sweep_equals_serial():
    sweep_ray = load_example()
    X, y = load_digits(return_X_y=True)
    X, y = X[:600], y[:600]
    configs = sweep_ray.grid(hidden=((16,), (32,)), alpha=(1e-4,), lr=(1e-3, 1e-2))
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        distributed = sweep_ray.sweep(configs, X, y, max_iter=10)
    finally:
        ray.shutdown()
    serial = [sweep_ray.run_trial(c, X, y, max_iter=10) for c in configs]
    assert len(distributed) == 4
    assert distributed == serial  # bit for bit
    assert max(serial) > 0.8
