"""The estimators train as scikit-learn's do: same initial weights and
biases (drawn from the same RandomState), same shuffles, validation split,
loss, L2 penalty and optimizer updates. In float64 the loss curves and
outputs then agree with scikit-learn's to rounding (a few ulps), which no
difference in any of those would survive."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.neural_network import MLPClassifier as SkClassifier
from sklearn.neural_network import MLPRegressor as SkRegressor

from backprop import MLPClassifier, MLPRegressor


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


def fit_both(ours, theirs, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning at max_iter
        return ours.fit(X, y), theirs.fit(X, y)


BASE = dict(hidden_layer_sizes=(32, 16), max_iter=4, batch_size=50, random_state=3, tol=0)


@pytest.mark.parametrize(
    "params",
    [
        dict(solver="adam"),
        dict(solver="adam", alpha=0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-6),
        dict(solver="sgd", learning_rate_init=0.05),
        dict(solver="sgd", learning_rate_init=0.05, nesterovs_momentum=False, momentum=0.5),
        dict(solver="adam", activation="logistic"),
        dict(solver="adam", activation="tanh"),
        dict(solver="adam", early_stopping=True, max_iter=6),
    ],
    ids=["adam", "adam-settings", "sgd-nesterov", "sgd-momentum", "logistic", "tanh", "early"],
)
def test_classifier_follows_scikit_learn_step_for_step(digits, params):
    X, y = digits
    params = {**BASE, **params}
    ours, theirs = fit_both(MLPClassifier(**params), SkClassifier(**params), X, y)
    assert len(ours.loss_curve_) == len(theirs.loss_curve_)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-12)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=0, atol=1e-12)
    if params.get("early_stopping"):
        assert ours.validation_scores_ == theirs.validation_scores_


def test_regressor_follows_scikit_learn_step_for_step(digits):
    X, _ = digits
    y = X[:, 10:20].sum(axis=1)
    ours, theirs = fit_both(MLPRegressor(**BASE), SkRegressor(**BASE), X, y)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-12)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-12)


def test_float32_stays_close_to_scikit_learn(digits):
    # float32 rounds differently (our kernels' summation order), so only
    # closeness is expected: the same start and path, not the same bits
    # (measured: 8e-9 relative after four epochs, on one or two threads).
    X, y = digits
    X = X.astype(np.float32)
    ours, theirs = fit_both(MLPClassifier(**BASE), SkClassifier(**BASE), X, y)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-6)


def test_initial_parameters_are_scikit_learns_draws():
    # Biases too, from U(-b, b) like the weights (zero biases would differ).
    X = np.random.RandomState(0).normal(size=(40, 6))
    y = np.arange(40) % 3
    ours = MLPClassifier((5,), max_iter=1, random_state=7, learning_rate_init=1e-300)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours.fit(X, y)
    rng = np.random.RandomState(7)
    expected = []
    for fan_in, fan_out in ((6, 5), (5, 3)):
        b = np.sqrt(6.0 / (fan_in + fan_out))
        expected += [rng.uniform(-b, b, (fan_in, fan_out)).ravel(), rng.uniform(-b, b, fan_out)]
    got = ours.net_.get_parameters()
    assert [len(g) for g in got] == [len(e) for e in expected]
    for g, e in zip(got, expected):
        # learning_rate_init 1e-300: a step moves no weight by half an ulp
        np.testing.assert_array_equal(g, e)
    assert np.all(np.abs(got[1]) > 0)


def test_parameters_have_scikit_learns_layout_and_lengths_are_checked():
    X, y = np.eye(6), np.arange(6) % 3
    clf, sk = fit_both(
        MLPClassifier((4,), max_iter=3, random_state=0), SkClassifier((4,), max_iter=3, random_state=0),
        X, y,
    )
    assert clf.net_.parameter_shapes() == [
        ("0.weight", 4, 6), ("0.bias", 4, 1), ("2.weight", 3, 4), ("2.bias", 3, 1),
    ]
    values = clf.net_.get_parameters()
    # A weight's values in order are scikit-learn's coefs_[i] (inputs x outputs) in C order.
    for got, coef in zip(values[::2], sk.coefs_):
        np.testing.assert_allclose(got.reshape(coef.shape), coef, rtol=1e-12)
    for got, intercept in zip(values[1::2], sk.intercepts_):
        np.testing.assert_allclose(got, intercept, rtol=1e-12)
    with pytest.raises(ValueError, match="parameter 0.bias has 4 values, found an array of 3"):
        clf.net_.set_parameters([values[0], values[1][:3], values[2], values[3]])
    with pytest.raises(ValueError, match="expected 4 parameter arrays, found 1"):
        clf.net_.set_parameters(values[:1])
    np.testing.assert_array_equal(clf.net_.get_parameters()[1], values[1])


def test_partial_fit_and_warm_start_follow_scikit_learn(digits):
    X, y = digits
    params = dict(BASE, max_iter=2)
    ours, theirs = MLPClassifier(**params), SkClassifier(**params)
    for part in np.array_split(np.arange(len(y)), 3):
        ours.partial_fit(X[part], y[part], classes=np.unique(y))
        theirs.partial_fit(X[part], y[part], classes=np.unique(y))
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-12)
    params = dict(params, warm_start=True)
    ours, theirs = MLPClassifier(**params), SkClassifier(**params)
    for _ in range(2):
        fit_both(ours, theirs, X, y)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-12)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=0, atol=1e-12)
