//! The PyTorch-made fixtures of tests/fixtures (written by
//! scripts/torch_onnx_fixtures.py): the 16 input images and, per file,
//! PyTorch's own outputs for them (`#[path]`-included).
#![allow(dead_code)]

use backprop_tensor::DMatrix;
use serde_json::Value;
use std::path::PathBuf;

/// tests/fixtures/`name`.
pub fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn json(name: &str) -> Value {
    let file = path(name);
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

/// inputs.json: the images as the networks' input, one column per image
/// (784 × 16, `float32(pixel) / 255` as PyTorch computed it).
pub fn inputs() -> DMatrix<f32> {
    let v = json("inputs.json");
    let pixels: Vec<f32> = v["pixels"]
        .as_array()
        .expect("pixels")
        .iter()
        .map(|p| p.as_u64().expect("a byte") as f32 / 255.0)
        .collect();
    let n = v["shape"][0].as_u64().expect("the image count") as usize;
    assert_eq!(pixels.len(), n * 784, "inputs.json: 784 pixels per image");
    DMatrix::from_column_slice(784, n, &pixels)
}

/// `<stem>.json`: PyTorch's outputs (classes × images, like ours) and the
/// operators the exporter wrote.
pub struct Expected {
    /// PyTorch's outputs, a column per image.
    pub outputs: DMatrix<f32>,
    /// The file's `op_type`s, in order.
    pub operators: Vec<String>,
    /// The opset the file declares.
    pub opset: i64,
}

/// `<stem>.json`.
pub fn expected(stem: &str) -> Expected {
    let v = json(&format!("{stem}.json"));
    let rows = v["outputs"].as_array().expect("outputs");
    let classes = rows[0].as_array().expect("a row").len();
    let values: Vec<f32> = rows
        .iter()
        .flat_map(|r| r.as_array().expect("a row").iter())
        .map(|x| x.as_f64().expect("a number") as f32)
        .collect();
    Expected {
        outputs: DMatrix::from_column_slice(classes, rows.len(), &values),
        operators: v["operators"]
            .as_array()
            .expect("operators")
            .iter()
            .map(|o| o.as_str().expect("an op_type").to_string())
            .collect(),
        opset: v["opset"].as_i64().expect("opset"),
    }
}
