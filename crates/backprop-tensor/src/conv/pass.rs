//! The convolution's forward and backward passes over a batch: the batch
//! cut into groups of samples, each group one im2col matrix `U` and three
//! products with our own GEMM, the groups spread over the pool's threads.
//!
//! For a group of `n` samples (`R = n·P` rows, see [`im2col`]):
//!
//! ```text
//! forward   Zᵍ  = U·Wᵀ                (R × O; then + b, scattered to Z's columns)
//! backward  dWᵍ = dZᵍᵀ·U              (O × K; a partial sum per group)
//!           dbᵍ = Σ_r dZᵍ[r, :]       (O)
//!           dU  = dZᵍ·W               (R × K; col2im adds it onto dX)
//! ```
//!
//! `dZᵍ` is the group's `dZ` gathered into the same `R × O` layout as
//! `Zᵍ`. The partial sums are added to `dW` and `db` in group order after
//! every group is done, so the result does not depend on which thread did
//! which group: a run is bit-identical on any number of threads.

use super::{Conv2dGeometry, col2im, im2col};
use crate::gemm::workspace_bound;
use crate::threads::{self, PARALLEL_MIN_FLOPS, Slices};
use crate::workspace::reserve_workspace;
use crate::{Result, Scalar, TensorError, ops};
use nalgebra::DMatrix;

/// The im2col matrix of one group aims at this many elements (512 KiB of
/// `f32`), so that a group's buffers stay in the core's L2 cache between
/// im2col and the products that read them.
const GROUP_ELEMENTS: usize = 1 << 17;
/// The most samples in one group.
const MAX_GROUP: usize = 64;

/// The buffers of the convolution passes (each part's im2col matrix and
/// gathered outputs, each group's partial gradients), owned by the caller
/// (a layer) and reused: after the first call at a batch size, a pass
/// allocates nothing.
///
/// ```
/// use backprop_tensor::conv::{self, Conv2dGeometry, Conv2dScratch};
/// use backprop_tensor::DMatrix;
/// let g = Conv2dGeometry::new([1, 4, 4], 2, (3, 3), (1, 1), (1, 1), (1, 1))?;
/// let w = DMatrix::from_element(2, 9, 1.0_f32); // O × C·kh·kw
/// let x = DMatrix::from_element(16, 3, 1.0);    // three 1×4×4 samples
/// let (mut z, mut scratch) = (DMatrix::zeros(0, 0), Conv2dScratch::default());
/// conv::forward(&g, &w, None, &x, &mut z, &mut scratch)?;
/// assert_eq!(z.shape(), (2 * 16, 3));
/// assert_eq!(z[(0, 0)], 4.0); // a corner sees 2×2 ones, the rest is padding
/// assert_eq!(z[(5, 0)], 9.0); // (1, 1) sees all nine
/// # Ok::<(), backprop_tensor::TensorError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Conv2dScratch<T> {
    /// Per part: `U` (`R × K`) then `Zᵍ` or `dZᵍ` (`R × O`).
    parts: Vec<Vec<T>>,
    /// Per group: `dWᵍ` (`O × K`) then `dbᵍ` (`O`).
    partials: Vec<T>,
}

/// The gradients a backward pass produces: `weight` and `bias` are added
/// to (as parameter gradients accumulate), `input` is overwritten (resized).
#[derive(Debug)]
pub struct Conv2dGrads<'a, T: Scalar> {
    /// `dW` (`O × K`), accumulated.
    pub weight: &'a mut DMatrix<T>,
    /// `db` (`O × 1`), accumulated; `None` for a convolution without bias.
    pub bias: Option<&'a mut DMatrix<T>>,
    /// `dX` (`C·H·W × m`), overwritten; `None` to skip it (the first layer).
    pub input: Option<&'a mut DMatrix<T>>,
}

