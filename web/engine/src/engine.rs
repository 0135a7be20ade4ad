//! [`Engine`]: a network, its loss, optimizer and data, trained one
//! mini-batch at a time, keeping every quantity of the last step for the
//! page to show.
//!
//! The step runs the library's layers one by one (`Layer::forward`,
//! `Layer::backward`), exactly the calls `Sequential::forward` and
//! `Sequential::backward` make, but into buffers of its own so that `Z[l]`,
//! `A[l]`, `dA[l]` and `dZ[l]` stay readable (tests/engine.rs checks that the
//! gradients equal `Sequential::backward`'s bit for bit).

use crate::config::{OutputLoss, PlaygroundConfig};
use crate::data::Split;
use crate::error::{EngineError, Result};
use crate::output;
use backprop_layers::{Layer, Mode, Sequential};
use backprop_losses::Loss;
use backprop_optim::{Optimizer, Schedule, ScheduleKind};
use backprop_tensor::{DMatrix, Parameters, rng};
use rand::seq::SliceRandom;

/// Samples evaluated at once by [`Engine::metrics`] and [`Engine::predict`].
const EVAL_CHUNK: usize = 1024;

/// One dense layer's parameters and gradients at the last step.
#[derive(Debug, Clone)]
pub(crate) struct DenseSnapshot {
    /// Position of the dense layer in the network's layer list.
    pub(crate) index: usize,
    /// `W[l]` and `b[l]` before the step's update.
    pub(crate) w: DMatrix<f32>,
    pub(crate) b: DMatrix<f32>,
    /// `dW[l]` and `db[l]` of the step (before weight decay).
    pub(crate) dw: DMatrix<f32>,
    pub(crate) db: DMatrix<f32>,
}

/// The optimizer, shown by name in `Debug` output.
struct NamedOptimizer(Box<dyn Optimizer<f32> + Send>);

impl std::fmt::Debug for NamedOptimizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.name())
    }
}

/// Where training is and what the last step left.
#[derive(Debug)]
pub struct Engine {
    pub(crate) config: PlaygroundConfig,
    pub(crate) loss: OutputLoss,
    pub(crate) net: Sequential<f32>,
    optimizer: NamedOptimizer,
    schedule: ScheduleKind,
    pub(crate) train: Option<Split>,
    pub(crate) test: Option<Split>,
    order: Vec<usize>,
    pos: usize,
    epoch: usize,
    steps: usize,
    // The last step's quantities.
    pub(crate) x: DMatrix<f32>,
    labels: Vec<usize>,
    targets: DMatrix<f32>,
    pub(crate) acts: Vec<DMatrix<f32>>,
    pub(crate) grads: Vec<DMatrix<f32>>,
    pub(crate) dout: DMatrix<f32>,
    pub(crate) snapshots: Vec<DenseSnapshot>,
}

/// What [`Engine::epoch`] returns: means over the pass's batches.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpochResult {
    /// Mean batch loss.
    pub loss: f64,
    /// Fraction of the pass's samples predicted right (before each update).
    pub accuracy: f64,
}

/// Loss and accuracy over whole sets, in evaluation mode.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metrics {
    /// Steps taken.
    pub step: usize,
    /// Epochs completed.
    pub epoch: usize,
    /// The learning rate of the current epoch.
    pub lr: f64,
    /// Mean loss on the training set.
    pub train_loss: f64,
    /// Accuracy on the training set.
    pub train_acc: f64,
    /// Mean loss on the test set (NaN without one).
    pub test_loss: f64,
    /// Accuracy on the test set (NaN without one).
    pub test_acc: f64,
}

impl Engine {
    /// A fresh network and optimizer as `config` says.
    pub fn new(config: PlaygroundConfig) -> Result<Self> {
        config.validate()?;
        let net = build_network(&config)?;
        Self::with_network(config, net)
    }

    /// An engine around a ready network whose dense sizes match `config`.
    pub(crate) fn with_network(config: PlaygroundConfig, net: Sequential<f32>) -> Result<Self> {
        let n = net.layers().len();
        Ok(Self {
            loss: config.output_loss()?,
            optimizer: NamedOptimizer(config.optimizer()?),
            schedule: config.schedule_kind()?,
            config,
            net,
            train: None,
            test: None,
            order: Vec::new(),
            pos: 0,
            epoch: 0,
            steps: 0,
            x: DMatrix::zeros(0, 0),
            labels: Vec::new(),
            targets: DMatrix::zeros(0, 0),
            acts: (0..n).map(|_| DMatrix::zeros(0, 0)).collect(),
            grads: (0..n).map(|_| DMatrix::zeros(0, 0)).collect(),
            dout: DMatrix::zeros(0, 0),
            snapshots: Vec::new(),
        })
    }

    /// The settings in force.
    pub fn config(&self) -> &PlaygroundConfig {
        &self.config
    }

    /// The network.
    pub fn network(&self) -> &Sequential<f32> {
        &self.net
    }

    /// Number of inputs per sample.
    pub fn features(&self) -> usize {
        self.net.input_size()
    }

