//! Running the built examples from the end-to-end tests: where cargo put
//! them, and fresh temporary directories (`#[path]`-included).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The built example `name`: the test binary is
/// `target/<profile>/deps/<test>-…`, the example
/// `target/<profile>/examples/<name>`. Fails when it is missing or older than
/// its source (`cargo test --test broken_pipe` alone does not build examples).
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
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(format!("{name}.rs"));
    let edited = std::fs::metadata(&source)
        .and_then(|m| m.modified())
        .unwrap_or_else(|e| panic!("{}: {e}", source.display()));
    assert!(
        built >= edited,
        "example binary {} is older than {}; rebuild it (`cargo test` builds the examples)",
        path.display(),
        source.display()
    );
    path
}

/// A new empty directory under the system's temporary directory, unique to
/// this process, `tag` and the moment.
pub fn temp_dir(prefix: &str, tag: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!(
        "backprop-{prefix}-{tag}-{}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
