//! Unit tests of the tuner's choice (tuner.rs), fed made-up step times.

use super::*;

/// A step on two threads, as usual; alone; on two threads in a slow phase.
const FAST: Duration = Duration::from_micros(320);
const ALONE: Duration = Duration::from_micros(370);
const SLOW: Duration = Duration::from_micros(800);

/// Runs `steps` steps of size 64 on `tuner`, a step on all threads taking
/// `all(step)` and one on the caller alone `alone(step)`; returns the count
/// each step ran with.
fn drive(
    tuner: &mut Tuner,
    steps: usize,
    all: impl Fn(usize) -> Duration,
    alone: impl Fn(usize) -> Duration,
) -> Vec<Count> {
    (0..steps)
        .map(|s| {
            let plan = tuner.plan(64, 2);
            let took = match plan.count {
                Count::All => all(s),
                Count::One => alone(s),
            };
            tuner.record(plan, took);
            plan.count
        })
        .collect()
}

/// Steps that hold exactly `probes` periodic probes on a quiet host: each
/// comes after [`PROBE_EVERY`] steps of all threads and takes two.
fn steps_for(probes: usize) -> usize {
    probes * (PROBE_EVERY as usize + 2)
}

fn ones(counts: &[Count]) -> usize {
    counts.iter().filter(|&&c| c == Count::One).count()
}

/// The first step from `from` on that starts 8 steps with `count`.
fn run_of(counts: &[Count], from: usize, count: Count) -> usize {
    (from..counts.len() - 8)
        .find(|&s| counts[s..s + 8].iter().all(|&c| c == count))
        .unwrap_or_else(|| panic!("no 8 steps with {count:?} from step {from}: {counts:?}"))
}

#[test]
fn on_a_quiet_host_only_the_probes_run_alone() {
    let mut tuner = Tuner::new();
    let counts = drive(&mut tuner, steps_for(20), |_| FAST, |_| ALONE);
    // Alone is slower, but by less than a quarter: a probe (two steps)
    // every 64 steps, the first too.
    assert_eq!(ones(&counts), 2 * 20, "{counts:?}");
    assert_eq!(tuner.current, Count::All);
    let first = counts.iter().position(|&c| c == Count::One).unwrap();
    assert_eq!(
        first, PROBE_EVERY as usize,
        "the first probe after an interval"
    );
    assert_eq!(counts[first + 1], Count::One);
    assert_eq!(counts[first + 2], Count::All);
}

#[test]
fn probes_that_keep_losing_by_far_come_four_times_less_often() {
    let mut tuner = Tuner::new();
    let counts = drive(&mut tuner, 256 * 20, |_| FAST, |_| SLOW);
    // 64, 128, then every 256 steps.
    assert_eq!(tuner.interval, 4 * PROBE_EVERY);
    let probes = ones(&counts) / 2;
    assert!((19..=21).contains(&probes), "{probes} probes");
}

#[test]
fn a_slow_phase_moves_to_the_caller_alone_and_back() {
    let mut tuner = Tuner::new();
    // All threads fast for 1000 steps, slow for 2000, fast again.
    let slow = 1000..3000;
    let phase = |s: usize| if slow.contains(&s) { SLOW } else { FAST };
    let counts = drive(&mut tuner, 4000, phase, |_| ALONE);
    // A window of slow steps after the phase starts, a probe, and alone from
    // then on (a periodic probe in that window, which loses to the fast
    // steps still in it, adds a window and a probe)...
    let moved = run_of(&counts, slow.start, Count::One);
    assert!(
        moved <= slow.start + 2 * (RECENT + 2),
        "moved at step {moved}"
    );
    // ... where all threads only run the probes, less often as they lose.
    let during = &counts[moved..slow.end];
    let probes = (during.len() - ones(during)) / 2;
    assert!((7..=10).contains(&probes), "{probes} probes");
    // The first probe after it ends brings all threads back, for good.
    let back = run_of(&counts, slow.end, Count::All);
    assert!(back <= slow.end + 4 * 64 + 2, "back at step {back}");
    // A probe every 64 steps of all threads: every 66 steps, counted from
    // the end of the probe that brought them back (`back` is its first step).
    let probes = ones(&counts[back..]) / 2;
    let left = counts.len() - back - 2;
    assert!((left / 66..=left / 64).contains(&probes), "{probes} probes");
}

