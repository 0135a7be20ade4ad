//! What the passes share: how a batch is cut into groups and parts
//! ([`Cut`]), running the parts on the pool's threads
//! ([`for_each_part`]), a checked product through the GEMM ([`product`]),
//! the caller-owned buffers ([`Conv2dScratch`]) and a fixed-order sum.

use super::Conv2dGeometry;
use crate::Scalar;
use crate::threads::{self, Slices};
use crate::workspace::reserve_workspace;

/// The im2col matrix of one group aims at this many elements (512 KiB of
/// `f32`), so that a group's buffers stay in the core's L2 cache between
/// im2col and the products that read them.
const GROUP_ELEMENTS: usize = 1 << 17;
/// The most samples in one group.
const MAX_GROUP: usize = 64;
/// A group's products stay under this many floating-point operations
/// (`2·m·n·k` each), so that a batch of many small products is cut into
/// parts for the threads rather than each product cut itself. The groups
/// were tuned on LeNet-5 with this bound when it was also the products'
/// threshold for threads. That threshold is now 1 MFLOP; with the groups
/// bounded by 1 MFLOP too, a LeNet-5 step was not faster (`scripts/ab.sh`,
/// `lenet64`: 1.01, quartiles 0.98–1.05), so the groups keep 4 MFLOP.
const GROUP_MAX_FLOPS: usize = 4 << 20;

/// The buffers of the convolution passes (each part's im2col matrix or
/// padded samples and work space, each group's partial gradients, the
/// tables of the implicit path), owned by the caller (a layer) and reused:
/// after the first call at a batch size, a pass allocates nothing.
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
    /// Per part: its buffers, carved by the pass.
    pub(super) parts: Vec<Vec<T>>,
    /// Per part: the implicit path's index table.
    pub(super) index: Vec<Vec<usize>>,
    /// Per group: `dWᵍ` (`O × K`) then `dbᵍ` (`O`).
    pub(super) partials: Vec<T>,
    /// The implicit path's tables: tap offsets, position bases, the packed
    /// weight.
    pub(super) off: Vec<usize>,
    pub(super) base: Vec<usize>,
    pub(super) packed: Vec<T>,
    /// The row-wise input gradient's tables: tap offsets, the transposed
    /// weight.
    pub(super) dx_off: Vec<usize>,
    pub(super) dx_packed: Vec<T>,
    /// The geometries `off`/`base` and `dx_off` were built for.
    pub(super) built: Option<Conv2dGeometry>,
    pub(super) dx_built: Option<Conv2dGeometry>,
}

impl<T: Scalar> Conv2dScratch<T> {
    /// Grows (never shrinks) the buffers to `cut`'s parts of `per_part`
    /// values and `per_index` indices, `per_group` partials per group and
    /// `packed` (`dx_packed`) packed weights; allocates only when a size
    /// grows.
    pub(super) fn prepare(
        &mut self,
        cut: &Cut,
        per_part: usize,
        per_index: usize,
        per_group: usize,
        (packed, dx_packed): (usize, usize),
    ) {
        if self.parts.len() < cut.parts {
            self.parts.resize_with(cut.parts, Vec::new);
            self.index.resize_with(cut.parts, Vec::new);
        }
        for buf in &mut self.parts[..cut.parts] {
            if buf.len() < per_part {
                buf.resize(per_part, T::zero());
            }
        }
        for buf in &mut self.index[..cut.parts] {
            if buf.len() < per_index {
                buf.resize(per_index, 0);
            }
        }
        let partials = cut.groups * per_group;
        if self.partials.len() < partials {
            self.partials.resize(partials, T::zero());
        }
        if self.packed.len() < packed {
            self.packed.resize(packed, T::zero());
        }
        if self.dx_packed.len() < dx_packed {
            self.dx_packed.resize(dx_packed, T::zero());
        }
    }
}

