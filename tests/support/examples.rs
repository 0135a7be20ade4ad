//! Running the built examples from the end-to-end tests: where cargo put
//! them, running one to the end, and fresh temporary directories
//! (`#[path]`-included).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The built example `name`: the test binary is
/// `target/<profile>/deps/<test>-…`, the example
/// `target/<profile>/examples/<name>`. Fails when it is missing or older than
/// any of its sources (`cargo test --test broken_pipe` alone does not build
/// examples): `examples/<name>.rs`, `examples/support/`, the facade's `src/`
/// and `crates/*/src/` ([`SOURCES`]), by the newest modification time among
/// them.
pub fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test binary lives in target/<profile>/deps");
    let path = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    let built = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .unwrap_or_else(|e| {
            panic!(
                "example binary {} not found ({e}); run `cargo test` without --test, \
                 which builds the examples, or `cargo build --example {name}` with the same profile",
                path.display()
            )
        });
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let own = root.join("examples").join(format!("{name}.rs"));
    let edited = std::fs::metadata(&own)
        .and_then(|m| m.modified())
        .unwrap_or_else(|e| panic!("{}: {e}", own.display()));
    let mut newest = (edited, own);
    for dir in SOURCES {
        newest_in(&root.join(dir), &mut newest);
    }
    let crates = std::fs::read_dir(root.join("crates"));
    for krate in crates.into_iter().flatten().flatten() {
        newest_in(&krate.path().join("src"), &mut newest);
    }
    let (edited, source) = newest;
    assert!(
        built >= edited,
        "example binary {} is older than {}; rebuild it (`cargo test` builds the examples)",
        path.display(),
        source.display()
    );
    path
}

/// The built example `name` run to the end with `args` in the working
/// directory `cwd`: `BACKPROP_DATA` unset, no stdin.
pub fn run_in(name: &str, cwd: &Path, args: &[&str]) -> Output {
    Command::new(example(name))
        .args(args)
        .current_dir(cwd)
        .env_remove("BACKPROP_DATA")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{name} does not start: {e}"))
}

/// [`run_in`] from the repository's root.
pub fn run(name: &str, args: &[&str]) -> Output {
    run_in(name, Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

/// The folders, below the repository's root, whose files every example is
/// built from besides its own `examples/<name>.rs`: the examples' shared
/// modules and the facade; with them the `src/` of every crate under
/// `crates/` (the facade depends on each of them).
const SOURCES: [&str; 2] = ["examples/support", "src"];

/// Raises `newest` to the latest modification time of a file below `dir`
/// (recursively), with that file; a folder that cannot be read is passed
/// over.
fn newest_in(dir: &Path, newest: &mut (std::time::SystemTime, PathBuf)) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(meta) = entry.metadata() else { continue };
        if meta.is_dir() {
            newest_in(&entry.path(), newest);
        } else if let Ok(t) = meta.modified()
            && t > newest.0
        {
            *newest = (t, entry.path());
        }
    }
}

/// A new empty directory under Cargo's scratch directory for integration
/// tests (`CARGO_TARGET_TMPDIR`, inside the target directory, so whatever a
/// test leaves there — a fixture shared by a whole test binary, or the files
/// of a failed test kept for a look — goes with `cargo clean` and never
/// piles up in the system's `/tmp`), unique to this process, `tag` and the
/// moment.
pub fn temp_dir(prefix: &str, tag: &str) -> PathBuf {
    new_dir_in(Path::new(env!("CARGO_TARGET_TMPDIR")), prefix, tag)
}

/// Like [`temp_dir`], but under the system's temporary directory, outside
/// the checkout: for a test whose subject looks through a path's parent
/// directories (an executable's `data/mnist`), which under
/// `CARGO_TARGET_TMPDIR` would find the checkout's own `data/` whenever the
/// target directory is inside the checkout (cargo's default). The test must
/// remove it.
pub fn temp_dir_outside_checkout(prefix: &str, tag: &str) -> PathBuf {
    let dir = new_dir_in(&std::env::temp_dir(), prefix, tag);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert!(
        !dir.starts_with(root),
        "{} is inside the checkout {}",
        dir.display(),
        root.display()
    );
    dir
}

/// A new empty directory `backprop-<prefix>-<tag>-<pid>-<nanos>` in `parent`.
fn new_dir_in(parent: &Path, prefix: &str, tag: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let dir = parent.join(format!(
        "backprop-{prefix}-{tag}-{}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
