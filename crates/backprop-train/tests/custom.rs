//! What is not built in: a model of one's own (any `Model`, also behind a
//! `Box<dyn Model>`) trained, scored and checkpointed by the trainer, and a
//! loss of one's own that takes logits.

mod common;

use backprop_data::{Batcher, Dataset};
use backprop_io::load_checkpoint;
use backprop_layers::{Mode, Model, OutputKind, Sequential};
use backprop_losses::{BinaryCrossEntropyWithLogits, Loss, LossError, SoftmaxCrossEntropy, Target};
use backprop_optim::{Adam, Sgd};
use backprop_tensor::DMatrix;
use backprop_train::{Checkpointer, EpochRecord, History, ProgressMode, Trainer, Validation};
use common::{Hooked, Hooks, bit_identical, blobs, temp_dir, weights};

/// A model of one's own: a network wrapped, counting the passes it runs.
#[derive(Debug, Default)]
struct Counts {
    forwards: usize,
    backwards: usize,
}

impl Hooks for Counts {
    fn on_forward(&mut self, _mode: Mode) {
        self.forwards += 1;
    }
    fn on_backward(&mut self) {
        self.backwards += 1;
    }
}

type Counted = Hooked<Counts>;

fn counted(inner: Sequential<f32>) -> Counted {
    Hooked {
        inner,
        hooks: Counts::default(),
    }
}

fn net(seed: u64) -> Sequential<f32> {
    Sequential::<f32>::builder(2)
        .seed(seed)
        .dense(16)
        .relu()
        .dense(3)
        .build()
        .unwrap()
}

fn trainer(epochs: usize) -> Trainer<f32> {
    Trainer::new(SoftmaxCrossEntropy, Adam::new(), 1e-2)
        .epochs(epochs)
        .batch_size(16)
        .validation(Validation::Split(0.25))
        .progress(ProgressMode::Silent)
}

/// The records without their timings.
fn results(h: &History) -> Vec<EpochRecord> {
    h.epochs
        .iter()
        .map(|r| EpochRecord {
            seconds: 0.0,
            samples_per_second: 0.0,
            mean_threads: None,
            ..r.clone()
        })
        .collect()
}

#[test]
fn a_model_of_ones_own_trains_exactly_like_the_network_it_wraps() {
    let data = blobs(200, 3, 3.0, 9);
    let mut bare = net(4);
    let mut own = counted(net(4));
    own.info_mut().output = OutputKind::Values; // until fit says otherwise
    let (mut t1, mut t2) = (trainer(5), trainer(5));
    let h1 = t1.fit(&mut bare, &data).unwrap();
    let h2 = t2.fit(&mut own, &data).unwrap();
    assert_eq!(results(&h1), results(&h2));
    assert!(bit_identical(&weights(&bare), &weights(&own)));
    assert!(
        h2.epochs.last().unwrap().val_accuracy.unwrap() > 0.9,
        "{h2:?}"
    );

    // Its own passes ran: every step, and one validation chunk per epoch.
    let train_len = data.split(0.25, 0).unwrap().0.len();
    let steps = Batcher::new(train_len, 16, true, 0)
        .unwrap()
        .batches_per_epoch();
    assert_eq!(own.hooks.backwards, 5 * steps);
    assert_eq!(own.hooks.forwards, 5 * (steps + 1));
    assert_eq!(own.info().output, OutputKind::Logits);

    let eval = t2.evaluate(&mut own, &data).unwrap();
    assert_eq!(eval, t1.evaluate(&mut bare, &data).unwrap());
    assert_eq!(
        t2.predict(&mut own, &data).unwrap(),
        t1.predict(&mut bare, &data).unwrap()
    );
    assert_eq!(
        t2.predict_proba(&mut own, &data).unwrap(),
        t1.predict_proba(&mut bare, &data).unwrap()
    );
}

