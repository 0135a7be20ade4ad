//! `Trainer::fit` allocates nothing per training step after the first: a
//! counting global allocator (the workspace's, from backprop-tensor's test
//! support) finds as many allocations in a run of epochs of 10 steps as in
//! one of epochs of 20. One test only, so that nothing else allocates
//! meanwhile.

#[path = "../../backprop-tensor/tests/support/counting_alloc.rs"]
mod counting_alloc;

use backprop_data::Dataset;
use backprop_layers::Sequential;
use backprop_losses::SoftmaxCrossEntropy;
use backprop_optim::Adam;
use backprop_train::{EarlyStopping, ProgressMode, Trainer, Validation};
use counting_alloc::allocations;

/// `n` MNIST-shaped images (a fixed pattern of `u8` pixels), labels `0..10`
/// in turn.
fn synthetic(n: usize) -> Dataset {
    let pixels: Vec<u8> = (0..n * 784).map(|i| (i * 37 % 251) as u8).collect();
    let labels: Vec<usize> = (0..n).map(|i| i % 10).collect();
    Dataset::from_u8(pixels, 784, labels, 10).unwrap()
}

/// Allocations of three epochs on `n` samples (batches of 64), with
/// validation data, gradient clipping, early stopping and a stop flag.
fn fit_allocations(n: usize) -> usize {
    let data = synthetic(n);
    let mut net = Sequential::<f32>::builder(784)
        .seed(1)
        .dense(128)
        .relu()
        .dense(64)
        .relu()
        .dense(10)
        .build()
        .unwrap();
    let mut trainer = Trainer::new(SoftmaxCrossEntropy, Adam::new(), 1e-3)
        .epochs(3)
        .batch_size(64)
        .clip_grad_norm(5.0)
        .validation(Validation::Data(synthetic(100)))
        .early_stopping(EarlyStopping::new(5))
        // Read after every step, never raised.
        .stop_flag(std::sync::Arc::new(std::sync::atomic::AtomicBool::new(
            false,
        )))
        .progress(ProgressMode::Silent);
    allocations(|| {
        let history = trainer.fit(&mut net, &data).unwrap();
        assert_eq!(history.epochs.len(), 3);
    })
}

#[test]
fn training_steps_after_the_first_do_not_allocate() {
    // Two threads whatever the machine, so the large products take the
    // parallel path; a first run starts the helper threads and sizes their
    // buffers.
    backprop_tensor::threads::set_num_threads(2);
    fit_allocations(640);
    let short = fit_allocations(640);
    let long = fit_allocations(1280);
    assert!(short > 0, "the first step sizes the buffers");
    assert_eq!(
        short, long,
        "3 epochs of 10 steps allocated {short} times, of 20 steps {long} times"
    );
}
