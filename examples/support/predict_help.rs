//! examples/predict `--model FILE --help`: what that model expects (its
//! input picture, pixel scaling, outputs and classes), printed after the
//! usage. Compiled into predict with `#[path]`; uses predict_image.rs and
//! predict_onnx.rs (an ONNX file).

use crate::predict_image::input_size;
use backprop::io::{inspect, load_model};
use backprop::layers::{Preprocess, Sequential};
use backprop::tensor::Scalar;
use std::error::Error;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The value of `--model FILE` or `--model=FILE` in a command line that
/// clap did not parse (it stopped at `--help`).
pub fn model_flag(args: impl Iterator<Item = OsString>) -> Option<PathBuf> {
    let mut args = args.skip(1);
    while let Some(arg) = args.next() {
        if arg == "--model" {
            return args.next().map(PathBuf::from);
        }
        if let Some(value) = arg.to_str().and_then(|a| a.strip_prefix("--model=")) {
            return Some(PathBuf::from(value));
        }
    }
    None
}

/// What the model in `path` expects, for `--help`.
pub fn describe_model(path: &Path) -> String {
    let onnx = crate::predict_onnx::is_onnx(path);
    let described = if onnx {
        crate::predict_onnx::load(path).map(|n| expects(&n))
    } else {
        described(path)
    };
    match described {
        Ok(text) => format!("The model {}:\n{text}", path.display()),
        Err(e) if path.is_file() && !onnx => format!(
            "The model {} could not be read ({e}); a PyTorch state dict needs --layers.",
            path.display()
        ),
        Err(e) => format!("The model {} could not be read: {e}", path.display()),
    }
}

/// What the safetensors model file in `path` expects.
fn described(path: &Path) -> Result<String, Box<dyn Error>> {
    inspect(path)
        .map_err(Box::<dyn Error>::from)
        .and_then(|info| {
            if info.dtype.as_deref() == Some("f64") {
                load_model::<f64>(path)
                    .map(|n| expects(&n))
                    .map_err(Into::into)
            } else {
                load_model::<f32>(path)
                    .map(|n| expects(&n))
                    .map_err(Into::into)
            }
        })
}

/// The input, preprocessing and classes of `net`, one indented line each.
fn expects<T: Scalar>(net: &Sequential<T>) -> String {
    let picture = match input_size(net.input_shape()) {
        Ok((w, h)) => format!(
            "  input: shape {}, a {w}×{h} grey picture",
            net.input_shape()
        ),
        Err(e) => format!("  input: {e}"),
    };
    let preprocess = match &net.info().preprocess {
        Preprocess::None => "pixels: not recorded (x/255 assumed; --scale to say)".to_string(),
        Preprocess::Pixels { mean, std } if *mean == 0.0 && *std == 1.0 => {
            "pixels: x/255".to_string()
        }
        Preprocess::Pixels { mean, std } => format!("pixels: (x/255 − {mean})/{std}"),
        other => format!("preprocessing {other:?}: not pixels, no image classifier"),
    };
    let classes = match &net.info().class_names {
        Some(names) => format!("{} classes: {}", names.len(), names.join(", ")),
        None => format!(
            "{} classes: 0 to {}",
            net.output_size(),
            net.output_size().saturating_sub(1)
        ),
    };
    format!(
        "{picture}\n  {preprocess}\n  output: {} {}\n  {classes}",
        net.output_size(),
        net.info().output.name()
    )
}
