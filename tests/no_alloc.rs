//! Zero heap allocations per training step after the first, and per inference
//! call after the first: a counting global allocator proves it (it counts, it
//! does not time). The tutorial's MLP, a small CNN (convolutions, ReLU,
//! max pooling, flatten, dense), then LeNet-5 as examples/cnn builds it.
//! One test, so that no other test allocates while it counts.

use backprop::data::Batcher;
use backprop::layers::{LeNet5, Mode, Sequential};
use backprop::losses::{Loss, SoftmaxCrossEntropy, Target};
use backprop::optim::{Adam, Optimizer};
use backprop::tensor::threads::Tuner;
use backprop::tensor::{DMatrix, Init, Parameters};
#[path = "../crates/backprop-tensor/tests/support/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::allocations;

#[path = "support/mlp.rs"]
mod mlp;

use mlp::{synthetic, tutorial_net};

#[test]
fn training_steps_and_inference_do_not_allocate_after_the_first() {
    // Two threads whatever the machine, so the large products (and the
    // convolutions' groups of samples) take the parallel path; the
    // allocator counts the helper threads too.
    backprop::tensor::threads::set_num_threads(2);
    steady_state_allocates_nothing(tutorial_net(0), "MLP");
    steady_state_allocates_nothing(small_cnn(), "CNN");
    // Its feature maps take the element-wise passes onto the pool's threads.
    steady_state_allocates_nothing(LeNet5::default().build().unwrap(), "LeNet-5");
}

/// conv 1→4 (5×5, padding 2) → ReLU → max-pool 2 → conv 4→8 (3×3, no
/// bias) → ReLU → max-pool 2 → flatten → dense 10: every convolution pass
/// (forward, weight, bias and input gradients) at batch 64, 1 and 1000.
fn small_cnn() -> Sequential<f32> {
    Sequential::builder([1, 28, 28])
        .init(Init::TorchDefault)
        .conv2d(4, 5)
        .padding(2)
        .relu()
        .max_pool2d(2)
        .conv2d(8, 3)
        .bias(false)
        .relu()
        .max_pool2d(2)
        .flatten()
        .dense(10)
        .build()
        .unwrap()
}

fn steady_state_allocates_nothing(mut net: Sequential<f32>, what: &str) {
    let data = synthetic(640);
    let loss = SoftmaxCrossEntropy;
    let mut opt = Adam::new();
    let mut batcher = Batcher::new(data.len(), 64, true, 0).unwrap();
    let (mut x, mut labels, mut grad) = (DMatrix::zeros(0, 0), Vec::new(), DMatrix::zeros(0, 0));

    // The same calls, in the same order, as one step of Trainer::fit, and
    // its tuner's, probing as often as it can: the steps alternate between
    // all threads and the caller alone.
    let mut one_step = |batcher: &mut Batcher, net: &mut Sequential<f32>| {
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
    let mut tuner = Tuner::probing_every(2);
    let mut step =
        |batcher: &mut Batcher, net: &mut Sequential<f32>| tuner.run(64, || one_step(batcher, net));
    batcher.epoch(0);
    assert!(
        allocations(|| step(&mut batcher, &mut net)) > 0,
        "{what}: the first step sizes the buffers"
    );
    let later = allocations(|| {
        for _ in 0..9 {
            step(&mut batcher, &mut net);
        }
    });
    assert_eq!(
        later, 0,
        "{what}: allocations in 9 training steps after the first"
    );

    // Inference: batch 1 and batch 1000, after a first call of each.
    let one = DMatrix::from_element(784, 1, 0.5_f32);
    let many = DMatrix::from_element(784, 1000, 0.5_f32);
    net.forward(&one, Mode::Eval).unwrap();
    assert_eq!(
        allocations(|| {
            net.forward(&one, Mode::Eval).unwrap();
        }),
        0,
        "{what}: single-sample inference"
    );
    net.forward(&many, Mode::Eval).unwrap();
    net.forward(&one, Mode::Eval).unwrap();
    let n = allocations(|| {
        for _ in 0..3 {
            net.forward(&many, Mode::Eval).unwrap();
            net.forward(&one, Mode::Eval).unwrap();
        }
    });
    assert_eq!(n, 0, "{what}: alternating batch sizes reuse the buffers");
}
