//! A run's directory ([`RunDir`]): owned by one run at a time (an advisory
//! lock), and holding a consistent set of files (a [`Manifest`] written
//! last, which [`RunDir::verify`] checks).

use crate::fingerprint::{ALGORITHM, file_checksum};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Component, Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};
use thiserror::Error;

/// The lock file in a run's directory.
pub const LOCK_FILE: &str = ".lock";
/// The manifest in a run's directory.
pub const MANIFEST_FILE: &str = "manifest.json";
/// The format name written in a manifest.
pub const MANIFEST_FORMAT: &str = "backprop.run";
/// The manifest version this build writes and reads.
pub const MANIFEST_VERSION: u64 = 1;

/// What can go wrong with a run's directory.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum RunDirError {
    /// The path names something that is not a directory.
    #[error(
        "{} exists and is not a directory: give a directory for the run's files",
        path.display()
    )]
    NotADirectory {
        /// The path.
        path: PathBuf,
    },
    /// Another run holds the directory's lock.
    #[error("{}", locked_message(dir, holder.as_ref()))]
    Locked {
        /// The directory.
        dir: PathBuf,
        /// Who holds it, as its lock file says (`None` if unreadable).
        holder: Option<LockHolder>,
    },
    /// The directory has no manifest: its run has not finished (it is
    /// running, or was killed), or it was not written by a run.
    #[error(
        "{} has no {MANIFEST_FILE}: its run is still going, was killed before it finished, or wrote no manifest; its files are not known to belong together",
        dir.display()
    )]
    NoManifest {
        /// The directory.
        dir: PathBuf,
    },
    /// The manifest is not one.
    #[error("{}: not a run manifest: {reason}", path.display())]
    BadManifest {
        /// The manifest.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// [`RunDir::commit`] was asked to list a path outside the directory.
    #[error(
        "{}: not a path inside the run's directory {}: the manifest lists the run's own files, by paths relative to it",
        path.display(),
        dir.display()
    )]
    Outside {
        /// The directory.
        dir: PathBuf,
        /// The path given.
        path: PathBuf,
    },
    /// A file does not match its manifest entry.
    #[error(
        "{}: {reason}, unlike the run's {MANIFEST_FILE}: the directory's files do not belong together (another run wrote over them, or they were edited); rerun, or restore the file",
        file.display()
    )]
    Mismatch {
        /// The file.
        file: PathBuf,
        /// How it differs (`"2048 bytes, 1024 listed"`, a missing file).
        reason: String,
    },
    /// A file system operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

fn locked_message(dir: &Path, holder: Option<&LockHolder>) -> String {
    let who = match holder {
        Some(h) => format!(" (pid {}, started {})", h.pid, h.started),
        None => String::new(),
    };
    format!(
        "{} is in use by another run{who}: wait for it to finish, or give another directory",
        dir.display()
    )
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> RunDirError + '_ {
    move |source| RunDirError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Who holds a run directory's lock, as written in its lock file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockHolder {
    /// The process id.
    pub pid: u32,
    /// When it took the lock, in UTC (`2026-12-06T01:50:03Z`).
    pub started: String,
}

/// One file of a run: its path relative to the run's directory (with `/`),
/// size and checksum (`"crc32:…"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestEntry {
    /// The path, relative to the directory, `/`-separated.
    pub path: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// Its checksum, as [`file_checksum`] gives it.
    pub checksum: String,
}

/// The files of a finished run, written last into its directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// [`MANIFEST_FORMAT`].
    pub format: String,
    /// [`MANIFEST_VERSION`].
    pub version: u64,
    /// When it was written, in UTC.
    pub written: String,
    /// Each file, in the order given to [`RunDir::commit`].
    pub files: Vec<ManifestEntry>,
}

impl Manifest {
    /// The entry of `path` (relative, `/`-separated), if listed.
    pub fn get(&self, path: &str) -> Option<&ManifestEntry> {
        self.files.iter().find(|e| e.path == path)
    }
}

