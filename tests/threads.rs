//! The thread count changes no bit of training: the same seed gives the same
//! weights on one thread and on several (large products are cut into slices
//! that keep every element's summation order), also when the trainer's
//! tuner alternates between all threads and one from step to step.

use backprop::io::model_to_bytes;
use backprop::losses::SoftmaxCrossEntropy;
use backprop::optim::Adam;
use backprop::tensor::threads::{self, Tuner};
use backprop::train::{ProgressMode, Trainer};

#[path = "support/mlp.rs"]
mod mlp;

use mlp::{synthetic, tutorial_net};

fn train(n_threads: usize, tuner: Option<Tuner>) -> (Vec<u8>, Vec<usize>) {
    threads::set_num_threads(n_threads);
    let data = synthetic(512);
    let mut net = tutorial_net(5);
    let mut trainer = Trainer::new(SoftmaxCrossEntropy, Adam::new(), 1e-3)
        .epochs(2)
        .batch_size(256) // 784→128 at batch 256: 51 MFLOP, cut into slices
        .seed(5)
        .progress(ProgressMode::Silent)
        .thread_tuner(tuner);
    trainer.fit(&mut net, &data).unwrap();
    let predictions = trainer.predict(&mut net, &data).unwrap();
    (model_to_bytes(&net).unwrap(), predictions)
}

#[test]
fn one_thread_and_several_train_the_same_weights_bit_for_bit() {
    let one = train(1, None);
    for n in [2, 3] {
        // Fixed; and alternating (probing as often as it can: steps on all
        // threads, then two alone, then all again, ...).
        for tuner in [None, Some(Tuner::probing_every(2))] {
            let many = train(n, tuner.clone());
            assert!(one.0 == many.0, "{n} threads, {tuner:?}: different weights");
            assert_eq!(
                one.1, many.1,
                "{n} threads, {tuner:?}: different predictions"
            );
        }
    }
}
