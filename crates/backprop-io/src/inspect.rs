//! [`inspect`]: what a file holds, read from its header alone.

use crate::checkpoint::parse_meta;
use crate::checksum::{self, CHECKSUM_KEY};
use crate::container::{metadata, parse, read_bytes};
use crate::description::{CHECKPOINT_KEY, read_description};
use crate::tensors::{dtype_name, dtype_of};
use crate::{Architecture, Result};
use backprop_layers::ModelInfo;
use safetensors::tensor::Dtype;
use std::path::{Path, PathBuf};

/// What a file holds, read from its header alone.
#[derive(Debug, Clone, PartialEq)]
pub struct FileInfo {
    /// The file.
    pub file: PathBuf,
    /// The architecture, if the file has a backprop model description.
    pub architecture: Option<Architecture>,
    /// What the model says about itself (preprocessing, output kind, class
    /// names, metadata), if the file records it (version 2 descriptions).
    pub info: Option<ModelInfo>,
    /// The model's element type (`"f32"`, `"f64"`): from the description, or
    /// else from the first floating-point tensor (by name); `None` if neither.
    pub dtype: Option<String>,
    /// For a checkpoint, the number of epochs completed.
    pub checkpoint_epoch: Option<usize>,
    /// Every tensor: name, dtype (`"F32"`) and shape, sorted by name.
    pub tensors: Vec<(String, String, Vec<usize>)>,
    /// Whether the file's checksum matches its contents: `None` for a file
    /// without one (written by PyTorch or an older backprop), `Some(false)`
    /// for a damaged or edited file, which the loaders refuse. `inspect`
    /// reports it rather than failing, so a refused file can be looked at.
    pub checksum_ok: Option<bool>,
}

/// Reads a file's header: its architecture, model information, element type
/// and tensors, without decoding any weight. Useful to choose `f32` or `f64`
/// before loading, or to see how a model expects its input.
pub fn inspect(path: impl AsRef<Path>) -> Result<FileInfo> {
    let path = path.as_ref();
    let bytes = read_bytes(path)?;
    let st = parse(path, &bytes)?;
    let meta = metadata(path, &bytes)?;
    let checksum_ok = meta
        .contains_key(CHECKSUM_KEY)
        .then(|| checksum::verify(path, &st, &meta).is_ok());
    let described = read_description(path, &meta)?;
    let mut tensors: Vec<(String, String, Vec<usize>)> = st
        .iter()
        .map(|(n, v)| (n.to_string(), dtype_name(v.dtype()), v.shape().to_vec()))
        .collect();
    tensors.sort();
    let dtype = match &described {
        Some(d) => Some(d.dtype.clone()),
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
    let checkpoint_epoch = match meta.get(CHECKPOINT_KEY) {
        Some(json) => Some(parse_meta(path, json)?.epoch),
        None => None,
    };
    let info = match &described {
        Some(d) => {
            let plan = d.arch.plan(&backprop_layers::registry()).ok();
            let features = d.arch.input_shape().len();
            let outputs = plan.map_or(0, |p| p.output.len());
            d.info(path, features, outputs)?
        }
        None => None,
    };
    Ok(FileInfo {
        file: path.to_path_buf(),
        architecture: described.map(|d| d.arch),
        info,
        dtype,
        checkpoint_epoch,
        tensors,
        checksum_ok,
    })
}
