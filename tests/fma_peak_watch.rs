//! `fma_peak --watch SECONDS`: a value that is not a number of seconds in
//! (0, 3600] is refused before any work, naming what was expected and
//! found; a valid one prints one line per 100 ms window and the windows'
//! sums in the JSON line.

#[path = "support/examples.rs"]
mod examples;
use examples::example;

use std::process::{Command, Stdio};

fn run(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(example("fma_peak"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("fma_peak starts");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_bad_watch_time_is_refused_with_what_was_expected() {
    for (value, expected) in [
        (
            "0",
            "expected more than 0 and at most 3600 seconds, found 0",
        ),
        (
            "-1",
            "expected more than 0 and at most 3600 seconds, found -1",
        ),
        (
            "3601",
            "expected more than 0 and at most 3600 seconds, found 3601",
        ),
        (
            "nan",
            "expected more than 0 and at most 3600 seconds, found nan",
        ),
        ("soon", "expected a number of seconds, found `soon`"),
    ] {
        let (ok, stdout, stderr) = run(&["--watch", value]);
        assert!(!ok, "--watch {value} was accepted");
        assert!(stderr.contains(expected), "--watch {value}: {stderr}");
        assert!(!stdout.contains("GFLOP/s"), "--watch {value} ran: {stdout}");
    }
}

#[test]
fn watching_prints_each_window_and_their_sums() {
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
        let (ok, stdout, stderr) = run(&["--watch", "0.3"]);
        assert!(ok, "{stderr}");
        let windows = stdout.lines().filter(|l| l.contains(" s: ")).count();
        assert_eq!(windows, 3, "{stdout}");
        let json: serde_json::Value =
            serde_json::from_str(stdout.lines().last().expect("a JSON line")).unwrap();
        let sums = json["window_gflops"].as_array().expect("window_gflops");
        assert_eq!(sums.len(), 3);
        assert!(
            sums.iter().all(|s| s.as_f64().is_some_and(|s| s > 0.0)),
            "{json}"
        );
        // `slow_windows` counts the sums below 1.5 × the one-thread rate.
        let one = json["fma_peak_gflops_1t"]
            .as_f64()
            .expect("fma_peak_gflops_1t");
        let below = sums
            .iter()
            .filter(|s| s.as_f64().unwrap() < 1.5 * one)
            .count() as u64;
        assert_eq!(json["slow_windows"].as_u64(), Some(below), "{json}");
    }
}
