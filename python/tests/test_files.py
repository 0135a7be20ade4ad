"""save/load in backprop's model file, read by backprop-io and by
safetensors (PyTorch's reader), and pickling."""

import pickle

import numpy as np
import pytest

from backprop import MLPClassifier, MLPRegressor, Net


@pytest.fixture
def fitted(blobs):
    X, y = blobs
    names = np.array(["a", "b", "c"])[y]
    return MLPClassifier((8, 5), max_iter=50, random_state=0).fit(X.astype(np.float32), names), X.astype(np.float32)


def test_save_load_round_trip(fitted, tmp_path):
    clf, X = fitted
    path = tmp_path / "clf.safetensors"
    clf.save(path)
    back = MLPClassifier.load(path)
    assert back.classes_.tolist() == ["a", "b", "c"]
    assert back.hidden_layer_sizes == (8, 5) and back.max_iter == 50
    assert back.n_features_in_ == 4
    assert np.array_equal(back.predict_proba(X), clf.predict_proba(X))
    assert np.array_equal(back.predict(X), clf.predict(X))


def test_backprop_io_reads_the_file_as_a_model(fitted, tmp_path):
    clf, X = fitted
    path = tmp_path / "clf.safetensors"
    clf.save(path)
    # Net.load is backprop_io::load_model's reader on the raw file.
    net = Net.load(str(path), "float32")
    assert net.input_size == 4 and net.output_size == 3
    assert net.class_names() == ["a", "b", "c"]
    assert "dense" in net.summary()
    assert np.array_equal(net.forward(X), clf.net_.forward(X))


def test_safetensors_reads_pytorch_layout(fitted, tmp_path):
    import safetensors.numpy as safetensors_numpy
    clf, X = fitted
    path = tmp_path / "clf.safetensors"
    clf.save(path)
    t = safetensors_numpy.load_file(str(path))
    # nn.Sequential(Linear(4,8), ReLU(), Linear(8,5), ReLU(), Linear(5,3)).
    assert sorted(t) == ["0.bias", "0.weight", "2.bias", "2.weight", "4.bias", "4.weight"]
    assert t["0.weight"].shape == (8, 4) and t["4.weight"].shape == (3, 5)
    h = np.maximum(X @ t["0.weight"].T + t["0.bias"], 0)
    h = np.maximum(h @ t["2.weight"].T + t["2.bias"], 0)
    logits = h @ t["4.weight"].T + t["4.bias"]
    np.testing.assert_allclose(logits, clf.net_.forward(X), rtol=1e-5, atol=1e-5)


def test_pickle_round_trip(fitted):
    clf, X = fitted
    back = pickle.loads(pickle.dumps(clf))
    assert np.array_equal(back.predict_proba(X), clf.predict_proba(X))
    assert back.loss_curve_ == clf.loss_curve_
    # Training goes on after unpickling.
    back.partial_fit(X, clf.predict(X))
    assert back.n_iter_ == clf.n_iter_ + 1


def test_regressor_save_load(regression, tmp_path):
    X, y = regression
    reg = MLPRegressor((8,), max_iter=30, random_state=0).fit(X, y)
    reg.save(tmp_path / "r.safetensors")
    back = MLPRegressor.load(tmp_path / "r.safetensors", dtype="float64")
    assert np.array_equal(back.predict(X), reg.predict(X))
    assert back.predict(X).ndim == 1


def test_load_errors(tmp_path):
    with pytest.raises(OSError):
        MLPClassifier.load(tmp_path / "missing.safetensors")
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a model")
    with pytest.raises(ValueError):
        MLPClassifier.load(bad)


def test_onnx_export_runs_in_onnxruntime(fitted, tmp_path):
    import onnxruntime as ort
    clf, X = fitted
    path = tmp_path / "clf.onnx"
    clf.export_onnx(path)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (logits,) = sess.run(None, {sess.get_inputs()[0].name: X})
    np.testing.assert_allclose(logits, clf.net_.forward(X), rtol=1e-5, atol=1e-5)


def test_onnx_export_of_a_cnn(tmp_path):
    import onnxruntime as ort
    from backprop import Sequential, layers as L
    net = Sequential((1, 8, 8), [L.Conv2d(3, 3, padding=1), L.ReLU(), L.MaxPool2d(2),
                                 L.Flatten(), L.Dense(4)], seed=1)
    X = np.random.RandomState(0).normal(size=(5, 1, 8, 8)).astype(np.float32)
    path = tmp_path / "cnn.onnx"
    net.export_onnx(path)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (out,) = sess.run(None, {sess.get_inputs()[0].name: X})
    np.testing.assert_allclose(out.reshape(5, -1), net.forward(X), rtol=1e-5, atol=1e-5)
