//! The built `examples/csv` binary on tables as people have them (issue
//! 14): text class labels kept in the model file and printed by its
//! predictions, `;` and tab delimiters, columns numbered from 1 in flags as
//! in messages, named columns, and `--save` then `--predict` giving the
//! training run's own predictions. (Missing values: tests/csv_missing.rs.)

#[path = "support/examples.rs"]
mod examples;

#[path = "support/csv_run.rs"]
mod csv_run;

use backprop::io::load_model;
use backprop::layers::Sequential;
use csv_run::{
    Dir, SPECIES, fails, flower_class, flower_row, flowers, holey_table, json, ok, rows, sample,
};
use std::collections::HashMap;

const FLOWER_HEADER: &str = "id,sepal_length,sepal_width,petal_length,petal_width";

/// `n` flowers without the species column.
fn unlabelled_flowers(n: usize, offset: usize) -> String {
    let mut s = format!("{FLOWER_HEADER}\n");
    for i in 0..n {
        s += &flower_row(i, offset, false);
    }
    s
}

#[test]
fn text_labels_train_and_the_model_and_its_predictions_name_the_classes() {
    let dir = Dir::new("text-labels");
    let train = dir.file("flowers.csv", &flowers(120, 0));
    let model = dir.path("flowers.safetensors");
    let out = ok(&[
        "--train",
        &train,
        "--label",
        "species",
        "--drop",
        "id",
        "--task",
        "multiclass",
        "--epochs",
        "40",
        "--layers",
        "16",
        "--save",
        &model,
        "--json",
    ]);
    assert!(
        out.contains(
            "3 classes; labels [\"setosa\", \"versicolor\", \"virginica\"] are classes 0..3"
        ),
        "{out}"
    );
    let j = json(&out);
    assert_eq!(j["classes"], serde_json::json!(SPECIES));
    assert!(j["test_accuracy"].as_f64().unwrap() >= 0.9, "{j}");

    // The model file keeps the class names and the columns.
    let net: Sequential<f32> = load_model(&model).unwrap();
    let info = net.info();
    assert_eq!(info.class_names, Some(SPECIES.map(String::from).to_vec()));
    assert_eq!(
        info.metadata["csv.columns"],
        format!("{FLOWER_HEADER},species")
    );
    assert_eq!(info.metadata["csv.label"], "6");
    assert_eq!(info.metadata["csv.features"], "2,3,4,5");
    assert_eq!(info.metadata["csv.task"], "multiclass");

    // New rows without the species: each prediction is a species by name,
    // with its probabilities.
    let new = dir.file("new.csv", &unlabelled_flowers(12, 500));
    let (header, rows) = rows(&ok(&["--model", &model, "--predict", &new]));
    assert_eq!(
        header,
        [
            "line",
            "predicted",
            "p_setosa",
            "p_versicolor",
            "p_virginica"
        ]
    );
    assert_eq!(rows.len(), 12);
    for (k, row) in rows.iter().enumerate() {
        assert_eq!(row[0], (k + 2).to_string());
        assert_eq!(row[1], SPECIES[flower_class(k)], "row {k}: {row:?}");
        let p: Vec<f64> = row[2..].iter().map(|c| c.parse().unwrap()).collect();
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-5, "{row:?}");
        let best = (0..3).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap();
        assert_eq!(SPECIES[best], row[1]);
    }
}