/// A run's directory, owned by this run while the value lives.
///
/// [`open`](Self::open) refuses a path that is a file, creates the
/// directory, takes an advisory lock on `dir/.lock` (a second run on the
/// same directory is refused at once with [`RunDirError::Locked`], naming
/// the first run's pid and start time), and removes the previous run's
/// manifest, so that a run killed from then on leaves no manifest vouching
/// for a mix of old and new files. When every file is written,
/// [`commit`](Self::commit) writes `dir/manifest.json` (atomically, last)
/// naming each file with its size and checksum; [`verify`](Self::verify)
/// refuses a directory whose files disagree with it.
///
/// The lock is released when the value is dropped (or the process ends,
/// killed or not: it is the operating system's); the lock file stays.
///
/// ```
/// use backprop_train::{RunDir, RunDirError};
/// let dir = std::env::temp_dir().join(format!("backprop-run-dir-doc-{}", std::process::id()));
/// let run = RunDir::open(&dir)?;
/// // A second run on the same directory is refused while the first holds it.
/// assert!(matches!(RunDir::open(&dir), Err(RunDirError::Locked { .. })));
/// std::fs::write(run.path().join("result.txt"), b"42").map_err(|e| RunDirError::Io { path: dir.clone(), source: e })?;
/// run.commit(["result.txt"])?;
/// let manifest = RunDir::verify(&dir)?;
/// assert_eq!(manifest.get("result.txt").map(|e| e.bytes), Some(2));
/// // A file changed afterwards is caught.
/// std::fs::write(dir.join("result.txt"), b"43").map_err(|e| RunDirError::Io { path: dir.clone(), source: e })?;
/// assert!(matches!(RunDir::verify(&dir), Err(RunDirError::Mismatch { .. })));
/// # drop(run);
/// # let _ = std::fs::remove_dir_all(&dir);
/// # Ok::<(), RunDirError>(())
/// ```
#[derive(Debug)]
pub struct RunDir {
    dir: PathBuf,
    /// Open, and locked, for as long as the run owns the directory.
    _lock: File,
    holder: LockHolder,
}

