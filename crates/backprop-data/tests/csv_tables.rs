//! The CSV loader on tables as people have them: text class labels,
//! missing values (refused, dropped, or filled with training means),
//! semicolons and tabs, quoted cells, columns chosen by number (1-based)
//! or name, and files of new rows read with a trained model's schema.

use backprop_data::csv::{
    ColumnRef, CsvOptions, CsvSchema, FeatureColumns, LabelColumn, MeanImputer, MissingValues,
    load_csv_str,
};
use backprop_data::{DataError, Features};
use std::collections::BTreeMap;

const IRIS: &str = "sepal_length,sepal_width,species\n\
                    5.1,3.5,setosa\n\
                    7.0,3.2,versicolor\n\
                    6.3,3.3,virginica\n\
                    4.9,3.0,setosa\n";

fn with(f: impl FnOnce(&mut CsvOptions)) -> CsvOptions {
    let mut o = CsvOptions::default();
    f(&mut o);
    o
}

#[test]
fn text_labels_become_sorted_classes() {
    let t = load_csv_str(IRIS, "iris.csv", &CsvOptions::default()).unwrap();
    assert_eq!(t.labels(), None); // not numbers
    assert_eq!(t.label(1), Some("versicolor"));
    let (ds, map) = t.into_classification().unwrap();
    assert_eq!(map.names(), ["setosa", "versicolor", "virginica"]);
    assert_eq!(map.values(), None);
    assert_eq!(ds.labels(), &[0, 1, 2, 0]);
    assert_eq!(ds.n_classes(), 3);

    // A test file maps through the training classes; an unseen name is an
    // error naming its line and the classes.
    let test = load_csv_str(
        "sepal_length,sepal_width,species\n5.0,3.4,virginica\n5.5,2.5,daisy\n",
        "test.csv",
        &CsvOptions::default(),
    )
    .unwrap();
    let e = test.into_classification_with(&map).unwrap_err();
    assert!(
        matches!(&e, DataError::CsvLabel { line: 3, found, .. } if found == "daisy"),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "test.csv:3: column 3 (\"species\"): expected one of the classes \
         [\"setosa\", \"versicolor\", \"virginica\"], found \"daisy\""
    );
    // Text labels cannot be regression targets: the first one is named.
    let t = load_csv_str(IRIS, "iris.csv", &CsvOptions::default()).unwrap();
    let e = t.into_regression().unwrap_err();
    assert_eq!(
        e.to_string(),
        "iris.csv:2: column 3 (\"species\"): expected a number, found \"setosa\""
    );
}

#[test]
fn a_header_is_detected_past_a_text_label() {
    // Without a header, the first row's text label does not make it one.
    let body: String = IRIS.lines().skip(1).map(|l| format!("{l}\n")).collect();
    let t = load_csv_str(&body, "nohead.csv", &CsvOptions::default()).unwrap();
    assert_eq!((t.len(), t.header()), (4, None));
    assert_eq!(t.label(0), Some("setosa"));
    // Declared, the header decides either way.
    let t = load_csv_str(&body, "nohead.csv", &with(|o| o.has_header = Some(true))).unwrap();
    assert_eq!((t.len(), t.label_name()), (3, Some("setosa")));
    let e = load_csv_str(IRIS, "iris.csv", &with(|o| o.has_header = Some(false))).unwrap_err();
    assert_eq!(
        e.to_string(),
        "iris.csv:1: column 1: expected a number, found \"sepal_length\""
    );
}