/// How a batch of `m` samples is cut: groups of `group` samples (the last
/// may be smaller), spread over `parts`, each part one buffer and a run of
/// consecutive groups. `parallel` when the parts go to the pool's threads
/// (each product then runs on its thread alone); otherwise one part, and
/// each product may use the threads itself.
#[derive(Debug, Clone, Copy)]
pub(super) struct Cut {
    group: usize,
    pub(super) groups: usize,
    parts: usize,
    parallel: bool,
}

impl Cut {
    pub(super) fn new(g: &Conv2dGeometry, m: usize) -> Self {
        let rows_k = g.positions() * g.patch_len();
        // Every product of a group has 2·n·P·K·O operations.
        let flops = 2 * rows_k.saturating_mul(g.out_channels());
        let by_memory = GROUP_ELEMENTS / rows_k.max(1);
        let by_flops = (PARALLEL_MIN_FLOPS - 1) / flops.max(1);
        let group = by_memory.min(by_flops).clamp(1, MAX_GROUP);
        let groups = m.div_ceil(group);
        let threads = threads::num_threads();
        let parallel = threads >= 2 && groups >= 2 && by_flops >= 1;
        let parts = if parallel { groups.min(2 * threads) } else { 1 };
        Self {
            group,
            groups,
            parts,
            parallel,
        }
    }
    /// The groups of part `p`.
    fn groups_of(&self, p: usize) -> std::ops::Range<usize> {
        p * self.groups / self.parts..(p + 1) * self.groups / self.parts
    }
    /// The samples of group `grp` in a batch of `m`: `(first, count)`.
    fn samples(&self, grp: usize, m: usize) -> (usize, usize) {
        let first = grp * self.group;
        (first, self.group.min(m - first))
    }
}

/// A raw pointer shared with the pool's threads; each group (or part)
/// touches only its own elements behind it.
struct Ptr<T>(*mut T);

impl<T> Clone for Ptr<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Ptr<T> {}

// SAFETY: the pointee is only reached through disjoint ranges, one thread
// each, while the borrow it came from is held by the pass.
unsafe impl<T: Send> Send for Ptr<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Ptr<T> {}

impl<T> Ptr<T> {
    /// The pointer (a method, so that closures capture the whole wrapper).
    fn get(self) -> *mut T {
        self.0
    }
    /// `len` elements from `offset`, mutably.
    ///
    /// # Safety
    /// The range lies inside the allocation, and no other live reference
    /// overlaps it.
    #[allow(clippy::mut_from_ref)]
    unsafe fn slice<'a>(self, offset: usize, len: usize) -> &'a mut [T] {
        // SAFETY: the caller's contract.
        unsafe { std::slice::from_raw_parts_mut(self.0.add(offset), len) }
    }
}

/// An operand of a product: a slice and its row and column strides.
type Operand<'a, T> = (&'a [T], usize, usize);

/// `C ← A·B` (β = 0) for `A` `m×k`, `B` `k×n` and `C` `m×n`, each a slice
/// with its strides, through the crate's GEMM. Checks that every index the
/// strides reach lies inside its slice.
fn product<T: Scalar>(
    (m, k, n): (usize, usize, usize),
    (a, rsa, csa): Operand<'_, T>,
    (b, rsb, csb): Operand<'_, T>,
    (c, rsc, csc): (&mut [T], usize, usize),
) {
    let last = |rows: usize, cols: usize, rs: usize, cs: usize| {
        (rows.max(1) - 1) * rs + (cols.max(1) - 1) * cs
    };
    if m == 0 || n == 0 {
        return;
    }
    assert!(
        (k == 0 || (last(m, k, rsa, csa) < a.len() && last(k, n, rsb, csb) < b.len()))
            && last(m, n, rsc, csc) < c.len(),
        "conv2d: a product's operand is smaller than its strides say"
    );
    // SAFETY: every index the strides describe was checked to lie inside
    // its slice; `c` is borrowed mutably, so it aliases neither `a` nor `b`.
    unsafe {
        T::gemm_raw(
            m,
            k,
            n,
            T::one(),
            a.as_ptr(),
            rsa as isize,
            csa as isize,
            b.as_ptr(),
            rsb as isize,
            csb as isize,
            T::zero(),
            c.as_mut_ptr(),
            rsc as isize,
            csc as isize,
        );
    }
}

