//! The tutorial's five functions, under the tutorial's names, on the
//! workspace's primitives.
//!
//! Notation (the tutorial's): layers `l = 1..=L`, `A[0] = X`, batches with
//! **one column per sample** (`X` is `784 × m`), `W[l]` is `n[l] × n[l−1]`,
//! `b[l]` is `n[l] × 1`. ReLU on the hidden layers, sigmoid on the output,
//! binary cross-entropy on one-hot labels, plain gradient descent.
//!
//! | tutorial | here |
//! |---|---|
//! | `initialize_parameters(layer_dims)` | [`initialize_parameters`] |
//! | `L_model_forward(X, parameters)` | [`forward_propagation`] (keeps the caches the tutorial dropped) |
//! | `compute_cost(AL, Y)` (never defined) | [`compute_cost`] |
//! | `L_model_backward(AL, Y, caches)` | [`backward_propagation`] (`dZ[L]` set before the loop) |
//! | `update_parameters(parameters, grads, learning_rate)` | [`update_parameters`] |
//!
//! Gradients follow the tutorial's convention: `dA` and `dZ` are per-sample
//! (no `1/m`), and the `1/m` of the batch mean is applied when `dW` and `db`
//! are formed. Every product goes through `backprop::tensor::ops`, which reads
//! transposes through strides and never copies them.
//!
//! This file is shared by `examples/seed.rs` (`mod tutorial;`) and
//! `tests/seed_pipeline.rs` (`#[path] mod tutorial;`), so the test checks the
//! very code the example runs.

use backprop::activations::{Activation, Relu, Sigmoid};
use backprop::losses::{BinaryCrossEntropy, Loss, Target};
use backprop::tensor::ops::{self, Op};
use backprop::tensor::{DMatrix, Init, Scalar, rng};
use std::borrow::Cow;
use std::error::Error;

/// Errors of the pipeline (shape mismatches from the tensor ops, the loss or
/// the activations).
pub type Result<T> = std::result::Result<T, Box<dyn Error + Send + Sync>>;

/// `W[l]` and `b[l]` of one layer (`parameters["W" + str(l)]`,
/// `parameters["b" + str(l)]` in the tutorial).
#[derive(Debug, Clone, PartialEq)]
pub struct LayerParameters<T: Scalar> {
    /// `W[l]`, `n[l] × n[l−1]`.
    pub w: DMatrix<T>,
    /// `b[l]`, `n[l] × 1`.
    pub b: DMatrix<T>,
}

/// The tutorial's `parameters` dictionary: entry `l − 1` holds layer `l`.
pub type Parameters<T> = Vec<LayerParameters<T>>;

/// What the forward pass of layer `l` keeps for the backward pass: the
/// tutorial's `cache = (A_prev, W, b, Z)`, minus `b`, which backward never
/// reads.
#[derive(Debug, Clone)]
pub struct Cache<'a, T: Scalar> {
    /// `A[l−1]`, the layer's input: borrowed for `l = 1` (it is `X`), owned
    /// after that (the previous layer's output, moved, not copied).
    pub a_prev: Cow<'a, DMatrix<T>>,
    /// `W[l]`, borrowed from the parameters.
    pub w: &'a DMatrix<T>,
    /// `Z[l] = W[l]·A[l−1] + b[l]`.
    pub z: DMatrix<T>,
}

/// `dW[l]` and `db[l]` of one layer (`grads["dW" + str(l)]`, `grads["db" + str(l)]`).
#[derive(Debug, Clone, PartialEq)]
pub struct LayerGrads<T: Scalar> {
    /// `dW[l] = ∂J/∂W[l]`, the shape of `W[l]`.
    pub dw: DMatrix<T>,
    /// `db[l] = ∂J/∂b[l]`, the shape of `b[l]`.
    pub db: DMatrix<T>,
}

/// The tutorial's `grads` dictionary: entry `l − 1` holds layer `l`.
pub type Grads<T> = Vec<LayerGrads<T>>;

/// How `dZ[L]`, the gradient at the output layer's pre-activation, is formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputGradient {
    /// `dZ[L] = A[L] − Y`: sigmoid and cross-entropy differentiated together.
    /// No division, so it cannot overflow, in `f32` or `f64`.
    Fused,
    /// The tutorial's two steps: `dA[L] = −(Y/A[L] − (1−Y)/(1−A[L]))`, then
    /// `dZ[L] = dA[L] ⊙ σ′(Z[L])`. `dA[L]` comes from the clamped binary
    /// cross-entropy gradient of `backprop-losses`, so it stays finite when a
    /// sigmoid output rounds to exactly 0 or 1.
    Tutorial,
}

