//! Times epochs of the tutorial's network (784-128-64-10, ReLU, softmax
//! cross-entropy, Adam 1e-3, batch 64) on the page's MNIST subset
//! (web/data, 10,000 images), natively, through the same engine the wasm
//! build runs: the native side of the browser benchmark
//! (web/engine/bench). Run it on one thread to compare with wasm:
//!
//! ```text
//! BACKPROP_NUM_THREADS=1 cargo run --release -p backprop-web --example epoch_time -- 5
//! ```
//!
//! Prints one JSON line: every epoch's seconds, their median, and the final
//! test accuracy.

use backprop_web::{Engine, PlaygroundConfig};
use flate2::read::GzDecoder;
use serde_json::json;
use std::io::Read;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

/// The payload of a gzipped IDX file after its `header` bytes.
fn idx(path: &Path, header: usize) -> Result<Vec<u8>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut bytes = Vec::new();
    GzDecoder::new(file)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if bytes.len() < header {
        return Err(format!("{}: shorter than its header", path.display()));
    }
    Ok(bytes.split_off(header))
}

fn run(epochs: usize) -> Result<serde_json::Value, String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data");
    let px = idx(&dir.join("mnist-train-images-idx3-ubyte.gz"), 16)?;
    let labels = idx(&dir.join("mnist-train-labels-idx1-ubyte.gz"), 8)?;
    let tpx = idx(&dir.join("mnist-test-images-idx3-ubyte.gz"), 16)?;
    let tlabels = idx(&dir.join("mnist-test-labels-idx1-ubyte.gz"), 8)?;
    let config = PlaygroundConfig {
        layers: vec![784, 128, 64, 10],
        lr: Some(1e-3),
        batch: 64,
        seed: 0,
        ..Default::default()
    };
    let mut e = Engine::new(config).map_err(|e| e.to_string())?;
    e.set_images(&px, &labels, &tpx, &tlabels)
        .map_err(|e| e.to_string())?;
    let mut seconds = Vec::new();
    for _ in 0..epochs {
        let t = Instant::now();
        e.epoch().map_err(|e| e.to_string())?;
        seconds.push(t.elapsed().as_secs_f64());
    }
    let mut sorted = seconds.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN);
    let m = e.metrics().map_err(|e| e.to_string())?;
    Ok(json!({
        "images": labels.len(),
        "threads": backprop_tensor::threads::num_threads(),
        "epoch_seconds": seconds,
        "median_seconds": median,
        "test_accuracy": m.test_acc,
    }))
}

fn main() -> ExitCode {
    let epochs = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(3);
    match run(epochs) {
        Ok(v) => {
            println!("{v}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("epoch_time: {e}");
            ExitCode::from(2)
        }
    }
}
