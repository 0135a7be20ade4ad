//! The convolution's forward and backward passes over a batch: the batch
//! cut into groups of samples, each group's products through our own GEMM
//! on its im2col matrix `U` (or, for `f32` on AVX2 CPUs, the implicit
//! kernels of direct.rs, which read `U` from the image), the groups spread
//! over the pool's threads.
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

use super::buffers::{align64, f32s, f32s_mut};
use super::direct::{Direct, Tables};
use super::run::{Conv2dScratch, Cut, Ptr, for_each_part, lane_sum, product};
use super::transposed::InputGrad;
use super::{Conv2dGeometry, col2im, im2col};
use crate::gemm::workspace_bound;
use crate::{Result, Scalar, TensorError, ops};
use nalgebra::DMatrix;

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

/// The implicit path's tables, filled once per pass (before the threads).
#[allow(clippy::too_many_arguments)]
fn tables<'a, T: Scalar>(
    d: &Direct,
    g: &Conv2dGeometry,
    weight: &DMatrix<T>,
    off: &'a mut Vec<usize>,
    base: &'a mut Vec<usize>,
    built: &mut Option<Conv2dGeometry>,
    packed: &'a mut [T],
) -> Tables<'a> {
    let n = d.packed_len(g);
    let packed = align64(&mut f32s_mut(packed)[..n]);
    let fresh = *built == Some(*g);
    d.tables(g, f32s(weight.as_slice()), (off, base, fresh), packed);
    *built = Some(*g);
    Tables { off, base, packed }
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
    let direct = Direct::new::<T>(g);
    let (xbuf_len, per_part) = match &direct {
        Some(d) => {
            let pad = d.padded_len(cut.group);
            (pad, pad)
        }
        None => (0, rows * (k + o)),
    };
    let packed_len = direct.map_or(0, |d| d.packed_len(g));
    scratch.prepare(&cut, per_part, 0, 0, (packed_len, 0));
    let lines = workspace_bound(rows, k, o, T::BYTES);
    let (xs, ws) = (x.as_slice(), weight.as_slice());
    let bias = bias.map(|b| b.as_slice());
    let zp = Ptr(z.as_mut_ptr());
    let Conv2dScratch {
        parts,
        index,
        off,
        base,
        packed,
        built,
        ..
    } = scratch;
    let tables = direct.map(|d| tables(&d, g, weight, off, base, built, packed));
    for_each_part(
        &cut,
        &mut parts[..cut.parts],
        &mut index[..cut.parts],
        lines,
        &|part, buf, _| {
            for grp in cut.groups_of(part) {
                let (first, n) = cut.samples(grp, m);
                let xg = &xs[first * len..(first + n) * len];
                // SAFETY: the columns first..first+n of Z belong to this group.
                let zg = unsafe { zp.slice(first * out_len, n * out_len) };
                if let (Some(d), Some(t)) = (&direct, &tables) {
                    d.forward(
                        g,
                        t,
                        f32s(ws),
                        bias.map(f32s),
                        f32s(xg),
                        n,
                        &mut f32s_mut(buf)[..xbuf_len],
                        f32s_mut(zg),
                    );
                    continue;
                }
                let r = n * p;
                let (u, rest) = buf.split_at_mut(rows * k);
                let (u, zt) = (&mut u[..r * k], &mut rest[..r * o]);
                im2col(g, xg, n, u);
                // Zᵍ (R × O) = U (R × K) · Wᵀ (K × O); Wᵀ[k, o] = W[o + k·O].
                product((r, k, o), (u, 1, r), (ws, o, 1), (zt, 1, r));
                ops::simd(|| scatter(zt, zg, n, p, o, bias));
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
        input: mut dx,
    } = grads;
    check_weight(g, OP, weight, None)?;
    check_weight(g, OP, dw, db.as_ref().map(|b| b.shape()))?;
    check_input(g, OP, x)?;
    let m = x.ncols();
    ops::check_shape(OP, "dZ (O·OH·OW × batch)", dz, (g.output_len(), m))?;
    let (p, k, o) = (g.positions(), g.patch_len(), g.out_channels());
    let (len, out_len) = (g.input_len(), g.output_len());
    if let Some(dx) = dx.as_deref_mut() {
        ops::resize(dx, len, m);
    }
    if m == 0 {
        return Ok(());
    }
    let cut = Cut::new(g, m);
    let rows = cut.group * p;
    let per_group = o * k + o;
    let direct = Direct::new::<T>(g);
    let transposed = dx.as_ref().and(InputGrad::new::<T>(g));
    // The im2col buffers (U, then dU; and dZᵍ): without the implicit path,
    // or for dX without the row-wise path.
    let gemm_len = if direct.is_none() || (dx.is_some() && transposed.is_none()) {
        rows * (k + o)
    } else {
        0
    };
    let (xbuf_len, work_len, index_len) = match &direct {
        Some(d) => (
            d.padded_len(cut.group),
            d.backward_work(g, cut.group),
            d.backward_index(g, cut.group),
        ),
        None => (0, 0, 0),
    };
    let dx_work = transposed.map_or(0, |t| t.work_len(g));
    let packed_len = direct.map_or(0, |d| d.packed_len(g));
    let dx_packed_len = transposed.map_or(0, |t| t.packed_len(g));
    scratch.prepare(
        &cut,
        gemm_len + xbuf_len + work_len.max(dx_work),
        index_len,
        per_group,
        (packed_len, dx_packed_len),
    );
    let lines = workspace_bound(rows, k, o, T::BYTES)
        .max(workspace_bound(o, rows, k, T::BYTES))
        .max(workspace_bound(rows, o, k, T::BYTES));
    let (xs, dzs, ws) = (x.as_slice(), dz.as_slice(), weight.as_slice());
    let dxp = dx.as_mut().map(|d| Ptr(d.as_mut_ptr()));
    let partials = Ptr(scratch.partials.as_mut_ptr());
    let Conv2dScratch {
        parts,
        index,
        off,
        base,
        packed,
        dx_off,
        dx_packed,
        built,
        dx_built,
        ..
    } = scratch;
    let tables = direct.map(|d| tables(&d, g, weight, off, base, built, packed));
    let dx_tables = transposed.map(|t| {
        let packed = &mut f32s_mut(dx_packed)[..t.packed_len(g)];
        let fresh = *dx_built == Some(*g);
        t.tables(g, f32s(ws), (dx_off, fresh), packed);
        *dx_built = Some(*g);
        (t, &*dx_off, &*packed)
    });
    for_each_part(
        &cut,
        &mut parts[..cut.parts],
        &mut index[..cut.parts],
        lines,
        &|part, buf, idx| {
            for grp in cut.groups_of(part) {
                let (first, n) = cut.samples(grp, m);
                let r = n * p;
                let xg = &xs[first * len..(first + n) * len];
                let dzgrp = &dzs[first * out_len..(first + n) * out_len];
                // SAFETY: group grp's partials are its own.
                let mine = unsafe { partials.slice(grp * per_group, per_group) };
                let (pdw, pdb) = mine.split_at_mut(o * k);
                // dbᵍ: each channel's sum over the group's samples, in order.
                ops::simd(|| {
                    for (c, b) in pdb.iter_mut().enumerate() {
                        *b = dzgrp
                            .chunks_exact(out_len)
                            .fold(T::zero(), |acc, s| acc + lane_sum(&s[c * p..][..p]));
                    }
                });
                let (gemm, rest) = buf.split_at_mut(gemm_len);
                let (u, dzt) = gemm.split_at_mut(gemm_len.min(rows * k));
                let (ul, dl) = ((r * k).min(u.len()), (r * o).min(dzt.len()));
                let (u, dzt) = (&mut u[..ul], &mut dzt[..dl]);
                if let (Some(d), Some(t)) = (&direct, &tables) {
                    let (xbuf, work) = f32s_mut(rest).split_at_mut(xbuf_len);
                    d.weight_grad(
                        g,
                        t,
                        f32s(xg),
                        f32s(dzgrp),
                        n,
                        xbuf,
                        work,
                        idx,
                        f32s_mut(pdw),
                    );
                } else {
                    im2col(g, xg, n, u);
                    ops::simd(|| gather(dzgrp, dzt, n, p, o));
                    // dWᵍ (O × K) = dZᵍᵀ (O × R) · U (R × K).
                    product((o, r, k), (dzt, r, 1), (u, 1, r), (pdw, 1, o));
                }
                if let Some(dxp) = dxp {
                    // SAFETY: the columns first..first+n of dX belong to this group.
                    let dxg = unsafe { dxp.slice(first * len, n * len) };
                    if let Some((t, off, packed)) = &dx_tables {
                        let work = &mut f32s_mut(rest)[xbuf_len..];
                        t.input_grad(g, off, packed, f32s(dzgrp), n, work, f32s_mut(dxg));
                        continue;
                    }
                    if direct.is_some() {
                        ops::simd(|| gather(dzgrp, dzt, n, p, o));
                    }
                    // dU (R × K) = dZᵍ (R × O) · W (O × K), into U's buffer.
                    product((r, o, k), (dzt, 1, r), (ws, 1, o), (u, 1, r));
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
