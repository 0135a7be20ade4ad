//! `examples/csv.rs` on its shipped (synthetic) sample tables and on
//! generated files: binary, multiclass and regression, a separate test file,
//! the JSON summary, and typed errors instead of panics.

#[path = "support/examples.rs"]
mod examples;

#[path = "../examples/csv.rs"]
mod csv_example;

use clap::Parser;
use csv_example::{Args, Report, Task, label_column, parse_layers, run_to};
use std::path::{Path, PathBuf};

/// The example's `run`, with what it prints kept in a buffer: the test
/// harness captures `println!`, not writes to `io::stdout()`.
fn run(a: &Args) -> Result<Report, Box<dyn std::error::Error>> {
    run_to(a, &mut Vec::new())
}

fn sample(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/data")
        .join(name)
        .display()
        .to_string()
}

fn args(extra: &[&str]) -> Args {
    let mut argv = vec!["csv", "--quiet"];
    argv.extend_from_slice(extra);
    Args::try_parse_from(argv).expect("valid command line")
}

/// A fresh directory under the system temporary directory.
fn temp_dir(tag: &str) -> PathBuf {
    examples::temp_dir("csv-example", tag)
}

/// Three classes labelled 3, 5 and 9 (not 0..3), as a CSV with the label in
/// the first column: points on three rays, deterministic.
fn three_class_csv(rows: usize, offset: usize) -> String {
    let mut s = String::from("species,length,width\n");
    for i in 0..rows {
        let c = i % 3;
        let t = ((i + offset) as f64 * 0.618_034).fract();
        let angle = std::f64::consts::TAU * c as f64 / 3.0 + 0.3 * (t - 0.5);
        let r = 1.0 + 2.0 * t;
        let label = [3, 5, 9][c];
        s += &format!(
            "{label},{:.4},{:.4}\n",
            10.0 + r * angle.cos(),
            -4.0 + r * angle.sin()
        );
    }
    s
}

#[test]
fn binary_on_the_shipped_moons() {
    let a = args(&[
        "--train",
        &sample("moons.csv"),
        "--test-split",
        "0.2",
        "--label",
        "label",
        "--task",
        "binary",
    ]);
    let r = run(&a).unwrap();
    assert_eq!(r.task, Task::Binary);
    assert_eq!((r.train_samples, r.test_samples), (240, 60));
    assert_eq!(r.epochs, 50);
    let acc = r.test_accuracy.unwrap();
    assert!(acc >= 0.95, "test accuracy {acc}");
    assert_eq!(r.test_rmse, None);
    assert!(r.mean_epoch_seconds > 0.0 && r.samples_per_second > 0.0);

    let json = r.to_json(&a, &[64, 32]);
    for key in [
        "test_accuracy",
        "epochs",
        "batch",
        "mean_epoch_seconds",
        "samples_per_second",
    ] {
        assert!(json.get(key).is_some(), "{key} missing from {json}");
    }
    assert_eq!(json["test_accuracy"], acc);
    assert_eq!(json["batch"], 32);
    assert!(json.get("test_rmse").is_none());
    // One line of valid JSON.
    let line = json.to_string();
    assert!(!line.contains('\n'));
    let back: serde_json::Value = serde_json::from_str(&line).unwrap();
    let (back, json) = (back.as_object().unwrap(), json.as_object().unwrap());
    assert_eq!(
        back.keys().collect::<Vec<_>>(),
        json.keys().collect::<Vec<_>>()
    );
    for (key, value) in json {
        match (value.as_f64(), back[key].as_f64()) {
            // serde_json's default float parser may be one ulp off.
            (Some(a), Some(b)) => assert!((a - b).abs() <= 1e-15 * a.abs(), "{key}: {a} vs {b}"),
            _ => assert_eq!(&back[key], value, "{key}"),
        }
    }
}

#[test]
fn regression_on_the_shipped_houses() {
    let a = args(&[
        "--train",
        &sample("houses.csv"),
        "--label",
        "price",
        "--task",
        "regression",
    ]);
    let r: Report = run(&a).unwrap();
    assert_eq!((r.train_samples, r.test_samples), (320, 80));
    assert_eq!((r.test_accuracy, r.epochs), (None, 50));
    let (rmse, baseline) = (r.test_rmse.unwrap(), r.baseline_rmse.unwrap());
    // The table's noise has sd 12 (thousands); its prices spread about 100.
    assert!(baseline > 80.0, "baseline {baseline}");
    assert!(rmse < 30.0 && rmse < baseline / 3.0, "rmse {rmse}");
    // The reported loss is the MSE in the file's units.
    assert!((r.test_loss.sqrt() - rmse).abs() < 1e-3 * rmse, "{r:?}");
    let json = r.to_json(&a, &[64, 32]);
    assert_eq!(json["test_rmse"], rmse);
    assert!(json.get("test_accuracy").is_none());
}

