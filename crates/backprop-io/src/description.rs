//! The model description a file stores as JSON under [`MODEL_KEY`]: the
//! format and its version, the element type, the input shape, the root
//! layer's kind and configuration (its children's inside it) and the
//! model's [`ModelInfo`](backprop_layers::ModelInfo). Version 1 files (an
//! input size and a flat list of layers, no information) still load.
//!
//! The keys of a checkpoint live here too, so that the model loader knows
//! which tensors of a checkpoint are not the model's without depending on
//! the checkpoint module.

use crate::container::{fields, parse_description};
use crate::json::{InfoJson, config_from_json, config_to_json};
use crate::{Architecture, IoError, Result};
use backprop_layers::{LayerType, ModelInfo, Sequential, Shape};
use backprop_tensor::Scalar;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use std::collections::HashMap;
use std::path::Path;

/// The `__metadata__` key holding a model's description (JSON).
pub const MODEL_KEY: &str = "backprop.model";
/// The format name written in the model description.
pub const MODEL_FORMAT: &str = "backprop.model";
/// The version of the model description this build writes (it reads 1 and 2).
pub const MODEL_FORMAT_VERSION: u64 = 2;
/// The `__metadata__` key holding a checkpoint's training state (JSON).
pub const CHECKPOINT_KEY: &str = "backprop.checkpoint";
/// Prefix of the optimizer's tensors: buffer `"0.weight.exp_avg"` is stored
/// as `"optimizer.0.weight.exp_avg"`, in its parameter's layout.
pub const OPTIMIZER_PREFIX: &str = "optimizer.";

/// Version 2.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct MetaV2 {
    format: String,
    format_version: u64,
    /// `"f32"` or `"f64"`.
    dtype: String,
    input_shape: Vec<usize>,
    /// `{"type": "sequential", "layers": [...]}`.
    model: Json,
    info: InfoJson,
}

/// Version 1: a flat `nn.Sequential` and nothing about its inputs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct MetaV1 {
    #[allow(dead_code)]
    format: String,
    #[allow(dead_code)]
    format_version: u64,
    dtype: String,
    input_size: usize,
    layers: Vec<Json>,
}

/// A model description as read from a file.
#[derive(Debug, Clone)]
pub(crate) struct Description {
    /// `"f32"` or `"f64"`.
    pub(crate) dtype: String,
    pub(crate) arch: Architecture,
    /// `None` in a version 1 file.
    pub(crate) info: Option<InfoJson>,
}

impl Description {
    /// The model's information, checked against its sizes; `None` for a
    /// version 1 file.
    pub(crate) fn info(
        &self,
        file: &Path,
        features: usize,
        outputs: usize,
    ) -> Result<Option<ModelInfo>> {
        self.info
            .as_ref()
            .map(|i| i.to_info(features, outputs))
            .transpose()
            .map_err(|reason| IoError::Metadata {
                file: file.to_path_buf(),
                reason: format!("model information: {reason}"),
            })
    }

    /// Fails unless the file stores `T`.
    pub(crate) fn check_dtype<T: Scalar>(&self, file: &Path) -> Result<()> {
        if self.dtype != T::NAME {
            return Err(IoError::ModelDtype {
                file: file.to_path_buf(),
                expected: T::NAME.to_string(),
                found: self.dtype.clone(),
            });
        }
        Ok(())
    }
}

/// The JSON description of a model of element type `T`.
pub(crate) fn describe<T: Scalar>(arch: &Architecture, info: &ModelInfo) -> Result<String> {
    let mut model = config_to_json(arch.config());
    if let Json::Object(map) = &mut model {
        map.insert("type".into(), Json::String(arch.kind().to_string()));
    }
    let meta = MetaV2 {
        format: MODEL_FORMAT.to_string(),
        format_version: MODEL_FORMAT_VERSION,
        dtype: T::NAME.to_string(),
        input_shape: arch.input_shape().dims().to_vec(),
        model,
        info: InfoJson::of(info),
    };
    serde_json::to_string(&meta).map_err(|e| IoError::Architecture {
        reason: format!("cannot describe the model as JSON: {e}"),
    })
}

/// The model description of a file, if it has one.
pub(crate) fn read_description(
    file: &Path,
    meta: &HashMap<String, String>,
) -> Result<Option<Description>> {
    let Some(json) = meta.get(MODEL_KEY) else {
        return Ok(None);
    };
    let bad = |reason: String| IoError::Metadata {
        file: file.to_path_buf(),
        reason,
    };
    let (version, value) = parse_description(file, json, MODEL_FORMAT, 1, MODEL_FORMAT_VERSION)?;
    if version == 1 {
        let m: MetaV1 = fields(file, MODEL_FORMAT, value)?;
        let root = Json::Object(
            [("layers".to_string(), Json::Array(m.layers))]
                .into_iter()
                .collect(),
        );
        let config = config_from_json(&root, "model").map_err(bad)?;
        let kind = <Sequential<f32> as LayerType>::KIND;
        return Ok(Some(Description {
            dtype: m.dtype,
            arch: Architecture::new(m.input_size, kind, config),
            info: None,
        }));
    }
    let m: MetaV2 = fields(file, MODEL_FORMAT, value)?;
    let mut config = config_from_json(&m.model, "model").map_err(bad)?;
    let kind = match config.remove("type") {
        Some(backprop_layers::Value::Str(k)) => k,
        _ => {
            return Err(bad(
                "model: expected a \"type\" naming the root layer's kind".into(),
            ));
        }
    };
    Ok(Some(Description {
        dtype: m.dtype,
        arch: Architecture::new(Shape::new(m.input_shape), &kind, config),
        info: Some(m.info),
    }))
}
