//! What the network's output means for each loss: the targets it is
//! trained against, its probabilities and the class it predicts.

use crate::config::OutputLoss;
use backprop_activations::{Activation, ActivationKind};
use backprop_layers::OutputKind;
use backprop_losses::Target;
use backprop_tensor::{DMatrix, ops};

/// How the model file describes the output.
pub fn output_kind(loss: OutputLoss) -> OutputKind {
    match loss {
        OutputLoss::Mse => OutputKind::Values,
        _ => OutputKind::Logits,
    }
}

/// Dense targets for `labels` (outputs × m): one-hot, or for a one-output
/// bce the 0/1 label itself. (Softmax cross-entropy takes the labels.)
pub fn targets(loss: OutputLoss, outputs: usize, labels: &[usize], y: &mut DMatrix<f32>) {
    if loss == OutputLoss::SoftmaxCrossEntropy {
        return;
    }
    ops::resize(y, outputs, labels.len());
    y.fill(0.0);
    for (j, &l) in labels.iter().enumerate() {
        if outputs == 1 {
            y[(0, j)] = l as f32;
        } else if l < outputs {
            y[(l, j)] = 1.0;
        }
    }
}

/// What the loss is trained against for `labels`: the labels themselves for
/// softmax cross-entropy, else their dense [`targets`], written into `y`.
pub fn target<'a>(
    loss: OutputLoss,
    outputs: usize,
    labels: &'a [usize],
    y: &'a mut DMatrix<f32>,
) -> Target<'a, f32> {
    targets(loss, outputs, labels, y);
    match loss {
        OutputLoss::SoftmaxCrossEntropy => Target::Classes(labels),
        _ => Target::Dense(y),
    }
}

/// `A[L]`: softmax of the logits, their sigmoid for bce, the outputs for mse.
pub fn activate(loss: OutputLoss, z: &DMatrix<f32>, a: &mut DMatrix<f32>) {
    match loss {
        OutputLoss::SoftmaxCrossEntropy => ActivationKind::Softmax.forward(z, a),
        OutputLoss::Bce => ActivationKind::Sigmoid.forward(z, a),
        OutputLoss::Mse => ops::copy_into(z, a),
    }
}

/// The name of the output's `g` in the tutorial's notation.
pub fn activation_name(loss: OutputLoss) -> &'static str {
    match loss {
        OutputLoss::SoftmaxCrossEntropy => "softmax",
        OutputLoss::Bce => "sigmoid",
        OutputLoss::Mse => "identity",
    }
}

/// Per-class scores (classes × m): [`activate`], with a one-output bce's
/// `p` spread into two rows `[1 − p, p]`.
pub fn probabilities(loss: OutputLoss, z: &DMatrix<f32>, p: &mut DMatrix<f32>) {
    if loss == OutputLoss::Bce && z.nrows() == 1 {
        ops::resize(p, 2, z.ncols());
        for (j, &v) in z.iter().enumerate() {
            let s = 1.0 / (1.0 + (-v).exp());
            p[(0, j)] = 1.0 - s;
            p[(1, j)] = s;
        }
        return;
    }
    activate(loss, z, p);
}

/// The predicted class of column `j`: the arg-max, or for one output the
/// sign of the logit.
pub fn class_of(z: &DMatrix<f32>, j: usize) -> usize {
    let col = z.column(j);
    if col.len() == 1 {
        return usize::from(col[0] > 0.0);
    }
    let mut best = 0;
    for (i, &v) in col.iter().enumerate() {
        if v > col[best] {
            best = i;
        }
    }
    best
}

/// How many columns of the output predict their label.
pub fn count_correct(z: &DMatrix<f32>, labels: &[usize]) -> usize {
    labels
        .iter()
        .enumerate()
        .filter(|&(j, &l)| class_of(z, j) == l)
        .count()
}
