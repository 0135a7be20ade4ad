//! `examples/predict` on hostile images and thread counts, as a user runs
//! it: a 588-byte PNG declaring 65535×65535 RGBA16 aborted on a 34 GB
//! allocation; `--threads 100000` started 100,000 threads. Runs the example
//! binary that `cargo test` builds next to the test binaries.

#[path = "support/examples.rs"]
mod examples;
use examples::example;

use backprop::io::save_model;
use backprop::layers::Sequential;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn temp_dir(tag: &str) -> PathBuf {
    examples::temp_dir("predict", tag)
}

/// A PNG chunk: length, type, data, CRC-32.
fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = 0xffff_ffffu32;
    for &b in kind.iter().chain(data) {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    out.extend_from_slice(&(!crc).to_be_bytes());
}

fn run(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(example("predict"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("predict starts")
}

#[test]
fn hostile_images_and_thread_counts() {
    let dir = temp_dir("input");
    let model = dir.join("m.safetensors");
    let net = Sequential::<f32>::builder(784)
        .seed(1)
        .dense(10)
        .build()
        .unwrap();
    save_model(&net, &model).unwrap();

    // Signature, IHDR of 65535×65535, 16-bit RGBA, an empty IDAT, IEND.
    let mut bomb = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = [0u8; 13];
    ihdr[..4].copy_from_slice(&65535u32.to_be_bytes());
    ihdr[4..8].copy_from_slice(&65535u32.to_be_bytes());
    ihdr[8..10].copy_from_slice(&[16, 6]);
    chunk(&mut bomb, b"IHDR", &ihdr);
    chunk(
        &mut bomb,
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    chunk(&mut bomb, b"IEND", &[]);
    let bomb_path = dir.join("bomb.png");
    std::fs::write(&bomb_path, &bomb).unwrap();
    let out = run(&[
        "--model".as_ref(),
        model.as_os_str(),
        "--image".as_ref(),
        bomb_path.as_os_str(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr.trim_end(),
        format!(
            "error: {}: the image is 65535×65535 pixels (4294836225), more than the 16777216 \
             (16 megapixels) accepted",
            bomb_path.display()
        )
    );

    // A 28×28 PGM on far too many threads: capped, said so, and classified.
    let mut pgm = b"P5 28 28 255\n".to_vec();
    pgm.extend((0..784).map(|i| (i % 256) as u8));
    let pgm_path = dir.join("digit.pgm");
    std::fs::write(&pgm_path, &pgm).unwrap();
    let out = run(&[
        "--model".as_ref(),
        model.as_os_str(),
        "--image".as_ref(),
        pgm_path.as_os_str(),
        "--threads".as_ref(),
        "100000".as_ref(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let cap = backprop::tensor::threads::max_threads();
    assert!(
        stderr.starts_with(&format!(
            "note: --threads 100000: using {cap} (the most this machine uses: 4 per core"
        )),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("{}: class ", pgm_path.display())),
        "{stdout}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A saved 784 → 784 network (no MNIST classifier: 784 outputs) in `dir`,
/// and the repository's MNIST directory.
fn wide_model(dir: &Path) -> (PathBuf, PathBuf) {
    let model = dir.join("wide.safetensors");
    let net = Sequential::<f32>::builder(784)
        .seed(2)
        .dense(784)
        .build()
        .unwrap();
    save_model(&net, &model).unwrap();
    (
        model,
        Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist"),
    )
}

#[test]
fn a_model_with_another_number_of_outputs_is_not_an_mnist_classifier() {
    let dir = temp_dir("outputs");
    let (model, data) = wide_model(&dir);
    let out = run(&[
        "--model".as_ref(),
        model.as_os_str(),
        "--data".as_ref(),
        data.as_os_str(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the model has 784 outputs")
            && stderr.contains("has 10 classes: it is not a classifier of these images"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_run_directory_whose_files_disagree_with_its_manifest_is_refused() {
    let dir = temp_dir("run");
    let model = dir.join("model.safetensors");
    let net = Sequential::<f32>::builder(784)
        .seed(3)
        .dense(10)
        .build()
        .unwrap();
    save_model(&net, &model).unwrap();
    {
        let run = backprop::train::RunDir::open(&dir).unwrap();
        run.commit(["model.safetensors"]).unwrap();
    }
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist");
    let args = [
        "--model".as_ref(),
        model.as_os_str(),
        "--data".as_ref(),
        data.as_os_str(),
    ];
    let out = run(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Another run's model written over this one (same size, other weights).
    let other = Sequential::<f32>::builder(784)
        .seed(4)
        .dense(10)
        .build()
        .unwrap();
    save_model(&other, &model).unwrap();
    let out = run(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("model.safetensors") && stderr.contains("do not belong together"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn pictures_are_made_the_models_input_shape() {
    let dir = temp_dir("shapes");
    // A 40×30 picture: a dark bar on white.
    let mut pgm = b"P5 40 30 255\n".to_vec();
    pgm.extend((0..1200).map(|i| if (i % 40) / 4 == 5 { 0 } else { 255 }));
    let picture = dir.join("bar.pgm");
    std::fs::write(&picture, &pgm).unwrap();
    let cases: [(Vec<usize>, Result<&str, &str>); 6] = [
        (vec![784], Ok("40×30 → 28×28 as MNIST's digits were made")),
        (
            vec![1, 28, 28],
            Ok("40×30 → 28×28 as MNIST's digits were made"),
        ),
        (
            vec![1, 12, 20],
            Ok("40×30 → 20×12 as MNIST's digits were made"),
        ),
        (vec![100], Ok("40×30 → 10×10 as MNIST's digits were made")),
        (
            vec![50],
            Err("the model takes 50 inputs, which is no square image"),
        ),
        (
            vec![3, 8, 8],
            Err(
                "the model takes 3 channels of 8×8 (input shape (3, 8, 8)); predict reads grey pictures, one channel",
            ),
        ),
    ];
    for (shape, expected) in cases {
        let model = dir.join("m.safetensors");
        let mut builder = Sequential::<f32>::builder(shape.clone()).seed(5);
        if shape.len() > 1 {
            builder = builder.flatten();
        }
        save_model(&builder.dense(4).build().unwrap(), &model).unwrap();
        let out = run(&[
            "--model".as_ref(),
            model.as_os_str(),
            "--image".as_ref(),
            picture.as_os_str(),
        ]);
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        match expected {
            Ok(line) => {
                assert_eq!(out.status.code(), Some(0), "{shape:?}: {stderr}");
                let described = format!("{}: {line}", picture.display());
                assert!(stdout.contains(&described), "{shape:?}: {stdout}");
                assert!(
                    stdout.contains("; inverted (auto: a light background"),
                    "{stdout}"
                );
            }
            Err(message) => {
                assert_eq!(out.status.code(), Some(1), "{shape:?}: {stdout}");
                assert!(
                    stderr.starts_with(&format!("error: {}: {message}", model.display())),
                    "{shape:?}: {stderr}"
                );
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_test_set_is_found_at_run_time_and_predict_says_where() {
    // The first test above with `--data` left out: the directory comes from
    // $BACKPROP_DATA (a copied binary reads the data where it is run), and
    // stderr names it and why.
    let dir = temp_dir("data_env");
    let (model, data) = wide_model(&dir);
    let out = Command::new(example("predict"))
        .args(["--model".as_ref(), model.as_os_str()])
        .env("BACKPROP_DATA", &data)
        .current_dir(&dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("data: {} (BACKPROP_DATA)", data.display())),
        "{stderr}"
    );
    // It read that directory's test set: 10 classes against 784 outputs.
    assert!(stderr.contains("has 10 classes"), "{stderr}");
    // Nowhere to look: an empty directory, no variable, and an executable
    // copied away from any data/mnist (outside the checkout, which has one,
    // and whose target directory holds `dir`).
    let away = examples::temp_dir_outside_checkout("predict", "lonely");
    let lonely = away.join("bin");
    std::fs::create_dir_all(&lonely).unwrap();
    let copy = lonely.join("predict");
    std::fs::copy(example("predict"), &copy).unwrap();
    let out = Command::new(&copy)
        .args(["--model".as_ref(), model.as_os_str()])
        .env_remove("BACKPROP_DATA")
        .current_dir(&lonely)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("no data: give --data DIR") && stderr.contains("BACKPROP_DATA"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&away);
    let _ = std::fs::remove_dir_all(&dir);
}
