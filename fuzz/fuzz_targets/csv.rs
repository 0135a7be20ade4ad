//! The CSV loader with several option combinations, then the conversions
//! into classification and regression datasets, a class map applied to the
//! same table, a fitted scaler and a batch.
//!
//! Input: `[options, text…]`; the options byte picks the header mode, the
//! delimiter and the label column. Text that is not UTF-8 is read lossily
//! (as a user's file passed through `String::from_utf8_lossy` would be).
//! Every outcome must be `Ok` or a `DataError`; a panic is a crash.
#![no_main]

use backprop_data::{CsvOptions, Dataset, LabelColumn, Scaler, load_csv_str};
use backprop_tensor::DMatrix;
use libfuzzer_sys::fuzz_target;

fn exercise(ds: &mut Dataset) {
    assert!(!ds.is_empty());
    let n = ds.len().min(32);
    let indices: Vec<usize> = (0..n).collect();
    let mut x = DMatrix::<f64>::zeros(0, 0);
    ds.fill_features(&indices, &mut x)
        .expect("in-range indices of a valid dataset");
    assert_eq!(x.shape(), (ds.n_features(), n));
    let mut y = DMatrix::<f64>::zeros(0, 0);
    ds.fill_targets(&indices, &mut y)
        .expect("in-range indices of a valid dataset");
    if let Ok(scaler) = Scaler::fit_standardize(ds) {
        scaler.apply(ds).expect("a scaler fitted on the same data");
    }
    let _ = ds.split(0.25, 3);
}

fuzz_target!(|data: &[u8]| {
    let [options, text @ ..] = data else {
        return;
    };
    let text = String::from_utf8_lossy(text);
    let has_header = match options & 3 {
        0 => None,
        1 => Some(true),
        2 => Some(false),
        _ => None,
    };
    let delimiter = match (options >> 2) & 7 {
        0 => b',',
        1 => b';',
        2 => b'\t',
        3 => b' ',
        4 => b'|',
        5 => b'"',  // rejected
        6 => 0xE9,  // not ASCII: rejected
        _ => b'\n', // rejected
    };
    let label = match options >> 5 {
        0 | 1 => LabelColumn::Last,
        2 => LabelColumn::Number(1),
        3 => LabelColumn::Number(2),
        4 => LabelColumn::Number(usize::MAX),
        5 => LabelColumn::Name("label".into()),
        6 => LabelColumn::Name(String::new()),
        _ => LabelColumn::Number(3),
    };
    let opts = CsvOptions {
        has_header,
        delimiter,
        label,
        ..CsvOptions::default()
    };
    let Ok(table) = load_csv_str(&text, "fuzz.csv", &opts) else {
        return;
    };
    assert!(!table.is_empty());
    assert_eq!(table.features().len(), table.len() * table.n_features());
    if let Some(labels) = table.labels() {
        assert_eq!(labels.len(), table.len());
    }
    assert!(table.label(table.len() - 1).is_some());

    if let Ok((mut ds, map)) = table.clone().into_classification() {
        assert_eq!(ds.n_classes(), map.len());
        exercise(&mut ds);
        // The map fitted on a table accepts that table.
        table
            .clone()
            .into_classification_with(&map)
            .expect("a table's own class map");
    }
    if let Ok(mut ds) = table.into_regression() {
        exercise(&mut ds);
    }
});
