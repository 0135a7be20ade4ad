//! What one training step works on: how the data's targets are presented
//! to the loss ([`TargetKind`]), the reused batch buffers ([`Batch`]), where
//! the step is ([`At`]) and what a used batch gave ([`Used`]). The step
//! itself is `Trainer::step`, in trainer.rs.

use crate::TrainError;
use backprop_data::{Dataset, Targets};
use backprop_layers::{Model, OutputKind, class_of};
use backprop_losses::Target;
use backprop_tensor::{DMatrix, Scalar, ops};

/// How targets are presented to the loss, decided from the data and the
/// model's output size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TargetKind {
    /// One output per class; the loss gets class indices.
    Classes,
    /// Two classes and a single output; the loss gets a 1×m matrix of 0/1.
    Binary,
    /// Regression targets.
    Values,
}

impl TargetKind {
    /// The kind for `data` on `model`, or why the data does not fit it.
    pub(crate) fn of<T: Scalar>(model: &dyn Model<T>, data: &Dataset) -> Result<Self, TrainError> {
        check_features(model, data)?;
        let outputs = model.output_shape().len();
        match data.targets() {
            Targets::Classes { n_classes, .. } => {
                if outputs == *n_classes {
                    Ok(TargetKind::Classes)
                } else if outputs == 1 && *n_classes == 2 {
                    Ok(TargetKind::Binary)
                } else {
                    Err(TrainError::Mismatch(format!(
                        "the model has {}, the dataset has {} (expected {}, or 1 for two classes)",
                        counted(outputs, "output"),
                        counted(*n_classes, "class"),
                        counted(*n_classes, "output")
                    )))
                }
            }
            Targets::Values { n_outputs, .. } => {
                if outputs == *n_outputs {
                    Ok(TargetKind::Values)
                } else {
                    Err(TrainError::Mismatch(format!(
                        "the model has {}, the dataset has {} per sample",
                        counted(outputs, "output"),
                        counted(*n_outputs, "target")
                    )))
                }
            }
        }
    }

    /// What a model trained on these targets outputs: values for regression,
    /// logits when the loss takes them, probabilities otherwise.
    pub(crate) fn output(self, takes_logits: bool) -> OutputKind {
        match self {
            TargetKind::Values => OutputKind::Values,
            _ => logits_or_probabilities(takes_logits),
        }
    }
}

/// [`OutputKind::Logits`] for a loss that takes logits, else
/// [`OutputKind::Probabilities`].
pub(crate) fn logits_or_probabilities(takes_logits: bool) -> OutputKind {
    if takes_logits {
        OutputKind::Logits
    } else {
        OutputKind::Probabilities
    }
}

/// Whether the model takes the dataset's samples.
pub(crate) fn check_features<T: Scalar>(
    model: &dyn Model<T>,
    data: &Dataset,
) -> Result<(), TrainError> {
    let inputs = model.input_shape().len();
    if inputs != data.n_features() {
        return Err(TrainError::Mismatch(format!(
            "the model takes {}, the dataset has {}",
            counted(inputs, "feature"),
            data.n_features()
        )));
    }
    Ok(())
}

/// `"1 output"`, `"3 outputs"`, `"1 class"`, `"2 classes"`.
pub(crate) fn counted(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else if noun.ends_with('s') {
        format!("{n} {noun}es")
    } else {
        format!("{n} {noun}s")
    }
}

/// A step's samples: the batch's indices, and those of the batch that
/// follows it (empty for the last of an epoch), prefetched while this one is
/// used.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Samples<'a> {
    pub(crate) indices: &'a [usize],
    pub(crate) following: &'a [usize],
}

/// The trainer's reused buffers: a batch's features, its targets (dense, or
/// class indices) and the gradient of the loss.
#[derive(Debug)]
pub(crate) struct Batch<T: Scalar> {
    pub(crate) x: DMatrix<T>,
    pub(crate) y: DMatrix<T>,
    pub(crate) labels: Vec<usize>,
    pub(crate) grad: DMatrix<T>,
}

impl<T: Scalar> Batch<T> {
    pub(crate) fn new() -> Self {
        Self {
            x: DMatrix::zeros(0, 0),
            y: DMatrix::zeros(0, 0),
            labels: Vec::new(),
            grad: DMatrix::zeros(0, 0),
        }
    }

    /// Fills the buffers with the samples `indices` of `data`.
    pub(crate) fn fill(
        &mut self,
        data: &Dataset,
        indices: &[usize],
        kind: TargetKind,
    ) -> Result<(), TrainError> {
        match kind {
            TargetKind::Classes => data.fill_batch(indices, &mut self.x, &mut self.labels)?,
            TargetKind::Binary => {
                data.fill_batch(indices, &mut self.x, &mut self.labels)?;
                ops::resize(&mut self.y, 1, self.labels.len());
                for (v, &l) in self.y.iter_mut().zip(self.labels.iter()) {
                    *v = T::of_usize(l);
                }
            }
            TargetKind::Values => {
                data.fill_features(indices, &mut self.x)?;
                data.fill_targets(indices, &mut self.y)?;
            }
        }
        Ok(())
    }
}

/// The targets as the loss takes them.
pub(crate) fn target<'a, T: Scalar>(
    kind: TargetKind,
    y: &'a DMatrix<T>,
    labels: &'a [usize],
) -> Target<'a, T> {
    match kind {
        TargetKind::Classes => Target::Classes(labels),
        _ => Target::Dense(y),
    }
}

/// How many columns of `out` predict their label.
pub(crate) fn count_correct<T: Scalar>(
    out: &DMatrix<T>,
    labels: &[usize],
    kind: OutputKind,
) -> usize {
    labels
        .iter()
        .enumerate()
        .filter(|&(j, &l)| class_of(out, j, kind) == l)
        .count()
}

/// Where a step is, counted from 1: for the error of a non-finite loss or
/// gradient.
#[derive(Debug, Clone, Copy)]
pub(crate) struct At {
    pub(crate) epoch: usize,
    pub(crate) step: usize,
}

/// A used batch: its mean loss and its count of correct predictions.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Used {
    pub(crate) loss: f64,
    pub(crate) correct: usize,
}
