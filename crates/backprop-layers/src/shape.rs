//! [`Shape`]: the shape of one sample, as a layer sees it.
//!
//! A batch is always a matrix with one column per sample (features × batch).
//! The shape says how a column's values are arranged: `[784]` is a flat
//! vector, `[1, 28, 28]` an image with one channel. A sample's values sit in
//! its column in the order PyTorch flattens NCHW tensors (channel, then row,
//! then column), so a weight or a feature map lines up with PyTorch's.
//!
//! The checks that fail with a [`LayerError`](crate::LayerError)
//! (`Shape::features`, `Shape::validate`) live with the error type, in
//! error.rs, so that this file depends on nothing.

use std::fmt;

/// The shape of one sample: `[features]`, `[channels, height, width]`, …
///
/// ```
/// use backprop_layers::Shape;
/// let image = Shape::new([1, 28, 28]);
/// assert_eq!(image.len(), 784);
/// assert_eq!(image.to_string(), "(1, 28, 28)");
/// assert_eq!(Shape::from(784), Shape::flat(784));
/// assert!(!image.is_flat() && Shape::flat(10).is_flat());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Shape {
    dims: Vec<usize>,
}

impl Shape {
    /// A shape with these dimensions, outermost first.
    pub fn new(dims: impl Into<Vec<usize>>) -> Self {
        Self { dims: dims.into() }
    }
    /// A flat vector of `n` features.
    pub fn flat(n: usize) -> Self {
        Self { dims: vec![n] }
    }
    /// The dimensions, outermost first.
    pub fn dims(&self) -> &[usize] {
        &self.dims
    }
    /// The number of values in one sample (the rows of a batch): the
    /// product of the dimensions, saturating at `usize::MAX` (see
    /// [`checked_len`](Self::checked_len)).
    pub fn len(&self) -> usize {
        self.checked_len().unwrap_or(usize::MAX)
    }
    /// The product of the dimensions, or `None` if it overflows.
    pub fn checked_len(&self) -> Option<usize> {
        self.dims
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d))
    }
    /// Whether a sample holds no value (some dimension is 0, or there are no
    /// dimensions).
    pub fn is_empty(&self) -> bool {
        self.dims.is_empty() || self.dims.contains(&0)
    }
    /// Whether this is a flat vector (one dimension).
    pub fn is_flat(&self) -> bool {
        self.dims.len() == 1
    }
}

impl From<usize> for Shape {
    fn from(n: usize) -> Self {
        Self::flat(n)
    }
}

impl<const N: usize> From<[usize; N]> for Shape {
    fn from(dims: [usize; N]) -> Self {
        Self::new(dims)
    }
}

impl From<Vec<usize>> for Shape {
    fn from(dims: Vec<usize>) -> Self {
        Self::new(dims)
    }
}

impl From<&[usize]> for Shape {
    fn from(dims: &[usize]) -> Self {
        Self::new(dims)
    }
}

impl fmt::Display for Shape {
    /// `(784)` for a flat shape, `(1, 28, 28)` for an image.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "(")?;
        for (i, d) in self.dims.iter().enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            write!(f, "{d}")?;
        }
        write!(f, ")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_errors() {
        assert_eq!(Shape::new([6, 14, 14]).len(), 1176);
        assert_eq!(Shape::new([usize::MAX, 2]).checked_len(), None);
        assert!(Shape::new([3, 0]).validate("x").is_err());
        assert!(Shape::new(Vec::new()).validate("x").is_err());
        assert_eq!(Shape::flat(5).features("dense").ok(), Some(5));
        let err = Shape::new([1, 28, 28]).features("dense").unwrap_err();
        assert!(err.to_string().contains("(1, 28, 28)"), "{err}");
    }
}
