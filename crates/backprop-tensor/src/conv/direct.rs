//! The implicit-GEMM path of the `f32` convolution (x86-64 with AVX2 and
//! FMA): the forward pass and the weight gradient read the im2col matrix
//! straight from the image, through a table of offsets, instead of writing
//! it out (`U[r, k] = x̃[base[r] + off[k]]`, `x̃` the zero-padded image).
//!
//! Two orientations, chosen from the geometry alone:
//!
//! - **channels** (8 or more output channels, any stride): a tile is 16
//!   output channels × 6 positions, `Z[o, r] = Σ_k W[o, k] · x̃[base[r] +
//!   off[k]]`; the weight gradient is the same kernel with the roles of
//!   positions and taps swapped, `dW[o, k] = Σ_r dZ[o, r] · x̃[base[r] +
//!   off[k]]`;
//! - **positions** (at most 8 output channels, stride 1): a tile is 16
//!   consecutive positions of a grid as wide as the padded image (the
//!   columns past the output's width are computed and dropped) × up to 6
//!   channels, so that a tap's 16 inputs are one contiguous load; the
//!   weight gradient is one lane-wise dot product per tap and channel.
//!
//! The input gradient keeps the GEMM and col2im (pass.rs). Everything else
//! (`f64`, other CPUs, fewer than 8 channels with a stride) takes the
//! im2col path; results agree to rounding.

use super::Conv2dGeometry;
use super::buffers::{ALIGN_SLACK, align64, embed};
use super::kernels::{self, Isa};
use crate::Scalar;
use std::any::TypeId;

/// Which implicit product a geometry uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Orientation {
    /// 16 output channels × 6 positions per tile.
    Channels,
    /// 16 positions × up to 6 output channels per tile (stride 1).
    Positions,
}

/// The implicit path's sizes for one geometry.
#[derive(Debug, Clone, Copy)]
pub(super) struct Direct {
    pub(super) orientation: Orientation,
    /// The kernels this CPU runs.
    isa: Isa,
    /// Padded input height and width.
    hp: usize,
    wp: usize,
    /// One padded sample, `C·Hp·Wp`.
    len: usize,
    /// Whether the input is copied into a padded buffer (padding, or the
    /// positions orientation's reads past a sample's end).
    copy: bool,
    /// Zeros after the last padded sample (reads past its end).
    margin: usize,
    /// Positions of the padded-width grid, `OH·Wp`, rounded up to whole
    /// tiles of 16.
    grid16: usize,
    /// Output channels rounded up to whole tiles of 16.
    o16: usize,
}

/// The read-only tables a pass shares between its threads.
pub(super) struct Tables<'a> {
    /// `off[k]`: where tap `k = (c, i, j)` reads, from a position's base.
    pub(super) off: &'a [usize],
    /// `base[p]`: where output position `p` reads from, in a padded sample.
    pub(super) base: &'a [usize],
    /// The weight packed for the channels orientation: per block of 16
    /// channels, `K` rows of 16 (zeros past `O`).
    pub(super) packed: &'a [f32],
}

impl Direct {
    /// The implicit path for `g` in `T`, or `None` (not `f32`, no AVX2 and
    /// FMA, or fewer than 8 channels with a stride).
    pub(super) fn new<T: Scalar>(g: &Conv2dGeometry) -> Option<Self> {
        if TypeId::of::<T>() != TypeId::of::<f32>() {
            return None;
        }
        let isa = kernels::isa()?;
        let (h, w) = g.input_size();
        let (ph, pw) = g.padding();
        let hp = h + 2 * ph;
        let (oh, ow) = g.output_size();
        let o = g.out_channels();
        // The positions orientation pads rows to whole tiles of 16, so that
        // a tile is part of one row; worth it while most of a row is output.
        let pitch16 = (w + 2 * pw).next_multiple_of(16);
        let orientation = if g.stride() == (1, 1) && o <= 8 && ow * 2 >= pitch16 {
            Orientation::Positions
        } else if o >= 8 {
            Orientation::Channels
        } else {
            return None;
        };
        let positions = orientation == Orientation::Positions;
        let wp = if positions { pitch16 } else { w + 2 * pw };
        Some(Self {
            orientation,
            isa,
            hp,
            wp,
            len: g.channels() * hp * wp,
            copy: positions || (ph, pw) != (0, 0),
            margin: if positions {
                wp + (g.kernel().1 - 1) * g.dilation().1 + 16
            } else {
                0
            },
            grid16: oh * wp,
            o16: o.next_multiple_of(16),
        })
    }

