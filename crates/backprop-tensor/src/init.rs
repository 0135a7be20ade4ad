//! Seeded weight initialisers.
//!
//! A weight matrix is `out×in` as in the tutorial, so `fan_in` is its number of
//! columns and `fan_out` its number of rows. Values are drawn in `f64` and
//! rounded, so the same seed gives the same draws in `f32` and `f64`.

use crate::Scalar;
use nalgebra::DMatrix;
use rand::Rng;
use rand_distr::{Distribution, StandardNormal, Uniform};

/// How to fill a new weight (or bias) matrix.
///
/// | variant | distribution |
/// |---|---|
/// | `Zeros` | 0 |
/// | `Constant(c)` | c |
/// | `Tutorial` | N(0, 1)·0.01, the tutorial's `np.random.randn(...) * 0.01` |
/// | `HeNormal` | N(0, 2/fan_in) (Kaiming, for ReLU) |
/// | `HeUniform` | U(±√(6/fan_in)) |
/// | `XavierNormal` | N(0, 2/(fan_in+fan_out)) (Glorot) |
/// | `XavierUniform` | U(±√(6/(fan_in+fan_out))) |
/// | `LeCunNormal` | N(0, 1/fan_in) |
/// | `TorchDefault` | U(±1/√fan_in), and the bias too (PyTorch's `nn.Linear` and `nn.Conv2d`) |
/// | `Normal { std }` | N(0, std²) |
/// | `Uniform { limit }` | U(±limit) |
///
/// ```
/// use backprop_tensor::{Init, rng::seeded};
/// let w = Init::HeNormal.matrix::<f32, _>(128, 784, &mut seeded(0));
/// assert_eq!(w.shape(), (128, 784));
/// let again = Init::HeNormal.matrix::<f32, _>(128, 784, &mut seeded(0));
/// assert_eq!(w, again); // same seed, same weights, bit for bit
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Init {
    /// All zeros.
    Zeros,
    /// Every entry the given constant.
    Constant(f64),
    /// The tutorial's `randn * 0.01`.
    Tutorial,
    /// He/Kaiming normal: N(0, 2/fan_in).
    HeNormal,
    /// He/Kaiming uniform: U(±√(6/fan_in)).
    HeUniform,
    /// Xavier/Glorot normal: N(0, 2/(fan_in + fan_out)).
    XavierNormal,
    /// Xavier/Glorot uniform: U(±√(6/(fan_in + fan_out))).
    XavierUniform,
    /// LeCun normal: N(0, 1/fan_in).
    LeCunNormal,
    /// PyTorch's default for `nn.Linear` and `nn.Conv2d`:
    /// `kaiming_uniform_(a=√5)`, whose bound `√(6/((1+a²)·fan_in))` is
    /// U(±1/√fan_in); the bias is U(±1/√fan_in) too (see [`Init::bias`]).
    /// For a convolution `fan_in` is `in_channels·kh·kw`.
    TorchDefault,
    /// N(0, std²).
    Normal {
        /// Standard deviation.
        std: f64,
    },
    /// U(−limit, limit).
    Uniform {
        /// Half-width of the interval.
        limit: f64,
    },
}

impl Init {
    /// A `rows×cols` matrix drawn from this initialiser (`fan_in = cols`,
    /// `fan_out = rows`), filled column by column.
    pub fn matrix<T: Scalar, R: Rng + ?Sized>(
        &self,
        rows: usize,
        cols: usize,
        rng: &mut R,
    ) -> DMatrix<T> {
        self.matrix_with_fans(rows, cols, cols, rows, rng)
    }

    /// Like [`Init::matrix`] with explicit fans (a bias vector uses its layer's).
    pub fn matrix_with_fans<T: Scalar, R: Rng + ?Sized>(
        &self,
        rows: usize,
        cols: usize,
        fan_in: usize,
        fan_out: usize,
        rng: &mut R,
    ) -> DMatrix<T> {
        let fi = fan_in.max(1) as f64;
        let fo = fan_out.max(1) as f64;
        let normal = |std: f64, rng: &mut R| -> DMatrix<T> {
            DMatrix::from_fn(rows, cols, |_, _| {
                let z: f64 = StandardNormal.sample(rng);
                T::of(z * std)
            })
        };
        let uniform = |limit: f64, rng: &mut R| -> DMatrix<T> {
            match Uniform::new_inclusive(-limit, limit) {
                Ok(u) => DMatrix::from_fn(rows, cols, |_, _| T::of(u.sample(rng))),
                // Only a NaN or infinite limit fails; zeros is the honest answer
                // for a zero-width range and cannot arise from finite fans.
                Err(_) => DMatrix::from_element(rows, cols, T::zero()),
            }
        };
        match *self {
            Init::Zeros => DMatrix::from_element(rows, cols, T::zero()),
            Init::Constant(c) => DMatrix::from_element(rows, cols, T::of(c)),
            Init::Tutorial => normal(0.01, rng),
            Init::HeNormal => normal((2.0 / fi).sqrt(), rng),
            Init::HeUniform => uniform((6.0 / fi).sqrt(), rng),
            Init::XavierNormal => normal((2.0 / (fi + fo)).sqrt(), rng),
            Init::XavierUniform => uniform((6.0 / (fi + fo)).sqrt(), rng),
            Init::LeCunNormal => normal((1.0 / fi).sqrt(), rng),
            Init::TorchDefault => uniform((1.0 / fi).sqrt(), rng),
            Init::Normal { std } => normal(std, rng),
            Init::Uniform { limit } => uniform(limit, rng),
        }
    }