#[test]
fn missing_values_error_drop_and_mean() {
    let text = "a,b,y\n1,2,0\n3,,1\nNA,6,0\n7,8,?\n5,4,1\n";
    // error (the default): the first missing value, by line and column.
    let e = load_csv_str(text, "m.csv", &CsvOptions::default()).unwrap_err();
    assert!(
        matches!(&e, DataError::CsvMissing { line: 3, column, found, .. }
            if column.number == 2 && found.is_empty()),
        "{e:?}"
    );
    // drop: the rows with a missing feature or label go, and are listed.
    let t = load_csv_str(text, "m.csv", &with(|o| o.missing = MissingValues::Drop)).unwrap();
    assert_eq!(t.features(), &[1.0, 2.0, 5.0, 4.0]);
    assert_eq!(t.labels(), Some(&[0.0, 1.0][..]));
    assert_eq!(t.dropped_lines(), &[3, 4, 5]);
    assert_eq!((t.line_of(0), t.line_of(1)), (Some(2), Some(6)));
    // mean (Keep): features kept as NaN for the imputer; the row with a
    // missing label is dropped.
    let mut t = load_csv_str(text, "m.csv", &with(|o| o.missing = MissingValues::Keep)).unwrap();
    assert_eq!(t.dropped_lines(), &[5]);
    assert_eq!(t.missing_features(), 2);
    // Not filled in, it cannot become a dataset.
    let e = t.clone().into_classification().unwrap_err();
    assert!(e.to_string().contains("line 3: column 2 (\"b\")"), "{e}");
    let imputer = MeanImputer::fit(&t).unwrap();
    // a: (1 + 3 + 5) / 3; b: (2 + 6 + 4) / 3.
    assert_eq!(imputer.means(), &[3.0, 4.0]);
    assert_eq!(imputer.apply(&mut t).unwrap(), 2);
    assert_eq!(t.features(), &[1.0, 2.0, 3.0, 4.0, 3.0, 6.0, 5.0, 4.0]);
    let (ds, _) = t.into_classification().unwrap();
    assert_eq!(ds.labels(), &[0, 1, 0, 1]);

    // A column with no value has no mean.
    let t = load_csv_str(
        "a,b,y\n1,,0\n2,NA,1\n",
        "e.csv",
        &with(|o| o.missing = MissingValues::Keep),
    )
    .unwrap();
    let e = MeanImputer::fit(&t).unwrap_err();
    assert_eq!(
        e.to_string(),
        "e.csv: column 2 (\"b\"): every value is missing, so there is no mean to fill in"
    );
    // Everything dropped is an error, not an empty table.
    let e = load_csv_str(
        "a,y\n,0\n1,\n",
        "d.csv",
        &with(|o| o.missing = MissingValues::Drop),
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("no data rows left: all 2 had a missing value"),
        "{e}"
    );
}

#[test]
fn the_imputer_fits_on_the_training_split_only() {
    let mut text = String::from("x,y\n");
    for i in 0..20 {
        let x = if i % 5 == 0 {
            "NA".to_string()
        } else {
            i.to_string()
        };
        text += &format!("{x},{}\n", i % 2);
    }
    let t = load_csv_str(&text, "s.csv", &with(|o| o.missing = MissingValues::Keep)).unwrap();
    let (mut train, mut test) = t.split(0.25, 3).unwrap();
    assert_eq!((train.len(), test.len()), (15, 5));
    // The split is Dataset::split's: same seed, same rows.
    let (all, _) = load_csv_str(&text.replace("NA", "-1"), "s.csv", &CsvOptions::default())
        .unwrap()
        .into_classification()
        .unwrap();
    let (_, ds_test) = all.split(0.25, 3).unwrap();
    let Features::F32(xs) = ds_test.features() else {
        panic!("CSV features are f32")
    };
    // Row i of the file (line i + 2) holds i, or -1 where it held NA.
    let value = |line: usize| match line - 2 {
        i if i % 5 == 0 => -1.0,
        i => i as f32,
    };
    let expected: Vec<f32> = (0..5).map(|r| value(test.line_of(r).unwrap())).collect();
    assert_eq!(xs, &expected);

    let imputer = MeanImputer::fit(&train).unwrap();
    let present: Vec<f64> = train
        .features()
        .iter()
        .filter(|x| !x.is_nan())
        .map(|&x| f64::from(x))
        .collect();
    let mean = present.iter().sum::<f64>() / present.len() as f64;
    assert_eq!(imputer.means(), &[mean]);
    imputer.apply(&mut train).unwrap();
    imputer.apply(&mut test).unwrap();
    for (row, &x) in test.features().iter().enumerate() {
        let i = test.line_of(row).unwrap() - 2;
        let expected = if i % 5 == 0 { mean as f32 } else { i as f32 };
        assert_eq!(x, expected, "line {}", i + 2);
    }
}

