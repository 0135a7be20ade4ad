//! MaxPool2d, AvgPool2d, BatchNorm2d and Dropout2d through model files and
//! checkpoints: the configuration alone rebuilds each (PyTorch's argument
//! names), BatchNorm2d's tensors are PyTorch's (`weight`, `bias`,
//! `running_mean`, `running_var` `[C]`, `num_batches_tracked` int64 `[]`),
//! values and Dropout2d's random stream round-trip exactly, and a
//! configuration that does not fit its input is refused naming the layer.

use backprop_io::{
    Architecture, TrainingState, model_to_bytes, read_checkpoint, read_model, write_checkpoint,
};
use backprop_layers::{Config, Layer, Mode, Sequential, Shape, Value};
use backprop_optim::{Adam, Optimizer};
use backprop_tensor::{DMatrix, Parameters, Scalar};
use safetensors::SafeTensors;
use safetensors::tensor::Dtype;

/// Every layer of the family, trained a little so that every tensor and the
/// dropout stream are non-trivial.
fn model<T: Scalar>() -> Sequential<T> {
    let mut net = Sequential::<T>::builder([2, 9, 8])
        .seed(5)
        .max_pool2d((3, 2))
        .stride((2, 1))
        .padding((1, 0))
        .batch_norm2d()
        .relu()
        .dropout2d(0.3)
        .avg_pool2d(2)
        .padding(1)
        .flatten()
        .dense(3)
        .build()
        .unwrap();
    let x = DMatrix::from_fn(144, 6, |i, j| T::of(((i * 6 + j) as f64 * 0.37).sin()));
    let mut adam = Adam::new();
    for _ in 0..3 {
        net.forward(&x, Mode::Train).unwrap();
        net.zero_grad();
        net.backward(&x, &DMatrix::from_element(3, 6, T::of(0.1)))
            .unwrap();
        adam.step(0.01, &mut net).unwrap();
    }
    net
}

/// Every parameter and buffer, as raw bits.
fn bits<T: Scalar>(net: &Sequential<T>) -> Vec<(String, Vec<u64>)> {
    let raw = |m: &DMatrix<T>| m.iter().map(|v| v.as_f64().to_bits()).collect();
    let mut out = Vec::new();
    net.visit_params(&mut |p| out.push((p.name().to_string(), raw(&p.value))));
    net.visit_buffers(&mut |n, b| out.push((n.to_string(), raw(b))));
    out
}

fn round_trip<T: Scalar>() {
    let mut net = model::<T>();
    assert_eq!(net.shapes()[0], Shape::new([2, 5, 7]));
    assert_eq!(net.shapes()[4], Shape::new([2, 3, 4]));
    let bytes = model_to_bytes(&net).unwrap();
    let mut back: Sequential<T> = read_model(&bytes).unwrap();
    let kinds: Vec<&str> = back.layers().iter().map(|l| l.kind()).collect();
    assert_eq!(
        kinds[..5],
        [
            "max_pool2d",
            "batch_norm2d",
            "activation",
            "dropout2d",
            "avg_pool2d"
        ]
    );
    assert_eq!(bits(&back), bits(&net));
    assert_eq!(Layer::config(&back), Layer::config(&net));
    let x = DMatrix::from_fn(144, 4, |i, j| T::of((i + 2 * j) as f64 * 0.01));
    assert_eq!(
        net.forward(&x, Mode::Eval).unwrap().clone(),
        back.forward(&x, Mode::Eval).unwrap().clone()
    );

    // PyTorch's state dict: BatchNorm2d's five tensors, nothing for the others.
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let mut names = st.names();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "1.bias",
            "1.num_batches_tracked",
            "1.running_mean",
            "1.running_var",
            "1.weight",
            "6.bias",
            "6.weight"
        ]
    );
    assert_eq!(st.tensor("1.running_var").unwrap().shape(), &[2]);
    let count = st.tensor("1.num_batches_tracked").unwrap();
    assert_eq!((count.dtype(), count.shape()), (Dtype::I64, &[][..]));
    assert_eq!(i64::from_le_bytes(count.data().try_into().unwrap()), 3);
}

#[test]
fn f32_models_round_trip_exactly() {
    round_trip::<f32>();
}

#[test]
fn f64_models_round_trip_exactly() {
    round_trip::<f64>();
}

