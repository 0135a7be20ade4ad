//! Reading an ONNX `TensorProto`'s values, checked: the declared
//! dimensions against the data actually present (before anything is
//! allocated from them), the element type, and finiteness.

use crate::OnnxError;
use crate::schema::{TensorProto, tensor_proto::DataLocation, tensor_proto::DataType};

/// The name of ONNX element type `t`, for messages.
pub(crate) fn type_name(t: i32) -> String {
    DataType::try_from(t).map_or_else(|_| format!("#{t}"), |d| d.as_str_name().to_string())
}

fn data_err(t: &TensorProto, message: String) -> OnnxError {
    OnnxError::TensorData {
        tensor: t.name.clone(),
        message,
    }
}

/// The number of values `t`'s dimensions declare, or an error if a
/// dimension is negative or the product overflows.
pub(crate) fn declared_len(t: &TensorProto) -> Result<usize, OnnxError> {
    t.dims.iter().try_fold(1usize, |acc, &d| {
        let d = usize::try_from(d)
            .map_err(|_| data_err(t, format!("dimension {d} is negative (dims {:?})", t.dims)))?;
        acc.checked_mul(d)
            .ok_or_else(|| data_err(t, format!("dims {:?} overflow", t.dims)))
    })
}

fn check_stored_here(t: &TensorProto) -> Result<(), OnnxError> {
    if t.data_location == DataLocation::External as i32 || !t.external_data.is_empty() {
        return Err(data_err(
            t,
            "its data is stored in an external file; only self-contained models are read".into(),
        ));
    }
    if t.segment.is_some() {
        return Err(data_err(t, "segmented tensors are not read".into()));
    }
    Ok(())
}

/// The number of values present, `n`, checked against the declared one.
fn check_count(
    t: &TensorProto,
    declared: usize,
    present: usize,
    field: &str,
) -> Result<(), OnnxError> {
    if declared != present {
        return Err(data_err(
            t,
            format!(
                "dims {:?} declare {declared} values but {field} holds {present}",
                t.dims
            ),
        ));
    }
    Ok(())
}

/// `t.raw_data` as `declared` little-endian values of `W` bytes each,
/// read by `decode`: the count checked first, then that no byte is left over.
fn raw_le<const W: usize, V>(
    t: &TensorProto,
    declared: usize,
    decode: impl Fn([u8; W]) -> V,
) -> Result<Vec<V>, OnnxError> {
    let field = format!("raw_data ({W} bytes a value)");
    check_count(t, declared, t.raw_data.len() / W, &field)?;
    let (values, rest) = t.raw_data.as_chunks::<W>();
    if !rest.is_empty() {
        return Err(data_err(
            t,
            format!(
                "raw_data holds {} bytes, not a multiple of {W}",
                t.raw_data.len()
            ),
        ));
    }
    Ok(values.iter().map(|&b| decode(b)).collect())
}

/// `t`'s values as `f32` (a `DOUBLE` tensor is rounded), row-major, from
/// `raw_data` (little-endian) or `float_data`/`double_data`; every value
/// finite.
pub(crate) fn floats(t: &TensorProto) -> Result<Vec<f32>, OnnxError> {
    check_stored_here(t)?;
    let n = declared_len(t)?;
    let values: Vec<f32> = if t.data_type == DataType::Float as i32 {
        if t.raw_data.is_empty() && n > 0 {
            check_count(t, n, t.float_data.len(), "float_data")?;
            t.float_data.clone()
        } else {
            raw_le(t, n, f32::from_le_bytes)?
        }
    } else if t.data_type == DataType::Double as i32 {
        if t.raw_data.is_empty() && n > 0 {
            check_count(t, n, t.double_data.len(), "double_data")?;
            t.double_data.iter().map(|&v| v as f32).collect()
        } else {
            raw_le(t, n, |b| f64::from_le_bytes(b) as f32)?
        }
    } else {
        return Err(OnnxError::TensorType {
            tensor: t.name.clone(),
            expected: "FLOAT or DOUBLE".into(),
            found: type_name(t.data_type),
        });
    };
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(data_err(
            t,
            format!("value {i} is {}, not a finite number", values[i]),
        ));
    }
    Ok(values)
}

/// `t`'s values as `i64` (`INT64` or `INT32`), from `raw_data` or
/// `int64_data`/`int32_data`.
pub(crate) fn ints(t: &TensorProto) -> Result<Vec<i64>, OnnxError> {
    check_stored_here(t)?;
    let n = declared_len(t)?;
    let (width, listed): (usize, Vec<i64>) = if t.data_type == DataType::Int64 as i32 {
        (8, t.int64_data.clone())
    } else if t.data_type == DataType::Int32 as i32 {
        (4, t.int32_data.iter().map(|&v| i64::from(v)).collect())
    } else {
        return Err(OnnxError::TensorType {
            tensor: t.name.clone(),
            expected: "INT64 or INT32".into(),
            found: type_name(t.data_type),
        });
    };
    if t.raw_data.is_empty() && n > 0 {
        check_count(t, n, listed.len(), "its integer data")?;
        return Ok(listed);
    }
    if !t.raw_data.len().is_multiple_of(width) {
        return Err(data_err(
            t,
            format!(
                "raw_data holds {} bytes, not a multiple of {width}",
                t.raw_data.len()
            ),
        ));
    }
    check_count(t, n, t.raw_data.len() / width, "raw_data")?;
    Ok(t.raw_data
        .chunks_exact(width)
        .map(|b| {
            if width == 8 {
                i64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
            } else {
                i64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            }
        })
        .collect())
}

/// `t`'s dimensions as sizes (checked non-negative by
/// [`declared_len`]).
pub(crate) fn dims(t: &TensorProto) -> Vec<usize> {
    t.dims
        .iter()
        .map(|&d| usize::try_from(d).unwrap_or(0))
        .collect()
}
