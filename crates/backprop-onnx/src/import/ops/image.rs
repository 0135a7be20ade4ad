//! BatchNormalization, Conv, MaxPool and AveragePool → BatchNorm1d/2d,
//! Conv2d, MaxPool2d, AvgPool2d.

use super::{LayerSpec, Node, Weight};
use crate::OnnxError;
use crate::import::tensor::{dims, floats};
use backprop_layers::{Config, Pair, Shape};

impl Node<'_, '_, '_> {
    pub(super) fn batch_norm(&self, shape: &Shape) -> Result<LayerSpec, OnnxError> {
        let a = self.attrs(&[
            "epsilon",
            "momentum",
            "training_mode",
            "spatial",
            "is_test",
            "consumed_inputs",
        ])?;
        a.require(
            "training_mode",
            0,
            0,
            "inference uses the running statistics",
        )?;
        a.require("spatial", 1, 1, "one statistic per channel")?;
        let eps = f64::from(a.float("epsilon", 1e-5)?);
        let (kind, features) = match shape.dims() {
            [f] => ("batch_norm1d", *f),
            [c, _, _] => ("batch_norm2d", *c),
            _ => {
                return Err(OnnxError::Layer {
                    node: self.label.clone(),
                    op_type: self.node.op_type.clone(),
                    source: Box::new(backprop_layers::LayerError::InvalidConfig {
                        layer: "batch normalization".into(),
                        message: format!(
                            "expected [features] or [channels, height, width] samples, found {shape}"
                        ),
                    }),
                });
            }
        };
        let mut weights = Vec::new();
        for (k, local) in [
            (1, "weight"),
            (2, "bias"),
            (3, "running_mean"),
            (4, "running_var"),
        ] {
            let t = self.required(k, local)?;
            let values = self.vector(t, features, false)?;
            weights.push(Weight {
                local,
                source: t.name.clone(),
                rows: features,
                cols: 1,
                values,
            });
        }
        let config = Config::new()
            .with("features", features)
            .with("eps", eps)
            .with("momentum", 0.1);
        Ok(LayerSpec {
            kind,
            config,
            weights,
        })
    }

    pub(super) fn conv(&self, shape: &Shape) -> Result<LayerSpec, OnnxError> {
        let a = self.attrs(&[
            "kernel_shape",
            "strides",
            "pads",
            "dilations",
            "group",
            "auto_pad",
        ])?;
        a.require("group", 1, 1, "backprop's Conv2d is not grouped")?;
        let w = self.required(1, "W, the filters")?;
        let &[o, c, kh, kw] = dims(w).as_slice() else {
            return Err(self.shape_err(w, "[out_channels, in_channels, kh, kw]".into()));
        };
        let Some(cols) = c
            .checked_mul(kh)
            .and_then(|x| x.checked_mul(kw))
            .filter(|&cols| o > 0 && cols > 0)
        else {
            return Err(self.shape_err(
                w,
                "[out_channels, in_channels, kh, kw], each positive".into(),
            ));
        };
        if let &[ch, _, _] = shape.dims()
            && ch != c
        {
            return Err(self.shape_err(w, format!("[out_channels, {ch}, kh, kw]")));
        }
        let kernel = a.pair("kernel_shape", Some([kh, kw]), 1)?;
        if kernel != [kh, kw] {
            return Err(a.err(
                "kernel_shape",
                &format!("[{kh}, {kw}], the filters' size"),
                format!("{kernel:?}"),
            ));
        }
        let stride = a.pair("strides", Some([1, 1]), 1)?;
        let dilation = a.pair("dilations", Some([1, 1]), 1)?;
        let padding = a.pads()?;
        let values = floats(w)?;
        let mut weights = vec![Weight {
            local: "weight",
            source: w.name.clone(),
            rows: o,
            cols,
            values,
        }];
        let bias = self.constant(2)?;
        if let Some(b) = bias {
            let values = self.vector(b, o, false)?;
            weights.push(Weight {
                local: "bias",
                source: b.name.clone(),
                rows: o,
                cols: 1,
                values,
            });
        }
        let pair = |p: [usize; 2]| Pair::new(p[0], p[1]).to_value();
        let config = Config::new()
            .with("in_channels", c)
            .with("out_channels", o)
            .with("kernel_size", pair([kh, kw]))
            .with("stride", pair(stride))
            .with("padding", pair(padding))
            .with("dilation", pair(dilation))
            .with("bias", bias.is_some());
        Ok(LayerSpec {
            kind: "conv2d",
            config,
            weights,
        })
    }

    pub(super) fn pool(&self) -> Result<LayerSpec, OnnxError> {
        let max = self.node.op_type == "MaxPool";
        let known: &[&str] = if max {
            &[
                "kernel_shape",
                "strides",
                "pads",
                "dilations",
                "ceil_mode",
                "storage_order",
                "auto_pad",
            ]
        } else {
            &[
                "kernel_shape",
                "strides",
                "pads",
                "dilations",
                "ceil_mode",
                "count_include_pad",
                "auto_pad",
            ]
        };
        let a = self.attrs(known)?;
        a.require("ceil_mode", 0, 0, "backprop rounds the output size down")?;
        let dilation = a.pair("dilations", Some([1, 1]), 1)?;
        if dilation != [1, 1] {
            return Err(a.err(
                "dilations",
                "[1, 1] (backprop's pooling is not dilated)",
                format!("{dilation:?}"),
            ));
        }
        let kernel = a.pair("kernel_shape", None, 1)?;
        let stride = a.pair("strides", Some([1, 1]), 1)?;
        let padding = a.pads()?;
        if !max && padding != [0, 0] {
            a.require(
                "count_include_pad",
                0,
                1,
                "backprop's average pooling divides by the whole window, padding included",
            )?;
        }
        let pair = |p: [usize; 2]| Pair::new(p[0], p[1]).to_value();
        let config = Config::new()
            .with("kernel_size", pair(kernel))
            .with("stride", pair(stride))
            .with("padding", pair(padding));
        Ok(LayerSpec {
            kind: if max { "max_pool2d" } else { "avg_pool2d" },
            config,
            weights: Vec::new(),
        })
    }
}
