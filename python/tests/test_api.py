"""The scikit-learn contract beyond check_estimator: pipelines, searches,
parameters, seeds, dtypes, labels, early stopping, partial_fit."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from backprop import MLPClassifier, MLPRegressor


def test_pipeline_fits_and_scores(blobs):
    X, y = blobs
    pipe = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(16,), max_iter=200, random_state=0))
    pipe.fit(X, y)
    assert pipe.score(X, y) > 0.95


def test_grid_search_picks_from_the_grid(blobs):
    X, y = blobs
    grid = GridSearchCV(
        MLPClassifier(max_iter=200, learning_rate_init=0.01, random_state=0),
        {"hidden_layer_sizes": [(4,), (16,)], "alpha": [1e-4, 1e-2]},
        cv=3,
    )
    grid.fit(X, y)
    assert grid.best_params_["hidden_layer_sizes"] in [(4,), (16,)]
    assert grid.best_score_ > 0.9
    assert grid.best_estimator_.n_features_in_ == 4


def test_cross_val_score_regressor(regression):
    X, y = regression
    scores = cross_val_score(MLPRegressor(hidden_layer_sizes=(32,), max_iter=300, random_state=0), X, y, cv=3)
    assert scores.shape == (3,)
    assert scores.min() > 0.9


def test_constructor_only_stores_and_set_params_round_trip():
    clf = MLPClassifier(hidden_layer_sizes=(7, 3), solver="sgd", momentum=0.5)
    p = clf.get_params()
    assert p["hidden_layer_sizes"] == (7, 3) and p["solver"] == "sgd" and p["momentum"] == 0.5
    clf.set_params(alpha=0.3, hidden_layer_sizes=(2,))
    assert clf.alpha == 0.3 and clf.hidden_layer_sizes == (2,)
    assert not hasattr(clf, "net_")


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_random_state_gives_bit_identical_results(blobs, solver):
    X, y = blobs
    a = MLPClassifier((8,), solver=solver, max_iter=20, random_state=3).fit(X, y)
    b = MLPClassifier((8,), solver=solver, max_iter=20, random_state=3).fit(X, y)
    c = MLPClassifier((8,), solver=solver, max_iter=20, random_state=4).fit(X, y)
    assert a.loss_curve_ == b.loss_curve_
    assert np.array_equal(a.predict_proba(X), b.predict_proba(X))
    assert a.loss_curve_ != c.loss_curve_


def test_float32_trains_in_float32_and_float64_in_float64(blobs):
    X, y = blobs
    c32 = MLPClassifier((8,), max_iter=30, random_state=0).fit(X.astype(np.float32), y)
    c64 = MLPClassifier((8,), max_iter=30, random_state=0).fit(X, y)
    assert c32.net_.dtype == "float32" and c64.net_.dtype == "float64"
    assert c32.predict_proba(X.astype(np.float32)).dtype == np.float32
    assert c64.predict_proba(X).dtype == np.float64
    # Same seed, same data: the two precisions agree closely.
    assert np.abs(np.array(c32.loss_curve_) - np.array(c64.loss_curve_)).max() < 1e-3


def test_string_labels_map_to_classes(blobs):
    X, y = blobs
    names = np.array(["cat", "dog", "emu"])[y]
    clf = MLPClassifier((16,), max_iter=200, learning_rate_init=0.01, random_state=0).fit(X, names)
    assert clf.classes_.tolist() == ["cat", "dog", "emu"]
    pred = clf.predict(X)
    assert pred.dtype == names.dtype and set(pred) <= {"cat", "dog", "emu"}
    assert (pred == names).mean() > 0.95
    proba = clf.predict_proba(X)
    assert proba.shape == (150, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)


def test_loss_curve_decreases_and_n_iter(blobs):
    X, y = blobs
    clf = MLPClassifier((16,), max_iter=50, learning_rate_init=0.01, random_state=0, tol=0).fit(X, y)
    assert len(clf.loss_curve_) == clf.n_iter_ == 50
    assert clf.loss_curve_[-1] < 0.5 * clf.loss_curve_[0]


def test_early_stopping_keeps_best_validation_model(blobs):
    X, y = blobs
    clf = MLPClassifier((16,), max_iter=500, early_stopping=True, validation_fraction=0.2,
                        learning_rate_init=0.01, n_iter_no_change=20, random_state=0).fit(X, y)
    assert clf.n_iter_ < 500
    assert len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    # The model kept is the best epoch's: its accuracy on the whole set is high.
    assert clf.score(X, y) > 0.9


def test_tol_stops_training_without_early_stopping(regression):
    X, y = regression
    reg = MLPRegressor((16,), max_iter=1000, tol=1e-2, n_iter_no_change=3, random_state=0).fit(X, y)
    assert reg.n_iter_ < 1000


def test_partial_fit_needs_classes_then_learns(blobs):
    X, y = blobs
    clf = MLPClassifier((16,), learning_rate_init=0.01, random_state=0)
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X, y)
    for _ in range(50):
        clf.partial_fit(X, y, classes=[0, 1, 2])
    assert clf.n_iter_ == 50
    assert clf.score(X, y) > 0.9
    with pytest.raises(ValueError, match="not in classes"):
        clf.partial_fit(X, np.full(150, 7))


def test_warm_start_continues(blobs):
    X, y = blobs
    clf = MLPClassifier((8,), max_iter=5, warm_start=True, random_state=0, tol=0)
    with pytest.warns(Warning):
        clf.fit(X, y)
        clf.fit(X, y)
    assert clf.n_iter_ == 10 and len(clf.loss_curve_) == 10


def test_multi_output_regression(regression):
    X, y = regression
    Y = np.column_stack([y, -y])
    reg = MLPRegressor((32,), max_iter=300, random_state=0).fit(X, Y)
    assert reg.predict(X).shape == (200, 2)
    assert reg.score(X, Y) > 0.9


def test_regressor_loss_is_half_mean_square(regression):
    X, y = regression
    reg = MLPRegressor((8,), max_iter=1, alpha=0, shuffle=False, batch_size=200, random_state=0)
    reg.fit(X, y)  # one full-batch step: the loss is the initial network's
    reg0 = MLPRegressor((8,), max_iter=1, alpha=0, random_state=0)
    reg0._check_params()
    from sklearn.utils import check_random_state
    reg0._rng = check_random_state(0)
    net = reg0._build(3, 1, "float64", [8])
    pred = net.forward(np.ascontiguousarray(X)).ravel()
    assert reg.loss_curve_[0] == pytest.approx(0.5 * np.mean((pred - y) ** 2), rel=1e-12)


@pytest.mark.parametrize("Est", [MLPClassifier, MLPRegressor])
def test_bad_input_raises(Est, blobs):
    X, y = blobs
    est = Est((4,), max_iter=5)
    with pytest.raises(NotFittedError):
        est.predict(X)
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        est.fit(bad, y)
    bad[3, 1] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        est.fit(bad, y)
    with pytest.raises(ValueError):
        est.fit(X[:0], y[:0])
    with pytest.raises(ValueError):
        est.fit(X[:, 0], y)  # 1-D X
    with pytest.raises(ValueError):
        est.fit(X, y[:10])  # inconsistent lengths
    with pytest.warns(Warning):
        est.fit(X, y)
    with pytest.raises(ValueError, match="4 features"):
        est.predict(X[:, :3])
    with pytest.raises(ValueError):
        est.set_params(hidden_layer_sizes=(0,)).fit(X, y)
    with pytest.raises(ValueError, match="lbfgs"):
        Est(solver="lbfgs").fit(X, y)


def test_classifier_refuses_continuous_targets(blobs):
    X, _ = blobs
    with pytest.raises(ValueError, match="Unknown label type"):
        MLPClassifier().fit(X, np.linspace(0, 1, 150))


def test_read_only_and_fortran_input(blobs):
    X, y = blobs
    ro = np.asarray(X, dtype=np.float32)
    ro.setflags(write=False)
    clf = MLPClassifier((4,), max_iter=20, random_state=0).fit(ro, y)
    f = np.asfortranarray(ro)
    assert np.array_equal(clf.predict_proba(f), clf.predict_proba(ro))


def test_native_side_borrows_and_never_converts(blobs):
    """The Rust half reads NumPy's buffer in place: it accepts only a
    C-contiguous array of the network's dtype (what the estimators' validation
    hands over unchanged when X already is one) and refuses anything it would
    have to copy or convert."""
    from sklearn.utils.validation import check_array
    X, y = blobs
    X = np.ascontiguousarray(X, dtype=np.float32)
    assert check_array(X, dtype=[np.float64, np.float32], order="C") is X
    clf = MLPClassifier((4,), max_iter=5, random_state=0)
    with pytest.warns(Warning):
        clf.fit(X, y)
    out = clf.net_.forward(X)
    assert out.dtype == np.float32 and out.shape == (150, 3) and out.flags.c_contiguous
    with pytest.raises(ValueError, match="C-contiguous"):
        clf.net_.forward(np.asfortranarray(X))
    with pytest.raises(TypeError, match="f32"):
        clf.net_.forward(X.astype(np.float64))