#[test]
fn semicolons_tabs_and_quoted_cells() {
    let semi = "a;b;label\n\"1,5\";2;yes\n3;4;no\n";
    // "1,5" is one cell, and not a number (a decimal comma is not read).
    let e = load_csv_str(semi, "s.csv", &with(|o| o.delimiter = b';')).unwrap_err();
    assert_eq!(
        e.to_string(),
        "s.csv:2: column 1 (\"a\"): expected a number, found \"1,5\""
    );

    let tabs = "a\tb\tlabel\n1.5\t2\tyes\n3\t4\tno\n";
    let t = load_csv_str(tabs, "t.tsv", &with(|o| o.delimiter = b'\t')).unwrap();
    assert_eq!(t.features(), &[1.5, 2.0, 3.0, 4.0]);
    assert_eq!(t.feature_names().unwrap(), ["a", "b"]);
    // Read with the wrong delimiter, the file has one column, and the
    // message says which delimiter the line seems to use.
    let e = load_csv_str(tabs, "t.tsv", &CsvOptions::default()).unwrap_err();
    assert!(e.to_string().ends_with("found 1 on line 1 (the line holds tab: is it the delimiter? --delimiter tab, CsvOptions::delimiter)"), "{e}");
    let e = load_csv_str("a;b;y\n1;2;0\n", "x.csv", &CsvOptions::default()).unwrap_err();
    assert!(e.to_string().contains("--delimiter ';'"), "{e}");

    // Quoted cells: delimiters, doubled quotes and line breaks inside.
    let text = "name,x,y\n\"Smith, J\",1,0\n\"say \"\"hi\"\"\",2,1\n\"two\nlines\",3,0\n4,5,1\n";
    let t = load_csv_str(text, "q.csv", &with(|o| o.label = LabelColumn::Number(3))).unwrap_err();
    assert!(
        t.to_string()
            .starts_with("q.csv:2: column 1 (\"name\"): expected a number, found \"Smith, J\""),
        "{t}"
    );
    let t = load_csv_str(
        text,
        "q.csv",
        &with(|o| {
            o.label = LabelColumn::Number(1);
            o.features = FeatureColumns::Rest;
        }),
    )
    .unwrap();
    assert_eq!(t.label(0), Some("Smith, J"));
    assert_eq!(t.label(1), Some("say \"hi\""));
    assert_eq!(t.label(2), Some("two\nlines"));
    // The row after a two-line cell is on line 6.
    assert_eq!(t.line_of(3), Some(6));
    // Text after a closing quote is an error, as an unclosed quote is.
    let e = load_csv_str("a,b\n\"1\"2,3\n", "q.csv", &CsvOptions::default()).unwrap_err();
    assert!(matches!(e, DataError::CsvQuote { line: 2, .. }), "{e:?}");
}

#[test]
fn columns_by_number_and_by_name() {
    let text = "id,a,b,c,y\n101,1,2,3,0\n102,4,5,6,1\n";
    let only = with(|o| {
        o.label = LabelColumn::Name("y".into());
        o.features = FeatureColumns::Only(vec![ColumnRef::Name("c".into()), ColumnRef::Number(2)]);
    });
    let t = load_csv_str(text, "c.csv", &only).unwrap();
    assert_eq!(t.features(), &[3.0, 1.0, 6.0, 4.0]);
    assert_eq!(t.feature_names().unwrap(), ["c", "a"]);
    assert_eq!(t.feature_column(1).unwrap().number, 2);

    let drop = with(|o| o.features = FeatureColumns::Drop(vec!["id".parse().unwrap()]));
    let t = load_csv_str(text, "c.csv", &drop).unwrap();
    assert_eq!(t.feature_names().unwrap(), ["a", "b", "c"]);
    // A dropped column is not read: text there is fine.
    let t = load_csv_str(&text.replace("101", "x-101"), "c.csv", &drop).unwrap();
    assert_eq!(t.features()[..3], [1.0, 2.0, 3.0]);

    let e = load_csv_str(
        text,
        "c.csv",
        &with(|o| o.features = FeatureColumns::Drop(vec![ColumnRef::Name("ID".into())])),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "c.csv: dropped column \"ID\" not found: the header has [\"id\", \"a\", \"b\", \"c\", \"y\"]"
    );
    let e = load_csv_str(
        text,
        "c.csv",
        &with(|o| o.features = FeatureColumns::Only(vec![ColumnRef::Number(5)])),
    )
    .unwrap_err();
    assert_eq!(e.to_string(), "c.csv: feature column 5 is the label column");
    let e = load_csv_str(
        "x,x,y\n1,2,0\n",
        "c.csv",
        &with(|o| o.features = FeatureColumns::Only(vec![ColumnRef::Name("x".into())])),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "c.csv: feature column \"x\" is ambiguous: the header has 2 columns named \"x\" \
         (columns 1, 2); name it by number"
    );
    let e = load_csv_str(
        text,
        "c.csv",
        &with(|o| {
            o.features = FeatureColumns::Only(vec![ColumnRef::Number(2), "a".parse().unwrap()])
        }),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "c.csv: feature column \"a\" is listed twice (column 2)"
    );
}

