//! Saving and loading a playground as the library's safetensors model file.

use crate::config::PlaygroundConfig;
use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::output;
use backprop_io::{model_to_bytes, read_model};
use backprop_layers::{OutputKind, Sequential};

/// The key of [`backprop_layers::ModelInfo::metadata`] under which a saved
/// playground keeps its config (JSON).
pub const CONFIG_KEY: &str = "backprop_web.config";

impl Engine {
    /// The network as the bytes of a safetensors model file, the config in
    /// its metadata.
    pub fn save(&mut self) -> Result<Vec<u8>> {
        let json = self.config.to_json();
        self.net.info_mut().metadata.insert(CONFIG_KEY.into(), json);
        Ok(model_to_bytes(&self.net)?)
    }

    /// A playground from a model file: one saved by [`save`](Self::save), or
    /// any file of dense layers with activations and dropout between them
    /// whose output is logits (`examples/mnist`'s), trained on further with
    /// the file's config or, without one, Adam and softmax cross-entropy.
    pub fn load(bytes: &[u8]) -> Result<Self> {
        let net: Sequential<f32> = read_model(bytes)?;
        let sizes = dense_sizes(&net)?;
        let config = match net.info().metadata.get(CONFIG_KEY) {
            Some(json) => {
                let c = PlaygroundConfig::from_json(json)?;
                if c.layers != sizes {
                    return Err(EngineError::invalid(
                        "model file",
                        format!("layers {:?} as its config says", c.layers),
                        format!("{sizes:?}"),
                    ));
                }
                c
            }
            None => infer_config(&net, sizes)?,
        };
        let expected = output::output_kind(config.output_loss()?);
        if net.info().output != expected {
            return Err(EngineError::invalid(
                "model file output",
                expected.name(),
                net.info().output.name(),
            ));
        }
        Engine::with_network(config, net)
    }
}

/// `[inputs, units of each dense layer...]`, checking that the network is
/// dense layers with activations or dropout between them, ending in a
/// dense layer.
fn dense_sizes(net: &Sequential<f32>) -> Result<Vec<usize>> {
    let mut sizes = vec![net.input_size()];
    let layers = net.layers();
    for (i, layer) in layers.iter().enumerate() {
        match layer.kind() {
            "dense" => sizes.push(net.shapes()[i].len()),
            "activation" | "dropout" if i + 1 < layers.len() => {}
            other => {
                return Err(EngineError::invalid(
                    "model file",
                    "dense layers with activations or dropout between them, ending in a dense layer",
                    format!("layer {i} ({other})"),
                ));
            }
        }
    }
    if sizes.len() < 2 {
        return Err(EngineError::invalid(
            "model file",
            "at least one dense layer",
            "none",
        ));
    }
    Ok(sizes)
}

/// A config for a file without one: its sizes and first activation,
/// softmax cross-entropy on logits (bce for one output) and Adam.
fn infer_config(net: &Sequential<f32>, layers: Vec<usize>) -> Result<PlaygroundConfig> {
    let activation = net
        .layers()
        .iter()
        .find(|l| l.kind() == "activation")
        .map_or("relu", |l| l.name())
        .to_string();
    let loss = match (net.info().output, layers.last()) {
        (OutputKind::Logits, Some(1)) => "bce",
        (OutputKind::Logits, _) => "softmax_cross_entropy",
        (other, _) => {
            return Err(EngineError::invalid(
                "model file output",
                "logits",
                other.name(),
            ));
        }
    };
    let c = PlaygroundConfig {
        layers,
        activation,
        loss: loss.into(),
        batch: 64,
        ..PlaygroundConfig::default()
    };
    c.validate()?;
    Ok(c)
}
