//! Where an example's data is when `--data` is not given: `$BACKPROP_DATA`,
//! else `data/mnist` in the working directory, else `data/mnist` beside the
//! executable or in one of its ancestors (the repository's root for
//! `target/release/examples/<name>`). Never a path fixed when the example
//! was compiled: a copied binary reads the data where it is run, or says
//! where it looked. `#[path]`-included.

use std::path::{Path, PathBuf};

/// The environment variable naming the data directory when `--data` is not
/// given.
pub const DATA_ENV: &str = "BACKPROP_DATA";

/// Where the default data lives, relative to the working directory or to
/// one of the executable's ancestors.
const DEFAULT_DIR: &str = "data/mnist";

/// The data directory when `--data` is not given, and why it was chosen.
pub fn default_dir() -> Result<(PathBuf, String), String> {
    if let Some(dir) = std::env::var_os(DATA_ENV).filter(|v| !v.is_empty()) {
        return Ok((PathBuf::from(dir), DATA_ENV.into()));
    }
    let here = Path::new(DEFAULT_DIR);
    if here.is_dir() {
        return Ok((here.to_path_buf(), "in the working directory".into()));
    }
    let exe = std::env::current_exe().map_err(|e| format!("the executable's path: {e}"))?;
    for dir in exe.ancestors().skip(1) {
        let candidate = dir.join(DEFAULT_DIR);
        if candidate.is_dir() {
            return Ok((
                candidate,
                format!("beside the executable, {}", exe.display()),
            ));
        }
    }
    let cwd = std::env::current_dir().map_or_else(|_| ".".into(), |d| d.display().to_string());
    Err(format!(
        "no data: give --data DIR (or the four files), or set {DATA_ENV}; there is no {DEFAULT_DIR} in the working directory ({cwd}) nor beside the executable ({}) or in any of its parent directories",
        exe.display()
    ))
}
