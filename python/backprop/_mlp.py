"""scikit-learn estimators: MLPClassifier and MLPRegressor on backprop's engine."""

import json
import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state, column_or_1d
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from ._backprop import Net

_ACTIVATIONS = {"identity": "identity", "logistic": "sigmoid", "tanh": "tanh", "relu": "relu"}
_SOLVERS = ("adam", "sgd")
_LEARNING_RATES = ("constant", "invscaling", "adaptive")


class _BaseMLP(BaseEstimator):
    """What MLPClassifier and MLPRegressor share: parameters, the training
    loop (epochs, early stopping, tolerance), saving and pickling."""

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change

    # ---- parameters -----------------------------------------------------

    def _check_params(self):
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, numbers.Integral):
            sizes = [sizes]
        sizes = list(sizes)
        if any(not isinstance(s, numbers.Integral) or s <= 0 for s in sizes):
            raise ValueError(
                f"hidden_layer_sizes must be positive integers, found {self.hidden_layer_sizes!r}"
            )
        if self.activation not in _ACTIVATIONS:
            raise ValueError(
                f"activation must be one of {sorted(_ACTIVATIONS)}, found {self.activation!r}"
            )
        if self.solver not in _SOLVERS:
            raise ValueError(
                f"solver must be 'adam' or 'sgd' (backprop has no 'lbfgs'), found {self.solver!r}"
            )
        if self.learning_rate not in _LEARNING_RATES:
            raise ValueError(
                f"learning_rate must be one of {_LEARNING_RATES}, found {self.learning_rate!r}"
            )
        for name, lo in (("max_iter", 1), ("n_iter_no_change", 1)):
            v = getattr(self, name)
            if not isinstance(v, numbers.Integral) or v < lo:
                raise ValueError(f"{name} must be an integer >= {lo}, found {v!r}")
        for name in ("alpha", "tol"):
            v = getattr(self, name)
            if not isinstance(v, numbers.Real) or not np.isfinite(v) or v < 0:
                raise ValueError(f"{name} must be a finite number >= 0, found {v!r}")
        if not (isinstance(self.learning_rate_init, numbers.Real) and self.learning_rate_init > 0):
            raise ValueError(
                f"learning_rate_init must be > 0, found {self.learning_rate_init!r}"
            )
        if not 0 < self.validation_fraction < 1:
            raise ValueError(
                f"validation_fraction must be in (0, 1), found {self.validation_fraction!r}"
            )
        if not (0 <= self.beta_1 < 1 and 0 <= self.beta_2 < 1):
            raise ValueError(
                f"beta_1 and beta_2 must be in [0, 1), found {self.beta_1!r}, {self.beta_2!r}"
            )
        if not 0 <= self.momentum <= 1:
            raise ValueError(f"momentum must be in [0, 1], found {self.momentum!r}")
        if self.batch_size != "auto" and (
            not isinstance(self.batch_size, numbers.Integral) or self.batch_size < 1
        ):
            raise ValueError(f"batch_size must be 'auto' or an integer >= 1, found {self.batch_size!r}")
        return sizes

    def _optimizer_settings(self):
        if self.solver == "adam":
            # scikit-learn's Adam (epsilon added to the uncorrected sqrt(v)).
            return "sklearn_adam", {
                "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
            }
        return "sgd", {"momentum": self.momentum, "nesterov": float(bool(self.nesterovs_momentum))}

    # ---- the training loop ---------------------------------------------

    def _build(self, n_features, n_outputs, dtype, sizes):
        layers = []
        for units in sizes:
            layers.append({"kind": "dense", "units": int(units)})
            layers.append({"kind": _ACTIVATIONS[self.activation]})
        layers.append({"kind": "dense", "units": int(n_outputs)})
        # Every parameter is drawn below, so the network's own seed is unused.
        net = Net([int(n_features)], layers, 0, dtype, "xavier_uniform")
        net.set_parameters(self._initial_parameters([int(n_features), *sizes, int(n_outputs)]))
        return net

    def _initial_parameters(self, units):
        """scikit-learn's initialisation (``_init_coef``), draw for draw from
        the same ``RandomState``: per layer, the weights then the biases
        from U(-b, b), b = sqrt(6 / (fan_in + fan_out)) (2 instead of 6 for
        ``logistic``). A weight array in C order (inputs × outputs) has the
        layout of the engine's outputs × inputs column-major weight."""
        factor = 2.0 if self.activation == "logistic" else 6.0
        values = []
        for fan_in, fan_out in zip(units[:-1], units[1:]):
            bound = np.sqrt(factor / (fan_in + fan_out))
            values.append(self._rng.uniform(-bound, bound, (fan_in, fan_out)).ravel())
            values.append(self._rng.uniform(-bound, bound, fan_out))
        return values

    def _fit(self, X, y, incremental):
        sizes = self._check_params()
        first_pass = not hasattr(self, "net_") or (not self.warm_start and not incremental)
        X, y = self._validate_input(X, y, incremental, reset=first_pass)
        n_outputs = self._n_outputs(y)
        # As scikit-learn: every call starts from random_state afresh (with
        # an int, each partial_fit call shuffles the same way).
        self._rng = check_random_state(self.random_state)
        if first_pass:
            dtype = "float32" if X.dtype == np.float32 else "float64"
            self.net_ = self._build(X.shape[1], n_outputs, dtype, sizes)
            self.loss_curve_ = []
            self._no_improvement_count = 0
            self.best_loss_ = np.inf
            self.t_ = 0
            self.n_iter_ = 0
            self._lr = float(self.learning_rate_init)
            if self.early_stopping and not incremental:
                self.validation_scores_ = []
                self.best_validation_score_ = -np.inf
                self.best_loss_ = None
            else:
                self.validation_scores_ = None
                self.best_validation_score_ = None
        elif self.net_.output_size != n_outputs:
            raise ValueError(
                f"the network has {self.net_.output_size} outputs but y needs {n_outputs}"
            )
        # As scikit-learn: a new optimizer for every fit (warm_start
        # included); partial_fit keeps it.
        if not incremental or not self.net_.has_optimizer:
            self.net_.set_optimizer(*self._optimizer_settings())
        np_dtype = np.float32 if self.net_.dtype == "float32" else np.float64
        X = np.ascontiguousarray(X, dtype=np_dtype)
        y = self._encode_targets(y, np_dtype)

        early = self.early_stopping and not incremental
        if early:
            # As scikit-learn: stratified only for two classes (its one
            # output column); a multiclass or regression split is not.
            two_classes = isinstance(self, ClassifierMixin) and len(self.classes_) == 2
            stratify = y if two_classes else None
            X, X_val, y, y_val = train_test_split(
                X, y, random_state=self._rng, test_size=self.validation_fraction, stratify=stratify
            )
            X, y = np.ascontiguousarray(X), np.ascontiguousarray(y)
            best_bytes = None
        n = X.shape[0]
        batch = min(200, n) if self.batch_size == "auto" else int(np.clip(self.batch_size, 1, n))
        epochs = 1 if incremental else self.max_iter
        order = np.arange(n, dtype=np.int64)
        for _ in range(epochs):
            if self.shuffle:
                # scikit-learn's shuffle: the previous epoch's order permuted.
                order = order[self._rng.permutation(n)]
            lr = self._lr
            if self.solver == "sgd" and self.learning_rate == "invscaling":
                lr = self.learning_rate_init / (self.t_ + 1) ** self.power_t
            loss = self._train_epoch(X, y, order, batch, lr)
            self.n_iter_ += 1
            self.t_ += n
            self.loss_curve_.append(loss)
            if self.verbose:
                print(f"Iteration {self.n_iter_}, loss = {loss:.8f}")
            if early:
                score = self._validation_score(X_val, y_val)
                self.validation_scores_.append(score)
                if self.verbose:
                    print(f"Validation score: {score:f}")
                if score < self.best_validation_score_ + self.tol:
                    self._no_improvement_count += 1
                else:
                    self._no_improvement_count = 0
                if score > self.best_validation_score_:
                    self.best_validation_score_ = score
                    best_bytes = bytes(self.net_.to_bytes())
            else:
                if loss > self.best_loss_ - self.tol:
                    self._no_improvement_count += 1
                else:
                    self._no_improvement_count = 0
                if loss < self.best_loss_:
                    self.best_loss_ = loss
            if incremental:
                break
            if self._no_improvement_count > self.n_iter_no_change:
                if self.solver == "sgd" and self.learning_rate == "adaptive" and self._lr > 1e-6:
                    self._lr /= 5.0
                    self._no_improvement_count = 0
                    continue
                break
            if self.n_iter_ == self.max_iter:
                warnings.warn(
                    f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and "
                    "the optimization hasn't converged yet.",
                    ConvergenceWarning,
                )
        if early and best_bytes is not None:
            net = Net.from_bytes(best_bytes, self.net_.dtype)
            net.set_optimizer(*self._optimizer_settings())
            self.net_ = net
        self._set_info()
        return self

    def _train_epoch(self, X, y, order, batch, lr):
        raise NotImplementedError

    def _forward(self, X):
        check_is_fitted(self, "net_")
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32], order="C")
        np_dtype = np.float32 if self.net_.dtype == "float32" else np.float64
        return self.net_.forward(np.ascontiguousarray(X, dtype=np_dtype))

    # ---- files and pickling --------------------------------------------

    def _set_info(self, pixels=False):
        raise NotImplementedError

    def _metadata(self):
        params = {}
        for k, v in self.get_params().items():
            try:
                json.dumps(v)
                params[k] = v
            except TypeError:
                params[k] = repr(v)
        return {
            "sklearn.estimator": type(self).__name__,
            "sklearn.params": json.dumps(params),
            "sklearn.n_features_in": str(self.n_features_in_),
        }

    def save(self, path, *, pixels=False):
        """Writes the fitted network to ``path`` in backprop's model file
        (safetensors, PyTorch ``nn.Sequential`` layout: ``0.weight``,
        ``0.bias``, ``2.weight``, ...), with the estimator's parameters and
        classes in its metadata. Rust's ``backprop_io::load_model`` and
        ``examples/predict`` read it; so does ``safetensors.torch.load_file``.

        ``pixels=True`` records that the features were pixels divided by 255,
        so that readers of raw pictures (``examples/predict``) scale them so."""
        check_is_fitted(self, "net_")
        self._set_info(pixels=pixels)
        self.net_.save(str(path))

    def export_onnx(self, path):
        """Writes the fitted network as an ONNX model (input ``"input"``:
        samples × features; output ``"output"``: the logits for the
        classifier, the values for the regressor), for onnxruntime and other
        ONNX runtimes."""
        check_is_fitted(self, "net_")
        self.net_.export_onnx(str(path))

    @classmethod
    def load(cls, path, dtype=None):
        """Reads an estimator saved with :meth:`save` (or any backprop model
        file whose last layer fits the estimator). ``dtype`` defaults to
        float32; the optimizer state is not in the file, so a later
        ``partial_fit`` starts it afresh."""
        net = Net.load(str(path), dtype or "float32")
        meta = net.metadata()
        params = {}
        if "sklearn.params" in meta:
            valid = cls().get_params()
            params = {
                k: (tuple(v) if k == "hidden_layer_sizes" else v)
                for k, v in json.loads(meta["sklearn.params"]).items()
                if k in valid
            }
        est = cls(**params)
        est._restore(net, meta)
        return est

    def _restore(self, net, meta):
        self.net_ = net
        self.n_features_in_ = int(meta.get("sklearn.n_features_in", net.input_size))
        self.loss_curve_ = []
        self.n_iter_ = 0
        self.t_ = 0

    def __getstate__(self):
        state = super().__getstate__()
        if "net_" in state:
            state = dict(state)
            state["net_"] = (self.net_.dtype, bytes(self.net_.to_bytes()))
        return state

    def __setstate__(self, state):
        if "net_" in state:
            dtype, data = state["net_"]
            state = dict(state)
            state["net_"] = Net.from_bytes(data, dtype)
        super().__setstate__(state)


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """Multi-layer perceptron classifier on backprop's engine.

    Parameters are scikit-learn's ``MLPClassifier``'s, with these
    differences (see docs/python.md): ``solver`` is ``'adam'`` or ``'sgd'``
    (no ``'lbfgs'``); the output layer is always a softmax over
    ``len(classes_)`` outputs (scikit-learn uses one logistic unit for two
    classes; the predictions are the same model family);
    ``learning_rate='invscaling'`` updates the rate once per epoch, not per
    step; multilabel targets are refused. Otherwise training is
    scikit-learn's step for step: the same initial weights and biases from
    the same ``RandomState``, shuffles, validation split, loss, penalty and
    Adam (in float64, loss curves agree to rounding).
    Training releases the GIL; Ctrl-C raises KeyboardInterrupt within a few
    batches. float32 input trains in float32, anything else in float64.
    """

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(
            self, X, y, reset=reset, dtype=[np.float64, np.float32], order="C",
            multi_output=False, y_numeric=False,
        )
        if np.ndim(y) == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if type_of_target(y) == "multilabel-indicator":
            raise ValueError("multilabel targets are not supported by backprop's MLPClassifier")
        if reset and not (incremental and hasattr(self, "classes_")):
            if incremental and getattr(self, "_partial_classes", None) is not None:
                self.classes_ = np.asarray(self._partial_classes)
            else:
                self.classes_ = np.unique(y)
        unknown = np.setdiff1d(np.unique(y), self.classes_)
        if unknown.size:
            raise ValueError(
                f"y contains labels {unknown.tolist()} that are not in classes {self.classes_.tolist()}"
            )
        return X, y

    def _n_outputs(self, y):
        return len(self.classes_)

    def _encode_targets(self, y, np_dtype):
        return np.searchsorted(self.classes_, y).astype(np.int64)

    def _train_epoch(self, X, y, order, batch, lr):
        return self.net_.train_epoch_classes(X, y, order, batch, lr, float(self.alpha))

    def _validation_score(self, X_val, y_val):
        proba = self.net_.forward(X_val)
        return accuracy_score(y_val, np.argmax(proba, axis=1))

    def _set_info(self, pixels=False):
        self.net_.set_info("logits", [str(c) for c in self.classes_], pixels)
        meta = self._metadata()
        meta["sklearn.classes"] = json.dumps(self.classes_.tolist())
        self.net_.set_metadata(meta)

    def _restore(self, net, meta):
        super()._restore(net, meta)
        if "sklearn.classes" in meta:
            self.classes_ = np.asarray(json.loads(meta["sklearn.classes"]))
        else:
            names = net.class_names()
            self.classes_ = np.asarray(names if names else range(net.output_size))

    def fit(self, X, y):
        """Fits the network to ``X`` (samples × features) and labels ``y``
        (any labels scikit-learn accepts: ints, strings...). Returns self."""
        self._partial_classes = None
        return self._fit(X, y, incremental=False)

    def partial_fit(self, X, y, classes=None):
        """One epoch over ``(X, y)``. ``classes`` (all labels) is required on
        the first call, as in scikit-learn."""
        if not hasattr(self, "classes_"):
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit.")
            self._partial_classes = np.unique(classes)
            self.classes_ = self._partial_classes
            first = True
        else:
            if classes is not None and not np.array_equal(np.unique(classes), self.classes_):
                raise ValueError(
                    f"`classes={list(classes)}` is not the same as on the first call "
                    f"to partial_fit, was: {self.classes_.tolist()}"
                )
            first = False
        if first:
            # _fit's first pass keeps these classes.
            for attr in ("net_",):
                if hasattr(self, attr):
                    delattr(self, attr)
        return self._fit(X, y, incremental=True)

    def predict_proba(self, X):
        """Class probabilities, one row per sample, columns in ``classes_``
        order."""
        z = self._forward(X)
        z = z - z.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)
        return z

    def predict_log_proba(self, X):
        """Log of :meth:`predict_proba`."""
        z = self._forward(X)
        z = z - z.max(axis=1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=1, keepdims=True))

    def predict(self, X):
        """The most likely class of each sample."""
        z = self._forward(X)
        return self.classes_[np.argmax(z, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False
        return tags


class MLPRegressor(RegressorMixin, _BaseMLP):
    """Multi-layer perceptron regressor on backprop's engine: identity
    output, loss ``0.5·mean((y − ŷ)²)`` as scikit-learn's ``squared_error``.

    Parameters are scikit-learn's ``MLPRegressor``'s, with the differences
    listed on :class:`MLPClassifier` (no ``'lbfgs'``, per-epoch
    ``invscaling``); otherwise it trains as scikit-learn's, step for step. ``y`` may be 1-D or 2-D (several outputs).
    """

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(
            self, X, y, reset=reset, dtype=[np.float64, np.float32], order="C",
            multi_output=True, y_numeric=True,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        return X, y

    def _n_outputs(self, y):
        return 1 if y.ndim == 1 else y.shape[1]

    def _encode_targets(self, y, np_dtype):
        self._y_1d = y.ndim == 1
        y = y.reshape(-1, 1) if y.ndim == 1 else y
        return np.ascontiguousarray(y, dtype=np_dtype)

    def _train_epoch(self, X, y, order, batch, lr):
        return self.net_.train_epoch_values(X, y, order, batch, lr, float(self.alpha))

    def _validation_score(self, X_val, y_val):
        return r2_score(y_val, self.net_.forward(X_val))

    def _set_info(self, pixels=False):
        self.net_.set_info("values", None, pixels)
        meta = self._metadata()
        meta["sklearn.y_1d"] = "1" if getattr(self, "_y_1d", True) else "0"
        self.net_.set_metadata(meta)

    def _restore(self, net, meta):
        super()._restore(net, meta)
        self._y_1d = meta.get("sklearn.y_1d", "1" if net.output_size == 1 else "0") == "1"

    def fit(self, X, y):
        """Fits the network to ``X`` and targets ``y``. Returns self."""
        return self._fit(X, y, incremental=False)

    def partial_fit(self, X, y):
        """One epoch over ``(X, y)``."""
        return self._fit(X, y, incremental=True)

    def predict(self, X):
        """The predicted values (1-D if ``y`` was 1-D in fit)."""
        out = self._forward(X)
        return out.ravel() if self._y_1d else out
