//! Conversion between matrices and safetensors tensors (little-endian bytes
//! in PyTorch's row-major layout), and checked reading of named tensors.

use crate::{IoError, Result};
use backprop_layers::{Layout, TensorInfo};
use backprop_tensor::{DMatrix, Scalar};
use safetensors::tensor::{Dtype, SafeTensors, TensorView, View};
use std::borrow::Cow;
use std::path::Path;

/// An owned tensor, ready to be serialised.
#[derive(Debug, Clone)]
pub(crate) struct OwnedTensor {
    pub(crate) dtype: Dtype,
    pub(crate) shape: Vec<usize>,
    pub(crate) data: Vec<u8>,
}

impl View for &OwnedTensor {
    fn dtype(&self) -> Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(&self.data)
    }
    fn data_len(&self) -> usize {
        self.data.len()
    }
}

/// The safetensors element type of `T`.
pub(crate) fn dtype_of<T: Scalar>() -> Dtype {
    if T::BYTES == 4 {
        Dtype::F32
    } else {
        Dtype::F64
    }
}

/// `"F32"`, as the safetensors header writes it.
pub(crate) fn dtype_name(d: Dtype) -> String {
    format!("{d:?}")
}

fn push_scalar<T: Scalar>(out: &mut Vec<u8>, v: T) {
    if T::BYTES == 4 {
        // Exact: an f32 widened to f64 and narrowed back is unchanged.
        out.extend_from_slice(&(v.as_f64() as f32).to_le_bytes());
    } else {
        out.extend_from_slice(&v.as_f64().to_le_bytes());
    }
}

/// Encodes a matrix as the tensor `spec` describes (the caller has checked
/// that the matrix has `spec`'s shape). A count is written as `i64`
/// (rounded; the count of a batch-norm layer is always integral).
pub(crate) fn encode<T: Scalar>(m: &DMatrix<T>, spec: &TensorInfo) -> OwnedTensor {
    let mut data = Vec::with_capacity(m.len() * T::BYTES);
    let dtype = match spec.layout {
        Layout::Matrix => {
            // Row-major: row by row of the column-major matrix.
            for r in 0..m.nrows() {
                for v in m.row(r).iter() {
                    push_scalar(&mut data, *v);
                }
            }
            dtype_of::<T>()
        }
        Layout::Vector => {
            for v in m.iter() {
                push_scalar(&mut data, *v);
            }
            dtype_of::<T>()
        }
        _ => {
            let v = m.iter().next().map_or(0.0, |v| v.as_f64());
            data.extend_from_slice(&(v.round() as i64).to_le_bytes());
            Dtype::I64
        }
    };
    OwnedTensor {
        dtype,
        shape: spec.shape.clone(),
        data,
    }
}

/// Decodes little-endian floats of the file's type into `T` (exactly: the
/// caller has checked that the file's type is `T`'s).
fn floats<T: Scalar>(view: &TensorView<'_>) -> Vec<T> {
    match view.dtype() {
        Dtype::F32 => view
            .data()
            .chunks_exact(4)
            .filter_map(|c| <[u8; 4]>::try_from(c).ok())
            .map(|b| T::of(f32::from_le_bytes(b) as f64))
            .collect(),
        _ => view
            .data()
            .chunks_exact(8)
            .filter_map(|c| <[u8; 8]>::try_from(c).ok())
            .map(|b| T::of(f64::from_le_bytes(b)))
            .collect(),
    }
}

/// Checks a tensor's dtype and shape against `spec`.
pub(crate) fn check<T: Scalar>(
    file: &Path,
    st: &SafeTensors<'_>,
    spec: &TensorInfo,
    name: &str,
) -> Result<()> {
    let want = match spec.layout {
        Layout::Count => Dtype::I64,
        _ => dtype_of::<T>(),
    };
    let view = st.tensor(name).map_err(|_| IoError::MissingTensor {
        file: file.to_path_buf(),
        tensor: name.to_string(),
        expected: spec.shape.clone(),
        dtype: dtype_name(want),
    })?;
    if view.dtype() != want {
        return Err(IoError::TensorDtype {
            file: file.to_path_buf(),
            tensor: name.to_string(),
            expected: dtype_name(want),
            found: dtype_name(view.dtype()),
        });
    }
    if view.shape() != spec.shape.as_slice() {
        return Err(IoError::TensorShape {
            file: file.to_path_buf(),
            tensor: name.to_string(),
            expected: spec.shape.clone(),
            found: view.shape().to_vec(),
        });
    }
    Ok(())
}

/// Reads the tensor `name` (already checked with [`check`]) as a matrix.
pub(crate) fn decode<T: Scalar>(
    file: &Path,
    st: &SafeTensors<'_>,
    spec: &TensorInfo,
    name: &str,
) -> Result<DMatrix<T>> {
    check::<T>(file, st, spec, name)?;
    let view = st.tensor(name).map_err(|e| IoError::Format {
        file: file.to_path_buf(),
        reason: e.to_string(),
    })?;
    let bad_shape = || IoError::TensorShape {
        file: file.to_path_buf(),
        tensor: name.to_string(),
        expected: spec.shape.clone(),
        found: view.shape().to_vec(),
    };
    Ok(match spec.layout {
        Layout::Matrix => {
            let Some((rows, cols)) = spec.matrix_shape() else {
                return Err(bad_shape());
            };
            let v = floats::<T>(&view);
            if v.len() != rows * cols {
                return Err(bad_shape());
            }
            DMatrix::from_row_slice(rows, cols, &v)
        }
        Layout::Vector => {
            let v = floats::<T>(&view);
            if spec.shape != [v.len()] {
                return Err(bad_shape());
            }
            DMatrix::from_column_slice(v.len(), 1, &v)
        }
        _ => {
            let [a, b, c, d, e, f, g, h] = view.data() else {
                return Err(bad_shape());
            };
            let n = i64::from_le_bytes([*a, *b, *c, *d, *e, *f, *g, *h]);
            if n < 0 {
                return Err(IoError::TensorValue {
                    file: file.to_path_buf(),
                    tensor: name.to_string(),
                    reason: format!("a count must be non-negative, found {n}"),
                });
            }
            DMatrix::from_element(1, 1, T::of(n as f64))
        }
    })
}
