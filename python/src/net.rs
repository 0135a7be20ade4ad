//! `Net`: a network, its optimizer and its element type, as one Python
//! object. Everything numeric the Python classes do goes through it.

use crate::sk_adam::SkAdam;
use crate::solver::Solver;
use crate::spec;
use crate::train::{self, Epoch, EpochError, Targets};
use backprop_layers::{OutputKind, Preprocess, Sequential};
use backprop_optim::{Adam, Sgd, by_name};
use backprop_tensor::Scalar;
use backprop_tensor::threads::Tuner;
use numpy::{
    Element, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods,
};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use std::sync::Mutex;

/// A network of one element type with the optimizer that trains it.
struct Typed<T: Scalar> {
    net: Sequential<T>,
    opt: Option<Solver<T>>,
    /// Times the training steps and runs them on all threads or on one,
    /// whichever is faster now (kept from epoch to epoch).
    tuner: Tuner,
}

impl<T: Scalar> Typed<T> {
    /// `net`, with no optimiser yet and a fresh tuner.
    fn new(net: Sequential<T>) -> Self {
        Typed {
            net,
            opt: None,
            tuner: Tuner::new(),
        }
    }
}

/// The two element types.
enum Inner {
    F32(Typed<f32>),
    F64(Typed<f64>),
}

impl Inner {
    /// The network of the element type `dtype` names (`"float32"` or
    /// `"float64"`), made by `f32` or `f64`: only the one named is called.
    fn of_dtype(
        dtype: &str,
        f32: impl FnOnce() -> PyResult<Sequential<f32>>,
        f64: impl FnOnce() -> PyResult<Sequential<f64>>,
    ) -> PyResult<Self> {
        match dtype {
            "float32" => Ok(Inner::F32(Typed::new(f32()?))),
            "float64" => Ok(Inner::F64(Typed::new(f64()?))),
            other => Err(PyValueError::new_err(format!(
                "dtype must be \"float32\" or \"float64\", found {other:?}"
            ))),
        }
    }
}

/// A network built from layer dicts (or read from a model file), trained
/// epoch by epoch with the GIL released.
#[pyclass(module = "backprop._backprop")]
pub struct Net {
    inner: Mutex<Inner>,
}

impl From<Inner> for Net {
    fn from(inner: Inner) -> Self {
        Net {
            inner: Mutex::new(inner),
        }
    }
}

fn value_error(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

fn epoch_error(e: EpochError) -> PyErr {
    match e {
        EpochError::Invalid(m) => PyValueError::new_err(m),
        EpochError::Interrupted(e) => e,
    }
}

/// Builds an optimizer from its name and scikit-learn-style settings.
fn optimizer<T: Scalar>(name: &str, hp: &Bound<'_, PyDict>) -> PyResult<Solver<T>> {
    let get = |k: &str, d: f64| -> PyResult<f64> {
        Ok(match hp.get_item(k)? {
            Some(v) => v.extract()?,
            None => d,
        })
    };
    let wd = get("weight_decay", 0.0)?;
    // The estimators' Adam: epsilon where scikit-learn adds it, and the L2
    // penalty folded into its pass.
    if name == "sklearn_adam" {
        let (beta_1, beta_2) = (get("beta_1", 0.9)?, get("beta_2", 0.999)?);
        let adam = SkAdam::new(beta_1, beta_2, get("epsilon", 1e-8)?).map_err(value_error)?;
        return Ok(Solver::SkAdam(adam));
    }
    Ok(Solver::Other(match name {
        "adam" => Box::new(
            Adam::new()
                .with_betas(get("beta_1", 0.9)?, get("beta_2", 0.999)?)
                .with_eps(get("epsilon", 1e-8)?)
                .with_weight_decay(wd),
        ),
        "sgd" => {
            let momentum = get("momentum", 0.0)?;
            let nesterov = get("nesterov", 0.0)? != 0.0 && momentum > 0.0;
            Box::new(
                Sgd::new()
                    .with_momentum(momentum)
                    .with_nesterov(nesterov)
                    .with_weight_decay(wd),
            )
        }
        other => by_name::<T>(other).map_err(value_error)?,
    }))
}

/// Dispatches `$body` on the element type, binding `$t` to the typed network
/// and `$T` to its scalar type.
macro_rules! typed {
    ($inner:expr, $t:ident, $T:ident => $body:expr) => {
        match $inner {
            Inner::F32($t) => {
                type $T = f32;
                $body
            }
            Inner::F64($t) => {
                type $T = f64;
                $body
            }
        }
    };
}

/// A C-contiguous 2-D array of `T` borrowed without a copy, or a TypeError
/// naming what was found.
fn matrix<'py, T: Element>(
    x: &Bound<'py, PyAny>,
    what: &str,
) -> PyResult<PyReadonlyArray2<'py, T>> {
    let a = x.cast::<PyArray2<T>>().map_err(|_| {
        PyTypeError::new_err(format!(
            "{what} must be a 2-D numpy array of {} (the network's dtype), found {}",
            std::any::type_name::<T>(),
            x.get_type()
        ))
    })?;
    let r = a.try_readonly().map_err(value_error)?;
    if !r.is_c_contiguous() {
        return Err(PyValueError::new_err(format!(
            "{what} must be C-contiguous (numpy.ascontiguousarray)"
        )));
    }
    Ok(r)
}

