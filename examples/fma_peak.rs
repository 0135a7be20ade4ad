//! The hardware's limit for `f32` arithmetic on this machine: the rate of
//! fused multiply-adds the CPU sustains on one thread and on all of its
//! cores, counted as 2 FLOPs each (as `2·m·n·k` counts a product). A
//! benchmark's GFLOP/s divided by this is the fraction of the machine it
//! uses, whatever any library reaches.
//!
//! ```sh
//! cargo run --release --example fma_peak
//! ```
//!
//! Prints one JSON line: `fma_peak_gflops_1t`, `fma_peak_gflops_all` (on
//! `threads` threads, one per core). Each is the median of five timed runs
//! of 12 independent chains of 8-lane FMAs (enough to hide the FMA latency
//! of current x86-64 cores). Needs x86-64 with AVX2 and FMA.
//!
//! `--watch SECONDS` then keeps every core busy with the same loop for that
//! long and prints, per 100 ms window, each thread's rate and their sum:
//! on a shared virtual machine the sum sometimes drops to one core's rate
//! for a while (as if the host ran two vCPUs on one core), and every
//! multi-threaded benchmark run in such a window is slower. The JSON line
//! then also has `window_gflops` (the sums) and `slow_windows` (how many
//! sums were below 1.5 × the one-thread rate).
//!
//! ```sh
//! cargo run --release --example fma_peak -- --watch 5
//! ```

#[path = "support/exit.rs"]
mod exit;

use clap::Parser;
use std::io::{self, Write};
use std::process::ExitCode;
use std::sync::Barrier;
use std::time::Instant;

/// FMA instructions per chain per timed run.
const ITERS: u64 = 50_000_000;

/// FLOPs per step of [`fma_loop`]: 12 chains of 8-lane FMAs, 2 FLOPs each.
const FLOPS_PER_STEP: f64 = 12.0 * 8.0 * 2.0;

/// The command line: `--watch` only; `--help` says what is measured.
#[derive(Parser, Debug)]
#[command(
    about = "Measure this CPU's f32 FMA peak (GFLOP/s) on one thread and on all cores",
    long_about = "Measure this CPU's f32 FMA peak: the rate of fused multiply-adds one thread \
                  and all cores sustain, counted as 2 FLOPs each (as 2·m·n·k counts a matrix \
                  product). Each figure is the median of five timed runs of 12 independent \
                  chains of 8-lane AVX2 FMAs. Prints one line for people and one JSON line \
                  (fma_peak_gflops_1t, fma_peak_gflops_all, threads); with --watch, one line \
                  per 100 ms window before it and window_gflops, slow_windows in it. Takes a \
                  few seconds; needs x86-64 with AVX2 and FMA."
)]
struct Args {
    /// After the peak, keep every core busy for SECONDS and print each
    /// 100 ms window's rate per thread and in all (at most 3600)
    #[arg(long, value_name = "SECONDS", value_parser = seconds, allow_negative_numbers = true)]
    watch: Option<f64>,
}

/// `--watch`'s value: seconds in (0, 3600].
fn seconds(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 3600.0 => Ok(v),
        Ok(_) => Err(format!(
            "expected more than 0 and at most 3600 seconds, found {s}"
        )),
        Err(_) => Err(format!("expected a number of seconds, found `{s}`")),
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let one = median(|| rate(1));
        let all = median(|| rate(threads));
        let windows = args.watch.map(|secs| watch(threads, secs));
        return exit::exit_code(print(one, all, threads, windows).map_err(Box::from));
    }
    let _ = args; // unused without AVX2 and FMA
    eprintln!("error: fma_peak needs an x86-64 CPU with AVX2 and FMA");
    ExitCode::FAILURE
}

