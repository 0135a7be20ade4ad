//! The examples on a closed stdout (`cargo run --example … | head -1` once
//! `head` has gone): they stop quietly with status 0 instead of panicking in
//! `println!`; any other failed write to stdout is `error: …` and status 1.
//!
//! Runs the example binaries that `cargo test` builds next to the test
//! binaries (`target/<profile>/examples/`), on the quick examples that need no
//! MNIST files.

#[path = "support/examples.rs"]
mod examples;
use examples::example;

use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Runs `cmd` with stdout the write end of a pipe whose read end is closed
/// before the child starts, so its first write to stdout fails with EPIPE.
fn run_on_closed_pipe(cmd: &mut Command) -> Output {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    cmd.stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .expect("the example starts")
}

fn assert_quiet_success(what: &str, out: &Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked"),
        "{what} panicked on a closed stdout:\n{stderr}"
    );
    assert!(
        out.status.success(),
        "{what} on a closed stdout: expected status 0, found {}; stderr:\n{stderr}",
        out.status
    );
    assert!(
        !stderr.contains("error"),
        "{what} on a closed stdout should stop quietly, but printed:\n{stderr}"
    );
}

#[test]
fn xor_stops_quietly_when_stdout_is_closed() {
    let out = run_on_closed_pipe(&mut Command::new(example("xor")));
    assert_quiet_success("xor", &out);
}

#[test]
fn csv_stops_quietly_when_stdout_is_closed() {
    let moons = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data/moons.csv");
    let out = run_on_closed_pipe(
        Command::new(example("csv"))
            .arg("--quiet")
            .arg("--train")
            .arg(&moons)
            .args(["--label", "label", "--task", "binary"]),
    );
    assert_quiet_success("csv", &out);
}

#[test]
fn spiral_stops_quietly_when_stdout_is_closed() {
    // Its first line is printed before training, so nothing is written to --out.
    let dir = examples::temp_dir("broken-pipe", "spiral");
    let out_png = dir.join("spiral.png");
    let out = run_on_closed_pipe(Command::new(example("spiral")).arg("--out").arg(&out_png));
    assert_quiet_success("spiral", &out);
    assert!(!out_png.exists(), "spiral went on after stdout closed");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Any other failed write is an error: `/dev/full` fails every write with
/// ENOSPC.
#[cfg(target_os = "linux")]
#[test]
fn another_write_error_on_stdout_is_error_and_status_1() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let out = Command::new(example("xor"))
        .stdin(Stdio::null())
        .stdout(full)
        .stderr(Stdio::piped())
        .output()
        .expect("xor starts");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr:\n{stderr}");
    assert_eq!(stderr, "error: No space left on device (os error 28)\n");
}
