//! The driver shared by the element-wise losses (MSE and the two binary
//! cross-entropies): `L = (1/norm) Σ ℓ(ŷ, y)` over every entry, and
//! `∂L/∂ŷ = ℓ′(ŷ, y) / norm`.
//!
//! Per-column sums are accumulated in `T`, the batch total in `f64`, so long
//! `f32` batches do not lose the small terms.

use crate::batch::{Batch, Labels, one_hot};
use backprop_tensor::{DMatrix, Scalar, ops::resize};

/// One entry's loss `ℓ(p, y)` and derivative `∂ℓ/∂p`.
pub(crate) trait Pointwise<T: Scalar> {
    /// `ℓ(p, y)`.
    fn value(&self, p: T, y: T) -> T;
    /// `∂ℓ/∂p`.
    fn derivative(&self, p: T, y: T) -> T;
    /// Both; override when they share work. Must return exactly
    /// `(value(p, y), derivative(p, y))`.
    fn value_and_derivative(&self, p: T, y: T) -> (T, T) {
        (self.value(p, y), self.derivative(p, y))
    }
}

/// `(1/norm) Σ ℓ` over the batch.
pub(crate) fn loss<T: Scalar, K: Pointwise<T>>(k: &K, b: &Batch<'_, T>, norm: f64) -> T {
    let mut total = 0.0;
    match b.labels {
        Labels::Dense(y) => {
            for (p, y) in b.columns().zip(y.chunks_exact(b.rows)) {
                total += column_loss(k, p, y.iter().copied()).as_f64();
            }
        }
        Labels::Classes(classes) => {
            for (p, &c) in b.columns().zip(classes) {
                total += column_loss(k, p, one_hot(b.rows, c)).as_f64();
            }
        }
    }
    T::of(total / norm)
}

/// `grad ← ℓ′ / norm`, `grad` resized to the batch.
pub(crate) fn gradient<T: Scalar, K: Pointwise<T>>(
    k: &K,
    b: &Batch<'_, T>,
    norm: f64,
    grad: &mut DMatrix<T>,
) {
    resize(grad, b.rows, b.cols);
    let scale = T::of(1.0 / norm);
    let g = grad.as_mut_slice().chunks_exact_mut(b.rows);
    match b.labels {
        Labels::Dense(y) => {
            for ((g, p), y) in g.zip(b.columns()).zip(y.chunks_exact(b.rows)) {
                column_gradient(k, p, y.iter().copied(), g, scale);
            }
        }
        Labels::Classes(classes) => {
            for ((g, p), &c) in g.zip(b.columns()).zip(classes) {
                column_gradient(k, p, one_hot(b.rows, c), g, scale);
            }
        }
    }
}

/// Both in one pass.
pub(crate) fn loss_and_gradient<T: Scalar, K: Pointwise<T>>(
    k: &K,
    b: &Batch<'_, T>,
    norm: f64,
    grad: &mut DMatrix<T>,
) -> T {
    resize(grad, b.rows, b.cols);
    let scale = T::of(1.0 / norm);
    let g = grad.as_mut_slice().chunks_exact_mut(b.rows);
    let mut total = 0.0;
    match b.labels {
        Labels::Dense(y) => {
            for ((g, p), y) in g.zip(b.columns()).zip(y.chunks_exact(b.rows)) {
                total += column_both(k, p, y.iter().copied(), g, scale).as_f64();
            }
        }
        Labels::Classes(classes) => {
            for ((g, p), &c) in g.zip(b.columns()).zip(classes) {
                total += column_both(k, p, one_hot(b.rows, c), g, scale).as_f64();
            }
        }
    }
    T::of(total / norm)
}

#[inline]
fn column_loss<T: Scalar, K: Pointwise<T>>(k: &K, p: &[T], y: impl Iterator<Item = T>) -> T {
    p.iter()
        .zip(y)
        .fold(T::zero(), |acc, (&p, y)| acc + k.value(p, y))
}

#[inline]
fn column_gradient<T: Scalar, K: Pointwise<T>>(
    k: &K,
    p: &[T],
    y: impl Iterator<Item = T>,
    g: &mut [T],
    scale: T,
) {
    for ((g, &p), y) in g.iter_mut().zip(p).zip(y) {
        *g = k.derivative(p, y) * scale;
    }
}

#[inline]
fn column_both<T: Scalar, K: Pointwise<T>>(
    k: &K,
    p: &[T],
    y: impl Iterator<Item = T>,
    g: &mut [T],
    scale: T,
) -> T {
    let mut sum = T::zero();
    for ((g, &p), y) in g.iter_mut().zip(p).zip(y) {
        let (value, derivative) = k.value_and_derivative(p, y);
        sum += value;
        *g = derivative * scale;
    }
    sum
}
