//! Which kernels the implicit path runs: the AVX-512 ones (x86_512.rs) on
//! CPUs with AVX-512F, else the AVX2+FMA ones (x86.rs), else none (the
//! im2col path). The two sets compute every output with the same chain of
//! fused multiply-adds, so they give the same bits; tests run both.

use std::sync::atomic::{AtomicU8, Ordering};

/// An instruction set the kernels are compiled for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Isa {
    /// 8-lane AVX2 and FMA.
    Avx2,
    /// 16-lane AVX-512F.
    Avx512,
}

/// 0: not yet known; 1: none; 2: AVX2; 3: AVX-512.
static LEVEL: AtomicU8 = AtomicU8::new(0);
/// Set by tests: use AVX2 even where AVX-512 is there.
static AVX2_ONLY: AtomicU8 = AtomicU8::new(0);

/// The kernels this CPU runs, or `None` (no AVX2 and FMA).
pub(super) fn isa() -> Option<Isa> {
    let level = match LEVEL.load(Ordering::Relaxed) {
        0 => {
            let l = if !super::x86::available() {
                1
            } else if is_x86_feature_detected!("avx512f") {
                3
            } else {
                2
            };
            LEVEL.store(l, Ordering::Relaxed);
            l
        }
        l => l,
    };
    match level {
        3 if AVX2_ONLY.load(Ordering::Relaxed) == 0 => Some(Isa::Avx512),
        2 | 3 => Some(Isa::Avx2),
        _ => None,
    }
}

/// Whether AVX-512 is present and used.
#[cfg(test)]
pub(super) fn set_avx2_only(on: bool) {
    AVX2_ONLY.store(u8::from(on), Ordering::Relaxed);
}

impl Isa {
    /// Positions (or taps) of one channels tile.
    pub(super) fn tile(self) -> usize {
        match self {
            Isa::Avx2 => 6,
            Isa::Avx512 => 8,
        }
    }
}

/// `out[t·16 + o] = Σ_i a[i·16 + o] · x[v[i] + u[t]]` for `t < isa.tile()`.
///
/// # Safety
/// `isa` came from [`isa`]; `a` holds `16·n` values, `v` `n` offsets, every
/// `x[v[i] + u[t]]` is readable; `out` holds 128 values.
pub(super) unsafe fn channels(
    isa: Isa,
    n: usize,
    a: *const f32,
    v: *const usize,
    u: &[usize; 8],
    x: *const f32,
    out: *mut f32,
) {
    // SAFETY: the caller's contract; `isa` says which features exist.
    unsafe {
        match isa {
            Isa::Avx2 => super::x86::channels_tile(n, a, v, u, x, out),
            Isa::Avx512 => super::x86_512::channels_tile(n, a, v, u, x, out),
        }
    }
}

/// [`channels`], then written transposed with a bias: `out[o·ld + t] =
/// tile[t][o] + bias[o]` for `o < rows`, `t < cols`.
///
/// # Safety
/// As [`channels`]; `bias` holds `rows` values and `out[o·ld + t]` is
/// writable for `o < rows`, `t < cols`.
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn channels_t(
    isa: Isa,
    n: usize,
    a: *const f32,
    v: *const usize,
    u: &[usize; 8],
    x: *const f32,
    bias: &[f32],
    out: *mut f32,
    ld: usize,
    rows_cols: (usize, usize),
) {
    let mut tile = [0.0_f32; 128];
    // SAFETY: the caller's contract; every CPU with either set has AVX2.
    unsafe {
        channels(isa, n, a, v, u, x, tile.as_mut_ptr());
        super::x86::store_transposed(&tile, bias, out, ld, rows_cols);
    }
}

/// Where a positions tile goes: `out[o·stride + q]` for `q < valid`.
pub(super) type Dest = (*mut f32, usize, usize);

/// x86.rs's `positions_tile` in `isa`.
///
/// # Safety
/// As x86.rs's `positions_tile`; `isa` came from [`isa`].
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn positions_tile<const NO: usize>(
    isa: Isa,
    k: usize,
    off: *const usize,
    x: *const f32,
    w: *const f32,
    ld: usize,
    dest: Dest,
    bias: *const f32,
) {
    // SAFETY: the caller's contract; `isa` says which features exist.
    unsafe {
        match isa {
            Isa::Avx2 => super::x86::positions_tile::<NO>(k, off, x, w, ld, dest, bias),
            Isa::Avx512 => super::x86_512::positions_tile::<NO>(k, off, x, w, ld, dest, bias),
        }
    }
}

/// x86.rs's `positions_dot` in `isa`.
///
/// # Safety
/// As x86.rs's `positions_dot`; `isa` came from [`isa`].
pub(super) unsafe fn positions_dot<const NO: usize>(
    isa: Isa,
    tiles: usize,
    x: *const f32,
    dz: *const f32,
    stride: usize,
    acc: *mut f32,
) {
    // SAFETY: the caller's contract; `isa` says which features exist.
    unsafe {
        match isa {
            Isa::Avx2 => super::x86::positions_dot::<NO>(tiles, x, dz, stride, acc),
            Isa::Avx512 => super::x86_512::positions_dot::<NO>(tiles, x, dz, stride, acc),
        }
    }
}

