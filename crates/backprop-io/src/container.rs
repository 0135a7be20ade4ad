//! The safetensors container: reading a file's bytes, parsing them (with
//! the sizes the parser leaves out of its errors), its `__metadata__` map,
//! versioned JSON descriptions in it, and writing tensors and metadata.
//! Nothing here knows what a model is.

use crate::tensors::OwnedTensor;
use crate::{IoError, Result};
use safetensors::SafeTensors;
use serde::Deserialize;
use std::collections::HashMap;
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

/// Serialises tensors and metadata and writes them to `w`.
pub(crate) fn write_tensors(
    tensors: &[(String, OwnedTensor)],
    meta: HashMap<String, String>,
    w: &mut dyn Write,
    file: &Path,
) -> Result<()> {
    let bytes = safetensors::serialize(tensors.iter().map(|(n, t)| (n.as_str(), t)), Some(meta))
        .map_err(|e| IoError::Format {
            file: file.to_path_buf(),
            reason: format!("cannot serialise: {e}"),
        })?;
    w.write_all(&bytes).map_err(io_err(file))
}
