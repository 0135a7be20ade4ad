//! What a configuration plans before anything is allocated: a [`Plan`]
//! (output shape and tensors) of [`TensorInfo`]s with their [`Layout`]. A
//! model file stores each layer's kind and configuration; a loader plans the
//! whole network first, checks the file's tensors against the plan, and only
//! then builds (allocates).

use crate::Shape;

/// How a tensor is held here and stored in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Layout {
    /// A weight: a `rows × cols` matrix here, with `rows` the first
    /// dimension of the file shape and `cols` the product of the others;
    /// row-major in the file (PyTorch's layout: `[out, in]`, or
    /// `[out, in, kh, kw]` for a convolution).
    Matrix,
    /// A vector: an `n×1` column here, `[n]` in the file.
    Vector,
    /// A count (BatchNorm's `num_batches_tracked`): a `1×1` matrix here, an
    /// `i64` scalar (`[]`) in the file.
    Count,
}

/// One tensor a layer owns: its name (local to the layer, `"weight"`; a
/// container prefixes its children's: `"3.weight"`), layout and file shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorInfo {
    /// The name.
    pub name: String,
    /// How it maps onto a matrix.
    pub layout: Layout,
    /// Its shape in the file (PyTorch's).
    pub shape: Vec<usize>,
}

impl TensorInfo {
    /// A weight of file shape `shape` (see [`Layout::Matrix`]).
    pub fn matrix(name: &str, shape: impl Into<Vec<usize>>) -> Self {
        Self {
            name: name.to_string(),
            layout: Layout::Matrix,
            shape: shape.into(),
        }
    }
    /// A vector of `n` values.
    pub fn vector(name: &str, n: usize) -> Self {
        Self {
            name: name.to_string(),
            layout: Layout::Vector,
            shape: vec![n],
        }
    }
    /// An `i64` count.
    pub fn count(name: &str) -> Self {
        Self {
            name: name.to_string(),
            layout: Layout::Count,
            shape: Vec::new(),
        }
    }
    /// The matrix this tensor is held in, `(rows, cols)`, or `None` if the
    /// sizes overflow.
    pub fn matrix_shape(&self) -> Option<(usize, usize)> {
        match self.layout {
            Layout::Count => Some((1, 1)),
            Layout::Vector => Some((*self.shape.first()?, 1)),
            Layout::Matrix => {
                let (&rows, rest) = self.shape.split_first()?;
                let cols = rest.iter().try_fold(1usize, |a, &d| a.checked_mul(d))?;
                rows.checked_mul(cols)?;
                Some((rows, cols))
            }
        }
    }
    /// The same tensor under `prefix.name`.
    pub fn prefixed(mut self, prefix: &str) -> Self {
        self.name = format!("{prefix}.{}", self.name);
        self
    }
}

/// What a configuration makes of an input shape, before anything is
/// allocated: the output shape and the tensors the layer will own.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The shape of one output sample.
    pub output: Shape,
    /// The tensors, in the order the layer visits them (parameters, then
    /// buffers).
    pub tensors: Vec<TensorInfo>,
}

impl Plan {
    /// A layer that owns no tensor.
    pub fn stateless(output: Shape) -> Self {
        Self {
            output,
            tensors: Vec::new(),
        }
    }
}
