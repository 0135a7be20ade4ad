//! The built `examples/csv` binary on its shipped (synthetic) sample tables
//! and on generated files: binary, multiclass and regression, a separate
//! test file, the JSON summary, the header flag, and typed errors instead of
//! panics. (Text labels, missing values, delimiters, named columns and
//! prediction: tests/csv_tables.rs.)

#[path = "support/examples.rs"]
mod examples;

#[path = "support/csv_run.rs"]
mod csv_run;

// The example's own functions, for what is not worth a process.
#[allow(dead_code)]
#[path = "../examples/csv.rs"]
mod csv_example;

use csv_example::csv_args::{Args, label_column, parse_delimiter, parse_layers};
use csv_example::csv_report::{MAX_PARAMETERS, check_size, number, plural};
use csv_run::{Dir, fails, json, ok, sample, three_class_csv};

#[test]
fn binary_on_the_shipped_moons() {
    let moons = sample("moons.csv");
    let out = ok(&[
        "--train",
        &moons,
        "--test-split",
        "0.2",
        "--label",
        "label",
        "--task",
        "binary",
        "--json",
    ]);
    let j = json(&out);
    assert_eq!(j["task"], "binary");
    assert_eq!(
        (j["train_samples"].as_u64(), j["test_samples"].as_u64()),
        (Some(240), Some(60))
    );
    assert_eq!(j["epochs"], 50);
    let acc = j["test_accuracy"].as_f64().unwrap();
    assert!(acc >= 0.95, "test accuracy {acc}");
    assert!(j.get("test_rmse").is_none());
    for key in ["mean_epoch_seconds", "samples_per_second"] {
        assert!(j[key].as_f64().unwrap() > 0.0, "{key}: {j}");
    }
    assert_eq!(j["batch"], 32);
    assert_eq!(j["classes"], serde_json::json!(["0", "1"]));
    assert_eq!(
        (j["missing"].as_str(), j["dropped_rows"].as_u64()),
        (Some("error"), Some(0))
    );
    // The printed accuracy is the JSON's.
    assert!(out.contains(&format!("test accuracy {acc:.4}")), "{out}");
}

#[test]
fn regression_on_the_shipped_houses() {
    let out = ok(&[
        "--train",
        &sample("houses.csv"),
        "--label",
        "price",
        "--task",
        "regression",
        "--json",
    ]);
    let j = json(&out);
    assert_eq!(
        (j["train_samples"].as_u64(), j["test_samples"].as_u64()),
        (Some(320), Some(80))
    );
    assert!(j.get("test_accuracy").is_none() && j.get("classes").is_none());
    let rmse = j["test_rmse"].as_f64().unwrap();
    let baseline = j["baseline_rmse"].as_f64().unwrap();
    // The table's noise has sd 12 (thousands); its prices spread about 100.
    assert!(baseline > 80.0, "baseline {baseline}");
    assert!(rmse < 30.0 && rmse < baseline / 3.0, "rmse {rmse}");
    // The reported loss is the MSE in the file's units.
    let loss = j["test_loss"].as_f64().unwrap();
    assert!((loss.sqrt() - rmse).abs() < 1e-3 * rmse, "{j}");
}

#[test]
fn multiclass_with_a_separate_test_file() {
    let dir = Dir::new("multiclass");
    let train = dir.file("train.csv", &three_class_csv(300, 0));
    let test = dir.file("test.csv", &three_class_csv(90, 1000));
    let args = [
        "--train",
        &train,
        "--test",
        &test,
        "--label",
        "1", // the first column: columns are numbered from 1
        "--task",
        "multiclass",
        "--layers",
        "16",
        "--epochs",
        "30",
        "--json",
    ];
    let out = ok(&args);
    assert!(
        out.contains("3 classes; label values [3, 5, 9] are classes 0..3"),
        "{out}"
    );
    let j = json(&out);
    assert_eq!(
        (j["train_samples"].as_u64(), j["test_samples"].as_u64()),
        (Some(300), Some(90))
    );
    let acc = j["test_accuracy"].as_f64().unwrap();
    assert!(acc > 0.95, "test accuracy {acc}");

    // A test label the training file never had is an error naming the line.
    dir.file("test.csv", &(three_class_csv(9, 0) + "7,10.0,-4.0\n"));
    let e = fails(&args);
    assert_eq!(
        e,
        format!(
            "{test}:11: column 1 (\"species\"): expected one of the classes [3, 5, 9], found 7"
        )
    );
}

