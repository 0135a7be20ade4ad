//! Checkpoints: a model with everything needed to resume its training
//! bit-exactly — the optimizer's state, the epoch (which fixes the schedule's
//! position and the batch order), the data seed and every dropout layer's
//! random-stream position — in one safetensors file.

use crate::checks::Reading;
use crate::container::{BYTES_LABEL, fields, open, parse_description, read_bytes, write_tensors};
use crate::description::{CHECKPOINT_KEY, OPTIMIZER_PREFIX};
use crate::model::{Encoded, encode, load_described, required_description};
use crate::tensors;
use crate::{IoError, LoadOptions, Result, write_atomic};
use backprop_layers::{Layer, Layout, Model, Sequential, TensorInfo, registry};
use backprop_optim::OptimizerState;
use backprop_tensor::Scalar;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The format name written in the training-state description.
pub const CHECKPOINT_FORMAT: &str = "backprop.checkpoint";
/// The version of the checkpoint description this build writes (it reads 1,
/// 2 and 3; 2 names random streams by layer path, `"3"` or `"3.1"`; 3 adds
/// the run's history and data fingerprint, read as `null` from older files).
pub const CHECKPOINT_FORMAT_VERSION: u64 = 3;

/// Everything about a training run, besides the model, that a resumed run
/// needs to continue exactly where the saved one stopped.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingState<T: Scalar> {
    /// Epochs completed: resume with `Trainer::initial_epoch(epoch)`. The
    /// learning-rate schedule and the batch order are functions of the epoch
    /// (and the seed), so this is their position too.
    pub epoch: usize,
    /// The seed of the batch order (the trainer's seed).
    pub seed: u64,
    /// The optimizer's state: its name, step count and buffers (moments).
    pub optimizer: OptimizerState<T>,
    /// The caller's hyper-parameters and anything else worth keeping
    /// (learning rate, schedule, batch size…), stored verbatim as JSON; a
    /// resuming program should check them against its own.
    pub config: serde_json::Value,
    /// The run's history so far (one record per epoch), stored verbatim as
    /// JSON so that a resumed run's history covers the whole run;
    /// `Value::Null` when absent (and in files older than format version 3).
    pub history: serde_json::Value,
    /// A fingerprint of the training data (file names, sizes, checksums),
    /// stored verbatim as JSON so that a resume can refuse different data;
    /// `Value::Null` when absent (and in files older than format version 3).
    pub data: serde_json::Value,
}

/// A loaded checkpoint: the model (with its dropout layers' random streams
/// where they were) and the training state.
#[derive(Debug)]
pub struct Checkpoint<T: Scalar> {
    /// The model.
    pub model: Sequential<T>,
    /// The rest of the run's state.
    pub state: TrainingState<T>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OptimizerMeta {
    name: String,
    step: u64,
    /// Buffer names, in the order of [`OptimizerState::buffers`].
    buffers: Vec<String>,
}

/// A random stream's position: version 2 names the layer by its path,
/// version 1 by its index in a flat network.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RngMeta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    layer: Option<usize>,
    seed: u64,
    draws: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CheckpointMeta {
    format: String,
    format_version: u64,
    pub(crate) epoch: usize,
    seed: u64,
    optimizer: OptimizerMeta,
    rng: Vec<RngMeta>,
    config: serde_json::Value,
    /// Version 3; `null` when read from versions 1 and 2.
    #[serde(default)]
    history: serde_json::Value,
    /// Version 3; `null` when read from versions 1 and 2.
    #[serde(default)]
    data: serde_json::Value,
}

pub(crate) fn parse_meta(file: &Path, json: &str) -> Result<CheckpointMeta> {
    let (_, value) =
        parse_description(file, json, CHECKPOINT_FORMAT, 1, CHECKPOINT_FORMAT_VERSION)?;
    fields(file, CHECKPOINT_FORMAT, value)
}

/// The file name of the checkpoint after `epoch` epochs in `dir`:
/// `dir/epoch-{epoch}.safetensors`.
///
/// ```
/// use backprop_io::checkpoint_path;
/// assert!(checkpoint_path("runs/x/checkpoints", 3).ends_with("epoch-3.safetensors"));
/// ```
pub fn checkpoint_path(dir: impl AsRef<Path>, epoch: usize) -> PathBuf {
    dir.as_ref().join(format!("epoch-{epoch}.safetensors"))
}

/// The layout of optimizer buffer `name` (`"<parameter>.<kind>"`): its
/// parameter's.
fn buffer_spec(tensors: &[TensorInfo], name: &str) -> Option<TensorInfo> {
    let (param, _) = name.rsplit_once('.')?;
    tensors
        .iter()
        .find(|s| s.name == param && s.layout != Layout::Count)
        .map(|s| TensorInfo {
            name: format!("{OPTIMIZER_PREFIX}{name}"),
            ..s.clone()
        })
}

/// Every layer's random-stream position, by path (`"3"`, `"3.1"`).
fn rng_states<T: Scalar>(layer: &dyn Layer<T>, prefix: &str, out: &mut Vec<RngMeta>) {
    for (i, child) in layer.children().iter().enumerate() {
        let path = format!("{prefix}{i}");
        if let Some((seed, draws)) = child.rng_state() {
            out.push(RngMeta {
                path: Some(path.clone()),
                layer: None,
                seed,
                draws,
            });
        }
        rng_states(child.as_ref(), &format!("{path}."), out);
    }
}

/// The layer at `path` below `root`.
fn layer_at<'a, T: Scalar>(root: &'a mut dyn Layer<T>, path: &str) -> Option<&'a mut dyn Layer<T>> {
    let mut layer = root;
    for part in path.split('.') {
        let i: usize = part.parse().ok()?;
        layer = layer.children_mut().get_mut(i)?.as_mut();
    }
    Some(layer)
}

