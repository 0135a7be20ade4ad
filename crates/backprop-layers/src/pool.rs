//! What MaxPool2d and AvgPool2d share: the pooling window ([`PoolWindow`]:
//! kernel, stride, padding, each `(height, width)`), its checks, the output
//! size it gives, and its configuration (`kernel_size`, `stride`, `padding`
//! as `[h, w]` lists); and the channel checks of the per-channel layers
//! (BatchNorm2d, Dropout2d).
//!
//! On an input of `H × W` with kernel `k`, stride `s` and padding `p` (per
//! direction), window `(oy, ox)` covers rows `oy·s − p .. oy·s − p + k` and
//! columns likewise, and there are `⌊(H + 2p − k)/s⌋ + 1` rows of windows
//! (PyTorch's `ceil_mode=False`). PyTorch's rules are kept: the stride and
//! kernel are positive, the padding is at most half the kernel
//! (`p ≤ ⌊k/2⌋`, so that every window holds at least one real pixel), and
//! the kernel fits in the padded input.

use crate::{Config, LayerError, Pair, Shape, SpatialSettings};

/// The fewest values a thread takes in a pass of a pool (smaller passes run
/// on the calling thread: waking a helper costs more).
pub(crate) const MIN_CHUNK: usize = 16 * 1024;

/// A pooling window: kernel, stride and padding, each a `(height, width)`
/// [`Pair`].
///
/// ```
/// use backprop_layers::{Pair, PoolWindow};
/// let w = PoolWindow::new(2);
/// assert_eq!((w.kernel, w.stride, w.padding), (Pair::square(2), Pair::square(2), Pair::square(0)));
/// let w = PoolWindow::new((3, 2)).with_stride((1, 2)).with_padding((1, 0));
/// assert_eq!(w.stride, Pair::new(1, 2));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolWindow {
    /// The kernel `(kh, kw)`.
    pub kernel: Pair,
    /// The step between windows `(sh, sw)` (PyTorch's default: the kernel).
    pub stride: Pair,
    /// Implicit padding on each side `(ph, pw)` (default 0).
    pub padding: Pair,
}

impl PoolWindow {
    /// A `kernel` window (`2` or `(3, 2)`), stride equal to the kernel, no
    /// padding: PyTorch's `MaxPool2d(kernel)`.
    pub fn new(kernel: impl Into<Pair>) -> Self {
        let kernel = kernel.into();
        Self {
            kernel,
            stride: kernel,
            padding: Pair::square(0),
        }
    }
    /// With this stride.
    pub fn with_stride(mut self, stride: impl Into<Pair>) -> Self {
        self.stride = stride.into();
        self
    }
    /// With this padding.
    pub fn with_padding(mut self, padding: impl Into<Pair>) -> Self {
        self.padding = padding.into();
        self
    }
    /// The window the builder's settings describe (stride defaulting to
    /// the kernel).
    pub(crate) fn of(s: &SpatialSettings) -> Self {
        Self {
            kernel: s.kernel,
            stride: s.stride_or(s.kernel),
            padding: s.padding,
        }
    }

    /// The configuration entries: `kernel_size`, `stride`, `padding`.
    pub(crate) fn to_config(self) -> Config {
        Config::new()
            .with("kernel_size", self.kernel.to_value())
            .with("stride", self.stride.to_value())
            .with("padding", self.padding.to_value())
    }

    /// Reads `kernel_size` (required), `stride` (default: the kernel) and
    /// `padding` (default 0), each `[h, w]` or one integer for both, and no
    /// other key.
    pub(crate) fn from_config(layer: &str, config: &Config) -> Result<Self, LayerError> {
        config.only(layer, &["kernel_size", "stride", "padding"])?;
        let mut w = Self::new(Pair::from_config(config, layer, "kernel_size")?);
        if config.get("stride").is_some() {
            w.stride = Pair::from_config(config, layer, "stride")?;
        }
        if config.get("padding").is_some() {
            w.padding = Pair::from_config(config, layer, "padding")?;
        }
        Ok(w)
    }
}