    /// Floats of the packed weight (channels orientation).
    pub(super) fn packed_len(&self, g: &Conv2dGeometry) -> usize {
        match self.orientation {
            Orientation::Channels => self.o16 * g.patch_len() + ALIGN_SLACK,
            Orientation::Positions => 0,
        }
    }

    /// Floats of the padded copy of `n` samples (0 when read in place).
    pub(super) fn padded_len(&self, n: usize) -> usize {
        if self.copy {
            n * self.len + self.margin + ALIGN_SLACK
        } else {
            0
        }
    }

    /// Floats of a group's work buffer in the weight gradient (`n` samples).
    pub(super) fn backward_work(&self, g: &Conv2dGeometry, n: usize) -> usize {
        match self.orientation {
            Orientation::Channels => n * g.positions() * self.o16 + 128 + ALIGN_SLACK,
            Orientation::Positions => {
                (n * self.grid16 + 16 * g.patch_len()) * g.out_channels() + ALIGN_SLACK
            }
        }
    }

    /// Entries of a group's index buffer in the weight gradient.
    pub(super) fn backward_index(&self, g: &Conv2dGeometry, n: usize) -> usize {
        match self.orientation {
            Orientation::Channels => n * g.positions(),
            Orientation::Positions => 0,
        }
    }

    /// Fills the shared tables: `off` (K) and `base` (P) unless `fresh` (they
    /// depend on the geometry alone, and were built for this one), and, for
    /// the channels orientation, the packed weight (every call: the weight
    /// changes between steps). Grows the vectors only when needed.
    pub(super) fn tables(
        &self,
        g: &Conv2dGeometry,
        weight: &[f32],
        (off, base, fresh): (&mut Vec<usize>, &mut Vec<usize>, bool),
        packed: &mut [f32],
    ) {
        let (o, k) = (g.out_channels(), g.patch_len());
        if !fresh {
            let (kh, kw) = g.kernel();
            let (dh, dw) = g.dilation();
            let (sh, sw) = g.stride();
            let (oh, ow) = g.output_size();
            off.clear();
            for c in 0..g.channels() {
                for i in 0..kh {
                    for j in 0..kw {
                        off.push(c * self.hp * self.wp + i * dh * self.wp + j * dw);
                    }
                }
            }
            base.clear();
            for y in 0..oh {
                for x in 0..ow {
                    base.push(y * sh * self.wp + x * sw);
                }
            }
        }
        if self.orientation == Orientation::Channels {
            // Block `blk`, row `kk`: channels blk·16.. of W's column kk
            // (contiguous: W is column-major), zeros past O.
            let packed = &mut packed[..self.o16 * k];
            for (blk, chunk) in packed.chunks_exact_mut(16 * k).enumerate() {
                let rows = o.min(blk * 16 + 16) - blk * 16;
                for (kk, row) in chunk.chunks_exact_mut(16).enumerate() {
                    row[..rows].copy_from_slice(&weight[kk * o + blk * 16..][..rows]);
                    row[rows..].fill(0.0);
                }
            }
        }
    }

