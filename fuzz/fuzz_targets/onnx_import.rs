//! ONNX files from bytes: `backprop_onnx::import_bytes` (to `f32`) and
//! `import_bytes_as::<f64>`. Every outcome must be `Ok` or a typed
//! `OnnxError`; a panic, an abort or an allocation beyond libFuzzer's
//! `-rss_limit_mb` is a crash.
//!
//! Whatever imports is then used as a program would use it: exported again
//! (it must export, and the exported bytes must import again to a network
//! that exports to the very same bytes) and, when it is small, run forward
//! on a batch of two; in `f32` the re-imported network must give
//! bit-identical outputs (in `f64`, export rounds the weights to `f32`).
#![no_main]

use backprop_layers::{Mode, Sequential};
use backprop_onnx::{ExportOptions, export_bytes, import_bytes, import_bytes_as};
use backprop_tensor::{DMatrix, Parameters, Scalar};
use libfuzzer_sys::fuzz_target;

/// Networks with more inputs or parameters than these are not run forward
/// (a valid file may declare a large network; running it says nothing new).
const MAX_FORWARD_INPUT: usize = 4096;
const MAX_FORWARD_PARAMS: usize = 1 << 16;

fn outputs<T: Scalar>(net: &mut Sequential<T>) -> Option<Vec<u64>> {
    if net.input_size() > MAX_FORWARD_INPUT || net.num_params() > MAX_FORWARD_PARAMS {
        return None;
    }
    let x = DMatrix::from_element(net.input_size(), 2, T::of(0.5));
    let out = net.forward(&x, Mode::Eval).ok()?;
    Some(out.iter().map(|v| v.as_f64().to_bits()).collect())
}

fn use_model<T: Scalar>(model: &mut Sequential<T>, exact: bool) {
    let options = ExportOptions::default();
    let bytes = export_bytes(model, &options).expect("an imported network exports");
    let mut back = import_bytes_as::<T>(&bytes).expect("an exported network imports");
    let again = export_bytes(&back.model, &options).expect("a re-imported network exports");
    assert!(
        again == bytes,
        "a network exported, imported and exported again gives other bytes"
    );
    let first = outputs(model);
    if exact && let Some(a) = first {
        let b = outputs(&mut back.model).expect("the same network runs the same input");
        assert!(a == b, "the re-imported network computes other outputs");
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(mut imported) = import_bytes(data) {
        use_model(&mut imported.model, true);
    }
    if let Ok(mut imported) = import_bytes_as::<f64>(data) {
        use_model(&mut imported.model, false);
    }
});
