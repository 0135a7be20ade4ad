//! The CSV loader: header detection, label columns, error messages, and
//! conversion into classification and regression datasets.

mod common;

use backprop_data::csv::{ClassMap, CsvOptions, LabelColumn, load_csv, load_csv_str};
use backprop_data::{DataError, Features};
use common::{TempDir, gzip};

fn opts(label: LabelColumn) -> CsvOptions {
    CsvOptions {
        label,
        ..CsvOptions::default()
    }
}

#[test]
fn header_is_detected_when_the_first_row_is_not_numeric() {
    let t = load_csv_str("a,b,y\n1,2,0\n3,4,1\n", "h.csv", &CsvOptions::default()).unwrap();
    assert_eq!(t.len(), 2);
    assert_eq!(t.feature_names().unwrap(), ["a", "b"]);
    assert_eq!(t.label_name(), Some("y"));
    assert_eq!(t.features(), &[1.0, 2.0, 3.0, 4.0]);
    assert_eq!(t.labels(), Some(&[0.0, 1.0][..]));
    assert_eq!((t.line_of(0), t.line_of(1)), (Some(2), Some(3)));

    let t = load_csv_str("1,2,0\n3,4,1\n", "n.csv", &CsvOptions::default()).unwrap();
    assert_eq!(t.len(), 2);
    assert_eq!(t.feature_names(), None);
    assert_eq!(t.label_name(), None);
    assert_eq!(t.line_of(0), Some(1));

    // Forcing: a numeric first row taken as a header, and no header at all.
    let forced = CsvOptions {
        has_header: Some(true),
        ..CsvOptions::default()
    };
    let t = load_csv_str("10,20,30\n1,2,0\n", "f.csv", &forced).unwrap();
    assert_eq!((t.len(), t.label_name()), (1, Some("30")));
    let none = CsvOptions {
        has_header: Some(false),
        ..CsvOptions::default()
    };
    let e = load_csv_str("a,b,y\n1,2,0\n", "f.csv", &none).unwrap_err();
    assert_eq!(
        e.to_string(),
        "f.csv:1: column 1: expected a number, found \"a\""
    );
}

#[test]
fn label_by_last_index_and_name() {
    let text = "x,label,z\n1,0,2\n3,1,4\n";
    let last = load_csv_str(text, "l.csv", &opts(LabelColumn::Last)).unwrap();
    assert_eq!(last.labels(), Some(&[2.0, 4.0][..]));
    assert_eq!(last.features(), &[1.0, 0.0, 3.0, 1.0]);
    assert_eq!(last.label_column().map(|c| c.number), Some(3)); // 1-based

    // Column numbers are 1-based, as in messages: 1 is the first column.
    let idx = load_csv_str(text, "l.csv", &opts(LabelColumn::Number(1))).unwrap();
    assert_eq!(idx.labels(), Some(&[1.0, 3.0][..]));
    assert_eq!(idx.features(), &[0.0, 2.0, 1.0, 4.0]);
    assert_eq!(idx.feature_names().unwrap(), ["label", "z"]);

    let name = load_csv_str(text, "l.csv", &opts(LabelColumn::Name("label".into()))).unwrap();
    assert_eq!(name.labels(), Some(&[0.0, 1.0][..]));
    assert_eq!(name.features(), &[1.0, 2.0, 3.0, 4.0]);
    assert_eq!(name.feature_names().unwrap(), ["x", "z"]);
    assert_eq!(name.label_column().map(|c| c.number), Some(2));
}

#[test]
fn unknown_label_columns() {
    let text = "x,label,z\n1,0,2\n";
    let e = load_csv_str(text, "u.csv", &opts(LabelColumn::Name("class".into()))).unwrap_err();
    assert!(matches!(e, DataError::CsvLabelColumn { .. }), "{e}");
    assert_eq!(
        e.to_string(),
        "u.csv: label column \"class\" not found: the header has [\"x\", \"label\", \"z\"]"
    );
    let e = load_csv_str(text, "u.csv", &opts(LabelColumn::Number(4))).unwrap_err();
    assert_eq!(
        e.to_string(),
        "u.csv: label column 4 not found: the file has 3 columns, numbered 1 to 3"
    );
    let e = load_csv_str(text, "u.csv", &opts(LabelColumn::Number(0))).unwrap_err();
    assert!(
        e.to_string()
            .ends_with("label column 0 not found: columns are numbered from 1, as in messages"),
        "{e}"
    );
    let e = load_csv_str("1,0,2\n", "u.csv", &opts(LabelColumn::Name("label".into()))).unwrap_err();
    assert!(e.to_string().contains("the file has no header row"), "{e}");
}

