//! The JavaScript API (see API.md): [`Playground`] and [`make_dataset`],
//! thin wrappers that turn the engine's results into JS values and its
//! errors into JS `Error`s carrying the library's message.

use crate::config::PlaygroundConfig;
use crate::dataset::{self, Dataset2d, DatasetConfig};
use crate::engine::Engine;
use crate::error::EngineError;
use backprop_tensor::DMatrix;
use js_sys::{Float32Array, Object, Reflect, Uint32Array};
use wasm_bindgen::prelude::*;

fn js(e: EngineError) -> JsError {
    JsError::new(&e.to_string())
}

/// Sets `obj[key] = value`.
fn set(obj: &Object, key: &str, value: impl Into<JsValue>) {
    // Setting a property of a plain object cannot fail.
    let _ = Reflect::set(obj, &JsValue::from_str(key), &value.into());
}

/// `{rows, cols, data: Float32Array}`, data column-major.
fn matrix(m: &DMatrix<f32>) -> Object {
    let o = Object::new();
    set(&o, "rows", m.nrows() as u32);
    set(&o, "cols", m.ncols() as u32);
    set(&o, "data", Float32Array::from(m.as_slice()));
    o
}

/// The 2-D data set a JSON config describes (see API.md).
#[wasm_bindgen]
pub fn make_dataset(config: &str) -> Result<JsValue, JsError> {
    let c = DatasetConfig::from_json(config).map_err(js)?;
    let d: Dataset2d = dataset::make_dataset(&c).map_err(js)?;
    let o = Object::new();
    set(&o, "train_x", Float32Array::from(&d.train_x[..]));
    set(&o, "train_y", Uint32Array::from(&d.train_y[..]));
    set(&o, "test_x", Float32Array::from(&d.test_x[..]));
    set(&o, "test_y", Uint32Array::from(&d.test_y[..]));
    set(&o, "classes", d.classes as u32);
    set(&o, "features", Dataset2d::FEATURES as u32);
    Ok(o.into())
}

/// A network being trained (see API.md).
#[wasm_bindgen]
pub struct Playground {
    engine: Engine,
}

#[wasm_bindgen]
impl Playground {
    /// A fresh network from a JSON config.
    #[wasm_bindgen(constructor)]
    pub fn new(config: &str) -> Result<Playground, JsError> {
        let c = PlaygroundConfig::from_json(config).map_err(js)?;
        Ok(Playground {
            engine: Engine::new(c).map_err(js)?,
        })
    }

    /// A playground from the bytes of a model file.
    pub fn load(bytes: &[u8]) -> Result<Playground, JsError> {
        Ok(Playground {
            engine: Engine::load(bytes).map_err(js)?,
        })
    }

    /// The config in force, as JSON.
    pub fn config(&self) -> String {
        self.engine.config().to_json()
    }

    /// Sets 2-D (or any) points and labels.
    pub fn set_data(
        &mut self,
        train_x: &[f32],
        train_y: &[u32],
        test_x: &[f32],
        test_y: &[u32],
        features: usize,
    ) -> Result<(), JsError> {
        self.engine
            .set_data(train_x, train_y, test_x, test_y, features)
            .map_err(js)
    }

    /// Sets images (`u8` pixels) and labels.
    pub fn set_images(
        &mut self,
        pixels: &[u8],
        labels: &[u8],
        test_pixels: &[u8],
        test_labels: &[u8],
    ) -> Result<(), JsError> {
        self.engine
            .set_images(pixels, labels, test_pixels, test_labels)
            .map_err(js)
    }

    /// Trains on one mini-batch; returns its loss.
    pub fn step(&mut self) -> Result<f64, JsError> {
        self.engine.step().map_err(js)
    }

    /// Trains to the end of the pass; returns `{loss, accuracy}`.
    pub fn epoch(&mut self) -> Result<JsValue, JsError> {
        let r = self.engine.epoch().map_err(js)?;
        let o = Object::new();
        set(&o, "loss", r.loss);
        set(&o, "accuracy", r.accuracy);
        Ok(o.into())
    }

    /// `{step, epoch, lr, train_loss, train_acc, test_loss, test_acc}`.
    pub fn metrics(&mut self) -> Result<JsValue, JsError> {
        let m = self.engine.metrics().map_err(js)?;
        let o = Object::new();
        set(&o, "step", m.step as f64);
        set(&o, "epoch", m.epoch as f64);
        set(&o, "lr", m.lr);
        set(&o, "train_loss", m.train_loss);
        set(&o, "train_acc", m.train_acc);
        set(&o, "test_loss", m.test_loss);
        set(&o, "test_acc", m.test_acc);
        Ok(o.into())
    }

    /// Per-class outputs of samples `xs` (sample-major).
    pub fn predict(&mut self, xs: &[f32]) -> Result<Vec<f32>, JsError> {
        self.engine.predict(xs).map_err(js)
    }

    /// Class probabilities of one image.
    pub fn predict_pixels(&mut self, pixels: &[u8]) -> Result<Vec<f32>, JsError> {
        self.engine.predict_pixels(pixels).map_err(js)
    }

    /// The number of dense layers.
    pub fn layer_count(&self) -> usize {
        self.engine.layer_count()
    }

    /// `[n0, n1, ..., nL]`.
    pub fn layer_sizes(&self) -> Vec<u32> {
        self.engine
            .config()
            .layers
            .iter()
            .map(|&n| n as u32)
            .collect()
    }

    /// Dense layer `l`'s quantities at the last step.
    pub fn inspect(&self, l: usize) -> Result<JsValue, JsError> {
        let v = self.engine.inspect(l).map_err(js)?;
        let o = Object::new();
        set(&o, "layer", v.layer as u32);
        set(&o, "batch", v.batch as u32);
        for (key, m) in [
            ("A_prev", &v.a_prev),
            ("W", &v.w),
            ("b", &v.b),
            ("Z", &v.z),
            ("A", &v.a),
            ("dA", &v.da),
            ("dZ", &v.dz),
            ("dW", &v.dw),
            ("db", &v.db),
        ] {
            set(&o, key, matrix(m));
        }
        set(&o, "activation", v.activation.as_str());
        let f = Object::new();
        for (key, formula) in &v.formulas {
            set(&f, key, *formula);
        }
        set(&o, "formulas", f);
        Ok(o.into())
    }

    /// Dense layer `l`'s `{W, b}` now.
    pub fn weights(&self, l: usize) -> Result<JsValue, JsError> {
        let (w, b) = self.engine.weights(l).map_err(js)?;
        let o = Object::new();
        set(&o, "W", matrix(&w));
        set(&o, "b", matrix(&b));
        Ok(o.into())
    }

    /// The model file's bytes.
    pub fn save(&mut self) -> Result<Vec<u8>, JsError> {
        self.engine.save().map_err(js)
    }
}
