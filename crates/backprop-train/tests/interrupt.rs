//! The stop flag (`Trainer::stop_flag`) and what resuming remembers: a run
//! stopped in the middle of an epoch or between two ends after the current
//! step with a history saying where, its last checkpoint resumes to the
//! uninterrupted run's weights, optimizer state and history, bit for bit;
//! a resumed run returns the whole run's history; a resume on other data is
//! refused unless forced.

mod common;

use backprop_data::Dataset;
use backprop_io::{checkpoint_path, load_checkpoint};
use backprop_layers::{Mode, Sequential};
use backprop_losses::SoftmaxCrossEntropy;
use backprop_optim::{Adam, CosineWithWarmup};
use backprop_train::{
    Checkpointer, Control, EpochRecord, History, Interruption, ProgressMode, TrainError, Trainer,
    data_fingerprint, resume,
};
use common::{Hooked, Hooks, bit_identical, blobs, temp_dir, weights};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

const EPOCHS: usize = 4;
const SEED: u64 = 5;
/// 120 samples in batches of 16: 8 steps per epoch, the last one of 8.
const STEPS: usize = 8;

fn data() -> Dataset {
    blobs(120, 3, 3.0, 2)
}

/// With dropout, so that the random streams must resume too.
fn net() -> Sequential<f32> {
    Sequential::<f32>::builder(2)
        .seed(SEED)
        .dense(16)
        .relu()
        .dropout(0.2)
        .dense(3)
        .build()
        .unwrap()
}

