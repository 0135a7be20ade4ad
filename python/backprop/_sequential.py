"""A lower-level wrapper: a network from a list of layers, trained with a
named optimizer. For people who want layers (conv, pooling, batch norm...)
from Python rather than a scikit-learn estimator."""

import numpy as np

from ._backprop import Net


class layers:
    """Layer descriptions for :class:`Sequential` (plain dicts; any
    activation backprop knows is also accepted by name, e.g. ``"gelu"``)."""

    @staticmethod
    def Dense(units):
        """A fully connected layer with ``units`` outputs."""
        return {"kind": "dense", "units": int(units)}

    @staticmethod
    def Conv2d(out_channels, kernel, *, stride=None, padding=None, dilation=None, bias=True):
        """A 2-D convolution (input ``[C, H, W]``), PyTorch's ``nn.Conv2d``."""
        return {"kind": "conv2d", "out_channels": int(out_channels), "kernel": kernel,
                "stride": stride, "padding": padding, "dilation": dilation, "bias": bool(bias)}

    @staticmethod
    def MaxPool2d(kernel, *, stride=None, padding=None):
        """Max pooling over ``kernel`` windows (stride defaults to the kernel)."""
        return {"kind": "max_pool2d", "kernel": kernel, "stride": stride, "padding": padding}

    @staticmethod
    def AvgPool2d(kernel, *, stride=None, padding=None):
        """Average pooling over ``kernel`` windows."""
        return {"kind": "avg_pool2d", "kernel": kernel, "stride": stride, "padding": padding}

    @staticmethod
    def BatchNorm1d():
        """Batch normalisation of a flat input."""
        return {"kind": "batch_norm"}

    @staticmethod
    def BatchNorm2d():
        """Batch normalisation per channel of a ``[C, H, W]`` input."""
        return {"kind": "batch_norm2d"}

    @staticmethod
    def Dropout(p=0.5):
        """Dropout with probability ``p`` (training only)."""
        return {"kind": "dropout", "p": float(p)}

    @staticmethod
    def Dropout2d(p=0.5):
        """Whole-channel dropout with probability ``p``."""
        return {"kind": "dropout2d", "p": float(p)}

    @staticmethod
    def Flatten():
        """Flattens ``[C, H, W]`` to ``[C·H·W]``."""
        return {"kind": "flatten"}

    @staticmethod
    def Activation(name, alpha=None):
        """An activation by name: relu, sigmoid, tanh, softmax, gelu, elu,
        leaky_relu (with ``alpha``), softplus, identity."""
        d = {"kind": name}
        if alpha is not None:
            d["alpha"] = float(alpha)
        return d

    @staticmethod
    def ReLU():
        """``max(0, x)``."""
        return {"kind": "relu"}

    @staticmethod
    def Tanh():
        """``tanh(x)``."""
        return {"kind": "tanh"}

    @staticmethod
    def Sigmoid():
        """``1/(1+e^-x)``."""
        return {"kind": "sigmoid"}


def _as_layer(spec):
    return {"kind": spec} if isinstance(spec, str) else dict(spec)


