//! [`Conv2dGeometry`]: the sizes of one 2-D convolution (input, kernel,
//! stride, padding, dilation, output), checked once when it is made.

use crate::TensorError;

/// The sizes of a 2-D convolution (a cross-correlation, as in PyTorch) of
/// one `[C, H, W]` sample with `O` filters of `C × kh × kw`: stride
/// `(sh, sw)`, zero padding `(ph, pw)` on each side and dilation `(dh, dw)`.
///
/// The output is `[O, OH, OW]` with
/// `OH = ⌊(H + 2·ph − dh·(kh − 1) − 1) / sh⌋ + 1` (and `OW` likewise),
/// PyTorch's formula. Every size is positive (the padding may be 0), the
/// dilated kernel fits in the padded input, and every count fits in
/// `usize`; [`new`](Self::new) checks all of it and says, in the
/// convolution's terms, what does not fit.
///
/// ```
/// use backprop_tensor::conv::Conv2dGeometry;
/// // LeNet-5's first convolution: 1×28×28, six 5×5 filters, padding 2.
/// let g = Conv2dGeometry::new([1, 28, 28], 6, (5, 5), (1, 1), (2, 2), (1, 1))?;
/// assert_eq!(g.output_size(), (28, 28));
/// assert_eq!((g.patch_len(), g.positions(), g.output_len()), (25, 784, 6 * 784));
/// // A kernel larger than the padded input is refused, naming both.
/// let e = Conv2dGeometry::new([6, 4, 4], 16, (5, 5), (1, 1), (0, 0), (1, 1)).unwrap_err();
/// assert_eq!(e.to_string(), "invalid argument to conv2d: the kernel 5×5 does not fit in the input 4×4 (padding 0×0 on each side: 4×4 in all)");
/// # Ok::<(), backprop_tensor::TensorError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Conv2dGeometry {
    channels: usize,
    height: usize,
    width: usize,
    out_channels: usize,
    kernel: (usize, usize),
    stride: (usize, usize),
    padding: (usize, usize),
    dilation: (usize, usize),
    out: (usize, usize),
}

fn invalid(message: String) -> TensorError {
    TensorError::InvalidArgument {
        op: "conv2d",
        message,
    }
}

/// `(h, w)` for messages: `"5×3"`.
fn pair(p: (usize, usize)) -> String {
    format!("{}×{}", p.0, p.1)
}

impl Conv2dGeometry {
    /// The convolution of a `[channels, height, width]` input with
    /// `out_channels` filters of `kernel` `(kh, kw)`, or an error saying
    /// which size is zero or what does not fit.
    pub fn new(
        [channels, height, width]: [usize; 3],
        out_channels: usize,
        kernel: (usize, usize),
        stride: (usize, usize),
        padding: (usize, usize),
        dilation: (usize, usize),
    ) -> Result<Self, TensorError> {
        for (what, v) in [
            ("input channels", channels),
            ("input height", height),
            ("input width", width),
            ("output channels", out_channels),
        ] {
            if v == 0 {
                return Err(invalid(format!("the {what} must be positive, found 0")));
            }
        }
        for (what, (h, w)) in [
            ("kernel", kernel),
            ("stride", stride),
            ("dilation", dilation),
        ] {
            if h == 0 || w == 0 {
                return Err(invalid(format!(
                    "the {what} must be positive along both axes, found {}",
                    pair((h, w))
                )));
            }
        }
        let too_big = || {
            invalid(format!(
                "the sizes (input {channels}×{height}×{width}, kernel {}, padding {}, dilation {}) overflow this machine's integers",
                pair(kernel),
                pair(padding),
                pair(dilation)
            ))
        };
        // The extent of a dilated kernel along one axis and the padded
        // input's, or None on overflow.
        let extent = |k: usize, d: usize| (k - 1).checked_mul(d)?.checked_add(1);
        let padded = |n: usize, p: usize| p.checked_mul(2)?.checked_add(n);
        let (Some(eh), Some(ew), Some(ph), Some(pw)) = (
            extent(kernel.0, dilation.0),
            extent(kernel.1, dilation.1),
            padded(height, padding.0),
            padded(width, padding.1),
        ) else {
            return Err(too_big());
        };
        if eh > ph || ew > pw {
            let dilated = if dilation == (1, 1) {
                String::new()
            } else {
                format!(" (dilated: {})", pair((eh, ew)))
            };
            return Err(invalid(format!(
                "the kernel {}{dilated} does not fit in the input {height}×{width} (padding {} on each side: {} in all)",
                pair(kernel),
                pair(padding),
                pair((ph, pw))
            )));
        }
        let out = ((ph - eh) / stride.0 + 1, (pw - ew) / stride.1 + 1);
        let g = Self {
            channels,
            height,
            width,
            out_channels,
            kernel,
            stride,
            padding,
            dilation,
            out,
        };
        // Every count the kernels use must fit: C·H·W, O·OH·OW, the weight's
        // O·K and one sample's im2col matrix, P·K (K = C·kh·kw).
        let product = |d: &[usize]| d.iter().try_fold(1usize, |a, &x| a.checked_mul(x));
        let fits = product(&[channels, height, width]).is_some()
            && product(&[out_channels, out.0, out.1]).is_some()
            && product(&[out_channels, channels, kernel.0, kernel.1]).is_some()
            && product(&[out.0, out.1, channels, kernel.0, kernel.1]).is_some();
        if !fits {
            return Err(too_big());
        }
        Ok(g)
    }

    /// Input channels `C`.
    pub fn channels(&self) -> usize {
        self.channels
    }
    /// Input `(H, W)`.
    pub fn input_size(&self) -> (usize, usize) {
        (self.height, self.width)
    }
    /// Output channels `O` (filters).
    pub fn out_channels(&self) -> usize {
        self.out_channels
    }
    /// `(kh, kw)`.
    pub fn kernel(&self) -> (usize, usize) {
        self.kernel
    }
    /// `(sh, sw)`.
    pub fn stride(&self) -> (usize, usize) {
        self.stride
    }
    /// `(ph, pw)`, on each side.
    pub fn padding(&self) -> (usize, usize) {
        self.padding
    }
    /// `(dh, dw)`.
    pub fn dilation(&self) -> (usize, usize) {
        self.dilation
    }
    /// Output `(OH, OW)`.
    pub fn output_size(&self) -> (usize, usize) {
        self.out
    }
    /// Values in one input sample, `C·H·W` (the rows of an input batch).
    pub fn input_len(&self) -> usize {
        self.channels * self.height * self.width
    }
    /// Output positions per channel, `P = OH·OW`.
    pub fn positions(&self) -> usize {
        self.out.0 * self.out.1
    }
    /// Values in one output sample, `O·OH·OW` (the rows of an output batch).
    pub fn output_len(&self) -> usize {
        self.out_channels * self.positions()
    }
    /// Taps of one filter, `K = C·kh·kw`: the columns of the weight matrix
    /// `W` (`O × K`) and the length of one im2col patch.
    pub fn patch_len(&self) -> usize {
        self.channels * self.kernel.0 * self.kernel.1
    }
    /// Multiply-adds of one sample's forward pass, `O·K·P`.
    pub fn macs_per_sample(&self) -> usize {
        self.out_channels
            .saturating_mul(self.patch_len())
            .saturating_mul(self.positions())
    }
}
