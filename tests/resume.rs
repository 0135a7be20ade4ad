//! Resuming from a checkpoint is bit-identical to not stopping: train N
//! epochs in one go, checkpointing after every epoch; then, for every k < N,
//! load the checkpoint after epoch k into a fresh trainer and train to N.
//! The weights (and the optimizer state) must be equal bit for bit, with
//! Dropout (its random streams resume), Adam (its moments and step count)
//! and a cosine schedule (its position is the epoch).

use backprop::data::Dataset;
use backprop::io::{checkpoint_path, load_checkpoint};
use backprop::layers::Sequential;
use backprop::losses::SoftmaxCrossEntropy;
use backprop::optim::{Adam, CosineWithWarmup};
use backprop::train::{Checkpointer, ProgressMode, Trainer, resume};

const EPOCHS: usize = 4;
const SEED: u64 = 21;

/// Three noisy classes of 10-feature points.
fn data() -> Dataset {
    let n = 300;
    let mut xs = Vec::with_capacity(n * 10);
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        let c = i % 3;
        for f in 0..10 {
            let centre = if f % 3 == c { 1.0 } else { -0.5 };
            xs.push(centre + 0.4 * ((i * 31 + f * 7) as f32 * 0.618).sin());
        }
        labels.push(c);
    }
    Dataset::from_f32(xs, 10, labels, 3).unwrap()
}

fn model() -> Sequential<f32> {
    Sequential::<f32>::builder(10)
        .seed(SEED)
        .dense(16)
        .relu()
        .dropout(0.3)
        .dense(8)
        .tanh()
        .dropout(0.2)
        .dense(3)
        .build()
        .unwrap()
}

fn trainer() -> Trainer<f32> {
    Trainer::new(SoftmaxCrossEntropy, Adam::new(), 0.01)
        .schedule(CosineWithWarmup::new(0.01, 1, EPOCHS, 0.0).unwrap())
        .epochs(EPOCHS)
        .batch_size(32)
        .seed(SEED)
        .progress(ProgressMode::Silent)
}

fn bits(net: &Sequential<f32>) -> Vec<Vec<u32>> {
    let mut out = Vec::new();
    net.visit_params(&mut |p| out.push(p.value.iter().map(|v| v.to_bits()).collect()));
    net.visit_buffers(&mut |_, b| out.push(b.iter().map(|v| v.to_bits()).collect()));
    out
}

#[test]
fn resuming_after_epoch_k_gives_the_uninterrupted_weights_bit_for_bit() {
    let dir = std::env::temp_dir().join(format!("backprop-resume-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let train = data();

    let mut net = model();
    let mut straight = trainer().callback(Checkpointer::new(&dir, 1).seed(SEED));
    let history = straight.fit(&mut net, &train).unwrap();
    assert_eq!(history.epochs.len(), EPOCHS);
    let expected = bits(&net);
    let expected_opt = straight.optimizer().state();
    let draws: Vec<_> = net.layers().iter().filter_map(|l| l.rng_state()).collect();
    assert_eq!(draws.len(), 2);
    assert!(draws.iter().all(|&(_, d)| d > 0));

    for k in 1..EPOCHS {
        let ckpt = load_checkpoint::<f32>(checkpoint_path(&dir, k)).unwrap();
        assert_eq!(ckpt.state.epoch, k);
        // Different weights than the end: the test would be vacuous otherwise.
        assert_ne!(bits(&ckpt.model), expected, "epoch {k}");
        let (mut resumed, mut net2) = resume(trainer(), ckpt).unwrap();
        let h = resumed.fit(&mut net2, &train).unwrap();
        // The whole run's history: the checkpoint's epochs, then the new ones.
        assert_eq!(h.epochs.len(), EPOCHS);
        let epochs: Vec<usize> = h.epochs.iter().map(|r| r.epoch).collect();
        assert_eq!(epochs, (1..=EPOCHS).collect::<Vec<_>>());
        assert_eq!(
            h.epochs[..k],
            history.epochs[..k],
            "the checkpoint's records"
        );
        assert_eq!(h.epochs[k].train_loss, history.epochs[k].train_loss);
        assert_eq!(bits(&net2), expected, "resumed after epoch {k}");
        assert_eq!(resumed.optimizer().state(), expected_opt, "after epoch {k}");
        let draws2: Vec<_> = net2.layers().iter().filter_map(|l| l.rng_state()).collect();
        assert_eq!(draws2, draws);
    }

    // Without the optimizer state (a fresh Adam) the run differs: the
    // checkpoint's moments matter.
    let ckpt = load_checkpoint::<f32>(checkpoint_path(&dir, 2)).unwrap();
    let mut net3 = ckpt.model;
    let mut fresh = trainer().initial_epoch(2);
    fresh.fit(&mut net3, &train).unwrap();
    assert_ne!(bits(&net3), expected);

    // A checkpoint of another optimizer is refused.
    let ckpt = load_checkpoint::<f32>(checkpoint_path(&dir, 2)).unwrap();
    let sgd = Trainer::new(SoftmaxCrossEntropy, backprop::optim::Sgd::new(), 0.1);
    assert!(resume(sgd, ckpt).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}
