//! Model files under the open layer contract: nested networks, image input
//! shapes, model information, version 1 files and checkpoints, and layers
//! that cannot be saved.

use backprop_io::{
    Architecture, IoError, MODEL_KEY, TrainingState, inspect, load_checkpoint, load_model,
    model_to_bytes, read_checkpoint, read_model, save_checkpoint, write_checkpoint,
};
use backprop_layers::{Layer, LayerError, Mode, Model, OutputKind, Preprocess, Sequential, Shape};
use backprop_optim::{Adam, Optimizer};
use backprop_tensor::{DMatrix, Scalar};
use safetensors::SafeTensors;
use std::collections::HashMap;

fn nested() -> Sequential<f64> {
    let inner = Sequential::<f64>::builder(8)
        .seed(5)
        .dense(6)
        .tanh()
        .dropout(0.3)
        .build()
        .unwrap();
    Sequential::builder([2, 2, 2])
        .seed(9)
        .flatten()
        .layer(inner)
        .batch_norm()
        .dense(3)
        .build()
        .unwrap()
}

fn params(net: &Sequential<f64>) -> Vec<(String, Vec<u64>)> {
    let mut out = Vec::new();
    net.visit_params(&mut |p| {
        out.push((
            p.name().to_string(),
            p.value.iter().map(|v| v.to_bits()).collect(),
        ))
    });
    out
}

#[test]
fn a_nested_network_with_image_input_saves_and_loads() {
    let mut net = nested();
    let names: Vec<String> = params(&net).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "1.0.weight",
            "1.0.bias",
            "2.weight",
            "2.bias",
            "3.weight",
            "3.bias"
        ]
    );
    let bytes = model_to_bytes(&net).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    assert_eq!(st.tensor("1.0.weight").unwrap().shape(), &[6, 8]);
    assert_eq!(st.tensor("2.running_var").unwrap().shape(), &[6]);
    let mut back: Sequential<f64> = read_model(&bytes).unwrap();
    assert_eq!(params(&back), params(&net));
    assert_eq!(back.input_shape(), &Shape::new([2, 2, 2]));
    assert_eq!(
        Architecture::of(&back).unwrap(),
        Architecture::of(&net).unwrap()
    );
    let x = DMatrix::from_fn(8, 3, |i, j| (i as f64 - 2.0 * j as f64) * 0.2);
    let a = net.forward(&x, Mode::Eval).unwrap().clone();
    assert_eq!(&a, back.forward(&x, Mode::Eval).unwrap());
    assert!(
        Architecture::of(&net)
            .unwrap()
            .to_string()
            .starts_with("(2, 2, 2) → flatten → [ → dense(6)"),
        "{}",
        Architecture::of(&net).unwrap()
    );
}

