//! What the history's JSON needs from serde beyond its derives.

use serde::Deserialize;

/// Reads a number, or `null` (how serde_json writes NaN) as NaN.
pub(crate) fn nan_if_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}
