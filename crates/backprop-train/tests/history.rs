//! The history of a run written as CSV, JSON and PNG, and read back.

mod common;

use backprop_layers::Sequential;
use backprop_losses::{BinaryCrossEntropyWithLogits, SoftmaxCrossEntropy};
use backprop_optim::{Adam, Sgd};
use backprop_tensor::threads::{self, Tuner};
use backprop_train::{EpochRecord, History, ProgressMode, TrainError, Trainer, Validation};
use common::{blobs, overflowing_gradient_model, temp_dir};
use std::path::Path;

/// A 2-16-3 classifier trained on three blobs, with the trainer as
/// `configure` leaves it.
fn blobs_history(configure: impl FnOnce(Trainer<f32>) -> Trainer<f32>) -> History {
    let data = blobs(200, 3, 3.0, 9);
    let mut model = Sequential::<f32>::builder(2)
        .dense(16)
        .relu()
        .dense(3)
        .build()
        .unwrap();
    configure(Trainer::new(SoftmaxCrossEntropy, Adam::new(), 1e-2))
        .progress(ProgressMode::Silent)
        .fit(&mut model, &data)
        .unwrap()
}

/// Six epochs on three blobs with a 25 % validation split.
fn history() -> History {
    blobs_history(|t| {
        t.epochs(6)
            .batch_size(16)
            .validation(Validation::Split(0.25))
    })
}

fn optional(cell: &str) -> Option<f64> {
    (!cell.is_empty()).then(|| cell.parse().expect("a number"))
}

/// Parses the CSV written by `History::save_csv`.
fn parse_csv(text: &str) -> Vec<EpochRecord> {
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some(
            "epoch,train_loss,train_accuracy,val_loss,val_accuracy,learning_rate,seconds,samples_per_second,skipped_batches,mean_threads"
        )
    );
    lines
        .map(|line| {
            let c: Vec<&str> = line.split(',').collect();
            assert_eq!(c.len(), 10, "{line}");
            EpochRecord {
                epoch: c[0].parse().unwrap(),
                train_loss: c[1].parse().unwrap(),
                train_accuracy: optional(c[2]),
                val_loss: optional(c[3]),
                val_accuracy: optional(c[4]),
                learning_rate: c[5].parse().unwrap(),
                seconds: c[6].parse().unwrap(),
                samples_per_second: c[7].parse().unwrap(),
                skipped_batches: c[8].parse().unwrap(),
                mean_threads: optional(c[9]),
            }
        })
        .collect()
}

/// Relative difference, for values that went through a decimal text form.
fn close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-15 * a.abs().max(b.abs())
}

fn same_record(a: &EpochRecord, b: &EpochRecord) -> bool {
    let opt = |x: Option<f64>, y: Option<f64>| match (x, y) {
        (Some(x), Some(y)) => close(x, y),
        (None, None) => true,
        _ => false,
    };
    a.epoch == b.epoch
        && close(a.train_loss, b.train_loss)
        && opt(a.train_accuracy, b.train_accuracy)
        && opt(a.val_loss, b.val_loss)
        && opt(a.val_accuracy, b.val_accuracy)
        && close(a.learning_rate, b.learning_rate)
        && close(a.seconds, b.seconds)
        && close(a.samples_per_second, b.samples_per_second)
        && a.skipped_batches == b.skipped_batches
        && opt(a.mean_threads, b.mean_threads)
}

