//! The trainer on small synthetic tasks: configuration errors, the
//! non-finite guard, early stopping and callbacks, and the agreement of
//! `evaluate`, `predict` and `predict_proba` for multiclass, binary and
//! regression tasks. Models of one's own and losses of one's own are in
//! `custom.rs`.

mod common;

use backprop_data::{DataError, Dataset};
use backprop_io::IoError;
use backprop_layers::{Model, OutputKind, Sequential};
use backprop_losses::{BinaryCrossEntropyWithLogits, Mse, SoftmaxCrossEntropy};
use backprop_optim::{Adam, Optimizer, Sgd};
use backprop_tensor::{DMatrix, rng};
use backprop_train::{
    Callback, Checkpointer, Control, EarlyStopping, EpochRecord, ProgressMode, TrainError, Trainer,
    Validation,
};
use common::{bit_identical, blobs, normal, overflowing_gradient_model, temp_dir, weights};
use rand::Rng;
use std::sync::{Arc, Mutex};

fn net(inputs: usize, hidden: usize, outputs: usize, seed: u64) -> Sequential<f32> {
    Sequential::<f32>::builder(inputs)
        .seed(seed)
        .dense(hidden)
        .relu()
        .dense(outputs)
        .build()
        .expect("valid network")
}

fn adam_trainer(lr: f64, epochs: usize, batch: usize) -> Trainer<f32> {
    Trainer::new(SoftmaxCrossEntropy, Adam::new(), lr)
        .epochs(epochs)
        .batch_size(batch)
        .progress(ProgressMode::Silent)
}

// ----- configuration errors -----

#[test]
fn batch_size_zero_is_a_config_error() {
    let data = blobs(40, 2, 3.0, 1);
    let mut model = net(2, 8, 2, 0);
    let before = weights(&model);
    let err = adam_trainer(1e-2, 3, 0).fit(&mut model, &data).unwrap_err();
    assert!(matches!(err, TrainError::Config(_)), "{err:?}");
    assert!(err.to_string().contains("batch size"), "{err}");
    assert!(
        bit_identical(&before, &weights(&model)),
        "no step was taken"
    );
}

#[test]
fn a_run_that_would_train_nothing_is_a_config_error() {
    let data = blobs(40, 2, 3.0, 1);
    let mut model = net(2, 8, 2, 0);
    let before = weights(&model);
    let err = adam_trainer(1e-2, 0, 8).fit(&mut model, &data).unwrap_err();
    assert!(matches!(err, TrainError::Config(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "invalid training configuration: epochs must be at least 1, found 0"
    );
    // Resuming a run that already reached its last epoch.
    for start in [3, 5] {
        let err = adam_trainer(1e-2, 3, 8)
            .initial_epoch(start)
            .fit(&mut model, &data)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "invalid training configuration: nothing to train: the run starts after epoch {start} and epochs (the epoch to train up to) is 3"
            )
        );
    }
    assert!(
        bit_identical(&before, &weights(&model)),
        "no step was taken"
    );
    // One epoch left is fine.
    let history = adam_trainer(1e-2, 3, 8)
        .initial_epoch(2)
        .fit(&mut model, &data)
        .unwrap();
    assert_eq!(history.epochs.len(), 1);
    assert_eq!(history.epochs[0].epoch, 3);
}

#[test]
fn validation_split_outside_the_open_unit_interval_is_a_config_error() {
    let data = blobs(40, 2, 3.0, 1);
    for f in [0.0, 1.0, 1.5, -0.2, f64::NAN, f64::INFINITY] {
        let mut model = net(2, 8, 2, 0);
        let err = adam_trainer(1e-2, 3, 8)
            .validation(Validation::Split(f))
            .fit(&mut model, &data)
            .unwrap_err();
        assert!(matches!(err, TrainError::Config(_)), "split {f}: {err:?}");
        assert!(err.to_string().contains("validation split"), "{err}");
    }
    // A valid fraction that leaves one side empty is a data error, not a panic.
    let tiny = blobs(3, 2, 3.0, 1);
    let err = adam_trainer(1e-2, 3, 8)
        .validation(Validation::Split(0.01))
        .fit(&mut net(2, 8, 2, 0), &tiny)
        .unwrap_err();
    assert!(
        matches!(err, TrainError::Data(DataError::SplitTooSmall { .. })),
        "{err:?}"
    );
}

