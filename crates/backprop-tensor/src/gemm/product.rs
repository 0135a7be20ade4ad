//! What one product is: the element types it is instantiated for
//! ([`Elem`]) and its operands, sizes and scalars ([`Gemm`]).

use std::ops::{Add, Mul};

/// The element types the product is instantiated for.
pub(crate) trait Elem:
    Copy + PartialEq + Add<Output = Self> + Mul<Output = Self> + 'static
{
    /// Additive identity.
    const ZERO: Self;
    /// Multiplicative identity.
    const ONE: Self;
}

impl Elem for f32 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
}

impl Elem for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
}

/// One product `C ← α·A·B + β·C`: `A` is `m×k`, `B` is `k×n`, `C` is `m×n`,
/// each given by a pointer and its row and column strides (in elements).
#[derive(Clone, Copy)]
pub(crate) struct Gemm<T> {
    pub m: usize,
    pub k: usize,
    pub n: usize,
    pub alpha: T,
    pub a: *const T,
    pub rsa: isize,
    pub csa: isize,
    pub b: *const T,
    pub rsb: isize,
    pub csb: isize,
    pub beta: T,
    pub c: *mut T,
    pub rsc: isize,
    pub csc: isize,
    /// `A` already packed for [`blocked`](super::blocked::blocked) by
    /// [`pack_whole_a`](super::pack::pack_whole_a) with the same
    /// instantiation (every depth block, one after the other), or null: pack
    /// it here. Set only by [`parallel_with`](super::parallel::parallel_with)
    /// for the slices of a product.
    pub a_packed: *const T,
    /// The product skips `B`'s zeros ([`sparse`](super::sparse)): decided
    /// once by [`parallel`](super::parallel::parallel) for the whole
    /// product, before it is cut for threads; `false` everywhere else.
    pub sparse_b: bool,
}
