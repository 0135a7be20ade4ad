//! After the first step, optimizer steps and clipping allocate nothing.
//!
//! A counting global allocator (the workspace's shared one); this file holds
//! a single test so no other test allocates while it counts.

use backprop_optim::{Adam, AdamW, Optimizer, RmsProp, Sgd, clip_grad_norm, clip_grad_value};
use backprop_tensor::{DMatrix, Param};
#[path = "../../backprop-tensor/tests/support/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::allocations;

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
        // The first step allocates the state (at least the per-parameter records):
        // this also shows the counter works.
        let first = allocations(|| opt.step(0.01, &mut ps).unwrap());
        assert!(first > 0, "{}: first step did not allocate", opt.name());
        let later = allocations(|| {
            for _ in 0..10 {
                clip_grad_norm(&mut ps, 1.0).unwrap();
                clip_grad_value(&mut ps, 0.05).unwrap();
                opt.step(0.01, &mut ps).unwrap();
            }
        });
        assert_eq!(later, 0, "{} allocated during later steps", opt.name());
    }
}
