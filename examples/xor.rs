//! XOR with a 2-4-1 network, one explicit training loop: forward, loss,
//! backward, update. No trainer, so every step of backprop is on the page.
//!
//! ```sh
//! cargo run --release --example xor
//! cargo run --release --example xor -- --seed 3 --steps 200
//! ```

#[allow(dead_code)] // Only main uses it, and the test that includes this file has its own.
#[path = "support/exit.rs"]
mod exit;

use backprop::layers::{Mode, Sequential};
use backprop::losses::{BinaryCrossEntropyWithLogits, Loss, Target};
use backprop::optim::{Adam, Optimizer};
use backprop::tensor::{DMatrix, Init, Parameters};
use clap::Parser;
use std::io::{self, Write};
use std::process::ExitCode;

/// The command line.
#[derive(Parser, Debug)]
#[command(
    about = "Learn XOR with a 2-4-1 tanh network: one explicit loop of forward, loss, backward, Adam update"
)]
#[allow(dead_code)] // Only main uses it, and tests/xor.rs has its own.
struct Args {
    /// Seed for the initial weights (Xavier normal).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Full-batch Adam steps (learning rate 0.05) on the four inputs.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    steps: u64,
}

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
    let args = Args::parse();
    exit::exit_code(run(args.seed, args.steps as usize))
}

/// Trains and prints the losses and predictions; a failed write to stdout
/// is an error.
#[allow(dead_code)] // Only main calls it, and tests/xor.rs has its own.
fn run(seed: u64, steps: usize) -> Result<(), Box<dyn std::error::Error>> {
    let mut out = io::stdout();
    let (mut net, losses) = train_xor(seed, steps)?;
    write!(out, "{}", net.summary())?;
    // Steps 1, 50, 100, 200, 500, … and the last.
    let mut shown: Vec<usize> = [1, 50, 100, 200]
        .into_iter()
        .chain((1..).map(|k| 500 * k))
        .take_while(|&s| s < steps)
        .collect();
    shown.push(steps);
    for step in shown {
        if let Some(loss) = losses.get(step - 1) {
            writeln!(out, "step {step:>3}: loss {loss:.5}")?;
        }
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
