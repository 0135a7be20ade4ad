//! Issue 6's data checks, where the other test files leave gaps: each bad
//! input is a typed `DataError` naming what was expected and what was
//! found, through the public entry points a program uses (files on disk,
//! gzip included). Cases already covered elsewhere (a NaN cell in a string,
//! a short label file in the training pair, `Batcher::new(_, 0, ..)`,
//! `Dataset::split` fractions) are not repeated here.

mod common;

use backprop_data::{
    CsvOptions, DataError, Dataset, LabelColumn, MAX_CLASSES, Mnist, load_csv, one_hot,
};
use backprop_tensor::DMatrix;
use common::{TempDir, gzip, images, labels};

#[test]
fn nan_or_infinity_in_a_csv_file_names_the_file_line_and_column() {
    let dir = TempDir::new("csv-nan");
    let cases = [
        // (text, line, column shown, cell)
        ("a,b,y\n1,+inf,0\n", 2, "column 2 (\"b\")", "+inf"),
        (
            "a,b,y\n1,2,0\n\n-Infinity,2,1\n",
            4,
            "column 1 (\"a\")",
            "-Infinity",
        ),
        // Finite in f64, beyond f32: a feature would become infinite.
        ("1,2,0\n-3.5e38,2,1\n", 2, "column 1", "-3.5e38"),
        // The label column too, even where it is read as f64.
        ("a,b,y\n1,2,1e400\n", 2, "column 3 (\"y\")", "1e400"),
    ];
    for (i, (text, line, column, cell)) in cases.into_iter().enumerate() {
        for gz in [false, true] {
            let name = format!("t{i}.csv{}", if gz { ".gz" } else { "" });
            let bytes = if gz {
                gzip(text.as_bytes())
            } else {
                text.as_bytes().to_vec()
            };
            let path = dir.write(&name, &bytes);
            let e = load_csv(&path, &CsvOptions::default()).unwrap_err();
            assert!(
                matches!(&e, DataError::CsvNonFinite { line: l, found, .. } if *l == line && found == cell),
                "{name}: {e:?}"
            );
            assert_eq!(
                e.to_string(),
                format!(
                    "{}:{line}: {column}: expected a finite number, found {cell:?}",
                    path.display()
                )
            );
        }
    }
    // NaN is how numpy writes a missing value: by default it is refused as
    // one, naming the line and column all the same.
    for gz in [false, true] {
        let text = b"a,b,y\n1,2,0\n3,\"NaN\",1\n";
        let bytes = if gz { gzip(text) } else { text.to_vec() };
        let path = dir.write(if gz { "nan.csv.gz" } else { "nan.csv" }, &bytes);
        let e = load_csv(&path, &CsvOptions::default()).unwrap_err();
        assert!(
            matches!(&e, DataError::CsvMissing { line: 3, found, .. } if found == "NaN"),
            "{e:?}"
        );
        assert!(
            e.to_string().starts_with(&format!(
                "{}:3: column 2 (\"b\"): expected a number, found the missing value \"NaN\"",
                path.display()
            )),
            "{e}"
        );
    }
}

#[test]
fn an_absurd_class_count_is_an_error_not_an_allocation_failure() {
    // A label value passed as the count, or usize::MAX: rejected when the
    // dataset is built, so class_counts, one-hot targets and batches never
    // try to allocate for it.
    for n_classes in [MAX_CLASSES + 1, usize::MAX] {
        let expected = format!("too many classes: expected at most 16777216, found {n_classes}");
        let e = Dataset::from_f32(vec![0.0; 4], 2, vec![0, 1], n_classes).unwrap_err();
        assert!(
            matches!(e, DataError::TooManyClasses { n_classes: n, max: MAX_CLASSES } if n == n_classes),
            "{e:?}"
        );
        assert_eq!(e.to_string(), expected);
        let e = Dataset::from_u8(vec![0; 4], 2, vec![0, 1], n_classes).unwrap_err();
        assert_eq!(e.to_string(), expected);
        let mut y = DMatrix::<f32>::from_element(2, 2, 9.0);
        let e = one_hot(&[0, 1], n_classes, &mut y).unwrap_err();
        assert_eq!(e.to_string(), expected);
        assert_eq!(y, DMatrix::from_element(2, 2, 9.0), "output left untouched");
    }
    // The largest accepted count still works (one sample: a 64 MiB column).
    let ds = Dataset::from_f32(vec![0.0; 2], 2, vec![3], MAX_CLASSES).unwrap();
    assert_eq!(ds.n_classes(), MAX_CLASSES);
    assert_eq!(ds.class_counts()[3], 1);
}

