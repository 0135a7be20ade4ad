//! The input gradient of a stride-1 `f32` convolution on AVX2+FMA CPUs as a
//! transposed convolution, computed row by row without col2im:
//!
//! ```text
//! dX[c, y, x] = Σ_{i,o,j} W[o, c, i, j] · dZ[o, y + ph − i·dh, x + pw − j·dw]
//! ```
//!
//! (`dZ` is zero outside `OH × OW`). For an output row `y`, only the kernel
//! rows `i` whose `dZ` row exists contribute, so they are the only taps
//! computed; along a row, `dZ` is padded with zeros so that 16 consecutive
//! `x` read 16 consecutive values (the positions kernel of x86.rs, with the
//! tap offsets of `(i, o, j)` and the weight transposed to `[i, o, j][c]`).

use super::Conv2dGeometry;
use super::buffers::{ALIGN_SLACK, align64, embed};
use super::kernels::{self, Isa};
use crate::Scalar;
use std::any::TypeId;

/// The sizes of the row-wise transposed convolution for one geometry.
#[derive(Debug, Clone, Copy)]
pub(super) struct InputGrad {
    /// The kernels this CPU runs.
    isa: Isa,
    /// Rows of zeros above `dZ`, `(kh − 1)·dh`, so that every tap's row
    /// index is non-negative.
    top: usize,
    /// Zeros left of each `dZ` row, `(kw − 1)·dw`.
    left: usize,
    /// The padded `dZ` plane: `Hz = top + OH` rows of `Wz` values.
    hz: usize,
    wz: usize,
}

impl InputGrad {
    /// The row-wise path for `g` in `T`, or `None` (not `f32`, no AVX2 and
    /// FMA, or a stride).
    pub(super) fn new<T: Scalar>(g: &Conv2dGeometry) -> Option<Self> {
        if TypeId::of::<T>() != TypeId::of::<f32>() || g.stride() != (1, 1) {
            return None;
        }
        let isa = kernels::isa()?;
        let (kh, kw) = g.kernel();
        let (dh, dw) = g.dilation();
        let (oh, ow) = g.output_size();
        let (_, w) = g.input_size();
        let (top, left) = ((kh - 1) * dh, (kw - 1) * dw);
        let wv = w.next_multiple_of(16);
        // Reads reach column x + pw − j·dw + left ≤ wv − 1 + pw + left.
        let wz = (left + ow).max(wv + g.padding().1 + left);
        Some(Self {
            isa,
            top,
            left,
            hz: top + oh,
            wz,
        })
    }

    /// Taps of one output channel's weights, `kh·O·kw`.
    fn taps(g: &Conv2dGeometry) -> usize {
        g.kernel().0 * g.out_channels() * g.kernel().1
    }

    /// Floats of the transposed weight, `[i, o, j][c]`.
    pub(super) fn packed_len(&self, g: &Conv2dGeometry) -> usize {
        Self::taps(g) * g.channels()
    }

    /// Floats of one group's work buffer: one sample's padded `dZ`.
    pub(super) fn work_len(&self, g: &Conv2dGeometry) -> usize {
        g.out_channels() * self.hz * self.wz + ALIGN_SLACK
    }

    /// The tap offsets (relative to the row `y + ph` of the padded `dZ`,
    /// column `x + pw`; unless `fresh`: they depend on the geometry alone)
    /// and the transposed weight (every call).
    pub(super) fn tables(
        &self,
        g: &Conv2dGeometry,
        weight: &[f32],
        (off, fresh): (&mut Vec<usize>, bool),
        packed: &mut [f32],
    ) {
        let (kh, kw) = g.kernel();
        let (dh, dw) = g.dilation();
        let (o, c_in) = (g.out_channels(), g.channels());
        if !fresh {
            off.clear();
            for i in 0..kh {
                for oo in 0..o {
                    for j in 0..kw {
                        off.push(
                            oo * self.hz * self.wz + (kh - 1 - i) * dh * self.wz + self.left
                                - j * dw,
                        );
                    }
                }
            }
        }
        // Tap (i, o, j) holds W[o, c, i, j] for every c.
        for i in 0..kh {
            for oo in 0..o {
                for j in 0..kw {
                    let tap = (i * o + oo) * kw + j;
                    let dst = &mut packed[tap * c_in..][..c_in];
                    for (c, d) in dst.iter_mut().enumerate() {
                        *d = weight[oo + ((c * kh + i) * kw + j) * o];
                    }
                }
            }
        }
    }