fn encode_checkpoint<T: Scalar, M: Model<T> + ?Sized>(
    model: &M,
    state: &TrainingState<T>,
) -> Result<Encoded> {
    let (arch, (mut tensors, mut map)) = encode(model)?;
    let specs = arch.plan(&registry())?.tensors;
    for (name, buf) in &state.optimizer.buffers {
        let spec = buffer_spec(&specs, name).ok_or_else(|| IoError::Architecture {
            reason: format!("optimizer buffer {name:?} belongs to no parameter of {arch}"),
        })?;
        if spec.matrix_shape() != Some(buf.shape()) {
            return Err(IoError::Architecture {
                reason: format!(
                    "optimizer buffer {name:?} is {}×{}, but its parameter has shape {:?}",
                    buf.nrows(),
                    buf.ncols(),
                    spec.shape
                ),
            });
        }
        tensors.push((spec.name.clone(), tensors::encode(buf, &spec)));
    }
    let mut rng = Vec::new();
    rng_states(model.as_layer(), "", &mut rng);
    let meta = CheckpointMeta {
        format: CHECKPOINT_FORMAT.to_string(),
        format_version: CHECKPOINT_FORMAT_VERSION,
        epoch: state.epoch,
        seed: state.seed,
        optimizer: OptimizerMeta {
            name: state.optimizer.optimizer.clone(),
            step: state.optimizer.step,
            buffers: state
                .optimizer
                .buffers
                .iter()
                .map(|(n, _)| n.clone())
                .collect(),
        },
        rng,
        config: state.config.clone(),
        history: state.history.clone(),
        data: state.data.clone(),
    };
    let json = serde_json::to_string(&meta).map_err(|e| IoError::Architecture {
        reason: format!("cannot describe the training state as JSON: {e}"),
    })?;
    map.insert(CHECKPOINT_KEY.to_string(), json);
    Ok((tensors, map))
}

/// Writes a checkpoint to `w` (see [`save_checkpoint`]).
pub fn write_checkpoint<T: Scalar, M: Model<T> + ?Sized>(
    model: &M,
    state: &TrainingState<T>,
    w: &mut dyn Write,
) -> Result<()> {
    let (tensors, meta) = encode_checkpoint(model, state)?;
    write_tensors(&tensors, meta, w, Path::new("<writer>"))
}

/// Saves a checkpoint atomically: the model as [`save_model`](crate::save_model)
/// writes it (so [`load_model`](crate::load_model) reads a checkpoint's model
/// too), plus the optimizer's buffers as tensors `"optimizer.<buffer>"` and,
/// under the metadata key [`CHECKPOINT_KEY`], the epoch, the seed, the
/// optimizer's name and step count, each dropout layer's `(seed, draws)`,
/// `state.config`, `state.history` and `state.data` (the last three verbatim).
///
/// A resumed run ([`load_checkpoint`], then `Trainer::initial_epoch`,
/// `Optimizer::load_state`) reproduces the uninterrupted run bit for bit.
///
/// ```
/// use backprop_io::{TrainingState, load_checkpoint, save_checkpoint};
/// use backprop_layers::Sequential;
/// use backprop_optim::{Adam, Optimizer};
/// use backprop_tensor::Parameters;
/// let mut net = Sequential::<f32>::builder(3).dense(2).build()?;
/// let mut adam = Adam::new();
/// net.visit_params_mut(&mut |p| p.grad.fill(0.5));
/// adam.step(0.01, &mut net)?;
/// let state = TrainingState {
///     epoch: 1,
///     seed: 7,
///     optimizer: adam.state(),
///     config: serde_json::json!({"lr": 0.01}),
///     history: serde_json::json!([{"epoch": 1, "loss": 0.25}]),
///     data: serde_json::json!({"train": {"file": "train.csv", "bytes": 1234}}),
/// };
/// let path = std::env::temp_dir().join(format!("backprop-io-ckpt-doc-{}.safetensors", std::process::id()));
/// save_checkpoint(&path, &net, &state)?;
/// let back = load_checkpoint::<f32>(&path)?;
/// assert_eq!(back.state, state);
/// # let _ = std::fs::remove_file(&path);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn save_checkpoint<T: Scalar, M: Model<T> + ?Sized>(
    path: impl AsRef<Path>,
    model: &M,
    state: &TrainingState<T>,
) -> Result<()> {
    let path = path.as_ref();
    let (tensors, meta) = encode_checkpoint(model, state)?;
    write_atomic(path, |w| write_tensors(&tensors, meta, w, path))
}

