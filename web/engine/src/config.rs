//! [`PlaygroundConfig`]: the network and training settings the page chooses.

use crate::error::{EngineError, Result};
use backprop_activations::ActivationKind;
use backprop_losses::LossKind;
use backprop_optim::{
    Adam, AdamW, CosineWithWarmup, Optimizer, OptimizerKind, RmsProp, ScheduleKind, Sgd, StepDecay,
};
use backprop_tensor::Init;
use serde::{Deserialize, Serialize};

/// The most units a layer may have, and the most layers: enough for any
/// network a page trains, and a bound on what one config can allocate.
pub const MAX_WIDTH: usize = 4096;
/// The most sizes `layers` may list (input and output included).
pub const MAX_LAYERS: usize = 34;

/// The settings of a playground (the JSON `new Playground` takes; see
/// API.md). Every field has a default; unknown fields are an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PlaygroundConfig {
    /// Layer sizes: input, hidden layers, output.
    pub layers: Vec<usize>,
    /// The hidden layers' activation.
    pub activation: String,
    /// `"softmax_cross_entropy"`, `"bce"` or `"mse"` (and the library's aliases).
    pub loss: String,
    /// The optimizer's name.
    pub optimizer: String,
    /// The peak learning rate; `None` for the optimizer's default.
    pub lr: Option<f64>,
    /// `"constant"`, `"cosine"` or `"step"`.
    pub schedule: String,
    /// Epochs of the cosine schedule (to 0 at this epoch).
    pub epochs: usize,
    /// Epochs between two decays of the step schedule.
    pub step_size: usize,
    /// The step schedule's factor.
    pub gamma: f64,
    /// Mini-batch size.
    pub batch: usize,
    /// Weight decay of the optimizer.
    pub l2: f64,
    /// Dropout probability after each hidden activation (0: none).
    pub dropout: f64,
    /// The initialiser's name; `None` picks one for the activation.
    pub init: Option<String>,
    /// The seed of initialisation, shuffling and dropout.
    pub seed: u64,
}

impl Default for PlaygroundConfig {
    fn default() -> Self {
        Self {
            layers: vec![2, 64, 64, 3],
            activation: "relu".into(),
            loss: "softmax_cross_entropy".into(),
            optimizer: "adam".into(),
            lr: None,
            schedule: "constant".into(),
            epochs: 100,
            step_size: 10,
            gamma: 0.5,
            batch: 32,
            l2: 0.0,
            dropout: 0.0,
            init: None,
            seed: 1,
        }
    }
}

/// What a loss name means for the network's output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputLoss {
    /// Softmax cross-entropy on logits, one output per class.
    SoftmaxCrossEntropy,
    /// Sigmoid + binary cross-entropy on logits: one output (two classes)
    /// or one per class (one-hot targets).
    Bce,
    /// Mean squared error of the raw outputs against one-hot targets.
    Mse,
}

impl OutputLoss {
    /// The library's loss that trains it.
    pub fn kind(self) -> LossKind {
        match self {
            OutputLoss::SoftmaxCrossEntropy => LossKind::SoftmaxCrossEntropy,
            OutputLoss::Bce => LossKind::BinaryCrossEntropyWithLogits,
            OutputLoss::Mse => LossKind::Mse,
        }
    }
}

impl PlaygroundConfig {
    /// Parses the JSON form and checks it.
    pub fn from_json(json: &str) -> Result<Self> {
        let c: Self = serde_json::from_str(json).map_err(|e| EngineError::Json {
            what: "playground config",
            message: e.to_string(),
        })?;
        c.validate()?;
        Ok(c)
    }

    /// The JSON form, every default filled in.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Checks every setting, naming the first one out of range.
    pub fn validate(&self) -> Result<()> {
        let l = &self.layers;
        if !(2..=MAX_LAYERS).contains(&l.len()) {
            return Err(EngineError::invalid(
                "layers",
                format!("2..={MAX_LAYERS} sizes (input, hidden..., output)"),
                format!("{} sizes", l.len()),
            ));
        }
        if let Some(&w) = l.iter().find(|&&w| !(1..=MAX_WIDTH).contains(&w)) {
            return Err(EngineError::invalid(
                "layers",
                format!("sizes in 1..={MAX_WIDTH}"),
                w,
            ));
        }
        let out = l[l.len() - 1];
        let loss = self.output_loss()?;
        if loss != OutputLoss::Bce && out < 2 {
            return Err(EngineError::invalid(
                "layers",
                format!("an output per class (at least 2) for {}", self.loss),
                format!("{out} output"),
            ));
        }
        self.activation_kind()?;
        self.optimizer_kind()?;
        self.schedule_kind()?;
        self.init_kind()?;
        if self.batch == 0 || self.batch > 1 << 16 {
            return Err(EngineError::invalid("batch", "1..=65536", self.batch));
        }
        if !(self.l2.is_finite() && self.l2 >= 0.0) {
            return Err(EngineError::invalid("l2", "a finite number >= 0", self.l2));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(EngineError::invalid(
                "dropout",
                "a probability in [0, 1)",
                self.dropout,
            ));
        }
        if let Some(lr) = self.lr
            && !(lr.is_finite() && lr > 0.0)
        {
            return Err(EngineError::invalid("lr", "a finite number > 0", lr));
        }
        Ok(())
    }