/// A window on a known input: everything a pooling pass needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Geometry {
    pub window: PoolWindow,
    /// Input channels, height, width.
    pub c: usize,
    pub h: usize,
    pub w: usize,
    /// Output height and width.
    pub oh: usize,
    pub ow: usize,
}

impl Geometry {
    /// Checks `window` on samples of shape `input` (`[C, H, W]`), naming
    /// `layer` in the error.
    pub fn new(layer: &str, input: &Shape, window: PoolWindow) -> Result<Self, LayerError> {
        let err = |message: String| LayerError::InvalidConfig {
            layer: layer.to_string(),
            message,
        };
        input.validate(layer)?;
        let &[c, h, w] = input.dims() else {
            return Err(err(format!(
                "expected samples of shape (channels, height, width), found {input}"
            )));
        };
        let ((kh, kw), (sh, sw), (ph, pw)) = (
            window.kernel.tuple(),
            window.stride.tuple(),
            window.padding.tuple(),
        );
        if kh == 0 || kw == 0 {
            return Err(err(format!(
                "the kernel must be at least 1×1, found {kh}×{kw}"
            )));
        }
        if sh == 0 || sw == 0 {
            return Err(err(format!("the stride must be positive, found {sh}×{sw}")));
        }
        if ph > kh / 2 || pw > kw / 2 {
            return Err(err(format!(
                "padding {ph}×{pw} must be at most half the kernel {kh}×{kw} (at most {}×{}), as in PyTorch",
                kh / 2,
                kw / 2
            )));
        }
        // p ≤ k/2 bounds the padding, so these sums cannot overflow unless
        // the kernel is near usize::MAX: u128 keeps them exact anyway.
        let (ph2, pw2) = (h as u128 + 2 * ph as u128, w as u128 + 2 * pw as u128);
        if (kh as u128) > ph2 || (kw as u128) > pw2 {
            return Err(err(format!(
                "the kernel {kh}×{kw} is larger than the padded input {ph2}×{pw2} ({h}×{w} with padding {ph}×{pw})"
            )));
        }
        // Both at most the input's size (plus padding ≤ kernel), so they fit.
        let oh = ((ph2 - kh as u128) / sh as u128) as usize + 1;
        let ow = ((pw2 - kw as u128) / sw as u128) as usize + 1;
        Ok(Self {
            window,
            c,
            h,
            w,
            oh,
            ow,
        })
    }

    /// The input shape `[C, H, W]`.
    pub fn input_shape(&self) -> Shape {
        Shape::new([self.c, self.h, self.w])
    }
    /// The output shape `[C, OH, OW]`.
    pub fn output_shape(&self) -> Shape {
        Shape::new([self.c, self.oh, self.ow])
    }
    /// Values in one input sample (rows of an input batch).
    pub fn in_len(&self) -> usize {
        self.c * self.h * self.w
    }
    /// Values in one output sample.
    pub fn out_len(&self) -> usize {
        self.c * self.oh * self.ow
    }
    /// The rows `start..end` of the input that window row `oy` covers,
    /// clipped to the input (padding holds no value).
    #[inline(always)]
    pub fn rows(&self, oy: usize) -> (usize, usize) {
        let w = &self.window;
        span(oy, w.stride.h, w.padding.h, w.kernel.h, self.h)
    }
    /// The columns `start..end` that window column `ox` covers, clipped.
    #[inline(always)]
    pub fn cols(&self, ox: usize) -> (usize, usize) {
        let w = &self.window;
        span(ox, w.stride.w, w.padding.w, w.kernel.w, self.w)
    }
    /// The window columns `lo..hi` whose windows lie wholly inside the
    /// input: window `ox` of them reads columns `ox·sw − pw + b` for every
    /// `b < kw`, unclipped (the fast loops of the pools run over these; the
    /// others, at the edges, are clipped window by window).
    pub fn interior_cols(&self) -> (usize, usize) {
        let wn = &self.window;
        let (k, s, p) = (
            wn.kernel.w as u128,
            wn.stride.w as u128,
            wn.padding.w as u128,
        );
        let ow = self.ow as u128;
        let lo = p.div_ceil(s).min(ow);
        let n = self.w as u128 + p;
        let hi = if n >= k { ((n - k) / s + 1).min(ow) } else { 0 };
        // Both at most `ow`, a usize.
        (lo as usize, hi.max(lo) as usize)
    }
    /// That an input batch has `in_len` rows.
    pub fn check_rows(&self, layer: &str, rows: usize) -> Result<(), LayerError> {
        if rows != self.in_len() {
            return Err(LayerError::InputSize {
                layer: layer.to_string(),
                expected: self.in_len(),
                found: rows,
            });
        }
        Ok(())
    }
}

