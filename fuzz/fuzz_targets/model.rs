//! Model files and checkpoints from bytes: `read_model`, `read_checkpoint`
//! and `read_state_dict` (the in-memory twins of `load_model`,
//! `load_checkpoint` and `load_state_dict`), in `f32` and `f64`, each with
//! three sets of `LoadOptions`: the default (checksum verified, values
//! checked), without the checksum (so that mutated files, whose checksum no
//! longer matches, reach the loader behind it), and without either check
//! (the inspection override, which hands out NaN weights).
//!
//! Whatever loads is then used as a program would use it: a forward pass
//! (when the input size is small), a save and a re-load with the same
//! options that must succeed with the same architecture and give the same
//! bytes when saved again, and, for a checkpoint, its optimizer state
//! restored into an optimizer of that name and one step taken.
//! Every outcome must be `Ok` or a typed error; a panic is a crash.
#![no_main]

use backprop_io::{
    Architecture, LoadOptions, model_to_bytes, read_checkpoint_with, read_model_with,
    read_state_dict_with,
};
use backprop_layers::{Mode, Sequential};
use backprop_optim::by_name;
use backprop_tensor::{DMatrix, Parameters, Scalar};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

/// Inputs larger than this are not run through a forward pass.
const MAX_FORWARD_INPUT: usize = 4096;

const OPTIONS: [LoadOptions; 3] = [
    LoadOptions::DEFAULT,
    LoadOptions {
        verify_checksum: false,
        ..LoadOptions::DEFAULT
    },
    LoadOptions {
        verify_checksum: false,
        check_values: false,
        ..LoadOptions::DEFAULT
    },
];

fn use_model<T: Scalar>(model: &mut Sequential<T>, options: &LoadOptions) {
    let arch = Architecture::of(model).expect("a loaded model describes itself");
    let bytes = model_to_bytes(model).expect("a loaded model saves");
    let back: Sequential<T> = read_model_with(&bytes, options).expect("a saved model re-loads");
    assert_eq!(
        Architecture::of(&back).expect("a loaded model describes itself"),
        arch
    );
    assert!(
        model_to_bytes(&back).expect("a re-loaded model saves") == bytes,
        "a model saved, loaded and saved again gives other bytes"
    );
    if model.input_size() <= MAX_FORWARD_INPUT {
        let x = DMatrix::from_element(model.input_size(), 2, T::of(0.5));
        let _ = model.forward(&x, Mode::Eval);
        let _ = model.forward(&x, Mode::Train);
    }
}

fn load<T: Scalar>(data: &[u8], options: &LoadOptions) {
    if let Ok(mut model) = read_model_with::<T>(data, options) {
        use_model(&mut model, options);
    }
    if let Ok(mut ck) = read_checkpoint_with::<T>(data, options) {
        use_model(&mut ck.model, options);
        if let Ok(mut opt) = by_name::<T>(&ck.state.optimizer.optimizer)
            && opt.load_state(ck.state.optimizer.clone()).is_ok()
        {
            ck.model.zero_grad();
            let _ = opt.step(0.01, &mut ck.model);
        }
    }
    static ARCH: OnceLock<Architecture> = OnceLock::new();
    let arch = ARCH.get_or_init(|| "2,3,2".parse().expect("a valid architecture"));
    if let Ok(mut model) = read_state_dict_with::<T>(data, arch, options) {
        use_model(&mut model, options);
    }
}

fuzz_target!(|data: &[u8]| {
    for options in &OPTIONS {
        load::<f32>(data, options);
        load::<f64>(data, options);
    }
});
