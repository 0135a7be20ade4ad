//! [`EngineError`]: everything the engine can refuse, in the page's terms.

use backprop_activations::ParseActivationError;
use backprop_io::IoError;
use backprop_layers::LayerError;
use backprop_losses::LossError;
use backprop_optim::OptimError;

/// Why the engine refused a call. The page shows the message as it is.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// A JSON configuration that does not parse or has an unknown field.
    #[error("{what}: {message}")]
    Json {
        /// Which configuration (`"playground config"`, `"dataset config"`).
        what: &'static str,
        /// serde_json's message (it names the field and the line).
        message: String,
    },
    /// A setting or argument out of range.
    #[error("{field}: expected {expected}, found {found}")]
    Invalid {
        /// The setting or argument (`"layers"`, `"labels"`).
        field: String,
        /// What would have been accepted.
        expected: String,
        /// What was given.
        found: String,
    },
    /// A call that needs something not done yet (`inspect` before a step).
    #[error("{0}")]
    NotReady(String),
    /// The library refused the network or a batch.
    #[error(transparent)]
    Layer(#[from] LayerError),
    /// The library refused the loss or its targets.
    #[error(transparent)]
    Loss(#[from] LossError),
    /// The library refused the optimizer or schedule.
    #[error(transparent)]
    Optim(#[from] OptimError),
    /// An unknown activation name.
    #[error(transparent)]
    Activation(#[from] ParseActivationError),
    /// A model file that could not be written or read.
    #[error(transparent)]
    Io(#[from] IoError),
}

impl EngineError {
    /// An [`EngineError::Invalid`] from displayable parts.
    pub fn invalid(
        field: impl Into<String>,
        expected: impl Into<String>,
        found: impl std::fmt::Display,
    ) -> Self {
        EngineError::Invalid {
            field: field.into(),
            expected: expected.into(),
            found: found.to_string(),
        }
    }
}

/// The engine's results.
pub type Result<T> = std::result::Result<T, EngineError>;
