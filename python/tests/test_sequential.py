"""The lower-level Sequential wrapper, conv layers included."""

import pickle

import numpy as np
import pytest

from backprop import Sequential, layers as L


def bars(n=256, seed=0):
    """8×8 images of a horizontal (class 0) or vertical (class 1) bar."""
    rng = np.random.RandomState(seed)
    X = rng.normal(scale=0.1, size=(n, 1, 8, 8)).astype(np.float32)
    y = rng.randint(0, 2, size=n)
    pos = rng.randint(0, 8, size=n)
    for i in range(n):
        if y[i] == 0:
            X[i, 0, pos[i], :] += 1
        else:
            X[i, 0, :, pos[i]] += 1
    return X, y


def cnn(seed=0):
    return Sequential(
        (1, 8, 8),
        [L.Conv2d(4, 3, padding=1), L.ReLU(), L.MaxPool2d(2), L.Flatten(), L.Dense(16), "relu", L.Dense(2)],
        seed=seed,
    )


def test_cnn_learns_bars():
    X, y = bars()
    net = cnn()
    assert net.input_shape == (1, 8, 8)
    assert "conv2d" in net.summary() and "max_pool2d" in net.summary()
    losses = net.fit(X, y, epochs=15, batch_size=32, optimizer="adam", lr=1e-2)
    assert losses[-1] < 0.3 * losses[0]
    Xt, yt = bars(128, seed=1)
    assert (net.predict(Xt) == yt).mean() > 0.95


def test_same_seed_same_training():
    X, y = bars(64)
    a, b = cnn(3), cnn(3)
    assert a.fit(X, y, epochs=2, optimizer="sgd", lr=0.1) == b.fit(X, y, epochs=2, optimizer="sgd", lr=0.1)
    assert np.array_equal(a.forward(X), b.forward(X))


def test_mse_regression_and_float64():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 3))
    y = X @ np.array([1.0, -2.0, 0.5])
    net = Sequential(3, [L.Dense(16), L.Tanh(), L.Dense(1)], dtype="float64")
    losses = net.fit(X, y, epochs=100, batch_size=20, optimizer="adam", lr=1e-2, loss="mse")
    assert net.forward(X).dtype == np.float64
    assert losses[-1] < 0.01 * losses[0]
    # loss="mse" reports the plain mean square.
    assert losses[-1] == pytest.approx(np.mean((net.forward(X).ravel() - y) ** 2), rel=0.5)


def test_save_load_and_pickle(tmp_path):
    X, y = bars(64)
    net = cnn()
    net.fit(X, y, epochs=1)
    net.save(tmp_path / "cnn.safetensors")
    back = Sequential.load(tmp_path / "cnn.safetensors")
    assert np.array_equal(back.forward(X), net.forward(X))
    again = pickle.loads(pickle.dumps(net))
    assert np.array_equal(again.forward(X), net.forward(X))


def test_errors():
    with pytest.raises(ValueError, match="unknown layer kind"):
        Sequential(4, [{"kind": "wobble"}])
    with pytest.raises(ValueError, match="kernel"):
        Sequential((1, 4, 4), [L.Conv2d(2, 5)])
    net = cnn()
    with pytest.raises(ValueError, match="shape"):
        net.forward(np.zeros((2, 1, 7, 8), dtype=np.float32))
    with pytest.raises(ValueError, match="NaN"):
        net.forward(np.full((2, 1, 8, 8), np.nan, dtype=np.float32))
    with pytest.raises(ValueError, match="unknown optimizer|expected one of"):
        net.fit(np.zeros((2, 1, 8, 8)), np.array([0, 1]), optimizer="nope")
    with pytest.raises(ValueError, match="class index"):
        net.fit(np.zeros((2, 1, 8, 8)), np.array([0, 5]))


def test_unknown_dtype_named_on_build_and_load(tmp_path):
    expected = r'dtype must be "float32" or "float64", found "float16"'
    with pytest.raises(ValueError, match=expected):
        Sequential(4, [L.Dense(2)], dtype="float16")
    net = Sequential(4, [L.Dense(2)], dtype="float64")
    net.save(tmp_path / "net.safetensors")
    with pytest.raises(ValueError, match=expected):
        Sequential.load(tmp_path / "net.safetensors", dtype="float16")
    back = Sequential.load(tmp_path / "net.safetensors", dtype="float64")
    assert back.dtype == np.float64