#[test]
fn feature_count_mismatch_is_a_typed_error() {
    let data = blobs(40, 2, 3.0, 1);
    let mut model = net(3, 8, 2, 0);
    let mut trainer = adam_trainer(1e-2, 3, 8);
    let err = trainer.fit(&mut model, &data).unwrap_err();
    assert!(matches!(err, TrainError::Mismatch(_)), "{err:?}");
    assert!(err.to_string().contains("3 features"), "{err}");
    assert!(err.to_string().contains("has 2"), "{err}");
    for err in [
        trainer.evaluate(&mut model, &data).unwrap_err(),
        trainer.predict(&mut model, &data).unwrap_err(),
        trainer.predict_proba(&mut model, &data).unwrap_err(),
    ] {
        assert!(matches!(err, TrainError::Mismatch(_)), "{err:?}");
    }
    // A validation set that does not fit the model is caught before training.
    let mut model = net(2, 8, 2, 0);
    let other = Dataset::from_f32(vec![0.0; 30], 3, vec![0, 1, 0, 1, 0, 1, 0, 1, 0, 1], 2).unwrap();
    let err = adam_trainer(1e-2, 3, 8)
        .validation(Validation::Data(other))
        .fit(&mut model, &data)
        .unwrap_err();
    assert!(matches!(err, TrainError::Mismatch(_)), "{err:?}");
}

#[test]
fn class_count_mismatch_is_a_typed_error() {
    let four = blobs(40, 4, 3.0, 1);
    // 3 outputs for 4 classes, and 1 output for more than 2 classes.
    for outputs in [3, 1] {
        let mut model = net(2, 8, outputs, 0);
        let err = adam_trainer(1e-2, 3, 8).fit(&mut model, &four).unwrap_err();
        assert!(matches!(err, TrainError::Mismatch(_)), "{err:?}");
        let msg = err.to_string();
        assert!(
            msg.starts_with(&format!(
                "the data does not fit the model: the model has {outputs} output{}, the dataset has 4 classes (expected 4 outputs,",
                if outputs == 1 { "" } else { "s" }
            )),
            "{msg}"
        );
    }
    // One class, and a model of one feature: singular nouns, never "1 classes".
    let one = Dataset::from_f32(vec![0.5; 8], 2, vec![0; 4], 1).unwrap();
    let err = adam_trainer(1e-2, 3, 8)
        .fit(&mut net(2, 8, 3, 0), &one)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the data does not fit the model: the model has 3 outputs, the dataset has 1 class (expected 1 output, or 1 for two classes)"
    );
    let err = adam_trainer(1e-2, 3, 8)
        .fit(&mut net(1, 8, 2, 0), &blobs(40, 2, 3.0, 1))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the data does not fit the model: the model takes 1 feature, the dataset has 2"
    );
    // A regression target count that is not the output count.
    let reg = Dataset::regression(vec![0.0; 20], 2, vec![0.0; 20], 2).unwrap();
    let err = Trainer::new(Mse, Adam::new(), 1e-2)
        .progress(ProgressMode::Silent)
        .fit(&mut net(2, 8, 1, 0), &reg)
        .unwrap_err();
    assert!(matches!(err, TrainError::Mismatch(_)), "{err:?}");
}

// ----- the non-finite guard -----

/// Two well-separated classes: 64 samples, batches of 8 (8 steps per epoch).
fn small_task() -> Dataset {
    blobs(64, 2, 3.0, 5)
}

