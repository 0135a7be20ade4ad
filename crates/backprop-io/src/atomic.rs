//! Atomic file writes: a temporary file in the same directory, flushed and
//! synced, then renamed over the destination.

use crate::{IoError, Result};
use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn io(file: &Path) -> impl Fn(std::io::Error) -> IoError + '_ {
    move |source| IoError::Io {
        file: file.to_path_buf(),
        source,
    }
}

/// A fresh temporary name next to `path`: `.{name}.tmp.{pid}.{n}`.
fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(".{name}.tmp.{}.{n}", std::process::id()))
}

/// Removes the temporary files that writes of `path` killed before their
/// rename left behind (`.{name}.tmp.{pid}.{n}` beside it), when process
/// `pid` is no longer running. Linux only, where `/proc/{pid}` says whether
/// a process runs; elsewhere nothing is removed. Best effort: a file that
/// cannot be listed or removed is left. A process of another PID namespace
/// writing into the same directory looks dead from here; its write then
/// fails with an error and leaves its target file as it was.
fn remove_stale_temporaries(path: &Path) {
    if !cfg!(target_os = "linux") || !Path::new("/proc/self").exists() {
        return;
    }
    let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return;
    };
    let prefix = format!(".{name}.tmp.");
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let me = std::process::id();
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(rest) = file_name.to_str().and_then(|n| n.strip_prefix(&prefix)) else {
            continue;
        };
        let Some((pid, n)) = rest.split_once('.') else {
            continue;
        };
        let (Ok(pid), true) = (
            pid.parse::<u32>(),
            !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()),
        ) else {
            continue;
        };
        if pid != me && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Writes a file atomically: `write` fills a temporary file in `path`'s
/// directory (through a buffered [`Write`]), which is then flushed, synced to
/// disk and renamed over `path`; the directory is synced after the rename.
///
/// If `write` fails, or any step after it, the temporary file is removed and
/// `path` is left exactly as it was (absent, or its previous contents): a
/// reader never sees a half-written file. The serialisers of this crate go
/// through `write`, so a failing writer can be injected in tests.
///
/// A write killed before its rename (`kill -9`, a power cut) leaves its
/// temporary file; the next write of the same file name in that directory
/// removes those whose process is no longer running (on Linux).
///
/// ```
/// use backprop_io::{IoError, write_atomic};
/// use std::io::Write;
/// let dir = std::env::temp_dir().join(format!("backprop-io-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).map_err(|source| IoError::Io { file: dir.clone(), source })?;
/// let path = dir.join("hello.txt");
/// write_atomic(&path, |w| w.write_all(b"first").map_err(|source| IoError::Io { file: path.clone(), source }))?;
/// // A write that fails half-way leaves the previous contents.
/// let failed = write_atomic(&path, |w| {
///     let _ = w.write_all(b"sec");
///     Err(IoError::Architecture { reason: "injected".into() })
/// });
/// assert!(failed.is_err());
/// assert_eq!(std::fs::read(&path).ok().as_deref(), Some(&b"first"[..]));
/// # let _ = std::fs::remove_dir_all(&dir);
/// # Ok::<(), IoError>(())
/// ```
pub fn write_atomic(
    path: impl AsRef<Path>,
    write: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<()> {
    let path = path.as_ref();
    remove_stale_temporaries(path);
    let tmp = temp_path(path);
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(io(path))?;
    let result = (|| {
        let mut w = BufWriter::new(file);
        write(&mut w)?;
        w.flush().map_err(io(path))?;
        let file: File = w.into_inner().map_err(|e| io(path)(e.into_error()))?;
        file.sync_all().map_err(io(path))?;
        drop(file);
        fs::rename(&tmp, path).map_err(io(path))
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    // Make the rename itself durable. Best effort: the new file is already in
    // place, so a failure here is not reported as a failed write.
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

/// Writes all of `bytes` to `path` with [`write_atomic`]: a reader sees the
/// previous file or the whole new one, never a part. A failed write is
/// [`IoError::Io`] naming `path`.
///
/// ```
/// use backprop_io::{IoError, write_bytes_atomic};
/// let dir = std::env::temp_dir().join(format!("backprop-io-bytes-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).map_err(|source| IoError::Io { file: dir.clone(), source })?;
/// let path = dir.join("hello.txt");
/// write_bytes_atomic(&path, b"hello")?;
/// assert_eq!(std::fs::read(&path).ok().as_deref(), Some(&b"hello"[..]));
/// # let _ = std::fs::remove_dir_all(&dir);
/// # Ok::<(), IoError>(())
/// ```
pub fn write_bytes_atomic(path: impl AsRef<Path>, bytes: &[u8]) -> Result<()> {
    let path = path.as_ref();
    write_atomic(path, |w| w.write_all(bytes).map_err(io(path)))
}