    /// The group's `n` samples, padded, into `dst` (or `src` itself when
    /// no copy is needed).
    fn padded<'a>(
        &self,
        g: &Conv2dGeometry,
        src: &'a [f32],
        n: usize,
        dst: &'a mut [f32],
    ) -> &'a [f32] {
        if !self.copy {
            return &src[..n * self.len];
        }
        let (h, w) = g.input_size();
        let (ph, pw) = g.padding();
        let dst = &mut align64(dst)[..n * self.len + self.margin];
        let plane_p = self.hp * self.wp;
        let (samples, margin) = dst.split_at_mut(n * self.len);
        margin.fill(0.0);
        for (out, plane) in samples
            .chunks_exact_mut(plane_p)
            .zip(src.chunks_exact(h * w))
        {
            embed(plane, w, out, self.wp, ph, pw);
        }
        dst
    }

    /// The forward pass of `n` samples: `z` (`n` columns of `O·P`) from
    /// `x` (`n` columns of `C·H·W`), `Z = W ⊛ X + b`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn forward(
        &self,
        g: &Conv2dGeometry,
        t: &Tables<'_>,
        weight: &[f32],
        bias: Option<&[f32]>,
        x: &[f32],
        n: usize,
        xbuf: &mut [f32],
        z: &mut [f32],
    ) {
        let xs = self.padded(g, x, n, xbuf);
        let (p, k, o) = (g.positions(), g.patch_len(), g.out_channels());
        for (s, zs) in z.chunks_exact_mut(o * p).take(n).enumerate() {
            let xs = &xs[s * self.len..];
            match self.orientation {
                Orientation::Channels => {
                    let zero = [0.0; 16];
                    let np = self.isa.tile();
                    for p0 in (0..p).step_by(np) {
                        let u: [usize; 8] = std::array::from_fn(|q| t.base[(p0 + q).min(p - 1)]);
                        let valid = (p - p0).min(np);
                        for blk in 0..self.o16 / 16 {
                            let rows = o.min(blk * 16 + 16) - blk * 16;
                            let b = bias.map_or(&zero[..rows], |b| &b[blk * 16..][..rows]);
                            let dst = zs[blk * 16 * p + p0..].as_mut_ptr();
                            // SAFETY: AVX2/FMA present (Direct::new); the
                            // packed block holds 16·K values, `off` K, every
                            // base + off lies inside the sample, and the
                            // tile's rows × valid outputs lie inside `zs`
                            // (channel-major, P per channel).
                            unsafe {
                                kernels::channels_t(
                                    self.isa,
                                    k,
                                    t.packed[blk * 16 * k..].as_ptr(),
                                    t.off.as_ptr(),
                                    &u,
                                    xs.as_ptr(),
                                    b,
                                    dst,
                                    p,
                                    (rows, valid),
                                );
                            }
                        }
                    }
                }
                Orientation::Positions => {
                    let (oh, ow) = g.output_size();
                    let tiles = (0..oh).flat_map(|y| (0..ow).step_by(16).map(move |x0| (y, x0)));
                    for o0 in (0..o).step_by(6) {
                        let b = bias.map_or(std::ptr::null(), |b| b[o0..].as_ptr());
                        let zs = &mut *zs;
                        // Tile (y, x0): its input and where it goes.
                        let mut tile = |(y, x0): (usize, usize)| {
                            let dst = zs[o0 * p + y * ow + x0..].as_mut_ptr();
                            (xs[y * self.wp + x0..].as_ptr(), (dst, p, (ow - x0).min(16)))
                        };
                        let mut pending = None;
                        for next in tiles.clone() {
                            let Some(prev) = pending.take() else {
                                pending = Some(next);
                                continue;
                            };
                            let (a, b2) = (tile(prev), tile(next));
                            // SAFETY: the kernels exist (Direct::new); each
                            // tile's x[q + off[k]] (16 lanes) stays inside
                            // the padded samples and their margin, w inside
                            // the weight, its valid outputs inside row y of
                            // channels o0.. of `zs`.
                            unsafe {
                                kernels::positions_tile_pair_n(
                                    self.isa,
                                    o - o0,
                                    k,
                                    t.off.as_ptr(),
                                    weight[o0..].as_ptr(),
                                    o,
                                    a,
                                    b2,
                                    b,
                                );
                            }
                        }
                        if let Some(last) = pending {
                            let (x, dest) = tile(last);
                            // SAFETY: as for the pairs above.
                            unsafe {
                                kernels::positions_tile_n(
                                    self.isa,
                                    o - o0,
                                    k,
                                    t.off.as_ptr(),
                                    x,
                                    weight[o0..].as_ptr(),
                                    o,
                                    dest,
                                    b,
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    /// The weight gradient of `n` samples into `dw` (`O × K`, column-major,
    /// overwritten): `dW = Σ_r dZ[:, r] · U[r, :]`, `U` read from `x`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn weight_grad(
        &self,
        g: &Conv2dGeometry,
        t: &Tables<'_>,
        x: &[f32],
        dz: &[f32],
        n: usize,
        xbuf: &mut [f32],
        work: &mut [f32],
        index: &mut [usize],
        dw: &mut [f32],
    ) {
        let xs = self.padded(g, x, n, xbuf);
        let (p, k, o) = (g.positions(), g.patch_len(), g.out_channels());
        match self.orientation {
            Orientation::Channels => {
                // dZᵀ: per block of 16 channels, n·P rows of 16.
                let rows = n * p;
                let (dzt, tile) = align64(work).split_at_mut(rows * self.o16);
                for (blk, part) in dzt.chunks_exact_mut(16 * rows).enumerate() {
                    if o < blk * 16 + 16 {
                        part.fill(0.0);
                    }
                    let rows16 = o.min(blk * 16 + 16) - blk * 16;
                    for (s, sample) in dz.chunks_exact(o * p).take(n).enumerate() {
                        let src = sample[blk * 16 * p..][..rows16 * p].as_ptr();
                        let dst = part[s * p * 16..][..p * 16].as_mut_ptr();
                        // SAFETY: the kernels exist, so AVX2 does; the
                        // block's rows16 channels of P values are read from
                        // this sample, and its P rows of 16 written.
                        unsafe { kernels::transpose_rows(src, p, (rows16, p), dst) };
                    }
                }
                let v = &mut index[..rows];
                for (s, chunk) in v.chunks_exact_mut(p).enumerate() {
                    for (e, &b) in chunk.iter_mut().zip(t.base) {
                        *e = s * self.len + b;
                    }
                }
                let nt = self.isa.tile();
                for k0 in (0..k).step_by(nt) {
                    let u: [usize; 8] = std::array::from_fn(|q| t.off[(k0 + q).min(k - 1)]);
                    let valid = (k - k0).min(nt);
                    for blk in 0..self.o16 / 16 {
                        // SAFETY: AVX2/FMA present; dZᵀ's block holds 16
                        // values per row, `v` one offset per row, and
                        // every v + off lies inside the padded samples.
                        unsafe {
                            kernels::channels(
                                self.isa,
                                rows,
                                dzt[blk * 16 * rows..].as_ptr(),
                                v.as_ptr(),
                                &u,
                                xs.as_ptr(),
                                tile.as_mut_ptr(),
                            );
                        }
                        for q in 0..valid {
                            for oo in blk * 16..o.min(blk * 16 + 16) {
                                dw[oo + (k0 + q) * o] = tile[q * 16 + oo - blk * 16];
                            }
                        }
                    }
                }
            }
            Orientation::Positions => {
                // dZ on the padded-width grid, zeros past the output's width.
                let ow = g.output_size().1;
                let (grid, acc) = align64(work).split_at_mut(n * o * self.grid16);
                let planes = dz[..n * o * p].chunks_exact(p);
                for (dst, plane) in grid.chunks_exact_mut(self.grid16).zip(planes) {
                    embed(plane, ow, dst, self.wp, 0, 0);
                }
                // 16 running sums per (tap, channel), samples in order.
                let acc = &mut acc[..k * o * 16];
                acc.fill(0.0);
                let tiles = self.grid16 / 16;
                for s in 0..n {
                    let (xs, dzs) = (&xs[s * self.len..], &grid[s * o * self.grid16..]);
                    for o0 in (0..o).step_by(6) {
                        let d = dzs[o0 * self.grid16..].as_ptr();
                        let ld = self.grid16;
                        let sums = acc.as_mut_ptr();
                        let at = |kk: usize| (xs[t.off[kk]..].as_ptr(), (kk * o + o0) * 16);
                        // SAFETY (both calls): the kernels exist; x[q] for
                        // q < grid16 lies inside the padded samples and
                        // margin, dz[c·grid16 + q] inside the grid, and the
                        // sums of (tap, channel) inside `acc`.
                        for kk in (0..k).step_by(2) {
                            let (xa, ia) = at(kk);
                            if kk + 1 < k {
                                let (xb, ib) = at(kk + 1);
                                unsafe {
                                    kernels::positions_dot_pair_n(
                                        self.isa,
                                        o - o0,
                                        tiles,
                                        (xa, xb),
                                        d,
                                        ld,
                                        (sums.add(ia), sums.add(ib)),
                                    );
                                }
                            } else {
                                unsafe {
                                    kernels::positions_dot_n(
                                        self.isa,
                                        o - o0,
                                        tiles,
                                        xa,
                                        d,
                                        ld,
                                        sums.add(ia),
                                    );
                                }
                            }
                        }
                    }
                }
                for (kk, sums) in acc.chunks_exact(o * 16).enumerate() {
                    for (c, lanes) in sums.chunks_exact(16).enumerate() {
                        dw[c + kk * o] = lanes.iter().fold(0.0, |s, &v| s + v);
                    }
                }
            }
        }
    }
}