/// How a batch of `m` samples is cut: groups of `group` samples (the last
/// may be smaller), spread over `parts`, each part one buffer and a run of
/// consecutive groups. `parallel` when the parts go to the pool's threads
/// (each product then runs on its thread alone); otherwise one part, and
/// each product may use the threads itself.
#[derive(Debug, Clone, Copy)]
pub(super) struct Cut {
    pub(super) group: usize,
    pub(super) groups: usize,
    pub(super) parts: usize,
    parallel: bool,
}

impl Cut {
    pub(super) fn new(g: &Conv2dGeometry, m: usize) -> Self {
        let rows_k = g.positions() * g.patch_len();
        // Every product of a group has 2·n·P·K·O operations.
        let flops = 2 * rows_k.saturating_mul(g.out_channels());
        let by_memory = GROUP_ELEMENTS / rows_k.max(1);
        let by_flops = (GROUP_MAX_FLOPS - 1) / flops.max(1);
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
    pub(super) fn groups_of(&self, p: usize) -> std::ops::Range<usize> {
        p * self.groups / self.parts..(p + 1) * self.groups / self.parts
    }
    /// The samples of group `grp` in a batch of `m`: `(first, count)`.
    pub(super) fn samples(&self, grp: usize, m: usize) -> (usize, usize) {
        let first = grp * self.group;
        (first, self.group.min(m - first))
    }
}

/// A raw pointer shared with the pool's threads; each group (or part)
/// touches only its own elements behind it.
pub(super) struct Ptr<T>(pub(super) *mut T);

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
    pub(super) unsafe fn slice<'a>(self, offset: usize, len: usize) -> &'a mut [T] {
        // SAFETY: the caller's contract.
        unsafe { std::slice::from_raw_parts_mut(self.0.add(offset), len) }
    }
}

/// An operand of a product: a slice and its row and column strides.
pub(super) type Operand<'a, T> = (&'a [T], usize, usize);

/// `C ← A·B` (β = 0) for `A` `m×k`, `B` `k×n` and `C` `m×n`, each a slice
/// with its strides, through the crate's GEMM. Checks that every index the
/// strides reach lies inside its slice.
pub(super) fn product<T: Scalar>(
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

/// What a pass does with one part: its number, its buffer, its index table.
pub(super) type PartWork<'a, T> = dyn Fn(usize, &mut [T], &mut [usize]) + Sync + 'a;

/// Runs `work(p, buffer, index)` for every part, on the pool's threads when the
/// cut is parallel. The helpers' packing workspaces are sized for `lines`
/// first, so that none of them allocates inside a product.
pub(super) fn for_each_part<T: Scalar>(
    cut: &Cut,
    parts: &mut [Vec<T>],
    index: &mut [Vec<usize>],
    lines: usize,
    work: &PartWork<'_, T>,
) {
    let threads = threads::num_threads();
    let slices = if cut.parallel {
        Slices::new(parts.len(), 1, 1, threads)
    } else {
        None
    };
    let Some(slices) = slices else {
        for (p, (buf, idx)) in parts.iter_mut().zip(index.iter_mut()).enumerate() {
            work(p, buf, idx);
        }
        return;
    };
    reserve_workspace(lines);
    let (base, ibase) = (Ptr(parts.as_mut_ptr()), Ptr(index.as_mut_ptr()));
    slices.run(threads, lines, &|lo, hi| {
        for p in lo..hi {
            // SAFETY: `p < parts.len() = index.len()`, and the ranges of
            // different calls are disjoint, so each buffer is borrowed by
            // one thread.
            let (buf, idx) = unsafe { (&mut *base.get().add(p), &mut *ibase.get().add(p)) };
            work(p, buf, idx);
        }
    });
}

/// The sum of `xs` in a fixed order (sixteen running sums, then the
/// rest), so that it vectorises and gives the same bits every time.
#[inline(always)]
pub(super) fn lane_sum<T: Scalar>(xs: &[T]) -> T {
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
