//! Zero heap allocations per training step after the first, and per inference
//! call after the first: a counting global allocator proves it (it counts, it
//! does not time).

use backprop::data::{Batcher, Dataset};
use backprop::layers::{Mode, Sequential};
use backprop::losses::{Loss, SoftmaxCrossEntropy, Target};
use backprop::optim::{Adam, Optimizer};
use backprop::tensor::{DMatrix, Parameters};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator; only counts calls made while the
// current thread has counting switched on.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.with(Cell::get) {
            COUNT.with(|c| c.set(c.get() + 1));
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.with(Cell::get) {
            COUNT.with(|c| c.set(c.get() + 1));
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by `f` on this thread.
fn allocations(f: impl FnOnce()) -> usize {
    COUNT.with(|c| c.set(0));
    COUNTING.with(|c| c.set(true));
    f();
    COUNTING.with(|c| c.set(false));
    COUNT.with(Cell::get)
}

fn synthetic(n: usize) -> Dataset {
    let pixels: Vec<u8> = (0..n * 784).map(|i| (i * 37 % 251) as u8).collect();
    let labels: Vec<usize> = (0..n).map(|i| i % 10).collect();
    Dataset::from_u8(pixels, 784, labels, 10).unwrap()
}

#[test]
fn training_steps_and_inference_do_not_allocate_after_the_first() {
    let data = synthetic(640);
    let mut net = Sequential::<f32>::builder(784)
        .dense(128)
        .relu()
        .dense(64)
        .relu()
        .dense(10)
        .build()
        .unwrap();
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
