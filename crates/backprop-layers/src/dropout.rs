//! Inverted dropout.
//!
//! Training: each unit is kept with probability `q = 1 − p` and scaled by
//! `1/q`, so `E[output] = input` and evaluation needs no rescaling:
//! `A = M ⊙ X` with `Mᵢⱼ ∈ {0, 1/q}`. Backward: `dX = M ⊙ dA`.
//! Evaluation: the identity.
//!
//! Masks are drawn from stream `(seed, n)` for the `n`-th training forward
//! pass, so a run is reproducible from its seed, and resumable from `n`.

pub(crate) mod mask;

use crate::{BuildContext, Config, Layer, LayerError, LayerType, Mode, Plan, Registry, Shape};
use backprop_tensor::{DMatrix, Scalar, ops};
use mask::{DropMask, check_p};

/// Inverted dropout with drop probability `p` (`0 ≤ p < 1`).
///
/// ```
/// use backprop_layers::{Dropout, Layer, Mode};
/// use backprop_tensor::DMatrix;
/// let mut d = Dropout::<f32>::new(0.5, 42)?;
/// let x = DMatrix::from_element(100, 10, 1.0);
/// let mut y = DMatrix::zeros(0, 0);
/// d.forward(&x, &mut y, Mode::Train)?;
/// assert!(y.iter().all(|&v| v == 0.0 || v == 2.0));
/// d.forward(&x, &mut y, Mode::Eval)?;
/// assert_eq!(y, x);
/// # Ok::<(), backprop_layers::LayerError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Dropout<T: Scalar> {
    m: DropMask<T>,
    last_mode: Mode,
}

impl<T: Scalar> Dropout<T> {
    /// Dropout with probability `p`, its masks seeded by `seed`. Errors unless
    /// `0 ≤ p < 1`.
    pub fn new(p: f64, seed: u64) -> Result<Self, LayerError> {
        Ok(Self {
            m: DropMask::new("dropout", p, seed)?,
            last_mode: Mode::Eval,
        })
    }
    /// The drop probability.
    pub fn p(&self) -> f64 {
        self.m.p
    }
    /// Number of masks drawn so far (the position in the random stream).
    pub fn draws(&self) -> u64 {
        self.m.draws
    }
    /// Sets the position in the random stream (used when resuming).
    pub fn set_draws(&mut self, draws: u64) {
        self.m.draws = draws;
    }
    /// While frozen, training passes reuse the last mask (when its shape
    /// fits) instead of drawing a new one — for gradient checks.
    pub fn freeze_mask(&mut self, frozen: bool) {
        self.m.frozen = frozen;
    }
    /// The last mask (entries 0 or 1/(1−p)).
    pub fn mask(&self) -> &DMatrix<T> {
        &self.m.mask
    }
}

impl<T: Scalar> Layer<T> for Dropout<T> {
    fn forward(
        &mut self,
        input: &DMatrix<T>,
        output: &mut DMatrix<T>,
        mode: Mode,
    ) -> Result<(), LayerError> {
        self.last_mode = mode;
        ops::copy_into(input, output);
        if mode == Mode::Train && self.m.p > 0.0 {
            self.m.draw(input.nrows(), input.ncols());
            for (y, &m) in output.as_mut_slice().iter_mut().zip(self.m.mask.as_slice()) {
                *y *= m;
            }
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
        ops::check_shape("dropout backward", "dA", grad_output, input.shape())
            .map_err(LayerError::shape("dropout"))?;
        ops::copy_into(grad_output, dx);
        if self.last_mode == Mode::Train && self.m.p > 0.0 {
            if self.m.mask.shape() != grad_output.shape() {
                return Err(LayerError::NoForward {
                    layer: "dropout".into(),
                    expected: self.m.mask.ncols(),
                    found: grad_output.ncols(),
                });
            }
            for (g, &m) in dx.as_mut_slice().iter_mut().zip(self.m.mask.as_slice()) {
                *g *= m;
            }
        }
        Ok(())
    }

    fn name(&self) -> &str {
        "dropout"
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
/// part of a checkpoint); keeps the input's shape. Built with the seed
/// [`BuildContext::derived_seed`].
impl<T: Scalar> LayerType for Dropout<T> {
    const KIND: &'static str = "dropout";

    fn plan(config: &Config, input: &Shape, _: &Registry) -> Result<Plan, LayerError> {
        config.only("dropout", &["p"])?;
        check_p("dropout", config.f64("dropout", "p")?)?;
        Ok(Plan::stateless(input.clone()))
    }

    fn build<S: Scalar>(
        config: &Config,
        _: &Shape,
        ctx: &BuildContext<'_>,
    ) -> Result<Box<dyn Layer<S>>, LayerError> {
        Ok(Box::new(Dropout::<S>::new(
            config.f64("dropout", "p")?,
            ctx.derived_seed(),
        )?))
    }
}