#[test]
fn save_then_predict_gives_the_training_time_predictions() {
    let dir = Dir::new("round-trip");
    let train = dir.file("train.csv", &flowers(120, 0));
    let test_text = flowers(30, 300);
    let test = dir.file("test.csv", &test_text);
    let (model, a, b) = (
        dir.path("m.safetensors"),
        dir.path("a.csv"),
        dir.path("b.csv"),
    );
    let out = ok(&[
        "--train",
        &train,
        "--test",
        &test,
        "--label",
        "species",
        "--drop",
        "id",
        "--task",
        "multiclass",
        "--epochs",
        "20",
        "--layers",
        "8",
        "--save",
        &model,
        "--out",
        &a,
        "--json",
    ]);
    assert!(
        out.contains(&format!("wrote the test set's predictions to {a}")),
        "{out}"
    );
    let accuracy = json(&out)["test_accuracy"].as_f64().unwrap();
    let out = ok(&["--model", &model, "--predict", &test, "--out", &b]);
    assert_eq!(
        out,
        format!("predicted 30 rows of {test} with {model}; wrote {b}\n")
    );
    // The model file alone (its scaler, columns and classes) gives what the
    // trainer's own scaled test set gave, to the last bit.
    let at_training = std::fs::read_to_string(&a).unwrap();
    assert_eq!(at_training, std::fs::read_to_string(&b).unwrap());
    // So does the file without its label column, printed to stdout.
    let unlabelled = dir.file("unlabelled.csv", &unlabelled_flowers(30, 300));
    assert_eq!(
        ok(&["--model", &model, "--predict", &unlabelled]),
        at_training
    );
    // And they are the predictions the reported accuracy counted.
    let (_, predicted) = rows(&at_training);
    let correct = predicted
        .iter()
        .enumerate()
        .filter(|(k, row)| row[1] == SPECIES[flower_class(*k)])
        .count();
    assert_eq!(correct as f64 / 30.0, accuracy);

    // Regression, with a held-out split: the un-scaled values in the file's
    // units, the same from the model file for every test row.
    let houses = sample("houses.csv");
    let out = ok(&[
        "--train",
        &houses,
        "--label",
        "price",
        "--task",
        "regression",
        "--epochs",
        "10",
        "--save",
        &model,
        "--out",
        &a,
        "--json",
    ]);
    let rmse = json(&out)["test_rmse"].as_f64().unwrap();
    ok(&["--model", &model, "--predict", &houses, "--out", &b]);
    let all: HashMap<String, String> = rows(&std::fs::read_to_string(&b).unwrap())
        .1
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    assert_eq!(all.len(), 400);
    let price: Vec<f64> = std::fs::read_to_string(&houses)
        .unwrap()
        .lines()
        .map(|l| l.rsplit(',').next().unwrap().parse().unwrap_or(f64::NAN))
        .collect();
    let (header, test_rows) = rows(&std::fs::read_to_string(&a).unwrap());
    assert_eq!(header, ["line", "predicted"]);
    assert_eq!(test_rows.len(), 80);
    let mut sq = 0.0;
    for row in &test_rows {
        assert_eq!(all[&row[0]], row[1], "line {}", row[0]);
        let line: usize = row[0].parse().unwrap();
        let y: f64 = row[1].parse().unwrap();
        sq += (y - price[line - 1]).powi(2);
    }
    let from_file = (sq / 80.0).sqrt();
    assert!(
        (from_file - rmse).abs() <= 1e-5 * rmse,
        "{from_file} vs {rmse}"
    );
}

#[test]
fn semicolon_and_tab_delimiters() {
    let dir = Dir::new("delimiters");
    let text = holey_table(&[]);
    let comma = dir.file("comma.csv", &text);
    // The semicolon file quotes its header names, as spreadsheets may.
    let semi_text = text
        .replacen("a,b,y", "\"a\",\"b\",\"y\"", 1)
        .replace(',', ";");
    let semi = dir.file("semi.csv", &semi_text);
    let tab = dir.file("tab.tsv", &text.replace(',', "\t"));
    let run = |f: &str, d: &str| {
        json(&ok(&[
            "--train",
            f,
            "--task",
            "binary",
            "--epochs",
            "3",
            "--delimiter",
            d,
            "--json",
        ]))
    };
    let reference = run(&comma, ",");
    for (f, d) in [(&semi, ";"), (&tab, "tab"), (&tab, "\\t")] {
        let j = run(f, d);
        for key in ["test_loss", "test_accuracy", "train_samples"] {
            assert_eq!(j[key], reference[key], "{f} --delimiter {d}: {key}");
        }
    }
    // Read with commas, the semicolon file is one column (or a quoted
    // cell followed by text), and the message says which delimiter the line
    // seems to use.
    let e = fails(&["--train", &semi, "--task", "binary"]);
    assert_eq!(
        e,
        format!(
            "{semi}:1: malformed quoted field (unterminated quote or text after the closing quote) \
             (a quote closes before ';': is it the delimiter? --delimiter ';', CsvOptions::delimiter)"
        )
    );
    let plain = dir.file("plain.csv", &text.replace(',', ";"));
    let e = fails(&["--train", &plain, "--task", "binary"]);
    assert_eq!(
        e,
        format!(
            "{plain}: expected at least 2 columns (features and a label), found 1 on line 1 \
             (the line holds ';': is it the delimiter? --delimiter ';', CsvOptions::delimiter)"
        )
    );
}