/// Runs `work(p, buffer)` for every part, on the pool's threads when the
/// cut is parallel. The helpers' packing workspaces are sized for `lines`
/// first, so that none of them allocates inside a product.
fn for_each_part<T: Scalar>(
    cut: &Cut,
    parts: &mut [Vec<T>],
    lines: usize,
    work: &(dyn Fn(usize, &mut [T]) + Sync),
) {
    let threads = threads::num_threads();
    let slices = if cut.parallel {
        Slices::new(parts.len(), 1, 1, threads)
    } else {
        None
    };
    let Some(slices) = slices else {
        for (p, buf) in parts.iter_mut().enumerate() {
            work(p, buf);
        }
        return;
    };
    reserve_workspace(lines);
    let base = Ptr(parts.as_mut_ptr());
    slices.run(threads, lines, &|lo, hi| {
        for p in lo..hi {
            // SAFETY: `p < parts.len()`, and the ranges of different calls
            // are disjoint, so each buffer is borrowed by one thread.
            let buf = unsafe { &mut *base.get().add(p) };
            work(p, buf);
        }
    });
}

fn check_weight<T: Scalar>(
    g: &Conv2dGeometry,
    op: &'static str,
    weight: &DMatrix<T>,
    bias_shape: Option<(usize, usize)>,
) -> Result<()> {
    let (o, k) = (g.out_channels(), g.patch_len());
    ops::check_shape(op, "W (out_channels × in_channels·kh·kw)", weight, (o, k))?;
    if let Some(found) = bias_shape
        && found != (o, 1)
    {
        return Err(TensorError::ShapeMismatch {
            op,
            operand: "b (out_channels × 1)",
            expected: (o, 1),
            found,
        });
    }
    Ok(())
}

fn check_input<T: Scalar>(g: &Conv2dGeometry, op: &'static str, x: &DMatrix<T>) -> Result<()> {
    if x.nrows() != g.input_len() {
        return Err(TensorError::ShapeMismatch {
            op,
            operand: "X (C·H·W × batch)",
            expected: (g.input_len(), x.ncols()),
            found: x.shape(),
        });
    }
    Ok(())
}

/// The sizes of part buffers and partials for `cut`, grown (never shrunk)
/// to fit; allocates only when a size grows.
impl<T: Scalar> Conv2dScratch<T> {
    fn prepare(&mut self, cut: &Cut, per_part: usize, per_group: usize) {
        if self.parts.len() < cut.parts {
            self.parts.resize_with(cut.parts, Vec::new);
        }
        for buf in &mut self.parts[..cut.parts] {
            if buf.len() < per_part {
                buf.resize(per_part, T::zero());
            }
        }
        let partials = cut.groups * per_group;
        if self.partials.len() < partials {
            self.partials.resize(partials, T::zero());
        }
    }
}

