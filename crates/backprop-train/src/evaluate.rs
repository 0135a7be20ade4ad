//! Scoring and predicting with a trained model: [`Trainer::evaluate`],
//! [`Trainer::predict`] and [`Trainer::predict_proba`], in evaluation mode and
//! in chunks of 1,000 samples.

use crate::step::{Batch, TargetKind, check_features, logits_or_probabilities, target};
use crate::{ConfusionMatrix, TrainError, Trainer};
use backprop_activations::{Activation, ActivationKind};
use backprop_data::Dataset;
use backprop_layers::{Mode, Model, OutputKind, class_of};
use backprop_tensor::{DMatrix, Scalar};

/// The result of evaluating a model on a dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Mean loss over all samples.
    pub loss: f64,
    /// Accuracy (classification).
    pub accuracy: Option<f64>,
    /// Confusion matrix (classification).
    pub confusion: Option<ConfusionMatrix>,
    /// Root mean squared error (regression).
    pub rmse: Option<f64>,
}

impl<T: Scalar> Trainer<T> {
    /// Loss, accuracy and confusion matrix (or RMSE) of `model` on `data`, in
    /// evaluation mode. A single output is a class when it reaches 0 if the
    /// loss takes logits ([`Loss::takes_logits`](backprop_losses::Loss::takes_logits)),
    /// ½ otherwise.
    pub fn evaluate(
        &mut self,
        model: &mut dyn Model<T>,
        data: &Dataset,
    ) -> Result<Evaluation, TrainError> {
        let kind = TargetKind::of(model, data)?;
        let output = kind.output(self.loss.takes_logits());
        let n_classes = if kind == TargetKind::Values {
            0
        } else {
            data.n_classes()
        };
        let mut cm = ConfusionMatrix::new(n_classes);
        let (mut loss_sum, mut sq_sum) = (0.0, 0.0);
        let all: Vec<usize> = (0..data.len()).collect();
        for indices in all.chunks(self.eval_batch_size.max(1)) {
            self.batch.fill(data, indices, kind)?;
            let Batch { x, y, labels, .. } = &self.batch;
            let out = model.forward(x, Mode::Eval)?;
            loss_sum +=
                self.loss.loss(out, target(kind, y, labels))?.as_f64() * indices.len() as f64;
            match kind {
                TargetKind::Values => {
                    sq_sum += out
                        .iter()
                        .zip(y.iter())
                        .map(|(a, b)| (a.as_f64() - b.as_f64()).powi(2))
                        .sum::<f64>();
                }
                _ => {
                    for (j, &label) in labels.iter().enumerate() {
                        cm.add(label, class_of(out, j, output));
                    }
                }
            }
        }
        let n = data.len().max(1) as f64;
        let classification = kind != TargetKind::Values;
        Ok(Evaluation {
            loss: loss_sum / n,
            accuracy: classification.then(|| cm.accuracy()),
            rmse: (!classification).then(|| (sq_sum / (n * data.n_outputs().max(1) as f64)).sqrt()),
            confusion: classification.then_some(cm),
        })
    }

    /// The predicted class of every sample of `data`: the arg-max of the
    /// outputs, or for a single output the threshold (0 when the loss takes
    /// logits, ½ otherwise) — [`class_of`].
    pub fn predict(
        &mut self,
        model: &mut dyn Model<T>,
        data: &Dataset,
    ) -> Result<Vec<usize>, TrainError> {
        check_features(model, data)?;
        let output = logits_or_probabilities(self.loss.takes_logits());
        let mut out = Vec::with_capacity(data.len());
        let all: Vec<usize> = (0..data.len()).collect();
        for indices in all.chunks(self.eval_batch_size.max(1)) {
            data.fill_features(indices, &mut self.batch.x)?;
            let a = model.forward(&self.batch.x, Mode::Eval)?;
            out.extend((0..a.ncols()).map(|j| class_of(a, j, output)));
        }
        Ok(out)
    }

    /// Class probabilities (classes × samples) for every sample of `data`:
    /// the softmax (or sigmoid, for one output) of the model's logits when the
    /// loss takes logits, the model's outputs otherwise.
    pub fn predict_proba(
        &mut self,
        model: &mut dyn Model<T>,
        data: &Dataset,
    ) -> Result<DMatrix<T>, TrainError> {
        check_features(model, data)?;
        let output = logits_or_probabilities(self.loss.takes_logits());
        let rows = model.output_shape().len();
        let mut probs = DMatrix::zeros(rows, data.len());
        let mut tmp = DMatrix::zeros(0, 0);
        let all: Vec<usize> = (0..data.len()).collect();
        let mut col = 0;
        for indices in all.chunks(self.eval_batch_size.max(1)) {
            data.fill_features(indices, &mut self.batch.x)?;
            let a = model.forward(&self.batch.x, Mode::Eval)?;
            let p = if output == OutputKind::Logits {
                let act = if rows == 1 {
                    ActivationKind::Sigmoid
                } else {
                    ActivationKind::Softmax
                };
                act.forward(a, &mut tmp);
                &tmp
            } else {
                a
            };
            probs.columns_mut(col, p.ncols()).copy_from(p);
            col += p.ncols();
        }
        Ok(probs)
    }
}