fn trainer() -> Trainer<f32> {
    Trainer::new(SoftmaxCrossEntropy, Adam::new(), 1e-2)
        .schedule(CosineWithWarmup::new(1e-2, 1, EPOCHS, 0.0).unwrap())
        .epochs(EPOCHS)
        .batch_size(16)
        .seed(SEED)
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

/// Raises a flag during the `at`-th training forward pass (as a signal
/// arriving in the middle of that step would), or asks another thread to
/// then, and waits until it has.
#[derive(Debug)]
struct RaiseAt {
    steps: usize,
    at: usize,
    flag: Option<Arc<AtomicBool>>,
    ask: Option<(mpsc::Sender<()>, mpsc::Receiver<()>)>,
}

impl Hooks for RaiseAt {
    fn on_forward(&mut self, mode: Mode) {
        if mode == Mode::Train {
            self.steps += 1;
            if self.steps == self.at {
                if let Some(flag) = &self.flag {
                    flag.store(true, Ordering::Relaxed);
                }
                if let Some((ask, done)) = &self.ask {
                    let _ = ask.send(());
                    let _ = done.recv();
                }
            }
        }
    }
}

/// The network of [`net`] raising the flag (or asking) in its `at`-th
/// training step.
fn raise_at(
    at: usize,
    flag: Option<Arc<AtomicBool>>,
    ask: Option<(mpsc::Sender<()>, mpsc::Receiver<()>)>,
) -> Hooked<RaiseAt> {
    Hooked {
        inner: net(),
        hooks: RaiseAt {
            steps: 0,
            at,
            flag,
            ask,
        },
    }
}

/// The uninterrupted run: its weights, optimizer state and history.
fn straight() -> (Sequential<f32>, Trainer<f32>, History) {
    let mut net = net();
    let mut t = trainer();
    let history = t.fit(&mut net, &data()).unwrap();
    assert_eq!(history.epochs.len(), EPOCHS);
    assert!(history.interrupted.is_none());
    (net, t, history)
}

/// Resumes from `file` and trains to the end: the uninterrupted run's
/// weights, optimizer state and records, bit for bit.
fn resumes_exactly(file: &std::path::Path, expected: &(Sequential<f32>, Trainer<f32>, History)) {
    let ckpt = load_checkpoint::<f32>(file).unwrap();
    let (mut t, mut net) = resume(trainer(), ckpt).unwrap();
    let history = t.fit(&mut net, &data()).unwrap();
    assert!(
        bit_identical(&weights(&net), &weights(&expected.0)),
        "weights resumed from {}",
        file.display()
    );
    assert_eq!(t.optimizer().state(), expected.1.optimizer().state());
    assert_eq!(
        results(&history),
        results(&expected.2),
        "{}",
        file.display()
    );
    assert!(history.interrupted.is_none());
}

#[test]
fn a_flag_raised_during_a_step_stops_after_it_and_the_checkpoint_resumes_bit_exactly() {
    let expected = straight();
    let dir = temp_dir("interrupt-mid-epoch");
    // Raised in the 3rd step of epoch 2 (step 11 of the run).
    let flag = Arc::new(AtomicBool::new(false));
    let mut model = raise_at(STEPS + 3, Some(flag.clone()), None);
    let mut t = trainer()
        .stop_flag(flag.clone())
        // every 3 epochs: none is due when the run stops.
        .callback(Checkpointer::new(&dir, 3));
    let history = t.fit(&mut model, &data()).unwrap();
    assert_eq!(
        model.hooks.steps,
        STEPS + 3,
        "no step after the one that raised it"
    );
    assert_eq!(history.epochs.len(), 1);
    let at = history.interrupted.clone().expect("interrupted");
    assert_eq!((at.epoch, at.step, at.steps_per_epoch), (1, 3, STEPS));
    assert_eq!(at.to_string(), "after step 3 of 8 of epoch 2");
    let partial = at.partial.clone().expect("the unfinished epoch's sums");
    assert_eq!(partial.samples, 3 * 16);
    assert!(partial.loss_sum > 0.0);
    // Only the interruption's checkpoint was written.
    let file = at.checkpoint_path(&dir);
    assert!(
        file.ends_with("epoch-1-step-3.safetensors"),
        "{}",
        file.display()
    );
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    // The checkpoint holds the current weights, the history and the data.
    let ckpt = load_checkpoint::<f32>(&file).unwrap();
    assert!(bit_identical(&weights(&ckpt.model), &weights(&model.inner)));
    assert_eq!(ckpt.state.epoch, 1);
    let saved: History = serde_json::from_value(ckpt.state.history.clone()).unwrap();
    assert_eq!(saved, history);
    assert_eq!(ckpt.state.data["dataset"], data_fingerprint(&data()));
    resumes_exactly(&file, &expected);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_flag_raised_between_epochs_stops_before_the_next_and_checkpoints_there() {
    let expected = straight();
    let dir = temp_dir("interrupt-between");
    let flag = Arc::new(AtomicBool::new(false));
    let raise = flag.clone();
    let mut net = net();
    let mut t = trainer()
        .stop_flag(flag)
        .callback(move |r: &EpochRecord| {
            raise.store(r.epoch == 2, Ordering::Relaxed);
            Control::Continue
        })
        .callback(Checkpointer::new(&dir, 3));
    let history = t.fit(&mut net, &data()).unwrap();
    assert_eq!(history.epochs.len(), 2);
    let at = history.interrupted.clone().unwrap();
    assert_eq!((at.epoch, at.step, at.partial.clone()), (2, 0, None));
    assert_eq!(at.to_string(), "after epoch 2");
    let file = checkpoint_path(&dir, 2);
    assert_eq!(at.checkpoint_path(&dir), file);
    resumes_exactly(&file, &expected);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_flag_raised_by_another_thread_stops_the_run_and_it_resumes_bit_exactly() {
    let expected = straight();
    let dir = temp_dir("interrupt-thread");
    let flag = Arc::new(AtomicBool::new(false));
    let (ask, asked) = mpsc::channel();
    let (done, raised) = mpsc::channel();
    let raiser = {
        let flag = flag.clone();
        std::thread::spawn(move || {
            // Asked in step 5 (of epoch 1); the step goes on once it is up.
            if asked.recv().is_ok() {
                flag.store(true, Ordering::Relaxed);
                let _ = done.send(());
            }
        })
    };
    let mut model = raise_at(5, None, Some((ask, raised)));
    let mut t = trainer()
        .stop_flag(flag)
        .callback(Checkpointer::new(&dir, 10));
    let history = t.fit(&mut model, &data()).unwrap();
    raiser.join().unwrap();
    let at = history.interrupted.clone().expect("interrupted");
    assert_eq!((at.epoch, at.step, model.hooks.steps), (0, 5, 5));
    resumes_exactly(&at.checkpoint_path(&dir), &expected);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_flag_raised_before_fit_trains_nothing_and_a_resumed_interruption_stays_put() {
    let flag = Arc::new(AtomicBool::new(true));
    let mut net = net();
    let before = weights(&net);
    let dir = temp_dir("interrupt-before");
    let history = trainer()
        .stop_flag(flag.clone())
        .callback(Checkpointer::new(&dir, 1))
        .fit(&mut net, &data())
        .unwrap();
    assert!(history.epochs.is_empty());
    assert_eq!(
        history.interrupted,
        Some(Interruption {
            epoch: 0,
            step: 0,
            steps_per_epoch: STEPS,
            partial: None
        })
    );
    assert!(bit_identical(&before, &weights(&net)));

    // Interrupted in the middle of epoch 1, then resumed with the flag
    // still raised: it stops at once, where it was, with the same sums.
    let mut model = raise_at(2, Some(flag.clone()), None);
    flag.store(false, Ordering::Relaxed);
    let first = trainer()
        .stop_flag(flag.clone())
        .callback(Checkpointer::new(&dir, 1))
        .fit(&mut model, &data())
        .unwrap();
    let at = first.interrupted.clone().unwrap();
    assert_eq!((at.epoch, at.step), (0, 2));
    let ckpt = load_checkpoint::<f32>(at.checkpoint_path(&dir)).unwrap();
    let (t, mut resumed) = resume(trainer(), ckpt).unwrap();
    let again = t.stop_flag(flag).fit(&mut resumed, &data()).unwrap();
    let mut stayed = again.interrupted.unwrap();
    let (p, q) = (
        stayed.partial.as_mut().unwrap(),
        at.partial.as_ref().unwrap(),
    );
    assert!(p.seconds >= q.seconds);
    p.seconds = q.seconds;
    // Two steps, each on one thread or more.
    assert_eq!(q.steps, 2);
    let threads = backprop_tensor::threads::num_threads();
    assert!((2..=2 * threads).contains(&q.thread_steps), "{q:?}");
    assert_eq!(stayed, at);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_resumed_run_returns_the_whole_runs_history() {
    let expected = straight();
    let dir = temp_dir("resume-history");
    let mut net = net();
    trainer()
        .callback(Checkpointer::new(&dir, 1))
        .fit(&mut net, &data())
        .unwrap();
    for k in 1..EPOCHS {
        let ckpt = load_checkpoint::<f32>(checkpoint_path(&dir, k)).unwrap();
        let saved: History = serde_json::from_value(ckpt.state.history.clone()).unwrap();
        assert_eq!(results(&saved), results(&expected.2)[..k].to_vec());
        resumes_exactly(&checkpoint_path(&dir, k), &expected);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_resume_on_other_data_is_refused_unless_forced() {
    let dir = temp_dir("resume-data");
    let mut net = net();
    trainer()
        .callback(Checkpointer::new(&dir, 1))
        .fit(&mut net, &data())
        .unwrap();
    let other = blobs(100, 3, 3.0, 9);
    let ckpt = || load_checkpoint::<f32>(checkpoint_path(&dir, 2)).unwrap();

    let (mut t, mut resumed) = resume(trainer(), ckpt()).unwrap();
    let before = weights(&resumed);
    let err = t.fit(&mut resumed, &other).unwrap_err();
    assert!(matches!(err, TrainError::DataChanged(_)), "{err:?}");
    let msg = err.to_string();
    let (then, now) = (data_fingerprint(&data()), data_fingerprint(&other));
    assert_eq!(
        msg,
        format!(
            "the checkpoint was trained on other data (samples: 120 then, 100 now; checksum: {} then, {} now): \
             resume on the data it was trained on, or force the resume (Trainer::force_resume)",
            then["checksum"].as_str().unwrap(),
            now["checksum"].as_str().unwrap()
        )
    );
    assert!(
        bit_identical(&before, &weights(&resumed)),
        "nothing trained"
    );

    // The same count of samples, one label changed: the checksum says so.
    let mut labels = data().labels().to_vec();
    labels[7] = (labels[7] + 1) % 3;
    let xs: Vec<f32> = match data().features() {
        backprop_data::Features::F32(v) => v.clone(),
        _ => unreachable!(),
    };
    let relabelled = Dataset::from_f32(xs, 2, labels, 3).unwrap();
    let (mut t, mut resumed) = resume(trainer(), ckpt()).unwrap();
    let msg = t.fit(&mut resumed, &relabelled).unwrap_err().to_string();
    assert!(msg.contains("(checksum: "), "{msg}");

    // Forced, it trains.
    let (t, mut resumed) = resume(trainer(), ckpt()).unwrap();
    let h = t.force_resume(true).fit(&mut resumed, &other).unwrap();
    assert_eq!(h.epochs.len(), EPOCHS);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_mid_epoch_checkpoint_refuses_another_batch_size() {
    let dir = temp_dir("resume-batch");
    let flag = Arc::new(AtomicBool::new(false));
    let mut model = raise_at(3, Some(flag.clone()), None);
    let h = trainer()
        .stop_flag(flag)
        .callback(Checkpointer::new(&dir, 1))
        .fit(&mut model, &data())
        .unwrap();
    let at = h.interrupted.unwrap();
    let ckpt = load_checkpoint::<f32>(at.checkpoint_path(&dir)).unwrap();
    let (t, mut resumed) = resume(trainer(), ckpt).unwrap();
    let err = t.batch_size(32).fit(&mut resumed, &data()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid training configuration: the checkpoint stopped after step 3 of 8 of epoch 1, \
         but this run has 4 steps per epoch: resume with the batch size and data it was trained with"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