/// The forward pass `Z = W ⊛ X + b` on a batch: `x` is `C·H·W × m` (one
/// sample per column, `[C, H, W]` row-major), `weight` is `O × C·kh·kw`
/// (PyTorch's `[O, C, kh, kw]` flattened), `bias` `O × 1`; `z` is resized
/// to `O·OH·OW × m`.
///
/// Errors name the operand and both shapes.
pub fn forward<T: Scalar>(
    g: &Conv2dGeometry,
    weight: &DMatrix<T>,
    bias: Option<&DMatrix<T>>,
    x: &DMatrix<T>,
    z: &mut DMatrix<T>,
    scratch: &mut Conv2dScratch<T>,
) -> Result<()> {
    const OP: &str = "conv2d forward";
    check_weight(g, OP, weight, bias.map(|b| b.shape()))?;
    check_input(g, OP, x)?;
    let m = x.ncols();
    ops::resize(z, g.output_len(), m);
    if m == 0 {
        return Ok(());
    }
    let cut = Cut::new(g, m);
    let (p, k, o) = (g.positions(), g.patch_len(), g.out_channels());
    let (len, out_len) = (g.input_len(), g.output_len());
    let rows = cut.group * p;
    scratch.prepare(&cut, rows * (k + o), 0);
    let lines = workspace_bound(rows, k, o, T::BYTES);
    let (xs, ws) = (x.as_slice(), weight.as_slice());
    let bias = bias.map(|b| b.as_slice());
    let zp = Ptr(z.as_mut_ptr());
    for_each_part(
        &cut,
        &mut scratch.parts[..cut.parts],
        lines,
        &|part, buf| {
            for grp in cut.groups_of(part) {
                let (first, n) = cut.samples(grp, m);
                let r = n * p;
                let (u, zg) = buf.split_at_mut(rows * k);
                let (u, zg) = (&mut u[..r * k], &mut zg[..r * o]);
                im2col(g, &xs[first * len..(first + n) * len], n, u);
                // Zᵍ (R × O) = U (R × K) · Wᵀ (K × O); Wᵀ[k, o] = W[o + k·O].
                product((r, k, o), (u, 1, r), (ws, o, 1), (zg, 1, r));
                // SAFETY: the columns first..first+n of Z belong to this group.
                let out = unsafe { zp.slice(first * out_len, n * out_len) };
                ops::simd(|| scatter(zg, out, n, p, o, bias));
            }
        },
    );
    Ok(())
}

/// `out[s][o·P + q] = zg[o·R + s·P + q] + b[o]`: a group's `R × O` result
/// into its samples' columns.
#[inline(always)]
fn scatter<T: Scalar>(zg: &[T], out: &mut [T], n: usize, p: usize, o: usize, bias: Option<&[T]>) {
    let r = n * p;
    for (s, sample) in out.chunks_exact_mut(o * p).enumerate().take(n) {
        for (c, dst) in sample.chunks_exact_mut(p).enumerate() {
            let src = &zg[c * r + s * p..][..p];
            match bias {
                Some(b) => {
                    let bc = b[c];
                    for (d, &v) in dst.iter_mut().zip(src) {
                        *d = v + bc;
                    }
                }
                None => dst.copy_from_slice(src),
            }
        }
    }
}

/// `dzg[o·R + s·P + q] = dz[s][o·P + q]`: a group's `dZ` columns into the
/// `R × O` layout of its products.
#[inline(always)]
fn gather<T: Scalar>(dz: &[T], dzg: &mut [T], n: usize, p: usize, o: usize) {
    let r = n * p;
    for (s, sample) in dz.chunks_exact(o * p).enumerate().take(n) {
        for (c, src) in sample.chunks_exact(p).enumerate() {
            dzg[c * r + s * p..][..p].copy_from_slice(src);
        }
    }
}

/// The sum of `xs` in a fixed order (sixteen running sums, then the
/// rest), so that it vectorises and gives the same bits every time.
#[inline(always)]
fn lane_sum<T: Scalar>(xs: &[T]) -> T {
    const L: usize = 16;
    let mut acc = [T::zero(); L];
    let chunks = xs.chunks_exact(L);
    let rest = chunks.remainder();
    for chunk in chunks {
        for (a, &x) in acc.iter_mut().zip(chunk) {
            *a += x;
        }
    }
    let mut s = acc.iter().fold(T::zero(), |s, &a| s + a);
    for &x in rest {
        s += x;
    }
    s
}

