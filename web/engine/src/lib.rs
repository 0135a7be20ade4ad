//! The backprop library in WebAssembly: the engine of the training
//! playground in `web/`. It uses only the library's public API.
//!
//! [`Engine`] trains a network of dense layers one mini-batch at a time and
//! keeps every quantity of the last step (`Z`, `A`, `dZ`, `dW`, `db`, in the
//! tutorial's notation) for the page to draw; [`dataset`] makes the 2-D data
//! sets. The JavaScript API (`Playground`, `make_dataset`; see `API.md`) is
//! a thin wasm-bindgen layer over them, so everything it does is tested
//! natively here.
//!
//! ```
//! use backprop_web::{Engine, PlaygroundConfig, dataset};
//! let d = dataset::make_dataset(&dataset::DatasetConfig::default())?;
//! let mut e = Engine::new(PlaygroundConfig { layers: vec![2, 8, 3], ..Default::default() })?;
//! e.set_data(&d.train_x, &d.train_y, &d.test_x, &d.test_y, 2)?;
//! let loss = e.step()?;
//! assert!(loss.is_finite());
//! assert_eq!(e.inspect(1)?.dw.shape(), (8, 2)); // W[1] is outputs × inputs
//! # Ok::<(), backprop_web::EngineError>(())
//! ```

mod bindings;
mod config;
pub mod data;
pub mod dataset;
mod engine;
mod error;
mod images;
mod inspect;
mod model_file;
pub mod output;

pub use bindings::{Playground, make_dataset};
pub use config::{MAX_LAYERS, MAX_WIDTH, OutputLoss, PlaygroundConfig};
pub use engine::{Engine, EpochResult, Metrics, build_network};
pub use error::{EngineError, Result};
pub use inspect::{FORMULAS, LayerView, output_dz_formula};
pub use model_file::CONFIG_KEY;