/// `[o·s − p, o·s − p + k) ∩ [0, n)`; never empty, since `p ≤ k/2` and the
/// last window starts inside the padded input.
#[inline(always)]
fn span(o: usize, s: usize, p: usize, k: usize, n: usize) -> (usize, usize) {
    let start = o * s;
    (start.saturating_sub(p), (start + (k - p)).min(n))
}

/// The output shape of `window` on `input`, for `Layer::output_shape` of a
/// pool built for `built` (its own input shape): the two must be the same.
pub(crate) fn output_shape(
    layer: &str,
    built: &Geometry,
    input: &Shape,
) -> Result<Shape, LayerError> {
    if *input != built.input_shape() {
        return Err(LayerError::InputShape {
            layer: layer.to_string(),
            expected: built.input_shape(),
            found: input.clone(),
        });
    }
    Ok(built.output_shape())
}

/// The channels of `[C, H, W]` samples (`C = expected` if given), or an
/// error naming `layer` and the shape found.
pub(crate) fn channels(
    layer: &str,
    input: &Shape,
    expected: Option<usize>,
) -> Result<usize, LayerError> {
    input.validate(layer)?;
    match *input.dims() {
        [c, _, _] if expected.is_none_or(|e| e == c) => Ok(c),
        _ => Err(LayerError::InvalidConfig {
            layer: layer.to_string(),
            message: format!(
                "expected samples of shape ({}, height, width), found {input}",
                expected.map_or("channels".to_string(), |c| c.to_string())
            ),
        }),
    }
}

