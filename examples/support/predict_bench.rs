//! examples/predict `--bench`: inference timed as the peers' `--infer`
//! mode times it. Compiled into predict with `#[path]`.

use backprop::data::PixelScale;
use backprop::data::mnist::Mnist;
use backprop::layers::{Mode, Sequential};
use backprop::tensor::{DMatrix, Scalar};
use std::error::Error;
use std::io::{self, Write};
use std::path::Path;

/// `--bench`: inference timings, measured as the peers measure them.
pub fn bench<T: Scalar>(data: &Path, net: Option<Sequential<T>>) -> Result<(), Box<dyn Error>> {
    use std::time::Instant;
    let mut net = match net {
        Some(net) => net,
        None => Sequential::builder(784)
            .seed(0)
            .dense(128)
            .relu()
            .dense(64)
            .relu()
            .dense(10)
            .build()?,
    };
    let mut mnist = Mnist::load(data)?;
    mnist.set_pixel_scale(PixelScale::Unit)?;
    let test = mnist.test;
    // The test set as ten resident 784×1000 batches, as the peers keep it as
    // one resident tensor and slice views of it.
    let mut batches = Vec::new();
    let all: Vec<usize> = (0..test.len()).collect();
    for chunk in all.chunks(1000) {
        let mut x = DMatrix::<T>::zeros(0, 0);
        test.fill_features(chunk, &mut x)?;
        batches.push(x);
    }
    // Single sample: copy one image into the input column, then forward.
    let mut one = DMatrix::<T>::zeros(784, 1);
    let mut sink = T::zero();
    let mut latencies = Vec::with_capacity(2000);
    for call in 0..2200 {
        let (b, j) = ((call / 1000) % batches.len().max(1), call % 1000);
        if let Some(src) = batches.get(b) {
            one.column_mut(0).copy_from(&src.column(j));
        }
        let start = Instant::now();
        let out = net.forward(&one, Mode::Eval)?;
        sink += out[0];
        if call >= 200 {
            latencies.push(start.elapsed().as_secs_f64());
        }
    }
    latencies.sort_by(f64::total_cmp);
    let q = |f: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * f).round() as usize)
            .copied()
            .unwrap_or(0.0)
            * 1e6
    };
    // Batch 1000: one warm-up pass, then five timed passes over the 10,000 images.
    let mut passes = Vec::with_capacity(5);
    for pass in 0..6 {
        let start = Instant::now();
        for x in &batches {
            sink += net.forward(x, Mode::Eval)?[0];
        }
        if pass > 0 {
            passes.push(start.elapsed().as_secs_f64());
        }
    }
    passes.sort_by(f64::total_cmp);
    let pass_s = passes.get(passes.len() / 2).copied().unwrap_or(f64::NAN);
    let images_per_s = test.len() as f64 / pass_s;
    let mut stdout = io::stdout();
    writeln!(
        stdout,
        "single-sample latency: median {:.2} µs (p10 {:.2}, p90 {:.2}) over 2000 calls; batch 1000: {:.0} images/s (median of 5 passes, {:.4} s per pass)",
        q(0.5),
        q(0.1),
        q(0.9),
        images_per_s,
        pass_s
    )?;
    let summary = serde_json::json!({
        "impl": "backprop",
        "mode": "infer",
        "dtype": T::NAME,
        "single_latency_us_median": q(0.5),
        "single_latency_us_p10": q(0.1),
        "single_latency_us_p90": q(0.9),
        "single_calls": 2000,
        "batch": 1000,
        "batch_pass_s_median": pass_s,
        "batch1000_images_per_s": images_per_s,
        "checksum": sink.as_f64(),
        "threads": backprop::tensor::threads::num_threads(),
    });
    writeln!(stdout, "{summary}")?;
    Ok(())
}
