import numpy as np
import pytest


@pytest.fixture
def blobs():
    """Three separable classes in 4 features (150 samples), float64."""
    rng = np.random.RandomState(0)
    centers = np.array([[0, 0, 0, 0], [3, 3, 0, 0], [0, 3, 3, 3]], dtype=float)
    y = np.repeat(np.arange(3), 50)
    X = centers[y] + rng.normal(scale=0.7, size=(150, 4))
    return X, y


@pytest.fixture
def regression():
    """y = 2·x0 − x1 + 0.5·x2 + noise (200 samples)."""
    rng = np.random.RandomState(1)
    X = rng.normal(size=(200, 3))
    y = 2 * X[:, 0] - X[:, 1] + 0.5 * X[:, 2] + rng.normal(scale=0.05, size=200)
    return X, y