/// `initialize_parameters(layer_dims)`: for `l = 1..L`, `W[l]` (`n[l] × n[l−1]`)
/// drawn from `init` — [`Init::Tutorial`] is the tutorial's
/// `np.random.randn(n[l], n[l−1]) * 0.01`, [`Init::HeNormal`] is
/// `randn · √(2/n[l−1])` — and `b[l] = 0` (`n[l] × 1`). One generator seeded
/// with `seed` draws `W[1]`, `W[2]`, … in order.
pub fn initialize_parameters<T: Scalar>(
    layer_dims: &[usize],
    init: Init,
    seed: u64,
) -> Parameters<T> {
    let mut rng = rng::seeded(seed);
    layer_dims
        .windows(2)
        .map(|dims| {
            let (n_prev, n) = (dims[0], dims[1]);
            LayerParameters {
                w: init.matrix(n, n_prev, &mut rng),
                b: DMatrix::zeros(n, 1),
            }
        })
        .collect()
}

/// `L_model_forward(X, parameters)`: returns `A[L]` and one [`Cache`] per
/// layer — the caches the tutorial computed but never kept.
///
/// For `l = 1..L`: `Z[l] = W[l]·A[l−1] + b[l]`, then `A[l] = relu(Z[l])`
/// for `l < L` and `A[L] = σ(Z[L])`.
pub fn forward_propagation<'a, T: Scalar>(
    x: &'a DMatrix<T>,
    parameters: &'a [LayerParameters<T>],
) -> Result<(DMatrix<T>, Vec<Cache<'a, T>>)> {
    let big_l = parameters.len();
    let mut caches = Vec::with_capacity(big_l);
    // A[0] = X
    let mut a: Cow<'a, DMatrix<T>> = Cow::Borrowed(x);
    for (l, LayerParameters { w, b }) in (1..=big_l).zip(parameters) {
        // Z[l] = W[l]·A[l−1] + b[l]   (b broadcast over the m columns)
        let mut z = DMatrix::zeros(0, 0);
        ops::matmul_into(w, &a, &mut z)?;
        ops::add_bias(&mut z, b)?;
        // A[l] = g[l](Z[l]):  relu for l < L, sigmoid for l = L
        let mut a_next = DMatrix::zeros(0, 0);
        if l < big_l {
            Relu.forward(&z, &mut a_next);
        } else {
            Sigmoid.forward(&z, &mut a_next);
        }
        // cache = (A[l−1], W[l], Z[l])   — FIX: the tutorial never appended it
        caches.push(Cache { a_prev: a, w, z });
        a = Cow::Owned(a_next);
    }
    // A[L] (for L = 0 this is X itself)
    Ok((a.into_owned(), caches))
}

/// `compute_cost(AL, Y)`, which the tutorial calls but never defines: binary
/// cross-entropy summed over the output rows, averaged over the `m` samples,
///
/// `J = −(1/m) Σⱼ Σᵢ [ Yᵢⱼ·ln A[L]ᵢⱼ + (1 − Yᵢⱼ)·ln(1 − A[L]ᵢⱼ) ]`,
///
/// from [`BinaryCrossEntropy`], which clamps `A[L]` to `[ε, 1 − ε]` so an
/// output of exactly 0 or 1 gives a finite cost instead of `ln 0 = −∞`.
pub fn compute_cost<T: Scalar>(al: &DMatrix<T>, y: &DMatrix<T>) -> Result<T> {
    Ok(BinaryCrossEntropy.loss(al, Target::Dense(y))?)
}

