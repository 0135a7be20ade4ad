//! Finding an IDX set's four files by their names (`IdxFiles::find`), giving
//! them one by one (`Mnist::load_files`), and naming the set.

mod common;

use backprop_data::idx::IdxLimits;
use backprop_data::mnist::{IdxFiles, IdxRole, IdxSetError, class_names};
use backprop_data::{DataError, Mnist};
use common::{TempDir, gzip, images, labels};

/// Writes a 4-train, 2-test set of 2×3 images into `dir` under `names`
/// (training images, training labels, test images, test labels), the
/// labels `train` and `test`.
fn write_set(dir: &std::path::Path, names: [&str; 4], train: &[u8], test: &[u8]) {
    let bytes = [
        images(train.len() as u32, 2, 3),
        labels(train),
        images(test.len() as u32, 2, 3),
        labels(test),
    ];
    for (name, bytes) in names.iter().zip(bytes) {
        let bytes = if name.ends_with(".gz") {
            gzip(&bytes)
        } else {
            bytes
        };
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}

#[test]
fn dotted_and_test_names_are_found() {
    let dir = TempDir::new("dotted");
    write_set(
        dir.path(),
        [
            "train-images.idx3-ubyte",
            "train-labels.idx1-ubyte",
            "test-images.idx3-ubyte.gz",
            "test-labels.idx1-ubyte",
        ],
        &[0, 1, 2, 1],
        &[2, 0],
    );
    let files = IdxFiles::find(dir.path()).unwrap();
    assert_eq!(files.train_images, dir.join("train-images.idx3-ubyte"));
    assert_eq!(files.test_images, dir.join("test-images.idx3-ubyte.gz"));
    assert_eq!(
        files.get(IdxRole::TestLabels),
        dir.join("test-labels.idx1-ubyte")
    );
    let m = Mnist::load(dir.path()).unwrap();
    assert_eq!((m.train.len(), m.test.len(), m.n_classes()), (4, 2, 3));
}

#[test]
fn emnist_letters_are_found_named_and_counted_from_their_labels() {
    let root = TempDir::new("emnist");
    let dir = root.join("gzip");
    std::fs::create_dir_all(&dir).unwrap();
    write_set(
        &dir,
        [
            "emnist-letters-train-images-idx3-ubyte.gz",
            "emnist-letters-train-labels-idx1-ubyte.gz",
            "emnist-letters-test-images-idx3-ubyte.gz",
            "emnist-letters-test-labels-idx1-ubyte.gz",
        ],
        &[1, 26, 5, 3],
        &[2, 26],
    );
    std::fs::write(dir.join("emnist-letters-mapping.txt"), "1 65 97\n").unwrap();
    let files = IdxFiles::find(&dir).unwrap();
    assert_eq!(files.dataset_name(), "EMNIST letters");
    let m = Mnist::load_files(&files, &IdxLimits::default()).unwrap();
    // Labels 1..=26: 27 classes, class 0 without a sample.
    assert_eq!((m.n_classes(), m.label_range()), (27, Some((1, 26))));
    let names = class_names(&files.dataset_name(), m.n_classes()).unwrap();
    assert_eq!((names[0].as_str(), names[26].as_str()), ("none", "Z"));
}

#[test]
fn files_given_one_by_one_may_be_anywhere_under_any_name() {
    let dir = TempDir::new("explicit");
    write_set(
        dir.path(),
        ["a.bin", "b.bin", "c.bin.gz", "d"],
        &[0, 1, 0, 1],
        &[1, 1],
    );
    let files = IdxFiles {
        train_images: dir.join("a.bin"),
        train_labels: dir.join("b.bin"),
        test_images: dir.join("c.bin.gz"),
        test_labels: dir.join("d"),
    };
    let m = Mnist::load_files(&files, &IdxLimits::default()).unwrap();
    assert_eq!((m.train.len(), m.test.len(), m.n_classes()), (4, 2, 2));
    // Nothing in the directory is named like an IDX set.
    assert!(matches!(
        IdxFiles::find(dir.path()),
        Err(DataError::IdxSet(IdxSetError::Missing { .. }))
    ));
}

#[test]
fn the_uncompressed_file_and_mnist_names_are_preferred() {
    let dir = TempDir::new("prefer");
    write_set(
        dir.path(),
        [
            "train-images-idx3-ubyte.gz",
            "train-labels-idx1-ubyte.gz",
            "t10k-images-idx3-ubyte.gz",
            "t10k-labels-idx1-ubyte.gz",
        ],
        &[0, 1, 0, 1],
        &[1, 0],
    );
    write_set(
        dir.path(),
        [
            "train-images-idx3-ubyte",
            "train-labels.idx1-ubyte",
            "test-images-idx3-ubyte",
            "t10k-labels.idx1-ubyte",
        ],
        &[0, 1, 0, 1],
        &[1, 0],
    );
    let files = IdxFiles::find(dir.path()).unwrap();
    assert_eq!(
        files,
        IdxFiles {
            train_images: dir.join("train-images-idx3-ubyte"),
            train_labels: dir.join("train-labels-idx1-ubyte.gz"),
            test_images: dir.join("t10k-images-idx3-ubyte.gz"),
            test_labels: dir.join("t10k-labels-idx1-ubyte.gz"),
        }
    );
}

#[test]
fn two_complete_sets_are_ambiguous() {
    let dir = TempDir::new("two");
    for split in ["emnist-digits-", "emnist-letters-"] {
        let names = ["train-images", "train-labels", "test-images", "test-labels"].map(|n| {
            format!(
                "{split}{n}-idx{}-ubyte",
                if n.ends_with("images") { 3 } else { 1 }
            )
        });
        write_set(
            dir.path(),
            [&names[0], &names[1], &names[2], &names[3]].map(String::as_str),
            &[1, 2],
            &[1],
        );
    }
    let e = IdxFiles::find(dir.path()).unwrap_err();
    assert!(
        matches!(&e, DataError::IdxSet(IdxSetError::Ambiguous { prefixes, .. })
            if prefixes == &["emnist-digits-", "emnist-letters-"]),
        "{e}"
    );
    assert_eq!(
        e.to_string(),
        format!(
            "{}: 2 IDX sets are here (emnist-digits-train-images…, emnist-letters-train-images…): \
             give the four files of one explicitly, or keep each set in a directory of its own",
            dir.path().display()
        )
    );
}

#[test]
fn a_directory_without_a_set_says_what_was_looked_for_and_what_it_holds() {
    let dir = TempDir::new("none");
    let e = IdxFiles::find(dir.path()).unwrap_err();
    assert!(
        e.to_string().ends_with(
            "(each also with .gz, also after a prefix such as emnist-letters-); the directory is empty"
        ),
        "{e}"
    );
    for i in 0..14 {
        dir.write(&format!("img{i:02}.png"), b"");
    }
    std::fs::create_dir(dir.join("sub")).unwrap();
    let e = IdxFiles::find(dir.path()).unwrap_err();
    let DataError::IdxSet(IdxSetError::Missing { missing, found, .. }) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(missing, &IdxRole::ALL);
    assert!(found.is_empty());
    assert_eq!(
        e.to_string(),
        format!(
            "{}: no IDX image set: looked for train-images-idx3-ubyte or train-images.idx3-ubyte; \
             train-labels-idx1-ubyte or train-labels.idx1-ubyte; \
             t10k-images-idx3-ubyte or t10k-images.idx3-ubyte or test-images-idx3-ubyte or test-images.idx3-ubyte; \
             t10k-labels-idx1-ubyte or t10k-labels.idx1-ubyte or test-labels-idx1-ubyte or test-labels.idx1-ubyte \
             (each also with .gz, also after a prefix such as emnist-letters-); the directory holds \
             img00.png, img01.png, img02.png, img03.png, img04.png, img05.png, img06.png, img07.png, \
             img08.png, img09.png, img10.png, img11.png, … (3 more)",
            dir.path().display()
        )
    );
    // A directory named like a file of the set is not one.
    std::fs::create_dir(dir.join("train-images-idx3-ubyte")).unwrap();
    assert!(IdxFiles::find(dir.path()).is_err());
    // Not a directory at all.
    let e = IdxFiles::find(dir.join("img00.png")).unwrap_err();
    assert!(matches!(e, DataError::MissingDataDir { .. }), "{e}");
}

#[test]
fn a_prefixed_set_missing_a_file_names_it_with_its_prefix() {
    let dir = TempDir::new("partial");
    write_set(
        dir.path(),
        [
            "kmnist-train-images-idx3-ubyte.gz",
            "kmnist-train-labels-idx1-ubyte.gz",
            "kmnist-test-images-idx3-ubyte.gz",
            "unrelated",
        ],
        &[0, 1],
        &[1],
    );
    let e = IdxFiles::find(dir.path()).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}: no file of the test labels beside kmnist-train-images-idx3-ubyte.gz, \
             kmnist-train-labels-idx1-ubyte.gz, kmnist-test-images-idx3-ubyte.gz: looked for \
             kmnist-t10k-labels-idx1-ubyte or kmnist-t10k-labels.idx1-ubyte or \
             kmnist-test-labels-idx1-ubyte or kmnist-test-labels.idx1-ubyte (each also with .gz); \
             the directory holds kmnist-test-images-idx3-ubyte.gz, kmnist-train-images-idx3-ubyte.gz, \
             kmnist-train-labels-idx1-ubyte.gz, unrelated",
            dir.path().display()
        )
    );
}

