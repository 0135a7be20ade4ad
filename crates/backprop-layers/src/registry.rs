//! How a layer kind describes itself, [`LayerType`] (its kind name, what a
//! configuration plans — output shape and tensors — and how to build it),
//! the [`BuildContext`] it is built in, and the [`Registry`] of kinds that
//! turns a kind's name and a [`Config`] back into a plan and a layer. The
//! built-in kinds and the program-wide registry are in global.rs.

use crate::{Config, Layer, LayerError, Plan, Shape};
use backprop_tensor::{Scalar, rng};
use rand::rngs::StdRng;
use std::any::Any;
use std::collections::BTreeMap;

type PlanFn = fn(&Config, &Shape, &Registry) -> Result<Plan, LayerError>;
type BuildFn<T> = fn(&Config, &Shape, &BuildContext<'_>) -> Result<Box<dyn Layer<T>>, LayerError>;

#[derive(Clone, Copy)]
struct Entry {
    plan: PlanFn,
    build_f32: BuildFn<f32>,
    build_f64: BuildFn<f64>,
    builtin: bool,
}

/// Layer kinds by name.
///
/// ```
/// use backprop_layers::{Config, Registry, Shape};
/// let reg = Registry::builtin();
/// let plan = reg.plan("dense", &Config::new().with("inputs", 4usize).with("outputs", 3usize), &Shape::flat(4))?;
/// assert_eq!(plan.output, Shape::flat(3));
/// assert_eq!(plan.tensors[0].shape, vec![3, 4]);
/// assert!(reg.plan("conv9d", &Config::new(), &Shape::flat(4)).is_err());
/// # Ok::<(), backprop_layers::LayerError>(())
/// ```
#[derive(Clone)]
pub struct Registry {
    entries: BTreeMap<&'static str, Entry>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.entries.keys()).finish()
    }
}

impl Registry {
    /// An empty registry (see [`builtin`](Self::builtin) for one with the
    /// built-in layers).
    pub fn empty() -> Self {
        Self {
            entries: BTreeMap::new(),
        }
    }

    pub(crate) fn add<L: LayerType>(&mut self, builtin: bool) {
        self.entries.insert(
            L::KIND,
            Entry {
                plan: L::plan,
                build_f32: L::build::<f32>,
                build_f64: L::build::<f64>,
                builtin,
            },
        );
    }

    /// Adds a layer kind. Registering a kind again replaces it; a built-in
    /// kind's name cannot be taken.
    pub fn register<L: LayerType>(&mut self) -> Result<(), LayerError> {
        if self.entries.get(L::KIND).is_some_and(|e| e.builtin) {
            return Err(LayerError::InvalidConfig {
                layer: L::KIND.to_string(),
                message: format!(
                    "{:?} is the name of a built-in layer; give your layer another LayerType::KIND",
                    L::KIND
                ),
            });
        }
        self.add::<L>(false);
        Ok(())
    }

    /// The registered kind names, sorted.
    pub fn kinds(&self) -> Vec<&'static str> {
        self.entries.keys().copied().collect()
    }

    fn entry(&self, kind: &str) -> Result<&Entry, LayerError> {
        self.entries
            .get(kind)
            .ok_or_else(|| LayerError::UnknownKind {
                kind: kind.to_string(),
                known: self.kinds().join(", "),
            })
    }

    /// What a layer of `kind` with `config` makes of `input`.
    pub fn plan(&self, kind: &str, config: &Config, input: &Shape) -> Result<Plan, LayerError> {
        (self.entry(kind)?.plan)(config, input, self)
    }

    /// Builds a layer of `kind` (call [`plan`](Self::plan) first).
    pub fn build<T: Scalar>(
        &self,
        kind: &str,
        config: &Config,
        input: &Shape,
        ctx: &BuildContext<'_>,
    ) -> Result<Box<dyn Layer<T>>, LayerError> {
        let e = self.entry(kind)?;
        let f: &dyn Any = if T::BYTES == 4 {
            &e.build_f32
        } else {
            &e.build_f64
        };
        match f.downcast_ref::<BuildFn<T>>() {
            Some(build) => build(config, input, ctx),
            None => Err(LayerError::InvalidConfig {
                layer: kind.to_string(),
                message: format!("no builder for element type {}", T::NAME),
            }),
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
