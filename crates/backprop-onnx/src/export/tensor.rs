//! Tensors and attributes of an exported graph: a parameter matrix as an
//! `f32` initializer (row-major, PyTorch's layout), and the attribute
//! constructors.

use crate::schema::{AttributeProto, TensorProto, attribute_proto::AttributeType, tensor_proto};
use backprop_tensor::{DMatrix, Scalar};

/// The initializer `name` of file shape `dims` holding `m` row by row (a
/// `rows × cols` matrix whose `rows` is `dims[0]`), as little-endian `f32`
/// `raw_data`. `f64` values are rounded to the nearest `f32`.
pub(crate) fn initializer<T: Scalar>(name: &str, dims: &[usize], m: &DMatrix<T>) -> TensorProto {
    let mut raw = Vec::with_capacity(m.len() * 4);
    for r in 0..m.nrows() {
        for c in 0..m.ncols() {
            raw.extend_from_slice(&(m[(r, c)].as_f64() as f32).to_le_bytes());
        }
    }
    TensorProto {
        name: name.to_string(),
        dims: dims.iter().map(|&d| d as i64).collect(),
        data_type: tensor_proto::DataType::Float as i32,
        raw_data: raw,
        ..TensorProto::default()
    }
}

/// A scalar `f32` initializer (Dropout's ratio).
pub(crate) fn scalar(name: &str, value: f64) -> TensorProto {
    TensorProto {
        name: name.to_string(),
        dims: Vec::new(),
        data_type: tensor_proto::DataType::Float as i32,
        float_data: vec![value as f32],
        ..TensorProto::default()
    }
}

/// An `INT` attribute.
pub(crate) fn int(name: &str, v: i64) -> AttributeProto {
    AttributeProto {
        name: name.to_string(),
        r#type: AttributeType::Int as i32,
        i: v,
        ..AttributeProto::default()
    }
}

/// An `INTS` attribute.
pub(crate) fn ints(name: &str, v: &[usize]) -> AttributeProto {
    AttributeProto {
        name: name.to_string(),
        r#type: AttributeType::Ints as i32,
        ints: v.iter().map(|&x| x as i64).collect(),
        ..AttributeProto::default()
    }
}

/// A `FLOAT` attribute (rounded to `f32`, ONNX's attribute precision).
pub(crate) fn float(name: &str, v: f64) -> AttributeProto {
    AttributeProto {
        name: name.to_string(),
        r#type: AttributeType::Float as i32,
        f: v as f32,
        ..AttributeProto::default()
    }
}

/// A `STRING` attribute.
pub(crate) fn string(name: &str, v: &str) -> AttributeProto {
    AttributeProto {
        name: name.to_string(),
        r#type: AttributeType::String as i32,
        s: v.as_bytes().to_vec(),
        ..AttributeProto::default()
    }
}
