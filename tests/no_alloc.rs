//! Zero heap allocations per training step after the first, and per inference
//! call after the first: a counting global allocator proves it (it counts, it
//! does not time).

use backprop::data::Batcher;
use backprop::layers::{Mode, Sequential};
use backprop::losses::{Loss, SoftmaxCrossEntropy, Target};
use backprop::optim::{Adam, Optimizer};
use backprop::tensor::{DMatrix, Parameters};
#[path = "../crates/backprop-tensor/tests/support/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::allocations;

#[path = "support/mlp.rs"]
mod mlp;

use mlp::{synthetic, tutorial_net};

#[test]
fn training_steps_and_inference_do_not_allocate_after_the_first() {
    // Two threads whatever the machine, so the large products take the
    // parallel path; the allocator counts the helper threads too.
    backprop::tensor::threads::set_num_threads(2);
    let data = synthetic(640);
    let mut net = tutorial_net(0);
    let loss = SoftmaxCrossEntropy;
    let mut opt = Adam::new();
    let mut batcher = Batcher::new(data.len(), 64, true, 0).unwrap();
    let (mut x, mut labels, mut grad) = (DMatrix::zeros(0, 0), Vec::new(), DMatrix::zeros(0, 0));

    // The same calls, in the same order, as one step of Trainer::fit.
    let mut step = |batcher: &mut Batcher, net: &mut Sequential<f32>| {
        let indices = batcher.next_batch().unwrap();
        data.fill_batch(indices, &mut x, &mut labels).unwrap();
        let out = net.forward(&x, Mode::Train).unwrap();
        let l = loss
            .loss_and_gradient(out, Target::Classes(&labels), &mut grad)
            .unwrap();
        assert!(l.is_finite());
        net.zero_grad();
        net.backward(&x, &grad).unwrap();
        assert!(net.grads_finite());
        opt.step(1e-3, net).unwrap();
    };
    batcher.epoch(0);
    assert!(
        allocations(|| step(&mut batcher, &mut net)) > 0,
        "the first step sizes the buffers"
    );
    let later = allocations(|| {
        for _ in 0..9 {
            step(&mut batcher, &mut net);
        }
    });
    assert_eq!(later, 0, "allocations in 9 training steps after the first");

    // Inference: batch 1 and batch 1000, after a first call of each.
    let one = DMatrix::from_element(784, 1, 0.5_f32);
    let many = DMatrix::from_element(784, 1000, 0.5_f32);
    net.forward(&one, Mode::Eval).unwrap();
    assert_eq!(
        allocations(|| {
            net.forward(&one, Mode::Eval).unwrap();
        }),
        0,
        "single-sample inference"
    );
    net.forward(&many, Mode::Eval).unwrap();
    net.forward(&one, Mode::Eval).unwrap();
    let n = allocations(|| {
        for _ in 0..3 {
            net.forward(&many, Mode::Eval).unwrap();
            net.forward(&one, Mode::Eval).unwrap();
        }
    });
    assert_eq!(n, 0, "alternating batch sizes reuse the buffers");
}