#[test]
fn errors_are_reported_not_panics() {
    let moons = sample("moons.csv");
    let houses = sample("houses.csv");
    let cases: [(&[&str], &str); 9] = [
        (
            &["--train", "no/such.csv", "--task", "binary"],
            "no/such.csv: file not found",
        ),
        (
            &["--train", &moons, "--task", "binary", "--label", "colour"],
            "label column \"colour\" not found: the header has [\"x1\", \"x2\", \"label\"]",
        ),
        (
            &["--train", &houses, "--task", "binary", "--label", "rooms"],
            "--task binary needs exactly 2 distinct labels in the training file, found 7",
        ),
        (
            &["--train", &moons, "--task", "regression", "--test", &houses],
            "has 4 feature columns",
        ),
        (
            &["--train", &moons, "--task", "binary", "--test-split", "1"],
            "--test-split must be in (0, 1), found 1",
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
        (
            &["--train", &moons, "--task", "binary", "--delimiter", "ab"],
            "--delimiter: expected one ASCII character",
        ),
    ];
    for (argv, expected) in cases {
        let e = fails(argv);
        assert!(e.contains(expected), "{argv:?}: {e}");
    }
    // The command line itself is refused with status 2, before any work.
    for argv in [
        &["--train", "x.csv"][..],
        &["--train", "x.csv", "--task", "ordinal"],
        &[
            "--train",
            "x.csv",
            "--task",
            "binary",
            "--test",
            "y.csv",
            "--test-split",
            "0.3",
        ],
        &["--predict", "rows.csv"],
        &[
            "--model",
            "m.safetensors",
            "--predict",
            "rows.csv",
            "--train",
            "x.csv",
        ],
        &[
            "--train",
            "x.csv",
            "--task",
            "binary",
            "--features",
            "a",
            "--drop",
            "b",
        ],
        &["--train", "x.csv", "--task", "binary", "--missing", "zero"],
    ] {
        let r = csv_run::csv(argv);
        assert_eq!(r.code, Some(2), "{argv:?}: {}", r.stderr);
        assert!(
            r.stderr.starts_with("error: ") && r.stderr.trim_end().lines().count() == 1,
            "{}",
            r.stderr
        );
    }
}

#[test]
fn argument_parsing() {
    use backprop::data::csv::LabelColumn;
    assert_eq!(label_column(None).unwrap(), LabelColumn::Last);
    assert_eq!(label_column(Some("2")).unwrap(), LabelColumn::Number(2));
    assert_eq!(
        label_column(Some("price")).unwrap(),
        LabelColumn::Name("price".into())
    );
    assert_eq!(parse_layers("64,32").unwrap(), vec![64, 32]);
    assert_eq!(parse_layers(" 8 ").unwrap(), vec![8]);
    assert!(parse_layers("").unwrap().is_empty());
    assert!(parse_layers("64,0").is_err());
    assert!(parse_layers("a").is_err());
    for (s, d) in [
        (",", b','),
        (";", b';'),
        ("tab", b'\t'),
        ("\\t", b'\t'),
        ("\t", b'\t'),
        ("|", b'|'),
    ] {
        assert_eq!(parse_delimiter(s).unwrap(), d, "{s:?}");
    }
    for bad in ["", "\"", "ab", "é"] {
        assert!(parse_delimiter(bad).is_err(), "{bad:?}");
    }
    use clap::Parser;
    let a = Args::try_parse_from(["csv", "--model", "m", "--predict", "p.csv"]).unwrap();
    assert_eq!((a.task, a.train), (None, None));
}

#[test]
fn absurd_networks_are_refused_before_anything_is_allocated() {
    let moons = sample("moons.csv");
    // It grew to 24 GB and was killed; now an error before training.
    let e = fails(&[
        "--train",
        &moons,
        "--task",
        "binary",
        "--layers",
        "100000000",
    ]);
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

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn header_yes_no_and_auto() {
    let dir = Dir::new("header");
    let mut text = String::from("1,abc,0\n");
    for i in 0..20 {
        text += &format!("{},{},{}\n", i, i % 5, i % 2);
    }
    let f = dir.file("typo.csv", &text);
    let train = |extra: &[&str]| {
        let mut a = vec![
            "--train",
            f.as_str(),
            "--task",
            "binary",
            "--epochs",
            "2",
            "--json",
        ];
        a.extend_from_slice(extra);
        a.into_iter().map(str::to_string).collect::<Vec<_>>()
    };
    // auto: the row is data, and its typo is reported (it was taken for a
    // header, and the row lost).
    let e = fails(&strs(&train(&[])));
    assert!(
        e.starts_with(&format!(
            "{f}:1: column 2: expected a number, found \"abc\" (the first row was read as data"
        )),
        "{e}"
    );
    assert!(e.contains("--header yes"), "{e}");
    // yes: the first row is the header, and the rest trains.
    let j = json(&ok(&strs(&train(&["--header", "yes"]))));
    assert_eq!(
        j["train_samples"].as_u64().unwrap() + j["test_samples"].as_u64().unwrap(),
        20
    );
    // no: the typo is a plain error.
    let e = fails(&strs(&train(&["--header", "no"])));
    assert!(
        e.starts_with(&format!(
            "{f}:1: column 2: expected a number, found \"abc\""
        )),
        "{e}"
    );
    assert!(!e.contains("read as data"), "{e}");

    // A file with a header: auto finds it; no reads it as data.
    let g = dir.file("named.csv", &format!("a,b,y\n{}", &text[8..]));
    for (header, rows) in [("auto", Some(20)), ("yes", Some(20)), ("no", None)] {
        let a = [
            "--train",
            g.as_str(),
            "--task",
            "binary",
            "--epochs",
            "2",
            "--json",
            "--header",
            header,
        ];
        match rows {
            Some(n) => {
                let j = json(&ok(&a));
                let total =
                    j["train_samples"].as_u64().unwrap() + j["test_samples"].as_u64().unwrap();
                assert_eq!(total, n, "--header {header}");
            }
            None => assert_eq!(
                fails(&a),
                format!("{g}:1: column 1: expected a number, found \"a\"")
            ),
        }
    }
    // Without a header, auto reads every row.
    let h = dir.file("plain.csv", &text[8..]);
    let j = json(&ok(&[
        "--train", &h, "--task", "binary", "--epochs", "2", "--json",
    ]));
    assert_eq!(
        j["train_samples"].as_u64().unwrap() + j["test_samples"].as_u64().unwrap(),
        20
    );
}

#[test]
fn an_out_of_range_test_value_names_the_test_file_and_line() {
    let dir = Dir::new("range");
    let mut text = String::from("a,b,y\n");
    for i in 0..20 {
        text += &format!("{}.{},{},{}\n", 1 + i % 2, i, i % 3, i % 2);
    }
    let train = dir.file("train.csv", &text);
    let test = dir.file("test.csv", "a,b,y\n1,2,0\n\n3e38,1,1\n");
    // It was "sample 1, feature 0: expected a finite value, found inf".
    let e = fails(&[
        "--train", &train, "--test", &test, "--task", "binary", "--epochs", "1",
    ]);
    assert_eq!(
        e,
        format!(
            "{test}:4: column 1 (\"a\"): the value 3e38 is out of range: scaled with the training file's mean \
             and spread it becomes inf; the test file must be on the training file's scale"
        )
    );
}

#[test]
fn numbers_and_counts_read_as_english() {
    // An MSE of 1.2e74 printed with 78 digits.
    assert_eq!(number(1.2345678e74), "1.2346e74");
    assert_eq!(number(0.25), "0.2500");
    assert_eq!(number(123456.0), "123456.0000");
    assert_eq!(number(2.5e-7), "2.5000e-7");
    assert_eq!(number(0.0), "0.0000");
    assert_eq!(number(f64::INFINITY), "inf");
    assert_eq!(plural(1, "class", "classes"), "1 class");
    assert_eq!(plural(3, "class", "classes"), "3 classes");

    // What the program prints: no "1 test samples".
    let dir = Dir::new("plural");
    let file = dir.file("two.csv", "a,y\n1,0\n2,1\n3,0\n4,1\n5,0\n");
    let out = ok(&[
        "--train", &file, "--task", "binary", "--epochs", "1", "--layers", "",
    ]);
    assert!(
        out.starts_with(
            "binary: 4 training samples and 1 test sample, 1 feature (a), label \"y\"\n2 classes;"
        ),
        "{out}"
    );
    assert!(out.contains(", 1 epoch, seed 0"), "{out}");
}
