//! How every example ends. Each example is its own program; this file is
//! compiled into each with `#[path = "support/exit.rs"] mod exit;`.

use std::error::Error;
use std::io;
use std::process::ExitCode;

/// The exit status for a run's result: 0 on success; 0 without a word when
/// stdout is a pipe whose reader has gone (`… | head -1`: a `BrokenPipe`
/// anywhere in the error's source chain, from our own output or from the
/// trainer's progress line); otherwise `error: …` on stderr and status 1.
pub fn exit_code<T>(result: Result<T, Box<dyn Error>>) -> ExitCode {
    match result {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) if broken_pipe(e.as_ref()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Whether `e`, or an error it wraps, is a write to a closed pipe.
fn broken_pipe(e: &(dyn Error + 'static)) -> bool {
    std::iter::successors(Some(e), |e| (*e).source()).any(|e| {
        e.downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}
