//! A model's tensors to and from a safetensors file, laid out as its
//! [`Architecture`]'s plan says: encoding every parameter and buffer by name,
//! and filling a freshly built network after checking every tensor of the
//! file (presence, dtype, shape, nothing extra) before anything is
//! allocated from the file's sizes.

use crate::checks::Reading;
use crate::tensors::{self, OwnedTensor};
use crate::{Architecture, IoError, Result};
use backprop_layers::{Model, Plan, Registry, Sequential, TensorInfo};
use backprop_tensor::{DMatrix, Scalar};
use safetensors::SafeTensors;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Every tensor of `model`, encoded as `plan` lays it out, in the plan's
/// order.
pub(crate) fn encode_model<T: Scalar, M: Model<T> + ?Sized>(
    model: &M,
    arch: &Architecture,
    plan: &Plan,
) -> Result<Vec<(String, OwnedTensor)>> {
    let specs: HashMap<&str, &TensorInfo> =
        plan.tensors.iter().map(|s| (s.name.as_str(), s)).collect();
    let mut encoded: HashMap<String, OwnedTensor> = HashMap::new();
    let mut problem: Option<String> = None;
    let mut add = |name: &str, m: &DMatrix<T>| {
        if problem.is_some() {
            return;
        }
        match specs.get(name) {
            Some(spec) if spec.matrix_shape() == Some(m.shape()) => {
                encoded.insert(name.to_string(), tensors::encode(m, spec));
            }
            Some(spec) => {
                problem = Some(format!(
                    "the model's tensor {name:?} is {}×{}, but {arch} gives it the shape {:?}",
                    m.nrows(),
                    m.ncols(),
                    spec.shape
                ));
            }
            None => {
                problem = Some(format!(
                    "the model's tensor {name:?} is not described by {arch}"
                ))
            }
        }
    };
    model.visit_params(&mut |p| add(p.name(), &p.value));
    model.visit_buffers(&mut |name, b| add(name, b));
    if let Some(reason) = problem {
        return Err(IoError::Architecture { reason });
    }
    plan.tensors
        .iter()
        .map(|spec| {
            encoded
                .remove(&spec.name)
                .map(|t| (spec.name.clone(), t))
                .ok_or_else(|| IoError::Architecture {
                    reason: format!(
                        "the model has no tensor {:?} although {arch} needs it",
                        spec.name
                    ),
                })
        })
        .collect()
}

/// Checks the number of layers and values against the reading's limits,
/// every tensor of `plan` (presence, dtype, shape) and that the file has no
/// other tensor than those and the ones `also_allowed` accepts, then builds
/// the model, checks the values it keeps per sample, and fills it, checking
/// the values (finite, and each layer's own check) unless told not to.
pub(crate) fn fill_model<T: Scalar>(
    reading: &Reading<'_>,
    st: &SafeTensors<'_>,
    arch: &Architecture,
    registry: &Registry,
    from_file: bool,
    also_allowed: &dyn Fn(&str) -> bool,
) -> Result<Sequential<T>> {
    let file = reading.file;
    reading.check_layer_count(arch.config())?;
    let in_file = |e: IoError| match (from_file, e) {
        (true, IoError::Architecture { reason }) => IoError::Metadata {
            file: file.to_path_buf(),
            reason: format!("the architecture {arch} cannot be built: {reason}"),
        },
        (_, e) => e,
    };
    let plan = arch.plan(registry).map_err(in_file)?;
    reading.check_param_count(&plan.tensors)?;
    for s in &plan.tensors {
        tensors::check::<T>(file, st, s, &s.name)?;
    }
    let names: HashSet<&str> = plan.tensors.iter().map(|s| s.name.as_str()).collect();
    let mut extra: Vec<&str> = st
        .names()
        .into_iter()
        .filter(|n| !names.contains(n) && !also_allowed(n))
        .collect();
    extra.sort_unstable();
    if let Some(name) = extra.first() {
        return Err(IoError::ExtraTensor {
            file: file.to_path_buf(),
            tensor: name.to_string(),
            architecture: arch.to_string(),
        });
    }
    let mut model = arch.build_with::<T>(0, registry).map_err(in_file)?;
    reading.check_activations(&model, arch.input_shape())?;
    let mut values: BTreeMap<String, DMatrix<T>> = BTreeMap::new();
    for s in &plan.tensors {
        let m = tensors::decode::<T>(file, st, s, &s.name)?;
        reading.check_finite(s, &m)?;
        values.insert(s.name.clone(), m);
    }
    model.visit_params_mut(&mut |p| {
        if let Some(v) = values.remove(p.name()) {
            p.value = v;
        }
    });
    model.visit_buffers_mut(&mut |name, b| {
        if let Some(v) = values.remove(name) {
            *b = v;
        }
    });
    if let Some(name) = values.keys().next() {
        return Err(IoError::Architecture {
            reason: format!(
                "{arch} names the tensor {name:?}, but the model built from it has no such tensor"
            ),
        });
    }
    reading.check_layers::<T>(&model)?;
    Ok(model)
}