    /// The bias (`n×1`) of a layer whose weight is drawn from this
    /// initialiser, drawn after the weight from the same stream:
    /// U(±1/√fan_in) for [`Init::TorchDefault`] (as PyTorch initialises
    /// `nn.Linear` and `nn.Conv2d`), zeros for every other (the tutorial's).
    ///
    /// ```
    /// use backprop_tensor::{Init, rng::seeded};
    /// let mut rng = seeded(0);
    /// let w = Init::TorchDefault.matrix::<f64, _>(6, 25, &mut rng); // conv 1→6, 5×5
    /// let b = Init::TorchDefault.bias::<f64, _>(6, 25, &mut rng);
    /// assert!(w.iter().chain(b.iter()).all(|x| x.abs() <= 0.2));
    /// assert!(b.iter().any(|&x| x != 0.0));
    /// assert!(Init::HeNormal.bias::<f32, _>(6, 25, &mut rng).iter().all(|&x| x == 0.0));
    /// ```
    pub fn bias<T: Scalar, R: Rng + ?Sized>(
        &self,
        n: usize,
        fan_in: usize,
        rng: &mut R,
    ) -> DMatrix<T> {
        match self {
            Init::TorchDefault => Init::TorchDefault.matrix_with_fans(n, 1, fan_in, n, rng),
            _ => DMatrix::from_element(n, 1, T::zero()),
        }
    }

    /// A short name, as shown in summaries and model files.
    pub fn name(&self) -> &'static str {
        match self {
            Init::Zeros => "zeros",
            Init::Constant(_) => "constant",
            Init::Tutorial => "tutorial",
            Init::HeNormal => "he_normal",
            Init::HeUniform => "he_uniform",
            Init::XavierNormal => "xavier_normal",
            Init::XavierUniform => "xavier_uniform",
            Init::LeCunNormal => "lecun_normal",
            Init::TorchDefault => "torch_default",
            Init::Normal { .. } => "normal",
            Init::Uniform { .. } => "uniform",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::seeded;

    fn mean_std(m: &DMatrix<f64>) -> (f64, f64) {
        let n = m.len() as f64;
        let mean = m.sum() / n;
        let var = m.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        (mean, var.sqrt())
    }

    #[test]
    fn moments_match_the_formulas() {
        let (rows, cols) = (200, 400);
        let cases = [
            (Init::Tutorial, 0.01),
            (Init::HeNormal, (2.0 / 400.0_f64).sqrt()),
            (Init::HeUniform, (6.0 / 400.0_f64).sqrt() / 3.0_f64.sqrt()),
            (Init::XavierNormal, (2.0 / 600.0_f64).sqrt()),
            (
                Init::XavierUniform,
                (6.0 / 600.0_f64).sqrt() / 3.0_f64.sqrt(),
            ),
            (Init::LeCunNormal, (1.0 / 400.0_f64).sqrt()),
            // U(±1/√400): a standard deviation of (1/20)/√3.
            (
                Init::TorchDefault,
                (1.0 / 400.0_f64).sqrt() / 3.0_f64.sqrt(),
            ),
        ];
        for (init, std) in cases {
            let m = init.matrix::<f64, _>(rows, cols, &mut seeded(1));
            let (mu, sd) = mean_std(&m);
            assert!(mu.abs() < 0.02 * std * 10.0, "{init:?} mean {mu}");
            assert!((sd / std - 1.0).abs() < 0.02, "{init:?} std {sd} vs {std}");
        }
        let u = Init::HeUniform.matrix::<f64, _>(rows, cols, &mut seeded(2));
        let limit = (6.0 / 400.0_f64).sqrt();
        assert!(u.iter().all(|x| x.abs() <= limit));
        let t = Init::TorchDefault.matrix::<f64, _>(rows, cols, &mut seeded(2));
        assert!(t.iter().all(|x| x.abs() <= 0.05));
        assert!(t.iter().any(|x| x.abs() > 0.049));
        assert!(
            Init::Zeros
                .matrix::<f32, _>(3, 3, &mut seeded(0))
                .iter()
                .all(|&x| x == 0.0)
        );
    }

    #[test]
    fn same_seed_same_values_in_both_precisions() {
        let a = Init::XavierNormal.matrix::<f64, _>(5, 7, &mut seeded(9));
        let b = Init::XavierNormal.matrix::<f32, _>(5, 7, &mut seeded(9));
        for (x, y) in a.iter().zip(b.iter()) {
            assert_eq!(*x as f32, *y);
        }
        let c = Init::XavierNormal.matrix::<f64, _>(5, 7, &mut seeded(10));
        assert_ne!(a, c);
    }
}
