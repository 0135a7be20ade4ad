//! The graph's constants: initializers, `Constant` nodes and `Identity`
//! nodes that copy a constant (as PyTorch's exporter writes them), by name.
//! Nodes that make constants are not part of the chain.

use super::node_label;
use crate::OnnxError;
use crate::schema::{
    AttributeProto, GraphProto, NodeProto, TensorProto, attribute_proto::AttributeType,
    tensor_proto::DataType,
};
use std::collections::{HashMap, HashSet};

/// Constant tensors by value name, and which nodes only make constants.
#[derive(Debug, Default)]
pub(crate) struct Constants<'g> {
    map: HashMap<String, std::borrow::Cow<'g, TensorProto>>,
    /// Indices of the `Constant` and constant-copying `Identity` nodes.
    pub makers: HashSet<usize>,
}

impl<'g> Constants<'g> {
    /// Collects the constants of `graph` (nodes in their topological order,
    /// as ONNX requires).
    pub fn of(graph: &'g GraphProto) -> Result<Self, OnnxError> {
        let mut c = Self::default();
        for t in &graph.initializer {
            c.map.insert(t.name.clone(), std::borrow::Cow::Borrowed(t));
        }
        for (i, node) in graph.node.iter().enumerate() {
            let own_domain = node.domain.is_empty() || node.domain == "ai.onnx";
            match node.op_type.as_str() {
                "Constant" if own_domain => {
                    let t = constant_value(node, i)?;
                    for out in &node.output {
                        let mut t = t.clone();
                        t.name.clone_from(out);
                        c.map.insert(out.clone(), std::borrow::Cow::Owned(t));
                    }
                    c.makers.insert(i);
                }
                "Identity" if own_domain => {
                    if let [input] = node.input.as_slice()
                        && let Some(t) = c.map.get(input).cloned()
                    {
                        for out in &node.output {
                            c.map.insert(out.clone(), t.clone());
                        }
                        c.makers.insert(i);
                    }
                }
                _ => {}
            }
        }
        Ok(c)
    }

    /// The constant named `name`, if there is one.
    pub fn get(&self, name: &str) -> Option<&TensorProto> {
        self.map.get(name).map(|c| c.as_ref())
    }

    /// Whether `name` is a constant.
    pub fn contains(&self, name: &str) -> bool {
        self.map.contains_key(name)
    }
}

/// The tensor a `Constant` node makes: its `value` (a tensor), or
/// `value_float(s)` / `value_int(s)`.
fn constant_value(node: &NodeProto, index: usize) -> Result<TensorProto, OnnxError> {
    let bad = |a: &AttributeProto, expected: &str| OnnxError::Attribute {
        node: node_label(node, index),
        op_type: "Constant".into(),
        attribute: a.name.clone(),
        expected: expected.into(),
        found: format!("an attribute of type {}", attr_type_name(a.r#type)),
    };
    let [a] = node.attribute.as_slice() else {
        return Err(OnnxError::Attribute {
            node: node_label(node, index),
            op_type: "Constant".into(),
            attribute: "value".into(),
            expected: "exactly one of value, value_float, value_floats, value_int, value_ints"
                .into(),
            found: format!("{} attributes", node.attribute.len()),
        });
    };
    let is = |t: AttributeType| a.r#type == t as i32;
    // The literal's type, its length when a list (a vector) and its values.
    let (data_type, list, float_data, int64_data) = match a.name.as_str() {
        "value" => {
            return match &a.t {
                Some(t) if is(AttributeType::Tensor) => Ok(t.clone()),
                _ => Err(bad(a, "a TENSOR")),
            };
        }
        "value_float" if is(AttributeType::Float) => (DataType::Float, None, vec![a.f], vec![]),
        "value_floats" if is(AttributeType::Floats) => (
            DataType::Float,
            Some(a.floats.len()),
            a.floats.clone(),
            vec![],
        ),
        "value_int" if is(AttributeType::Int) => (DataType::Int64, None, vec![], vec![a.i]),
        "value_ints" if is(AttributeType::Ints) => {
            (DataType::Int64, Some(a.ints.len()), vec![], a.ints.clone())
        }
        "value_float" | "value_floats" | "value_int" | "value_ints" => {
            return Err(bad(a, "the type its name says"));
        }
        _ => {
            return Err(bad(
                a,
                "value, value_float, value_floats, value_int or value_ints",
            ));
        }
    };
    Ok(TensorProto {
        data_type: data_type as i32,
        dims: list.map(|n| vec![n as i64]).unwrap_or_default(),
        float_data,
        int64_data,
        ..TensorProto::default()
    })
}

/// The name of attribute type `t`.
pub(crate) fn attr_type_name(t: i32) -> String {
    AttributeType::try_from(t).map_or_else(|_| format!("#{t}"), |a| a.as_str_name().to_string())
}
