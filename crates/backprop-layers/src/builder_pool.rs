//! The builder's pooling, BatchNorm2d and Dropout2d methods. The pooling
//! layers are spatial layers (see builder.rs): `.stride(s)`, `.padding(p)`
//! and `.kernel(k)` after them change their window.

use crate::pool;
use crate::{
    AvgPool2d, BatchNorm2d, Dropout2d, MaxPool2d, Pair, PoolWindow, SequentialBuilder, Setting,
    SpatialSettings,
};
use backprop_tensor::{Scalar, rng};

/// What the pooling layers take: no dilation, no bias.
const POOL: &[Setting] = &[Setting::Kernel, Setting::Stride, Setting::Padding];

impl<T: Scalar> SequentialBuilder<T> {
    /// Max pooling over `kernel` windows (`2` or `(3, 2)`), stride the
    /// kernel unless `.stride(s)` follows, padding (−∞) with `.padding(p)`.
    ///
    /// ```
    /// use backprop_layers::{Sequential, Shape};
    /// let net = Sequential::<f32>::builder([1, 28, 28]).max_pool2d(2).max_pool2d(3).stride(2).padding(1).build()?;
    /// assert_eq!(net.output_shape(), &Shape::new([1, 7, 7]));
    /// // PyTorch's rule: padding at most half the kernel.
    /// let err = Sequential::<f32>::builder([1, 28, 28]).max_pool2d(2).padding(2).build().unwrap_err();
    /// assert!(err.to_string().contains("at most half the kernel"), "{err}");
    /// # Ok::<(), backprop_layers::LayerError>(())
    /// ```
    pub fn max_pool2d(self, kernel: impl Into<Pair>) -> Self {
        self.spatial(
            "max_pool2d",
            POOL,
            SpatialSettings::kernel(kernel),
            |input, s, _, _| Ok(Box::new(MaxPool2d::new(input.clone(), PoolWindow::of(s))?)),
        )
    }
    /// Average pooling over `kernel` windows, stride the kernel unless
    /// `.stride(s)` follows; `.padding(p)` pads with zeros that count in
    /// the average (PyTorch's `count_include_pad=True`).
    pub fn avg_pool2d(self, kernel: impl Into<Pair>) -> Self {
        self.spatial(
            "avg_pool2d",
            POOL,
            SpatialSettings::kernel(kernel),
            |input, s, _, _| Ok(Box::new(AvgPool2d::new(input.clone(), PoolWindow::of(s))?)),
        )
    }
    /// Batch normalisation of each channel of the previous layer's `[C, H,
    /// W]` outputs.
    pub fn batch_norm2d(self) -> Self {
        self.named("batch_norm2d", |input, _, _| {
            let channels = pool::channels("batch_norm2d", input, None)?;
            Ok(Box::new(BatchNorm2d::new(channels)?))
        })
    }
    /// Channel dropout with drop probability `p`: each channel of each
    /// sample is kept (scaled by `1/(1−p)`) or zeroed whole.
    pub fn dropout2d(self, p: f64) -> Self {
        self.named("dropout2d", move |input, seed, index| {
            let channels = pool::channels("dropout2d", input, None)?;
            Ok(Box::new(Dropout2d::new(
                channels,
                p,
                rng::derive_seed(seed, index),
            )?))
        })
    }
}