#[test]
fn a_boxed_model_trains_and_is_checkpointed() {
    let data = blobs(200, 3, 3.0, 9);
    let dir = temp_dir("custom-checkpoint");
    let mut boxed: Box<dyn Model<f32>> = Box::new(counted(net(5)));
    // Wrong until fit says what the model outputs.
    boxed.info_mut().output = OutputKind::Probabilities;
    let history = trainer(2)
        .callback(Checkpointer::new(&dir, 2))
        .fit(boxed.as_mut(), &data)
        .unwrap();
    assert_eq!(history.epochs.len(), 2);
    assert_eq!(boxed.info().output, OutputKind::Logits);
    // The checkpoint holds the wrapped network's weights after epoch 2.
    let ck = load_checkpoint::<f32>(dir.join("epoch-2.safetensors")).unwrap();
    assert_eq!(ck.state.epoch, 2);
    assert!(bit_identical(&weights(&ck.model), &weights(boxed.as_ref())));
    // And what the trainer recorded: the model outputs logits.
    assert_eq!(ck.model.info().output, OutputKind::Logits);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A loss of one's own: binary cross-entropy on one output, named otherwise,
/// saying whether it takes logits as `logits` says (the computation is
/// BCE-with-logits' either way).
#[derive(Debug)]
struct Custom {
    logits: bool,
}

impl Loss<f32> for Custom {
    fn name(&self) -> &'static str {
        "custom"
    }
    fn takes_logits(&self) -> bool {
        self.logits
    }
    fn loss(&self, prediction: &DMatrix<f32>, target: Target<'_, f32>) -> Result<f32, LossError> {
        BinaryCrossEntropyWithLogits.loss(prediction, target)
    }
    fn gradient(
        &self,
        prediction: &DMatrix<f32>,
        target: Target<'_, f32>,
        grad: &mut DMatrix<f32>,
    ) -> Result<(), LossError> {
        BinaryCrossEntropyWithLogits.gradient(prediction, target, grad)
    }
}

/// One input, one output, `output = input`; four samples whose outputs are
/// -1, 0.25, 0.3 and 2, labelled 0, 1, 1, 1: right at a threshold of 0,
/// half wrong at ½.
fn identity_task() -> (Sequential<f32>, Dataset) {
    let mut model = Sequential::<f32>::builder(1).dense(1).build().unwrap();
    model.visit_params_mut(&mut |p| p.value.fill(if p.name() == "0.weight" { 1.0 } else { 0.0 }));
    let data = Dataset::from_f32(vec![-1.0, 0.25, 0.3, 2.0], 1, vec![0, 1, 1, 1], 2).unwrap();
    (model, data)
}

fn custom_trainer(logits: bool) -> Trainer<f32> {
    Trainer::new(Custom { logits }, Sgd::new(), 1e-6)
        .epochs(1)
        .batch_size(4)
        .progress(ProgressMode::Silent)
}

#[test]
fn a_logit_loss_of_ones_own_thresholds_a_single_output_at_zero() {
    let (mut model, data) = identity_task();
    let mut trainer = custom_trainer(true);
    assert_eq!(trainer.predict(&mut model, &data).unwrap(), [0, 1, 1, 1]);
    assert_eq!(
        trainer.evaluate(&mut model, &data).unwrap().accuracy,
        Some(1.0)
    );
    let proba = trainer.predict_proba(&mut model, &data).unwrap();
    for (p, x) in proba.iter().zip([-1.0_f32, 0.25, 0.3, 2.0]) {
        assert!((p - 1.0 / (1.0 + (-x).exp())).abs() < 1e-6, "{p} for {x}");
    }

    // Training counts a logit of 0.25 as class 1 too, and the model records
    // that it outputs logits, so it predicts alone as the trainer does.
    let history = trainer.fit(&mut model, &data).unwrap();
    assert_eq!(history.epochs[0].train_accuracy, Some(1.0));
    assert_eq!(model.info().output, OutputKind::Logits);
    assert_eq!(model.predict_class_raw(&[0.25]).unwrap(), 1);
}

#[test]
fn a_probability_loss_of_ones_own_thresholds_a_single_output_at_one_half() {
    let (mut model, data) = identity_task();
    let mut trainer = custom_trainer(false);
    assert_eq!(trainer.predict(&mut model, &data).unwrap(), [0, 0, 0, 1]);
    assert_eq!(
        trainer.evaluate(&mut model, &data).unwrap().accuracy,
        Some(0.5)
    );
    // The outputs are the probabilities.
    let proba = trainer.predict_proba(&mut model, &data).unwrap();
    assert_eq!(proba.as_slice(), [-1.0, 0.25, 0.3, 2.0]);

    let history = trainer.fit(&mut model, &data).unwrap();
    assert_eq!(history.epochs[0].train_accuracy, Some(0.5));
    assert_eq!(model.info().output, OutputKind::Probabilities);
    assert_eq!(model.predict_class_raw(&[0.25]).unwrap(), 0);
}