#[test]
fn model_information_travels_with_the_file() {
    let mut net = Sequential::<f32>::builder(3).dense(2).build().unwrap();
    {
        let info = net.info_mut();
        info.preprocess = Preprocess::Standardize {
            offset: vec![1.0, 2.0, 3.0],
            scale: vec![0.5, 1.0, 2.0],
        };
        info.class_names = Some(vec!["setosa".into(), "virginica".into()]);
        info.metadata.insert("dataset".into(), "iris".into());
    }
    let dir = std::env::temp_dir().join(format!("backprop-io-contract-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("m.safetensors");
    backprop_io::save_model(&net, &path).unwrap();
    let back: Sequential<f32> = load_model(&path).unwrap();
    assert_eq!(back.info(), net.info());
    assert_eq!(inspect(&path).unwrap().info.as_ref(), Some(net.info()));
    // The raw sample is standardised the same way on both sides.
    let (mut a, mut b) = (net, back);
    let sample = [2.0, 2.0, 1.0];
    assert_eq!(
        a.predict_proba_raw(&sample).unwrap(),
        b.predict_proba_raw(&sample).unwrap()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_model_information_is_a_typed_error() {
    let mut net = Sequential::<f32>::builder(2).dense(3).build().unwrap();
    net.info_mut().class_names = Some(vec!["a".into(), "b".into()]);
    let bytes = model_to_bytes(&net).unwrap();
    let e = read_model::<f32>(&bytes).unwrap_err();
    assert!(
        matches!(e, IoError::Metadata { .. }) && e.to_string().contains("2 class names"),
        "{e}"
    );
    net.info_mut().class_names = None;
    net.info_mut().preprocess = Preprocess::Pixels {
        mean: 0.1,
        std: 0.0,
    };
    let e = read_model::<f32>(&model_to_bytes(&net).unwrap()).unwrap_err();
    assert!(e.to_string().contains("positive std"), "{e}");
}

/// Rewrites a file's model description as format version 1 (a flat layer
/// list and an input size), as files written before the layer contract.
fn as_version_1(bytes: &[u8], checkpoint_rng_by_index: bool) -> Vec<u8> {
    let st = SafeTensors::deserialize(bytes).unwrap();
    let (_, meta) = SafeTensors::read_metadata(bytes).unwrap();
    let mut meta: HashMap<String, String> = meta.metadata().clone().unwrap();
    let v2: serde_json::Value = serde_json::from_str(&meta[MODEL_KEY]).unwrap();
    let v1 = serde_json::json!({
        "format": "backprop.model",
        "format_version": 1,
        "dtype": v2["dtype"],
        "input_size": v2["input_shape"][0],
        "layers": v2["model"]["layers"],
    });
    meta.insert(MODEL_KEY.into(), v1.to_string());
    // Version 1 files had no checksum.
    meta.remove(backprop_io::CHECKSUM_KEY);
    if checkpoint_rng_by_index {
        let key = backprop_io::CHECKPOINT_KEY;
        let mut ck: serde_json::Value = serde_json::from_str(&meta[key]).unwrap();
        ck["format_version"] = 1.into();
        let fields = ck.as_object_mut().unwrap();
        fields.remove("history");
        fields.remove("data");
        for r in ck["rng"].as_array_mut().unwrap() {
            let path: usize = r["path"].as_str().unwrap().parse().unwrap();
            r.as_object_mut().unwrap().remove("path");
            r["layer"] = path.into();
        }
        meta.insert(key.into(), ck.to_string());
    }
    let views: Vec<(String, safetensors::tensor::TensorView<'_>)> =
        st.tensors().into_iter().collect();
    safetensors::serialize(views, Some(meta)).unwrap()
}

#[test]
fn version_1_models_and_checkpoints_still_load() {
    let mut net = Sequential::<f32>::builder(4)
        .seed(2)
        .dense(5)
        .relu()
        .dropout(0.5)
        .dense(3)
        .build()
        .unwrap();
    let x = DMatrix::from_element(4, 2, 0.5f32);
    net.forward(&x, Mode::Train).unwrap();
    let old = as_version_1(&model_to_bytes(&net).unwrap(), false);
    let back: Sequential<f32> = read_model(&old).unwrap();
    assert_eq!(back.info().output, OutputKind::Logits);
    assert_eq!(
        Architecture::of(&back).unwrap(),
        Architecture::of(&net).unwrap()
    );

    let mut adam = Adam::new();
    net.visit_params_mut(&mut |p| p.grad.fill(0.25));
    adam.step(0.01, &mut net).unwrap();
    let state = TrainingState {
        epoch: 3,
        seed: 1,
        optimizer: adam.state(),
        config: serde_json::json!({}),
        history: serde_json::Value::Null,
        data: serde_json::Value::Null,
    };
    let mut bytes = Vec::new();
    write_checkpoint(&net, &state, &mut bytes).unwrap();
    let old = as_version_1(&bytes, true);
    let ck = read_checkpoint::<f32>(&old).unwrap();
    assert_eq!(ck.state, state);
    assert_eq!(
        ck.model.layers()[2].rng_state(),
        net.layers()[2].rng_state()
    );
}

#[test]
fn version_2_checkpoints_load_with_no_history_or_data() {
    let mut net = Sequential::<f64>::builder(3)
        .seed(4)
        .dense(2)
        .build()
        .unwrap();
    let mut adam = Adam::new();
    net.visit_params_mut(&mut |p| p.grad.fill(0.5));
    adam.step(0.01, &mut net).unwrap();
    let state = TrainingState {
        epoch: 2,
        seed: 9,
        optimizer: adam.state(),
        config: serde_json::json!({"lr": 0.01}),
        history: serde_json::json!([{"epoch": 1}, {"epoch": 2}]),
        data: serde_json::json!({"train": "a.csv"}),
    };
    let mut bytes = Vec::new();
    write_checkpoint(&net, &state, &mut bytes).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let (_, meta) = SafeTensors::read_metadata(&bytes).unwrap();
    let mut meta: HashMap<String, String> = meta.metadata().clone().unwrap();
    let key = backprop_io::CHECKPOINT_KEY;
    let mut ck: serde_json::Value = serde_json::from_str(&meta[key]).unwrap();
    assert_eq!(ck["format_version"], 3);
    assert_eq!(ck["history"], state.history);
    ck["format_version"] = 2.into();
    let fields = ck.as_object_mut().unwrap();
    fields.remove("history");
    fields.remove("data");
    meta.insert(key.into(), ck.to_string());
    meta.remove(backprop_io::CHECKSUM_KEY);
    let views: Vec<(String, safetensors::tensor::TensorView<'_>)> =
        st.tensors().into_iter().collect();
    let old = safetensors::serialize(views, Some(meta)).unwrap();
    let back = read_checkpoint::<f64>(&old).unwrap();
    assert_eq!(back.state.history, serde_json::Value::Null);
    assert_eq!(back.state.data, serde_json::Value::Null);
    assert_eq!(back.state.epoch, 2);
    assert_eq!(back.state.optimizer, state.optimizer);
}

#[test]
fn nested_dropout_streams_resume_from_a_checkpoint() {
    let mut net = nested();
    let x = DMatrix::from_element(8, 4, 1.0);
    for _ in 0..3 {
        net.forward(&x, Mode::Train).unwrap();
    }
    let dropout = |n: &Sequential<f64>| n.layers()[1].children()[2].rng_state();
    assert_eq!(dropout(&net).map(|s| s.1), Some(3));
    let dir = std::env::temp_dir().join(format!("backprop-io-nested-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("c.safetensors");
    let state = TrainingState {
        epoch: 1,
        seed: 0,
        optimizer: Adam::<f64>::new().state(),
        config: serde_json::Value::Null,
        history: serde_json::Value::Null,
        data: serde_json::Value::Null,
    };
    save_checkpoint(&path, &net, &state).unwrap();
    let mut back = load_checkpoint::<f64>(&path).unwrap().model;
    assert_eq!(dropout(&back), dropout(&net));
    assert_eq!(
        net.forward(&x, Mode::Train).unwrap().clone(),
        back.forward(&x, Mode::Train).unwrap().clone()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A layer with no configuration: it trains, but cannot be saved.
#[derive(Debug)]
struct Opaque;

impl<T: Scalar> Layer<T> for Opaque {
    fn forward(&mut self, x: &DMatrix<T>, y: &mut DMatrix<T>, _: Mode) -> Result<(), LayerError> {
        y.clone_from(x);
        Ok(())
    }
    fn backward(
        &mut self,
        _: &DMatrix<T>,
        _: &DMatrix<T>,
        dy: &DMatrix<T>,
        dx: Option<&mut DMatrix<T>>,
    ) -> Result<(), LayerError> {
        if let Some(dx) = dx {
            dx.clone_from(dy);
        }
        Ok(())
    }
    fn name(&self) -> &str {
        "opaque"
    }
}

#[test]
fn a_layer_without_configuration_or_registration_is_named_in_the_error() {
    let inner = Sequential::<f32>::builder(2).layer(Opaque).build().unwrap();
    let net = Sequential::<f32>::builder(2)
        .dense(2)
        .layer(inner)
        .build()
        .unwrap();
    let e = model_to_bytes(&net).unwrap_err();
    assert!(
        e.to_string()
            .contains("layer 1.0 (opaque) has no configuration"),
        "{e}"
    );
    // A kind in a file that nobody registered.
    let ok = Sequential::<f32>::builder(2).dense(2).build().unwrap();
    let bytes = model_to_bytes(&ok).unwrap();
    let (_, meta) = SafeTensors::read_metadata(&bytes).unwrap();
    let json = meta.metadata().as_ref().unwrap()[MODEL_KEY].replace("\"dense\"", "\"conv9d\"");
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let views: Vec<_> = st.tensors().into_iter().collect();
    let edited =
        safetensors::serialize(views, Some(HashMap::from([(MODEL_KEY.to_string(), json)])))
            .unwrap();
    let e = read_model::<f32>(&edited).unwrap_err();
    assert!(
        matches!(e, IoError::Metadata { .. })
            && e.to_string().contains("unknown layer kind \"conv9d\""),
        "{e}"
    );
}

#[test]
fn models_are_any_model_not_only_sequential() {
    // The trait object is what callbacks see.
    let net = Sequential::<f32>::builder(3).dense(2).build().unwrap();
    let m: &dyn Model<f32> = &net;
    assert_eq!(model_to_bytes(m).unwrap(), model_to_bytes(&net).unwrap());
    assert_eq!(m.num_params(), 8);
}
