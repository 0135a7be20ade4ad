//! `Tuner::run` caps the products of each step at the count it chose: the
//! work sees one thread in some steps and two in others, the cap is gone
//! after each step, `last_threads` says which count that was, and a tuner
//! inside a step alone leaves it alone. (In a process of its own: it sets
//! the thread count.)

use backprop_tensor::threads::{self, Tuner};

#[test]
fn a_step_sees_the_count_the_tuner_chose_and_only_that_step() {
    // Up to four per core are allowed, so two on any machine.
    assert_eq!(threads::set_num_threads(2), 2);
    let mut tuner = Tuner::probing_every(2);
    assert_eq!(tuner.last_threads(), None, "no step yet");
    let seen: Vec<usize> = (0..30)
        .map(|_| {
            let n = tuner.run(64, threads::num_threads);
            assert_eq!(threads::num_threads(), 2, "the cap outlived the step");
            assert_eq!(tuner.last_threads(), Some(n));
            n
        })
        .collect();
    assert!(seen.contains(&1), "no step alone: {seen:?}");
    assert!(seen.contains(&2), "no step on two threads: {seen:?}");
    assert!(seen.iter().all(|&n| n == 1 || n == 2), "{seen:?}");

    // Inside a step alone, another tuner has nothing to choose.
    let mut inner = Tuner::probing_every(2);
    let mut nested = Vec::new();
    for _ in 0..30 {
        tuner.run(64, || {
            if threads::num_threads() == 1 {
                nested.push(inner.run(64, threads::num_threads));
            }
        });
    }
    assert!(!nested.is_empty(), "no step alone");
    assert!(nested.iter().all(|&n| n == 1), "{nested:?}");
    assert_eq!(inner.last_threads(), Some(1));
}
