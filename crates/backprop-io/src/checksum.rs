//! The integrity check of every file this crate writes: a CRC-32 over a
//! canonical form of the file's metadata and tensors, stored under
//! [`CHECKSUM_KEY`] and verified on load, so that a file damaged or edited
//! after it was written (4 bytes flipped in a weight, `"epoch":10` changed to
//! `12` in the header) is refused instead of silently resumed.
//!
//! The canonical form does not depend on how the header is laid out (key
//! order, spacing), only on what it says:
//!
//! 1. the tag `backprop.checksum/crc32/1`;
//! 2. the number of metadata entries other than [`CHECKSUM_KEY`], then each
//!    entry, sorted by key: the key, then the value;
//! 3. the number of tensors, then each tensor, sorted by name: its name, its
//!    dtype as the header writes it (`F32`), its number of dimensions and
//!    each dimension, and its data bytes.
//!
//! Numbers are little-endian `u64`s; every string and byte run is preceded by
//! its length, so that no two different files have the same form. The value
//! stored is `crc32:` and 8 lower-case hex digits. A file without the key (a
//! PyTorch state dict, a file written before this check) loads unverified.

use crate::tensors::dtype_name;
use crate::{IoError, Result};
use safetensors::SafeTensors;
use safetensors::tensor::Dtype;
use std::collections::HashMap;
use std::path::Path;

/// The `__metadata__` key holding a file's checksum (`"crc32:1a2b3c4d"`).
pub const CHECKSUM_KEY: &str = "backprop.checksum";

const TAG: &[u8] = b"backprop.checksum/crc32/1";
const ALGORITHM: &str = "crc32:";

/// A tensor as the checksum sees it: name, dtype, shape, data.
pub(crate) type TensorRef<'a> = (&'a str, Dtype, &'a [usize], &'a [u8]);

struct Canonical(crc32fast::Hasher);

impl Canonical {
    fn number(&mut self, n: usize) {
        self.0.update(&(n as u64).to_le_bytes());
    }
    fn bytes(&mut self, b: &[u8]) {
        self.number(b.len());
        self.0.update(b);
    }
}

/// The checksum of `meta` (without its [`CHECKSUM_KEY`] entry) and `tensors`.
pub(crate) fn checksum(meta: &HashMap<String, String>, tensors: &[TensorRef<'_>]) -> String {
    let mut c = Canonical(crc32fast::Hasher::new());
    c.0.update(TAG);
    let mut entries: Vec<(&String, &String)> =
        meta.iter().filter(|(k, _)| *k != CHECKSUM_KEY).collect();
    entries.sort_unstable();
    c.number(entries.len());
    for (k, v) in entries {
        c.bytes(k.as_bytes());
        c.bytes(v.as_bytes());
    }
    let mut sorted: Vec<&TensorRef<'_>> = tensors.iter().collect();
    sorted.sort_unstable_by_key(|t| t.0);
    c.number(sorted.len());
    for (name, dtype, shape, data) in sorted {
        c.bytes(name.as_bytes());
        c.bytes(dtype_name(*dtype).as_bytes());
        c.number(shape.len());
        for &d in *shape {
            c.number(d);
        }
        c.bytes(data);
    }
    format!("{ALGORITHM}{:08x}", c.0.finalize())
}

/// Verifies the checksum of a parsed file, if it has one.
pub(crate) fn verify(
    file: &Path,
    st: &SafeTensors<'_>,
    meta: &HashMap<String, String>,
) -> Result<()> {
    let Some(stored) = meta.get(CHECKSUM_KEY) else {
        return Ok(());
    };
    if !stored.starts_with(ALGORITHM) {
        return Err(IoError::Metadata {
            file: file.to_path_buf(),
            reason: format!(
                "the checksum {stored:?} (key {CHECKSUM_KEY:?}) is not of the form \"crc32:\" and 8 hex digits; it was written by a newer version or edited"
            ),
        });
    }
    let views = st.tensors();
    let tensors: Vec<TensorRef<'_>> = views
        .iter()
        .map(|(name, v)| (name.as_str(), v.dtype(), v.shape(), v.data()))
        .collect();
    let found = checksum(meta, &tensors);
    if &found != stored {
        return Err(IoError::Checksum {
            file: file.to_path_buf(),
            stored: stored.clone(),
            found,
        });
    }
    Ok(())
}
