//! The built-in layer kinds and the program's registry: the built-ins and
//! every kind a user adds with [`register`].

use crate::{
    ActivationLayer, BatchNorm1d, Dense, Dropout, Flatten, LayerError, LayerType, Registry,
    Sequential,
};
use crate::{AvgPool2d, BatchNorm2d, Dropout2d, MaxPool2d};
use std::sync::{OnceLock, PoisonError, RwLock};

impl Registry {
    /// The built-in layers. A new built-in is one line here.
    pub fn builtin() -> Self {
        let mut r = Self::empty();
        r.add::<Dense<f32>>(true);
        r.add::<ActivationLayer<f32>>(true);
        r.add::<Dropout<f32>>(true);
        r.add::<BatchNorm1d<f32>>(true);
        r.add::<Flatten>(true);
        r.add::<Sequential<f32>>(true);
        r.add::<crate::Conv2d<f32>>(true);
        r.add::<MaxPool2d>(true);
        r.add::<AvgPool2d>(true);
        r.add::<BatchNorm2d<f32>>(true);
        r.add::<Dropout2d<f32>>(true);
        r
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