/// The results on stdout: the peak, with `--watch` one line per window,
/// then the JSON line.
#[cfg(target_arch = "x86_64")]
fn print(one: f64, all: f64, threads: usize, windows: Option<Vec<Vec<f64>>>) -> io::Result<()> {
    let mut out = io::stdout();
    writeln!(
        out,
        "fma peak, f32: {one:.1} GFLOP/s on one thread, {all:.1} GFLOP/s on {threads} threads"
    )?;
    let mut json = serde_json::json!({
        "fma_peak_gflops_1t": one,
        "fma_peak_gflops_all": all,
        "threads": threads,
    });
    if let Some(windows) = windows {
        let sums: Vec<f64> = windows.iter().map(|w| w.iter().sum()).collect();
        for (i, (w, sum)) in windows.iter().zip(&sums).enumerate() {
            let each: Vec<String> = w.iter().map(|r| format!("{r:.0}")).collect();
            writeln!(
                out,
                "{:6.1} s: {} = {sum:.0} GFLOP/s",
                (i + 1) as f64 * WINDOW.as_secs_f64(),
                each.join(" + ")
            )?;
        }
        let slow = sums.iter().filter(|&&s| s < SLOW_BELOW * one).count();
        json["window_gflops"] = serde_json::json!(sums);
        json["slow_windows"] = serde_json::json!(slow);
    }
    writeln!(out, "{json}")
}

/// A `--watch` window is slow when all threads together reach less than
/// this many times the one-thread peak.
const SLOW_BELOW: f64 = 1.5;

/// One window of `--watch`.
const WINDOW: std::time::Duration = std::time::Duration::from_millis(100);

/// FMA steps per chain between two looks at the clock (well under a
/// millisecond).
const WATCH_ITERS: u64 = 20_000;

/// `threads` threads running the FMA loop for `secs` seconds, started
/// together; per window (in order), each thread's GFLOP/s.
#[cfg(target_arch = "x86_64")]
fn watch(threads: usize, secs: f64) -> Vec<Vec<f64>> {
    let count = (secs / WINDOW.as_secs_f64()).ceil().max(1.0) as usize;
    let barrier = Barrier::new(threads);
    let per_thread: Vec<Vec<f64>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    (0..count)
                        .map(|_| {
                            let start = Instant::now();
                            let mut steps = 0_u64;
                            while start.elapsed() < WINDOW {
                                // SAFETY: AVX2 and FMA were detected in main.
                                std::hint::black_box(unsafe { fma_loop(WATCH_ITERS) });
                                steps += WATCH_ITERS;
                            }
                            steps as f64 * FLOPS_PER_STEP / start.elapsed().as_secs_f64() / 1e9
                        })
                        .collect()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    (0..count)
        .map(|i| {
            per_thread
                .iter()
                .filter_map(|t| t.get(i).copied())
                .collect()
        })
        .collect()
}

/// The median of five calls of `f`.
fn median(f: impl Fn() -> f64) -> f64 {
    let mut v: Vec<f64> = (0..5).map(|_| f()).collect();
    v.sort_by(f64::total_cmp);
    v[2]
}

/// GFLOP/s of `threads` threads each running the FMA loop, started together.
#[cfg(target_arch = "x86_64")]
fn rate(threads: usize) -> f64 {
    let barrier = Barrier::new(threads + 1);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                barrier.wait();
                // SAFETY: AVX2 and FMA were detected in main.
                std::hint::black_box(unsafe { fma_loop(ITERS) });
                barrier.wait();
            });
        }
        barrier.wait();
        let start = Instant::now();
        barrier.wait();
        let flops = threads as f64 * ITERS as f64 * FLOPS_PER_STEP;
        flops / start.elapsed().as_secs_f64() / 1e9
    })
}

/// 12 independent chains of `_mm256_fmadd_ps`, `iters` steps each.
///
/// # Safety
/// The CPU has AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn fma_loop(iters: u64) -> f32 {
    use std::arch::x86_64::*;
    let a = _mm256_set1_ps(1.000_000_1);
    let b = _mm256_set1_ps(0.999_999_9);
    let mut acc = [_mm256_setzero_ps(); 12];
    for _ in 0..iters {
        for x in acc.iter_mut() {
            *x = _mm256_fmadd_ps(a, b, *x);
        }
    }
    let mut sum = _mm256_setzero_ps();
    for x in acc {
        sum = _mm256_add_ps(sum, x);
    }
    let mut out = [0.0_f32; 8];
    // SAFETY: `out` holds 8 floats.
    unsafe { _mm256_storeu_ps(out.as_mut_ptr(), sum) };
    out.iter().sum()
}