fn check_rows(what: &str, cols: usize, expected: usize) -> PyResult<()> {
    if cols != expected {
        return Err(PyValueError::new_err(format!(
            "{what} has {cols} values per sample, but the network takes {expected}"
        )));
    }
    Ok(())
}

/// Python's signal check, from a thread that released the GIL.
fn signals() -> PyResult<()> {
    Python::attach(|py| py.check_signals())
}

fn epoch_settings<'a>(order: &'a [usize], batch_size: usize, lr: f64, alpha: f64) -> Epoch<'a> {
    Epoch {
        order,
        batch_size,
        lr,
        alpha,
        check_every: 16,
    }
}

fn order_of(order: &PyReadonlyArray1<'_, i64>, n: usize) -> PyResult<Vec<usize>> {
    order
        .as_slice()
        .map_err(value_error)?
        .iter()
        .map(|&i| {
            usize::try_from(i).ok().filter(|&i| i < n).ok_or_else(|| {
                PyValueError::new_err(format!("sample index {i} out of range 0..{n}"))
            })
        })
        .collect()
}

fn info_output(kind: &str) -> PyResult<OutputKind> {
    OutputKind::from_name(kind).ok_or_else(|| {
        PyValueError::new_err(format!(
            "unknown output kind {kind:?}: expected logits, probabilities or values"
        ))
    })
}

#[pymethods]
impl Net {
    /// Builds a network: `input_shape` (`[features]` or `[C, H, W]`), the
    /// layer dicts, the seed of every initialiser and dropout stream, the
    /// dtype (`"float32"` or `"float64"`) and the initialiser's name.
    #[new]
    #[pyo3(signature = (input_shape, layers, seed, dtype = "float32", init = "xavier_uniform"))]
    fn new(
        input_shape: Vec<usize>,
        layers: Vec<Bound<'_, PyDict>>,
        seed: u64,
        dtype: &str,
        init: &str,
    ) -> PyResult<Self> {
        let init = spec::init_by_name(init)?;
        Inner::of_dtype(
            dtype,
            || spec::build(input_shape.clone(), &layers, seed, init),
            || spec::build(input_shape.clone(), &layers, seed, init),
        )
        .map(Net::from)
    }

    /// Sets the optimizer (`"adam"`, `"sgd"`, `"sklearn_adam"` (scikit-learn's
    /// Adam, see `sk_adam`), or any name backprop knows:
    /// momentum, nesterov, rmsprop, adamw) with settings `beta_1`, `beta_2`,
    /// `epsilon`, `momentum`, `nesterov`, `weight_decay`; its state starts
    /// empty.
    fn set_optimizer(&self, name: &str, settings: Bound<'_, PyDict>) -> PyResult<()> {
        let mut g = self.lock()?;
        typed!(&mut *g, t, T => { t.opt = Some(optimizer::<T>(name, &settings)?); });
        Ok(())
    }

