//! Files that must not be accepted as they are: damaged or edited after they
//! were written (checksum), holding values no training produces (NaN, a
//! negative variance, an activation parameter of 1e308), or describing a
//! model that would exhaust memory (3,000 layers). Each is a typed error
//! naming the file and the tensor or limit; the explicit overrides of
//! `LoadOptions` load them for inspection. And the bytes a save writes are
//! the same every time.

use backprop_activations::ActivationKind;
use backprop_io::{
    Architecture, CHECKSUM_KEY, IoError, LoadOptions, TrainingState, load_checkpoint,
    load_checkpoint_with, load_model, load_model_with, model_to_bytes, read_checkpoint,
    read_checkpoint_with, read_model, read_model_with, read_state_dict, save_checkpoint,
    save_model, write_checkpoint,
};
use backprop_layers::{Config, Mode, Model, Sequential};
use backprop_optim::{Adam, Optimizer};
use backprop_tensor::{DMatrix, Parameters, Scalar};
use safetensors::SafeTensors;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "backprop-io-integrity-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A small network with a BatchNorm and a dropout, trained three steps with
/// Adam, and its training state after 10 epochs.
fn trained() -> (Sequential<f64>, TrainingState<f64>) {
    let mut net = Sequential::<f64>::builder(4)
        .seed(3)
        .dense(5)
        .batch_norm()
        .relu()
        .dropout(0.2)
        .dense(3)
        .build()
        .unwrap();
    let mut adam = Adam::new();
    let x = DMatrix::from_fn(4, 6, |i, j| ((i * 6 + j) as f64 * 0.41).sin());
    for _ in 0..3 {
        net.forward(&x, Mode::Train).unwrap();
        net.zero_grad();
        net.backward(&x, &DMatrix::from_element(3, 6, 0.1)).unwrap();
        adam.step(0.01, &mut net).unwrap();
    }
    let state = TrainingState {
        epoch: 10,
        seed: 42,
        optimizer: adam.state(),
        config: serde_json::json!({"lr": 0.01, "batch": 6, "schedule": "cosine"}),
        history: serde_json::json!([{"epoch": 1, "loss": 0.5}, {"epoch": 2, "loss": 0.25}]),
        data: serde_json::json!({"train": {"file": "train.csv", "bytes": 1234}}),
    };
    (net, state)
}

fn params<T: Scalar>(net: &Sequential<T>) -> Vec<(String, DMatrix<T>)> {
    let mut out = Vec::new();
    net.visit_params(&mut |p| out.push((p.name().to_string(), p.value.clone())));
    net.visit_buffers(&mut |n, b| out.push((n.to_string(), b.clone())));
    out
}

/// Where a file's tensor data starts.
fn data_start(bytes: &[u8]) -> usize {
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap());
    8 + usize::try_from(n).unwrap()
}

fn find(bytes: &[u8], what: &[u8]) -> usize {
    bytes
        .windows(what.len())
        .position(|w| w == what)
        .unwrap_or_else(|| panic!("{:?} not in the file", String::from_utf8_lossy(what)))
}

fn is_checksum_error(e: &IoError, path: &Path) -> bool {
    matches!(e, IoError::Checksum { file, stored, found } if file == path && stored != found)
        && e.to_string().starts_with(&path.display().to_string())
        && e.to_string().contains("corrupt")
}

