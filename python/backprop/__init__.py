"""backprop: neural networks on a Rust engine, for Python.

- :class:`MLPClassifier` and :class:`MLPRegressor` follow scikit-learn's
  estimator contract (``Pipeline``, ``GridSearchCV``, ``cross_val_score``),
  with scikit-learn's parameter names.
- :class:`Sequential` builds a network from layers (dense, conv, pooling,
  batch norm, dropout, activations) and trains it with a named optimizer.

Models are saved in backprop's model file (safetensors in PyTorch's
``nn.Sequential`` state-dict layout), which Rust's ``backprop-io`` and
PyTorch read. See docs/python.md.
"""

from ._backprop import Net, __version__
from ._mlp import MLPClassifier, MLPRegressor
from ._sequential import Sequential, layers

__all__ = ["MLPClassifier", "MLPRegressor", "Sequential", "layers", "Net", "__version__"]