#[test]
fn sets_are_named_by_prefix_or_directory() {
    let root = TempDir::new("names");
    let named = |sub: &str| {
        let dir = root.join(sub);
        std::fs::create_dir_all(&dir).unwrap();
        write_set(
            &dir,
            [
                "train-images-idx3-ubyte",
                "train-labels-idx1-ubyte",
                "t10k-images-idx3-ubyte",
                "t10k-labels-idx1-ubyte",
            ],
            &[0, 1],
            &[1],
        );
        IdxFiles::find(&dir).unwrap().dataset_name()
    };
    assert_eq!(named("mnist"), "MNIST");
    assert_eq!(named("fashion-mnist"), "Fashion-MNIST");
    assert_eq!(named("Fashion_MNIST"), "Fashion-MNIST");
    assert_eq!(named("KMNIST/raw"), "KMNIST");
    assert_eq!(named("my digits"), "my digits");
    // A relative path is named by the directory it resolves to.
    let cwd = std::env::current_dir().unwrap();
    assert!(cwd.join("../../data/mnist").is_dir());
    let files = IdxFiles::find("../../data/mnist").unwrap();
    assert_eq!(files.dataset_name(), "MNIST");

    assert_eq!(class_names("MNIST", 10).unwrap()[7], "7");
    assert_eq!(class_names("Fashion-MNIST", 10).unwrap()[0], "T-shirt/top");
    assert_eq!(class_names("KMNIST", 10).unwrap()[9], "wo");
    assert_eq!(class_names("my digits", 10), None);
    assert_eq!(class_names("Fashion-MNIST", 11), None);
}
