//! XOR with a 2-4-1 network, one explicit training loop: forward, loss,
//! backward, update. No trainer, so every step of backprop is on the page.
//!
//! ```sh
//! cargo run --release --example xor
//! ```

#[allow(dead_code)] // Only main uses it, and the test that includes this file has its own.
#[path = "support/exit.rs"]
mod exit;

use backprop::layers::{Mode, Sequential};
use backprop::losses::{BinaryCrossEntropyWithLogits, Loss, Target};
use backprop::optim::{Adam, Optimizer};
use backprop::tensor::{DMatrix, Init, Parameters};
use std::io::{self, Write};
use std::process::ExitCode;

/// The four XOR inputs, one column per sample, and their labels.
pub fn xor_data() -> (DMatrix<f64>, DMatrix<f64>) {
    let x = DMatrix::from_column_slice(2, 4, &[0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0]);
    let y = DMatrix::from_row_slice(1, 4, &[0.0, 1.0, 1.0, 0.0]);
    (x, y)
}

/// Trains a 2-4-1 tanh network on XOR for `steps` full-batch Adam steps and
/// returns it with the loss after each step.
pub fn train_xor(
    seed: u64,
    steps: usize,
) -> Result<(Sequential<f64>, Vec<f64>), Box<dyn std::error::Error>> {
    let (x, y) = xor_data();
    let mut net = Sequential::<f64>::builder(2)
        .seed(seed)
        .init(Init::XavierNormal)
        .dense(4)
        .tanh()
        .dense(1)
        .build()?;
    let loss_fn = BinaryCrossEntropyWithLogits;
    let mut opt = Adam::new();
    let mut grad = DMatrix::zeros(0, 0);
    let mut losses = Vec::with_capacity(steps);
    for _ in 0..steps {
        let logits = net.forward(&x, Mode::Train)?; // A[L] = W₂·tanh(W₁·X + b₁) + b₂
        let loss = loss_fn.loss_and_gradient(logits, Target::Dense(&y), &mut grad)?; // dA[L] = (σ(Z) − Y)/m
        net.zero_grad();
        net.backward(&x, &grad)?; // dW, db for every layer
        opt.step(0.05, &mut net)?; // W ← W − lr·Adam(dW)
        losses.push(loss);
    }
    Ok((net, losses))
}

/// The predicted class (logit ≥ 0) of each of the four inputs.
pub fn predictions(net: &mut Sequential<f64>) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let (x, _) = xor_data();
    Ok(net
        .forward(&x, Mode::Eval)?
        .iter()
        .map(|&z| u8::from(z >= 0.0))
        .collect())
}

#[allow(dead_code)] // Also compiled into tests/xor.rs, which has its own main.
fn main() -> ExitCode {
    exit::exit_code(run())
}

/// Trains and prints the losses and predictions; a failed write to stdout
/// is an error.
#[allow(dead_code)] // Only main calls it, and tests/xor.rs has its own.
fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut out = io::stdout();
    let (mut net, losses) = train_xor(0, 500)?;
    write!(out, "{}", net.summary())?;
    for step in [0, 49, 99, 199, 499] {
        writeln!(out, "step {:>3}: loss {:.5}", step + 1, losses[step])?;
    }
    let (x, y) = xor_data();
    let predicted = predictions(&mut net)?;
    for j in 0..4 {
        writeln!(
            out,
            "{} XOR {} = {} (predicted {})",
            x[(0, j)],
            x[(1, j)],
            y[j],
            predicted[j]
        )?;
    }
    let correct = predicted
        .iter()
        .zip(y.iter())
        .filter(|&(&p, &t)| f64::from(p) == t)
        .count();
    writeln!(out, "accuracy {}/4", correct)?;
    Ok(())
}
