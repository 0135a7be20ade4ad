//! The native half of the Python package `backprop`: [`net::Net`], a network
//! with its optimizer that trains an epoch or predicts a batch with the GIL
//! released. The scikit-learn estimators and the `Sequential` wrapper are
//! Python (`python/backprop/`) on top of it, and use only the library's
//! public API.

use pyo3::prelude::*;

mod l2;
mod net;
mod sk_adam;
mod solver;
mod spec;
mod train;

/// The module `backprop._backprop`.
#[pymodule]
fn _backprop(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<net::Net>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