class Sequential:
    """A network of ``layers`` taking samples of ``input_shape`` (an int for
    flat features, ``(C, H, W)`` for images).

    ``fit`` trains with ``loss="cross_entropy"`` (integer class labels;
    the last layer gives logits) or ``loss="mse"`` (values), and an optimizer
    by name: sgd, momentum, nesterov, rmsprop, adam, adamw. Seeds make every
    run bit-identical. The GIL is released while training and predicting.
    """

    def __init__(self, input_shape, layers, *, seed=0, dtype="float32", init="xavier_uniform"):
        shape = [int(input_shape)] if np.isscalar(input_shape) else [int(d) for d in input_shape]
        self._net = Net(shape, [_as_layer(s) for s in layers], int(seed), dtype, init)
        self._optimizer = None
        self._seed = int(seed)
        self._epoch = 0

    @classmethod
    def _wrap(cls, net):
        self = cls.__new__(cls)
        self._net, self._optimizer, self._seed, self._epoch = net, None, 0, 0
        return self

    @property
    def dtype(self):
        """``numpy.float32`` or ``numpy.float64``."""
        return np.float32 if self._net.dtype == "float32" else np.float64

    @property
    def input_shape(self):
        """The shape of one sample."""
        return tuple(self._net.input_shape)

    @property
    def num_params(self):
        """Number of trainable scalars."""
        return self._net.num_params

    def summary(self):
        """The layer table."""
        return self._net.summary()

    def _flat(self, X):
        X = np.asarray(X)
        if X.dtype.kind not in "fiub":
            raise TypeError(f"X must hold numbers, found dtype {X.dtype}")
        n = X.shape[0] if X.ndim else 0
        if X.ndim < 2 or tuple(X.shape[1:]) not in (self.input_shape, (self._net.input_size,)):
            raise ValueError(
                f"X must have shape (samples, {', '.join(map(str, self.input_shape))}), "
                f"found {X.shape}"
            )
        X = np.ascontiguousarray(X.reshape(n, -1), dtype=self.dtype)
        if not np.isfinite(X).all():
            raise ValueError("X contains NaN or infinity")
        return X

    def forward(self, X, batch_size=1024):
        """The last layer's output for every sample (evaluation mode)."""
        return self._net.forward(self._flat(X), batch_size)

    def predict(self, X, batch_size=1024):
        """The class (argmax of the outputs) of every sample."""
        return np.argmax(self.forward(X, batch_size), axis=1)

    def fit(self, X, y, *, epochs=1, batch_size=32, optimizer="adam", lr=1e-3,
            loss="cross_entropy", shuffle=True, weight_decay=0.0):
        """Trains for ``epochs`` epochs and returns the mean loss of each.
        The optimizer keeps its state across calls with the same name."""
        X = self._flat(X)
        n = X.shape[0]
        if n == 0:
            raise ValueError("X has no samples")
        if self._optimizer != (optimizer, weight_decay):
            self._net.set_optimizer(optimizer, {"weight_decay": float(weight_decay)})
            self._optimizer = (optimizer, weight_decay)
        if loss == "cross_entropy":
            y = np.asarray(y)
            if y.shape != (n,) or y.dtype.kind not in "iu":
                raise ValueError(f"y must be {n} integer class labels, found {y.dtype} {y.shape}")
            y = np.ascontiguousarray(y, dtype=np.int64)
        elif loss == "mse":
            y = np.asarray(y, dtype=self.dtype)
            y = np.ascontiguousarray(y.reshape(n, -1))
        else:
            raise ValueError(f"loss must be 'cross_entropy' or 'mse', found {loss!r}")
        losses = []
        for _ in range(int(epochs)):
            rng = np.random.RandomState((self._seed + self._epoch) % 2**32)
            order = rng.permutation(n) if shuffle else np.arange(n)
            order = order.astype(np.int64)
            if loss == "cross_entropy":
                losses.append(self._net.train_epoch_classes(X, y, order, int(batch_size), float(lr), 0.0))
            else:
                losses.append(self._net.train_epoch_values(
                    X, y, order, int(batch_size), float(lr), 0.0, False))
            self._epoch += 1
        return losses

    def save(self, path):
        """Writes backprop's model file (read by Rust and PyTorch)."""
        self._net.save(str(path))

    def export_onnx(self, path):
        """Writes the network as an ONNX model (input ``"input"``: batch ×
        the input shape; output ``"output"``)."""
        self._net.export_onnx(str(path))

    @classmethod
    def load(cls, path, dtype="float32"):
        """Reads a backprop model file (any network backprop saved)."""
        return cls._wrap(Net.load(str(path), dtype))

    def to_bytes(self):
        """The model file's bytes."""
        return bytes(self._net.to_bytes())

    def __getstate__(self):
        return {"dtype": self._net.dtype, "model": self.to_bytes(), "seed": self._seed,
                "epoch": self._epoch}

    def __setstate__(self, state):
        self._net = Net.from_bytes(state["model"], state["dtype"])
        self._optimizer = None
        self._seed = state["seed"]
        self._epoch = state["epoch"]
