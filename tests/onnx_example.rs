//! The examples' ONNX flags (#16): `mnist --onnx` and `cnn --onnx` write
//! the trained network as an ONNX file that imports to the very network
//! saved as safetensors; `predict --export-onnx` writes the same file, and
//! `predict --model FILE.onnx` classifies exactly as the safetensors model
//! (same classes for every image, same outputs to the last bit);
//! `--outputs` writes those outputs; a broken ONNX file is a one-line error.
//!
//! Runs the example binaries that `cargo test` builds, on small sets cut
//! from data/mnist.

#[path = "support/examples.rs"]
mod examples;
#[path = "support/mnist_sets.rs"]
mod mnist_sets;
use examples::{run, temp_dir};
use mnist_sets::{MNIST_NAMES, arg, ok, small_set, stderr};

use backprop::data::PixelScale;
use backprop::data::mnist::Mnist;
use backprop::io::load_model;
use backprop::layers::{Mode, Sequential};
use backprop::onnx::import;
use backprop::tensor::DMatrix;
use std::path::Path;

/// The outputs of `net` for every test image of `data`, scaled by `scale`,
/// as bits.
fn outputs(net: &mut Sequential<f32>, data: &Path, scale: PixelScale) -> Vec<u32> {
    let mut mnist = Mnist::load(data).unwrap();
    mnist.set_pixel_scale(scale).unwrap();
    let all: Vec<usize> = (0..mnist.test.len()).collect();
    let mut x = DMatrix::zeros(0, 0);
    mnist.test.fill_features(&all, &mut x).unwrap();
    let out = net.forward(&x, Mode::Eval).unwrap();
    out.iter().map(|v| v.to_bits()).collect()
}

/// A tiny training run of `example` on `data` writing `out` and `onnx`.
fn train(example: &str, data: &Path, out: &Path, onnx: &Path) -> String {
    ok(&run(
        example,
        &[
            "--data",
            arg(data),
            "--epochs",
            "1",
            "--out",
            arg(out),
            "--onnx",
            arg(onnx),
        ],
    ))
}

