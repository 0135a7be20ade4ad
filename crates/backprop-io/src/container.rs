//! The safetensors container: reading a file's bytes, parsing them (with
//! the sizes the parser leaves out of its errors), its `__metadata__` map,
//! versioned JSON descriptions in it, and writing tensors and metadata.
//! Nothing here knows what a model is.

use crate::checksum::{self, CHECKSUM_KEY, TensorRef};
use crate::tensors::OwnedTensor;
use crate::{IoError, LoadOptions, Result};
use safetensors::SafeTensors;
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::Path;

/// The label of in-memory buffers in error messages.
pub(crate) const BYTES_LABEL: &str = "<bytes>";

pub(crate) fn io_err(file: &Path) -> impl Fn(std::io::Error) -> IoError + '_ {
    move |source| IoError::Io {
        file: file.to_path_buf(),
        source,
    }
}

pub(crate) fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(io_err(path))
}

pub(crate) fn parse<'a>(file: &Path, bytes: &'a [u8]) -> Result<SafeTensors<'a>> {
    SafeTensors::deserialize(bytes).map_err(|e| format_error(file, bytes, &e))
}

/// Parses a file, reads its `__metadata__` map and, unless `options` say
/// not to, verifies its checksum (if it has one).
pub(crate) fn open<'a>(
    file: &Path,
    bytes: &'a [u8],
    options: &LoadOptions,
) -> Result<(SafeTensors<'a>, HashMap<String, String>)> {
    let st = parse(file, bytes)?;
    let meta = metadata(file, bytes)?;
    if options.verify_checksum {
        checksum::verify(file, &st, &meta)?;
    }
    Ok((st, meta))
}

/// The `__metadata__` map of a file (empty if it has none).
pub(crate) fn metadata(file: &Path, bytes: &[u8]) -> Result<HashMap<String, String>> {
    let (_, meta) = SafeTensors::read_metadata(bytes).map_err(|e| format_error(file, bytes, &e))?;
    Ok(meta.metadata().clone().unwrap_or_default())
}

/// The safetensors parser's error, with the sizes it leaves out where the
/// layout explains it: a file shorter than the 8-byte header length, a
/// header longer than what follows it, tensors that need more (or fewer)
/// data bytes than the file holds.
fn format_error(file: &Path, bytes: &[u8], e: &safetensors::SafeTensorError) -> IoError {
    use safetensors::SafeTensorError as E;
    let len = bytes.len();
    let header = bytes
        .get(..8)
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map(u64::from_le_bytes);
    let after = len.saturating_sub(8);
    let reason = match (e, header) {
        (E::HeaderTooSmall, _) | (_, None) => {
            format!("{e}: expected at least 8 bytes (the header's length), found {len}")
        }
        (E::HeaderTooLarge | E::InvalidHeaderLength, Some(n)) => {
            format!("{e}: the header's length says {n} bytes, but {after} follow it")
        }
        (E::MetadataIncompleteBuffer, Some(n)) => match tensor_data_end(bytes, n) {
            Some(need) => format!(
                "{e}: the tensors need {need} bytes of data, the file holds {}",
                after.saturating_sub(usize::try_from(n).unwrap_or(usize::MAX))
            ),
            None => e.to_string(),
        },
        _ => e.to_string(),
    };
    IoError::Format {
        file: file.to_path_buf(),
        reason,
    }
}

/// The end of the last tensor's data, read from a header the parser
/// accepted up to its coverage check.
fn tensor_data_end(bytes: &[u8], header_len: u64) -> Option<usize> {
    let n = usize::try_from(header_len).ok()?;
    let json = std::str::from_utf8(bytes.get(8..8usize.checked_add(n)?)?).ok()?;
    let map: HashMap<String, serde_json::Value> = serde_json::from_str(json).ok()?;
    map.iter()
        .filter(|(name, _)| name.as_str() != "__metadata__")
        .filter_map(|(_, info)| info.get("data_offsets")?.get(1)?.as_u64())
        .max()
        .and_then(|end| usize::try_from(end).ok())
}

