//! The mask that Dropout and Dropout2d share: the drop probability, the
//! random stream's seed and position, freezing, and the drawing of a mask of
//! entries `0` or `1/(1 − p)`. Only its shape differs (`units × batch` for
//! Dropout, `channels × batch` for Dropout2d).

use crate::LayerError;
use backprop_tensor::{DMatrix, Scalar, ops, rng};
use rand::Rng;

/// An inverted-dropout mask and its random stream.
#[derive(Debug, Clone)]
pub(crate) struct DropMask<T: Scalar> {
    pub(crate) p: f64,
    pub(crate) seed: u64,
    /// Masks drawn so far: the `n`-th is drawn from stream `(seed, n)`.
    pub(crate) draws: u64,
    pub(crate) frozen: bool,
    /// The last mask (entries 0 or `1/(1 − p)`).
    pub(crate) mask: DMatrix<T>,
}

impl<T: Scalar> DropMask<T> {
    /// No mask yet; `p` checked by [`check_p`] in `layer`'s name.
    pub(crate) fn new(layer: &str, p: f64, seed: u64) -> Result<Self, LayerError> {
        check_p(layer, p)?;
        Ok(Self {
            p,
            seed,
            draws: 0,
            frozen: false,
            mask: DMatrix::zeros(0, 0),
        })
    }

    /// Draws the next `rows × cols` mask in column-major order, each entry
    /// kept (`1/(1 − p)`) with probability `1 − p`; while frozen, keeps the
    /// last mask if its shape fits.
    pub(crate) fn draw(&mut self, rows: usize, cols: usize) {
        if self.frozen && self.mask.shape() == (rows, cols) {
            return;
        }
        let mut rng = rng::stream(self.seed, self.draws);
        self.draws += 1;
        ops::resize(&mut self.mask, rows, cols);
        let keep = 1.0 - self.p;
        let scale = T::of(1.0 / keep);
        for m in self.mask.as_mut_slice() {
            *m = if rng.random::<f64>() < keep {
                scale
            } else {
                T::zero()
            };
        }
    }
}

/// `0 ≤ p < 1`.
pub(crate) fn check_p(layer: &str, p: f64) -> Result<(), LayerError> {
    if !(0.0..1.0).contains(&p) {
        return Err(LayerError::InvalidConfig {
            layer: layer.into(),
            message: format!("drop probability must be in [0, 1), found {p}"),
        });
    }
    Ok(())
}
