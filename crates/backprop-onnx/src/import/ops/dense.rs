//! Gemm and MatMul (+ the Add of its bias) → Dense, the weight as
//! `[out, in]`, Gemm's `alpha` and `beta` folded in.

use super::{LayerSpec, Node, Weight};
use crate::OnnxError;
use crate::import::attrs::Attrs;
use crate::import::tensor::{dims, floats};
use crate::schema::TensorProto;
use backprop_layers::{Config, Shape};

impl Node<'_, '_, '_> {
    fn dense(inputs: usize, outputs: usize, w: Weight, b: Weight) -> LayerSpec {
        LayerSpec {
            kind: "dense",
            config: Config::new()
                .with("inputs", inputs)
                .with("outputs", outputs),
            weights: vec![w, b],
        }
    }

    /// `Y = alpha·A·op(B) + beta·C` with `A` the running value.
    pub(super) fn gemm(&self, shape: &Shape) -> Result<LayerSpec, OnnxError> {
        let a = self.attrs(&["alpha", "beta", "transA", "transB"])?;
        a.require("transA", 0, 0, "the running value is not transposed")?;
        let trans_b = a.int("transB", 0)?;
        if trans_b != 0 && trans_b != 1 {
            return Err(a.err("transB", "0 or 1", trans_b.to_string()));
        }
        let (alpha, beta) = (a.float("alpha", 1.0)?, a.float("beta", 1.0)?);
        let inputs = self.features(shape)?;
        let b = self.required(1, "B, the weight")?;
        let &[d0, d1] = dims(b).as_slice() else {
            return Err(self.shape_err(b, "2 dimensions".into()));
        };
        let (outputs, found_in) = if trans_b == 1 { (d0, d1) } else { (d1, d0) };
        if found_in != inputs {
            let want = if trans_b == 1 {
                format!("[outputs, {inputs}]")
            } else {
                format!("[{inputs}, outputs]")
            };
            return Err(self.shape_err(b, want));
        }
        let mut w = floats(b)?;
        if trans_b == 0 {
            w = transpose(&w, inputs, outputs);
        }
        if alpha != 1.0 {
            fold(&a, "alpha", "B", &mut w, alpha)?;
        }
        let mut bias = match self.constant(2)? {
            Some(c) => self.vector(c, outputs, true)?,
            None => vec![0.0; outputs],
        };
        if beta != 1.0 {
            fold(&a, "beta", "C", &mut bias, beta)?;
        }
        let source = |k: usize| self.node.input.get(k).cloned().unwrap_or_default();
        Ok(Self::dense(
            inputs,
            outputs,
            Weight {
                local: "weight",
                source: source(1),
                rows: outputs,
                cols: inputs,
                values: w,
            },
            Weight {
                local: "bias",
                source: source(2),
                rows: outputs,
                cols: 1,
                values: bias,
            },
        ))
    }

    /// `Y = A·B (+ bias)`, `B` of shape `[in, out]`.
    pub(super) fn matmul(
        &self,
        shape: &Shape,
        bias: Option<&TensorProto>,
    ) -> Result<LayerSpec, OnnxError> {
        self.attrs(&[])?;
        let inputs = self.features(shape)?;
        let b = self.required(1, "B, the weight")?;
        let &[found_in, outputs] = dims(b).as_slice() else {
            return Err(self.shape_err(b, format!("[{inputs}, outputs]")));
        };
        if found_in != inputs {
            return Err(self.shape_err(b, format!("[{inputs}, outputs]")));
        }
        let w = transpose(&floats(b)?, inputs, outputs);
        let (bias, source) = match bias {
            Some(t) => (self.vector(t, outputs, true)?, t.name.clone()),
            None => (vec![0.0; outputs], String::new()),
        };
        Ok(Self::dense(
            inputs,
            outputs,
            Weight {
                local: "weight",
                source: b.name.clone(),
                rows: outputs,
                cols: inputs,
                values: w,
            },
            Weight {
                local: "bias",
                source,
                rows: outputs,
                cols: 1,
                values: bias,
            },
        ))
    }
}

/// The `cols × rows` transpose of a row-major `rows × cols` matrix.
fn transpose(m: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut t = vec![0.0; m.len()];
    for r in 0..rows {
        for c in 0..cols {
            t[c * rows + r] = m[r * cols + c];
        }
    }
    t
}

/// Multiplies `values` (input `input` of the Gemm) by attribute `name`'s
/// `factor`, refusing a product beyond `f32`'s range (a weight of ±inf
/// would make the network compute nothing but inf and NaN).
fn fold(
    a: &Attrs<'_>,
    name: &str,
    input: &str,
    values: &mut [f32],
    factor: f32,
) -> Result<(), OnnxError> {
    for (i, v) in values.iter_mut().enumerate() {
        let folded = *v * factor;
        if !folded.is_finite() {
            return Err(a.err(
                name,
                &format!("a factor whose product with every value of {input} is a finite f32"),
                format!("{factor:e}, whose product with {input}[{i}] = {v:e} is {folded}"),
            ));
        }
        *v = folded;
    }
    Ok(())
}
