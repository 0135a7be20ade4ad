//! Model files: a [`Sequential`] as one safetensors file, its weights in
//! PyTorch's `nn.Sequential` state-dict layout and its architecture as JSON
//! in the metadata.

use crate::architecture::{LayerJson, TensorSpec};
use crate::tensors::{self, OwnedTensor, dtype_name, dtype_of};
use crate::{Architecture, IoError, Result, write_atomic};
use backprop_layers::Sequential;
use backprop_tensor::{DMatrix, Parameters, Scalar};
use safetensors::SafeTensors;
use safetensors::tensor::Dtype;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The `__metadata__` key holding a model's description (JSON).
pub const MODEL_KEY: &str = "backprop.model";
/// The format name written in the model description.
pub const MODEL_FORMAT: &str = "backprop.model";
/// The version of the model description this build writes and reads.
pub const MODEL_FORMAT_VERSION: u64 = 1;

/// The label of in-memory buffers in error messages.
pub(crate) const BYTES_LABEL: &str = "<bytes>";

/// The model description stored under [`MODEL_KEY`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ModelMeta {
    pub(crate) format: String,
    pub(crate) format_version: u64,
    /// `"f32"` or `"f64"`.
    pub(crate) dtype: String,
    pub(crate) input_size: usize,
    pub(crate) layers: Vec<LayerJson>,
}

pub(crate) fn io_err(file: &Path) -> impl Fn(std::io::Error) -> IoError + '_ {
    move |source| IoError::Io {
        file: file.to_path_buf(),
        source,
    }
}

pub(crate) fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(io_err(path))
}

pub(crate) fn parse<'a>(file: &Path, bytes: &'a [u8]) -> Result<SafeTensors<'a>> {
    SafeTensors::deserialize(bytes).map_err(|e| format_error(file, bytes, &e))
}

/// The `__metadata__` map of a file (empty if it has none).
pub(crate) fn metadata(file: &Path, bytes: &[u8]) -> Result<HashMap<String, String>> {
    let (_, meta) = SafeTensors::read_metadata(bytes).map_err(|e| format_error(file, bytes, &e))?;
    Ok(meta.metadata().clone().unwrap_or_default())
}

/// The safetensors parser's error, with the sizes it leaves out where the
/// layout explains it: a file shorter than the 8-byte header length, a
/// header longer than what follows it, tensors that need more (or fewer)
/// data bytes than the file holds.
fn format_error(file: &Path, bytes: &[u8], e: &safetensors::SafeTensorError) -> IoError {
    use safetensors::SafeTensorError as E;
    let len = bytes.len();
    let header = bytes
        .get(..8)
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map(u64::from_le_bytes);
    let after = len.saturating_sub(8);
    let reason = match (e, header) {
        (E::HeaderTooSmall, _) | (_, None) => {
            format!("{e}: expected at least 8 bytes (the header's length), found {len}")
        }
        (E::HeaderTooLarge | E::InvalidHeaderLength, Some(n)) => {
            format!("{e}: the header's length says {n} bytes, but {after} follow it")
        }
        (E::MetadataIncompleteBuffer, Some(n)) => match tensor_data_end(bytes, n) {
            Some(need) => format!(
                "{e}: the tensors need {need} bytes of data, the file holds {}",
                after.saturating_sub(usize::try_from(n).unwrap_or(usize::MAX))
            ),
            None => e.to_string(),
        },
        _ => e.to_string(),
    };
    IoError::Format {
        file: file.to_path_buf(),
        reason,
    }
}

/// The end of the last tensor's data, read from a header the parser
/// accepted up to its coverage check.
fn tensor_data_end(bytes: &[u8], header_len: u64) -> Option<usize> {
    let n = usize::try_from(header_len).ok()?;
    let json = std::str::from_utf8(bytes.get(8..8usize.checked_add(n)?)?).ok()?;
    let map: HashMap<String, serde_json::Value> = serde_json::from_str(json).ok()?;
    map.iter()
        .filter(|(name, _)| name.as_str() != "__metadata__")
        .filter_map(|(_, info)| info.get("data_offsets")?.get(1)?.as_u64())
        .max()
        .and_then(|end| usize::try_from(end).ok())
}