#[test]
fn csv_and_json_parse_back() {
    let h = history();
    assert_eq!(h.epochs.len(), 6);
    assert!(
        h.epochs
            .iter()
            .all(|r| r.val_loss.is_some() && r.val_accuracy.is_some())
    );
    let dir = temp_dir("csv-json");
    let (csv, json) = (dir.join("history.csv"), dir.join("history.json"));
    h.save_csv(&csv).unwrap();
    h.save_json(&json).unwrap();

    // CSV: Rust prints the shortest text that parses back to the same f64.
    let records = parse_csv(&std::fs::read_to_string(&csv).unwrap());
    assert_eq!(records, h.epochs);

    // JSON: as a History, and field by field as plain JSON.
    let text = std::fs::read_to_string(&json).unwrap();
    let back: History = serde_json::from_str(&text).unwrap();
    assert_eq!(back.epochs.len(), 6);
    for (a, b) in back.epochs.iter().zip(&h.epochs) {
        assert!(same_record(a, b), "{a:?} vs {b:?}");
    }
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let epochs = value["epochs"].as_array().unwrap();
    assert_eq!(epochs.len(), 6);
    assert_eq!(epochs[5]["epoch"], 6);
    assert!(close(
        epochs[0]["train_loss"].as_f64().unwrap(),
        h.epochs[0].train_loss
    ));

    // Written atomically: nothing but the two files is left behind.
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["history.csv", "history.json"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Each epoch records the mean thread count of its steps: the configured
/// count without a tuner, between one and it with one (whose probes run
/// alone); a history written before the field existed reads back `None`.
#[test]
fn epochs_record_the_threads_their_steps_ran_on() {
    let all = threads::num_threads() as f64;
    let fit =
        |tuner: Option<Tuner>| blobs_history(|t| t.epochs(3).batch_size(4).thread_tuner(tuner));
    let fixed = fit(None);
    assert!(
        fixed.epochs.iter().all(|r| r.mean_threads == Some(all)),
        "{:?}",
        fixed.epochs
    );
    // 50 steps an epoch, a probe (two steps on the other count) after
    // every 8 to 32.
    let tuned = fit(Some(Tuner::probing_every(8)));
    let means: Vec<f64> = tuned
        .epochs
        .iter()
        .map(|r| r.mean_threads.unwrap())
        .collect();
    assert!(means.iter().all(|m| (1.0..=all).contains(m)), "{means:?}");
    if all >= 2.0 {
        assert!(means.iter().any(|&m| m < all), "no step alone: {means:?}");
    }

    let mut old: serde_json::Value = serde_json::from_str(&fixed.to_json()).unwrap();
    for e in old["epochs"].as_array_mut().unwrap() {
        e.as_object_mut().unwrap().remove("mean_threads").unwrap();
    }
    let back: History = serde_json::from_value(old).unwrap();
    assert_eq!(back.epochs.len(), 3);
    assert!(back.epochs.iter().all(|r| r.mean_threads.is_none()));

    // The run's figure, over epochs 2..N as `mean_epoch_seconds`.
    assert_eq!(fixed.mean_threads(), Some(all));
    assert_eq!(back.mean_threads(), None);
    let mut made = fixed.clone();
    for (r, m) in made.epochs.iter_mut().zip([2.0, 1.0, 1.5]) {
        r.mean_threads = Some(m);
    }
    assert_eq!(made.mean_threads(), Some(1.25));
    made.epochs.truncate(1);
    assert_eq!(made.mean_threads(), Some(2.0));
}

/// The mean epoch time leaves out epoch 1 (warming up) when there are
/// more, as the peers report it; no epochs, no time.
#[test]
fn mean_epoch_seconds_is_over_epochs_two_to_n() {
    let mut h = history();
    for (r, s) in h.epochs.iter_mut().zip([9.0, 1.0, 2.0, 3.0, 4.0, 5.0]) {
        r.seconds = s;
    }
    assert_eq!(h.mean_epoch_seconds(), 3.0);
    h.epochs.truncate(1);
    assert_eq!(h.mean_epoch_seconds(), 9.0);
    assert_eq!(History::default().mean_epoch_seconds(), 0.0);
}

/// A history with epochs where every batch was skipped (a NaN training
/// loss) and no accuracy (regression-like `None`s) still round-trips.
#[test]
fn non_finite_and_missing_values_round_trip() {
    let (mut model, data) = overflowing_gradient_model();
    let h = Trainer::new(BinaryCrossEntropyWithLogits, Sgd::new(), 1e-3)
        .epochs(2)
        .batch_size(4)
        .skip_non_finite(true)
        .progress(ProgressMode::Silent)
        .fit(&mut model, &data)
        .unwrap();
    assert!(
        h.epochs
            .iter()
            .all(|r| r.train_loss.is_nan() && r.skipped_batches == 2)
    );

    let records = parse_csv(&h.to_csv());
    assert_eq!(records.len(), 2);
    for (a, b) in records.iter().zip(&h.epochs) {
        assert!(a.train_loss.is_nan());
        assert_eq!(a.skipped_batches, b.skipped_batches);
        assert_eq!(a.val_loss, None);
    }
    let back: History = serde_json::from_str(&h.to_json()).unwrap();
    assert_eq!(back.epochs.len(), 2);
    for (a, b) in back.epochs.iter().zip(&h.epochs) {
        assert!(a.train_loss.is_nan(), "{a:?}");
        assert_eq!(a.skipped_batches, 2);
        assert_eq!(a.train_accuracy, b.train_accuracy);
    }
}

fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    assert!(
        bytes.ends_with(&[0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]),
        "IEND"
    );
    (be(&bytes[16..20]), be(&bytes[20..24]))
}

#[test]
fn plot_png_writes_a_png() {
    let h = history();
    let dir = temp_dir("png");
    let path = dir.join("curve.png");
    h.plot_png(&path, "three blobs").unwrap();
    assert_eq!(png_size(&path), (1000, 420));
    // An empty history still draws (empty) axes rather than failing.
    let empty = dir.join("empty.png");
    History::default().plot_png(&empty, "empty").unwrap();
    assert_eq!(png_size(&empty), (1000, 420));
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["curve.png", "empty.png"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn writing_into_a_missing_directory_is_an_io_error() {
    let h = history();
    let root = temp_dir("missing");
    let missing = root.join("no").join("such").join("dir");
    let os_message = std::fs::metadata(&missing).unwrap_err().to_string();
    for result in [
        h.save_csv(missing.join("h.csv")),
        h.save_json(missing.join("h.json")),
        h.plot_png(missing.join("h.png"), "x"),
    ] {
        match result {
            Err(TrainError::Io { path, message }) => {
                assert!(path.starts_with(&missing), "{}", path.display());
                // The OS's words, the same for every writer (not a drawing
                // backend's debug text).
                assert_eq!(message, os_message, "{}", path.display());
            }
            other => panic!("expected an Io error, got {other:?}"),
        }
    }
    std::fs::remove_dir_all(&root).unwrap();
}