/// `H·W`, the values of one channel of one sample, for a batch of `rows`
/// rows of `channels` channels (a layer that keeps only its channel count
/// works on any image size).
pub(crate) fn map_size(layer: &str, channels: usize, rows: usize) -> Result<usize, LayerError> {
    if rows == 0 || !rows.is_multiple_of(channels) {
        return Err(LayerError::InvalidConfig {
            layer: layer.to_string(),
            message: format!(
                "expected samples of {channels} channels (a multiple of {channels} rows, C·H·W), found {rows} rows"
            ),
        });
    }
    Ok(rows / channels)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geo(input: [usize; 3], w: PoolWindow) -> Result<Geometry, LayerError> {
        Geometry::new("pool", &Shape::new(input), w)
    }

    #[test]
    fn output_sizes_are_pytorchs() {
        // LeNet's pools.
        let g = geo([6, 28, 28], PoolWindow::new(2)).unwrap();
        assert_eq!(g.output_shape(), Shape::new([6, 14, 14]));
        let g = geo([16, 10, 10], PoolWindow::new(2)).unwrap();
        assert_eq!(g.output_shape(), Shape::new([16, 5, 5]));
        // Odd size, floor: ⌊(7 − 2)/2⌋ + 1 = 3.
        let g = geo([1, 7, 5], PoolWindow::new(2)).unwrap();
        assert_eq!((g.oh, g.ow), (3, 2));
        // Padding and stride: ⌊(7 + 2 − 3)/2⌋ + 1 = 4, ⌊(5 + 0 − 2)/1⌋ + 1 = 4.
        let w = PoolWindow::new((3, 2))
            .with_stride((2, 1))
            .with_padding((1, 0));
        let g = geo([2, 7, 5], w).unwrap();
        assert_eq!((g.oh, g.ow), (4, 4));
        assert_eq!(g.rows(0), (0, 2));
        assert_eq!(g.rows(3), (5, 7));
        assert_eq!(g.cols(3), (3, 5));
        assert_eq!(g.interior_cols(), (0, 4));
        // Padding 1 on 5 columns, kernel 3, stride 2: windows at −1, 1, 3;
        // only the middle one is inside.
        let g = geo(
            [1, 1, 5],
            PoolWindow::new((1, 3))
                .with_stride((1, 2))
                .with_padding((0, 1)),
        )
        .unwrap();
        assert_eq!((g.ow, g.interior_cols()), (3, (1, 2)));
        // Every window is inside exactly when its columns are.
        for (w, win) in [
            (
                7,
                PoolWindow::new((1, 2))
                    .with_stride((1, 3))
                    .with_padding((0, 1)),
            ),
            (
                9,
                PoolWindow::new((1, 4))
                    .with_stride((1, 1))
                    .with_padding((0, 2)),
            ),
            (4, PoolWindow::new((1, 4)).with_padding((0, 2))),
        ] {
            let g = geo([1, 1, w], win).unwrap();
            let (lo, hi) = g.interior_cols();
            for ox in 0..g.ow {
                let inside = ox * win.stride.w >= win.padding.w
                    && ox * win.stride.w + win.kernel.w <= w + win.padding.w;
                assert_eq!(inside, (lo..hi).contains(&ox), "{w} {win:?} {ox}");
            }
        }
    }

    #[test]
    fn bad_windows_are_errors_naming_the_sizes() {
        let e = geo([1, 4, 4], PoolWindow::new(2).with_padding((2, 0))).unwrap_err();
        assert!(e.to_string().contains("at most half the kernel 2×2"), "{e}");
        let e = geo([1, 2, 2], PoolWindow::new(3)).unwrap_err();
        assert!(
            e.to_string().contains("larger than the padded input 2×2"),
            "{e}"
        );
        let e = geo([1, 4, 4], PoolWindow::new(2).with_stride((0, 1))).unwrap_err();
        assert!(
            e.to_string().contains("stride must be positive, found 0×1"),
            "{e}"
        );
        let e = geo([1, 4, 4], PoolWindow::new((0, 2))).unwrap_err();
        assert!(e.to_string().contains("at least 1×1"), "{e}");
        let e = Geometry::new("pool", &Shape::flat(16), PoolWindow::new(2)).unwrap_err();
        assert!(
            e.to_string()
                .contains("(channels, height, width), found (16)"),
            "{e}"
        );
        // Huge values from a file: an error or a window, never an overflow.
        assert!(geo([1, 4, 4], PoolWindow::new((usize::MAX, 1))).is_err());
        let w = PoolWindow::new((usize::MAX, 1))
            .with_stride(1)
            .with_padding((usize::MAX / 2, 0));
        let g = geo([1, 4, 4], w).unwrap();
        assert_eq!((g.oh, g.ow, g.rows(0), g.rows(3)), (4, 4, (0, 4), (0, 4)));
        let g = geo([1, 4, 4], PoolWindow::new(2).with_stride((usize::MAX, 1))).unwrap();
        assert_eq!((g.oh, g.ow), (1, 3));
    }

    #[test]
    fn configurations_round_trip_and_take_one_integer_for_both() {
        let w = PoolWindow::new((3, 2)).with_stride((1, 2)).with_padding(1);
        assert_eq!(PoolWindow::from_config("p", &w.to_config()).unwrap(), w);
        let c = Config::new().with("kernel_size", 2usize);
        assert_eq!(
            PoolWindow::from_config("p", &c).unwrap(),
            PoolWindow::new(2)
        );
        let c = Config::new().with("kernel_size", vec![2usize]);
        let e = PoolWindow::from_config("p", &c).unwrap_err();
        assert!(e.to_string().contains("[h, w]"), "{e}");
        let c = Config::new()
            .with("kernel_size", 2usize)
            .with("dilation", 1usize);
        assert!(PoolWindow::from_config("p", &c).is_err());
        assert!(PoolWindow::from_config("p", &Config::new()).is_err());
    }
}
