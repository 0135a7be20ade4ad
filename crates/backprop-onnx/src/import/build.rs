//! The layers a chain translates to, as a `Sequential`: each planned
//! against the samples it reads (errors naming its node), its weights
//! checked against the plan, then the network built and filled.

use super::ops::LayerSpec;
use crate::OnnxError;
use backprop_layers::{BuildContext, Config, Layout, Registry, Sequential, Shape, Value};
use backprop_tensor::{DMatrix, Scalar};
use std::collections::HashMap;

/// One translated node: the layer, and the node's label and operator for
/// messages.
pub(crate) struct Planned {
    pub spec: LayerSpec,
    pub node: String,
    pub op_type: String,
}

/// Plans `spec` on `shape` with the built-in registry; returns the output
/// shape. Its weights must be the tensors the plan expects.
pub(crate) fn plan(registry: &Registry, p: &Planned, shape: &Shape) -> Result<Shape, OnnxError> {
    let plan = registry
        .plan(p.spec.kind, &p.spec.config, shape)
        .map_err(|source| OnnxError::Layer {
            node: p.node.clone(),
            op_type: p.op_type.clone(),
            source: Box::new(source),
        })?;
    for info in plan.tensors.iter().filter(|t| t.layout != Layout::Count) {
        let expected = info.matrix_shape().unwrap_or((0, 0));
        match p.spec.weights.iter().find(|w| w.local == info.name) {
            Some(w) if (w.rows, w.cols) == expected && w.values.len() == w.rows * w.cols => {}
            Some(w) => {
                return Err(OnnxError::TensorShape {
                    tensor: w.source.clone(),
                    node: Some(p.node.clone()),
                    expected: format!("{:?}", info.shape),
                    found: format!("{} values as {} × {}", w.values.len(), w.rows, w.cols),
                });
            }
            None => {
                return Err(OnnxError::MissingTensor {
                    node: p.node.clone(),
                    op_type: p.op_type.clone(),
                    tensor: info.name.clone(),
                });
            }
        }
    }
    Ok(plan.output)
}

/// The network of `layers` on `input`, its weights filled in.
pub(crate) fn build<T: Scalar>(
    registry: &Registry,
    layers: Vec<Planned>,
    input: &Shape,
) -> Result<Sequential<T>, OnnxError> {
    let items: Vec<Value> = layers
        .iter()
        .map(|p| {
            let mut c = p.spec.config.clone();
            c.insert("type", p.spec.kind);
            Value::Map(c)
        })
        .collect();
    let config = Config::new().with("layers", Value::List(items));
    let mut net = Sequential::<T>::from_config(&config, input, &BuildContext::root(0, registry))?;
    let mut values: HashMap<String, (usize, usize, Vec<f32>)> = HashMap::new();
    for (i, p) in layers.into_iter().enumerate() {
        for w in p.spec.weights {
            values.insert(format!("{i}.{}", w.local), (w.rows, w.cols, w.values));
        }
    }
    let fill = |name: &str, m: &mut DMatrix<T>| {
        if let Some((rows, cols, v)) = values.get(name)
            && m.shape() == (*rows, *cols)
        {
            for r in 0..*rows {
                for c in 0..*cols {
                    m[(r, c)] = T::of(f64::from(v[r * cols + c]));
                }
            }
        }
    };
    net.visit_params_mut(&mut |p| {
        let name = p.name().to_string();
        fill(&name, &mut p.value);
    });
    net.visit_buffers_mut(&mut |name, m| fill(name, m));
    Ok(net)
}
