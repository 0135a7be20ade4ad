//! MaxPool2d, AvgPool2d, BatchNorm2d and Dropout2d allocate nothing per
//! training step or inference call after the first: a counting global
//! allocator proves it (one test in this file, so nothing else allocates
//! meanwhile).

use backprop_layers::{Mode, Sequential};
use backprop_tensor::{DMatrix, Parameters};
#[path = "../../backprop-tensor/tests/support/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::allocations;

#[test]
fn pooling_and_channel_layers_do_not_allocate_after_the_first_call() {
    let mut net = Sequential::<f32>::builder([3, 12, 12])
        .seed(1)
        .max_pool2d(2)
        .batch_norm2d()
        .relu()
        .dropout2d(0.2)
        .avg_pool2d(3)
        .stride(1)
        .padding(1)
        .max_pool2d((3, 2))
        .stride((2, 1))
        .padding((1, 0))
        .flatten()
        .dense(5)
        .build()
        .unwrap();
    let x = DMatrix::from_fn(432, 16, |i, j| ((i * 16 + j) as f32 * 0.37).sin());
    let dy = DMatrix::from_fn(5, 16, |i, j| (i as f32 - 2.0) * 0.1 + j as f32 * 0.01);
    // Forward, zero, backward, and a plain gradient step.
    let step = |net: &mut Sequential<f32>| {
        net.forward(&x, Mode::Train).unwrap();
        net.zero_grad();
        net.backward(&x, &dy).unwrap();
        net.visit_params_mut(&mut |p| {
            for (w, g) in p.value.iter_mut().zip(p.grad.iter()) {
                *w -= 0.01 * g;
            }
        });
    };
    assert!(
        allocations(|| step(&mut net)) > 0,
        "the first step sizes the buffers"
    );
    let later = allocations(|| {
        for _ in 0..5 {
            step(&mut net);
        }
    });
    assert_eq!(later, 0, "allocations in 5 training steps after the first");

    // Inference at batch 1 and batch 50, after a first call of each.
    let one = DMatrix::from_element(432, 1, 0.5_f32);
    let many = DMatrix::from_element(432, 50, 0.5_f32);
    net.forward(&one, Mode::Eval).unwrap();
    net.forward(&many, Mode::Eval).unwrap();
    let later = allocations(|| {
        for _ in 0..3 {
            net.forward(&one, Mode::Eval).unwrap();
            net.forward(&many, Mode::Eval).unwrap();
        }
    });
    assert_eq!(later, 0, "allocations in 6 inference calls after the first");

    // LeNet's first pool at batch 64: passes big enough to be cut between
    // two threads (the pool's helpers start on the first call).
    backprop_tensor::threads::set_num_threads(2);
    let mut net = Sequential::<f32>::builder([6, 28, 28])
        .max_pool2d(2)
        .avg_pool2d(2)
        .build()
        .unwrap();
    let x = DMatrix::from_fn(4704, 64, |i, j| ((i * 64 + j) as f32 * 0.37).sin());
    let dy = DMatrix::from_element(294, 64, 0.5_f32);
    let mut step = || {
        net.forward(&x, Mode::Train).unwrap();
        net.backward(&x, &dy).unwrap();
    };
    step();
    assert_eq!(
        allocations(|| (0..5).for_each(|_| step())),
        0,
        "two threads"
    );
}
