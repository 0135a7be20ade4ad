//! Running an ONNX file with tract-onnx, a pure-Rust ONNX runtime written
//! independently of this crate (`#[path]`-included).
#![allow(dead_code)]

use tract_onnx::prelude::*;

/// tract's outputs for `input` (row-major, of shape `dims`, the batch
/// first) through the ONNX model `bytes`, with the batch dimension fixed to
/// `dims[0]` and tract's optimisations on (as a deployment would run it).
pub fn run(bytes: &[u8], dims: &[usize], input: &[f32]) -> Vec<f32> {
    let model = tract_onnx::onnx()
        .model_for_read(&mut std::io::Cursor::new(bytes))
        .expect("tract reads the file")
        .with_input_fact(0, f32::fact(dims).into())
        .expect("tract accepts the input shape")
        .into_optimized()
        .expect("tract optimises the model")
        .into_runnable()
        .expect("tract plans the model");
    let x = Tensor::from_shape(dims, input).expect("an input tensor");
    let out = model
        .run(tvec!(x.into_tvalue()))
        .expect("tract runs the model");
    out[0]
        .to_plain_array_view::<f32>()
        .expect("f32 outputs")
        .iter()
        .copied()
        .collect()
}