#[test]
fn configurations_use_pytorchs_names() {
    let net = model::<f32>();
    let list = |v: [u64; 2]| Value::List(v.iter().map(|&n| Value::UInt(n)).collect());
    let pool = net.layers()[0].config().unwrap();
    assert_eq!(pool.get("kernel_size"), Some(&list([3, 2])));
    assert_eq!(pool.get("stride"), Some(&list([2, 1])));
    assert_eq!(pool.get("padding"), Some(&list([1, 0])));
    let bn = net.layers()[1].config().unwrap();
    assert_eq!(bn.get("features"), Some(&Value::UInt(2)));
    assert_eq!(bn.get("momentum"), Some(&Value::Float(0.1)));
    assert_eq!(
        net.layers()[3].config().unwrap().get("p"),
        Some(&Value::Float(0.3))
    );
    // The architecture alone plans every tensor and rebuilds the shapes.
    let arch = Architecture::of(&net).unwrap();
    let plan = arch.plan(&backprop_layers::registry()).unwrap();
    assert_eq!(plan.output, Shape::flat(3));
    assert_eq!(plan.tensors.len(), 7);
    let rebuilt: Sequential<f64> = arch.build(0).unwrap();
    assert_eq!(rebuilt.shapes(), net.shapes());
}

#[test]
fn dropout2d_resumes_from_a_checkpoint_bit_exactly() {
    let mut net = model::<f64>();
    let adam = Adam::<f64>::new();
    let state = TrainingState {
        epoch: 1,
        seed: 5,
        optimizer: adam.state(),
        config: serde_json::json!({}),
        history: serde_json::json!([]),
        data: serde_json::json!(null),
    };
    let mut bytes = Vec::new();
    write_checkpoint(&net, &state, &mut bytes).unwrap();
    let mut back = read_checkpoint::<f64>(&bytes).unwrap().model;
    assert_eq!(back.layers()[3].rng_state(), net.layers()[3].rng_state());
    assert_eq!(net.layers()[3].rng_state().map(|s| s.1), Some(3));
    // The next training pass draws the same channel mask in both.
    let x = DMatrix::from_fn(144, 6, |i, j| ((i + j) as f64 * 0.3).cos());
    let a = net.forward(&x, Mode::Train).unwrap().clone();
    assert_eq!(&a, back.forward(&x, Mode::Train).unwrap());
}

#[test]
fn configurations_that_do_not_fit_are_refused_naming_the_layer() {
    let plan = |kind: &str, config: Config| {
        Architecture::sequential([3, 4, 4], vec![(kind, config)])
            .plan(&backprop_layers::registry())
            .map(|p| p.output)
            .map_err(|e| e.to_string())
    };
    let pool = |k: usize| Config::new().with("kernel_size", vec![k, k]);
    assert_eq!(plan("max_pool2d", pool(2)), Ok(Shape::new([3, 2, 2])));
    assert_eq!(
        plan("avg_pool2d", pool(3).with("stride", 1usize)),
        Ok(Shape::new([3, 2, 2]))
    );
    let e = plan("max_pool2d", pool(5)).unwrap_err();
    assert!(
        e.contains("layer 0") && e.contains("larger than the padded input 4×4"),
        "{e}"
    );
    let e = plan("avg_pool2d", pool(2).with("padding", vec![2usize, 0])).unwrap_err();
    assert!(e.contains("at most half the kernel"), "{e}");
    let e = plan("max_pool2d", pool(2).with("stride", vec![0usize, 0])).unwrap_err();
    assert!(e.contains("stride must be positive"), "{e}");
    let e = plan("max_pool2d", pool(2).with("dilation", 1usize)).unwrap_err();
    assert!(e.contains("unknown setting \"dilation\""), "{e}");
    let e = plan("max_pool2d", Config::new()).unwrap_err();
    assert!(e.contains("no \"kernel_size\""), "{e}");
    let bn = |c: usize| {
        Config::new()
            .with("features", c)
            .with("eps", 1e-5)
            .with("momentum", 0.1)
    };
    assert!(plan("batch_norm2d", bn(3)).is_ok());
    let e = plan("batch_norm2d", bn(4)).unwrap_err();
    assert!(
        e.contains("expected samples of shape (4, height, width), found (3, 4, 4)"),
        "{e}"
    );
    let e = plan("batch_norm2d", bn(3).with("eps", -1.0)).unwrap_err();
    assert!(e.contains("eps must be positive"), "{e}");
    let e = plan("dropout2d", Config::new().with("p", 1.0)).unwrap_err();
    assert!(e.contains("[0, 1)"), "{e}");
    let flat = Architecture::sequential(48, vec![("dropout2d", Config::new().with("p", 0.5))]);
    let e = flat
        .plan(&backprop_layers::registry())
        .unwrap_err()
        .to_string();
    assert!(e.contains("(channels, height, width), found (48)"), "{e}");
}
