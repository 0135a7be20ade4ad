//! Model files: any [`Model`] as one safetensors file, its weights in
//! PyTorch's `nn.Sequential` state-dict layout and its description (input
//! shape, layers, [`ModelInfo`](backprop_layers::ModelInfo)) as JSON in the
//! metadata; and PyTorch state dicts loaded into a given architecture.

use crate::checks::Reading;
use crate::container::{BYTES_LABEL, open, read_bytes, write_tensors};
use crate::description::{
    CHECKPOINT_KEY, Description, MODEL_KEY, OPTIMIZER_PREFIX, describe, read_description,
};
use crate::encode::{encode_model, fill_model};
use crate::tensors::OwnedTensor;
use crate::{Architecture, IoError, LoadOptions, Result, write_atomic};
use backprop_layers::{Model, Registry, Sequential, registry};
use backprop_tensor::Scalar;
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

/// A model's tensors and `__metadata__`, ready to be written.
pub(crate) type Encoded = (Vec<(String, OwnedTensor)>, HashMap<String, String>);

/// Describes and encodes `model` (its architecture planned through the
/// program's registry).
pub(crate) fn encode<T: Scalar, M: Model<T> + ?Sized>(
    model: &M,
) -> Result<(Architecture, Encoded)> {
    let arch = Architecture::of(model)?;
    let plan = arch.plan(&registry())?;
    let tensors = encode_model(model, &arch, &plan)?;
    let meta = HashMap::from([(MODEL_KEY.to_string(), describe::<T>(&arch, model.info())?)]);
    Ok((arch, (tensors, meta)))
}

/// Writes `model` as a safetensors file to `w` (see [`save_model`]).
pub fn write_model<T: Scalar, M: Model<T> + ?Sized>(model: &M, w: &mut dyn Write) -> Result<()> {
    let (_, (tensors, meta)) = encode(model)?;
    write_tensors(&tensors, meta, w, Path::new("<writer>"))
}

/// `model` as the bytes of a safetensors file (see [`save_model`]).
pub fn model_to_bytes<T: Scalar, M: Model<T> + ?Sized>(model: &M) -> Result<Vec<u8>> {
    let (_, (tensors, meta)) = encode(model)?;
    let mut out = Vec::new();
    write_tensors(&tensors, meta, &mut out, Path::new(BYTES_LABEL))?;
    Ok(out)
}

/// Saves `model` as one safetensors file, atomically (see [`write_atomic`]).
///
/// Tensors are named and laid out as PyTorch's `nn.Sequential` state dict
/// (`"0.weight"` `[outputs, inputs]` row-major, `"0.bias"` `[outputs]`,
/// BatchNorm1d's `running_mean`, `running_var` and an `i64`
/// `num_batches_tracked`; a nested network's `"3.1.weight"`), in the
/// model's element type (`F32` or `F64`), so `safetensors.torch.load_file`
/// followed by `load_state_dict` works on the equivalent PyTorch model. The
/// description (input shape, every layer's kind and configuration, the
/// model's preprocessing, output kind, class names and metadata) is stored as
/// JSON under the metadata key [`MODEL_KEY`], so [`load_model`] rebuilds the
/// model from the file alone.
///
/// Fails, before touching the file system, if a layer has no
/// [`config`](backprop_layers::Layer::config) or its kind is not registered
/// ([`register`](backprop_layers::register)).
///
/// ```
/// use backprop_io::{load_model, save_model};
/// use backprop_layers::Sequential;
/// let net = Sequential::<f64>::builder(4).seed(1).dense(3).tanh().dropout(0.1).dense(2).build()?;
/// let path = std::env::temp_dir().join(format!("backprop-io-doc-{}.safetensors", std::process::id()));
/// save_model(&net, &path)?;
/// let back: Sequential<f64> = load_model(&path)?;
/// let (mut a, mut b) = (Vec::new(), Vec::new());
/// net.visit_params(&mut |p| a.push(p.value.clone()));
/// back.visit_params(&mut |p| b.push(p.value.clone()));
/// assert_eq!(a, b); // bit for bit
/// # let _ = std::fs::remove_file(&path);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn save_model<T: Scalar, M: Model<T> + ?Sized>(
    model: &M,
    path: impl AsRef<Path>,
) -> Result<()> {
    let path = path.as_ref();
    let (_, (tensors, meta)) = encode(model)?;
    write_atomic(path, |w| write_tensors(&tensors, meta, w, path))
}

/// Tensors of a checkpoint that a model loader skips.
pub(crate) fn is_optimizer_tensor(name: &str) -> bool {
    name.starts_with(OPTIMIZER_PREFIX)
}

/// The description of a file that must have one.
pub(crate) fn required_description(
    file: &Path,
    meta: &HashMap<String, String>,
) -> Result<Description> {
    read_description(file, meta)?.ok_or_else(|| IoError::MissingMetadata {
        file: file.to_path_buf(),
        what: "model",
        key: MODEL_KEY,
    })
}

/// Builds and fills the model `d` describes, with its information.
pub(crate) fn load_described<T: Scalar>(
    reading: &Reading<'_>,
    st: &safetensors::SafeTensors<'_>,
    d: &Description,
    registry: &Registry,
    also_allowed: &dyn Fn(&str) -> bool,
) -> Result<Sequential<T>> {
    let file = reading.file;
    d.check_dtype::<T>(file)?;
    let mut model = fill_model::<T>(reading, st, &d.arch, registry, true, also_allowed)?;
    if let Some(info) = d.info(file, model.input_size(), model.output_size())? {
        *model.info_mut() = info;
    }
    Ok(model)
}

