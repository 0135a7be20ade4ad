//! The Keras-style summary table of a [`Sequential`](crate::Sequential):
//! each layer, its output shape and its parameter count; the layers of a
//! nested network indented under it.

use crate::{Layer, Shape};
use backprop_tensor::Scalar;
use std::fmt::Write as _;

const RULE: usize = 60;

fn row(s: &mut String, index: &str, name: &str, shape: &str, params: usize) {
    let _ = writeln!(s, "{index:<8} {name:<16} {shape:<22} {params:>11}");
}

fn shape_cell(shape: &Shape) -> String {
    let dims: Vec<String> = shape.dims().iter().map(|d| d.to_string()).collect();
    format!("(batch, {})", dims.join(", "))
}

fn count<T: Scalar>(layer: &dyn Layer<T>) -> usize {
    let mut n = 0;
    layer.visit_params(&mut |p| n += p.len());
    n
}

/// The rows of `layers` (outputs `shapes`) under path `prefix`, recursing
/// into containers by asking each child its output shape.
fn rows<T: Scalar>(
    s: &mut String,
    prefix: &str,
    input: &Shape,
    layers: &[Box<dyn Layer<T>>],
    shapes: &[Shape],
) {
    let mut shape_in = input.clone();
    for (i, (layer, shape)) in layers.iter().zip(shapes).enumerate() {
        let path = format!("{prefix}{i}");
        row(
            s,
            &path,
            layer.name(),
            &shape_cell(shape),
            count(layer.as_ref()),
        );
        let children = layer.children();
        if !children.is_empty() {
            let mut inner = Vec::with_capacity(children.len());
            let mut cur = shape_in.clone();
            for c in children {
                cur = c.output_shape(&cur).unwrap_or(cur);
                inner.push(cur.clone());
            }
            rows(s, &format!("{path}."), &shape_in, children, &inner);
        }
        shape_in = shape.clone();
    }
}

/// The table for a network taking `input` with `layers` giving `shapes`.
pub(crate) fn table<T: Scalar>(
    input: &Shape,
    layers: &[Box<dyn Layer<T>>],
    shapes: &[Shape],
) -> String {
    let mut s = String::new();
    let rule = "─".repeat(RULE);
    let _ = writeln!(
        s,
        "{:<8} {:<16} {:<22} {:>11}",
        "#", "Layer (type)", "Output shape", "Param #"
    );
    let _ = writeln!(s, "{rule}");
    row(&mut s, "", "input", &shape_cell(input), 0);
    rows(&mut s, "", input, layers, shapes);
    let total: usize = layers.iter().map(|l| count(l.as_ref())).sum();
    let _ = writeln!(s, "{rule}");
    let _ = writeln!(s, "Total params: {total}");
    s
}
