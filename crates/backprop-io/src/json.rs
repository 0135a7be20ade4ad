//! Layer configurations ([`Config`]) and model information ([`ModelInfo`])
//! as JSON, the form they take in a model file's metadata.

use backprop_layers::{Config, ModelInfo, OutputKind, Preprocess, Value};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use std::collections::BTreeMap;

/// A configuration value as JSON.
pub(crate) fn value_to_json(v: &Value) -> Json {
    match v {
        Value::Bool(b) => Json::Bool(*b),
        Value::UInt(n) => Json::from(*n),
        Value::Int(n) => Json::from(*n),
        // A non-finite number has no JSON form: null, which a loader refuses.
        Value::Float(x) => serde_json::Number::from_f64(*x).map_or(Json::Null, Json::Number),
        Value::Str(s) => Json::String(s.clone()),
        Value::List(l) => Json::Array(l.iter().map(value_to_json).collect()),
        Value::Map(c) => config_to_json(c),
        _ => Json::Null,
    }
}

/// A configuration as a JSON object.
pub(crate) fn config_to_json(c: &Config) -> Json {
    Json::Object(
        c.iter()
            .map(|(k, v)| (k.to_string(), value_to_json(v)))
            .collect(),
    )
}

/// A JSON value as a configuration value, or what has no such form (`null`).
pub(crate) fn value_from_json(j: &Json, at: &str) -> Result<Value, String> {
    Ok(match j {
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => Value::UInt(u),
            (None, Some(i), _) => Value::Int(i),
            (None, None, Some(x)) => Value::Float(x),
            _ => return Err(format!("{at}: the number {n} cannot be read")),
        },
        Json::String(s) => Value::Str(s.clone()),
        Json::Array(a) => Value::List(
            a.iter()
                .enumerate()
                .map(|(i, x)| value_from_json(x, &format!("{at}[{i}]")))
                .collect::<Result<_, _>>()?,
        ),
        Json::Object(_) => Value::Map(config_from_json(j, at)?),
        Json::Null => return Err(format!("{at} is null, expected a value")),
    })
}

/// A JSON object as a configuration.
pub(crate) fn config_from_json(j: &Json, at: &str) -> Result<Config, String> {
    let Json::Object(map) = j else {
        return Err(format!("{at} must be an object, found {j}"));
    };
    let mut c = Config::new();
    for (k, v) in map {
        c.insert(k, value_from_json(v, &format!("{at}.{k}"))?);
    }
    Ok(c)
}

/// [`Preprocess`] as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum PreprocessJson {
    None,
    Pixels { mean: f64, std: f64 },
    Standardize { offset: Vec<f64>, scale: Vec<f64> },
}

/// [`ModelInfo`] as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct InfoJson {
    preprocess: PreprocessJson,
    output: String,
    #[serde(default)]
    class_names: Option<Vec<String>>,
    #[serde(default)]
    metadata: BTreeMap<String, String>,
}

impl InfoJson {
    pub(crate) fn of(info: &ModelInfo) -> Self {
        let preprocess = match &info.preprocess {
            Preprocess::Pixels { mean, std } => PreprocessJson::Pixels {
                mean: *mean,
                std: *std,
            },
            Preprocess::Standardize { offset, scale } => PreprocessJson::Standardize {
                offset: offset.clone(),
                scale: scale.clone(),
            },
            _ => PreprocessJson::None,
        };
        Self {
            preprocess,
            output: info.output.name().to_string(),
            class_names: info.class_names.clone(),
            metadata: info.metadata.clone(),
        }
    }

    /// The information, checked against a model of `features` inputs and
    /// `outputs` outputs.
    pub(crate) fn to_info(&self, features: usize, outputs: usize) -> Result<ModelInfo, String> {
        let preprocess = match &self.preprocess {
            PreprocessJson::None => Preprocess::None,
            PreprocessJson::Pixels { mean, std } => Preprocess::Pixels {
                mean: *mean,
                std: *std,
            },
            PreprocessJson::Standardize { offset, scale } => Preprocess::Standardize {
                offset: offset.clone(),
                scale: scale.clone(),
            },
        };
        preprocess.validate(features)?;
        let output = OutputKind::from_name(&self.output).ok_or_else(|| {
            format!(
                "output kind {:?} is none of \"logits\", \"probabilities\", \"values\"",
                self.output
            )
        })?;
        if let Some(names) = &self.class_names {
            let classes = if outputs == 1 { 2 } else { outputs };
            if output == OutputKind::Values || names.len() != classes {
                return Err(format!(
                    "{} class names for a model with {outputs} {} outputs",
                    names.len(),
                    output.name()
                ));
            }
        }
        Ok(ModelInfo {
            preprocess,
            output,
            class_names: self.class_names.clone(),
            metadata: self.metadata.clone(),
        })
    }
}
