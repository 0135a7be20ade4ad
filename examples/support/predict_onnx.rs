//! examples/predict and ONNX: `--model FILE.onnx` reads an ONNX file (one
//! this library wrote, or PyTorch's `torch.onnx.export`, …) as the network,
//! and `--export-onnx FILE` writes the model as one. Compiled into predict
//! with `#[path]`.

use backprop::io::write_bytes_atomic;
use backprop::layers::Sequential;
use backprop::onnx::{ExportOptions, export_bytes, import, import_bytes};
use backprop::tensor::Scalar;
use std::error::Error;
use std::path::Path;

/// Whether `path` names an ONNX file (by its extension, `.onnx`).
pub fn is_onnx(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("onnx"))
}

/// The network of the ONNX file at `path`, in `f32` (ONNX files hold
/// `f32` weights), with its input shape and the information its metadata
/// records (pixel scaling, output kind, class names).
pub fn load(path: &Path) -> Result<Sequential<f32>, Box<dyn Error>> {
    let imported = import(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(imported.into_model())
}

/// Writes `net` to `path` as an ONNX file (atomically), after checking
/// that the bytes import back; returns the line that says what was written.
pub fn export<T: Scalar>(net: &Sequential<T>, path: &Path) -> Result<String, Box<dyn Error>> {
    let bytes = export_bytes(net, &ExportOptions::default())?;
    let back = import_bytes(&bytes)?;
    write_bytes_atomic(path, &bytes)?;
    Ok(format!(
        "wrote {}: ONNX opset {}, input {:?} [batch, {}], output {:?}, {} bytes{}",
        path.display(),
        back.opset,
        back.input_name,
        net.input_shape()
            .dims()
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        back.output_name,
        bytes.len(),
        if T::NAME == "f64" {
            " (the f64 weights rounded to f32)"
        } else {
            ""
        }
    ))
}
