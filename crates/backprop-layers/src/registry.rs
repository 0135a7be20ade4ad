//! The [`Registry`] of layer kinds: built-ins, and any the user registers
//! with [`register`]. A model file names each layer's kind; the registry
//! turns the name and a [`Config`] back into a plan and a layer.

use crate::{
    ActivationLayer, BatchNorm1d, BuildContext, Config, Dense, Dropout, Flatten, Layer, LayerError,
    LayerType, Plan, Sequential, Shape,
};
use backprop_tensor::Scalar;
use std::any::Any;
use std::collections::BTreeMap;
use std::sync::{OnceLock, PoisonError, RwLock};

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
    /// The built-in layers. A new built-in is one line here.
    pub fn builtin() -> Self {
        let mut r = Self {
            entries: BTreeMap::new(),
        };
        r.add::<Dense<f32>>(true);
        r.add::<ActivationLayer<f32>>(true);
        r.add::<Dropout<f32>>(true);
        r.add::<BatchNorm1d<f32>>(true);
        r.add::<Flatten>(true);
        r.add::<Sequential<f32>>(true);
        r
    }

    fn add<L: LayerType>(&mut self, builtin: bool) {
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

fn global() -> &'static RwLock<Registry> {
    static GLOBAL: OnceLock<RwLock<Registry>> = OnceLock::new();
    GLOBAL.get_or_init(|| RwLock::new(Registry::builtin()))
}

/// Registers a layer kind for the whole program, so that `backprop-io` saves
/// and loads it like a built-in. One line, once, before loading:
///
/// ```
/// # use backprop_layers::*;
/// # use backprop_tensor::{DMatrix, Scalar};
/// # #[derive(Debug)] struct Twice;
/// # impl<T: Scalar> Layer<T> for Twice {
/// #   fn forward(&mut self, x: &DMatrix<T>, y: &mut DMatrix<T>, _: Mode) -> Result<(), LayerError> { *y = x * T::of(2.0); Ok(()) }
/// #   fn backward(&mut self, _: &DMatrix<T>, _: &DMatrix<T>, dy: &DMatrix<T>, dx: Option<&mut DMatrix<T>>) -> Result<(), LayerError> { if let Some(dx) = dx { *dx = dy * T::of(2.0); } Ok(()) }
/// #   fn kind(&self) -> &str { "twice" }
/// #   fn config(&self) -> Option<Config> { Some(Config::new()) }
/// # }
/// # impl LayerType for Twice {
/// #   const KIND: &'static str = "twice";
/// #   fn plan(_: &Config, input: &Shape, _: &Registry) -> Result<Plan, LayerError> { Ok(Plan::stateless(input.clone())) }
/// #   fn build<T: Scalar>(_: &Config, _: &Shape, _: &BuildContext<'_>) -> Result<Box<dyn Layer<T>>, LayerError> { Ok(Box::new(Twice)) }
/// # }
/// backprop_layers::register::<Twice>()?;
/// assert!(backprop_layers::registry().kinds().contains(&"twice"));
/// # Ok::<(), LayerError>(())
/// ```
pub fn register<L: LayerType>() -> Result<(), LayerError> {
    global()
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .register::<L>()
}

/// The program's registry: the built-ins and every kind passed to
/// [`register`].
pub fn registry() -> Registry {
    global()
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
}