/// Parses a JSON description: checks `format` and `format_version` first (so a
/// newer file is reported as such, not as malformed) and returns the version
/// found (between `oldest` and `newest`) with the JSON, for the caller to read
/// as that version's fields ([`fields`]).
pub(crate) fn parse_description(
    file: &Path,
    json: &str,
    format: &str,
    oldest: u64,
    newest: u64,
) -> Result<(u64, serde_json::Value)> {
    let value: serde_json::Value = serde_json::from_str(json).map_err(|e| IoError::Metadata {
        file: file.to_path_buf(),
        reason: format!("{format} description is not valid JSON: {e}"),
    })?;
    let found_format = value.get("format").and_then(|v| v.as_str());
    if found_format != Some(format) {
        return Err(IoError::Metadata {
            file: file.to_path_buf(),
            reason: format!(
                "expected \"format\": {format:?}, found {}",
                found_format.map_or("nothing".to_string(), |f| format!("{f:?}"))
            ),
        });
    }
    match value.get("format_version").and_then(|v| v.as_u64()) {
        Some(v) if (oldest..=newest).contains(&v) => Ok((v, value)),
        Some(v) => Err(IoError::UnsupportedVersion {
            file: file.to_path_buf(),
            format: format.to_string(),
            found: v,
            supported: newest,
        }),
        None => Err(IoError::Metadata {
            file: file.to_path_buf(),
            reason: format!("{format} description has no integer \"format_version\""),
        }),
    }
}

/// Reads a description's fields (after [`parse_description`]).
pub(crate) fn fields<D: for<'de> Deserialize<'de>>(
    file: &Path,
    format: &str,
    value: serde_json::Value,
) -> Result<D> {
    serde_json::from_value(value).map_err(|e| IoError::Metadata {
        file: file.to_path_buf(),
        reason: format!("{format} description: {e}"),
    })
}

/// The most header bytes the safetensors parser reads.
const MAX_HEADER: usize = 100_000_000;

/// Writes tensors and metadata to `w` as a safetensors file, with the
/// checksum of both under [`CHECKSUM_KEY`].
///
/// The header is written here rather than by `safetensors::serialize`,
/// which takes the metadata as a `HashMap` with a random hasher and writes
/// it in that map's iteration order: two saves of the same model, even in
/// one process, gave different bytes. Here the metadata is written sorted
/// by key and the tensors in `safetensors::serialize`'s order (descending
/// dtype, then name), so the same model and state give the same bytes,
/// which the safetensors parser (and PyTorch's) reads as before.
pub(crate) fn write_tensors(
    tensors: &[(String, OwnedTensor)],
    mut meta: HashMap<String, String>,
    w: &mut dyn Write,
    file: &Path,
) -> Result<()> {
    let unwritable = |reason: String| IoError::Format {
        file: file.to_path_buf(),
        reason: format!("cannot serialise: {reason}"),
    };
    let mut refs: Vec<TensorRef<'_>> = tensors
        .iter()
        .map(|(n, t)| (n.as_str(), t.dtype, t.shape.as_slice(), t.data.as_slice()))
        .collect();
    let mut seen = HashSet::new();
    if let Some(twice) = refs.iter().find(|t| !seen.insert(t.0)) {
        return Err(IoError::Architecture {
            reason: format!(
                "two tensors are named {:?}; every tensor needs its own name",
                twice.0
            ),
        });
    }
    meta.insert(CHECKSUM_KEY.to_string(), checksum::checksum(&meta, &refs));
    refs.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let json = |v: Result<String, serde_json::Error>| v.map_err(|e| unwritable(e.to_string()));
    let mut entries: Vec<(&String, &String)> = meta.iter().collect();
    entries.sort_unstable();
    let mut header = String::from("{\"__metadata__\":{");
    for (i, (k, v)) in entries.into_iter().enumerate() {
        if i > 0 {
            header.push(',');
        }
        header.push_str(&json(serde_json::to_string(k))?);
        header.push(':');
        header.push_str(&json(serde_json::to_string(v))?);
    }
    header.push('}');
    let mut offset = 0usize;
    for (name, dtype, shape, data) in &refs {
        let end = offset.checked_add(data.len()).ok_or_else(|| {
            unwritable("the tensors hold more bytes than memory can address".into())
        })?;
        header.push(',');
        header.push_str(&json(serde_json::to_string(name))?);
        header.push_str(":{\"dtype\":");
        header.push_str(&json(serde_json::to_string(dtype))?);
        header.push_str(",\"shape\":");
        header.push_str(&json(serde_json::to_string(shape))?);
        header.push_str(&format!(",\"data_offsets\":[{offset},{end}]}}"));
        offset = end;
    }
    header.push('}');
    // The data starts 8-byte aligned, as safetensors writes it.
    while !header.len().is_multiple_of(8) {
        header.push(' ');
    }
    if header.len() > MAX_HEADER {
        return Err(unwritable(format!(
            "the header would take {} bytes; readers accept at most {MAX_HEADER}",
            header.len()
        )));
    }
    let io = io_err(file);
    w.write_all(&(header.len() as u64).to_le_bytes())
        .map_err(&io)?;
    w.write_all(header.as_bytes()).map_err(&io)?;
    for (_, _, _, data) in &refs {
        w.write_all(data).map_err(&io)?;
    }
    Ok(())
}