#[test]
fn huge_learning_rate_stops_with_non_finite_naming_epoch_and_step() {
    let mut model = net(2, 16, 2, 0);
    let err = Trainer::new(SoftmaxCrossEntropy, Sgd::new(), 1e10)
        .epochs(3)
        .batch_size(8)
        .progress(ProgressMode::Silent)
        .fit(&mut model, &small_task())
        .unwrap_err();
    let TrainError::NonFinite {
        what,
        epoch,
        step,
        layer,
    } = &err
    else {
        panic!("expected NonFinite, got {err:?}")
    };
    // The first step starts from sane weights; its update blows them up, and
    // the next steps overflow (here the loss, at step 3; which quantity
    // overflows first depends on rounding, so both are accepted).
    assert_eq!(*epoch, 1, "{err}");
    assert!((2..=8).contains(step), "{err}");
    let names: Vec<String> = weights(&model).into_iter().map(|(n, _)| n).collect();
    let msg = err.to_string();
    match (*what, layer) {
        ("loss", None) => {}
        ("gradient", Some(name)) => {
            assert!(names.contains(name), "{name} is not one of {names:?}");
            assert!(msg.contains(&format!("(first in {name})")), "{msg}");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(
        msg.contains(&format!("non-finite {what} at epoch 1, step {step}")),
        "{msg}"
    );
    assert!(msg.contains("lower the learning rate"), "{msg}");
}

#[test]
fn overflowing_gradient_names_the_first_non_finite_parameter() {
    let (mut model, data) = overflowing_gradient_model();
    let mut trainer = Trainer::new(BinaryCrossEntropyWithLogits, Sgd::new(), 1e-3)
        .epochs(2)
        .batch_size(4)
        .progress(ProgressMode::Silent);
    // The loss itself is finite: evaluation works.
    let eval = trainer.evaluate(&mut model, &data).unwrap();
    assert!(eval.loss.is_finite() && eval.loss > 1e34, "{}", eval.loss);

    let err = trainer.fit(&mut model, &data).unwrap_err();
    match &err {
        TrainError::NonFinite {
            what: "gradient",
            epoch: 1,
            step: 1,
            layer: Some(name),
        } => assert_eq!(name, "2.weight"),
        other => panic!("expected a non-finite gradient at epoch 1, step 1, got {other:?}"),
    }
    assert!(
        err.to_string()
            .contains("non-finite gradient at epoch 1, step 1 (first in 2.weight)"),
        "{err}"
    );
}

#[test]
fn skip_non_finite_completes_and_counts_skipped_batches() {
    // Overflowing gradients: every batch is skipped, the weights never move.
    let (mut model, data) = overflowing_gradient_model();
    let before = weights(&model);
    let history = Trainer::new(BinaryCrossEntropyWithLogits, Sgd::new(), 1e-3)
        .epochs(3)
        .batch_size(4)
        .skip_non_finite(true)
        .progress(ProgressMode::Silent)
        .fit(&mut model, &data)
        .unwrap();
    assert_eq!(history.epochs.len(), 3);
    for r in &history.epochs {
        assert_eq!(r.skipped_batches, 2, "epoch {}", r.epoch);
        assert!(r.train_loss.is_nan(), "no batch was used: {}", r.train_loss);
    }
    assert!(bit_identical(&before, &weights(&model)));

    // A huge learning rate: the first step is taken, the rest are skipped.
    let mut model = net(2, 16, 2, 0);
    let history = Trainer::new(SoftmaxCrossEntropy, Sgd::new(), 1e10)
        .epochs(3)
        .batch_size(8)
        .skip_non_finite(true)
        .progress(ProgressMode::Silent)
        .fit(&mut model, &small_task())
        .unwrap();
    assert_eq!(history.epochs.len(), 3);
    let skipped: usize = history.epochs.iter().map(|r| r.skipped_batches).sum();
    assert!((3 * 8 - 7..3 * 8).contains(&skipped), "skipped {skipped}");
    for r in &history.epochs {
        // Accuracy counts only the batches that were used.
        if let Some(a) = r.train_accuracy {
            assert!((0.0..=1.0).contains(&a), "epoch {}: accuracy {a}", r.epoch);
        }
    }
}

#[test]
fn nan_in_the_data_is_rejected_when_the_dataset_is_built() {
    let err = Dataset::from_f32(vec![0.0, 1.0, f32::NAN, 2.0], 2, vec![0, 1], 2).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::NonFiniteFeature {
                sample: 1,
                feature: 0,
                ..
            }
        ),
        "{err:?}"
    );
    let err = Dataset::from_f32(vec![0.0, f32::INFINITY], 1, vec![0, 1], 2).unwrap_err();
    assert!(
        matches!(err, DataError::NonFiniteFeature { sample: 1, .. }),
        "{err:?}"
    );
    let err = Dataset::regression(vec![0.0, 1.0], 1, vec![1.0, f32::NAN], 1).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::NonFiniteTarget {
                sample: 1,
                target: 0,
                ..
            }
        ),
        "{err:?}"
    );
}

// ----- early stopping and callbacks -----

/// A network's named parameter values.
type Snapshot = Vec<(String, DMatrix<f32>)>;

/// Records the weights after every epoch.
#[derive(Clone, Default)]
struct Recorder {
    seen: Arc<Mutex<Vec<(usize, Snapshot)>>>,
}

impl Callback<f32> for Recorder {
    fn on_epoch_end(
        &mut self,
        record: &EpochRecord,
        model: &dyn Model<f32>,
        _optimizer: &dyn Optimizer<f32>,
    ) -> Result<Control, TrainError> {
        self.seen
            .lock()
            .expect("not poisoned")
            .push((record.epoch, weights(model)));
        Ok(Control::Continue)
    }
}

/// Two overlapping classes (centres 2 apart, unit noise): 40 training
/// samples for a 2-64-64-2 network with Adam 1e-3, batch 8. The loss on 400
/// fresh samples falls for a few epochs, then rises as the network memorises
/// the training set (the best epoch was 2–6 for six different seeds).
fn overfitting_task() -> (Dataset, Dataset) {
    (blobs(40, 2, 1.0, 11), blobs(400, 2, 1.0, 12))
}

fn wide_net() -> Sequential<f32> {
    Sequential::<f32>::builder(2)
        .seed(3)
        .dense(64)
        .relu()
        .dense(64)
        .relu()
        .dense(2)
        .build()
        .unwrap()
}

