//! Channel dropout (PyTorch's `Dropout2d`): inverted dropout that keeps or
//! zeroes whole channels.
//!
//! Training: for each sample `j` and channel `c`, one draw keeps the whole
//! `H × W` map with probability `q = 1 − p`, scaled by `1/q`, or zeroes it:
//! `y[c, ·, ·] = M[c, j] · x[c, ·, ·]` with `M[c, j] ∈ {0, 1/q}` (`C × m`
//! draws, not `C·H·W × m`). Backward: `dx[c, ·, ·] = M[c, j] · dy[c, ·, ·]`.
//! Evaluation: the identity. As in dropout.rs, the `n`-th training mask is
//! drawn from stream `(seed, n)`, in column-major order (channel fastest).

use crate::dropout::mask::{DropMask, check_p};
use crate::pool;
use crate::{BuildContext, Config, Layer, LayerError, LayerType, Mode, Plan, Registry, Shape};
use backprop_tensor::{DMatrix, Scalar, ops};

const NAME: &str = "dropout2d";

/// Inverted channel dropout with drop probability `p` (`0 ≤ p < 1`) on
/// samples of `channels` channels.
///
/// ```
/// use backprop_layers::{Dropout2d, Layer, Mode};
/// use backprop_tensor::DMatrix;
/// let mut d = Dropout2d::<f32>::new(4, 0.5, 42)?;
/// let x = DMatrix::from_element(4 * 9, 10, 1.0); // 10 samples of [4, 3, 3]
/// let mut y = DMatrix::zeros(0, 0);
/// d.forward(&x, &mut y, Mode::Train)?;
/// for j in 0..10 {
///     for c in 0..4 {
///         let map = &y.as_slice()[j * 36 + c * 9..j * 36 + (c + 1) * 9];
///         assert!(map.iter().all(|&v| v == map[0]) && (map[0] == 0.0 || map[0] == 2.0));
///     }
/// }
/// d.forward(&x, &mut y, Mode::Eval)?;
/// assert_eq!(y, x);
/// # Ok::<(), backprop_layers::LayerError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Dropout2d<T: Scalar> {
    channels: usize,
    /// `channels × batch`, entries 0 or `1/(1 − p)`.
    m: DropMask<T>,
    last_mode: Mode,
}

impl<T: Scalar> Dropout2d<T> {
    /// Channel dropout of probability `p` on samples of `channels` channels,
    /// its masks seeded by `seed`. Errors unless `0 ≤ p < 1` and
    /// `channels > 0`.
    pub fn new(channels: usize, p: f64, seed: u64) -> Result<Self, LayerError> {
        let m = DropMask::new(NAME, p, seed)?;
        if channels == 0 {
            return Err(LayerError::ZeroWidth { layer: NAME.into() });
        }
        Ok(Self {
            channels,
            m,
            last_mode: Mode::Eval,
        })
    }
    /// The drop probability.
    pub fn p(&self) -> f64 {
        self.m.p
    }
    /// Number of channels.
    pub fn channels(&self) -> usize {
        self.channels
    }
    /// While frozen, training passes reuse the last mask (when its shape
    /// fits) instead of drawing a new one — for gradient checks.
    pub fn freeze_mask(&mut self, frozen: bool) {
        self.m.frozen = frozen;
    }
    /// The last mask, `channels × batch` (entries 0 or 1/(1−p)).
    pub fn mask(&self) -> &DMatrix<T> {
        &self.m.mask
    }

    /// `out[c·s + i, j] *= mask[c, j]` in place.
    fn apply(&self, out: &mut DMatrix<T>, s: usize) {
        let rows = out.nrows();
        if rows == 0 {
            return;
        }
        for (col, mask) in out
            .as_mut_slice()
            .chunks_exact_mut(rows)
            .zip(self.m.mask.as_slice().chunks_exact(self.channels))
        {
            for (map, &k) in col.chunks_exact_mut(s).zip(mask) {
                for v in map {
                    *v *= k;
                }
            }
        }
    }
}

impl<T: Scalar> Layer<T> for Dropout2d<T> {
    fn forward(
        &mut self,
        input: &DMatrix<T>,
        output: &mut DMatrix<T>,
        mode: Mode,
    ) -> Result<(), LayerError> {
        let s = pool::map_size(NAME, self.channels, input.nrows())?;
        self.last_mode = mode;
        ops::copy_into(input, output);
        if mode == Mode::Train && self.m.p > 0.0 {
            self.m.draw(self.channels, input.ncols());
            self.apply(output, s);
        }
        Ok(())
    }

    fn backward(
        &mut self,
        input: &DMatrix<T>,
        _output: &DMatrix<T>,
        grad_output: &DMatrix<T>,
        grad_input: Option<&mut DMatrix<T>>,
    ) -> Result<(), LayerError> {
        let Some(dx) = grad_input else { return Ok(()) };
        let s = pool::map_size(NAME, self.channels, input.nrows())?;
        ops::check_shape("dropout2d backward", "dA", grad_output, input.shape())
            .map_err(LayerError::shape(NAME))?;
        ops::copy_into(grad_output, dx);
        if self.last_mode == Mode::Train && self.m.p > 0.0 {
            if self.m.mask.shape() != (self.channels, grad_output.ncols()) {
                return Err(LayerError::NoForward {
                    layer: NAME.into(),
                    expected: self.m.mask.ncols(),
                    found: grad_output.ncols(),
                });
            }
            self.apply(dx, s);
        }
        Ok(())
    }

    fn name(&self) -> &str {
        NAME
    }
    fn kind(&self) -> &str {
        <Self as LayerType>::KIND
    }
    fn output_shape(&self, input: &Shape) -> Result<Shape, LayerError> {
        pool::channels(NAME, input, Some(self.channels))?;
        Ok(input.clone())
    }
    fn config(&self) -> Option<Config> {
        Some(Config::new().with("p", self.m.p))
    }
    fn rng_state(&self) -> Option<(u64, u64)> {
        Some((self.m.seed, self.m.draws))
    }
    fn set_rng_state(&mut self, seed: u64, draws: u64) {
        self.m.seed = seed;
        self.m.draws = draws;
    }
}

/// Saved as `{"p": 0.2}`; owns no tensor (its random stream's position is
/// part of a checkpoint); keeps the input's shape, whose first dimension is
/// the channels. Built with the seed [`BuildContext::derived_seed`].
impl<T: Scalar> LayerType for Dropout2d<T> {
    const KIND: &'static str = "dropout2d";

    fn plan(config: &Config, input: &Shape, _: &Registry) -> Result<Plan, LayerError> {
        config.only(NAME, &["p"])?;
        check_p(NAME, config.f64(NAME, "p")?)?;
        pool::channels(NAME, input, None)?;
        Ok(Plan::stateless(input.clone()))
    }

    fn build<S: Scalar>(
        config: &Config,
        input: &Shape,
        ctx: &BuildContext<'_>,
    ) -> Result<Box<dyn Layer<S>>, LayerError> {
        Ok(Box::new(Dropout2d::<S>::new(
            pool::channels(NAME, input, None)?,
            config.f64(NAME, "p")?,
            ctx.derived_seed(),
        )?))
    }
}