/// [`positions_tile`] for `no` channels (1 to 6; more is taken as 6).
///
/// # Safety
/// As [`positions_tile`] for `NO = no.min(6)`.
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn positions_tile_n(
    isa: Isa,
    no: usize,
    k: usize,
    off: *const usize,
    x: *const f32,
    w: *const f32,
    ld: usize,
    dest: Dest,
    bias: *const f32,
) {
    // SAFETY: the caller's contract, for the `NO` picked here.
    unsafe {
        match no {
            1 => positions_tile::<1>(isa, k, off, x, w, ld, dest, bias),
            2 => positions_tile::<2>(isa, k, off, x, w, ld, dest, bias),
            3 => positions_tile::<3>(isa, k, off, x, w, ld, dest, bias),
            4 => positions_tile::<4>(isa, k, off, x, w, ld, dest, bias),
            5 => positions_tile::<5>(isa, k, off, x, w, ld, dest, bias),
            _ => positions_tile::<6>(isa, k, off, x, w, ld, dest, bias),
        }
    }
}

/// [`positions_dot`] for `no` channels (1 to 6; more is taken as 6).
///
/// # Safety
/// As [`positions_dot`] for `NO = no.min(6)`.
pub(super) unsafe fn positions_dot_n(
    isa: Isa,
    no: usize,
    tiles: usize,
    x: *const f32,
    dz: *const f32,
    stride: usize,
    acc: *mut f32,
) {
    // SAFETY: the caller's contract, for the `NO` picked here.
    unsafe {
        match no {
            1 => positions_dot::<1>(isa, tiles, x, dz, stride, acc),
            2 => positions_dot::<2>(isa, tiles, x, dz, stride, acc),
            3 => positions_dot::<3>(isa, tiles, x, dz, stride, acc),
            4 => positions_dot::<4>(isa, tiles, x, dz, stride, acc),
            5 => positions_dot::<5>(isa, tiles, x, dz, stride, acc),
            _ => positions_dot::<6>(isa, tiles, x, dz, stride, acc),
        }
    }
}

/// Two positions tiles sharing taps and weights: `(x, dest)` each. One
/// paired kernel call on AVX-512 (twelve independent sums), two calls on
/// AVX2; the same bits either way.
///
/// # Safety
/// As [`positions_tile_n`] for each of the two.
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn positions_tile_pair_n(
    isa: Isa,
    no: usize,
    k: usize,
    off: *const usize,
    w: *const f32,
    ld: usize,
    (xa, da): (*const f32, Dest),
    (xb, db): (*const f32, Dest),
    bias: *const f32,
) {
    // SAFETY: the caller's contract, for the `NO` picked here.
    unsafe {
        if isa == Isa::Avx2 {
            positions_tile_n(isa, no, k, off, xa, w, ld, da, bias);
            return positions_tile_n(isa, no, k, off, xb, w, ld, db, bias);
        }
        let (x, d) = ((xa, xb), (da, db));
        use super::x86_512::positions_tile_pair as pair;
        match no {
            1 => pair::<1>(k, off, x, w, ld, d, bias),
            2 => pair::<2>(k, off, x, w, ld, d, bias),
            3 => pair::<3>(k, off, x, w, ld, d, bias),
            4 => pair::<4>(k, off, x, w, ld, d, bias),
            5 => pair::<5>(k, off, x, w, ld, d, bias),
            _ => pair::<6>(k, off, x, w, ld, d, bias),
        }
    }
}

/// Two [`positions_dot_n`]s sharing `dz`: inputs `xa`, `xb` into the sums
/// `aa`, `ab`; paired on AVX-512, one after the other on AVX2.
///
/// # Safety
/// As [`positions_dot_n`] for each of the two.
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn positions_dot_pair_n(
    isa: Isa,
    no: usize,
    tiles: usize,
    (xa, xb): (*const f32, *const f32),
    dz: *const f32,
    stride: usize,
    (aa, ab): (*mut f32, *mut f32),
) {
    // SAFETY: the caller's contract, for the `NO` picked here.
    unsafe {
        if isa == Isa::Avx2 {
            positions_dot_n(isa, no, tiles, xa, dz, stride, aa);
            return positions_dot_n(isa, no, tiles, xb, dz, stride, ab);
        }
        let (x, a) = ((xa, xb), (aa, ab));
        use super::x86_512::positions_dot_pair as pair;
        match no {
            1 => pair::<1>(tiles, x, dz, stride, a),
            2 => pair::<2>(tiles, x, dz, stride, a),
            3 => pair::<3>(tiles, x, dz, stride, a),
            4 => pair::<4>(tiles, x, dz, stride, a),
            5 => pair::<5>(tiles, x, dz, stride, a),
            _ => pair::<6>(tiles, x, dz, stride, a),
        }
    }
}

/// `dst[q·16 + c] = src[c·ld + q]` for `c < rows` (at most 16), `q < cols`:
/// a channel-major block of `dZ` into the rows of 16 the channels kernel
/// reads (8×8 blocks through AVX2 transposes, the edges one by one).
///
/// # Safety
/// The CPU has AVX2 (any [`Isa`] implies it); `src[c·ld + q]` is readable
/// and `dst[q·16 + c]` writable for `c < rows`, `q < cols`.
pub(super) unsafe fn transpose_rows(
    src: *const f32,
    ld: usize,
    (rows, cols): (usize, usize),
    dst: *mut f32,
) {
    // SAFETY: the caller's contract.
    unsafe {
        let (r8, q8) = (rows / 8 * 8, cols / 8 * 8);
        for c0 in (0..r8).step_by(8) {
            for q0 in (0..q8).step_by(8) {
                super::x86::transpose_block(src.add(c0 * ld + q0), ld, dst.add(q0 * 16 + c0));
            }
        }
        for c in 0..rows {
            let from = if c < r8 { q8 } else { 0 };
            for q in from..cols {
                *dst.add(q * 16 + c) = *src.add(c * ld + q);
            }
        }
    }
}
