//! [`Split`]: one set of samples (features × n) and their class labels, and
//! the conversions from what the page hands over.

use crate::error::{EngineError, Result};
use backprop_layers::Preprocess;
use backprop_tensor::{DMatrix, ops};

/// The most samples one set may hold (a bound on what a call allocates).
pub const MAX_SAMPLES: usize = 1 << 20;

/// Samples as columns (features × n) and their labels.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// One column per sample.
    pub x: DMatrix<f32>,
    /// One class per sample.
    pub y: Vec<usize>,
}

impl Split {
    /// A set from sample-major values (`features` per sample) and labels.
    pub fn from_points(xs: &[f32], labels: &[u32], features: usize, what: &str) -> Result<Self> {
        let n = labels.len();
        check_count(n, what)?;
        if features == 0 || xs.len() != n * features {
            return Err(EngineError::invalid(
                format!("{what} values"),
                format!("{n} labels × {features} features = {} values", n * features),
                xs.len(),
            ));
        }
        if let Some(v) = xs.iter().find(|v| !v.is_finite()) {
            return Err(EngineError::invalid(
                format!("{what} values"),
                "finite numbers",
                v,
            ));
        }
        Ok(Self {
            x: DMatrix::from_column_slice(features, n, xs),
            y: labels.iter().map(|&l| l as usize).collect(),
        })
    }

    /// A set of images from `u8` pixels (`features` per image) mapped by
    /// `pre` (a model trained on pixels scales them; `p / 255` if it says
    /// nothing), and `u8` labels.
    pub fn from_pixels(
        pixels: &[u8],
        labels: &[u8],
        features: usize,
        pre: &Preprocess,
        what: &str,
    ) -> Result<Self> {
        let n = labels.len();
        check_count(n, what)?;
        if features == 0 || pixels.len() != n * features {
            return Err(EngineError::invalid(
                format!("{what} pixels"),
                format!("{n} labels × {features} pixels = {} bytes", n * features),
                pixels.len(),
            ));
        }
        Ok(Self {
            x: pixel_matrix(pixels, features, pre),
            y: labels.iter().map(|&l| usize::from(l)).collect(),
        })
    }

    /// Copies the samples `indices` into `x` (features × indices) and their
    /// labels into `labels`.
    pub fn fill(&self, indices: &[usize], x: &mut DMatrix<f32>, labels: &mut Vec<usize>) {
        let f = self.x.nrows();
        ops::resize(x, f, indices.len());
        let src = self.x.as_slice();
        for (dst, &i) in x.as_mut_slice().chunks_exact_mut(f).zip(indices) {
            dst.copy_from_slice(&src[i * f..(i + 1) * f]);
        }
        labels.clear();
        labels.extend(indices.iter().map(|&i| self.y[i]));
    }
}

/// Pixels (`features` per image) as columns, mapped by `pre` (`p / 255`
/// when it is [`Preprocess::None`]).
pub fn pixel_matrix(pixels: &[u8], features: usize, pre: &Preprocess) -> DMatrix<f32> {
    let pre = match pre {
        Preprocess::None => &Preprocess::UNIT_PIXELS,
        p => p,
    };
    let n = pixels.len() / features.max(1);
    let mut x = DMatrix::zeros(features, n);
    for (col, px) in x
        .as_mut_slice()
        .chunks_exact_mut(features)
        .zip(pixels.chunks_exact(features))
    {
        for (i, (dst, &p)) in col.iter_mut().zip(px).enumerate() {
            *dst = pre.apply(i, f64::from(p)) as f32;
        }
    }
    x
}

fn check_count(n: usize, what: &str) -> Result<()> {
    if n > MAX_SAMPLES {
        return Err(EngineError::invalid(
            format!("{what} samples"),
            format!("at most {MAX_SAMPLES}"),
            n,
        ));
    }
    Ok(())
}
