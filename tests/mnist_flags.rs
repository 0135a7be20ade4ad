//! `examples/mnist` as a general image-classification tool (#14): the
//! network from `--hidden`/`--layers`, IDX sets under other names or given
//! file by file, each optimizer's own learning rate, `--validation-split`,
//! the data directory found at run time (and said), the last epoch's
//! checkpoint, and Fashion-MNIST by name.
//!
//! Runs the example binary that `cargo test` builds, on a few hundred
//! images (small IDX sets cut from data/mnist), so that each run takes
//! about a second.

#[path = "support/examples.rs"]
mod examples;
#[path = "support/mnist_sets.rs"]
mod mnist_sets;
use examples::temp_dir;
use mnist_sets::{MNIST_NAMES, arg, mnist, ok, small_set, stderr, stdout, summary};

use backprop::io::load_model;
use serde_json::Value;

#[test]
fn hidden_and_layers_shape_the_saved_model() {
    let dir = temp_dir("mnist-flags", "hidden");
    for (flags, shapes) in [
        (
            vec!["--hidden", "32,16"],
            vec![(32, 784), (16, 32), (10, 16)],
        ),
        (vec!["--layers", "784,20,10"], vec![(20, 784), (10, 20)]),
        (
            vec!["--hidden", "128,64"],
            vec![(128, 784), (64, 128), (10, 64)],
        ),
    ] {
        let out = dir.join(flags.join("_"));
        let mut args = vec![
            "--limit",
            "300",
            "--epochs",
            "1",
            "--json",
            "--out",
            arg(&out),
        ];
        args.extend(&flags);
        let json = summary(&mnist(&args));
        let expected: Vec<String> = std::iter::once(784)
            .chain(shapes.iter().map(|s| s.0))
            .map(|n| n.to_string())
            .collect();
        assert_eq!(json["network"], expected.join("-"), "{flags:?}");
        let net = load_model::<f32>(out.join("model.safetensors")).unwrap();
        let mut found = Vec::new();
        net.visit_params(&mut |p| {
            if p.value.ncols() > 1 {
                found.push(p.value.shape());
            }
        });
        assert_eq!(found, shapes, "{flags:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_network_flags_are_refused_in_the_flags_terms() {
    let dir = temp_dir("mnist-flags", "layers");
    let out = dir.join("out");
    for (flags, message) in [
        (
            vec!["--layers", "700,10"],
            "--layers 700,10: the first size is the input's, 784 values (28×28 pixels of MNIST), found 700",
        ),
        (
            vec!["--layers", "784,32,9"],
            "--layers 784,32,9: the last size is the class count, 10 for MNIST, found 9",
        ),
        (
            vec!["--layers", "784"],
            "--layers needs at least the input size and the class count, found 784",
        ),
        (
            vec!["--hidden", "64,0"],
            "--hidden sizes must be at least 1, found 64,0",
        ),
        (
            vec!["--validation-split", "1"],
            "--validation-split must be a fraction between 0 and 1 (exclusive), found 1",
        ),
    ] {
        let mut args = vec!["--limit", "100", "--epochs", "1", "--out", arg(&out)];
        args.extend(&flags);
        let run = mnist(&args);
        assert_eq!(run.status.code(), Some(1), "{flags:?}: {}", stdout(&run));
        assert_eq!(stderr(&run), format!("error: {message}\n"), "{flags:?}");
        assert!(
            !stdout(&run).contains("epoch  1/"),
            "{flags:?}: nothing trained"
        );
    }
    // --hidden and --layers together: clap's usage error.
    let run = mnist(&["--hidden", "8", "--layers", "784,10", "--out", arg(&out)]);
    assert_eq!(run.status.code(), Some(2));
    assert!(
        stderr(&run).contains("cannot be used with"),
        "{}",
        stderr(&run)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn other_names_and_files_given_one_by_one_are_read() {
    let dir = temp_dir("mnist-flags", "names");
    // Dotted names and test- for t10k-, in a directory named "digits".
    let dotted = dir.join("digits");
    small_set(
        &dotted,
        [
            "train-images.idx3-ubyte",
            "train-labels.idx1-ubyte",
            "test-images.idx3-ubyte",
            "test-labels.idx1-ubyte",
        ],
        300,
        100,
        0,
    );
    let out = dir.join("out");
    let text = ok(&mnist(&[
        "--data",
        arg(&dotted),
        "--epochs",
        "1",
        "--out",
        arg(&out),
    ]));
    assert!(
        text.starts_with(&format!(
            "digits: 300 training, 100 test images (28×28, 10 classes) from {} (--data)\n",
            dotted.display()
        )),
        "{text}"
    );

    // EMNIST's naming, labels from 1: the class count is the largest label
    // plus one, and the output says so.
    let letters = dir.join("emnist");
    small_set(
        &letters,
        [
            "emnist-letters-train-images-idx3-ubyte",
            "emnist-letters-train-labels-idx1-ubyte",
            "emnist-letters-test-images-idx3-ubyte",
            "emnist-letters-test-labels-idx1-ubyte",
        ],
        300,
        100,
        1,
    );
    let text = ok(&mnist(&[
        "--data",
        arg(&letters),
        "--epochs",
        "1",
        "--out",
        arg(&out),
    ]));
    assert!(
        text.starts_with(&format!(
            "EMNIST letters: 300 training, 100 test images (28×28, 11 classes) from {} (--data)\n\
             labels 1..10: 11 classes, the largest label plus one; class below 1 has no images\n",
            letters.display()
        )),
        "{text}"
    );
    assert!(text.contains("(batch, 11)"), "11 outputs: {text}");

    // Any four files, named one by one.
    let [a, b, c, d] = small_set(&dir.join("loose"), ["a.idx", "b.idx", "c", "d"], 200, 50, 0);
    let text = ok(&mnist(&[
        "--train-images",
        arg(&a),
        "--train-labels",
        arg(&b),
        "--test-images",
        arg(&c),
        "--test-labels",
        arg(&d),
        "--epochs",
        "1",
        "--out",
        arg(&out),
    ]));
    assert!(
        text.starts_with(&format!(
            "loose: 200 training, 50 test images (28×28, 10 classes) from {} (--train-images, --train-labels, --test-images, --test-labels)\n",
            a.display()
        )),
        "{text}"
    );
    // Three of the four: clap says which is missing.
    let run = mnist(&[
        "--train-images",
        arg(&a),
        "--train-labels",
        arg(&b),
        "--test-images",
        arg(&c),
    ]);
    assert_eq!(run.status.code(), Some(2));
    assert!(stderr(&run).contains("--test-labels"), "{}", stderr(&run));

    // A directory without a set: the names looked for and what it holds.
    let run = mnist(&["--data", arg(&dir.join("loose")), "--out", arg(&out)]);
    assert_eq!(run.status.code(), Some(1));
    assert_eq!(
        stderr(&run),
        format!(
            "error: --data: {}: no IDX image set: looked for train-images-idx3-ubyte or train-images.idx3-ubyte; \
             train-labels-idx1-ubyte or train-labels.idx1-ubyte; \
             t10k-images-idx3-ubyte or t10k-images.idx3-ubyte or test-images-idx3-ubyte or test-images.idx3-ubyte; \
             t10k-labels-idx1-ubyte or t10k-labels.idx1-ubyte or test-labels-idx1-ubyte or test-labels.idx1-ubyte \
             (each also with .gz, also after a prefix such as emnist-letters-); the directory holds a.idx, b.idx, c, d\n",
            dir.join("loose").display()
        )
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn each_optimizer_starts_from_its_own_learning_rate() {
    let dir = temp_dir("mnist-flags", "lr");
    let out = dir.join("out");
    for (flags, header, lr) in [
        (
            vec!["--optimizer", "sgd"],
            "optimizer sgd, lr 0.1 (sgd's default), ",
            0.1,
        ),
        (
            vec!["--optimizer", "momentum"],
            "optimizer momentum, lr 0.01 (momentum's default), ",
            0.01,
        ),
        (vec![], "optimizer adam, lr 0.001 (adam's default), ", 0.001),
        (
            vec!["--optimizer", "sgd", "--lr", "0.05"],
            "optimizer sgd, lr 0.05 (--lr), ",
            0.05,
        ),
    ] {
        let mut args = vec![
            "--limit",
            "200",
            "--epochs",
            "1",
            "--json",
            "--out",
            arg(&out),
        ];
        args.extend(&flags);
        let run = mnist(&args);
        assert!(
            ok(&run).contains(&format!("\n{header}")),
            "{flags:?}: {}",
            stdout(&run)
        );
        assert_eq!(summary(&run)["lr"], lr, "{flags:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_validation_split_is_not_the_test_set() {
    let dir = temp_dir("mnist-flags", "split");
    let data = dir.join("data");
    small_set(&data, MNIST_NAMES, 1000, 300, 0);
    let out = dir.join("out");
    let base = [
        "--data",
        arg(&data),
        "--epochs",
        "2",
        "--json",
        "--out",
        arg(&out),
    ];

    // Without it, val_* is the test set (the last epoch's val_loss is the
    // test loss, bit for bit), and the output says so.
    let run = mnist(&base);
    let json = summary(&run);
    assert!(ok(&run).contains("\nvalidation: val_* is the test set, evaluated after every epoch"));
    assert_eq!(json["validation"], "the test set");
    assert_eq!(json["val_loss"], json["test_loss"]);
    assert_eq!(json["train_samples"], 1000);

    // With it, the last 10% of the training images: 900 to train on, 100
    // to validate on, the test set once at the end.
    let mut args = base.to_vec();
    args.extend(["--validation-split", "0.1"]);
    let run = mnist(&args);
    let text = ok(&run);
    let json = summary(&run);
    assert!(
        text.contains(
            "\nvalidation: the last 100 of the 1000 training images (--validation-split 0.1, \
             as Keras's validation_split: in file order, before shuffling); training on the first 900; \
             the test set is evaluated once, after training\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(" (the test set, once, after training)\n"),
        "{text}"
    );
    assert_eq!(json["train_samples"], 900);
    assert_eq!(json["validation"], "last 0.1 of the training set");
    assert_ne!(json["val_loss"], json["test_loss"]);
    // Accuracy on 100 images is a whole number of percent.
    let val = json["val_accuracy"].as_f64().unwrap();
    assert!((val * 100.0 - (val * 100.0).round()).abs() < 1e-9, "{val}");
    // The history's val_* are the held-out images'.
    let history: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("history.json")).unwrap()).unwrap();
    assert_eq!(history["epochs"][1]["val_loss"], json["val_loss"]);

    // A split that leaves nothing to train on.
    let run = mnist(&[
        "--limit",
        "1",
        "--validation-split",
        "0.5",
        "--out",
        arg(&out),
    ]);
    assert_eq!(run.status.code(), Some(1));
    assert_eq!(
        stderr(&run),
        "error: --validation-split 0.5 of 1 training image leaves 0 to train on and 1 to validate on; both need at least 1\n"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
