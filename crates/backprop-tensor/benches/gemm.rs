//! Our GEMM against `matrixmultiply` at the MNIST MLP's (784-128-64-10)
//! products, `f32`, batch 64 and 256, and the matrix-vector products of
//! single-sample inference.
//!
//! Each criterion group is one shape, with `ours` and `matrixmultiply` run
//! back to back in the same process (the fairest comparison on a noisy
//! machine). Shapes are `m×n×k` of `C = op(A)·op(B)`, column-major:
//!
//! - `fwd` (NN): `Z = W·X`, `m = out`, `n = batch`, `k = in`;
//! - `dW` (NT): `dW = dZ·Xᵀ`, `m = out`, `n = in`, `k = batch`;
//! - `dA` (TN): `dX = Wᵀ·dZ`, `m = in`, `n = batch`, `k = out`;
//! - `mv` (NN, `n = 1`): `z = W·x`.
//!
//! Run: `cargo bench -p backprop-tensor --bench gemm`; criterion's
//! estimates land in `$CARGO_TARGET_DIR/criterion/gemm_*/{ours,matrixmultiply}`
//! (default `target/criterion`). The ratio ours/matrixmultiply per shape, from
//! the medians:
//!
//! ```text
//! python3 - <<'EOF'
//! import glob, json, os
//! root = os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "criterion")
//! m = lambda g, f: json.load(open(f"{g}/{f}/new/estimates.json"))["median"]["point_estimate"]
//! for g in sorted(glob.glob(f"{root}/gemm_*")):
//!     print(os.path.basename(g), round(m(g, "ours") / m(g, "matrixmultiply"), 2))
//! EOF
//! ```

use backprop_tensor::Scalar;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

/// How the operands are stored, as `ops::gemm` passes them.
#[derive(Clone, Copy)]
enum Layout {
    /// `W·X`: both column-major as stored.
    Nn,
    /// `A·Bᵀ`: `B` stored `n×k` column-major, read transposed.
    Nt,
    /// `Aᵀ·B`: `A` stored `k×m` column-major, read transposed.
    Tn,
}

/// One product with its buffers and strides.
struct Case {
    m: usize,
    k: usize,
    n: usize,
    a: Vec<f32>,
    rsa: isize,
    csa: isize,
    b: Vec<f32>,
    rsb: isize,
    csb: isize,
    c: Vec<f32>,
}

impl Case {
    fn new(m: usize, n: usize, k: usize, layout: Layout) -> Self {
        // A cheap deterministic fill in [-1, 1).
        let fill = |len: usize, seed: usize| -> Vec<f32> {
            (0..len)
                .map(|i| ((i * 2_654_435_761 + seed) % 2001) as f32 / 1000.0 - 1.0)
                .collect()
        };
        let (rsa, csa) = match layout {
            Layout::Tn => (k as isize, 1),
            _ => (1, m as isize),
        };
        let (rsb, csb) = match layout {
            Layout::Nt => (n as isize, 1),
            _ => (1, k as isize),
        };
        Case {
            m,
            k,
            n,
            a: fill(m * k, 1),
            rsa,
            csa,
            b: fill(k * n, 2),
            rsb,
            csb,
            c: vec![0.0; m * n],
        }
    }

    fn ours(&mut self) {
        // SAFETY: the buffers hold every index the strides describe, and `c`
        // is a distinct buffer.
        unsafe {
            f32::gemm_raw(
                self.m,
                self.k,
                self.n,
                1.0,
                black_box(self.a.as_ptr()),
                self.rsa,
                self.csa,
                black_box(self.b.as_ptr()),
                self.rsb,
                self.csb,
                0.0,
                self.c.as_mut_ptr(),
                1,
                self.m as isize,
            )
        }
    }

    fn theirs(&mut self) {
        // SAFETY: as in `ours`.
        unsafe {
            matrixmultiply::sgemm(
                self.m,
                self.k,
                self.n,
                1.0,
                black_box(self.a.as_ptr()),
                self.rsa,
                self.csa,
                black_box(self.b.as_ptr()),
                self.rsb,
                self.csb,
                0.0,
                self.c.as_mut_ptr(),
                1,
                self.m as isize,
            )
        }
    }
}

fn gemm(c: &mut Criterion) {
    let mut shapes: Vec<(String, usize, usize, usize, Layout)> = Vec::new();
    for batch in [64, 256] {
        for (name, m, n, k, layout) in [
            ("fwd1_NN", 128, batch, 784, Layout::Nn),
            ("fwd2_NN", 64, batch, 128, Layout::Nn),
            ("fwd3_NN", 10, batch, 64, Layout::Nn),
            ("dW1_NT", 128, 784, batch, Layout::Nt),
            ("dW2_NT", 64, 128, batch, Layout::Nt),
            ("dW3_NT", 10, 64, batch, Layout::Nt),
            ("dA2_TN", 128, batch, 64, Layout::Tn),
            ("dA3_TN", 64, batch, 10, Layout::Tn),
        ] {
            shapes.push((format!("b{batch}_{name}"), m, n, k, layout));
        }
    }
    // Batch-1000 inference (the throughput target's forward products).
    for (name, m, n, k) in [("fwd1_NN", 128, 1000, 784), ("fwd2_NN", 64, 1000, 128)] {
        shapes.push((format!("b1000_{name}"), m, n, k, Layout::Nn));
    }
    for (name, m, k) in [("mv1", 128, 784), ("mv2", 64, 128), ("mv3", 10, 64)] {
        shapes.push((format!("b1_{name}_NN"), m, 1, k, Layout::Nn));
    }

    for (name, m, n, k, layout) in shapes {
        let mut case = Case::new(m, n, k, layout);
        let mut group = c.benchmark_group(format!("gemm_{name}_{m}x{n}x{k}"));
        group.throughput(Throughput::Elements((2 * m * n * k) as u64));
        group.bench_function("ours", |b| b.iter(|| case.ours()));
        group.bench_function("matrixmultiply", |b| b.iter(|| case.theirs()));
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(40);
    targets = gemm
}
criterion_main!(benches);