#[test]
fn columns_are_numbered_from_1_in_flags_as_in_messages() {
    let dir = Dir::new("numbering");
    let mut text = String::from("a,b,c,y\n");
    for i in 0..30 {
        let b = if i == 2 {
            "oops".to_string()
        } else {
            (i % 4).to_string()
        };
        text += &format!("{},{b},{},{}\n", i % 5, i % 3, i % 2);
    }
    for (tag, body) in [("named", text.clone()), ("plain", text[8..].to_string())] {
        let f = dir.file(&format!("{tag}.csv"), &body);
        let name = if tag == "named" { " (\"b\")" } else { "" };
        let line = if tag == "named" { 4 } else { 3 };
        // The message names column 2 ...
        let e = fails(&["--train", &f, "--task", "binary"]);
        assert_eq!(
            e,
            format!("{f}:{line}: column 2{name}: expected a number, found \"oops\"")
        );
        // ... and column 2 is what --drop 2 leaves out, or --features 1,3 keeps.
        for cols in [["--drop", "2"], ["--features", "1,3"]] {
            let out = ok(&[
                "--train", &f, "--task", "binary", "--epochs", "1", cols[0], cols[1],
            ]);
            let features = if tag == "named" {
                "2 features (a, c), label \"y\""
            } else {
                "2 features, label column 4"
            };
            assert!(out.contains(features), "{cols:?}: {out}");
        }
        // --label 4 is the last column, the default.
        let out = ok(&[
            "--train", &f, "--task", "binary", "--epochs", "1", "--drop", "2", "--label", "4",
        ]);
        assert!(out.contains("2 classes; label values [0, 1]"), "{out}");
    }
    let f = dir.path("named.csv");
    assert_eq!(
        fails(&["--train", &f, "--task", "binary", "--label", "0"]),
        format!("{f}: label column 0 not found: columns are numbered from 1, as in messages")
    );
    assert_eq!(
        fails(&["--train", &f, "--task", "binary", "--label", "5"]),
        format!("{f}: label column 5 not found: the file has 4 columns, numbered 1 to 4")
    );
}

#[test]
fn columns_by_name() {
    let dir = Dir::new("names");
    let f = dir.file("flowers.csv", &flowers(60, 0));
    let base = [
        "--train",
        f.as_str(),
        "--task",
        "multiclass",
        "--epochs",
        "1",
        "--label",
        "species",
    ];
    fn with<'a>(base: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
        [base, extra].concat()
    }
    let out = ok(&with(&base, &["--features", "petal_length,petal_width"]));
    assert!(out.contains("3 classes"), "{out}");
    assert!(
        out.contains("2 features (petal_length, petal_width), label \"species\""),
        "{out}"
    );
    let out = ok(&with(&base, &["--drop", "id"]));
    assert!(
        out.contains("4 features (sepal_length, sepal_width, petal_length, petal_width)"),
        "{out}"
    );
    assert_eq!(
        fails(&with(&base, &["--features", "petal_length,nope"])),
        format!(
            "{f}: feature column \"nope\" not found: the header has [\"id\", \"sepal_length\", \
             \"sepal_width\", \"petal_length\", \"petal_width\", \"species\"]"
        )
    );
    assert_eq!(
        fails(&with(&base, &["--drop", "species"])),
        format!("{f}: dropped column \"species\" is the label column")
    );
    let e = fails(&["--train", &f, "--task", "multiclass", "--label", "kind"]);
    assert!(
        e.starts_with(&format!(
            "{f}: label column \"kind\" not found: the header has"
        )),
        "{e}"
    );
}