#[test]
fn early_stopping_stops_when_validation_loss_rises_and_restores_the_best_weights() {
    let (train, val) = overfitting_task();
    let limit = 500;
    let patience = 10;
    let recorder = Recorder::default();
    let mut model = wide_net();
    let mut trainer = adam_trainer(1e-3, limit, 8)
        .validation(Validation::Data(val.clone()))
        .early_stopping(EarlyStopping::new(patience))
        .callback(recorder.clone());
    let history = trainer.fit(&mut model, &train).unwrap();

    let n = history.epochs.len();
    assert!(n < limit, "ran all {n} epochs");
    let best = history.best().unwrap().clone();
    let val_losses: Vec<f64> = history.epochs.iter().map(|r| r.val_loss.unwrap()).collect();
    // It stopped `patience` epochs after the best one…
    assert_eq!(n, best.epoch + patience, "val losses {val_losses:?}");
    // …which was really the minimum, after the loss first fell and before
    // it rose again.
    let best_loss = best.val_loss.unwrap();
    assert!(
        best.epoch > 1 && val_losses[0] > best_loss,
        "{val_losses:?}"
    );
    assert!(val_losses.iter().all(|&l| l >= best_loss));
    assert!(val_losses[n - 1] > best_loss);
    // Training loss kept falling while validation loss rose: overfitting.
    assert!(history.epochs[n - 1].train_loss < best.train_loss);

    let seen = recorder.seen.lock().unwrap();
    assert_eq!(seen.len(), n);
    let (epoch, at_best) = &seen[best.epoch - 1];
    assert_eq!(*epoch, best.epoch);
    let restored = weights(&model);
    assert!(bit_identical(&restored, at_best), "best weights restored");
    assert!(
        !bit_identical(&restored, &seen[n - 1].1),
        "not the last weights"
    );
    // Evaluating the restored model gives the best epoch's validation loss.
    let eval = trainer.evaluate(&mut model, &val).unwrap();
    assert_eq!(eval.loss, best.val_loss.unwrap());

    // The history says what early stopping did, and why.
    let report = history.early_stopping.as_ref().expect("a report");
    assert_eq!(report.monitor, "val_loss");
    assert_eq!(report.best_epoch, best.epoch);
    assert_eq!(report.best_loss, best_loss);
    assert_eq!(report.stopped_epoch, Some(n));
    assert_eq!(report.last_epoch, n);
    assert!(report.restored);
    assert_eq!((report.patience, report.min_delta), (patience, 0.0));
    assert_eq!(
        report.reason(),
        format!(
            "val_loss did not improve for 10 epochs after epoch {} ({best_loss}); stopped after epoch {n} and restored the weights of epoch {}",
            best.epoch, best.epoch
        )
    );
    // And the JSON keeps it.
    let back: backprop_train::History = serde_json::from_str(&history.to_json()).unwrap();
    assert_eq!(back.early_stopping.as_ref(), Some(report));
}

#[test]
fn early_stopping_without_restore_keeps_the_last_weights() {
    let (train, val) = overfitting_task();
    let recorder = Recorder::default();
    let mut model = wide_net();
    let history = adam_trainer(1e-3, 500, 8)
        .validation(Validation::Data(val))
        .early_stopping(EarlyStopping::new(10).restore_best(false))
        .callback(recorder.clone())
        .fit(&mut model, &train)
        .unwrap();
    let n = history.epochs.len();
    assert!(n < 500);
    let seen = recorder.seen.lock().unwrap();
    assert!(bit_identical(&weights(&model), &seen[n - 1].1));
    let report = history.early_stopping.as_ref().expect("a report");
    assert_eq!(report.best_epoch, history.best().unwrap().epoch);
    assert_eq!((report.stopped_epoch, report.restored), (Some(n), false));
    assert!(
        report.reason().ends_with(&format!(
            "stopped after epoch {n}; the model keeps the weights of epoch {n}"
        )),
        "{}",
        report.reason()
    );
}

#[test]
fn early_stopping_that_never_triggers_still_restores_and_says_so() {
    // Training loss on an easy task keeps falling: patience is never
    // exhausted, but the best epoch's weights are put back.
    let data = blobs(64, 2, 3.0, 5);
    let mut model = net(2, 8, 2, 0);
    let history = adam_trainer(1e-2, 6, 16)
        .early_stopping(EarlyStopping::new(3))
        .fit(&mut model, &data)
        .unwrap();
    assert_eq!(history.epochs.len(), 6);
    let report = history.early_stopping.as_ref().expect("a report");
    assert_eq!(report.monitor, "train_loss");
    assert_eq!(report.stopped_epoch, None);
    assert_eq!(report.last_epoch, 6);
    assert_eq!(report.best_epoch, history.best().unwrap().epoch);
    assert!(report.restored);
    assert!(
        report
            .reason()
            .contains("not stopped early, the run ended after epoch 6"),
        "{}",
        report.reason()
    );
    // Without early stopping there is no report, and none in the JSON.
    let history = adam_trainer(1e-2, 2, 16)
        .fit(&mut net(2, 8, 2, 0), &data)
        .unwrap();
    assert_eq!(history.early_stopping, None);
    assert!(!history.to_json().contains("early_stopping"));
}

