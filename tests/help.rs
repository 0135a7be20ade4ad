//! Every example answers `--help` (and `-h`) with its usage and exits 0,
//! without doing its work: `xor --help` used to train (#14). Each runs in
//! an empty working directory, which must stay empty (no run directory,
//! no picture, no model written), and prints nothing a run prints.

#[path = "support/examples.rs"]
mod examples;
use examples::example;

use std::process::{Command, Stdio};

/// Every example of the package: each `examples/NAME.rs` (xor, spiral,
/// seed, fma_peak, predict, mnist, csv, …), so a new one is checked too.
fn examples() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().ok()?;
            name.strip_suffix(".rs").map(String::from)
        })
        .collect();
    names.sort();
    for expected in [
        "xor", "spiral", "seed", "fma_peak", "predict", "mnist", "csv",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "no examples/{expected}.rs in {names:?}"
        );
    }
    names
}

/// Words that only a run prints (training progress, results, timings).
const RUN_WORDS: [&str; 6] = [
    "epoch 1",
    "accuracy 4/4",
    "step   1",
    "GFLOP/s on",
    "wrote ",
    "test accuracy",
];

#[test]
fn every_example_answers_help_without_running() {
    for name in examples() {
        let name = name.as_str();
        let exe = example(name);
        for flag in ["--help", "-h"] {
            let cwd = examples::temp_dir("help", name);
            let out = Command::new(&exe)
                .arg(flag)
                .current_dir(&cwd)
                .stdin(Stdio::null())
                .output()
                .unwrap_or_else(|e| panic!("{name} starts: {e}"));
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(
                out.status.code(),
                Some(0),
                "{name} {flag}: {stdout}{stderr}"
            );
            assert!(
                stdout.contains(&format!("Usage: {name}")),
                "{name} {flag} prints no usage: {stdout}"
            );
            assert!(
                stdout.contains("-h, --help"),
                "{name} {flag} lists no options: {stdout}"
            );
            assert_eq!(stderr, "", "{name} {flag}");
            for word in RUN_WORDS {
                assert!(
                    !stdout.contains(word),
                    "{name} {flag} printed {word:?}, as a run does: {stdout}"
                );
            }
            let left: Vec<_> = std::fs::read_dir(&cwd)
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            assert!(left.is_empty(), "{name} {flag} wrote {left:?}");
            std::fs::remove_dir_all(&cwd).unwrap();
        }
    }
}

#[test]
fn predict_help_with_a_model_says_what_the_model_expects() {
    let dir = examples::temp_dir("help", "model");
    let model = dir.join("m.safetensors");
    let mut net = backprop::layers::Sequential::<f32>::builder([1, 28, 28])
        .seed(1)
        .flatten()
        .dense(3)
        .build()
        .unwrap();
    net.info_mut().preprocess = backprop::layers::Preprocess::UNIT_PIXELS;
    net.info_mut().class_names = Some(vec!["cat".into(), "dog".into(), "owl".into()]);
    backprop::io::save_model(&net, &model).unwrap();
    let out = Command::new(example("predict"))
        .args(["--help".as_ref(), "--model".as_ref(), model.as_os_str()])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let expected = format!(
        "The model {}:\n  input: shape (1, 28, 28), a 28×28 grey picture\n  pixels: x/255\n  \
         output: 3 logits\n  3 classes: cat, dog, owl\n",
        model.display()
    );
    assert!(stdout.ends_with(&expected), "{stdout}");
    std::fs::remove_dir_all(&dir).unwrap();
}
