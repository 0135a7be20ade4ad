//! `examples/mnist` as a user runs it: flags refused up front in their own
//! terms, a run that owns its `--out` (a second run is refused, naming the
//! first), Ctrl-C that stops after the current step and writes a
//! checkpoint, the model, the history and a manifest with status 130 (a
//! second signal exits at once), a resume whose history covers the whole
//! run, and a resume on other data files refused unless forced.
//!
//! Runs the example binary that `cargo test` builds next to the test
//! binaries (`target/<profile>/examples/mnist`), on 2,000 training images
//! so that each run takes about a second.

#[path = "support/examples.rs"]
mod examples;
use examples::example;

use backprop::data::idx::read_idx_labels;
use backprop::train::{History, RunDir};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Output, Stdio};

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("backprop-mnist-run-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// mnist with `args`, to the end.
fn mnist(args: &[&str]) -> Output {
    Command::new(example("mnist"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("mnist starts")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A quick run that trains far longer than any test waits: it ends only
/// when a signal stops it.
fn endless(out: &Path) -> Vec<String> {
    [
        "--limit",
        "2000",
        "--epochs",
        "1000",
        "--schedule",
        "constant",
        "--save-every",
        "1000",
        "--out",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([out.display().to_string()])
    .collect()
}

/// Starts mnist with `args` and reads its stdout until the first epoch's
/// line: it is then training. The caller waits for it ([`finish`]).
#[allow(clippy::zombie_processes)]
fn start_training(args: &[String]) -> (Child, BufReader<ChildStdout>, String) {
    let mut child = Command::new(example("mnist"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mnist starts");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        let n = stdout.read_line(&mut line).unwrap_or(0);
        seen += &line;
        if line.starts_with("epoch  1/") {
            return (child, stdout, seen);
        }
        if n == 0 {
            let status = child.wait();
            panic!("mnist ended before its first epoch ({status:?}):\n{seen}");
        }
    }
}

/// Sends `signals` (`"INT"`, `"TERM"`) to `pid`, back to back.
fn send(signals: &[&str], pid: u32) {
    let script: Vec<String> = signals
        .iter()
        .map(|s| format!("kill -s {s} {pid}"))
        .collect();
    let status = Command::new("sh")
        .args(["-c", &script.join("; ")])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Waits for `child`, with the rest of its stdout and its stderr.
fn finish(
    mut child: Child,
    mut stdout: BufReader<ChildStdout>,
    mut seen: String,
) -> (i32, String, String) {
    stdout.read_to_string(&mut seen).unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    (
        status.code().expect("an exit status, not a signal"),
        seen,
        stderr,
    )
}

fn history(out: &Path) -> History {
    serde_json::from_str(&std::fs::read_to_string(out.join("history.json")).unwrap()).unwrap()
}

#[test]
fn flags_that_no_run_can_use_are_refused_before_anything_is_read() {
    let dir = temp_dir("flags");
    let file = dir.join("a-file");
    std::fs::write(&file, b"not a directory").unwrap();
    let out = dir.join("out");
    let out = out.to_str().unwrap();
    for (args, message) in [
        (
            vec!["--epochs", "0"],
            "--epochs must be at least 1, found 0".to_string(),
        ),
        (
            vec!["--lr", "-1"],
            "--lr must be a positive number, found -1".into(),
        ),
        (
            vec!["--lr", "NaN"],
            "--lr must be a positive number, found NaN".into(),
        ),
        (
            vec!["--batch", "0"],
            "--batch must be at least 1, found 0".into(),
        ),
        (
            vec!["--out", file.to_str().unwrap()],
            format!(
                "--out: {} exists and is not a directory: give a directory for the run's files",
                file.display()
            ),
        ),
    ] {
        let mut all = args.clone();
        if !all.contains(&"--out") {
            all.extend(["--out", out]);
        }
        let run = mnist(&all);
        assert_eq!(run.status.code(), Some(1), "{args:?}");
        assert_eq!(text(&run.stderr), format!("error: {message}\n"), "{args:?}");
        assert_eq!(
            text(&run.stdout),
            "",
            "{args:?}: nothing read, nothing trained"
        );
    }
    assert_eq!(std::fs::read(&file).unwrap(), b"not a directory");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ctrl_c_writes_the_run_and_exits_130_and_the_run_resumes_with_its_whole_history() {
    let dir = temp_dir("ctrl-c");
    let out = dir.join("out");
    let (child, stdout, seen) = start_training(&endless(&out));

    // A second run on the same --out is refused at once, naming the first.
    let second = mnist(&[
        "--limit",
        "100",
        "--epochs",
        "1",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(second.status.code(), Some(1));
    let stderr = text(&second.stderr);
    assert!(
        stderr.starts_with(&format!(
            "error: --out: {} is in use by another run (pid {}, started ",
            out.display(),
            child.id()
        )),
        "{stderr}"
    );

    send(&["INT"], child.id());
    let (code, stdout, stderr) = finish(child, stdout, seen);
    assert_eq!(code, 130, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("\ninterrupted after "), "{stdout}");

    // A consistent set: the manifest vouches for the history, the curve,
    // the model and the checkpoint written on the way out.
    let manifest = RunDir::verify(&out).unwrap();
    let history = history(&out);
    let at = history
        .interrupted
        .clone()
        .expect("the history says where it stopped");
    let checkpoint = at.checkpoint_path("checkpoints");
    let listed: Vec<&str> = manifest.files.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        listed,
        [
            "history.csv",
            "history.json",
            "curve.png",
            "model.safetensors",
            checkpoint.to_str().unwrap()
        ]
    );
    assert!(at.epoch >= 1);
    assert_eq!(history.epochs.len(), at.epoch);
    let csv = std::fs::read_to_string(out.join("history.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + at.epoch);

    // Resumed to two epochs past the interruption: the history covers
    // every epoch of the run.
    let epochs = (at.epoch + 2).to_string();
    let checkpoint = out.join(&checkpoint);
    let mut args = endless(&out);
    args[3] = epochs.clone();
    args.extend(["--resume".into(), checkpoint.display().to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let resumed = mnist(&args);
    assert!(resumed.status.success(), "{}", text(&resumed.stderr));
    let whole = self::history(&out);
    let numbers: Vec<usize> = whole.epochs.iter().map(|r| r.epoch).collect();
    assert_eq!(numbers, (1..=at.epoch + 2).collect::<Vec<_>>());
    assert_eq!(whole.epochs[..at.epoch], history.epochs[..]);
    assert!(whole.interrupted.is_none());
    RunDir::verify(&out).unwrap();

    // On other data files (the training labels, uncompressed, one changed)
    // the resume is refused, naming the file, unless forced.
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    let mnist_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist");
    for name in [
        "train-images-idx3-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ] {
        std::fs::copy(mnist_dir.join(name), data.join(name)).unwrap();
    }
    let mut labels = read_idx_labels(mnist_dir.join("train-labels-idx1-ubyte.gz")).unwrap();
    labels[0] = (labels[0] + 1) % 10;
    let mut idx = vec![0, 0, 8, 1];
    idx.extend((labels.len() as u32).to_be_bytes());
    idx.extend(&labels);
    std::fs::write(data.join("train-labels-idx1-ubyte"), &idx).unwrap();
    let mut other = args.clone();
    let data_arg = data.display().to_string();
    other.extend(["--data", &data_arg]);
    let refused = mnist(&other);
    assert_eq!(refused.status.code(), Some(1));
    let stderr = text(&refused.stderr);
    assert!(
        stderr.starts_with(&format!(
            "error: {}: the checkpoint was trained on other data files than those in {} (train-labels-idx1-ubyte: train-labels-idx1-ubyte.gz, ",
            checkpoint.display(),
            data.display()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("then, train-labels-idx1-ubyte, 60008 bytes, crc32:"),
        "{stderr}"
    );
    assert!(
        stderr.ends_with("; resume with the --data it was trained on, or pass --force-resume\n"),
        "{stderr}"
    );
    other.push("--force-resume");
    let forced = mnist(&other);
    assert!(forced.status.success(), "{}", text(&forced.stderr));
    assert!(text(&forced.stdout).contains("--force-resume: the data files differ"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_second_signal_exits_at_once() {
    let dir = temp_dir("twice");
    let out = dir.join("out");
    let (child, stdout, seen) = start_training(&endless(&out));
    // Microseconds apart: the second arrives long before the first run
    // could have written its files (the manifest last).
    send(&["INT", "TERM"], child.id());
    let (code, stdout, stderr) = finish(child, stdout, seen);
    assert_eq!(code, 130, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        !out.join("manifest.json").exists(),
        "it stopped at once:\n{stdout}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn save_every_also_checkpoints_the_last_epoch() {
    let dir = temp_dir("save-every");
    let out = dir.join("out");
    let run = mnist(&[
        "--limit",
        "300",
        "--epochs",
        "4",
        "--save-every",
        "3",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let mut names: Vec<String> = std::fs::read_dir(out.join("checkpoints"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["epoch-3.safetensors", "epoch-4.safetensors"]);
    // The manifest vouches for both.
    let manifest = RunDir::verify(&out).unwrap();
    let listed: Vec<&str> = manifest.files.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        listed[4..],
        [
            "checkpoints/epoch-3.safetensors",
            "checkpoints/epoch-4.safetensors"
        ]
    );
    let _ = std::fs::remove_dir_all(&dir);
}
