//! What the two PyTorch agreement tests (`torch_agreement.rs`,
//! `torch_conv_agreement.rs`) share: reading a gzipped safetensors fixture,
//! its tensors as matrices in this library's layout, the relative measure,
//! the optimizers' three steps, Adam's rounding-floor mask, and the report
//! that prints and checks the measured rows.

use backprop_layers::{Mode, Sequential};
use backprop_losses::{Loss, Target};
use backprop_optim::{Adam, Optimizer, Sgd};
use backprop_tensor::{DMatrix, Parameters, Scalar};
use safetensors::SafeTensors;
use safetensors::tensor::{Dtype, TensorView};
use std::collections::BTreeMap;
use std::io::Read;

/// The bytes of `tests/fixtures/<stem>.safetensors.gz`, decompressed.
pub fn fixture(stem: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/{stem}.safetensors.gz",
        env!("CARGO_MANIFEST_DIR")
    );
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(file)
        .read_to_end(&mut out)
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    out
}

fn floats<T: Scalar>(v: &TensorView<'_>) -> Vec<T> {
    match v.dtype() {
        Dtype::F32 => v
            .data()
            .chunks_exact(4)
            .map(|c| T::of(f32::from_le_bytes(c.try_into().unwrap()) as f64))
            .collect(),
        Dtype::F64 => v
            .data()
            .chunks_exact(8)
            .map(|c| T::of(f64::from_le_bytes(c.try_into().unwrap())))
            .collect(),
        d => panic!("unexpected dtype {d:?}"),
    }
}

/// A parsed fixture.
pub struct Fixture<'a>(pub SafeTensors<'a>);

impl<'a> Fixture<'a> {
    pub fn view(&self, name: &str) -> TensorView<'a> {
        self.0
            .tensor(name)
            .unwrap_or_else(|e| panic!("fixture tensor {name}: {e}"))
    }
    /// A tensor as a matrix in this library's layout: `[]` as 1×1, `[n]` as
    /// a column, a batch `[m, …]` as `features × m` (the same bytes), a
    /// weight `[O, …]` as `O × (product of the rest)`, row-major.
    pub fn matrix<T: Scalar>(&self, name: &str, batch_major: bool) -> DMatrix<T> {
        let v = self.view(name);
        let data = floats::<T>(&v);
        match *v.shape() {
            [] => DMatrix::from_column_slice(1, 1, &data),
            [n] => DMatrix::from_column_slice(n, 1, &data),
            [r, ..] => {
                let c = data.len() / r;
                if batch_major {
                    DMatrix::from_column_slice(c, r, &data)
                } else {
                    DMatrix::from_row_slice(r, c, &data)
                }
            }
        }
    }
    /// The int64 tensor `labels` as class indices.
    pub fn labels(&self) -> Vec<usize> {
        self.view("labels")
            .data()
            .chunks_exact(8)
            .map(|b| i64::from_le_bytes(b.try_into().unwrap()) as usize)
            .collect()
    }
    /// The tensors named `prefix.*` as a state dict of their own.
    pub fn state_dict(&self, prefix: &str) -> Vec<u8> {
        let p = format!("{prefix}.");
        let views: Vec<(String, TensorView<'_>)> = self
            .0
            .iter()
            .filter_map(|(n, v)| n.strip_prefix(&p).map(|s| (s.to_string(), v)))
            .collect();
        safetensors::serialize(views, None).expect("serialise state dict")
    }
}

/// The measure: `max|ours − torch| / max(max|torch|, 1e-30)`.
pub fn rel<T: Scalar>(ours: &DMatrix<T>, torch: &DMatrix<T>) -> f64 {
    rel_kept(ours, torch, &vec![true; torch.len()])
}

/// The relative measure over the entries marked `keep` (the scale is still
/// the largest reference magnitude over all entries).
pub fn rel_kept<T: Scalar>(ours: &DMatrix<T>, torch: &DMatrix<T>, keep: &[bool]) -> f64 {
    assert_eq!(ours.shape(), torch.shape());
    let diff = ours
        .iter()
        .zip(torch.iter())
        .zip(keep)
        .filter(|(_, k)| **k)
        .map(|((a, b), _)| (a.as_f64() - b.as_f64()).abs())
        .fold(0.0, f64::max);
    let scale = torch.iter().map(|b| b.as_f64().abs()).fold(0.0, f64::max);
    diff / scale.max(1e-30)
}

/// `false` for the entries of PyTorch's initial gradient that are at the
/// rounding floor: `0 < |g| ≤ 8·ε·max|g|` (ε of the element type). Exact
/// zeros (pixels that are 0 in every image) are kept: both sides must leave
/// those weights exactly where they were.
pub fn noise_mask<T: Scalar>(g: &DMatrix<T>) -> Vec<bool> {
    let max = g.iter().map(|v| v.as_f64().abs()).fold(0.0, f64::max);
    let floor = 8.0 * T::machine_epsilon().as_f64() * max;
    g.iter()
        .map(|v| v.as_f64() == 0.0 || v.as_f64().abs() > floor)
        .collect()
}

/// Each parameter's name, value and gradient, in visiting order.
pub fn params<T: Scalar>(net: &Sequential<T>) -> Vec<(String, DMatrix<T>, DMatrix<T>)> {
    let mut out = Vec::new();
    net.visit_params(&mut |p| out.push((p.name().to_string(), p.value.clone(), p.grad.clone())));
    out
}