#[test]
fn a_label_outside_the_class_range_is_an_error() {
    // A dataset whose labels exceed its declared class count.
    let e = Dataset::from_f32(vec![0.0; 6], 2, vec![0, 1, 7], 3).unwrap_err();
    assert!(
        matches!(
            e,
            DataError::LabelOutOfRange {
                sample: 2,
                label: 7,
                n_classes: 3
            }
        ),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "sample 2: label 7 out of range: expected a class below 3"
    );
    // One-hot targets built by hand, with the output buffer left alone.
    let mut y = DMatrix::<f32>::from_element(2, 2, 9.0);
    let e = one_hot(&[1, 2], 2, &mut y).unwrap_err();
    assert!(
        matches!(
            e,
            DataError::LabelOutOfRange {
                sample: 1,
                label: 2,
                n_classes: 2
            }
        ),
        "{e:?}"
    );
    // A CSV class label that is an integer but beyond 2^53 (not exact in f64).
    let dir = TempDir::new("csv-label");
    let path = dir.write("big.csv", b"x,label\n1,0\n2,1e20\n");
    let e = load_csv(&path, &CsvOptions::default())
        .unwrap()
        .into_classification()
        .unwrap_err();
    assert!(matches!(e, DataError::CsvLabel { line: 3, .. }), "{e:?}");
    assert!(
        e.to_string()
            .ends_with("expected a non-negative integer class label, found 1e20"),
        "{e}"
    );
}

#[test]
fn an_empty_dataset_is_an_error() {
    let dir = TempDir::new("csv-empty");
    for (name, bytes) in [
        ("blank.csv", b"\n \n\t\n".to_vec()),
        ("bom.csv", "\u{feff}\n".as_bytes().to_vec()),
        ("empty.csv.gz", gzip(b"")),
    ] {
        let path = dir.write(name, &bytes);
        let e = load_csv(&path, &CsvOptions::default()).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("{}: no rows: the file is empty", path.display()),
            "{name}"
        );
    }
    let path = dir.write("header.csv", b"a,b,label\n\n");
    let opts = CsvOptions {
        label: LabelColumn::Name("label".into()),
        ..CsvOptions::default()
    };
    let e = load_csv(&path, &opts).unwrap_err();
    assert!(matches!(e, DataError::Csv { .. }), "{e:?}");
    assert!(
        e.to_string().ends_with("no data rows, only a header"),
        "{e}"
    );
    for e in [
        Dataset::from_u8(vec![], 4, vec![], 10).unwrap_err(),
        Dataset::regression(vec![], 3, vec![], 1).unwrap_err(),
    ] {
        assert!(matches!(e, DataError::EmptyDataset { .. }), "{e:?}");
        assert_eq!(e.to_string(), "empty dataset: no samples given");
    }
}

#[test]
fn image_and_label_counts_must_agree_in_the_test_pair_too() {
    // Training files agree; the (gzipped) test files do not: 3 images, 4 labels.
    let dir = TempDir::new("count-test");
    dir.write("train-images-idx3-ubyte", &images(2, 2, 2));
    dir.write("train-labels-idx1-ubyte", &labels(&[0, 1]));
    dir.write("t10k-images-idx3-ubyte.gz", &gzip(&images(3, 2, 2)));
    let labels_path = dir.write("t10k-labels-idx1-ubyte.gz", &gzip(&labels(&[0, 1, 1, 0])));
    let e = Mnist::load(dir.path()).unwrap_err();
    assert!(
        matches!(
            e,
            DataError::IdxCountMismatch {
                n_images: 3,
                n_labels: 4,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        format!(
            "{}: 3 images, but {}: 4 labels",
            dir.join("t10k-images-idx3-ubyte.gz").display(),
            labels_path.display()
        )
    );
    // An image file where the labels should be: the dimension count is named.
    std::fs::remove_file(&labels_path).unwrap();
    dir.write("t10k-labels-idx1-ubyte", &images(3, 2, 2));
    let e = Mnist::load(dir.path()).unwrap_err();
    assert!(
        matches!(e, DataError::IdxDimensions { found: 3, .. }),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .ends_with("expected 1 (count) dimension(s), found 3"),
        "{e}"
    );
}
