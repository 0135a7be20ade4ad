//! Export → import gives the same network: bit-identical weights (every
//! parameter and running statistic, in order) and identical predictions,
//! for the tutorial's MLP, a network with every activation, BatchNorm1d
//! and Dropout, and LeNet-5 with Conv, MaxPool, AvgPool, BatchNorm2d and
//! Flatten; an f64 model exports as f32.

use backprop_layers::{ActivationKind, Layer, LeNet5, Mode, OutputKind, Preprocess, Sequential};
use backprop_onnx::{
    ExportOptions, OPSET, OPSET_GELU, export, export_bytes, import, import_as, import_bytes,
};
use backprop_tensor::{DMatrix, Scalar};
use rand::{Rng, SeedableRng, rngs::StdRng};

/// Every parameter and buffer (running statistics) in visiting order.
fn values<T: Scalar>(net: &Sequential<T>) -> Vec<Vec<T>> {
    let mut out = Vec::new();
    net.visit_params(&mut |p| out.push(p.value.as_slice().to_vec()));
    Layer::visit_buffers(net, &mut |name, m| {
        if !name.ends_with("num_batches_tracked") {
            out.push(m.as_slice().to_vec());
        }
    });
    out
}

fn batch<T: Scalar>(rows: usize, cols: usize, seed: u64) -> DMatrix<T> {
    let mut rng = StdRng::seed_from_u64(seed);
    DMatrix::from_fn(rows, cols, |_, _| T::of(rng.random_range(-2.0..2.0)))
}

/// Perturbs every parameter and buffer, so that BatchNorm's statistics and
/// biases are not their initial zeros and ones.
fn perturb<T: Scalar>(net: &mut Sequential<T>, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    net.visit_params_mut(&mut |p| {
        p.value
            .iter_mut()
            .for_each(|v| *v += T::of(rng.random_range(-0.1..0.1)))
    });
    Layer::visit_buffers_mut(net, &mut |name, m| {
        if !name.ends_with("num_batches_tracked") {
            m.iter_mut()
                .for_each(|v| *v = T::of(rng.random_range(0.5..1.5)));
        }
    });
}

/// Round-trips `net` and checks weights, shapes, information and outputs.
fn check_round_trip(mut net: Sequential<f32>, opset: i64) -> Sequential<f32> {
    let bytes = export_bytes(&net, &ExportOptions::default()).unwrap();
    let mut back = import_bytes(&bytes).unwrap();
    assert_eq!(back.opset, opset);
    assert_eq!(
        (back.input_name.as_str(), back.output_name.as_str()),
        ("input", "output")
    );
    assert!(back.producer.starts_with("backprop "), "{}", back.producer);
    assert_eq!(back.model.input_shape(), net.input_shape());
    assert_eq!(back.model.output_shape(), Sequential::output_shape(&net));
    assert_eq!(back.model.info(), net.info());
    let (a, b) = (values(&net), values(&back.model));
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.len(), y.len());
        assert!(
            x.iter().zip(y).all(|(p, q)| p.to_bits() == q.to_bits()),
            "weights differ"
        );
    }
    let x = batch::<f32>(net.input_size(), 37, 5);
    let want = net.forward(&x, Mode::Eval).unwrap().clone();
    let got = back.model.forward(&x, Mode::Eval).unwrap();
    assert_eq!(&want, got, "predictions differ");
    back.model
}

#[test]
fn the_tutorial_mlp_round_trips_bit_for_bit() {
    let mut net = Sequential::<f32>::builder(784)
        .seed(3)
        .dense(128)
        .relu()
        .dense(64)
        .relu()
        .dense(10)
        .build()
        .unwrap();
    net.info_mut().preprocess = Preprocess::Pixels {
        mean: 0.1307,
        std: 0.3081,
    };
    net.info_mut().class_names = Some((0..10).map(|d| format!("digit {d}")).collect());
    net.info_mut()
        .metadata
        .insert("dataset".into(), "mnist".into());
    let back = check_round_trip(net, OPSET);
    let kinds: Vec<&str> = back.layers().iter().map(|l| l.name()).collect();
    assert_eq!(kinds, ["dense", "relu", "dense", "relu", "dense"]);
}

#[test]
fn every_activation_batchnorm1d_and_dropout_round_trip() {
    let mut net = Sequential::<f32>::builder(12)
        .seed(9)
        .dense(16)
        .batch_norm()
        .relu()
        .dense(16)
        .activation(ActivationKind::LeakyRelu(0.2))
        .dropout(0.25)
        .dense(16)
        .sigmoid()
        .dense(16)
        .tanh()
        .dense(16)
        .activation(ActivationKind::Elu(0.7))
        .dense(16)
        .activation(ActivationKind::Softplus)
        .dense(16)
        .activation(ActivationKind::Gelu)
        .dense(16)
        .activation(ActivationKind::Identity)
        .dense(5)
        .softmax()
        .build()
        .unwrap();
    perturb(&mut net, 1);
    assert_eq!(net.info().output, OutputKind::Probabilities);
    let back = check_round_trip(net, OPSET_GELU);
    let names: Vec<&str> = back.layers().iter().map(|l| l.name()).collect();
    assert_eq!(
        names,
        [
            "dense",
            "batch_norm1d",
            "relu",
            "dense",
            "leaky_relu",
            "dropout",
            "dense",
            "sigmoid",
            "dense",
            "tanh",
            "dense",
            "elu",
            "dense",
            "softplus",
            "dense",
            "gelu",
            "dense",
            "identity",
            "dense",
            "softmax"
        ]
    );
}