#[test]
fn early_stopping_starts_afresh_in_every_run() {
    // Called directly: a first run stops at epoch 4 (best 0.5 at epoch 2)…
    let net = net(2, 8, 2, 0);
    let opt = Sgd::new();
    let record = |epoch, loss| EpochRecord {
        epoch,
        train_loss: loss,
        train_accuracy: None,
        val_loss: None,
        val_accuracy: None,
        learning_rate: 0.1,
        seconds: 1.0,
        samples_per_second: 1.0,
        skipped_batches: 0,
        mean_threads: None,
    };
    let mut es = EarlyStopping::<f32>::new(2).restore_best(false);
    es.on_train_begin(&net).unwrap();
    let controls: Vec<Control> = [(1, 0.9), (2, 0.5), (3, 0.6), (4, 0.5)]
        .into_iter()
        .map(|(e, l)| es.on_epoch_end(&record(e, l), &net, &opt).unwrap())
        .collect();
    assert_eq!(controls.last(), Some(&Control::Stop));
    assert_eq!(es.report().unwrap().stopped_epoch, Some(4));
    // …a second run's first epoch is its best, though worse than 0.5.
    es.on_train_begin(&net).unwrap();
    assert_eq!(es.report(), None);
    let c = es.on_epoch_end(&record(1, 0.7), &net, &opt).unwrap();
    assert_eq!(c, Control::Continue);
    let report = es.report().unwrap();
    assert_eq!((report.best_epoch, report.best_loss), (1, 0.7));
    assert_eq!((report.stopped_epoch, report.last_epoch), (None, 1));
    assert_eq!(report.monitor, "train_loss");
}

#[test]
fn a_callback_returning_stop_ends_training_after_that_epoch() {
    let data = blobs(64, 3, 3.0, 2);
    let mut calls = Vec::new();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let history = adam_trainer(1e-2, 10, 16)
        .callback(move |r: &EpochRecord| {
            log.lock().unwrap().push(r.epoch);
            if r.epoch == 3 {
                Control::Stop
            } else {
                Control::Continue
            }
        })
        .fit(&mut net(2, 8, 3, 0), &data)
        .unwrap();
    calls.extend(seen.lock().unwrap().iter().copied());
    assert_eq!(calls, [1, 2, 3]);
    let epochs: Vec<usize> = history.epochs.iter().map(|r| r.epoch).collect();
    assert_eq!(epochs, [1, 2, 3]);
}

/// Logs every call it gets as `"<name> begin"`, `"<name> epoch K"`,
/// `"<name> end"`; fails after epoch `fail_at` if set.
struct Logger {
    name: &'static str,
    log: Arc<Mutex<Vec<String>>>,
    fail_at: Option<usize>,
}

impl Callback<f32> for Logger {
    fn on_train_begin(&mut self, model: &dyn Model<f32>) -> Result<(), TrainError> {
        assert_eq!(model.input_shape().len(), 2);
        self.log
            .lock()
            .unwrap()
            .push(format!("{} begin", self.name));
        Ok(())
    }
    fn on_epoch_end(
        &mut self,
        record: &EpochRecord,
        _model: &dyn Model<f32>,
        optimizer: &dyn Optimizer<f32>,
    ) -> Result<Control, TrainError> {
        assert_eq!(optimizer.name(), "adam");
        self.log
            .lock()
            .unwrap()
            .push(format!("{} epoch {}", self.name, record.epoch));
        if self.fail_at == Some(record.epoch) {
            return Err(TrainError::Callback(
                format!("{} gave up after epoch {}", self.name, record.epoch).into(),
            ));
        }
        Ok(Control::Continue)
    }
    fn on_train_end(&mut self, _model: &mut dyn Model<f32>) -> Result<(), TrainError> {
        self.log.lock().unwrap().push(format!("{} end", self.name));
        Ok(())
    }
}

#[test]
fn callbacks_are_called_in_order_before_after_every_epoch_and_at_the_end() {
    let data = blobs(64, 3, 3.0, 2);
    let log = Arc::new(Mutex::new(Vec::new()));
    let logger = |name| Logger {
        name,
        log: Arc::clone(&log),
        fail_at: None,
    };
    adam_trainer(1e-2, 2, 16)
        .callback(logger("a"))
        .callback(logger("b"))
        .fit(&mut net(2, 8, 3, 0), &data)
        .unwrap();
    assert_eq!(
        *log.lock().unwrap(),
        [
            "a begin",
            "b begin",
            "a epoch 1",
            "b epoch 1",
            "a epoch 2",
            "b epoch 2",
            "a end",
            "b end"
        ]
    );
}