/// Parses a JSON description: checks `format` and `format_version` first (so a
/// newer file is reported as such, not as malformed), then the fields.
pub(crate) fn parse_description<D: for<'de> Deserialize<'de>>(
    file: &Path,
    json: &str,
    format: &str,
    version: u64,
) -> Result<D> {
    let value: serde_json::Value = serde_json::from_str(json).map_err(|e| IoError::Metadata {
        file: file.to_path_buf(),
        reason: format!("{format} description is not valid JSON: {e}"),
    })?;
    let found_format = value.get("format").and_then(|v| v.as_str());
    if found_format != Some(format) {
        return Err(IoError::Metadata {
            file: file.to_path_buf(),
            reason: format!(
                "expected \"format\": {format:?}, found {}",
                found_format.map_or("nothing".to_string(), |f| format!("{f:?}"))
            ),
        });
    }
    let found_version = value.get("format_version").and_then(|v| v.as_u64());
    match found_version {
        Some(v) if v == version => {}
        Some(v) => {
            return Err(IoError::UnsupportedVersion {
                file: file.to_path_buf(),
                format: format.to_string(),
                found: v,
                supported: version,
            });
        }
        None => {
            return Err(IoError::Metadata {
                file: file.to_path_buf(),
                reason: format!("{format} description has no integer \"format_version\""),
            });
        }
    }
    serde_json::from_value(value).map_err(|e| IoError::Metadata {
        file: file.to_path_buf(),
        reason: format!("{format} description: {e}"),
    })
}

impl ModelMeta {
    pub(crate) fn new<T: Scalar>(arch: &Architecture) -> Self {
        Self {
            format: MODEL_FORMAT.to_string(),
            format_version: MODEL_FORMAT_VERSION,
            dtype: T::NAME.to_string(),
            input_size: arch.input_size,
            layers: arch.to_json(),
        }
    }

    pub(crate) fn architecture(&self, file: &Path) -> Result<Architecture> {
        Architecture::from_json(self.input_size, &self.layers).map_err(|reason| IoError::Metadata {
            file: file.to_path_buf(),
            reason,
        })
    }

    pub(crate) fn to_json(&self) -> Result<String> {
        serde_json::to_string(self).map_err(|e| IoError::Architecture {
            reason: format!("cannot describe the model as JSON: {e}"),
        })
    }
}

/// The model description of a file, if it has one.
pub(crate) fn model_meta(
    file: &Path,
    meta: &HashMap<String, String>,
) -> Result<Option<(ModelMeta, Architecture)>> {
    let Some(json) = meta.get(MODEL_KEY) else {
        return Ok(None);
    };
    let m: ModelMeta = parse_description(file, json, MODEL_FORMAT, MODEL_FORMAT_VERSION)?;
    let arch = m.architecture(file)?;
    Ok(Some((m, arch)))
}

/// Every tensor of `model`, encoded as `arch` lays it out.
pub(crate) fn encode_model<T: Scalar>(
    model: &Sequential<T>,
    arch: &Architecture,
) -> Result<Vec<(String, OwnedTensor)>> {
    let specs: HashMap<String, TensorSpec> = arch
        .tensors()
        .into_iter()
        .map(|s| (s.name.clone(), s))
        .collect();
    let mut out: Vec<(String, OwnedTensor)> = Vec::with_capacity(specs.len());
    let mut unknown: Option<String> = None;
    let mut add = |name: &str, m: &DMatrix<T>| match specs.get(name) {
        Some(s) => out.push((name.to_string(), tensors::encode(m, s.kind, &s.shape))),
        None => {
            unknown.get_or_insert_with(|| name.to_string());
        }
    };
    model.visit_params(&mut |p| add(p.name(), &p.value));
    model.visit_buffers(&mut |name, b| add(name, b));
    if let Some(name) = unknown {
        return Err(IoError::Architecture {
            reason: format!("the model's tensor {name:?} is not described by {arch}"),
        });
    }
    let have: HashSet<&str> = out.iter().map(|(n, _)| n.as_str()).collect();
    if let Some(missing) = arch
        .tensors()
        .iter()
        .find(|s| !have.contains(s.name.as_str()))
    {
        return Err(IoError::Architecture {
            reason: format!(
                "the model has no tensor {:?} although {arch} needs it",
                missing.name
            ),
        });
    }
    Ok(out)
}

/// Serialises tensors and metadata and writes them to `w`.
pub(crate) fn write_tensors(
    tensors: &[(String, OwnedTensor)],
    meta: HashMap<String, String>,
    w: &mut dyn Write,
    file: &Path,
) -> Result<()> {
    let bytes = safetensors::serialize(tensors.iter().map(|(n, t)| (n.as_str(), t)), Some(meta))
        .map_err(|e| IoError::Format {
            file: file.to_path_buf(),
            reason: format!("cannot serialise: {e}"),
        })?;
    w.write_all(&bytes).map_err(io_err(file))
}

fn write_model_to<T: Scalar>(model: &Sequential<T>, w: &mut dyn Write, file: &Path) -> Result<()> {
    let arch = Architecture::of(model)?;
    let tensors = encode_model(model, &arch)?;
    let meta = HashMap::from([(MODEL_KEY.to_string(), ModelMeta::new::<T>(&arch).to_json()?)]);
    write_tensors(&tensors, meta, w, file)
}