    /// Number of classes the network tells apart (2 for a one-output bce).
    pub fn classes(&self) -> usize {
        self.net.output_size().max(2)
    }

    /// Sets the training and test data (the test split may be empty) and
    /// starts a new pass over it; the weights are kept.
    pub fn set_split(&mut self, train: Split, test: Option<Split>) -> Result<()> {
        for (what, s) in [
            ("training data", Some(&train)),
            ("test data", test.as_ref()),
        ] {
            let Some(s) = s else { continue };
            if s.x.nrows() != self.features() {
                return Err(EngineError::invalid(
                    format!("{what} features"),
                    format!("{} per sample (the network's input size)", self.features()),
                    s.x.nrows(),
                ));
            }
            if let Some(&y) = s.y.iter().find(|&&y| y >= self.classes()) {
                return Err(EngineError::invalid(
                    format!("{what} labels"),
                    format!("classes 0..{} (the network's outputs)", self.classes()),
                    y,
                ));
            }
        }
        if train.y.is_empty() {
            return Err(EngineError::invalid(
                "training data",
                "at least 1 sample",
                0,
            ));
        }
        self.train = Some(train);
        self.test = test.filter(|t| !t.y.is_empty());
        self.pos = 0;
        self.shuffle();
        Ok(())
    }

    /// This epoch's order of the training samples: a permutation drawn from
    /// the seed and the epoch alone.
    fn shuffle(&mut self) {
        let n = self.train.as_ref().map_or(0, |t| t.y.len());
        self.order.clear();
        self.order.extend(0..n);
        let mut r = rng::stream(self.config.seed, 1 + self.epoch as u64);
        self.order.shuffle(&mut r);
    }

    /// Steps taken so far.
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// Epochs completed so far.
    pub fn epochs(&self) -> usize {
        self.epoch
    }

    /// Trains on the next mini-batch and returns its loss.
    pub fn step(&mut self) -> Result<f64> {
        Ok(self.step_counting()?.0)
    }

    /// [`step`](Self::step), also returning how many of the batch's samples
    /// were predicted right before the update, and the batch size.
    fn step_counting(&mut self) -> Result<(f64, usize, usize)> {
        let Some(train) = self.train.as_ref() else {
            return Err(EngineError::NotReady(
                "no training data: call set_data or set_images first".into(),
            ));
        };
        let n = train.y.len();
        let end = (self.pos + self.config.batch).min(n);
        let indices = &self.order[self.pos..end];
        train.fill(indices, &mut self.x, &mut self.labels);
        let m = self.labels.len();
        self.net.zero_grad();
        forward(&mut self.net, &self.x, &mut self.acts, Mode::Train)?;
        let out = self.acts.last().unwrap_or(&self.x);
        let target = output::target(
            self.loss,
            self.net.output_size(),
            &self.labels,
            &mut self.targets,
        );
        let loss = self
            .loss
            .kind()
            .loss_and_gradient(out, target, &mut self.dout)?;
        let correct = output::count_correct(out, &self.labels);
        if !loss.is_finite() {
            return Err(EngineError::NotReady(format!(
                "the loss is {loss} at step {}: training diverged (lower the learning rate)",
                self.steps + 1
            )));
        }
        backward(
            &mut self.net,
            &self.x,
            &self.acts,
            &mut self.grads,
            &self.dout,
        )?;
        self.snapshot();
        let lr = self.schedule.lr(self.epoch);
        self.optimizer.0.step(lr, &mut self.net)?;
        self.steps += 1;
        self.pos = end;
        if self.pos >= n {
            self.pos = 0;
            self.epoch += 1;
            self.shuffle();
        }
        Ok((f64::from(loss), correct, m))
    }

    /// Keeps every dense layer's `W`, `b`, `dW` and `db` of this step.
    fn snapshot(&mut self) {
        self.snapshots = self
            .net
            .layers()
            .iter()
            .enumerate()
            .filter(|(_, layer)| layer.kind() == "dense")
            .filter_map(|(index, layer)| {
                let mut got = Vec::with_capacity(2);
                layer.visit_params(&mut |p| got.push((p.value.clone(), p.grad.clone())));
                let [(w, dw), (b, db)]: [_; 2] = got.try_into().ok()?;
                Some(DenseSnapshot {
                    index,
                    w,
                    b,
                    dw,
                    db,
                })
            })
            .collect();
    }

    /// Trains until the end of the current pass over the training data.
    pub fn epoch(&mut self) -> Result<EpochResult> {
        let start = self.epoch;
        let (mut loss, mut correct, mut seen) = (0.0, 0, 0);
        while self.epoch == start {
            let (l, c, m) = self.step_counting()?;
            loss += l * m as f64;
            correct += c;
            seen += m;
        }
        Ok(EpochResult {
            loss: loss / seen.max(1) as f64,
            accuracy: correct as f64 / seen.max(1) as f64,
        })
    }