/// The optimizers both tests take three steps of, with their learning
/// rates: Adam at 1e-3 and SGD with momentum 0.9 at 0.01.
pub fn optimizers<T: Scalar>() -> [(&'static str, Box<dyn Optimizer<T>>, f64); 2] {
    [
        ("adam", Box::new(Adam::new()), 1e-3),
        ("sgd", Box::new(Sgd::momentum(0.9)), 0.01),
    ]
}

/// Three steps of `opt` at `lr` on the same batch `x` (forward in `mode`,
/// `loss` against `target`, backward), `grad` the loss gradient's buffer.
#[allow(clippy::too_many_arguments)]
pub fn three_steps<T: Scalar>(
    net: &mut Sequential<T>,
    x: &DMatrix<T>,
    mode: Mode,
    loss: &dyn Loss<T>,
    target: Target<'_, T>,
    opt: &mut dyn Optimizer<T>,
    lr: f64,
    grad: &mut DMatrix<T>,
) {
    for _ in 0..3 {
        let out = net.forward(x, mode).unwrap();
        loss.loss_and_gradient(out, target, grad).unwrap();
        net.zero_grad();
        net.backward(x, grad).unwrap();
        opt.step(lr, net).unwrap();
    }
}

/// The entries of parameter `name`'s update (`delta`, PyTorch's
/// `delta_torch`) kept in the relative measure. Adam's step is about
/// `lr·g/(|g| + ε)`: at g = 0 its derivative is lr/ε = 1e5, so an entry
/// whose gradient is at the rounding floor (where two correct summation
/// orders differ in sign or size) may move by up to lr differently. For
/// Adam such entries ([`noise_mask`] of PyTorch's gradient `{c}.grad.{name}`)
/// are left out, counted in `report`, and checked to move by at most two
/// steps' worth of difference per step (6·lr); SGD keeps every entry.
#[allow(clippy::too_many_arguments)]
pub fn adam_keep<T: Scalar>(
    fx: &Fixture<'_>,
    c: &str,
    opt_name: &str,
    name: &str,
    delta: &DMatrix<T>,
    delta_torch: &DMatrix<T>,
    lr: f64,
    report: &mut Report,
) -> Vec<bool> {
    if opt_name != "adam" {
        return vec![true; delta.len()];
    }
    let keep = noise_mask(&fx.matrix::<T>(&format!("{c}.grad.{name}"), false));
    for (i, _) in keep.iter().enumerate().filter(|(_, k)| !**k) {
        let d = (delta[i].as_f64() - delta_torch[i].as_f64()).abs();
        assert!(
            d <= 6.0 * lr,
            "{c} {opt_name} {name}[{i}]: moved {d:e} apart"
        );
        report
            .excluded
            .push(format!("{c} {opt_name} {name}[{i}] (|Δ diff| {d:.2e})"));
    }
    keep
}

/// The measured rows of one dtype's run, checked together at the end.
#[derive(Default)]
pub struct Report {
    /// (what, measured, bound if not the dtype's).
    rows: Vec<(String, f64, Option<f64>)>,
    /// Adam entries at the gradient's rounding floor (and structural zeros),
    /// left out of the relative measure.
    pub excluded: Vec<String>,
    /// SGD update rows above the dtype's bound, within their rounding floor.
    pub floors: Vec<String>,
}

impl Report {
    /// A row held to the dtype's bound.
    pub fn add(&mut self, what: String, e: f64) {
        self.rows.push((what, e, None));
    }
    /// A row held to `bound` instead of the dtype's, where it is `Some`.
    pub fn add_bounded(&mut self, what: String, e: f64, bound: Option<f64>) {
        self.rows.push((what, e, bound));
    }
    /// Prints the grouped maxima ("<case> <quantity>", for docs/pytorch.md)
    /// and asserts every row within its bound.
    pub fn check(&self, tag: &str, tol: f64) {
        let mut groups: BTreeMap<String, f64> = BTreeMap::new();
        for (what, e, _) in &self.rows {
            let key: Vec<&str> = what.split(' ').take(2).collect();
            let g = groups.entry(key.join(" ")).or_insert(0.0);
            *g = g.max(*e);
        }
        println!(
            "== {tag}: {} tensors compared, bound {tol:e}",
            self.rows.len()
        );
        for (k, e) in &groups {
            println!("{tag} {k:<30} max rel {e:.3e}");
        }
        let worst = self
            .rows
            .iter()
            .fold(("", 0.0), |a, b| if b.1 > a.1 { (&b.0, b.1) } else { a });
        println!("{tag} worst: {} {:.3e}", worst.0, worst.1);
        println!(
            "{tag} Adam entries at the gradient's rounding floor, left out: {} {:?}",
            self.excluded.len(),
            &self.excluded[..self.excluded.len().min(8)]
        );
        if !self.floors.is_empty() {
            println!(
                "{tag} SGD updates above {tol:e}, within their rounding floor: {:?}",
                self.floors
            );
        }
        for (what, e, bound) in &self.rows {
            let bound = bound.unwrap_or(tol);
            assert!(
                e.is_finite() && *e <= bound,
                "{tag} {what}: {e:e} > {bound:e}"
            );
        }
    }
}