#[test]
fn a_callback_returning_an_error_ends_fit_with_that_error() {
    let data = blobs(64, 3, 3.0, 2);
    let log = Arc::new(Mutex::new(Vec::new()));
    let recorder = Recorder::default();
    let mut model = net(2, 8, 3, 0);
    let err = adam_trainer(1e-2, 10, 16)
        .callback(recorder.clone())
        .callback(Logger {
            name: "a",
            log: Arc::clone(&log),
            fail_at: Some(2),
        })
        .callback(Logger {
            name: "b",
            log: Arc::clone(&log),
            fail_at: None,
        })
        .early_stopping(EarlyStopping::new(1))
        .fit(&mut model, &data)
        .unwrap_err();
    let TrainError::Callback(source) = &err else {
        panic!("expected TrainError::Callback, found {err:?}")
    };
    assert_eq!(source.to_string(), "a gave up after epoch 2");
    assert_eq!(err.to_string(), "callback failed: a gave up after epoch 2");
    // The callbacks after the failing one were not called for its epoch, and
    // none was told that training ended.
    assert_eq!(
        *log.lock().unwrap(),
        ["a begin", "b begin", "a epoch 1", "b epoch 1", "a epoch 2"]
    );
    // The model keeps epoch 2's weights (early stopping restores nothing).
    let seen = recorder.seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    assert!(bit_identical(&weights(&model), &seen[1].1));
}