#[test]
fn a_count_barely_faster_does_not_make_it_switch() {
    let mut tuner = Tuner::new();
    // All threads a little slower than alone, by less than 1/16.
    let counts = drive(&mut tuner, steps_for(10), |_| ALONE + ALONE / 20, |_| ALONE);
    assert_eq!(tuner.current, Count::All);
    assert_eq!(ones(&counts), 2 * 10);
}

#[test]
fn host_stalls_shorter_than_a_window_change_nothing() {
    let mut tuner = Tuner::new();
    // Every 50 steps, 7 in a row stall for 2 ms: the fastest of the latest
    // eight is still a usual step, so no probe comes early.
    let stalled = |s: usize| {
        if s > 20 && s % 50 < 7 {
            Duration::from_millis(2)
        } else {
            FAST
        }
    };
    let counts = drive(&mut tuner, steps_for(10), stalled, |_| ALONE);
    assert_eq!(ones(&counts), 2 * 10);
    assert_eq!(tuner.current, Count::All);
}

#[test]
fn a_longer_stall_brings_a_probe_but_no_switch_when_alone_stalls_too() {
    let mut tuner = Tuner::new();
    // Steps 150..170 stall for 2 ms on any count (periodic probes come at
    // steps 64, 130 and 196): a probe comes at once, finds alone no
    // faster, and all threads stay.
    let stall = |s: usize, usual| {
        if (150..170).contains(&s) {
            Duration::from_millis(2)
        } else {
            usual
        }
    };
    let counts = drive(&mut tuner, 300, |s| stall(s, FAST), |s| stall(s, ALONE));
    assert_eq!(ones(&counts[150..180]), 2, "{counts:?}");
    assert_eq!(tuner.current, Count::All);
}

#[test]
fn a_stall_of_all_threads_alone_moves_to_the_caller_alone() {
    let mut tuner = Tuner::new();
    let stalled = |s: usize| {
        if (150..300).contains(&s) {
            Duration::from_millis(2)
        } else {
            FAST
        }
    };
    let counts = drive(&mut tuner, 300, stalled, |_| ALONE);
    let moved = run_of(&counts, 150, Count::One);
    assert_eq!(
        moved,
        150 + RECENT,
        "a window of stalls, then a probe that wins"
    );
}

#[test]
fn untimed_steps_are_the_first_the_probes_first_and_the_step_after_a_change() {
    let mut tuner = Tuner::probing_every(8);
    let mut plans = Vec::new();
    for s in 0..64 {
        let plan = tuner.plan(64, 2);
        tuner.record(plan, if s % 3 == 0 { SLOW } else { FAST });
        plans.push(plan);
    }
    assert!(!plans[0].timed, "the first step (allocations) is not timed");
    for w in plans.windows(2) {
        assert_eq!(w[1].timed, w[0].count == w[1].count, "{plans:?}");
    }
}

#[test]
fn smaller_steps_are_not_timed_and_a_larger_size_starts_afresh() {
    let mut tuner = Tuner::probing_every(8);
    drive(&mut tuner, 40, |_| SLOW, |_| ALONE);
    assert_eq!(tuner.current, Count::One);
    // The last batch of an epoch: the current count, untimed.
    let plan = tuner.plan(32, 2);
    let untimed = Plan {
        count: Count::One,
        timed: false,
    };
    assert_eq!(plan, untimed);
    tuner.record(plan, Duration::from_nanos(1));
    assert_eq!(tuner.speed(), Some(ALONE));
    // A larger batch forgets the times of the smaller one.
    let plan = tuner.plan(128, 2);
    assert_eq!(plan.count, Count::All);
    assert_eq!((tuner.held, tuner.size), (0, 128));
}
