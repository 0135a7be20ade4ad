//! Writes the seed corpus of the fuzz targets into
//! `DIR/{idx,csv,model,onnx_import}` (default `fuzz/corpus`): a few tiny
//! valid inputs each, made with the library's own writers where it has
//! them (onnx_import's `torch-*.onnx` seeds come from
//! `scripts/torch_onnx_fixtures.py --fuzz-seeds`). Run by
//! `scripts/fuzz.sh corpus`.

use backprop_activations::ActivationKind;
use backprop_io::{TrainingState, model_to_bytes, write_checkpoint};
use backprop_layers::{Preprocess, Sequential};
use backprop_onnx::{ExportOptions, export_bytes};
use backprop_optim::{Adam, Optimizer, Sgd};
use backprop_tensor::{Parameters, Scalar};
use flate2::Compression;
use flate2::write::GzEncoder;
use std::error::Error;
use std::io::Write;
use std::path::{Path, PathBuf};

type Res<T = ()> = Result<T, Box<dyn Error>>;

fn idx(dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut v = vec![0, 0, 8, dims.len() as u8];
    for d in dims {
        v.extend_from_slice(&d.to_be_bytes());
    }
    v.extend_from_slice(data);
    v
}

fn gzip(bytes: &[u8]) -> Res<Vec<u8>> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(bytes)?;
    Ok(e.finish()?)
}

/// The idx target's pair layout: `[mode, split_hi, split_lo, images…, labels…]`.
fn pair(mode: u8, images: &[u8], labels: &[u8]) -> Vec<u8> {
    let split = u16::try_from(images.len()).expect("a tiny image file");
    let mut v = vec![mode];
    v.extend_from_slice(&split.to_be_bytes());
    v.extend_from_slice(images);
    v.extend_from_slice(labels);
    v
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> Res {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join(name), bytes)?;
    Ok(())
}

fn idx_seeds(dir: &Path) -> Res {
    let images = idx(
        &[3, 2, 2],
        &[0, 64, 128, 255, 1, 2, 3, 4, 250, 251, 252, 253],
    );
    let labels = idx(&[3], &[0, 1, 2]);
    write(dir, "images-3x2x2.idx", &images)?;
    write(dir, "labels-3.idx", &labels)?;
    write(dir, "images-3x2x2.idx.gz", &gzip(&images)?)?;
    write(dir, "pair-memory.bin", &pair(0, &images, &labels))?;
    write(dir, "pair-files.bin", &pair(1, &images, &labels))?;
    write(
        dir,
        "pair-files-gz.bin",
        &pair(1, &gzip(&images)?, &gzip(&labels)?),
    )?;
    write(
        dir,
        "pair-count-mismatch.bin",
        &pair(0, &images, &idx(&[2], &[0, 1])),
    )?;
    Ok(())
}

/// The csv target's layout: `[options, text…]` (see `fuzz_targets/csv.rs`).
fn csv_seeds(dir: &Path) -> Res {
    let seeds: [(&str, u8, &str); 6] = [
        (
            "header-last.bin",
            0,
            "a,b,label\n0.5,1,0\n1.5,-2,1\n2.5,3e-3,1\n",
        ),
        ("no-header.bin", 2, "1,2,0\n3,4,1\n5,6,2\n"),
        (
            "semicolon-quoted.bin",
            1 << 2,
            "\"x\";\"y\";label\n\"1.0\"; 2 ;3\r\n4;5;7\r\n",
        ),
        (
            "tab-first-column.bin",
            (2 << 2) | (2 << 5),
            "0\t1.25\t2.5\n1\t-1\t4\n",
        ),
        ("label-by-name.bin", 5 << 5, "label,f\n1,0.1\n0,0.2\n"),
        ("regression.bin", 0, "x,y\n0.1,0.25\n0.2,0.5\n\n0.4,1e3\n"),
    ];
    for (name, options, text) in seeds {
        let mut v = vec![options];
        v.extend_from_slice(text.as_bytes());
        write(dir, name, &v)?;
    }
    Ok(())
}

fn checkpoint<T: Scalar>(net: &mut Sequential<T>, opt: &mut dyn Optimizer<T>) -> Res<Vec<u8>> {
    net.visit_params_mut(&mut |p| p.grad.fill(T::of(0.25)));
    opt.step(0.01, net)?;
    let state = TrainingState {
        epoch: 1,
        seed: 7,
        optimizer: opt.state(),
        config: serde_json::json!({ "lr": 0.01, "batch_size": 4 }),
        history: serde_json::Value::Null,
        data: serde_json::Value::Null,
    };
    let mut bytes = Vec::new();
    write_checkpoint(net, &state, &mut bytes)?;
    Ok(bytes)
}

