//! How a layer kind describes itself: [`LayerType`] (its kind name, what a
//! configuration plans — output shape and tensors — and how to build it),
//! [`Plan`] and [`TensorInfo`]. A model file stores each layer's kind and
//! [`Config`]; a loader plans the whole network from those first, checks the
//! file's tensors against the plan, and only then builds (allocates).

use crate::{Config, Layer, LayerError, Registry, Shape};
use backprop_tensor::{Scalar, rng};
use rand::rngs::StdRng;

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

/// Where a layer being built sits: the seed and its position, from which it
/// draws its initialisation or its dropout masks, and the registry (for
/// containers, which build their children).
#[derive(Debug, Clone, Copy)]
pub struct BuildContext<'a> {
    seed: u64,
    index: u64,
    root: bool,
    registry: &'a Registry,
}

impl<'a> BuildContext<'a> {
    /// The context of a whole network built with `seed`.
    pub fn root(seed: u64, registry: &'a Registry) -> Self {
        Self {
            seed,
            index: 0,
            root: true,
            registry,
        }
    }
    /// The context of child `index` of a container built in this context.
    /// The children of the root draw from streams `(seed, index)`, as
    /// [`SequentialBuilder`](crate::SequentialBuilder) seeds them; those of
    /// a nested container from `(derived_seed(), index)`.
    pub fn child(&self, index: usize) -> Self {
        Self {
            seed: if self.root {
                self.seed
            } else {
                self.derived_seed()
            },
            index: index as u64,
            root: false,
            registry: self.registry,
        }
    }
    /// This layer's own random stream (initialisers).
    pub fn stream(&self) -> StdRng {
        rng::stream(self.seed, self.index)
    }
    /// A seed of this layer's own (dropout masks).
    pub fn derived_seed(&self) -> u64 {
        rng::derive_seed(self.seed, self.index)
    }
    /// The registry, to build children.
    pub fn registry(&self) -> &'a Registry {
        self.registry
    }
}

/// A kind of layer that can be saved and rebuilt: its name in model files,
/// what a configuration plans, and how to build it.
///
/// Implement it next to your [`Layer`], register it once with
/// [`register`](crate::register), and model files, checkpoints and
/// `load_model` handle it like a built-in. [`Layer::kind`] must return
/// [`KIND`](Self::KIND) and [`Layer::config`] a configuration that
/// [`plan`](Self::plan) and [`build`](Self::build) accept.
pub trait LayerType: 'static {
    /// The kind name stored in model files (`"dense"`); unique per registry.
    const KIND: &'static str;

    /// The output shape and tensors of a layer of this configuration on
    /// `input`, or a typed error (a missing or out-of-range setting, an input
    /// that does not fit). Must not allocate in proportion to any size in
    /// the configuration: it runs on untrusted files.
    fn plan(config: &Config, input: &Shape, registry: &Registry) -> Result<Plan, LayerError>;

    /// The layer, its tensors zero (a loader fills them), its random stream
    /// from `ctx`. Called only after [`plan`](Self::plan) succeeded on the same
    /// configuration and input.
    fn build<T: Scalar>(
        config: &Config,
        input: &Shape,
        ctx: &BuildContext<'_>,
    ) -> Result<Box<dyn Layer<T>>, LayerError>;
}
