//! 2-D convolution (PyTorch's `Conv2d`, a cross-correlation) as matrix
//! products: [`im2col`] lays a group of samples' receptive fields out as a
//! matrix `U`, so that the forward pass is `U·Wᵀ`, the weight gradient
//! `dZᵀ·U` and the input gradient `col2im(dZ·W)`, each through the crate's
//! own GEMM ([`ops`](crate::ops)). docs/math.md derives each formula.
//!
//! - [`Conv2dGeometry`]: the sizes (input, kernel, stride, padding,
//!   dilation, output), checked once;
//! - [`im2col`], [`col2im`]: the layout and its adjoint;
//! - [`forward`], [`backward`]: whole batches, in groups of samples spread
//!   over the pool's threads ([`crate::threads`]), bit-identical on any
//!   number of threads, with buffers in a caller-owned [`Conv2dScratch`]
//!   (no allocation after the first call at a batch size).
//!
//! A batch is a matrix with one sample per column, each sample `[C, H, W]`
//! in row-major order (PyTorch's NCHW flattening); the weight is the
//! `O × C·kh·kw` matrix of PyTorch's `[O, C, kh, kw]` tensor flattened
//! row by row.

mod buffers;
mod direct;
mod geometry;
mod im2col;
#[cfg(target_arch = "x86_64")]
mod kernels;
#[cfg(not(target_arch = "x86_64"))]
#[path = "kernels_stub.rs"]
mod kernels;
mod pass;
mod run;
#[cfg(test)]
mod tests;
mod transposed;
#[cfg(target_arch = "x86_64")]
mod x86;
#[cfg(target_arch = "x86_64")]
mod x86_512;

pub use geometry::Conv2dGeometry;
pub use im2col::{col2im, im2col};
pub use pass::{Conv2dGrads, backward, forward};
pub use run::Conv2dScratch;