#[test]
fn a_schema_reads_new_rows_like_the_training_file() {
    let train_text = "id,a,b,species\n1,0.5,2,setosa\n2,0.7,1,virginica\n";
    let drop_id = with(|o| o.features = FeatureColumns::Drop(vec![ColumnRef::Number(1)]));
    let train = load_csv_str(train_text, "train.csv", &drop_id).unwrap();
    let mut meta = BTreeMap::new();
    train.schema().write_metadata(&mut meta);
    assert_eq!(meta["csv.columns"], "id,a,b,species");
    assert_eq!(
        (meta["csv.label"].as_str(), meta["csv.features"].as_str()),
        ("4", "2,3")
    );
    let schema = CsvSchema::from_metadata(&meta).unwrap().unwrap();
    assert_eq!(schema, train.schema());
    let o = CsvOptions::default();

    // With the label column, without it, with or without a header.
    for text in [
        "id,a,b,species\n9,0.6,1.5,?\n",
        "id,a,b\n9,0.6,1.5\n",
        "9,0.6,1.5,\n",
        "9,0.6,1.5\n",
    ] {
        let t = schema.parse_str(text, "new.csv", &o).unwrap();
        assert_eq!(t.features(), &[0.6, 1.5], "{text}");
        assert!(!t.has_label());
    }
    // Other names, another count, or another order are errors.
    let e = schema
        .parse_str("id,a,c\n9,0.6,1.5\n", "new.csv", &o)
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "new.csv:1: expected the training file's columns [\"id\", \"a\", \"b\", \"species\"] \
         (or those without the label, column 4 (\"species\")), found [\"id\", \"a\", \"c\"]: column 3 is \"c\", not \"b\""
    );
    let e = schema.parse_str("0.6,1.5\n", "new.csv", &o).unwrap_err();
    assert!(matches!(e, DataError::CsvColumns { line: 1, .. }), "{e:?}");
    assert!(e.to_string().ends_with("found 2 columns"), "{e}");
    let e = schema
        .parse_str("9,0.6,1.5\n9,0.6\n", "new.csv", &o)
        .unwrap_err();
    assert!(
        matches!(
            e,
            DataError::CsvRagged {
                line: 2,
                expected: 3,
                found: 2,
                ..
            }
        ),
        "{e:?}"
    );
    // A missing value in a feature follows the options.
    let e = schema.parse_str("9,,1.5\n", "new.csv", &o).unwrap_err();
    assert!(matches!(e, DataError::CsvMissing { line: 1, .. }), "{e:?}");
    let t = schema
        .parse_str(
            "9,,1.5\n",
            "new.csv",
            &with(|o| o.missing = MissingValues::Keep),
        )
        .unwrap();
    assert!(t.features()[0].is_nan());

    // A label in the middle: without it, the columns after it move left.
    let mid = load_csv_str(
        "a,y,b\n1,0,2\n3,1,4\n",
        "mid.csv",
        &with(|o| o.label = LabelColumn::Number(2)),
    )
    .unwrap()
    .schema();
    for text in ["a,y,b\n5,?,6\n", "a,b\n5,6\n", "5,6\n"] {
        let t = mid.parse_str(text, "new.csv", &o).unwrap();
        assert_eq!(t.features(), &[5.0, 6.0], "{text}");
    }

    // Metadata that does not describe columns is refused, naming the key.
    let mut bad = meta.clone();
    bad.insert("csv.features".into(), "2,9".into());
    let e = CsvSchema::from_metadata(&bad).unwrap_err();
    assert_eq!(
        e.to_string(),
        "model metadata \"csv.features\": expected a column from 1 to 4, found 9"
    );
    assert_eq!(CsvSchema::from_metadata(&BTreeMap::new()).unwrap(), None);
}