/// Writes `model` as a safetensors file to `w` (see [`save_model`]).
pub fn write_model<T: Scalar>(model: &Sequential<T>, w: &mut dyn Write) -> Result<()> {
    write_model_to(model, w, Path::new("<writer>"))
}

/// `model` as the bytes of a safetensors file (see [`save_model`]).
pub fn model_to_bytes<T: Scalar>(model: &Sequential<T>) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    write_model_to(model, &mut out, Path::new(BYTES_LABEL))?;
    Ok(out)
}

/// Saves `model` as one safetensors file, atomically (see [`write_atomic`]).
///
/// Tensors are named and laid out as PyTorch's `nn.Sequential` state dict
/// (`"0.weight"` `[outputs, inputs]` row-major, `"0.bias"` `[outputs]`,
/// BatchNorm1d's `running_mean`, `running_var` and an `i64`
/// `num_batches_tracked`; see [`Architecture::tensors`]), in the model's
/// element type (`F32` or `F64`), so `safetensors.torch.load_file` followed by
/// `load_state_dict` works on the equivalent PyTorch model. The architecture
/// is stored as JSON under the metadata key [`MODEL_KEY`], so
/// [`load_model`] rebuilds the model from the file alone.
///
/// Fails if a layer is a custom layer without a [`spec`](backprop_layers::Layer::spec).
///
/// ```
/// use backprop_io::{load_model, save_model};
/// use backprop_layers::Sequential;
/// use backprop_tensor::Parameters;
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
pub fn save_model<T: Scalar>(model: &Sequential<T>, path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    // Describe and encode first, so a model that cannot be saved never
    // touches the file system.
    let arch = Architecture::of(model)?;
    let tensors = encode_model(model, &arch)?;
    let meta = HashMap::from([(MODEL_KEY.to_string(), ModelMeta::new::<T>(&arch).to_json()?)]);
    write_atomic(path, |w| write_tensors(&tensors, meta, w, path))
}

/// Checks every tensor of `arch` (presence, dtype, shape) and that the file
/// has no other tensor than those and the ones `also_allowed` accepts, then
/// builds the model and fills it. Nothing is allocated from the
/// architecture's sizes before the file's tensors have been seen to match
/// them.
pub(crate) fn fill_model<T: Scalar>(
    file: &Path,
    st: &SafeTensors<'_>,
    arch: &Architecture,
    from_file: bool,
    also_allowed: &dyn Fn(&str) -> bool,
) -> Result<Sequential<T>> {
    let specs = arch.tensors();
    for s in &specs {
        tensors::check::<T>(file, st, s, &s.name)?;
    }
    let names: HashSet<&str> = specs.iter().map(|s| s.name.as_str()).collect();
    let mut extra: Vec<&str> = st
        .names()
        .into_iter()
        .filter(|n| !names.contains(n) && !also_allowed(n))
        .collect();
    extra.sort_unstable();
    if let Some(name) = extra.first() {
        return Err(IoError::ExtraTensor {
            file: file.to_path_buf(),
            tensor: name.to_string(),
            architecture: arch.to_string(),
        });
    }
    let mut model = arch.build::<T>(0).map_err(|e| match (from_file, e) {
        (true, e) => IoError::Metadata {
            file: file.to_path_buf(),
            reason: format!("the architecture {arch} cannot be built: {e}"),
        },
        (false, e) => e,
    })?;
    let mut values: BTreeMap<String, DMatrix<T>> = BTreeMap::new();
    for s in &specs {
        values.insert(s.name.clone(), tensors::decode::<T>(file, st, s, &s.name)?);
    }
    model.visit_params_mut(&mut |p| {
        if let Some(v) = values.remove(p.name()) {
            p.value = v;
        }
    });
    model.visit_buffers_mut(&mut |name, b| {
        if let Some(v) = values.remove(name) {
            *b = v;
        }
    });
    if let Some(name) = values.keys().next() {
        return Err(IoError::Architecture {
            reason: format!(
                "{arch} names the tensor {name:?}, but the model built from it has no such tensor"
            ),
        });
    }
    Ok(model)
}

fn check_dtype<T: Scalar>(file: &Path, meta: &ModelMeta) -> Result<()> {
    if meta.dtype != T::NAME {
        return Err(IoError::ModelDtype {
            file: file.to_path_buf(),
            expected: T::NAME.to_string(),
            found: meta.dtype.clone(),
        });
    }
    Ok(())
}

/// Tensors of a checkpoint that a model loader skips.
pub(crate) fn is_optimizer_tensor(name: &str) -> bool {
    name.starts_with(crate::checkpoint::OPTIMIZER_PREFIX)
}