    /// `dX` of `n` samples (overwritten) from their `dZ`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn input_grad(
        &self,
        g: &Conv2dGeometry,
        off: &[usize],
        packed: &[f32],
        dz: &[f32],
        n: usize,
        work: &mut [f32],
        dx: &mut [f32],
    ) {
        let (kh, kw) = g.kernel();
        let (dh, _) = g.dilation();
        let (ph, pw) = g.padding();
        let (oh, ow) = g.output_size();
        let (h, w) = g.input_size();
        let (o, c_in, p) = (g.out_channels(), g.channels(), g.positions());
        let per_i = o * kw;
        let plane_z = self.hz * self.wz;
        let grid = &mut align64(work)[..o * plane_z];
        for (s, dxs) in dx.chunks_exact_mut(g.input_len()).take(n).enumerate() {
            let planes = dz[s * o * p..][..o * p].chunks_exact(p);
            for (dst, plane) in grid.chunks_exact_mut(plane_z).zip(planes) {
                embed(plane, ow, dst, self.wz, self.top, self.left);
            }
            // Kernel rows whose dZ row y + ph − i·dh lies in 0..OH.
            let range = |y: usize| {
                let i_hi = ((y + ph) / dh + 1).min(kh);
                ((y + ph + 1).saturating_sub(oh).div_ceil(dh).min(i_hi), i_hi)
            };
            for y in 0..h {
                if range(y).0 == range(y).1 {
                    for c in 0..c_in {
                        dxs[(c * h + y) * w..][..w].fill(0.0);
                    }
                }
            }
            let dxp = dxs.as_mut_ptr();
            for c0 in (0..c_in).step_by(6) {
                // Tile (y, x0): its input and where it goes.
                let tile = |(y, x0): (usize, usize)| {
                    let row = (y + ph + self.top - (kh - 1) * dh) * self.wz;
                    let dst = dxp.wrapping_add((c0 * h + y) * w + x0);
                    (
                        grid[row + x0 + pw..].as_ptr(),
                        (dst, h * w, (w - x0).min(16)),
                    )
                };
                let run = |a: (usize, usize), b: Option<(usize, usize)>| {
                    let (i_lo, i_hi) = range(a.0);
                    let taps = (i_hi - i_lo) * per_i;
                    let t = off[i_lo * per_i..].as_ptr();
                    let wp = packed[i_lo * per_i * c_in + c0..].as_ptr();
                    let no = c_in - c0;
                    // SAFETY: the kernels exist (InputGrad::new); tap reads
                    // stay inside the padded dZ (rows of valid i only,
                    // columns up to wz), weights inside `packed`, the valid
                    // writes inside row y of channels c0.. of this
                    // sample's dX (tiles of a pair share their taps).
                    unsafe {
                        match b {
                            Some(b) => kernels::positions_tile_pair_n(
                                self.isa,
                                no,
                                taps,
                                t,
                                wp,
                                c_in,
                                tile(a),
                                tile(b),
                                std::ptr::null(),
                            ),
                            None => {
                                let (x, dest) = tile(a);
                                kernels::positions_tile_n(
                                    self.isa,
                                    no,
                                    taps,
                                    t,
                                    x,
                                    wp,
                                    c_in,
                                    dest,
                                    std::ptr::null(),
                                )
                            }
                        }
                    }
                };
                let tiles = (0..h)
                    .filter(|&y| range(y).0 < range(y).1)
                    .flat_map(|y| (0..w).step_by(16).map(move |x0| (y, x0)));
                let mut pending: Option<(usize, usize)> = None;
                for next in tiles {
                    match pending.take() {
                        Some(prev) if range(prev.0) == range(next.0) => run(prev, Some(next)),
                        Some(prev) => {
                            run(prev, None);
                            pending = Some(next);
                        }
                        None => pending = Some(next),
                    }
                }
                if let Some(last) = pending {
                    run(last, None);
                }
            }
        }
    }
}
