//! [`Features`]: a dataset's inputs, `u8` pixels or `f32` values, sample-major.

use super::PixelScale;
use std::fmt;

/// A dataset's features, sample-major: sample `i` is
/// `data[i·n_features .. (i+1)·n_features]`.
#[derive(Clone, PartialEq)]
pub enum Features {
    /// Raw pixels, scaled by `scale` while a batch is assembled.
    U8 {
        /// The pixels.
        data: Vec<u8>,
        /// How they are scaled.
        scale: PixelScale,
    },
    /// Real-valued (tabular) features, used as they are (scale them with a
    /// [`crate::Scaler`]).
    F32(Vec<f32>),
}

impl Features {
    pub(super) fn len(&self) -> usize {
        match self {
            Features::U8 { data, .. } => data.len(),
            Features::F32(data) => data.len(),
        }
    }
}

impl fmt::Debug for Features {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Features::U8 { data, scale } => {
                write!(f, "U8 {{ len: {}, scale: {scale:?} }}", data.len())
            }
            Features::F32(data) => write!(f, "F32 {{ len: {} }}", data.len()),
        }
    }
}