fn model_seeds(dir: &Path) -> Res {
    // The architecture the target also gives read_state_dict: 2,3,2.
    let small = Sequential::<f32>::builder(2)
        .seed(1)
        .dense(3)
        .relu()
        .dense(2)
        .build()?;
    write(dir, "mlp-2-3-2-f32.safetensors", &model_to_bytes(&small)?)?;
    let mut rich = Sequential::<f64>::builder(3)
        .seed(2)
        .dense(4)
        .batch_norm()
        .activation(ActivationKind::LeakyRelu(0.1))
        .dropout(0.25)
        .dense(2)
        .sigmoid()
        .build()?;
    write(dir, "bn-dropout-f64.safetensors", &model_to_bytes(&rich)?)?;
    let mut tanh = Sequential::<f32>::builder(2)
        .seed(3)
        .dense(2)
        .tanh()
        .dense(2)
        .softmax()
        .build()?;
    write(
        dir,
        "ckpt-adam-f32.safetensors",
        &checkpoint(&mut tanh, &mut Adam::new())?,
    )?;
    write(
        dir,
        "ckpt-momentum-f64.safetensors",
        &checkpoint(&mut rich, &mut Sgd::momentum(0.9))?,
    )?;
    Ok(())
}

/// ONNX files of every operator the exporter writes, tiny: an MLP with
/// metadata, every activation with BatchNorm1d and Dropout (GELU makes it
/// opset 20), a small CNN with both poolings and BatchNorm2d, an f64 model.
fn onnx_seeds(dir: &Path) -> Res {
    let options = ExportOptions::default();
    let mut mlp = Sequential::<f32>::builder(4)
        .seed(1)
        .dense(3)
        .relu()
        .dense(2)
        .build()?;
    mlp.info_mut().preprocess = Preprocess::UNIT_PIXELS;
    mlp.info_mut().class_names = Some(vec!["no".into(), "yes".into()]);
    write(dir, "backprop-mlp.onnx", &export_bytes(&mlp, &options)?)?;
    let acts = Sequential::<f32>::builder(4)
        .seed(2)
        .dense(3)
        .batch_norm()
        .sigmoid()
        .dense(3)
        .tanh()
        .dense(3)
        .activation(ActivationKind::LeakyRelu(0.1))
        .dense(3)
        .activation(ActivationKind::Elu(0.5))
        .dense(3)
        .activation(ActivationKind::Softplus)
        .dropout(0.5)
        .dense(3)
        .activation(ActivationKind::Identity)
        .dense(2)
        .softmax()
        .build()?;
    write(dir, "backprop-acts.onnx", &export_bytes(&acts, &options)?)?;
    let gelu = Sequential::<f32>::builder(4)
        .seed(3)
        .dense(3)
        .activation(ActivationKind::Gelu)
        .dense(2)
        .build()?;
    write(dir, "backprop-gelu.onnx", &export_bytes(&gelu, &options)?)?;
    let cnn = Sequential::<f32>::builder(vec![1, 8, 8])
        .seed(4)
        .conv2d(2, 3)
        .padding(1)
        .batch_norm2d()
        .relu()
        .max_pool2d(2)
        .conv2d(2, 3)
        .avg_pool2d(2)
        .dropout2d(0.25)
        .flatten()
        .dense(2)
        .build()?;
    write(dir, "backprop-cnn.onnx", &export_bytes(&cnn, &options)?)?;
    let wide = Sequential::<f64>::builder(3)
        .seed(5)
        .dense(2)
        .sigmoid()
        .build()?;
    write(dir, "backprop-f64.onnx", &export_bytes(&wide, &options)?)?;
    Ok(())
}

fn main() -> Res {
    let root = std::env::args_os()
        .nth(1)
        .map_or_else(|| PathBuf::from("fuzz/corpus"), PathBuf::from);
    idx_seeds(&root.join("idx"))?;
    csv_seeds(&root.join("csv"))?;
    model_seeds(&root.join("model"))?;
    onnx_seeds(&root.join("onnx_import"))?;
    println!("seed corpus written to {}", root.display());
    Ok(())
}