#[test]
fn a_checkpoint_that_cannot_be_written_ends_fit_with_a_typed_error() {
    let data = blobs(64, 3, 3.0, 2);
    let dir = temp_dir("checkpoint-error");
    // A file where the checkpoint directory should be.
    let blocker = dir.join("not-a-dir");
    std::fs::write(&blocker, b"x").unwrap();
    let ckpt_dir = blocker.join("checkpoints");
    let recorder = Recorder::default();
    let err = adam_trainer(1e-2, 10, 16)
        .callback(recorder.clone())
        .callback(Checkpointer::new(&ckpt_dir, 2))
        .fit(&mut net(2, 8, 3, 0), &data)
        .unwrap_err();
    let expected = ckpt_dir.join("epoch-2.safetensors");
    let TrainError::Checkpoint(e) = &err else {
        panic!("expected TrainError::Checkpoint, found {err:?}")
    };
    assert_eq!((e.epoch, &e.path), (2, &expected));
    match &e.source {
        IoError::Io { file, source } => {
            assert_eq!(file, &ckpt_dir, "the directory could not be made");
            assert_eq!(source.kind(), std::io::ErrorKind::NotADirectory);
        }
        other => panic!("expected IoError::Io, found {other:?}"),
    }
    let msg = err.to_string();
    assert!(
        msg.starts_with(&format!(
            "could not write the checkpoint of epoch 2 to {}: {}: ",
            expected.display(),
            ckpt_dir.display()
        )),
        "{msg}"
    );
    let source = std::error::Error::source(&err).expect("a source");
    assert!(source.downcast_ref::<IoError>().is_some(), "{source:?}");
    // Training stopped after the epoch whose checkpoint failed.
    assert_eq!(recorder.seen.lock().unwrap().len(), 2);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn checkpoints_are_written_every_k_epochs_and_after_the_last() {
    let data = blobs(64, 3, 3.0, 2);
    let dir = temp_dir("checkpoints");
    let mut model = net(2, 8, 3, 0);
    adam_trainer(1e-2, 5, 16)
        .callback(Checkpointer::new(dir.join("ck"), 2))
        .fit(&mut model, &data)
        .unwrap();
    let mut names: Vec<String> = std::fs::read_dir(dir.join("ck"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    // Every 2 epochs, and the last one (5) whatever the period: a run's
    // end is always a checkpoint to go on from.
    assert_eq!(
        names,
        [
            "epoch-2.safetensors",
            "epoch-4.safetensors",
            "epoch-5.safetensors"
        ]
    );
    let last = backprop_io::load_checkpoint::<f32>(dir.join("ck/epoch-5.safetensors")).unwrap();
    assert_eq!(last.state.epoch, 5);
    assert!(bit_identical(&weights(&last.model), &weights(&model)));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_early_stopped_run_checkpoints_the_epoch_it_stops_at() {
    let data = blobs(64, 3, 3.0, 2);
    // No epoch improves on the first by 1e9: patience 2 stops after epoch
    // 3 of 10, which is not a multiple of the period 2.
    let run = |dir: &std::path::Path, restore: bool| {
        let mut model = net(2, 8, 3, 0);
        let history = adam_trainer(1e-2, 10, 16)
            .early_stopping(EarlyStopping::new(2).min_delta(1e9).restore_best(restore))
            .callback(Checkpointer::new(dir, 2))
            .fit(&mut model, &data)
            .unwrap();
        assert_eq!(history.epochs.len(), 3);
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["epoch-2.safetensors", "epoch-3.safetensors"]);
        let ck = backprop_io::load_checkpoint::<f32>(dir.join("epoch-3.safetensors")).unwrap();
        assert_eq!(ck.state.epoch, 3);
        (weights(&ck.model), weights(&model))
    };
    let dir = temp_dir("checkpoints-early-stop");
    // Without restoring, the checkpoint holds the final weights...
    let (stopped, last) = run(&dir.join("kept"), false);
    assert!(bit_identical(&stopped, &last));
    // ...and with, still the stopped epoch's, not the restored epoch 1's.
    let (ck, restored) = run(&dir.join("restored"), true);
    assert!(bit_identical(&ck, &stopped));
    assert!(!bit_identical(&ck, &restored));
    std::fs::remove_dir_all(&dir).unwrap();
}

// ----- progress lines -----

/// A writer that keeps what it is given and fails every write after `ok`
/// lines with `kind`.
#[derive(Clone)]
struct Sink {
    text: Arc<Mutex<String>>,
    ok: usize,
    kind: std::io::ErrorKind,
}

impl std::io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut text = self.text.lock().unwrap();
        if text.matches('\n').count() >= self.ok {
            return Err(std::io::Error::from(self.kind));
        }
        text.push_str(&String::from_utf8_lossy(buf));
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn progress_lines_go_to_the_given_writer() {
    let data = blobs(64, 3, 3.0, 2);
    let sink = Sink {
        text: Arc::default(),
        ok: usize::MAX,
        kind: std::io::ErrorKind::Other,
    };
    let history = Trainer::new(SoftmaxCrossEntropy, Adam::new(), 1e-2)
        .epochs(3)
        .batch_size(16)
        .progress_to(sink.clone())
        .fit(&mut net(2, 8, 3, 0), &data)
        .unwrap();
    let expected: String = history
        .epochs
        .iter()
        .map(|r| backprop_train::format_record(r, 3) + "\n")
        .collect();
    assert_eq!(*sink.text.lock().unwrap(), expected);
}

#[test]
fn a_closed_progress_output_stops_fit_with_a_typed_error_after_the_callbacks() {
    let data = blobs(64, 3, 3.0, 2);
    let sink = Sink {
        text: Arc::default(),
        ok: 2,
        kind: std::io::ErrorKind::BrokenPipe,
    };
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let err = Trainer::new(SoftmaxCrossEntropy, Adam::new(), 1e-2)
        .epochs(10)
        .batch_size(16)
        .progress_to(sink.clone())
        .callback(move |r: &EpochRecord| {
            log.lock().unwrap().push(r.epoch);
            Control::Continue
        })
        .fit(&mut net(2, 8, 3, 0), &data)
        .unwrap_err();
    match &err {
        TrainError::Progress(e) => assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe),
        other => panic!("expected TrainError::Progress, found {other:?}"),
    }
    assert!(
        err.to_string()
            .starts_with("could not write the progress line to stdout: "),
        "{err}"
    );
    // Two lines written, the third failed: its epoch's callbacks still ran
    // (a checkpoint is not lost), then training stopped.
    assert_eq!(sink.text.lock().unwrap().lines().count(), 2);
    assert_eq!(*seen.lock().unwrap(), [1, 2, 3]);
}

// ----- evaluate, predict, predict_proba -----

#[test]
fn the_evaluation_batch_size_changes_only_memory() {
    // 1,234 samples: one, several or many chunks.
    let data = blobs(1234, 3, 2.5, 21);
    let mut model = net(2, 32, 3, 1);
    let mut trainer = adam_trainer(1e-2, 3, 32);
    trainer.fit(&mut model, &data).unwrap();
    let eval = trainer.evaluate(&mut model, &data).unwrap();
    let predicted = trainer.predict(&mut model, &data).unwrap();
    let proba = trainer.predict_proba(&mut model, &data).unwrap();
    for size in [0, 7, 300, 5000] {
        let mut other = adam_trainer(1e-2, 3, 32).eval_batch_size(size);
        let e = other.evaluate(&mut model, &data).unwrap();
        assert_eq!(e.confusion, eval.confusion, "eval batch {size}");
        assert!(
            (e.loss - eval.loss).abs() <= 1e-6 * eval.loss,
            "eval batch {size}: {} vs {}",
            e.loss,
            eval.loss
        );
        assert_eq!(
            other.predict(&mut model, &data).unwrap(),
            predicted,
            "eval batch {size}"
        );
        let p = other.predict_proba(&mut model, &data).unwrap();
        assert!(
            p.iter()
                .zip(proba.iter())
                .all(|(a, b)| (a - b).abs() <= 1e-6),
            "eval batch {size}"
        );
    }
}

#[test]
fn evaluate_predict_and_predict_proba_agree() {
    // 1,234 samples: more than one evaluation chunk of 1,000.
    let data = blobs(1234, 3, 2.5, 21);
    let mut model = net(2, 32, 3, 1);
    let mut trainer = adam_trainer(1e-2, 5, 32);
    trainer.fit(&mut model, &data).unwrap();

    let predicted = trainer.predict(&mut model, &data).unwrap();
    let proba = trainer.predict_proba(&mut model, &data).unwrap();
    let eval = trainer.evaluate(&mut model, &data).unwrap();
    assert_eq!(predicted.len(), data.len());
    assert_eq!(proba.shape(), (3, data.len()));
    for (j, col) in proba.column_iter().enumerate() {
        let sum: f32 = col.iter().sum();
        assert!((sum - 1.0).abs() < 1e-5, "column {j} sums to {sum}");
        assert!(col.iter().all(|&p| (0.0..=1.0).contains(&p)));
        assert_eq!(col.argmax().0, predicted[j], "sample {j}");
    }

    let correct = predicted
        .iter()
        .zip(data.labels())
        .filter(|(p, l)| p == l)
        .count();
    let accuracy = eval.accuracy.unwrap();
    assert_eq!(accuracy, correct as f64 / data.len() as f64);
    assert!(accuracy > 0.85, "accuracy {accuracy}");
    assert_eq!(eval.rmse, None);

    let cm = eval.confusion.unwrap();
    assert_eq!(cm.total(), data.len() as u64);
    assert_eq!(cm.accuracy(), accuracy);
    let counts = data.class_counts();
    assert_eq!(counts.len(), 3);
    for (t, &count) in counts.iter().enumerate() {
        let row: u64 = (0..3).map(|p| cm.count(t, p)).sum();
        assert_eq!(row, count as u64, "class {t}");
        let column: u64 = (0..3).map(|s| cm.count(s, t)).sum();
        assert_eq!(column, predicted.iter().filter(|&&p| p == t).count() as u64);
    }

    // The mean loss is the cross-entropy of the probabilities.
    let ce: f64 = data
        .labels()
        .iter()
        .enumerate()
        .map(|(j, &l)| -f64::from(proba[(l, j)]).ln())
        .sum::<f64>()
        / data.len() as f64;
    assert!(
        (eval.loss - ce).abs() < 1e-4 * ce.max(1.0),
        "{} vs {ce}",
        eval.loss
    );
}

#[test]
fn regression_with_mse_reports_rmse() {
    // y = 2·x₀ − 3·x₁ + 0.5 + noise(σ = 0.1).
    let mut r = rng::seeded(31);
    let n = 600;
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    for _ in 0..n {
        let (a, b): (f32, f32) = (r.random_range(-1.0..1.0), r.random_range(-1.0..1.0));
        xs.extend([a, b]);
        ys.push(2.0 * a - 3.0 * b + 0.5 + 0.1 * normal(&mut r));
    }
    let data = Dataset::regression(xs, 2, ys.clone(), 1).unwrap();
    let mut model = net(2, 32, 1, 4);
    let mut trainer = Trainer::new(Mse, Adam::new(), 1e-2)
        .epochs(60)
        .batch_size(32)
        .progress(ProgressMode::Silent);
    let history = trainer.fit(&mut model, &data).unwrap();
    assert!(history.epochs.iter().all(|r| r.train_accuracy.is_none()));
    assert_eq!(model.info().output, OutputKind::Values);

    let eval = trainer.evaluate(&mut model, &data).unwrap();
    assert_eq!(eval.accuracy, None);
    assert_eq!(eval.confusion, None);
    let rmse = eval.rmse.unwrap();
    // One output: the MSE loss is the mean squared error.
    assert!(
        (rmse - eval.loss.sqrt()).abs() < 1e-6,
        "{rmse} vs {}",
        eval.loss
    );
    // Recomputed from the raw outputs.
    let out = trainer.predict_proba(&mut model, &data).unwrap();
    assert_eq!(out.shape(), (1, n));
    let manual = (out
        .iter()
        .zip(&ys)
        .map(|(&p, &y)| f64::from(p - y).powi(2))
        .sum::<f64>()
        / n as f64)
        .sqrt();
    assert!((rmse - manual).abs() < 1e-6, "{rmse} vs {manual}");
    // It learned the function: the targets' own spread is about 2.1.
    assert!(rmse < 0.25, "rmse {rmse}");
}

#[test]
fn binary_with_one_output_and_bce_with_logits() {
    let data = blobs(400, 2, 4.0, 41);
    let mut model = net(2, 16, 1, 2);
    let mut trainer = Trainer::new(BinaryCrossEntropyWithLogits, Adam::new(), 1e-2)
        .epochs(10)
        .batch_size(32)
        .progress(ProgressMode::Silent);
    let history = trainer.fit(&mut model, &data).unwrap();
    let last = history.epochs.last().unwrap();
    assert!(last.train_accuracy.unwrap() > 0.95, "{last:?}");
    assert_eq!(model.info().output, OutputKind::Logits);

    let eval = trainer.evaluate(&mut model, &data).unwrap();
    let accuracy = eval.accuracy.unwrap();
    assert!(accuracy > 0.97, "accuracy {accuracy}");
    assert_eq!(eval.confusion.as_ref().unwrap().classes(), 2);
    assert_eq!(eval.confusion.as_ref().unwrap().total(), 400);

    // Probabilities are the sigmoid of one logit; class 1 iff p ≥ ½.
    let proba = trainer.predict_proba(&mut model, &data).unwrap();
    let predicted = trainer.predict(&mut model, &data).unwrap();
    assert_eq!(proba.shape(), (1, 400));
    for (j, &p) in proba.iter().enumerate() {
        assert!((0.0..=1.0).contains(&p));
        assert_eq!(predicted[j], usize::from(p >= 0.5), "sample {j}: p = {p}");
    }
}
