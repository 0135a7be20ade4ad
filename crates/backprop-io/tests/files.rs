//! Model files and checkpoints: exact round trips, PyTorch layout, atomic
//! writes under injected failures, and typed errors (never panics) for bad
//! files.

use backprop_activations::ActivationKind;
use backprop_io::{
    Architecture, IoError, MODEL_KEY, TrainingState, inspect, load_checkpoint, load_model,
    load_state_dict, model_to_bytes, read_checkpoint, read_model, read_state_dict, save_checkpoint,
    save_model, write_atomic, write_checkpoint, write_model,
};
use backprop_layers::{Config, Layer, Mode, Sequential};
use backprop_optim::{Adam, Optimizer};
use backprop_tensor::{DMatrix, Parameters, Scalar};
use safetensors::SafeTensors;
use safetensors::tensor::{Dtype, TensorView};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("backprop-io-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A model with every kind of layer, trained a little so that every tensor
/// (BatchNorm's running statistics and batch count included) is non-trivial.
fn full_model<T: Scalar>() -> Sequential<T> {
    let mut net = Sequential::<T>::builder(6)
        .seed(11)
        .dense(5)
        .batch_norm()
        .activation(ActivationKind::LeakyRelu(0.05))
        .dropout(0.25)
        .dense(4)
        .activation(ActivationKind::Elu(0.7))
        .dense(3)
        .softmax()
        .build()
        .unwrap();
    let x = DMatrix::from_fn(6, 8, |i, j| T::of(((i * 8 + j) as f64 * 0.37).sin()));
    let mut adam = Adam::new();
    for _ in 0..3 {
        net.forward(&x, Mode::Train).unwrap();
        net.zero_grad();
        net.backward(&x, &DMatrix::from_element(3, 8, T::of(0.1)))
            .unwrap();
        adam.step(0.01, &mut net).unwrap();
    }
    net
}

fn values<T: Scalar>(net: &Sequential<T>) -> Vec<(String, DMatrix<T>)> {
    let mut out = Vec::new();
    net.visit_params(&mut |p| out.push((p.name().to_string(), p.value.clone())));
    net.visit_buffers(&mut |n, b| out.push((n.to_string(), b.clone())));
    out
}

fn round_trip<T: Scalar>() {
    let dir = temp_dir(&format!("round-trip-{}", T::NAME));
    let path = dir.join("model.safetensors");
    let mut net = full_model::<T>();
    save_model(&net, &path).unwrap();
    let mut back: Sequential<T> = load_model(&path).unwrap();
    // Bit for bit: compare the raw bits, not just values.
    let bits = |v: Vec<(String, DMatrix<T>)>| {
        v.into_iter()
            .map(|(n, m)| {
                (
                    n,
                    m.iter().map(|x| x.as_f64().to_bits()).collect::<Vec<_>>(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(bits(values(&net)), bits(values(&back)));
    assert_eq!(Layer::config(&net), Layer::config(&back));
    let x = DMatrix::from_fn(6, 4, |i, j| T::of((i + 2 * j) as f64 * 0.1));
    assert_eq!(
        net.forward(&x, Mode::Eval).unwrap().clone(),
        back.forward(&x, Mode::Eval).unwrap().clone()
    );
    // The header says what the file is.
    let info = inspect(&path).unwrap();
    assert_eq!(info.dtype.as_deref(), Some(T::NAME));
    assert_eq!(info.architecture, Some(Architecture::of(&net).unwrap()));
    let _ = std::fs::remove_dir_all(&dir);
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
fn tensors_follow_pytorch_state_dict_layout() {
    let net = full_model::<f32>();
    let bytes = model_to_bytes(&net).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let mut names = st.names();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "0.bias",
            "0.weight",
            "1.bias",
            "1.num_batches_tracked",
            "1.running_mean",
            "1.running_var",
            "1.weight",
            "4.bias",
            "4.weight",
            "6.bias",
            "6.weight"
        ]
    );
    let w = st.tensor("0.weight").unwrap();
    assert_eq!((w.dtype(), w.shape()), (Dtype::F32, &[5, 6][..]));
    // Row-major [out, in]: element (r, c) at r·in + c.
    let dense = &net.layers()[0];
    let mut weight = DMatrix::zeros(0, 0);
    dense.visit_params(&mut |p| {
        if p.name() == "0.weight" {
            weight = p.value.clone();
        }
    });
    let at = |r: usize, c: usize| {
        let i = (r * 6 + c) * 4;
        f32::from_le_bytes(w.data()[i..i + 4].try_into().unwrap())
    };
    assert_eq!(at(1, 4), weight[(1, 4)]);
    assert_eq!(at(4, 1), weight[(4, 1)]);
    assert_eq!(st.tensor("0.bias").unwrap().shape(), &[5]);
    let n = st.tensor("1.num_batches_tracked").unwrap();
    assert_eq!((n.dtype(), n.shape()), (Dtype::I64, &[][..]));
    assert_eq!(i64::from_le_bytes(n.data().try_into().unwrap()), 3);
    // The architecture is JSON in the metadata, with a format name and version.
    let (_, meta) = SafeTensors::read_metadata(&bytes).unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&meta.metadata().as_ref().unwrap()[MODEL_KEY]).unwrap();
    assert_eq!(json["format"], "backprop.model");
    assert_eq!(json["format_version"], 2);
    assert_eq!(json["dtype"], "f32");
    assert_eq!(json["input_shape"], serde_json::json!([6]));
    assert_eq!(json["model"]["type"], "sequential");
    let layers = &json["model"]["layers"];
    assert_eq!(layers[2]["name"], "leaky_relu");
    assert_eq!(layers[2]["alpha"], 0.05);
    assert_eq!(layers[3]["p"], 0.25);
    assert_eq!(layers[1]["type"], "batch_norm1d");
    assert_eq!(json["info"]["output"], "probabilities"); // it ends in a sigmoid
    assert_eq!(json["info"]["preprocess"]["type"], "none");
}

/// Builds a safetensors file from (name, dtype, shape, bytes) and metadata.
fn file_with(tensors: Vec<RawTensor>, meta: Option<HashMap<String, String>>) -> Vec<u8> {
    let views: Vec<(String, TensorView<'_>)> = tensors
        .iter()
        .map(|(n, d, s, b)| (n.clone(), TensorView::new(*d, s.clone(), b).unwrap()))
        .collect();
    safetensors::serialize(views, meta).unwrap()
}

/// A tensor as (name, dtype, shape, little-endian bytes).
type RawTensor = (String, Dtype, Vec<usize>, Vec<u8>);

/// The tensors and metadata of a file, to be edited, without its checksum
/// (as another tool that rewrites the file leaves it), so that the checks
/// after the checksum's see the edit.
fn parts(bytes: &[u8]) -> (Vec<RawTensor>, HashMap<String, String>) {
    let st = SafeTensors::deserialize(bytes).unwrap();
    let (_, meta) = SafeTensors::read_metadata(bytes).unwrap();
    let t = st
        .iter()
        .map(|(n, v)| {
            (
                n.to_string(),
                v.dtype(),
                v.shape().to_vec(),
                v.data().to_vec(),
            )
        })
        .collect();
    let mut meta = meta.metadata().clone().unwrap_or_default();
    assert!(meta.remove(backprop_io::CHECKSUM_KEY).is_some());
    (t, meta)
}

fn mlp_bytes() -> Vec<u8> {
    let net = Sequential::<f32>::builder(4)
        .seed(2)
        .dense(3)
        .relu()
        .dense(2)
        .build()
        .unwrap();
    model_to_bytes(&net).unwrap()
}

#[test]
fn pytorch_state_dict_without_metadata_loads_with_an_architecture() {
    let (tensors, _) = parts(&mlp_bytes());
    let torch_like = file_with(tensors, None);
    // Without metadata, the architecture must be given.
    let e = read_model::<f32>(&torch_like).unwrap_err();
    assert!(matches!(e, IoError::MissingMetadata { .. }), "{e}");
    assert!(e.to_string().contains("--layers"), "{e}");
    let arch: Architecture = "4,3,2".parse().unwrap();
    let net = read_state_dict::<f32>(&torch_like, &arch).unwrap();
    let orig = read_model::<f32>(&mlp_bytes()).unwrap();
    assert_eq!(values(&net), values(&orig));
}

#[test]
fn state_dict_errors_name_the_tensor() {
    let arch: Architecture = "4,3,2".parse().unwrap();
    let (tensors, _) = parts(&mlp_bytes());

    // Missing tensor.
    let missing: Vec<_> = tensors
        .iter()
        .filter(|t| t.0 != "2.bias")
        .cloned()
        .collect();
    let e = read_state_dict::<f32>(&file_with(missing, None), &arch).unwrap_err();
    assert!(
        matches!(&e, IoError::MissingTensor { tensor, expected, .. } if tensor == "2.bias" && expected == &[2]),
        "{e}"
    );
    assert_eq!(
        e.to_string(),
        "<bytes>: tensor \"2.bias\" is missing (expected F32 of shape [2])"
    );

    // Extra tensor.
    let mut extra = tensors.clone();
    extra.push(("5.weight".into(), Dtype::F32, vec![1], vec![0; 4]));
    let e = read_state_dict::<f32>(&file_with(extra, None), &arch).unwrap_err();
    assert!(
        matches!(&e, IoError::ExtraTensor { tensor, .. } if tensor == "5.weight"),
        "{e}"
    );

    // Wrong shape: the weight transposed.
    let mut wrong = tensors.clone();
    for t in &mut wrong {
        if t.0 == "0.weight" {
            t.2 = vec![4, 3];
        }
    }
    let e = read_state_dict::<f32>(&file_with(wrong, None), &arch).unwrap_err();
    assert!(
        matches!(&e, IoError::TensorShape { tensor, expected, found, .. }
            if tensor == "0.weight" && expected == &[3, 4] && found == &[4, 3]),
        "{e}"
    );

    // Wrong dtype: f32 file into an f64 model.
    let e = read_state_dict::<f64>(&file_with(tensors.clone(), None), &arch).unwrap_err();
    assert!(
        matches!(&e, IoError::TensorDtype { tensor, expected, found, .. }
            if tensor == "0.weight" && expected == "F64" && found == "F32"),
        "{e}"
    );
    // … and with our metadata, the whole model's dtype is named.
    let e = read_model::<f64>(&mlp_bytes()).unwrap_err();
    assert!(
        matches!(&e, IoError::ModelDtype { expected, found, .. } if expected == "f64" && found == "f32"),
        "{e}"
    );

    // Wrong architecture given for a file that has our metadata.
    let other: Architecture = "4,5,2".parse().unwrap();
    let e = read_state_dict::<f32>(&mlp_bytes(), &other).unwrap_err();
    assert!(matches!(e, IoError::ArchitectureMismatch { .. }), "{e}");
    // Wrong architecture for a file without: a shape error on the first tensor.
    let e = read_state_dict::<f32>(&file_with(tensors, None), &other).unwrap_err();
    assert!(
        matches!(&e, IoError::TensorShape { tensor, .. } if tensor == "0.weight"),
        "{e}"
    );
}

#[test]
fn bad_architecture_strings_are_errors() {
    for bad in ["", "784", "784,,10", "784,0,10", "784,x,10", "-1,10"] {
        let e = bad.parse::<Architecture>().unwrap_err();
        assert!(matches!(e, IoError::Architecture { .. }), "{bad:?}: {e}");
    }
    let a =
        Architecture::mlp(&[2, 3], ActivationKind::Relu, Some(ActivationKind::Sigmoid)).unwrap();
    assert_eq!(a.to_string(), "2 → dense(3) → sigmoid");
}

#[test]
fn wrong_version_and_bad_metadata_are_typed_errors() {
    let (tensors, meta) = parts(&mlp_bytes());
    let json = &meta[MODEL_KEY];
    let edit = |from: &str, to: &str| {
        let mut m = meta.clone();
        m.insert(MODEL_KEY.into(), json.replace(from, to));
        file_with(tensors.clone(), Some(m))
    };
    let e = read_model::<f32>(&edit("\"format_version\":2", "\"format_version\":7")).unwrap_err();
    assert!(
        matches!(
            e,
            IoError::UnsupportedVersion {
                found: 7,
                supported: 2,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("version 7"), "{e}");
    let e = read_model::<f32>(&edit("backprop.model", "other.model")).unwrap_err();
    assert!(matches!(e, IoError::Metadata { .. }), "{e}");
    let e = read_model::<f32>(&edit("\"relu\"", "\"swish\"")).unwrap_err();
    assert!(
        matches!(e, IoError::Metadata { .. }) && e.to_string().contains("swish"),
        "{e}"
    );
    let e = read_model::<f32>(&edit("{", "[")).unwrap_err();
    assert!(matches!(e, IoError::Metadata { .. }), "{e}");
    // An unknown field (deny_unknown_fields) is reported, not ignored.
    let e = read_model::<f32>(&edit("\"input_shape\"", "\"inputs_shape\"")).unwrap_err();
    assert!(matches!(e, IoError::Metadata { .. }), "{e}");
    // A negative batch count in a BatchNorm file.
    let bn = Sequential::<f32>::builder(2)
        .dense(2)
        .batch_norm()
        .build()
        .unwrap();
    let (mut t, m) = parts(&model_to_bytes(&bn).unwrap());
    for x in &mut t {
        if x.0 == "1.num_batches_tracked" {
            x.3 = (-1i64).to_le_bytes().to_vec();
        }
    }
    let e = read_model::<f32>(&file_with(t, Some(m))).unwrap_err();
    assert!(matches!(e, IoError::TensorValue { .. }), "{e}");
}

#[test]
fn truncated_or_corrupt_files_are_errors_never_panics() {
    let bytes = model_to_bytes(&full_model::<f32>()).unwrap();
    // Every truncation.
    for n in 0..bytes.len() {
        let r = read_model::<f32>(&bytes[..n]);
        assert!(r.is_err(), "truncated to {n} bytes loaded");
        let r = read_checkpoint::<f32>(&bytes[..n]);
        assert!(r.is_err());
    }
    // Flipped bytes, deterministically spread over header and data.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..3000 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let mut b = bytes.clone();
        let i = (state % b.len() as u64) as usize;
        b[i] ^= 1 << (state >> 60 & 7);
        // Must not panic; may load (a flipped weight bit is still a weight).
        let _ = read_model::<f32>(&b);
        let _ = read_checkpoint::<f32>(&b);
        let _ = read_state_dict::<f32>(&b, &Architecture::of(&full_model::<f32>()).unwrap());
    }
    // A header length pointing past the end, and garbage.
    let mut b = bytes.clone();
    b[..8].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(matches!(read_model::<f32>(&b), Err(IoError::Format { .. })));
    assert!(matches!(
        read_model::<f32>(b"hello world, not a model"),
        Err(IoError::Format { .. })
    ));
    // The messages give the sizes the parser's reasons leave out.
    let message = |b: &[u8]| read_model::<f32>(b).unwrap_err().to_string();
    assert_eq!(
        message(b"tiny"),
        "<bytes>: not a valid safetensors file (header too small: expected at least 8 bytes (the header's length), found 4)"
    );
    let mut b = bytes[..200].to_vec();
    b[..8].copy_from_slice(&1000u64.to_le_bytes());
    assert_eq!(
        message(&b),
        "<bytes>: not a valid safetensors file (invalid header length: the header's length says 1000 bytes, but 192 follow it)"
    );
    let header = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let data = bytes.len() - 8 - header;
    let cut = &bytes[..bytes.len() - 100];
    assert_eq!(
        message(cut),
        format!(
            "<bytes>: not a valid safetensors file (incomplete metadata, file not fully covered: the tensors need {data} bytes of data, the file holds {})",
            data - 100
        )
    );
    // Through the file API the error names the file.
    let dir = temp_dir("truncated");
    let path = dir.join("cut.safetensors");
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let e = load_model::<f32>(&path).unwrap_err();
    assert!(
        e.to_string().starts_with(&path.display().to_string()),
        "{e}"
    );
    let e = load_model::<f32>(dir.join("absent.safetensors")).unwrap_err();
    assert!(matches!(e, IoError::Io { .. }), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A writer that accepts `limit` bytes, then fails.
struct FailAfter<'a> {
    inner: &'a mut dyn Write,
    limit: usize,
}

impl Write for FailAfter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.limit == 0 {
            return Err(std::io::Error::other("injected failure"));
        }
        let n = buf.len().min(self.limit);
        self.limit -= n;
        self.inner.write(&buf[..n])
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp."))
        .collect()
}

#[test]
fn a_write_that_fails_half_way_leaves_the_previous_file_intact() {
    let dir = temp_dir("atomic");
    let path = dir.join("model.safetensors");
    let first = full_model::<f64>();
    save_model(&first, &path).unwrap();
    let before = std::fs::read(&path).unwrap();

    let second = Sequential::<f64>::builder(6)
        .seed(99)
        .dense(3)
        .build()
        .unwrap();
    let size = model_to_bytes(&second).unwrap().len();
    for limit in [0, 1, 8, size / 2, size - 1] {
        let r = write_atomic(&path, |w| {
            let mut failing = FailAfter { inner: w, limit };
            write_model(&second, &mut failing)
        });
        let e = r.unwrap_err();
        assert!(e.to_string().contains("injected failure"), "{e}");
        assert_eq!(std::fs::read(&path).unwrap(), before, "limit {limit}");
        assert!(leftovers(&dir).is_empty(), "{:?}", leftovers(&dir));
        assert_eq!(values(&load_model::<f64>(&path).unwrap()), values(&first));
    }
    // The same for checkpoints.
    let state = TrainingState {
        epoch: 2,
        seed: 5,
        optimizer: Adam::new().state(),
        config: serde_json::json!({}),
        history: serde_json::Value::Null,
        data: serde_json::Value::Null,
    };
    let r = write_atomic(&path, |w| {
        let mut failing = FailAfter {
            inner: w,
            limit: 100,
        };
        write_checkpoint(&second, &state, &mut failing)
    });
    assert!(r.is_err());
    assert_eq!(std::fs::read(&path).unwrap(), before);
    // And a write that succeeds replaces it.
    save_model(&second, &path).unwrap();
    assert_eq!(values(&load_model::<f64>(&path).unwrap()), values(&second));
    assert!(leftovers(&dir).is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_read_only_directory_is_an_error_and_keeps_the_previous_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir("read-only");
    let path = dir.join("model.safetensors");
    let first = full_model::<f32>();
    save_model(&first, &path).unwrap();
    let before = std::fs::read(&path).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o555)).unwrap();
    // Root ignores directory permissions: detect it and say so.
    let probe = dir.join("probe");
    if std::fs::write(&probe, b"x").is_ok() {
        let _ = std::fs::remove_file(&probe);
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        eprintln!(
            "skipped: the read-only directory check cannot run here (running as root, so the directory stays writable)"
        );
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    let second = Sequential::<f32>::builder(6).dense(3).build().unwrap();
    let e = save_model(&second, &path).unwrap_err();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert!(matches!(e, IoError::Io { .. }), "{e}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn custom_layers_cannot_be_saved_and_nothing_is_written() {
    #[derive(Debug)]
    struct Twice;
    impl<T: Scalar> backprop_layers::Layer<T> for Twice {
        fn forward(
            &mut self,
            x: &DMatrix<T>,
            y: &mut DMatrix<T>,
            _: Mode,
        ) -> Result<(), backprop_layers::LayerError> {
            *y = x * T::of(2.0);
            Ok(())
        }
        fn backward(
            &mut self,
            _: &DMatrix<T>,
            _: &DMatrix<T>,
            dy: &DMatrix<T>,
            dx: Option<&mut DMatrix<T>>,
        ) -> Result<(), backprop_layers::LayerError> {
            if let Some(dx) = dx {
                *dx = dy * T::of(2.0);
            }
            Ok(())
        }
    }
    let net = Sequential::<f32>::builder(2)
        .dense(2)
        .layer(Twice)
        .build()
        .unwrap();
    let dir = temp_dir("custom");
    let path = dir.join("m.safetensors");
    let e = save_model(&net, &path).unwrap_err();
    assert!(
        matches!(e, IoError::Architecture { .. }) && e.to_string().contains("layer 1"),
        "{e}"
    );
    assert!(!path.exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn checkpoints_round_trip_and_models_load_from_them() {
    let dir = temp_dir("checkpoint");
    let path = dir.join("epoch-3.safetensors");
    let mut net = full_model::<f64>();
    let mut adam = Adam::new();
    let x = DMatrix::from_fn(6, 8, |i, j| ((i + j) as f64 * 0.3).cos());
    for _ in 0..4 {
        net.forward(&x, Mode::Train).unwrap();
        net.zero_grad();
        net.backward(&x, &DMatrix::from_element(3, 8, 0.2)).unwrap();
        adam.step(0.01, &mut net).unwrap();
    }
    let dropout_state = net.layers()[3].rng_state();
    assert_eq!(dropout_state.map(|s| s.1), Some(7)); // 3 + 4 training passes
    let state = TrainingState {
        epoch: 3,
        seed: 42,
        optimizer: adam.state(),
        config: serde_json::json!({"lr": 0.01, "schedule": "constant", "batch": 8}),
        history: serde_json::json!([
            {"epoch": 1, "loss": 0.30000000000000004, "lr": 1e-3, "val_loss": null},
            {"epoch": 2, "loss": 0.1, "lr": 5e-4, "note": "µ ünïcode"},
        ]),
        data: serde_json::json!({
            "train": {"file": "data/train.csv", "bytes": 18446744073709551615u64, "crc32": "0f1e2d3c"},
            "test": null,
        }),
    };
    save_checkpoint(&path, &net, &state).unwrap();
    let back = load_checkpoint::<f64>(&path).unwrap();
    assert_eq!(back.state, state);
    assert_eq!(back.model.layers()[3].rng_state(), dropout_state);
    assert_eq!(values(&back.model), values(&net));
    // The model alone loads from a checkpoint.
    assert_eq!(values(&load_model::<f64>(&path).unwrap()), values(&net));
    assert_eq!(inspect(&path).unwrap().checkpoint_epoch, Some(3));
    // A model file is not a checkpoint.
    let model_path = dir.join("model.safetensors");
    save_model(&net, &model_path).unwrap();
    let e = load_checkpoint::<f64>(&model_path).unwrap_err();
    assert!(
        matches!(
            e,
            IoError::MissingMetadata {
                what: "checkpoint",
                ..
            }
        ),
        "{e}"
    );
    // A checkpoint with a missing optimizer buffer names it.
    let bytes = std::fs::read(&path).unwrap();
    let (t, m) = parts(&bytes);
    let cut: Vec<_> = t
        .into_iter()
        .filter(|x| x.0 != "optimizer.0.weight.exp_avg_sq")
        .collect();
    let e = read_checkpoint::<f64>(&file_with(cut, Some(m))).unwrap_err();
    assert!(
        matches!(&e, IoError::MissingTensor { tensor, .. } if tensor == "optimizer.0.weight.exp_avg_sq"),
        "{e}"
    );
    // Wrong dtype.
    let e = load_checkpoint::<f32>(&path).unwrap_err();
    assert!(matches!(e, IoError::ModelDtype { .. }), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn load_state_dict_of_a_bn_dropout_architecture() {
    let arch = Architecture::sequential(
        3,
        vec![
            (
                "dense",
                Config::new().with("inputs", 3usize).with("outputs", 4usize),
            ),
            (
                "batch_norm1d",
                Config::new()
                    .with("features", 4usize)
                    .with("eps", 1e-3)
                    .with("momentum", 0.2),
            ),
            ("activation", Config::new().with("name", "tanh")),
            ("dropout", Config::new().with("p", 0.1)),
            (
                "dense",
                Config::new().with("inputs", 4usize).with("outputs", 1usize),
            ),
            ("activation", Config::new().with("name", "sigmoid")),
        ],
    );
    let net = arch.build::<f32>(0).unwrap();
    let dir = temp_dir("bn-arch");
    let path = dir.join("m.safetensors");
    save_model(&net, &path).unwrap();
    let back = load_state_dict::<f32>(&path, &arch).unwrap();
    assert_eq!(Architecture::of(&back).unwrap(), arch);
    let _ = std::fs::remove_dir_all(&dir);
}
