//! Model files and checkpoints from bytes: `read_model`, `read_checkpoint`
//! and `read_state_dict` (the in-memory twins of `load_model`,
//! `load_checkpoint` and `load_state_dict`), in `f32` and `f64`.
//!
//! Whatever loads is then used as a program would use it: a forward pass
//! (when the input size is small), a save and a re-load that must succeed
//! with the same architecture, and, for a checkpoint, its optimizer state
//! restored into an optimizer of that name and one step taken.
//! Every outcome must be `Ok` or a typed error; a panic is a crash.
#![no_main]

use backprop_io::{Architecture, model_to_bytes, read_checkpoint, read_model, read_state_dict};
use backprop_layers::{Mode, Sequential};
use backprop_optim::by_name;
use backprop_tensor::{DMatrix, Parameters, Scalar};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

/// Inputs larger than this are not run through a forward pass.
const MAX_FORWARD_INPUT: usize = 4096;

fn use_model<T: Scalar>(model: &mut Sequential<T>) {
    let arch = Architecture::of(model).expect("a loaded model describes itself");
    let bytes = model_to_bytes(model).expect("a loaded model saves");
    let back: Sequential<T> = read_model(&bytes).expect("a saved model re-loads");
    assert_eq!(
        Architecture::of(&back).expect("a loaded model describes itself"),
        arch
    );
    if model.input_size() <= MAX_FORWARD_INPUT {
        let x = DMatrix::from_element(model.input_size(), 2, T::of(0.5));
        let _ = model.forward(&x, Mode::Eval);
        let _ = model.forward(&x, Mode::Train);
    }
}

fn load<T: Scalar>(data: &[u8]) {
    if let Ok(mut model) = read_model::<T>(data) {
        use_model(&mut model);
    }
    if let Ok(mut ck) = read_checkpoint::<T>(data) {
        use_model(&mut ck.model);
        if let Ok(mut opt) = by_name::<T>(&ck.state.optimizer.optimizer)
            && opt.load_state(ck.state.optimizer.clone()).is_ok()
        {
            ck.model.zero_grad();
            let _ = opt.step(0.01, &mut ck.model);
        }
    }
    static ARCH: OnceLock<Architecture> = OnceLock::new();
    let arch = ARCH.get_or_init(|| "2,3,2".parse().expect("a valid architecture"));
    if let Ok(mut model) = read_state_dict::<T>(data, arch) {
        use_model(&mut model);
    }
}

fuzz_target!(|data: &[u8]| {
    load::<f32>(data);
    load::<f64>(data);
});
