//! [`LoadOptions`]: what a loader verifies, and the sizes it accepts.

/// What loading a model file, checkpoint or state dict verifies, and the
/// largest model it accepts. [`load_model`](crate::load_model) and the other
/// loaders use [`LoadOptions::default()`]; the `_with` loaders
/// ([`load_model_with`](crate::load_model_with), …) take these.
///
/// The limits bound the memory a file can make a program use: a model file
/// of 3,000 tensor-less layers is 144 KB, but each layer keeps an output
/// buffer of the batch's size, so predicting on batches of 1,000 took 9 GB.
/// Raise a limit for a model you trust that exceeds it; the error says
/// which.
///
/// ```
/// use backprop_io::{LoadOptions, load_model_with};
/// # let path = std::env::temp_dir().join(format!("backprop-io-options-doc-{}.safetensors", std::process::id()));
/// # let net = backprop_layers::Sequential::<f32>::builder(2).dense(1).build()?;
/// # backprop_io::save_model(&net, &path)?;
/// // Inspect a model whose values are refused (a NaN weight, a negative
/// // running variance): load it without the value checks.
/// let options = LoadOptions { check_values: false, ..LoadOptions::default() };
/// let net = load_model_with::<f32>(&path, &options)?;
/// // A deeper model than the default allows.
/// let deep = LoadOptions { max_layers: 4096, ..LoadOptions::default() };
/// # let _ = load_model_with::<f32>(&path, &deep)?;
/// # let _ = std::fs::remove_file(&path);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadOptions {
    /// Verify the file's checksum (metadata key
    /// [`CHECKSUM_KEY`](crate::CHECKSUM_KEY)), if it has one: a mismatch is
    /// [`IoError::Checksum`](crate::IoError::Checksum). Default `true`; turn
    /// it off only to look into a damaged file.
    pub verify_checksum: bool,
    /// Refuse values no training produces: a non-finite parameter, buffer
    /// or optimizer moment, and whatever a layer's
    /// [`check_values`](backprop_layers::Layer::check_values) refuses (a
    /// negative BatchNorm `running_var`), with
    /// [`IoError::InvalidValue`](crate::IoError::InvalidValue). Default
    /// `true`; turn it off to load such a model for inspection.
    pub check_values: bool,
    /// The most layers a model may have, nested ones and their containers
    /// included. Default [`DEFAULT_MAX_LAYERS`](Self::DEFAULT_MAX_LAYERS).
    pub max_layers: usize,
    /// The most values a model's tensors may hold in all (parameters and
    /// buffers). Default [`DEFAULT_MAX_PARAMS`](Self::DEFAULT_MAX_PARAMS).
    pub max_params: usize,
    /// The most values a forward pass may keep per sample: the sum of every
    /// layer's output size, which a batch of `m` samples multiplies by `m`.
    /// Default
    /// [`DEFAULT_MAX_VALUES_PER_SAMPLE`](Self::DEFAULT_MAX_VALUES_PER_SAMPLE).
    pub max_values_per_sample: usize,
}

impl LoadOptions {
    /// 1,024 layers.
    pub const DEFAULT_MAX_LAYERS: usize = 1024;
    /// 2^28 = 268,435,456 values: 1 GiB of weights in `f32`.
    pub const DEFAULT_MAX_PARAMS: usize = 1 << 28;
    /// 2^18 = 262,144 values per sample: 1 GiB of layer outputs for a batch
    /// of 1,000 in `f32` (the MNIST network keeps 394).
    pub const DEFAULT_MAX_VALUES_PER_SAMPLE: usize = 1 << 18;

    /// Every check on, the default limits.
    pub const DEFAULT: LoadOptions = LoadOptions {
        verify_checksum: true,
        check_values: true,
        max_layers: Self::DEFAULT_MAX_LAYERS,
        max_params: Self::DEFAULT_MAX_PARAMS,
        max_values_per_sample: Self::DEFAULT_MAX_VALUES_PER_SAMPLE,
    };
}

impl Default for LoadOptions {
    /// [`LoadOptions::DEFAULT`].
    fn default() -> Self {
        Self::DEFAULT
    }
}