#[test]
fn bad_value_names_file_line_and_column() {
    let mut text = String::from("id,age,height,label\n");
    for i in 0..15 {
        text.push_str(&format!("{i},{},{},0\n", 20 + i, 1.5));
    }
    text.push_str("15,abc,1.7,1\n"); // line 17
    let e = load_csv_str(&text, "data.csv", &CsvOptions::default()).unwrap_err();
    assert!(matches!(&e, DataError::CsvValue { line: 17, .. }), "{e}");
    assert_eq!(
        e.to_string(),
        "data.csv:17: column 2 (\"age\"): expected a number, found \"abc\""
    );
    // Without a header the column has no name; an empty cell is a missing
    // value, an error by default.
    let e = load_csv_str("1,2,3\n4,,6\n", "data.csv", &CsvOptions::default()).unwrap_err();
    assert!(matches!(&e, DataError::CsvMissing { line: 2, .. }), "{e}");
    assert_eq!(
        e.to_string(),
        "data.csv:2: column 2: expected a number, found the missing value \"\" \
         (--missing drop skips such rows, --missing mean fills in the training mean; CsvOptions::missing)"
    );
}

#[test]
fn ragged_rows() {
    let e = load_csv_str("a,b,y\n1,2,0\n\n3,4\n", "r.csv", &CsvOptions::default()).unwrap_err();
    assert!(
        matches!(
            e,
            DataError::CsvRagged {
                line: 4,
                expected: 3,
                found: 2,
                first_line: 1,
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(
        e.to_string(),
        "r.csv:4: expected 3 columns (as on line 1), found 2"
    );
    let e = load_csv_str("1,2,0\n3,4,5,6\n", "r.csv", &CsvOptions::default()).unwrap_err();
    assert!(
        matches!(
            e,
            DataError::CsvRagged {
                line: 2,
                found: 4,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn nan_and_infinities_are_rejected() {
    for (cell, col) in [("inf", 1), ("-infinity", 1), ("1e39", 1), ("infinity", 3)] {
        let text = if col == 1 {
            format!("a,b,y\n1,2,0\n{cell},2,1\n")
        } else {
            format!("a,b,y\n1,2,{cell}\n")
        };
        let e = load_csv_str(&text, "n.csv", &CsvOptions::default()).unwrap_err();
        assert!(matches!(e, DataError::CsvNonFinite { .. }), "{cell}: {e}");
        assert!(e.to_string().contains(&format!("column {col}")), "{e}");
        assert!(
            e.to_string()
                .contains(&format!("expected a finite number, found \"{cell}\"")),
            "{e}"
        );
    }
}

#[test]
fn nan_is_a_missing_value_refused_by_default() {
    // numpy writes a missing value as nan; it is refused as one, in a
    // feature or in the label, naming the line and the column.
    for (cell, col, name) in [("NaN", 1, "a"), ("nan", 3, "y")] {
        let text = if col == 1 {
            format!("a,b,y\n1,2,0\n{cell},2,1\n")
        } else {
            format!("a,b,y\n1,2,{cell}\n")
        };
        let e = load_csv_str(&text, "n.csv", &CsvOptions::default()).unwrap_err();
        assert!(matches!(e, DataError::CsvMissing { .. }), "{cell}: {e}");
        assert!(
            e.to_string().starts_with(&format!(
                "n.csv:{}: column {col} (\"{name}\"): expected a number, found the missing value \"{cell}\"",
                if col == 1 { 3 } else { 2 }
            )),
            "{e}"
        );
    }
}

#[test]
fn tolerant_of_whitespace_crlf_bom_quotes_and_blank_lines() {
    let text = "\u{feff}\"a\" ; \"b\" ;y\r\n\r\n 1 ; \"2.5\" ; 0 \r\n3;4;1\r\n\n";
    let o = CsvOptions {
        delimiter: b';',
        ..CsvOptions::default()
    };
    let t = load_csv_str(text, "w.csv", &o).unwrap();
    assert_eq!(t.feature_names().unwrap(), ["a", "b"]);
    assert_eq!(t.features(), &[1.0, 2.5, 3.0, 4.0]);
    assert_eq!(t.line_of(1), Some(4));
    let e = load_csv_str("a,b\n\"1,2\n", "q.csv", &CsvOptions::default()).unwrap_err();
    assert!(matches!(e, DataError::CsvQuote { line: 2, .. }), "{e}");
}

#[test]
fn structural_errors() {
    let d = CsvOptions::default();
    assert!(matches!(
        load_csv_str("", "e.csv", &d),
        Err(DataError::Csv { .. })
    ));
    let e = load_csv_str("a,b,y\n", "e.csv", &d).unwrap_err();
    assert_eq!(e.to_string(), "e.csv: no data rows, only a header");
    let e = load_csv_str("1\n2\n", "e.csv", &d).unwrap_err();
    assert!(e.to_string().contains("expected at least 2 columns"), "{e}");
    let bad = CsvOptions {
        delimiter: b'"',
        ..CsvOptions::default()
    };
    assert!(matches!(
        load_csv_str("1,2\n", "e.csv", &bad),
        Err(DataError::Csv { .. })
    ));
}

#[test]
fn classification_maps_labels_and_reuses_the_map() {
    let train = load_csv_str(
        "x,y\n0.5,3\n1.5,7\n2.5,3\n3.5,1\n",
        "train.csv",
        &CsvOptions::default(),
    )
    .unwrap();
    let (ds, map) = train.into_classification().unwrap();
    assert_eq!(map.values(), Some(&[1, 3, 7][..]));
    assert_eq!(ds.labels(), &[1, 2, 1, 0]);
    assert_eq!((ds.n_classes(), ds.n_features(), ds.len()), (3, 1, 4));
    assert!(matches!(ds.features(), Features::F32(v) if v == &[0.5, 1.5, 2.5, 3.5]));

    // A test file that lacks class 3 still maps 7 to class 2.
    let test = load_csv_str("x,y\n9,7\n8,1\n", "test.csv", &CsvOptions::default()).unwrap();
    let ds = test.into_classification_with(&map).unwrap();
    assert_eq!(ds.labels(), &[2, 0]);
    assert_eq!(ds.n_classes(), 3);

    let unknown = load_csv_str("x,y\n9,7\n8,4\n", "test.csv", &CsvOptions::default()).unwrap();
    let e = unknown.into_classification_with(&map).unwrap_err();
    assert_eq!(
        e.to_string(),
        "test.csv:3: column 2 (\"y\"): expected one of the classes [1, 3, 7], found 4"
    );

    for bad in ["-1", "2.5"] {
        let t = load_csv_str(
            &format!("x,y\n1,0\n2,{bad}\n"),
            "b.csv",
            &CsvOptions::default(),
        )
        .unwrap();
        let e = t.into_classification().unwrap_err();
        assert!(matches!(e, DataError::CsvLabel { line: 3, .. }), "{e}");
        assert!(
            e.to_string()
                .contains("expected a non-negative integer class label"),
            "{e}"
        );
    }
    assert!(ClassMap::from_values([]).is_err());
}

#[test]
fn regression_targets() {
    let t = load_csv_str(
        "a,b,price\n1,2,10.5\n3,4,-2\n",
        "r.csv",
        &CsvOptions::default(),
    )
    .unwrap();
    let ds = t.into_regression().unwrap();
    assert!(!ds.is_classification());
    assert_eq!((ds.n_outputs(), ds.n_features(), ds.len()), (1, 2, 2));
    let mut y = backprop_tensor::DMatrix::<f64>::zeros(0, 0);
    ds.fill_targets(&[1, 0], &mut y).unwrap();
    assert_eq!(y.as_slice(), &[-2.0, 10.5]);
    let t = load_csv_str("a,y\n1,1e300\n", "r.csv", &CsvOptions::default()).unwrap();
    let e = t.into_regression().unwrap_err();
    assert!(matches!(e, DataError::CsvLabel { line: 2, .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "r.csv:2: column 2 (\"y\"): expected a target within f32 range, found 1e300"
    );
}

#[test]
fn load_from_files_raw_and_gzip_and_missing() {
    let dir = TempDir::new("csv");
    let text = "a,b,y\n1,2,0\n3,4,1\n";
    let p = dir.write("data.csv", text.as_bytes());
    let raw = load_csv(&p, &CsvOptions::default()).unwrap();
    assert_eq!(raw.source(), p.display().to_string());
    let gz = load_csv(
        dir.write("data.csv.gz", &gzip(text.as_bytes())),
        &CsvOptions::default(),
    )
    .unwrap();
    assert_eq!(raw.features(), gz.features());
    assert_eq!(raw.labels(), gz.labels());

    let p = dir.write("bad.csv", b"a,b,y\n1,x,0\n");
    let e = load_csv(&p, &CsvOptions::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}:2: column 2 (\"b\"): expected a number, found \"x\"",
            p.display()
        )
    );

    let missing = dir.join("missing.csv");
    let e = load_csv(&missing, &CsvOptions::default()).unwrap_err();
    assert!(matches!(e, DataError::FileNotFound { .. }), "{e}");
    // Not UTF-8: the line and the byte on it (it was a bare "stream did
    // not contain valid UTF-8" without a line).
    let p = dir.write("latin1.csv", b"a,b\xff,y\n1,2,0\n");
    let e = load_csv(&p, &CsvOptions::default()).unwrap_err();
    assert!(
        matches!(
            e,
            DataError::CsvEncoding {
                line: 1,
                byte: 4,
                found: 0xff,
                ..
            }
        ),
        "{e:?}"
    );
    let p = dir.write("latin1-later.csv", b"a,b,y\r\n1,2,0\r\n3,4,1\n5,\xe96,0\n");
    let e = load_csv(&p, &CsvOptions::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}:4: not UTF-8 text: byte 0xe9 at byte 3 of the line (save the file as UTF-8)",
            p.display()
        )
    );
}

#[test]
fn a_first_data_row_with_a_typo_is_an_error_not_a_header() {
    // It was taken as a header, and the row was lost without a word.
    let text = "1,abc,0\n2,3,1\n4,5,0\n";
    let e = load_csv_str(text, "typo.csv", &CsvOptions::default()).unwrap_err();
    assert!(
        matches!(&e, DataError::CsvFirstRow { line: 1, found, .. } if found == "abc"),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "typo.csv:1: column 2: expected a number, found \"abc\" (the first row was read as data because \
         most of its cells are numbers; if it is a header, say so with --header yes, \
         CsvOptions::has_header = Some(true))"
    );
    // Declared a header, it is one; declared data, the typo is a plain error.
    let yes = CsvOptions {
        has_header: Some(true),
        ..CsvOptions::default()
    };
    let t = load_csv_str(text, "typo.csv", &yes).unwrap();
    assert_eq!((t.len(), t.label_name()), (2, Some("0")));
    let no = CsvOptions {
        has_header: Some(false),
        ..CsvOptions::default()
    };
    let e = load_csv_str(text, "typo.csv", &no).unwrap_err();
    assert!(matches!(e, DataError::CsvValue { line: 1, .. }), "{e:?}");
    // Headers with a numeric name or two are still headers.
    let t = load_csv_str("x1,2,y\n1,2,0\n", "h.csv", &CsvOptions::default()).unwrap();
    assert_eq!(t.feature_names().unwrap(), ["x1", "2"]);
}

#[test]
fn cr_only_line_endings_are_rows() {
    // Old Mac files: it was one line, reported as "no data rows, only a header".
    let text = "a,b,y\r1,2,0\r3,4,1\r\r5,6,0";
    let t = load_csv_str(text, "mac.csv", &CsvOptions::default()).unwrap();
    assert_eq!(t.len(), 3);
    assert_eq!(t.labels(), Some(&[0.0, 1.0, 0.0][..]));
    assert_eq!((t.line_of(0), t.line_of(2)), (Some(2), Some(5)));
    let e = load_csv_str("a,b,y\r1,2,0\r3,x,1\r", "mac.csv", &CsvOptions::default()).unwrap_err();
    assert!(
        e.to_string().starts_with("mac.csv:3: column 2 (\"b\")"),
        "{e}"
    );
}

#[test]
fn a_gzip_bomb_stops_at_the_size_limit() {
    use std::io::Write;
    let dir = TempDir::new("csv-bomb");
    // 64 MiB of "0,0\n" in a few hundred KB of gzip, read with a 1 MiB limit:
    // decompression stops after 1 MiB.
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(b"a,y\n").unwrap();
    let block = "0,0\n".repeat(1 << 16);
    for _ in 0..64 {
        enc.write_all(block.as_bytes()).unwrap();
    }
    let p = dir.write("bomb.csv.gz", &enc.finish().unwrap());
    let limited = CsvOptions {
        max_bytes: 1 << 20,
        ..CsvOptions::default()
    };
    let e = load_csv(&p, &limited).unwrap_err();
    assert!(
        matches!(
            e,
            DataError::CsvTooLarge {
                max_bytes: 1048576,
                gzip: true,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        format!(
            "{}: more than 1048576 bytes of CSV text after decompression, the limit \
             (raise it with --max-bytes, CsvOptions::max_bytes)",
            p.display()
        )
    );
    let e = load_csv_str(
        "a,y\n1,0\n",
        "s.csv",
        &CsvOptions {
            max_bytes: 4,
            ..CsvOptions::default()
        },
    )
    .unwrap_err();
    assert!(
        matches!(e, DataError::CsvTooLarge { gzip: false, .. }),
        "{e:?}"
    );
    assert_eq!(backprop_data::MAX_CSV_BYTES, 1 << 30);
}