pub(crate) fn read_model_from<T: Scalar>(
    file: &Path,
    bytes: &[u8],
    options: &LoadOptions,
) -> Result<Sequential<T>> {
    let (st, meta) = open(file, bytes, options)?;
    let d = required_description(file, &meta)?;
    let checkpoint = meta.contains_key(CHECKPOINT_KEY);
    let reading = Reading {
        file,
        options,
        checkpoint,
    };
    load_described(&reading, &st, &d, &registry(), &|n| {
        checkpoint && is_optimizer_tensor(n)
    })
}

/// Loads a model saved by [`save_model`] (or a checkpoint's model, see
/// [`save_checkpoint`](crate::save_checkpoint)), rebuilding it from the
/// description in the file's metadata, its layers' kinds looked up in the
/// program's [`registry`](backprop_layers::registry) (register your own
/// layers first). Version 1 files (before model information) load with the
/// default information: no preprocessing, outputs guessed from the last
/// layer.
///
/// Fails with a typed error, never a panic, if the file cannot be read, is not
/// a valid safetensors file (truncated, corrupt), has no backprop metadata
/// ([`IoError::MissingMetadata`]: use [`load_state_dict`] for PyTorch files),
/// has another format version, stores another element type than `T`, names
/// an unregistered layer kind, or a tensor is missing, extra, or of the wrong
/// shape or dtype.
///
/// It also refuses, with the checks of [`LoadOptions::default()`]: a file
/// whose checksum does not match its contents ([`IoError::Checksum`]: it was
/// damaged or edited after it was saved; files without one, such as
/// PyTorch's, load unverified), a value no training produces
/// ([`IoError::InvalidValue`]: a NaN or infinite weight, a negative
/// BatchNorm running variance, naming the tensor), and a model larger than
/// the limits ([`IoError::Limit`]). [`load_model_with`] sets other options.
pub fn load_model<T: Scalar>(path: impl AsRef<Path>) -> Result<Sequential<T>> {
    load_model_with(path, &LoadOptions::DEFAULT)
}

/// [`load_model`] with the given checks and limits: for instance
/// `LoadOptions { check_values: false, ..LoadOptions::default() }` loads a
/// model with NaN weights for inspection.
pub fn load_model_with<T: Scalar>(
    path: impl AsRef<Path>,
    options: &LoadOptions,
) -> Result<Sequential<T>> {
    let path = path.as_ref();
    read_model_from(path, &read_bytes(path)?, options)
}

/// [`load_model`] from the bytes of a file.
pub fn read_model<T: Scalar>(bytes: &[u8]) -> Result<Sequential<T>> {
    read_model_with(bytes, &LoadOptions::DEFAULT)
}

/// [`load_model_with`] from the bytes of a file.
pub fn read_model_with<T: Scalar>(bytes: &[u8], options: &LoadOptions) -> Result<Sequential<T>> {
    read_model_from(Path::new(BYTES_LABEL), bytes, options)
}

fn read_state_dict_from<T: Scalar>(
    file: &Path,
    bytes: &[u8],
    arch: &Architecture,
    options: &LoadOptions,
) -> Result<Sequential<T>> {
    let (st, meta) = open(file, bytes, options)?;
    if let Some(d) = read_description(file, &meta)? {
        if &d.arch != arch {
            return Err(IoError::ArchitectureMismatch {
                file: file.to_path_buf(),
                expected: arch.to_string(),
                found: d.arch.to_string(),
            });
        }
        d.check_dtype::<T>(file)?;
    }
    let reading = Reading {
        file,
        options,
        checkpoint: false,
    };
    fill_model(&reading, &st, arch, &registry(), false, &|_| false)
}

/// Loads a state dict in PyTorch's `nn.Sequential` layout (as written by
/// `safetensors.torch.save_file(model.state_dict(), path)`) into the model
/// that `arch` describes. Any metadata is ignored, except that a backprop
/// model description, if present, must agree with `arch`
/// ([`IoError::ArchitectureMismatch`] otherwise).
///
/// Every tensor of `arch` must be present with its shape and `T`'s dtype, and
/// the file must hold no other: the error names the tensor.
///
/// ```no_run
/// use backprop_io::{Architecture, load_state_dict};
/// // nn.Sequential(Linear(784,128), ReLU(), Linear(128,64), ReLU(), Linear(64,10))
/// let arch: Architecture = "784,128,64,10".parse()?;
/// let net = load_state_dict::<f32>("torch_mlp.safetensors", &arch)?;
/// # Ok::<(), backprop_io::IoError>(())
/// ```
pub fn load_state_dict<T: Scalar>(
    path: impl AsRef<Path>,
    arch: &Architecture,
) -> Result<Sequential<T>> {
    load_state_dict_with(path, arch, &LoadOptions::DEFAULT)
}

/// [`load_state_dict`] with the given checks and limits.
pub fn load_state_dict_with<T: Scalar>(
    path: impl AsRef<Path>,
    arch: &Architecture,
    options: &LoadOptions,
) -> Result<Sequential<T>> {
    let path = path.as_ref();
    read_state_dict_from(path, &read_bytes(path)?, arch, options)
}

/// [`load_state_dict`] from the bytes of a file.
pub fn read_state_dict<T: Scalar>(bytes: &[u8], arch: &Architecture) -> Result<Sequential<T>> {
    read_state_dict_with(bytes, arch, &LoadOptions::DEFAULT)
}

/// [`load_state_dict_with`] from the bytes of a file.
pub fn read_state_dict_with<T: Scalar>(
    bytes: &[u8],
    arch: &Architecture,
    options: &LoadOptions,
) -> Result<Sequential<T>> {
    read_state_dict_from(Path::new(BYTES_LABEL), bytes, arch, options)
}
