//! What a model trained by examples/csv records about its table, so that
//! `--predict` reads new rows the same way with no other flag: in the
//! model's `ModelInfo` (the scaler as `Preprocess::Standardize`, the class
//! names) and its metadata (the columns as `CsvSchema` writes them, the
//! task, the missing-value mode with the training means, and the target's
//! scale for regression).

use super::csv_args::{Missing, Task, fail};
use backprop::data::csv::{CsvSchema, MeanImputer};
use backprop::layers::{ModelInfo, Preprocess};
use std::error::Error;

const TASK: &str = "csv.task";
const MISSING: &str = "csv.missing";
const MEANS: &str = "csv.impute_means";
const TARGET_MEAN: &str = "csv.target_mean";
const TARGET_STD: &str = "csv.target_std";

/// How a regression target was standardised for training: `(y − mean)/std`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TargetScale {
    /// The training targets' mean.
    pub mean: f64,
    /// Their standard deviation (1 for a constant target).
    pub std: f64,
}

impl TargetScale {
    /// A network output back in the file's units.
    pub fn unscale(self, y: f64) -> f64 {
        y * self.std + self.mean
    }
}

/// Everything `--predict` needs beyond the network.
#[derive(Debug, Clone)]
pub struct CsvModel {
    /// The training file's columns.
    pub schema: CsvSchema,
    /// What the label is.
    pub task: Task,
    /// How missing values were handled.
    pub missing: Missing,
    /// The training means, with `--missing mean`.
    pub imputer: Option<MeanImputer>,
    /// The target's scale, for regression.
    pub target: Option<TargetScale>,
}

/// Numbers as the metadata keeps them: shortest text that reads back to
/// the same `f64`, comma-separated.
fn numbers(v: &[f64]) -> String {
    v.iter().map(f64::to_string).collect::<Vec<_>>().join(",")
}

impl CsvModel {
    /// Writes the model's description into `info`; the scaler's offsets and
    /// scales become its preprocessing, `classes` its class names.
    pub fn write(
        &self,
        info: &mut ModelInfo,
        offsets: &[f64],
        scales: &[f64],
        classes: Option<&[String]>,
    ) {
        info.preprocess = Preprocess::Standardize {
            offset: offsets.to_vec(),
            scale: scales.to_vec(),
        };
        info.class_names = classes.map(<[String]>::to_vec);
        let m = &mut info.metadata;
        self.schema.write_metadata(m);
        m.insert(TASK.into(), self.task.name().into());
        m.insert(MISSING.into(), self.missing.name().into());
        if let Some(imputer) = &self.imputer {
            m.insert(MEANS.into(), numbers(imputer.means()));
        }
        if let Some(t) = self.target {
            m.insert(TARGET_MEAN.into(), t.mean.to_string());
            m.insert(TARGET_STD.into(), t.std.to_string());
        }
    }

    /// Reads what [`write`](Self::write) wrote; `model` names the file in
    /// messages.
    pub fn read(info: &ModelInfo, model: &str) -> Result<Self, Box<dyn Error>> {
        let m = &info.metadata;
        let schema = CsvSchema::from_metadata(m)?.ok_or_else(|| {
            fail(format!(
                "{model}: not a model saved by examples/csv --save (its metadata has no CSV columns); \
                 use examples/predict for image models"
            ))
        })?;
        let get = |key: &str| {
            m.get(key)
                .ok_or_else(|| fail(format!("{model}: model metadata {key:?} is missing")))
        };
        let bad = |key: &str, v: &str, what: &str| {
            fail(format!(
                "{model}: model metadata {key:?}: expected {what}, found {v:?}"
            ))
        };
        let task = get(TASK)?;
        let task = Task::from_name(task)
            .ok_or_else(|| bad(TASK, task, "binary, multiclass or regression"))?;
        let missing = get(MISSING)?;
        let missing = Missing::from_name(missing)
            .ok_or_else(|| bad(MISSING, missing, "error, drop or mean"))?;
        let number = |key: &str, v: &str| {
            v.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| bad(key, v, "a finite number"))
        };
        let imputer = match m.get(MEANS) {
            None => None,
            Some(v) => {
                let means = v
                    .split(',')
                    .map(|x| number(MEANS, x))
                    .collect::<Result<Vec<f64>, _>>()?;
                Some(MeanImputer::from_means(means)?)
            }
        };
        let target = match task {
            Task::Regression => {
                let std = number(TARGET_STD, get(TARGET_STD)?)?;
                if std <= 0.0 {
                    return Err(bad(TARGET_STD, &std.to_string(), "a positive number"));
                }
                Some(TargetScale {
                    mean: number(TARGET_MEAN, get(TARGET_MEAN)?)?,
                    std,
                })
            }
            _ => None,
        };
        if let Some(imputer) = &imputer
            && imputer.means().len() != schema.n_features()
        {
            return Err(bad(
                MEANS,
                m.get(MEANS).map(String::as_str).unwrap_or_default(),
                &format!("{} means, one per feature", schema.n_features()),
            ));
        }
        Ok(Self {
            schema,
            task,
            missing,
            imputer,
            target,
        })
    }
}
