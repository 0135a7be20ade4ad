//! The product's epilogue: an element-wise pass over a block of `C` run by
//! the thread that computed the block, right after computing it, while the
//! block is still in that thread's cache (a bias added, an activation
//! applied). [`Finish`] is what the product runs per block; [`Blocks`]
//! turns a block into the safe per-column view [`EpilogueColumn`] that the
//! public entry point ([`ops::product_then`](crate::ops::product_then))
//! hands to its caller's function.
//!
//! The epilogue reads only the block's own entries (of `C` and of the second
//! output), each once, after the product has written them: the values are
//! those a separate pass after the whole product would see, so the result is
//! the same bits whatever the cut into blocks (and so the thread count).

use std::ops::Range;

/// What a product runs on the block `rows × cols` of `C` once that block is
/// final (on the thread that computed it; blocks of different calls are
/// disjoint).
pub(crate) type Finish<'a> = &'a (dyn Fn(Range<usize>, Range<usize>) + Sync);

/// The epilogue of a plain product: nothing.
pub(crate) fn nothing(_: Range<usize>, _: Range<usize>) {}

/// One column's part of a block of `C` (and of an optional second output of
/// `C`'s shape), handed to the epilogue of
/// [`ops::product_then`](crate::ops::product_then).
///
/// Both slices hold the same rows ([`rows`](Self::rows)) of the same column
/// ([`col`](Self::col)); they have the same length.
///
/// ```
/// use backprop_tensor::{ops::{product_then, Op}, DMatrix};
/// let w = DMatrix::from_row_slice(2, 2, &[1.0_f32, 0.0, 0.0, 1.0]);
/// let x = DMatrix::from_row_slice(2, 3, &[1.0, -2.0, 3.0, -4.0, 5.0, -6.0]);
/// let bias = [0.5_f32, -0.5];
/// let (mut z, mut a) = (DMatrix::zeros(0, 0), DMatrix::zeros(0, 0));
/// // Z = W·X + b, A = max(Z, 0), in the product's write-back.
/// product_then(&w, Op::N, &x, Op::N, &mut z, Some(&mut a), |mut part| {
///     let rows = part.rows();
///     for (v, b) in part.z().iter_mut().zip(&bias[rows]) {
///         *v += *b;
///     }
///     part.map(|v| v.max(0.0));
/// })?;
/// assert_eq!(z.as_slice(), &[1.5, -4.5, -1.5, 4.5, 3.5, -6.5]);
/// assert_eq!(a.as_slice(), &[1.5, 0.0, 0.0, 4.5, 3.5, 0.0]);
/// # Ok::<(), backprop_tensor::TensorError>(())
/// ```
#[derive(Debug)]
pub struct EpilogueColumn<'a, T> {
    rows: Range<usize>,
    col: usize,
    z: &'a mut [T],
    out: Option<&'a mut [T]>,
}

impl<'a, T: Copy> EpilogueColumn<'a, T> {
    /// The rows of `C` this part holds (`z()[i]` is row `rows().start + i`).
    pub fn rows(&self) -> Range<usize> {
        self.rows.clone()
    }
    /// The column of `C` this part belongs to.
    pub fn col(&self) -> usize {
        self.col
    }
    /// The product's entries `C[rows, col]`, final: read and change them.
    pub fn z(&mut self) -> &mut [T] {
        &mut *self.z
    }
    /// The second output's entries at the same place, if there is one (its
    /// old contents are whatever the matrix held: write them).
    pub fn out(&mut self) -> Option<&mut [T]> {
        self.out.as_deref_mut()
    }
    /// Both: `C`'s entries and the second output's, if any.
    pub fn split(&mut self) -> (&mut [T], Option<&mut [T]>) {
        (&mut *self.z, self.out.as_deref_mut())
    }
    /// `out[i] = f(z[i])` when there is a second output, else
    /// `z[i] = f(z[i])` in place.
    #[inline]
    pub fn map(&mut self, f: impl Fn(T) -> T) {
        match self.out.as_deref_mut() {
            Some(out) => {
                for (o, &v) in out.iter_mut().zip(self.z.iter()) {
                    *o = f(v);
                }
            }
            None => {
                for v in self.z.iter_mut() {
                    *v = f(*v);
                }
            }
        }
    }
}

/// `C` (and the second output, or null) as raw column-major storage with
/// leading dimension `ld` (= `C`'s rows), shared by the threads that run
/// the epilogue on disjoint blocks.
pub(crate) struct Blocks<T> {
    c: *mut T,
    out: *mut T,
    ld: usize,
}

// SAFETY: `Blocks` hands out `&mut` slices only of the block a call is given,
// and the product gives disjoint blocks to concurrent calls (see
// `Blocks::each_column`); `T: Send` lets them be written from another
// thread.
unsafe impl<T: Send> Sync for Blocks<T> {}

impl<T: Copy> Blocks<T> {
    /// `C` at `c` and the second output at `out` (or null), both
    /// column-major with leading dimension `ld`.
    pub(crate) fn new(c: *mut T, out: *mut T, ld: usize) -> Self {
        Self { c, out, ld }
    }

    /// Calls `f` on each column of the block `rows × cols`.
    ///
    /// # Safety
    /// `rows × cols` lies inside both matrices (`rows.end <= ld`), which are
    /// valid for reads and writes there and do not overlap; no other
    /// reference to the block's entries exists during the call (the
    /// product's blocks are disjoint and final when their epilogue runs).
    #[inline]
    pub(crate) unsafe fn each_column(
        &self,
        rows: Range<usize>,
        cols: Range<usize>,
        f: &impl Fn(EpilogueColumn<'_, T>),
    ) {
        let len = rows.len();
        for col in cols {
            let at = col * self.ld + rows.start;
            // SAFETY: entries `at..at + len` are rows `rows` of column `col`,
            // inside the block the caller vouched for; the two matrices do
            // not overlap, so the two slices are disjoint.
            let (z, out) = unsafe {
                let z = std::slice::from_raw_parts_mut(self.c.add(at), len);
                let out = (!self.out.is_null())
                    .then(|| std::slice::from_raw_parts_mut(self.out.add(at), len));
                (z, out)
            };
            f(EpilogueColumn {
                rows: rows.clone(),
                col,
                z,
                out,
            });
        }
    }
}