    /// Loss and accuracy on the whole training and test sets.
    pub fn metrics(&mut self) -> Result<Metrics> {
        let (train_loss, train_acc) = match self.train.take() {
            Some(t) => {
                let r = self.evaluate(&t);
                self.train = Some(t);
                r?
            }
            None => (f64::NAN, f64::NAN),
        };
        let (test_loss, test_acc) = match self.test.take() {
            Some(t) => {
                let r = self.evaluate(&t);
                self.test = Some(t);
                r?
            }
            None => (f64::NAN, f64::NAN),
        };
        Ok(Metrics {
            step: self.steps,
            epoch: self.epoch,
            lr: self.schedule.lr(self.epoch),
            train_loss,
            train_acc,
            test_loss,
            test_acc,
        })
    }

    /// Mean loss and accuracy of the network on `split`, in evaluation mode.
    fn evaluate(&mut self, split: &Split) -> Result<(f64, f64)> {
        let (n, outputs) = (split.y.len(), self.net.output_size());
        let (mut x, mut labels, mut targets) =
            (DMatrix::zeros(0, 0), Vec::new(), DMatrix::zeros(0, 0));
        let (mut loss, mut correct) = (0.0, 0);
        let all: Vec<usize> = (0..n).collect();
        for chunk in all.chunks(EVAL_CHUNK) {
            split.fill(chunk, &mut x, &mut labels);
            let out = self.net.forward(&x, Mode::Eval)?;
            let target = output::target(self.loss, outputs, &labels, &mut targets);
            loss += f64::from(self.loss.kind().loss(out, target)?) * chunk.len() as f64;
            correct += output::count_correct(out, &labels);
        }
        Ok((loss / n as f64, correct as f64 / n as f64))
    }

    /// The outputs for samples `xs` (sample-major, `features` values each):
    /// probabilities for the cross-entropy losses, raw outputs for mse;
    /// sample-major, [`classes`](Self::classes) values per sample.
    pub fn predict(&mut self, xs: &[f32]) -> Result<Vec<f32>> {
        let f = self.features();
        if !xs.len().is_multiple_of(f) {
            return Err(EngineError::invalid(
                "predict input",
                format!("a multiple of {f} values (features per sample)"),
                xs.len(),
            ));
        }
        let mut probs = Vec::with_capacity(xs.len() / f * self.classes());
        let mut p = DMatrix::zeros(0, 0);
        for chunk in xs.chunks(EVAL_CHUNK * f) {
            let x = DMatrix::from_column_slice(f, chunk.len() / f, chunk);
            let out = self.net.forward(&x, Mode::Eval)?;
            output::probabilities(self.loss, out, &mut p);
            probs.extend_from_slice(p.as_slice());
        }
        Ok(probs)
    }

    /// The last step's batch (features × m) and labels, `None` before the
    /// first step.
    pub fn last_batch(&self) -> Option<(&DMatrix<f32>, &[usize])> {
        (self.steps > 0).then_some((&self.x, &self.labels[..]))
    }

    /// The learning rate the next step uses.
    pub fn lr(&self) -> f64 {
        self.schedule.lr(self.epoch)
    }
}

/// The network `config` describes: dense layers with the activation (and
/// dropout) after each hidden one, the last dense layer's output left as
/// logits for the loss.
pub fn build_network(config: &PlaygroundConfig) -> Result<Sequential<f32>> {
    let act = config.activation_kind()?;
    let sizes = &config.layers;
    let mut b = Sequential::<f32>::builder(sizes[0])
        .seed(config.seed)
        .init(config.init_kind()?);
    for (k, &units) in sizes[1..].iter().enumerate() {
        b = b.dense(units);
        if k + 2 < sizes.len() {
            b = b.activation(act);
            if config.dropout > 0.0 {
                b = b.dropout(config.dropout);
            }
        }
    }
    let mut net = b.build()?;
    net.info_mut().output = output::output_kind(config.output_loss()?);
    Ok(net)
}

/// Runs every layer forward in `mode`, layer `i`'s output into `acts[i]`.
pub(crate) fn forward(
    net: &mut Sequential<f32>,
    x: &DMatrix<f32>,
    acts: &mut [DMatrix<f32>],
    mode: Mode,
) -> Result<()> {
    for (i, layer) in net.layers_mut().iter_mut().enumerate() {
        let (done, rest) = acts.split_at_mut(i);
        let input = done.last().unwrap_or(x);
        if let Some(out) = rest.first_mut() {
            layer.forward(input, out, mode)?;
        }
    }
    Ok(())
}

/// Runs every layer backward from `dout = ∂L/∂A[last]`, layer `i`'s output
/// gradient into `grads[i]` (`grads[last]` is left unused: it is `dout`).
pub(crate) fn backward(
    net: &mut Sequential<f32>,
    x: &DMatrix<f32>,
    acts: &[DMatrix<f32>],
    grads: &mut [DMatrix<f32>],
    dout: &DMatrix<f32>,
) -> Result<()> {
    let layers: &mut [Box<dyn Layer<f32>>] = net.layers_mut();
    let n = layers.len();
    for i in (0..n).rev() {
        let input = if i == 0 { x } else { &acts[i - 1] };
        let (before, from_here) = grads.split_at_mut(i);
        let dy = if i + 1 == n { dout } else { &from_here[0] };
        layers[i].backward(input, &acts[i], dy, before.last_mut())?;
    }
    Ok(())
}