impl RunDir {
    /// Takes `dir` for a run (see [`RunDir`]).
    pub fn open(dir: impl AsRef<Path>) -> Result<Self, RunDirError> {
        let dir = dir.as_ref().to_path_buf();
        match std::fs::metadata(&dir) {
            Ok(m) if !m.is_dir() => return Err(RunDirError::NotADirectory { path: dir }),
            _ => {}
        }
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let lock_path = dir.join(LOCK_FILE);
        let mut lock = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(io(&lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut text = String::new();
                let holder = lock
                    .read_to_string(&mut text)
                    .ok()
                    .and_then(|_| serde_json::from_str(&text).ok());
                return Err(RunDirError::Locked { dir, holder });
            }
            Err(TryLockError::Error(e)) => return Err(io(&lock_path)(e)),
        }
        let holder = LockHolder {
            pid: std::process::id(),
            started: utc_now(),
        };
        let text = serde_json::to_string(&holder).unwrap_or_default();
        lock.set_len(0)
            .and_then(|()| lock.seek(SeekFrom::Start(0)))
            .and_then(|_| lock.write_all(text.as_bytes()))
            .and_then(|()| lock.sync_all())
            .map_err(io(&lock_path))?;
        let manifest = dir.join(MANIFEST_FILE);
        match std::fs::remove_file(&manifest) {
            Ok(()) => sync_dir(&dir),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(&manifest)(e)),
        }
        Ok(Self {
            dir,
            _lock: lock,
            holder,
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// This run's pid and start time, as its lock file says.
    pub fn holder(&self) -> &LockHolder {
        &self.holder
    }

    /// Writes the manifest: each of `files` (paths relative to the
    /// directory, e.g. `"model.safetensors"`, `"checkpoints/epoch-3.safetensors"`)
    /// with its size and checksum, atomically (`backprop_io::write_atomic`),
    /// after every file it names is in place. Call it last, once.
    pub fn commit<P: AsRef<Path>>(
        &self,
        files: impl IntoIterator<Item = P>,
    ) -> Result<Manifest, RunDirError> {
        let mut entries = Vec::new();
        for rel in files {
            let name = relative_name(rel.as_ref()).ok_or_else(|| RunDirError::Outside {
                dir: self.dir.clone(),
                path: rel.as_ref().to_path_buf(),
            })?;
            let path = self.dir.join(rel.as_ref());
            let (bytes, checksum) = file_checksum(&path).map_err(io(&path))?;
            entries.push(ManifestEntry {
                path: name,
                bytes,
                checksum,
            });
        }
        let manifest = Manifest {
            format: MANIFEST_FORMAT.into(),
            version: MANIFEST_VERSION,
            written: utc_now(),
            files: entries,
        };
        let path = self.dir.join(MANIFEST_FILE);
        let json = serde_json::to_string_pretty(&manifest).unwrap_or_default();
        backprop_io::write_atomic(&path, |w| {
            w.write_all(json.as_bytes())
                .and_then(|()| w.write_all(b"\n"))
                .map_err(|source| backprop_io::IoError::Io {
                    file: path.clone(),
                    source,
                })
        })
        .map_err(|e| match e {
            backprop_io::IoError::Io { file, source } => RunDirError::Io { path: file, source },
            other => RunDirError::BadManifest {
                path: path.clone(),
                reason: other.to_string(),
            },
        })?;
        Ok(manifest)
    }

    /// Checks a finished run's directory: reads its manifest and checks
    /// that every file it names is there with its size and checksum.
    /// Returns the manifest, or the first disagreement: no manifest
    /// ([`RunDirError::NoManifest`]: a run still going or killed), a
    /// manifest that is not one, a file missing or different
    /// ([`RunDirError::Mismatch`], naming the file).
    pub fn verify(dir: impl AsRef<Path>) -> Result<Manifest, RunDirError> {
        let dir = dir.as_ref();
        let path = dir.join(MANIFEST_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if !dir.is_dir() {
                    return Err(io(dir)(e));
                }
                return Err(RunDirError::NoManifest {
                    dir: dir.to_path_buf(),
                });
            }
            Err(e) => return Err(io(&path)(e)),
        };
        let bad = |reason: String| RunDirError::BadManifest {
            path: path.clone(),
            reason,
        };
        let manifest: Manifest = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        if manifest.format != MANIFEST_FORMAT || manifest.version != MANIFEST_VERSION {
            return Err(bad(format!(
                "format {:?} version {}, this build reads {MANIFEST_FORMAT:?} version {MANIFEST_VERSION}",
                manifest.format, manifest.version
            )));
        }
        for entry in &manifest.files {
            let rel = Path::new(&entry.path);
            if relative_name(rel).as_deref() != Some(entry.path.as_str()) {
                return Err(bad(format!(
                    "{:?} is not a path inside the run's directory",
                    entry.path
                )));
            }
            if !entry.checksum.starts_with(&format!("{ALGORITHM}:")) {
                return Err(bad(format!(
                    "the checksum of {} is {:?}, not {ALGORITHM}",
                    entry.path, entry.checksum
                )));
            }
            let file = dir.join(rel);
            let mismatch = |reason: String| RunDirError::Mismatch {
                file: file.clone(),
                reason,
            };
            let (bytes, checksum) = match file_checksum(&file) {
                Ok(found) => found,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(mismatch("missing".into()));
                }
                Err(e) => return Err(io(&file)(e)),
            };
            if bytes != entry.bytes {
                return Err(mismatch(format!("{bytes} bytes, {} listed", entry.bytes)));
            }
            if checksum != entry.checksum {
                return Err(mismatch(format!(
                    "checksum {checksum}, {} listed",
                    entry.checksum
                )));
            }
        }
        Ok(manifest)
    }
}

/// `rel` as a manifest path (`/`-separated) when it stays inside the
/// directory: relative, with no `..`.
fn relative_name(rel: &Path) -> Option<String> {
    let mut parts = Vec::new();
    for c in rel.components() {
        match c {
            Component::Normal(p) => parts.push(p.to_str()?.to_string()),
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// Best effort: make a removal in `dir` durable.
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Now, in UTC: `2026-12-06T01:50:03Z`.
fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    utc(secs)
}

/// `secs` after the Unix epoch as an ISO 8601 UTC time (days to a civil
/// date as in Howard Hinnant's `civil_from_days`).
fn utc(secs: u64) -> String {
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc(1_709_210_096), "2024-02-29T12:34:56Z");
        assert_eq!(utc(4_102_444_799), "2099-12-31T23:59:59Z");
    }

    #[test]
    fn relative_names_stay_inside() {
        assert_eq!(
            relative_name(Path::new("checkpoints/epoch-1.safetensors")).as_deref(),
            Some("checkpoints/epoch-1.safetensors")
        );
        assert_eq!(relative_name(Path::new("./a")).as_deref(), Some("a"));
        assert_eq!(relative_name(Path::new("../a")), None);
        assert_eq!(relative_name(Path::new("/etc/passwd")), None);
        assert_eq!(relative_name(Path::new("")), None);
    }
}