pub(crate) fn read_model_from<T: Scalar>(file: &Path, bytes: &[u8]) -> Result<Sequential<T>> {
    let st = parse(file, bytes)?;
    let meta = metadata(file, bytes)?;
    let Some((m, arch)) = model_meta(file, &meta)? else {
        return Err(IoError::MissingMetadata {
            file: file.to_path_buf(),
            what: "model",
            key: MODEL_KEY,
        });
    };
    check_dtype::<T>(file, &m)?;
    let checkpoint = meta.contains_key(crate::checkpoint::CHECKPOINT_KEY);
    fill_model(file, &st, &arch, true, &|n| {
        checkpoint && is_optimizer_tensor(n)
    })
}

/// Loads a model saved by [`save_model`] (or a checkpoint's model, see
/// [`save_checkpoint`](crate::save_checkpoint)), rebuilding it from the
/// architecture in the file's metadata.
///
/// Fails with a typed error, never a panic, if the file cannot be read, is not
/// a valid safetensors file (truncated, corrupt), has no backprop metadata
/// ([`IoError::MissingMetadata`]: use [`load_state_dict`] for PyTorch files),
/// has another format version, stores another element type than `T`, or a
/// tensor is missing, extra, or of the wrong shape or dtype.
pub fn load_model<T: Scalar>(path: impl AsRef<Path>) -> Result<Sequential<T>> {
    let path = path.as_ref();
    read_model_from(path, &read_bytes(path)?)
}

/// [`load_model`] from the bytes of a file.
pub fn read_model<T: Scalar>(bytes: &[u8]) -> Result<Sequential<T>> {
    read_model_from(Path::new(BYTES_LABEL), bytes)
}

fn read_state_dict_from<T: Scalar>(
    file: &Path,
    bytes: &[u8],
    arch: &Architecture,
) -> Result<Sequential<T>> {
    let st = parse(file, bytes)?;
    let meta = metadata(file, bytes)?;
    if let Some((m, found)) = model_meta(file, &meta)? {
        if &found != arch {
            return Err(IoError::ArchitectureMismatch {
                file: file.to_path_buf(),
                expected: arch.to_string(),
                found: found.to_string(),
            });
        }
        check_dtype::<T>(file, &m)?;
    }
    fill_model(file, &st, arch, false, &|_| false)
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
    let path = path.as_ref();
    read_state_dict_from(path, &read_bytes(path)?, arch)
}

/// [`load_state_dict`] from the bytes of a file.
pub fn read_state_dict<T: Scalar>(bytes: &[u8], arch: &Architecture) -> Result<Sequential<T>> {
    read_state_dict_from(Path::new(BYTES_LABEL), bytes, arch)
}

/// What a file holds, read from its header alone.
#[derive(Debug, Clone, PartialEq)]
pub struct FileInfo {
    /// The file.
    pub file: PathBuf,
    /// The architecture, if the file has a backprop model description.
    pub architecture: Option<Architecture>,
    /// The model's element type (`"f32"`, `"f64"`): from the description, or
    /// else from the first floating-point tensor (by name); `None` if neither.
    pub dtype: Option<String>,
    /// For a checkpoint, the number of epochs completed.
    pub checkpoint_epoch: Option<usize>,
    /// Every tensor: name, dtype (`"F32"`) and shape, sorted by name.
    pub tensors: Vec<(String, String, Vec<usize>)>,
}

/// Reads a file's header: its architecture, element type and tensors,
/// without decoding any weight. Useful to choose `f32` or `f64` before
/// loading.
pub fn inspect(path: impl AsRef<Path>) -> Result<FileInfo> {
    let path = path.as_ref();
    let bytes = read_bytes(path)?;
    let st = parse(path, &bytes)?;
    let meta = metadata(path, &bytes)?;
    let described = model_meta(path, &meta)?;
    let mut tensors: Vec<(String, String, Vec<usize>)> = st
        .iter()
        .map(|(n, v)| (n.to_string(), dtype_name(v.dtype()), v.shape().to_vec()))
        .collect();
    tensors.sort();
    let dtype = match &described {
        Some((m, _)) => Some(m.dtype.clone()),
        None => st
            .iter()
            .filter(|(_, v)| matches!(v.dtype(), Dtype::F32 | Dtype::F64))
            .min_by(|a, b| a.0.cmp(b.0))
            .map(|(_, v)| {
                if v.dtype() == dtype_of::<f32>() {
                    "f32".to_string()
                } else {
                    "f64".to_string()
                }
            }),
    };
    let checkpoint_epoch = match meta.get(crate::checkpoint::CHECKPOINT_KEY) {
        Some(json) => Some(crate::checkpoint::parse_meta(path, json)?.epoch),
        None => None,
    };
    Ok(FileInfo {
        file: path.to_path_buf(),
        architecture: described.map(|(_, a)| a),
        dtype,
        checkpoint_epoch,
        tensors,
    })
}