/// LeNet-5 with a BatchNorm2d, an average pooling with padding and a
/// dropout2d, so that every image layer is exported; its classifier is
/// [`LeNet5::head`].
fn lenet5<T: Scalar>(seed: u64) -> Sequential<T> {
    let convolutions = Sequential::<T>::builder([1, 28, 28])
        .seed(seed)
        .conv2d(6, 5)
        .padding(2)
        .batch_norm2d()
        .relu()
        .max_pool2d(2)
        .conv2d(16, 5)
        .stride(1)
        .dilation(1)
        .relu()
        .dropout2d(0.1)
        .avg_pool2d(3)
        .stride(2)
        .padding(1);
    LeNet5::default().head(convolutions).build().unwrap()
}

#[test]
fn lenet5_with_every_image_layer_round_trips() {
    let mut net = lenet5::<f32>(4);
    perturb(&mut net, 2);
    net.info_mut().preprocess = Preprocess::UNIT_PIXELS;
    let back = check_round_trip(net, OPSET);
    let names: Vec<&str> = back.layers().iter().map(|l| l.kind()).collect();
    assert_eq!(
        names,
        [
            "conv2d",
            "batch_norm2d",
            "activation",
            "max_pool2d",
            "conv2d",
            "activation",
            "dropout",
            "avg_pool2d",
            "flatten",
            "dense",
            "activation",
            "dense",
            "activation",
            "dense"
        ]
    );
    assert_eq!(back.input_shape().dims(), &[1, 28, 28]);
}

#[test]
fn nested_networks_are_flattened_into_the_chain() {
    let inner = Sequential::<f32>::builder(8)
        .seed(1)
        .dense(6)
        .tanh()
        .build()
        .unwrap();
    let mut net = Sequential::<f32>::builder(5)
        .seed(2)
        .dense(8)
        .relu()
        .layer(inner)
        .dense(3)
        .build()
        .unwrap();
    let bytes = export_bytes(&net, &ExportOptions::default()).unwrap();
    let mut back = import_bytes(&bytes).unwrap();
    let kinds: Vec<&str> = back.model.layers().iter().map(|l| l.name()).collect();
    assert_eq!(kinds, ["dense", "relu", "dense", "tanh", "dense"]);
    assert_eq!(values(&net), values(&back.model));
    let x = batch::<f32>(5, 4, 9);
    assert_eq!(
        net.forward(&x, Mode::Eval).unwrap().clone(),
        *back.model.forward(&x, Mode::Eval).unwrap()
    );
}

#[test]
fn an_f64_model_exports_as_f32_values() {
    let mut net = lenet5::<f64>(6);
    perturb(&mut net, 3);
    let bytes = export_bytes(&net, &ExportOptions::default()).unwrap();
    // Read as f64: every value is the f64 model's rounded to f32.
    let mut back = import_as_bytes_f64(&bytes);
    for (x, y) in values(&net).iter().zip(&values(&back)) {
        assert!(
            x.iter().zip(y).all(|(&a, &b)| (a as f32) as f64 == b),
            "not the f32 rounding"
        );
    }
    let x = batch::<f64>(784, 8, 4);
    let want = net.forward(&x, Mode::Eval).unwrap().clone();
    let got = back.forward(&x, Mode::Eval).unwrap();
    let diff = want
        .iter()
        .zip(got.iter())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(diff < 1e-4 && diff > 0.0, "max difference {diff}");
}

fn import_as_bytes_f64(bytes: &[u8]) -> Sequential<f64> {
    backprop_onnx::import_bytes_as::<f64>(bytes)
        .unwrap()
        .into_model()
}

#[test]
fn files_are_written_and_read() {
    let dir = std::env::temp_dir().join(format!("backprop-onnx-rt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("mlp.onnx");
    let net = Sequential::<f32>::builder(4)
        .seed(1)
        .dense(3)
        .relu()
        .dense(2)
        .build()
        .unwrap();
    let options = ExportOptions::default()
        .with_names("x", "y")
        .with_doc_string("a test");
    export(&net, &path, &options).unwrap();
    let back = import(&path).unwrap();
    assert_eq!(
        (back.input_name.as_str(), back.output_name.as_str()),
        ("x", "y")
    );
    assert_eq!(values(&net), values(&back.model));
    let f64_back = import_as::<f64>(&path).unwrap();
    assert_eq!(
        backprop_tensor::Parameters::num_params(&f64_back.model),
        4 * 3 + 3 + 3 * 2 + 2
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