    /// The loss, by name.
    pub fn output_loss(&self) -> Result<OutputLoss> {
        Ok(match LossKind::from_name(&self.loss)? {
            LossKind::SoftmaxCrossEntropy => OutputLoss::SoftmaxCrossEntropy,
            LossKind::Mse => OutputLoss::Mse,
            _ => OutputLoss::Bce,
        })
    }

    /// The hidden layers' activation, by name.
    pub fn activation_kind(&self) -> Result<ActivationKind> {
        let kind = ActivationKind::from_name(&self.activation, None)?;
        if kind == ActivationKind::Softmax {
            return Err(EngineError::invalid(
                "activation",
                "an element-wise activation (softmax belongs to the loss)",
                "\"softmax\"",
            ));
        }
        Ok(kind)
    }

    /// The optimizer's kind, by name.
    pub fn optimizer_kind(&self) -> Result<OptimizerKind> {
        Ok(self.optimizer.parse::<OptimizerKind>()?)
    }

    /// The peak learning rate: the given one or the optimizer's default.
    pub fn learning_rate(&self) -> Result<f64> {
        Ok(self.lr.unwrap_or(self.optimizer_kind()?.default_lr()))
    }

    /// A fresh optimizer with this config's weight decay.
    pub fn optimizer(&self) -> Result<Box<dyn Optimizer<f32> + Send>> {
        let wd = self.l2;
        Ok(match self.optimizer_kind()? {
            OptimizerKind::Sgd => Box::new(Sgd::new().with_weight_decay(wd)),
            OptimizerKind::Momentum => Box::new(Sgd::momentum(0.9).with_weight_decay(wd)),
            OptimizerKind::Nesterov => {
                Box::new(Sgd::momentum(0.9).nesterov().with_weight_decay(wd))
            }
            OptimizerKind::RmsProp => Box::new(RmsProp::new().with_weight_decay(wd)),
            OptimizerKind::Adam => Box::new(Adam::new().with_weight_decay(wd)),
            OptimizerKind::AdamW => Box::new(AdamW::new().with_weight_decay(wd)),
            other => {
                return Err(EngineError::invalid(
                    "optimizer",
                    "a known optimizer",
                    other.name(),
                ));
            }
        })
    }

    /// The learning-rate schedule (per epoch).
    pub fn schedule_kind(&self) -> Result<ScheduleKind> {
        let lr = self.learning_rate()?;
        Ok(match self.schedule.as_str() {
            "constant" => ScheduleKind::from(lr),
            "cosine" => CosineWithWarmup::new(lr, 0, self.epochs.max(1), 0.0)?.into(),
            "step" => StepDecay::new(lr, self.step_size, self.gamma)?.into(),
            other => {
                return Err(EngineError::invalid(
                    "schedule",
                    "one of constant, cosine, step",
                    format!("\"{other}\""),
                ));
            }
        })
    }

    /// The dense layers' initialiser: the named one, or He normal for
    /// ReLU-like activations and Xavier normal for tanh and sigmoid.
    pub fn init_kind(&self) -> Result<Init> {
        let name = match &self.init {
            Some(name) => name.as_str(),
            None => match self.activation_kind()? {
                ActivationKind::Tanh | ActivationKind::Sigmoid | ActivationKind::Identity => {
                    "xavier_normal"
                }
                _ => "he_normal",
            },
        };
        Ok(match name {
            "he_normal" => Init::HeNormal,
            "he_uniform" => Init::HeUniform,
            "xavier_normal" => Init::XavierNormal,
            "xavier_uniform" => Init::XavierUniform,
            "lecun_normal" => Init::LeCunNormal,
            "torch_default" => Init::TorchDefault,
            "tutorial" => Init::Tutorial,
            other => {
                return Err(EngineError::invalid(
                    "init",
                    "one of he_normal, he_uniform, xavier_normal, xavier_uniform, lecun_normal, torch_default, tutorial",
                    format!("\"{other}\""),
                ));
            }
        })
    }
}
