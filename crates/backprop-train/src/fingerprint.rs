//! Checksums: of a file ([`file_checksum`], for a run's manifest and a
//! program's record of its data files) and of a [`Dataset`]
//! ([`data_fingerprint`], which a checkpoint records so that a resume on
//! other data is refused).
//!
//! The checksum is CRC-32 (IEEE), written `"crc32:"` and eight lowercase hex
//! digits: it catches a changed, truncated or mixed-up file, not a forgery.

use backprop_data::{Dataset, Features, Targets};
use serde_json::{Value, json};
use std::io::Read;
use std::path::Path;

/// The prefix of every checksum this crate writes.
pub(crate) const ALGORITHM: &str = "crc32";

/// A running checksum.
#[derive(Default)]
pub(crate) struct Checksum(crc32fast::Hasher);

impl Checksum {
    pub(crate) fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
    /// `"crc32:0123abcd"`.
    pub(crate) fn finish(self) -> String {
        format!("{ALGORITHM}:{:08x}", self.0.finalize())
    }
}

/// The size in bytes and the checksum (`"crc32:…"`) of the file at `path`,
/// read in blocks.
///
/// ```
/// let path = std::env::temp_dir().join(format!("backprop-checksum-doc-{}", std::process::id()));
/// std::fs::write(&path, b"123456789")?;
/// let (size, sum) = backprop_train::file_checksum(&path)?;
/// assert_eq!((size, sum.as_str()), (9, "crc32:cbf43926"));
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn file_checksum(path: impl AsRef<Path>) -> std::io::Result<(u64, String)> {
    let mut file = std::fs::File::open(path)?;
    let mut c = Checksum::default();
    let mut buf = vec![0u8; 1 << 16];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        c.update(&buf[..n]);
        size += n as u64;
    }
    Ok((size, c.finish()))
}

/// A fingerprint of a dataset: its sample, feature and class (or output)
/// counts and one checksum over its features (as the model sees them, so a
/// different pixel scale counts as different data) and its labels or
/// targets, as JSON:
/// `{"samples": 60000, "features": 784, "classes": 10, "checksum": "crc32:…"}`.
///
/// A [`Checkpointer`](crate::Checkpointer) records it, and a run
/// [`resume`](crate::resume)d from the checkpoint refuses data whose
/// fingerprint differs (unless [forced](crate::Trainer::force_resume)).
///
/// ```
/// use backprop_data::Dataset;
/// use backprop_train::data_fingerprint;
/// let a = Dataset::from_f32(vec![0.0, 1.0, 2.0, 3.0], 2, vec![0, 1], 2)?;
/// let b = Dataset::from_f32(vec![0.0, 1.0, 2.0, 3.5], 2, vec![0, 1], 2)?;
/// assert_eq!(data_fingerprint(&a)["samples"], 2);
/// assert_ne!(data_fingerprint(&a), data_fingerprint(&b));
/// # Ok::<(), backprop_data::DataError>(())
/// ```
pub fn data_fingerprint(data: &Dataset) -> Value {
    let mut c = Checksum::default();
    match data.features() {
        Features::U8 {
            data: pixels,
            scale,
        } => {
            c.update(b"u8");
            for p in 0..=255u8 {
                c.update(&scale.apply(p).to_le_bytes());
            }
            c.update(pixels);
        }
        Features::F32(values) => {
            c.update(b"f32");
            for v in values {
                c.update(&v.to_le_bytes());
            }
        }
    }
    let mut out = json!({
        "samples": data.len(),
        "features": data.n_features(),
    });
    match data.targets() {
        Targets::Classes { labels, n_classes } => {
            c.update(b"classes");
            for &l in labels {
                c.update(&(l as u64).to_le_bytes());
            }
            out["classes"] = json!(n_classes);
        }
        Targets::Values { values, n_outputs } => {
            c.update(b"values");
            for v in values {
                c.update(&v.to_le_bytes());
            }
            out["outputs"] = json!(n_outputs);
        }
    }
    out["checksum"] = json!(c.finish());
    out
}

/// What differs between two fingerprints (or any two JSON objects), key by
/// key, as `"samples: 60000 then, 1000 now"`; empty when they agree. A key
/// missing on one side counts as a difference. The counts come first, in
/// the fingerprint's order, the checksum and any other key after them.
pub(crate) fn differences(then: &Value, now: &Value) -> Vec<String> {
    let (Some(a), Some(b)) = (then.as_object(), now.as_object()) else {
        return if then == now {
            Vec::new()
        } else {
            vec![format!("{} then, {} now", plain(then), plain(now))]
        };
    };
    const FIRST: [&str; 5] = ["samples", "features", "classes", "outputs", "checksum"];
    let rest = a.keys().chain(b.keys()).map(String::as_str);
    let mut keys: Vec<&str> = FIRST.into_iter().chain(rest).collect();
    let mut seen = std::collections::BTreeSet::new();
    keys.retain(|k| seen.insert(*k));
    let null = Value::Null;
    keys.into_iter()
        .filter_map(|k| {
            let (x, y) = (a.get(k).unwrap_or(&null), b.get(k).unwrap_or(&null));
            (x != y).then(|| format!("{k}: {} then, {} now", plain(x), plain(y)))
        })
        .collect()
}

/// A JSON value as a person reads it: strings without their quotes,
/// `none` for null.
pub(crate) fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "none".into(),
        other => other.to_string(),
    }
}