/// `L_model_backward(AL, Y, caches)`: `dW[l]` and `db[l]` for every layer.
///
/// `dZ[L]` is computed **before** the loop (the tutorial's loop read `dZ`
/// before ever setting it), by [`OutputGradient`]. Then for `l = L..1`:
///
/// - `dW[l] = (1/m)·dZ[l]·A[l−1]ᵀ`
/// - `db[l] = (1/m)·Σ_columns dZ[l]`
/// - for `l > 1`: `dA[l−1] = W[l]ᵀ·dZ[l]` and `dZ[l−1] = dA[l−1] ⊙ relu′(Z[l−1])`
pub fn backward_propagation<T: Scalar>(
    al: &DMatrix<T>,
    y: &DMatrix<T>,
    caches: &[Cache<'_, T>],
    gradient: OutputGradient,
) -> Result<Grads<T>> {
    let big_l = caches.len();
    let Some(last) = caches.last() else {
        return Ok(Vec::new());
    };
    ops::check_shape("backward_propagation", "Y", y, al.shape())?;
    let m = al.ncols();
    let inv_m = T::one() / T::of_usize(m);

    // FIX: dZ[L] before the loop.
    let mut dz = match gradient {
        // dZ[L] = A[L] − Y
        OutputGradient::Fused => al - y,
        OutputGradient::Tutorial => {
            // dA[L] = −(Y/A[L] − (1−Y)/(1−A[L])). The loss crate returns
            // ∂J/∂A[L] of the batch mean, i.e. dA[L]/m, with A[L] clamped to
            // [ε, 1 − ε]; × m gives the tutorial's per-sample dA[L].
            let mut dal = DMatrix::zeros(0, 0);
            BinaryCrossEntropy.gradient(al, Target::Dense(y), &mut dal)?;
            dal *= T::of_usize(m);
            // dZ[L] = dA[L] ⊙ σ′(Z[L]) = dA[L] ⊙ A[L] ⊙ (1 − A[L])
            let mut dz = DMatrix::zeros(0, 0);
            Sigmoid.backward(&last.z, al, &dal, &mut dz)?;
            dz
        }
    };

    let mut grads = Vec::with_capacity(big_l);
    let mut da_prev = DMatrix::zeros(0, 0);
    for l in (1..=big_l).rev() {
        let Cache { a_prev, w, .. } = &caches[l - 1];
        // dW[l] = (1/m)·dZ[l]·A[l−1]ᵀ   (Aᵀ read through strides, not copied)
        let mut dw = DMatrix::zeros(w.nrows(), w.ncols());
        ops::gemm(inv_m, &dz, Op::N, a_prev, Op::T, T::zero(), &mut dw)?;
        // db[l] = (1/m)·Σⱼ dZ[l][:, j]
        let mut db = DMatrix::zeros(w.nrows(), 1);
        ops::sum_columns(inv_m, &dz, T::zero(), &mut db)?;
        grads.push(LayerGrads { dw, db });
        if l > 1 {
            // dA[l−1] = W[l]ᵀ·dZ[l]   (Wᵀ read through strides)
            ops::matmul_tn_into(w, &dz, &mut da_prev)?;
            // dZ[l−1] = dA[l−1] ⊙ relu′(Z[l−1]); relu′ = 1 where Z[l−1] > 0.
            // A[l−1] = relu(Z[l−1]) is this layer's input.
            let z_prev = &caches[l - 2].z;
            let mut dz_prev = DMatrix::zeros(0, 0);
            Relu.backward(z_prev, a_prev, &da_prev, &mut dz_prev)?;
            dz = dz_prev;
        }
    }
    grads.reverse(); // built from l = L down to 1
    Ok(grads)
}

/// `update_parameters(parameters, grads, learning_rate)`: plain gradient
/// descent, `W[l] ← W[l] − α·dW[l]` and `b[l] ← b[l] − α·db[l]`.
pub fn update_parameters<T: Scalar>(
    parameters: &mut [LayerParameters<T>],
    grads: &[LayerGrads<T>],
    learning_rate: f64,
) -> Result<()> {
    if parameters.len() != grads.len() {
        return Err(format!(
            "update_parameters: {} layers of parameters but {} of gradients",
            parameters.len(),
            grads.len()
        )
        .into());
    }
    let alpha = T::of(learning_rate);
    for (p, g) in parameters.iter_mut().zip(grads) {
        ops::check_shape("update_parameters", "dW", &g.dw, p.w.shape())?;
        ops::check_shape("update_parameters", "db", &g.db, p.b.shape())?;
        // W[l] ← W[l] − α·dW[l]
        descend(&mut p.w, alpha, &g.dw);
        // b[l] ← b[l] − α·db[l]
        descend(&mut p.b, alpha, &g.db);
    }
    Ok(())
}

/// `value ← value − α·grad`, entry by entry (shapes checked by the caller).
fn descend<T: Scalar>(value: &mut DMatrix<T>, alpha: T, grad: &DMatrix<T>) {
    for (v, &g) in value.as_mut_slice().iter_mut().zip(grad.as_slice()) {
        *v -= alpha * g;
    }
}