#[test]
fn mnist_onnx_and_predict_export_onnx_write_one_file_that_predicts_as_the_model() {
    let dir = temp_dir("onnx", "mnist");
    let data = dir.join("digits");
    small_set(&data, MNIST_NAMES, 300, 200, 0);
    let out = dir.join("out");
    let trained_onnx = dir.join("trained.onnx");
    let text = train("mnist", &data, &out, &trained_onnx);
    assert!(
        text.contains(&format!("wrote {} (ONNX)", trained_onnx.display())),
        "{text}"
    );
    let model = out.join("model.safetensors");

    // predict --export-onnx writes the bytes the training run wrote.
    let exported = dir.join("exported.onnx");
    let said = ok(&run(
        "predict",
        &["--model", arg(&model), "--export-onnx", arg(&exported)],
    ));
    assert!(
        said.starts_with(&format!(
            "wrote {}: ONNX opset 17, input \"input\" [batch, 784], output \"output\"",
            exported.display()
        )),
        "{said}"
    );
    assert!(
        std::fs::read(&exported).unwrap() == std::fs::read(&trained_onnx).unwrap(),
        "predict --export-onnx and mnist --onnx wrote different files"
    );

    // The ONNX model classifies the test set as the safetensors model does.
    let predicted = |model: &Path, name: &str| {
        let file = dir.join(name);
        let text = ok(&run(
            "predict",
            &[
                "--model",
                arg(model),
                "--data",
                arg(&data),
                "--predictions",
                arg(&file),
            ],
        ));
        (text, std::fs::read_to_string(&file).unwrap())
    };
    let (from_safetensors, classes) = predicted(&model, "safetensors.txt");
    let (from_onnx, onnx_classes) = predicted(&exported, "onnx.txt");
    assert_eq!(classes.lines().count(), 200);
    assert_eq!(onnx_classes, classes);
    assert!(
        from_onnx.starts_with(&format!(
            "model {} (f32, (784) → 10 logits: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9)",
            exported.display()
        )),
        "{from_onnx}"
    );
    let accuracy = |t: &str| {
        t.lines()
            .find(|l| l.starts_with("test accuracy"))
            .map(String::from)
    };
    assert_eq!(accuracy(&from_onnx), accuracy(&from_safetensors));

    // In-process: the same outputs to the last bit.
    let mut net = load_model::<f32>(&model).unwrap();
    let mut back = import(&exported).unwrap().into_model();
    assert_eq!(back.info(), net.info());
    assert_eq!(
        outputs(&mut back, &data, PixelScale::Unit),
        outputs(&mut net, &data, PixelScale::Unit)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn cnn_onnx_writes_lenet_that_imports_with_its_weights_and_outputs() {
    let dir = temp_dir("onnx", "cnn");
    let data = dir.join("digits");
    small_set(&data, MNIST_NAMES, 300, 100, 0);
    let out = dir.join("out");
    let onnx = dir.join("lenet.onnx");
    train("cnn", &data, &out, &onnx);
    let mut net = load_model::<f32>(&out.join("model.safetensors")).unwrap();
    let imported = import(&onnx).unwrap();
    assert_eq!(imported.opset, 17);
    assert_eq!(imported.input_shape().dims(), [1, 28, 28]);
    let mut back = imported.into_model();
    let bits = |n: &Sequential<f32>| {
        let mut v = Vec::new();
        n.visit_params(&mut |p| v.extend(p.value.iter().map(|x| x.to_bits())));
        v
    };
    assert_eq!(bits(&back), bits(&net), "the weights, bit for bit");
    assert_eq!(back.summary(), net.summary());
    assert_eq!(
        outputs(&mut back, &data, PixelScale::MNIST),
        outputs(&mut net, &data, PixelScale::MNIST)
    );

    // predict reads it, says what it expects, and writes its outputs.
    let help = ok(&run("predict", &["--model", arg(&onnx), "--help"]));
    assert!(
        help.contains("input: shape (1, 28, 28), a 28×28 grey picture"),
        "{help}"
    );
    assert!(help.contains("pixels: (x/255 − 0.1307)/0.3081"), "{help}");
    let csv = dir.join("outputs.csv");
    let text = ok(&run(
        "predict",
        &[
            "--model",
            arg(&onnx),
            "--data",
            arg(&data),
            "--limit",
            "7",
            "--outputs",
            arg(&csv),
        ],
    ));
    assert!(text.contains("test accuracy"), "{text}");
    assert!(
        text.contains(&format!(
            "wrote the outputs of 7 images to {}",
            csv.display()
        )),
        "{text}"
    );
    let csv = std::fs::read_to_string(&csv).unwrap();
    let mut lines = csv.lines();
    let header: Vec<String> = (0..10).map(|k| format!("out_{k}")).collect();
    assert_eq!(
        lines.next(),
        Some(format!("image,label,predicted,{}", header.join(",")).as_str())
    );
    let expected = outputs(&mut net, &data, PixelScale::MNIST);
    let mut rows = 0;
    for (i, line) in lines.enumerate() {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells.len(), 13, "{line}");
        assert_eq!(cells[0], i.to_string());
        let values: Vec<f32> = cells[3..].iter().map(|c| c.parse().unwrap()).collect();
        let bits: Vec<u32> = values.iter().map(|v| v.to_bits()).collect();
        assert_eq!(
            bits,
            expected[i * 10..(i + 1) * 10],
            "image {i}: full precision"
        );
        let best = (0..10)
            .max_by(|&a, &b| values[a].total_cmp(&values[b]))
            .unwrap();
        assert_eq!(cells[2], best.to_string(), "{line}");
        rows += 1;
    }
    assert_eq!(rows, 7);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_broken_onnx_file_is_a_one_line_error_naming_it() {
    let dir = temp_dir("onnx", "broken");
    let file = dir.join("broken.onnx");
    // A protobuf field 1 (ir_version) with a varint that never ends.
    std::fs::write(&file, [0x08, 0xff, 0xff, 0xff]).unwrap();
    let out = run("predict", &["--model", arg(&file)]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.starts_with(&format!("error: {}: ", file.display())),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let layers = run("predict", &["--model", arg(&file), "--layers", "784,10"]);
    assert!(
        stderr(&layers).contains("--layers describes a state dict"),
        "{}",
        stderr(&layers)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