/// The backward pass: given `dz = ∂L/∂Z` (`O·OH·OW × m`) and the forward
/// pass's input `x`, adds `∂L/∂W` and `∂L/∂b` to `grads.weight` and
/// `grads.bias`, and writes `∂L/∂X` into `grads.input` when asked.
///
/// Errors name the operand and both shapes.
pub fn backward<T: Scalar>(
    g: &Conv2dGeometry,
    weight: &DMatrix<T>,
    x: &DMatrix<T>,
    dz: &DMatrix<T>,
    grads: Conv2dGrads<'_, T>,
    scratch: &mut Conv2dScratch<T>,
) -> Result<()> {
    const OP: &str = "conv2d backward";
    let Conv2dGrads {
        weight: dw,
        bias: mut db,
        input: dx,
    } = grads;
    check_weight(g, OP, weight, None)?;
    check_weight(g, OP, dw, db.as_ref().map(|b| b.shape()))?;
    check_input(g, OP, x)?;
    let m = x.ncols();
    ops::check_shape(OP, "dZ (O·OH·OW × batch)", dz, (g.output_len(), m))?;
    let (p, k, o) = (g.positions(), g.patch_len(), g.out_channels());
    let (len, out_len) = (g.input_len(), g.output_len());
    let mut dx = dx;
    if let Some(dx) = dx.as_deref_mut() {
        ops::resize(dx, len, m);
    }
    if m == 0 {
        return Ok(());
    }
    let cut = Cut::new(g, m);
    let rows = cut.group * p;
    let per_group = o * k + o;
    scratch.prepare(&cut, rows * (k + o), per_group);
    let lines = workspace_bound(rows, k, o, T::BYTES)
        .max(workspace_bound(o, rows, k, T::BYTES))
        .max(workspace_bound(rows, o, k, T::BYTES));
    let (xs, dzs, ws) = (x.as_slice(), dz.as_slice(), weight.as_slice());
    let dxp = dx.as_mut().map(|d| Ptr(d.as_mut_ptr()));
    let partials = Ptr(scratch.partials.as_mut_ptr());
    for_each_part(
        &cut,
        &mut scratch.parts[..cut.parts],
        lines,
        &|part, buf| {
            for grp in cut.groups_of(part) {
                let (first, n) = cut.samples(grp, m);
                let r = n * p;
                let (u, dzg) = buf.split_at_mut(rows * k);
                let (u, dzg) = (&mut u[..r * k], &mut dzg[..r * o]);
                // SAFETY: group grp's partials are its own.
                let mine = unsafe { partials.slice(grp * per_group, per_group) };
                let (pdw, pdb) = mine.split_at_mut(o * k);
                im2col(g, &xs[first * len..(first + n) * len], n, u);
                ops::simd(|| {
                    gather(&dzs[first * out_len..(first + n) * out_len], dzg, n, p, o);
                    for (c, b) in pdb.iter_mut().enumerate() {
                        *b = lane_sum(&dzg[c * r..][..r]);
                    }
                });
                // dWᵍ (O × K) = dZᵍᵀ (O × R) · U (R × K).
                product((o, r, k), (dzg, r, 1), (u, 1, r), (pdw, 1, o));
                if let Some(dxp) = dxp {
                    // dU (R × K) = dZᵍ (R × O) · W (O × K), into U's buffer.
                    product((r, o, k), (dzg, 1, r), (ws, 1, o), (u, 1, r));
                    // SAFETY: the columns first..first+n of dX belong to this group.
                    let dxg = unsafe { dxp.slice(first * len, n * len) };
                    dxg.fill(T::zero());
                    col2im(g, u, n, dxg);
                }
            }
        },
    );
    // The groups' partial sums, in group order.
    let partials = &scratch.partials[..cut.groups * per_group];
    ops::simd(|| {
        for mine in partials.chunks_exact(per_group) {
            let (pdw, pdb) = mine.split_at(o * k);
            for (a, &v) in dw.as_mut_slice().iter_mut().zip(pdw) {
                *a += v;
            }
            if let Some(db) = db.as_deref_mut() {
                for (a, &v) in db.as_mut_slice().iter_mut().zip(pdb) {
                    *a += v;
                }
            }
        }
    });
    Ok(())
}
