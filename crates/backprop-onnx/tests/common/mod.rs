//! Helpers for the import tests: ONNX messages built by hand with the
//! prost types (never by hand-encoding bytes).

#![allow(dead_code)]

use backprop_onnx::schema::{
    AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto,
    TensorShapeProto, TypeProto, ValueInfoProto, attribute_proto::AttributeType, tensor_proto,
    tensor_shape_proto, type_proto,
};

/// A float initializer of `dims` holding `values` as `float_data`.
pub fn floats(name: &str, dims: &[i64], values: Vec<f32>) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: tensor_proto::DataType::Float as i32,
        float_data: values,
        ..TensorProto::default()
    }
}

/// The same as little-endian `raw_data`.
pub fn raw(name: &str, dims: &[i64], values: &[f32]) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: tensor_proto::DataType::Float as i32,
        raw_data: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        ..TensorProto::default()
    }
}

/// An int64 initializer.
pub fn int64s(name: &str, values: &[i64]) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: vec![values.len() as i64],
        data_type: tensor_proto::DataType::Int64 as i32,
        int64_data: values.to_vec(),
        ..TensorProto::default()
    }
}

pub fn node(
    name: &str,
    op: &str,
    inputs: &[&str],
    output: &str,
    attrs: Vec<AttributeProto>,
) -> NodeProto {
    NodeProto {
        name: name.into(),
        op_type: op.into(),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![output.into()],
        attribute: attrs,
        ..NodeProto::default()
    }
}

pub fn int(name: &str, v: i64) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: AttributeType::Int as i32,
        i: v,
        ..AttributeProto::default()
    }
}

pub fn ints(name: &str, v: &[i64]) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: AttributeType::Ints as i32,
        ints: v.to_vec(),
        ..AttributeProto::default()
    }
}

pub fn float(name: &str, v: f32) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: AttributeType::Float as i32,
        f: v,
        ..AttributeProto::default()
    }
}

pub fn tensor_attr(name: &str, t: TensorProto) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: AttributeType::Tensor as i32,
        t: Some(t),
        ..AttributeProto::default()
    }
}

/// A float tensor value `[batch, dims…]` with a symbolic batch.
pub fn value(name: &str, dims: &[i64]) -> ValueInfoProto {
    use tensor_shape_proto::{Dimension, dimension::Value};
    let mut dim = vec![Dimension {
        value: Some(Value::DimParam("N".into())),
        ..Dimension::default()
    }];
    dim.extend(dims.iter().map(|&d| Dimension {
        value: Some(Value::DimValue(d)),
        ..Dimension::default()
    }));
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: tensor_proto::DataType::Float as i32,
                shape: Some(TensorShapeProto { dim }),
            })),
            ..TypeProto::default()
        }),
        ..ValueInfoProto::default()
    }
}

/// A model of `nodes` and `initializers` from `input` (sample `dims`) to
/// `output`, at `opset`.
pub fn model(
    nodes: Vec<NodeProto>,
    initializers: Vec<TensorProto>,
    input: (&str, &[i64]),
    output: &str,
    opset: i64,
) -> ModelProto {
    ModelProto {
        ir_version: 8,
        producer_name: "hand".into(),
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: opset,
        }],
        graph: Some(GraphProto {
            name: "g".into(),
            node: nodes,
            initializer: initializers,
            input: vec![value(input.0, input.1)],
            output: vec![value(output, &[])],
            ..GraphProto::default()
        }),
        ..ModelProto::default()
    }
}

/// Deterministic values `0.01·(k mod 17) − 0.08` for `n` entries offset by `seed`.
pub fn ramp(n: usize, seed: usize) -> Vec<f32> {
    (0..n)
        .map(|k| 0.01 * ((k + seed) % 17) as f32 - 0.08)
        .collect()
}
