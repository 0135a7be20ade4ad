//! [`PixelScale`]: how `u8` pixels become numbers in a batch.

use crate::{DataError, Result};
use backprop_tensor::Scalar;

/// How `u8` pixels become numbers while a batch is assembled.
///
/// Pixels stay `u8` in memory (a quarter of `f32`'s footprint); a batch is
/// converted through a 256-entry table computed in `f64` and rounded once, so
/// `f32` and `f64` batches agree to rounding.
///
/// ```
/// use backprop_data::PixelScale;
/// assert_eq!(PixelScale::Unit.apply(255), 1.0);
/// let s = PixelScale::MNIST.apply(0);
/// assert!((s - (-0.1307 / 0.3081)).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[non_exhaustive]
pub enum PixelScale {
    /// `x / 255`, into `[0, 1]` (the default).
    #[default]
    Unit,
    /// `(x / 255 − mean) / std`.
    Standardize {
        /// Mean of the unit-scaled pixels.
        mean: f64,
        /// Their standard deviation (must be positive).
        std: f64,
    },
}

impl PixelScale {
    /// MNIST's usual standardisation: mean 0.1307, std 0.3081.
    pub const MNIST: PixelScale = PixelScale::Standardize {
        mean: 0.1307,
        std: 0.3081,
    };

    /// The value of one pixel under this scale.
    pub fn apply(self, pixel: u8) -> f64 {
        let x = f64::from(pixel) / 255.0;
        match self {
            PixelScale::Unit => x,
            PixelScale::Standardize { mean, std } => (x - mean) / std,
        }
    }

    /// Checks that a standardisation has a finite mean and a finite std > 0.
    pub fn validate(self) -> Result<Self> {
        match self {
            PixelScale::Unit => Ok(self),
            PixelScale::Standardize { mean, std } => {
                if mean.is_finite() && std.is_finite() && std > 0.0 {
                    Ok(self)
                } else {
                    Err(DataError::InvalidPixelScale { mean, std })
                }
            }
        }
    }

    /// The value of every possible pixel, indexed by the pixel.
    pub fn lookup_table<T: Scalar>(self) -> [T; 256] {
        std::array::from_fn(|i| T::of(self.apply(i as u8)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pixel_scale_validation() {
        assert!(
            PixelScale::Standardize {
                mean: 0.0,
                std: 0.0
            }
            .validate()
            .is_err()
        );
        assert!(
            PixelScale::Standardize {
                mean: f64::NAN,
                std: 1.0
            }
            .validate()
            .is_err()
        );
        assert!(PixelScale::MNIST.validate().is_ok());
        let t = PixelScale::Unit.lookup_table::<f32>();
        assert_eq!((t[0], t[255]), (0.0, 1.0));
    }
}
