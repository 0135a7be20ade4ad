//! After the first step, optimizer steps and clipping allocate nothing.
//!
//! A counting global allocator; this file holds a single test so no other
//! test thread allocates while it counts.

use backprop_optim::{Adam, AdamW, Optimizer, RmsProp, Sgd, clip_grad_norm, clip_grad_value};
use backprop_tensor::{DMatrix, Param};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator, only counting.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn steps_after_the_first_do_not_allocate() {
    let optimizers: Vec<Box<dyn Optimizer<f32>>> = vec![
        Box::new(Sgd::new().with_weight_decay(0.01)),
        Box::new(Sgd::momentum(0.9).nesterov()),
        Box::new(RmsProp::new().centered().with_momentum(0.9)),
        Box::new(Adam::new()),
        Box::new(AdamW::new()),
    ];
    for mut opt in optimizers {
        let mut ps = vec![
            Param::new("W", DMatrix::from_element(16, 8, 0.5_f32)),
            Param::new("b", DMatrix::zeros(16, 1)),
        ];
        ps[0].grad.fill(0.1);
        ps[1].grad.fill(-0.2);
        let first = ALLOCATIONS.load(Ordering::SeqCst);
        opt.step(0.01, &mut ps).unwrap();
        // The first step allocates the state (at least the per-parameter records):
        // this also shows the counter works.
        assert!(
            ALLOCATIONS.load(Ordering::SeqCst) > first,
            "{}: first step did not allocate",
            opt.name()
        );
        let before = ALLOCATIONS.load(Ordering::SeqCst);
        for _ in 0..10 {
            clip_grad_norm(&mut ps, 1.0).unwrap();
            clip_grad_value(&mut ps, 0.05).unwrap();
            opt.step(0.01, &mut ps).unwrap();
        }
        let after = ALLOCATIONS.load(Ordering::SeqCst);
        assert_eq!(
            after - before,
            0,
            "{} allocated during later steps",
            opt.name()
        );
    }
}