fn read_checkpoint_from<T: Scalar>(
    file: &Path,
    bytes: &[u8],
    options: &LoadOptions,
) -> Result<Checkpoint<T>> {
    let (st, meta) = open(file, bytes, options)?;
    let Some(json) = meta.get(CHECKPOINT_KEY) else {
        return Err(IoError::MissingMetadata {
            file: file.to_path_buf(),
            what: "checkpoint",
            key: CHECKPOINT_KEY,
        });
    };
    let ck = parse_meta(file, json)?;
    let d = required_description(file, &meta)?;
    d.check_dtype::<T>(file)?;
    let reg = registry();
    let specs = d
        .arch
        .plan(&reg)
        .map_err(|e| IoError::Metadata {
            file: file.to_path_buf(),
            reason: format!("the architecture {} cannot be built: {e}", d.arch),
        })?
        .tensors;
    let mut buffer_specs = Vec::with_capacity(ck.optimizer.buffers.len());
    for name in &ck.optimizer.buffers {
        let spec = buffer_spec(&specs, name).ok_or_else(|| IoError::Metadata {
            file: file.to_path_buf(),
            reason: format!(
                "optimizer buffer {name:?} belongs to no parameter of {}",
                d.arch
            ),
        })?;
        tensors::check::<T>(file, &st, &spec, &spec.name)?;
        buffer_specs.push((name.clone(), spec));
    }
    let listed: std::collections::HashSet<&str> =
        buffer_specs.iter().map(|(_, s)| s.name.as_str()).collect();
    let reading = Reading {
        file,
        options,
        checkpoint: true,
    };
    let mut model = load_described::<T>(&reading, &st, &d, &reg, &|n| listed.contains(n))?;
    let mut buffers = Vec::with_capacity(buffer_specs.len());
    for (name, spec) in &buffer_specs {
        let m = tensors::decode::<T>(file, &st, spec, &spec.name)?;
        reading.check_finite(spec, &m)?;
        buffers.push((name.clone(), m));
    }
    for r in &ck.rng {
        let path = match (&r.path, r.layer) {
            (Some(p), _) => p.clone(),
            (None, Some(i)) => i.to_string(),
            (None, None) => String::new(),
        };
        match layer_at(&mut model, &path) {
            Some(l) if l.rng_state().is_some() => l.set_rng_state(r.seed, r.draws),
            _ => {
                return Err(IoError::Metadata {
                    file: file.to_path_buf(),
                    reason: format!(
                        "random-stream state for layer {path:?}, which is not a dropout layer of {}",
                        d.arch
                    ),
                });
            }
        }
    }
    Ok(Checkpoint {
        model,
        state: TrainingState {
            epoch: ck.epoch,
            seed: ck.seed,
            optimizer: OptimizerState {
                optimizer: ck.optimizer.name,
                step: ck.optimizer.step,
                buffers,
            },
            config: ck.config,
            history: ck.history,
            data: ck.data,
        },
    })
}

/// Loads a checkpoint written by [`save_checkpoint`]. Typed errors as for
/// [`load_model`](crate::load_model) (a checksum that does not match, the
/// limits), and also when the training-state description is missing, of
/// another version, or lists a buffer that is not in the file. A NaN or
/// infinity in a weight or an optimizer moment, or a value a layer refuses,
/// is [`IoError::InvalidValue`] saying that the checkpoint is corrupt and
/// naming the tensor.
pub fn load_checkpoint<T: Scalar>(path: impl AsRef<Path>) -> Result<Checkpoint<T>> {
    load_checkpoint_with(path, &LoadOptions::DEFAULT)
}

/// [`load_checkpoint`] with the given checks and limits.
pub fn load_checkpoint_with<T: Scalar>(
    path: impl AsRef<Path>,
    options: &LoadOptions,
) -> Result<Checkpoint<T>> {
    let path = path.as_ref();
    read_checkpoint_from(path, &read_bytes(path)?, options)
}

/// [`load_checkpoint`] from the bytes of a file.
pub fn read_checkpoint<T: Scalar>(bytes: &[u8]) -> Result<Checkpoint<T>> {
    read_checkpoint_with(bytes, &LoadOptions::DEFAULT)
}

/// [`load_checkpoint_with`] from the bytes of a file.
pub fn read_checkpoint_with<T: Scalar>(
    bytes: &[u8],
    options: &LoadOptions,
) -> Result<Checkpoint<T>> {
    read_checkpoint_from(Path::new(BYTES_LABEL), bytes, options)
}