#[test]
fn multiclass_with_a_separate_test_file() {
    let dir = temp_dir("multiclass");
    let (train, test) = (dir.join("train.csv"), dir.join("test.csv"));
    std::fs::write(&train, three_class_csv(300, 0)).unwrap();
    std::fs::write(&test, three_class_csv(90, 1000)).unwrap();
    let a = args(&[
        "--train",
        train.to_str().unwrap(),
        "--test",
        test.to_str().unwrap(),
        "--label",
        "0",
        "--task",
        "multiclass",
        "--layers",
        "16",
        "--epochs",
        "30",
    ]);
    let r = run(&a).unwrap();
    assert_eq!((r.train_samples, r.test_samples), (300, 90));
    let acc = r.test_accuracy.unwrap();
    assert!(acc > 0.95, "test accuracy {acc}");

    // A test label the training file never had is an error naming the line.
    let mut unseen = three_class_csv(9, 0);
    unseen += "7,10.0,-4.0\n";
    std::fs::write(&test, unseen).unwrap();
    let e = run(&a).unwrap_err().to_string();
    assert!(e.contains("test.csv:11") && e.contains("[3, 5, 9]"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn errors_are_reported_not_panics() {
    let moons = sample("moons.csv");
    let houses = sample("houses.csv");
    let cases: [(&[&str], &str); 8] = [
        (
            &["--train", "no/such.csv", "--task", "binary"],
            "file not found",
        ),
        (
            &["--train", &moons, "--task", "binary", "--label", "colour"],
            "label column \"colour\" not found",
        ),
        (
            &["--train", &houses, "--task", "binary", "--label", "rooms"],
            "--task binary needs exactly 2 distinct labels",
        ),
        (
            &["--train", &moons, "--task", "regression", "--test", &houses],
            "has 4 feature columns",
        ),
        (
            &["--train", &moons, "--task", "binary", "--test-split", "1"],
            "--test-split must be in (0, 1)",
        ),
        (
            &["--train", &moons, "--task", "binary", "--layers", "8,,4"],
            "--layers",
        ),
        (
            &["--train", &moons, "--task", "binary", "--lr", "-0.1"],
            "--lr must be a positive number",
        ),
        (
            &["--train", &moons, "--task", "binary", "--batch", "0"],
            "batch size must be at least 1",
        ),
    ];
    for (argv, expected) in cases {
        let e = run(&args(argv)).unwrap_err().to_string();
        assert!(e.contains(expected), "{argv:?}: {e}");
        assert!(!e.contains('\n'), "one line: {e}");
    }
    // clap rejects these before `run`.
    for argv in [
        &["csv", "--train", "x.csv"][..],
        &["csv", "--train", "x.csv", "--task", "ordinal"],
        &[
            "csv",
            "--train",
            "x.csv",
            "--task",
            "binary",
            "--test",
            "y.csv",
            "--test-split",
            "0.3",
        ],
    ] {
        assert!(Args::try_parse_from(argv).is_err(), "{argv:?}");
    }
}

#[test]
fn label_and_layer_arguments() {
    use backprop::data::LabelColumn;
    assert_eq!(label_column(None), LabelColumn::Last);
    assert_eq!(label_column(Some("2")), LabelColumn::Number(3));
    assert_eq!(
        label_column(Some("price")),
        LabelColumn::Name("price".into())
    );
    assert_eq!(parse_layers("64,32").unwrap(), vec![64, 32]);
    assert_eq!(parse_layers(" 8 ").unwrap(), vec![8]);
    assert!(parse_layers("").unwrap().is_empty());
    assert!(parse_layers("64,0").is_err());
    assert!(parse_layers("a").is_err());
}

#[test]
fn absurd_networks_are_refused_before_anything_is_allocated() {
    use csv_example::{MAX_PARAMETERS, check_size};
    let moons = sample("moons.csv");
    // It grew to 24 GB and was killed; now an error before training.
    let a = args(&[
        "--train",
        &moons,
        "--task",
        "binary",
        "--layers",
        "100000000",
    ]);
    let e = run(&a).unwrap_err().to_string();
    assert_eq!(
        e,
        "--layers 100000000: the network (2 inputs, hidden layers 100000000, 1 output) would have \
         400000001 parameters, more than the 268435456 (2^28) this program trains; use fewer or narrower layers"
    );
    // Widths whose product overflows u64, and the batch's activations.
    let e = check_size(usize::MAX, &[usize::MAX], 1, 32)
        .unwrap_err()
        .to_string();
    assert!(e.contains("would have 2^64 or more parameters"), "{e}");
    assert!(check_size(2, &[8192, 8192], 1, 32).is_ok());
    assert!((2 * 8192 + 8192 * 8193 + 8193) as u64 <= MAX_PARAMETERS);
    let e = check_size(2, &[8192, 8192], 1, 100_000)
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("--batch 100000 with these layers"), "{e}");
}

#[test]
fn header_flag_and_a_typo_in_the_first_row() {
    let dir = temp_dir("header");
    let mut text = String::from("1,abc,0\n");
    for i in 0..20 {
        text += &format!("{},{},{}\n", i, i % 5, i % 2);
    }
    let file = dir.join("typo.csv");
    std::fs::write(&file, &text).unwrap();
    let f = file.to_str().unwrap();
    // auto: the row is data, and its typo is reported (it was a header, and
    // the row was lost).
    let e = run(&args(&["--train", f, "--task", "binary"]))
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with(&format!(
            "{f}:1: column 2: expected a number, found \"abc\" (the first row was read as data"
        )),
        "{e}"
    );
    assert!(e.contains("--header yes"), "{e}");
    // yes: the first row is the header, and the rest trains.
    let r = run(&args(&[
        "--train", f, "--task", "binary", "--header", "yes", "--epochs", "2",
    ]))
    .unwrap();
    assert_eq!(r.train_samples + r.test_samples, 20);
    // no: the typo is an error too.
    let e = run(&args(&["--train", f, "--task", "binary", "--header", "no"]))
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with(&format!("{f}:1: column 2: expected a number")),
        "{e}"
    );
    assert!(
        Args::try_parse_from(["csv", "--train", f, "--task", "binary", "--header", "maybe"])
            .is_err()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_out_of_range_test_value_names_the_test_file_and_line() {
    let dir = temp_dir("range");
    let (train, test) = (dir.join("train.csv"), dir.join("test.csv"));
    let mut text = String::from("a,b,y\n");
    for i in 0..20 {
        text += &format!("{}.{},{},{}\n", 1 + i % 2, i, i % 3, i % 2);
    }
    std::fs::write(&train, &text).unwrap();
    std::fs::write(&test, "a,b,y\n1,2,0\n\n3e38,1,1\n").unwrap();
    let a = args(&[
        "--train",
        train.to_str().unwrap(),
        "--test",
        test.to_str().unwrap(),
        "--task",
        "binary",
        "--epochs",
        "1",
    ]);
    // It was "sample 1, feature 0: expected a finite value, found inf".
    let e = run(&a).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "{}:4: column 1 (\"a\"): the value 3e38 is out of range: scaled with the training file's mean \
             and spread it becomes inf; the test file must be on the training file's scale",
            test.display()
        )
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn numbers_and_counts_read_as_english() {
    use csv_example::{number, plural};
    // An MSE of 1.2e74 printed with 78 digits.
    assert_eq!(number(1.2345678e74), "1.2346e74");
    assert_eq!(number(0.25), "0.2500");
    assert_eq!(number(123456.0), "123456.0000");
    assert_eq!(number(2.5e-7), "2.5000e-7");
    assert_eq!(number(0.0), "0.0000");
    assert_eq!(number(f64::INFINITY), "inf");
    assert_eq!(plural(1, "class", "classes"), "1 class");
    assert_eq!(plural(3, "class", "classes"), "3 classes");

    // What run prints: no "1 test samples".
    let dir = temp_dir("plural");
    let file = dir.join("two.csv");
    std::fs::write(&file, "a,y\n1,0\n2,1\n3,0\n4,1\n5,0\n").unwrap();
    let a = args(&[
        "--train",
        file.to_str().unwrap(),
        "--task",
        "binary",
        "--epochs",
        "1",
        "--layers",
        "",
    ]);
    let mut out = Vec::new();
    run_to(&a, &mut out).unwrap();
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.starts_with(
            "binary: 4 training samples and 1 test sample, 1 feature (a), label \"y\"\n2 classes;"
        ),
        "{out}"
    );
    assert!(out.contains(", 1 epoch, seed 0"), "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}
