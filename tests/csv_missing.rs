//! The built `examples/csv` binary on missing values (issue 14): an empty
//! cell, `?`, `NA`, `N/A` or `NaN` is an error naming its line and column
//! by default; `--missing drop` skips the rows and says which;
//! `--missing mean` fills with the means of the training rows (not the
//! test rows), keeps them in the model file, and fills new rows with them.

#[path = "support/examples.rs"]
mod examples;

#[path = "support/csv_run.rs"]
mod csv_run;

use backprop::io::load_model;
use backprop::layers::Sequential;
use csv_run::{Dir, fails, holey_table, json, ok, rows};

#[test]
fn a_missing_value_is_an_error_naming_its_line_and_column() {
    let dir = Dir::new("missing-error");
    let f = dir.file("t.csv", &holey_table(&[(5, 2, ""), (9, 1, "NA")]));
    let e = fails(&["--train", &f, "--task", "binary"]);
    assert_eq!(
        e,
        format!(
            "{f}:5: column 2 (\"b\"): expected a number, found the missing value \"\" \
             (--missing drop skips such rows, --missing mean fills in the training mean; CsvOptions::missing)"
        )
    );
    // In the label column too, with the marker as written.
    let g = dir.file("u.csv", &holey_table(&[(3, 3, "?")]));
    let e = fails(&["--train", &g, "--task", "binary", "--missing", "error"]);
    assert!(
        e.starts_with(&format!(
            "{g}:3: column 3 (\"y\"): expected a number, found the missing value \"?\""
        )),
        "{e}"
    );
}

#[test]
fn missing_drop_skips_the_rows_and_says_which() {
    let dir = Dir::new("missing-drop");
    let f = dir.file(
        "t.csv",
        &holey_table(&[(4, 1, ""), (9, 3, "?"), (20, 2, "NaN")]),
    );
    let out = ok(&[
        "--train",
        &f,
        "--task",
        "binary",
        "--missing",
        "drop",
        "--epochs",
        "2",
        "--json",
    ]);
    assert!(
        out.starts_with(&format!(
            "dropped 3 rows with a missing value: {f} lines 4, 9, 20\n"
        )),
        "{out}"
    );
    let j = json(&out);
    assert_eq!(j["dropped_rows"], 3);
    assert_eq!(
        j["train_samples"].as_u64().unwrap() + j["test_samples"].as_u64().unwrap(),
        37
    );
    // A hole in a column that is not read drops nothing.
    let out = ok(&[
        "--train",
        &f,
        "--task",
        "binary",
        "--missing",
        "drop",
        "--epochs",
        "2",
        "--drop",
        "2",
        "--json",
    ]);
    assert_eq!(json(&out)["dropped_rows"], 2);
}

#[test]
fn missing_mean_fills_with_the_training_rows_means_also_when_predicting() {
    let dir = Dir::new("missing-mean");
    let holes = [
        (3, 1, ""),
        (8, 2, "NA"),
        (15, 1, "?"),
        (22, 2, "nan"),
        (30, 1, ""),
        (33, 3, ""),
    ];
    let text = holey_table(&holes);
    let f = dir.file("t.csv", &text);
    let (model, a) = (dir.path("m.safetensors"), dir.path("a.csv"));
    let out = ok(&[
        "--train",
        &f,
        "--task",
        "binary",
        "--missing",
        "mean",
        "--test-split",
        "0.25",
        "--epochs",
        "5",
        "--save",
        &model,
        "--out",
        &a,
        "--json",
    ]);
    let j = json(&out);
    // Line 33's label is missing: that row is dropped, the rest filled.
    assert_eq!(
        (j["dropped_rows"].as_u64(), j["imputed_values"].as_u64()),
        (Some(1), Some(5))
    );
    // The means are those of the training rows: every row read but the
    // test rows (the lines of the --out file) and the dropped one.
    let test_lines: Vec<usize> = rows(&std::fs::read_to_string(&a).unwrap())
        .1
        .iter()
        .map(|r| r[0].parse().unwrap())
        .collect();
    assert_eq!(test_lines.len(), 10);
    let mut sums = [(0.0f64, 0usize); 2];
    let mut all = [(0.0f64, 0usize); 2];
    for (k, line) in text.lines().enumerate().skip(1) {
        let line_no = k + 1;
        if line_no == 33 {
            continue;
        }
        for (c, cell) in line.split(',').take(2).enumerate() {
            // What the loader reads: an f32, unless missing.
            if let Ok(x) = cell.parse::<f32>()
                && !x.is_nan()
            {
                let x = f64::from(x);
                all[c].0 += x;
                all[c].1 += 1;
                if !test_lines.contains(&line_no) {
                    sums[c].0 += x;
                    sums[c].1 += 1;
                }
            }
        }
    }
    let means: Vec<f64> = sums.iter().map(|(s, n)| s / *n as f64).collect();
    let net: Sequential<f32> = load_model(&model).unwrap();
    let kept: Vec<f64> = net.info().metadata["csv.impute_means"]
        .split(',')
        .map(|m| m.parse().unwrap())
        .collect();
    assert_eq!(kept, means);
    assert_ne!(
        kept,
        all.iter().map(|(s, n)| s / *n as f64).collect::<Vec<_>>()
    );
    assert_eq!(net.info().metadata["csv.missing"], "mean");

    // Predicting, a missing value is filled with the kept mean: the same
    // prediction as the row with that mean written in.
    let rows_text = format!("a,b\n,0.5\n{},0.5\n1.0,NA\n1.0,{}\n", means[0], means[1]);
    let p = dir.file("new.csv", &rows_text);
    let r = csv_run::csv(&["--model", &model, "--predict", &p]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(
        r.stderr,
        "filled 2 missing values with the training rows' means\n"
    );
    let (_, predicted) = rows(&r.stdout);
    assert_eq!(predicted[0][1..], predicted[1][1..]);
    assert_eq!(predicted[2][1..], predicted[3][1..]);
    // --missing error overrides what the model was trained with.
    let e = fails(&["--model", &model, "--predict", &p, "--missing", "error"]);
    assert!(
        e.starts_with(&format!(
            "{p}:2: column 1 (\"a\"): expected a number, found the missing value"
        )),
        "{e}"
    );
    // A model trained without means has none to fill in.
    let clean = dir.file("clean.csv", &holey_table(&[]));
    ok(&[
        "--train", &clean, "--task", "binary", "--epochs", "1", "--save", &model,
    ]);
    let e = fails(&["--model", &model, "--predict", &p, "--missing", "mean"]);
    assert!(
        e.contains("was trained without --missing mean, so it has no training means"),
        "{e}"
    );
}