#[test]
fn a_checkpoint_with_four_flipped_data_bytes_is_refused() {
    let dir = temp_dir("flip");
    let path = dir.join("epoch-10.safetensors");
    let (net, state) = trained();
    save_checkpoint(&path, &net, &state).unwrap();
    assert_eq!(backprop_io::inspect(&path).unwrap().checksum_ok, Some(true));
    let mut bytes = std::fs::read(&path).unwrap();
    // Four bytes of tensor data, low mantissa bits of an f64: still finite.
    let at = data_start(&bytes) + 16;
    for b in &mut bytes[at..at + 4] {
        *b ^= 0x01;
    }
    std::fs::write(&path, &bytes).unwrap();

    let e = load_checkpoint::<f64>(&path).unwrap_err();
    assert!(is_checksum_error(&e, &path), "{e}");
    let e = load_model::<f64>(&path).unwrap_err();
    assert!(is_checksum_error(&e, &path), "{e}");
    // inspect reports the damage instead of failing, so the file can be
    // looked at.
    assert_eq!(
        backprop_io::inspect(&path).unwrap().checksum_ok,
        Some(false)
    );
    // Without the check the damage goes unnoticed: the file parses, its
    // values are finite, and one weight differs.
    let unverified = LoadOptions {
        verify_checksum: false,
        ..LoadOptions::default()
    };
    let ck = load_checkpoint_with::<f64>(&path, &unverified).unwrap();
    assert_ne!(params(&ck.model), params(&net));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_checkpoint_whose_epoch_was_edited_in_the_header_is_refused() {
    let dir = temp_dir("epoch");
    let path = dir.join("epoch-10.safetensors");
    let (net, state) = trained();
    save_checkpoint(&path, &net, &state).unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    // The description is a JSON string inside the JSON header: its quotes
    // are escaped there.
    let at = find(&bytes, br#"\"epoch\":10"#) + br#"\"epoch\":"#.len();
    bytes[at..at + 2].copy_from_slice(b"12");
    std::fs::write(&path, &bytes).unwrap();

    let e = load_checkpoint::<f64>(&path).unwrap_err();
    assert!(is_checksum_error(&e, &path), "{e}");
    let unverified = LoadOptions {
        verify_checksum: false,
        ..LoadOptions::default()
    };
    let ck = load_checkpoint_with::<f64>(&path, &unverified).unwrap();
    assert_eq!(ck.state.epoch, 12);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn every_file_carries_a_checksum_that_does_not_depend_on_header_layout() {
    let (net, state) = trained();
    let mut ck = Vec::new();
    write_checkpoint(&net, &state, &mut ck).unwrap();
    for bytes in [model_to_bytes(&net).unwrap(), ck] {
        let (_, meta) = SafeTensors::read_metadata(&bytes).unwrap();
        let meta = meta.metadata().clone().unwrap();
        let sum = &meta[CHECKSUM_KEY];
        assert!(
            sum.len() == 14
                && sum.starts_with("crc32:")
                && sum[6..].bytes().all(|b| b.is_ascii_hexdigit()),
            "{sum}"
        );
        // The same contents laid out by the safetensors crate (its own key
        // order and tensor order) still verify.
        let st = SafeTensors::deserialize(&bytes).unwrap();
        let relaid = safetensors::serialize(st.tensors(), Some(meta.clone())).unwrap();
        read_checkpoint_with::<f64>(&relaid, &LoadOptions::default())
            .map(|_| ())
            .or_else(|e| match e {
                IoError::MissingMetadata { .. } => read_model::<f64>(&relaid).map(|_| ()),
                e => Err(e),
            })
            .unwrap();
        // A checksum of another form is reported, not ignored.
        let mut other = meta.clone();
        other.insert(CHECKSUM_KEY.into(), "sha256:00".into());
        let e = read_model::<f64>(&safetensors::serialize(st.tensors(), Some(other)).unwrap())
            .unwrap_err();
        assert!(
            matches!(&e, IoError::Metadata { reason, .. } if reason.contains("sha256:00")),
            "{e}"
        );
    }
}

#[test]
fn files_without_a_checksum_still_load() {
    // A PyTorch state dict has no metadata; a file of an older backprop has
    // the description without a checksum.
    let (net, _) = trained();
    let bytes = model_to_bytes(&net).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let (_, meta) = SafeTensors::read_metadata(&bytes).unwrap();
    let mut meta = meta.metadata().clone().unwrap();
    meta.remove(CHECKSUM_KEY);
    let older = safetensors::serialize(st.tensors(), Some(meta)).unwrap();
    assert_eq!(params(&read_model::<f64>(&older).unwrap()), params(&net));
    let dir = temp_dir("older");
    let path = dir.join("older.safetensors");
    std::fs::write(&path, &older).unwrap();
    assert_eq!(backprop_io::inspect(&path).unwrap().checksum_ok, None);
    let _ = std::fs::remove_dir_all(&dir);
    let torch = safetensors::serialize(st.tensors(), None).unwrap();
    let arch = Architecture::of(&net).unwrap();
    assert_eq!(
        params(&read_state_dict::<f64>(&torch, &arch).unwrap()),
        params(&net)
    );
}

fn invalid(e: &IoError, path: &Path, name: &str, checkpoint_file: bool) -> bool {
    matches!(e, IoError::InvalidValue { file, tensor, checkpoint, .. }
        if file == path && tensor == name && *checkpoint == checkpoint_file)
        && e.to_string().starts_with(&path.display().to_string())
}

#[test]
fn a_model_with_a_nan_weight_is_refused_naming_the_tensor_unless_asked() {
    let dir = temp_dir("nan");
    let path = dir.join("model.safetensors");
    let (mut net, _) = trained();
    net.visit_params_mut(&mut |p| {
        if p.name() == "4.weight" {
            p.value[(2, 1)] = f64::NAN;
        }
    });
    save_model(&net, &path).unwrap();
    let e = load_model::<f64>(&path).unwrap_err();
    assert!(invalid(&e, &path, "4.weight", false), "{e}");
    let text = e.to_string();
    assert!(
        text.contains("holds NaN at [2, 1]") && text.contains("check_values"),
        "{text}"
    );
    // Loaded on request, for inspection.
    let inspect = LoadOptions {
        check_values: false,
        ..LoadOptions::default()
    };
    let back = load_model_with::<f64>(&path, &inspect).unwrap();
    assert!(back.layers()[4].config().is_some());
    let mut found = None;
    back.visit_params(&mut |p| {
        if p.name() == "4.weight" {
            found = Some(p.value[(2, 1)]);
        }
    });
    assert!(found.is_some_and(f64::is_nan));

    // An infinity in a buffer, in f32.
    let mut bn = Sequential::<f32>::builder(3)
        .dense(2)
        .batch_norm()
        .build()
        .unwrap();
    bn.visit_buffers_mut(&mut |n, b| {
        if n == "1.running_mean" {
            b[1] = f32::NEG_INFINITY;
        }
    });
    let e = read_model::<f32>(&model_to_bytes(&bn).unwrap()).unwrap_err();
    assert!(
        matches!(&e, IoError::InvalidValue { tensor, reason, .. }
            if tensor == "1.running_mean" && reason == "holds -inf at [1]"),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_negative_running_variance_is_refused_with_its_path_in_a_nested_network() {
    let inner = Sequential::<f64>::builder(4)
        .dense(3)
        .batch_norm()
        .build()
        .unwrap();
    let mut net = Sequential::<f64>::builder(4)
        .relu()
        .layer(inner)
        .dense(2)
        .build()
        .unwrap();
    net.visit_buffers_mut(&mut |n, b| {
        if n == "1.1.running_var" {
            b[2] = -0.5;
        }
    });
    let bytes = model_to_bytes(&net).unwrap();
    let e = read_model::<f64>(&bytes).unwrap_err();
    assert!(
        matches!(&e, IoError::InvalidValue { tensor, reason, checkpoint: false, .. }
            if tensor == "1.1.running_var" && reason.contains("-0.5 at [2]")),
        "{e}"
    );
    assert!(
        e.to_string()
            .starts_with("<bytes>: tensor \"1.1.running_var\""),
        "{e}"
    );
    let inspect = LoadOptions {
        check_values: false,
        ..LoadOptions::default()
    };
    read_model_with::<f64>(&bytes, &inspect).unwrap();
}

#[test]
fn a_nan_in_a_checkpoint_is_a_corrupt_checkpoint_naming_the_tensor() {
    let dir = temp_dir("ckpt-nan");
    let path = dir.join("epoch-10.safetensors");
    let (net, state) = trained();

    // In an optimizer moment.
    let mut bad = state.clone();
    let (name, buf) = &mut bad.optimizer.buffers[0];
    assert_eq!(name, "0.weight.exp_avg");
    buf[(1, 2)] = f64::NAN;
    save_checkpoint(&path, &net, &bad).unwrap();
    let e = load_checkpoint::<f64>(&path).unwrap_err();
    assert!(
        invalid(&e, &path, "optimizer.0.weight.exp_avg", true),
        "{e}"
    );
    let text = e.to_string();
    assert!(
        text.contains("the checkpoint is corrupt") && text.contains("holds NaN at [1, 2]"),
        "{text}"
    );
    assert!(!text.contains("learning rate"), "{text}");

    // In a weight.
    let (mut nan_net, _) = trained();
    nan_net.visit_params_mut(&mut |p| {
        if p.name() == "0.bias" {
            p.value[3] = f64::INFINITY;
        }
    });
    save_checkpoint(&path, &nan_net, &state).unwrap();
    let e = load_checkpoint::<f64>(&path).unwrap_err();
    assert!(invalid(&e, &path, "0.bias", true), "{e}");
    assert!(e.to_string().contains("the checkpoint is corrupt"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A model file whose description was edited (and its checksum dropped, as
/// another tool writing it would).
fn edited(bytes: &[u8], from: &str, to: &str) -> Vec<u8> {
    let st = SafeTensors::deserialize(bytes).unwrap();
    let (_, meta) = SafeTensors::read_metadata(bytes).unwrap();
    let mut meta: HashMap<String, String> = meta.metadata().clone().unwrap();
    meta.remove(CHECKSUM_KEY);
    let json = meta[backprop_io::MODEL_KEY].clone();
    assert!(json.contains(from), "{json}");
    meta.insert(backprop_io::MODEL_KEY.into(), json.replace(from, to));
    safetensors::serialize(st.tensors(), Some(meta)).unwrap()
}

#[test]
fn activation_parameters_and_eps_out_of_range_are_refused_naming_the_layer() {
    let net = Sequential::<f32>::builder(3)
        .dense(4)
        .activation(ActivationKind::Elu(1.0))
        .batch_norm()
        .dense(2)
        .build()
        .unwrap();
    let bytes = model_to_bytes(&net).unwrap();
    read_model::<f32>(&edited(&bytes, "\"alpha\":1.0", "\"alpha\":1e6")).unwrap();
    let e = read_model::<f32>(&edited(&bytes, "\"alpha\":1.0", "\"alpha\":1e308")).unwrap_err();
    let text = e.to_string();
    assert!(
        matches!(e, IoError::Metadata { .. })
            && text.starts_with("<bytes>:")
            && text.contains("layer 1 (activation)")
            && text.contains("|α| ≤ 1e6, got 1e308"),
        "{text}"
    );
    // eps = 1e-50 is 0 in f32.
    let e = read_model::<f32>(&edited(&bytes, "\"eps\":0.00001", "\"eps\":1e-50")).unwrap_err();
    let text = e.to_string();
    assert!(
        text.starts_with("<bytes>:")
            && text.contains("layer 2 (batch_norm1d)")
            && text.contains("eps = 1e-50 is 0 in f32"),
        "{text}"
    );
}

/// `n` tensor-less ReLU layers on 784 inputs, as a model file.
fn relu_stack(n: usize) -> Vec<u8> {
    let relu = || ("activation", Config::new().with("name", "relu"));
    let arch = Architecture::sequential(784, (0..n).map(|_| relu()).collect());
    model_to_bytes(&arch.build::<f32>(0).unwrap()).unwrap()
}

#[test]
fn a_model_of_three_thousand_layers_is_refused_with_how_to_raise_the_cap() {
    let bytes = relu_stack(3000);
    assert!(bytes.len() < 200_000, "{}", bytes.len());
    let e = read_model::<f32>(&bytes).unwrap_err();
    assert!(
        matches!(
            e,
            IoError::Limit {
                what: "layers",
                found: 3000,
                limit: 1024,
                option: "max_layers",
                ..
            }
        ),
        "{e}"
    );
    assert!(
        e.to_string().contains("raise LoadOptions::max_layers"),
        "{e}"
    );
    // Enough layers allowed: each keeps 784 values per sample, 2,352,000 in
    // all, which a batch of 1,000 would hold in 9.4 GB.
    let deep = LoadOptions {
        max_layers: 4096,
        ..LoadOptions::default()
    };
    let e = read_model_with::<f32>(&bytes, &deep).unwrap_err();
    assert!(
        matches!(
            e,
            IoError::Limit {
                found: 2_352_000,
                option: "max_values_per_sample",
                ..
            }
        ),
        "{e}"
    );
    let trusted = LoadOptions {
        max_values_per_sample: 3_000_000,
        ..deep
    };
    assert_eq!(
        read_model_with::<f32>(&bytes, &trusted)
            .unwrap()
            .layers()
            .len(),
        3000
    );
    // At the default limits.
    assert!(read_model::<f32>(&relu_stack(334)).is_ok());
    assert!(read_model::<f32>(&relu_stack(335)).is_err()); // 335 × 784 > 2^18
}

#[test]
fn nested_layers_count_towards_the_cap() {
    let inner = || Sequential::<f32>::builder(2).relu().relu().build().unwrap();
    let net = Sequential::<f32>::builder(2)
        .layer(inner())
        .layer(inner())
        .build()
        .unwrap();
    let bytes = model_to_bytes(&net).unwrap();
    let cap = |max_layers| LoadOptions {
        max_layers,
        ..LoadOptions::default()
    };
    // Two containers and four ReLUs.
    read_model_with::<f32>(&bytes, &cap(6)).unwrap();
    let e = read_model_with::<f32>(&bytes, &cap(5)).unwrap_err();
    assert!(
        matches!(
            e,
            IoError::Limit {
                found: 6,
                limit: 5,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn parameter_counts_are_capped_and_cannot_overflow() {
    let (net, _) = trained();
    let bytes = model_to_bytes(&net).unwrap();
    let n = net.num_params() + 2 * 5 + 1; // BatchNorm's running statistics and count
    let cap = |max_params| LoadOptions {
        max_params,
        ..LoadOptions::default()
    };
    read_model_with::<f64>(&bytes, &cap(n)).unwrap();
    let e = read_model_with::<f64>(&bytes, &cap(n - 1)).unwrap_err();
    assert!(
        matches!(
            e,
            IoError::Limit {
                what: "parameter and buffer values",
                option: "max_params",
                ..
            }
        ),
        "{e}"
    );
    // A caller's architecture of 2^40 × 2^40 weights: 2^80 values, counted
    // without overflow (u64::MAX stands for "at least"), refused before the
    // file is looked at.
    let huge = Architecture::sequential(
        1usize << 40,
        vec![(
            "dense",
            Config::new()
                .with("inputs", 1usize << 40)
                .with("outputs", 1usize << 40),
        )],
    );
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let torch = safetensors::serialize(st.tensors(), None).unwrap();
    let e = read_state_dict::<f32>(&torch, &huge).unwrap_err();
    assert!(
        matches!(
            e,
            IoError::Limit {
                found: u64::MAX,
                option: "max_params",
                ..
            }
        ),
        "{e}"
    );
}

/// The bytes of the model and checkpoint this test saves, with metadata of
/// several entries (model information, configuration, history).
fn reproducible_bytes() -> Vec<u8> {
    let (mut net, state) = trained();
    let info = net.info_mut();
    info.class_names = Some(vec!["a".into(), "b".into(), "c".into()]);
    for (k, v) in [
        ("dataset", "mnist"),
        ("author", "me"),
        ("zeta", "z"),
        ("alpha", "1"),
    ] {
        info.metadata.insert(k.into(), v.into());
    }
    let mut out = model_to_bytes(&net).unwrap();
    write_checkpoint(&net, &state, &mut out).unwrap();
    out
}

#[test]
fn saving_twice_gives_identical_bytes() {
    let first = reproducible_bytes();
    // Before, the metadata's order followed a randomly seeded HashMap: 8
    // saves in 20 differed from the first.
    for _ in 0..16 {
        assert!(reproducible_bytes() == first, "two saves differ");
    }
    // And in another process (another hasher seed): this test binary run
    // again, writing its bytes where it is told.
    if let Ok(out) = std::env::var("BACKPROP_IO_REPRODUCE_TO") {
        std::fs::write(out, &first).unwrap();
        return;
    }
    let dir = temp_dir("reproduce");
    let out = dir.join("bytes");
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "saving_twice_gives_identical_bytes",
            "--test-threads",
            "1",
        ])
        .env("BACKPROP_IO_REPRODUCE_TO", &out)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    assert!(
        std::fs::read(&out).unwrap() == first,
        "the bytes saved by another process differ"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(target_os = "linux")]
#[test]
fn stale_temporary_files_of_dead_writers_are_removed_by_the_next_write() {
    use std::process::Command;
    let dir = temp_dir("stale");
    let path = dir.join("model.safetensors");
    // A process that has exited: its temporary file is stale.
    let mut done = Command::new("true").spawn().unwrap();
    let dead = done.id();
    done.wait().unwrap();
    assert!(!Path::new(&format!("/proc/{dead}")).exists());
    // A process still running: its write may be in progress.
    let mut alive = Command::new("sleep").arg("60").spawn().unwrap();
    let me = std::process::id();
    let stale = format!(".model.safetensors.tmp.{dead}.0");
    let kept = [
        format!(".model.safetensors.tmp.{}.3", alive.id()),
        format!(".model.safetensors.tmp.{me}.99"),
        format!(".other.safetensors.tmp.{dead}.0"),
        format!(".model.safetensors.tmp.{dead}.x"),
        format!(".model.safetensors.tmp.{dead}"),
        "model.safetensors.tmp.1.0".to_string(),
    ];
    for name in kept.iter().chain([&stale]) {
        std::fs::write(dir.join(name), b"half a file").unwrap();
    }
    let (net, _) = trained();
    save_model(&net, &path).unwrap();
    let mut left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    let mut want: Vec<String> = kept.to_vec();
    want.push("model.safetensors".into());
    want.sort();
    assert_eq!(left, want);
    alive.kill().unwrap();
    alive.wait().unwrap();
    // Once its writer has died, the next write removes it too.
    save_model(&net, &path).unwrap();
    assert!(!dir.join(&kept[0]).exists());
    assert!(dir.join(&kept[1]).exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_checkpoint_with_an_impossible_step_count_is_refused_when_its_state_is_loaded() {
    let (net, mut state) = trained();
    state.optimizer.step = u64::MAX;
    let mut bytes = Vec::new();
    write_checkpoint(&net, &state, &mut bytes).unwrap();
    let ck = read_checkpoint::<f64>(&bytes).unwrap();
    assert_eq!(ck.state.optimizer.step, u64::MAX);
    let e = Adam::<f64>::new()
        .load_state(ck.state.optimizer)
        .unwrap_err();
    assert!(e.to_string().contains("18446744073709551615"), "{e}");
    // The model itself is fine.
    let mut model = ck.model;
    let x = DMatrix::from_element(4, 2, 0.5);
    assert!(Model::forward(&mut model, &x, Mode::Eval).is_ok());
}