    /// `"float32"` or `"float64"`.
    #[getter]
    fn dtype(&self) -> PyResult<&'static str> {
        Ok(match &*self.lock()? {
            Inner::F32(_) => "float32",
            Inner::F64(_) => "float64",
        })
    }

    /// Values per sample the network takes.
    #[getter]
    fn input_size(&self) -> PyResult<usize> {
        let g = self.lock()?;
        Ok(typed!(&*g, t, _T => t.net.input_size()))
    }

    /// The input shape (`[features]` or `[C, H, W]`).
    #[getter]
    fn input_shape(&self) -> PyResult<Vec<usize>> {
        let g = self.lock()?;
        Ok(typed!(&*g, t, _T => t.net.input_shape().dims().to_vec()))
    }

    /// Values per sample the network returns.
    #[getter]
    fn output_size(&self) -> PyResult<usize> {
        let g = self.lock()?;
        Ok(typed!(&*g, t, _T => t.net.output_size()))
    }

    /// Number of trainable scalars.
    #[getter]
    fn num_params(&self) -> PyResult<usize> {
        let g = self.lock()?;
        Ok(typed!(&*g, t, _T => backprop_tensor::Parameters::num_params(&t.net)))
    }

    /// Every trainable parameter in order, as `(name, rows, columns)`: a
    /// dense layer's `weight` is outputs × inputs, stored column after
    /// column (so its values are those of scikit-learn's `coefs_[i]`, shape
    /// inputs × outputs, in C order), then its `bias` (outputs × 1).
    fn parameter_shapes(&self) -> PyResult<Vec<(String, usize, usize)>> {
        let g = self.lock()?;
        let mut out = Vec::new();
        typed!(&*g, t, _T => t.net.visit_params(&mut |p| {
            out.push((p.name().to_string(), p.value.nrows(), p.value.ncols()));
        }));
        Ok(out)
    }

    /// Every trainable parameter's values, in the order and layout of
    /// `parameter_shapes`, as float64 arrays.
    fn get_parameters<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyAny>>> {
        let g = self.lock()?;
        let mut values: Vec<Vec<f64>> = Vec::new();
        typed!(&*g, t, _T => t.net.visit_params(&mut |p| {
            values.push(p.value.iter().map(|v| v.as_f64()).collect());
        }));
        Ok(values
            .into_iter()
            .map(|v| numpy::PyArray1::from_vec(py, v).into_any())
            .collect())
    }

    /// Overwrites every trainable parameter with `values` (one 1-D float64
    /// array per parameter, in the order and layout of `parameter_shapes`),
    /// rounded to the network's dtype. Nothing changes unless every length
    /// matches.
    fn set_parameters(&self, values: Vec<PyReadonlyArray1<'_, f64>>) -> PyResult<()> {
        let slices = values
            .iter()
            .map(|v| v.as_slice().map_err(value_error))
            .collect::<PyResult<Vec<&[f64]>>>()?;
        let mut g = self.lock()?;
        let mut lens = Vec::new();
        typed!(&*g, t, _T => t.net.visit_params(&mut |p| lens.push((p.name().to_string(), p.value.len()))));
        if lens.len() != slices.len() {
            return Err(PyValueError::new_err(format!(
                "expected {} parameter arrays, found {}",
                lens.len(),
                slices.len()
            )));
        }
        for ((name, len), v) in lens.iter().zip(&slices) {
            if v.len() != *len {
                return Err(PyValueError::new_err(format!(
                    "parameter {name} has {len} values, found an array of {}",
                    v.len()
                )));
            }
        }
        let mut i = 0;
        typed!(&mut *g, t, T => t.net.visit_params_mut(&mut |p| {
            for (dst, &src) in p.value.iter_mut().zip(slices[i]) {
                *dst = T::of(src);
            }
            i += 1;
        }));
        Ok(())
    }

    /// The layer table (kinds, shapes, parameter counts).
    fn summary(&self) -> PyResult<String> {
        let g = self.lock()?;
        Ok(typed!(&*g, t, _T => t.net.summary()))
    }

    /// One epoch towards class indices `y` (int64), visiting the samples in
    /// `order`; returns the mean loss. The GIL is released; signals are
    /// checked every 16 batches (Ctrl-C raises KeyboardInterrupt).
    #[allow(clippy::too_many_arguments)]
    fn train_epoch_classes(
        &self,
        py: Python<'_>,
        x: Bound<'_, PyAny>,
        y: PyReadonlyArray1<'_, i64>,
        order: PyReadonlyArray1<'_, i64>,
        batch_size: usize,
        lr: f64,
        alpha: f64,
    ) -> PyResult<f64> {
        let mut g = self.lock()?;
        let classes_out = typed!(&*g, t, _T => t.net.output_size());
        let ys = y.as_slice().map_err(value_error)?;
        if let Some(&c) = ys.iter().find(|&&c| c < 0 || c as usize >= classes_out) {
            return Err(PyValueError::new_err(format!(
                "class index {c} out of range: the network has {classes_out} outputs"
            )));
        }
        typed!(&mut *g, t, T => {
            let xa = matrix::<T>(&x, "X")?;
            let (n, f) = (xa.shape()[0], xa.shape()[1]);
            check_rows("X", f, t.net.input_size())?;
            if ys.len() != n {
                return Err(PyValueError::new_err(format!(
                    "X has {n} samples but y has {}", ys.len()
                )));
            }
            let order = order_of(&order, n)?;
            let xs = xa.as_slice().map_err(value_error)?;
            let Typed { net, opt, tuner } = t;
            let opt = opt.as_mut().ok_or_else(|| PyValueError::new_err("set_optimizer first"))?;
            py.detach(|| {
                train::train_epoch(
                    net, opt, tuner, xs, &Targets::Classes(ys),
                    &epoch_settings(&order, batch_size, lr, alpha), &signals,
                )
            })
            .map_err(epoch_error)
        })
    }

    /// One epoch towards values `y` (2-D, the network's dtype, one row per
    /// sample); returns the mean loss (the mean square, halved if `half`,
    /// plus the penalty). The GIL is released as in `train_epoch_classes`.
    #[pyo3(signature = (x, y, order, batch_size, lr, alpha, half = true))]
    #[allow(clippy::too_many_arguments)]
    fn train_epoch_values(
        &self,
        py: Python<'_>,
        x: Bound<'_, PyAny>,
        y: Bound<'_, PyAny>,
        order: PyReadonlyArray1<'_, i64>,
        batch_size: usize,
        lr: f64,
        alpha: f64,
        half: bool,
    ) -> PyResult<f64> {
        let mut g = self.lock()?;
        typed!(&mut *g, t, T => {
            let xa = matrix::<T>(&x, "X")?;
            let ya = matrix::<T>(&y, "y")?;
            let (n, f) = (xa.shape()[0], xa.shape()[1]);
            check_rows("X", f, t.net.input_size())?;
            check_rows("y", ya.shape()[1], t.net.output_size())?;
            if ya.shape()[0] != n {
                return Err(PyValueError::new_err(format!(
                    "X has {n} samples but y has {}", ya.shape()[0]
                )));
            }
            let order = order_of(&order, n)?;
            let xs = xa.as_slice().map_err(value_error)?;
            let ys = ya.as_slice().map_err(value_error)?;
            let outputs = ya.shape()[1];
            let Typed { net, opt, tuner } = t;
            let opt = opt.as_mut().ok_or_else(|| PyValueError::new_err("set_optimizer first"))?;
            py.detach(|| {
                train::train_epoch(
                    net, opt, tuner, xs, &Targets::Values(ys, outputs, half),
                    &epoch_settings(&order, batch_size, lr, alpha), &signals,
                )
            })
            .map_err(epoch_error)
        })
    }

    /// The network's output (evaluation mode) for every row of `x`, as a new
    /// array of shape (samples, outputs) that owns the result (no copy).
    #[pyo3(signature = (x, batch_size = 1024))]
    fn forward<'py>(
        &self,
        py: Python<'py>,
        x: Bound<'py, PyAny>,
        batch_size: usize,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mut g = self.lock()?;
        typed!(&mut *g, t, T => {
            let xa = matrix::<T>(&x, "X")?;
            let (n, f) = (xa.shape()[0], xa.shape()[1]);
            check_rows("X", f, t.net.input_size())?;
            let xs = xa.as_slice().map_err(value_error)?;
            let outputs = t.net.output_size();
            let net = &mut t.net;
            let out = py
                .detach(|| train::predict(net, xs, n, batch_size))
                .map_err(epoch_error)?;
            let arr = numpy::PyArray1::<T>::from_vec(py, out);
            Ok(arr.reshape([n, outputs])?.into_any())
        })
    }

    /// Records what the outputs are (`"logits"`, `"probabilities"`,
    /// `"values"`), the class names, and whether the inputs are pixels
    /// divided by 255 (`pixels`: readers such as examples/predict then scale
    /// raw 0-255 pictures so), saved with the model.
    #[pyo3(signature = (output, class_names = None, pixels = false))]
    fn set_info(
        &self,
        output: &str,
        class_names: Option<Vec<String>>,
        pixels: bool,
    ) -> PyResult<()> {
        let kind = info_output(output)?;
        let mut g = self.lock()?;
        typed!(&mut *g, t, _T => {
            let info = t.net.info_mut();
            info.output = kind;
            info.class_names = class_names;
            info.preprocess = if pixels { Preprocess::UNIT_PIXELS } else { Preprocess::None };
        });
        Ok(())
    }

    /// Sets the model's metadata (string keys and values), saved with it.
    fn set_metadata(&self, metadata: std::collections::BTreeMap<String, String>) -> PyResult<()> {
        let mut g = self.lock()?;
        typed!(&mut *g, t, _T => t.net.info_mut().metadata = metadata);
        Ok(())
    }

    /// The model's metadata.
    fn metadata(&self) -> PyResult<std::collections::BTreeMap<String, String>> {
        let g = self.lock()?;
        Ok(typed!(&*g, t, _T => t.net.info().metadata.clone()))
    }

    /// Whether an optimizer is set (a network read from a file has none).
    #[getter]
    fn has_optimizer(&self) -> PyResult<bool> {
        let g = self.lock()?;
        Ok(typed!(&*g, t, _T => t.opt.is_some()))
    }

    /// The class names saved with the model, if any.
    fn class_names(&self) -> PyResult<Option<Vec<String>>> {
        let g = self.lock()?;
        Ok(typed!(&*g, t, _T => t.net.info().class_names.clone()))
    }

    /// The model file's bytes (safetensors, PyTorch state-dict layout).
    fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let g = self.lock()?;
        let bytes = typed!(&*g, t, _T => backprop_io::model_to_bytes(&t.net).map_err(value_error)?);
        Ok(PyBytes::new(py, &bytes))
    }

    /// Writes the model file at `path` (atomically).
    fn save(&self, path: std::path::PathBuf) -> PyResult<()> {
        let g = self.lock()?;
        typed!(&*g, t, _T => backprop_io::save_model(&t.net, &path).map_err(value_error))
    }

    /// Writes the network as an ONNX model at `path` (atomically), with
    /// backprop-onnx's default names: input `"input"` (batch × the input
    /// shape), output `"output"`.
    fn export_onnx(&self, path: std::path::PathBuf) -> PyResult<()> {
        let g = self.lock()?;
        let options = backprop_onnx::ExportOptions::default();
        typed!(&*g, t, _T => backprop_onnx::export(&t.net, &path, &options).map_err(value_error))
    }

    /// A network read from model-file bytes, in `dtype`.
    #[staticmethod]
    #[pyo3(signature = (data, dtype = "float32"))]
    fn from_bytes(data: &[u8], dtype: &str) -> PyResult<Self> {
        Inner::of_dtype(
            dtype,
            || backprop_io::read_model(data).map_err(value_error),
            || backprop_io::read_model(data).map_err(value_error),
        )
        .map(Net::from)
    }

    /// A network read from the model file at `path`, in `dtype`.
    #[staticmethod]
    #[pyo3(signature = (path, dtype = "float32"))]
    fn load(path: std::path::PathBuf, dtype: &str) -> PyResult<Self> {
        let data = std::fs::read(&path).map_err(|e| {
            pyo3::exceptions::PyOSError::new_err(format!("{}: {e}", path.display()))
        })?;
        Self::from_bytes(&data, dtype)
    }
}

impl Net {
    fn lock(&self) -> PyResult<std::sync::MutexGuard<'_, Inner>> {
        self.inner
            .lock()
            .map_err(|_| PyValueError::new_err("the network is unusable: an earlier call panicked"))
    }
}
