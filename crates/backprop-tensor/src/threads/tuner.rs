//! Choosing, step after step, between all of the threads and the caller
//! alone, by timing both ([`Tuner`]); the choice reaches every product of a
//! step through the calling thread's cap (cap.rs).
//!
//! Two threads are usually faster than one, but not always: a host that
//! runs both of a small virtual machine's vCPUs on one physical core for a
//! while (seen for up to about a second at a time on a 2-vCPU Zen 4, see
//! docs/benchmarks.md, Session 8) gives two threads one core's arithmetic
//! between them, and a training step then takes twice as long as on one
//! thread; a busy program on the helper's core does much the same. Nothing the
//! guest can read shows it; only the clock does. So a [`Tuner`] times the
//! steps it runs, runs an occasional step with the other count to keep an
//! up-to-date time for it, and runs the rest with whichever count is faster
//! now. Results do not depend on the number of threads (see the module
//! [`threads`](super)), so switching changes nothing but the time.

use super::cap::Capped;
use std::time::{Duration, Instant};

/// How many of the latest steps of the count in use are compared: the
/// fastest of them is its speed, so a stall of the host must outlast this
/// many steps to count.
const RECENT: usize = 8;

/// The steps of the count in use between two probes of the other, by
/// default (while probes find the other more than a quarter slower, the
/// interval doubles, up to four times this).
pub const PROBE_EVERY: u32 = 64;

/// Which count a step ran with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Count {
    /// The caller alone.
    One,
    /// Every thread [`num_threads`](super::num_threads) allows.
    All,
}

impl Count {
    fn other(self) -> Self {
        match self {
            Count::One => Count::All,
            Count::All => Count::One,
        }
    }

    /// The number of threads, given how many `all` is.
    fn threads(self, all: usize) -> usize {
        match self {
            Count::One => 1,
            Count::All => all,
        }
    }
}

/// Chooses the number of threads for a piece of work repeated many times (a
/// training step): all of [`num_threads`](super::num_threads), or the
/// calling thread alone, whichever its clock says is faster now.
///
/// [`run`](Self::run) runs the work with every product in it capped at the
/// chosen count and times it. The speed of the count in use is the fastest
/// of its latest eight steps (a stall of the host only ever adds time). Now
/// and then a *probe* runs two steps with the other count: the first to
/// wake its threads and move the data into their caches, untimed, the
/// second timed. If the probe beats the count in use by more than 1/16,
/// the tuner switches. A probe comes after every [`PROBE_EVERY`] steps of
/// the count in use (`probing_every`), after up to four times as many while
/// probes keep finding the other count more than a quarter slower, and
/// early once the count in use has become more than a quarter slower than
/// when the last probe lost to it (its fastest of eight, so after eight
/// slowed steps). A step right after a change of count is not timed
/// either. The first probe, too, comes after a whole interval: a probe
/// runs two steps with one thread, about four steps' time on two threads,
/// and a short run of long steps (784-2048-2048-10 at batch 1024, five
/// steps an epoch) paid it in its second epoch when it came after eight.
///
/// Only steps of the largest `size` seen are timed (a smaller last batch of
/// an epoch runs with the current count); a larger size starts afresh. With
/// one thread configured there is nothing to choose, and `run` only runs
/// the work.
///
/// Results are the same bits whichever count runs a step, so a tuner only
/// changes how long training takes:
///
/// ```
/// use backprop_tensor::{DMatrix, ops, threads};
/// let a = DMatrix::from_fn(256, 784, |i, j| ((i + j) % 7) as f32 - 3.0);
/// let b = DMatrix::from_fn(784, 64, |i, j| ((i * j) % 5) as f32 - 2.0);
/// let mut tuner = threads::Tuner::new();
/// let mut c = DMatrix::zeros(0, 0);
/// for _ in 0..100 {
///     tuner.run(64, || ops::matmul_into(&a, &b, &mut c))?;
/// }
/// let mut alone = DMatrix::zeros(0, 0);
/// threads::set_num_threads(1);
/// ops::matmul_into(&a, &b, &mut alone)?;
/// assert_eq!(c, alone);
/// assert!(tuner.threads() >= 1);
/// # Ok::<(), backprop_tensor::TensorError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Tuner {
    /// The shortest interval between probes.
    every: u32,
    /// The interval now (`every` up to `4 · every` while probes lose).
    interval: u32,
    /// The size whose steps are timed.
    size: usize,
    /// The thread count "all" stood for (its times are for that count).
    all: usize,
    /// The count in use between probes.
    current: Count,
    /// Its latest times (the oldest overwritten).
    recent: [Duration; RECENT],
    /// How many of `recent` hold a time.
    held: usize,
    /// Where the next time goes in `recent`.
    next: usize,
    /// Its speed when the last probe lost.
    baseline: Option<Duration>,
    /// Steps since the last probe.
    since_probe: u32,
    /// Probe steps left to run (2 at a probe's start).
    probing: u8,
    /// The count the last step ran with.
    last: Option<Count>,
    /// The number of threads the last step ran on.
    ran_on: Option<usize>,
}

impl Default for Tuner {
    fn default() -> Self {
        Self::new()
    }
}

/// What [`Tuner::plan`] decided for one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Plan {
    count: Count,
    /// Whether the step's time is recorded.
    timed: bool,
}

impl Tuner {
    /// A tuner that probes the other count every [`PROBE_EVERY`] steps.
    pub fn new() -> Self {
        Self::probing_every(PROBE_EVERY)
    }

    /// A tuner that probes the other count after every `steps` steps of
    /// the count in use at least (at least 2, so that the count in use gets
    /// a timed step between two probes): more often follows the host sooner
    /// and costs more when the other count is slower.
    pub fn probing_every(steps: u32) -> Self {
        let every = steps.max(2);
        Self {
            every,
            interval: every,
            size: 0,
            all: 0,
            current: Count::All,
            recent: [Duration::ZERO; RECENT],
            held: 0,
            next: 0,
            baseline: None,
            // The first probe after a whole interval, as every other.
            since_probe: 0,
            probing: 0,
            last: None,
            ran_on: None,
        }
    }

    /// The number of threads the next step of the usual size will use when
    /// it is not a probe (1 or [`num_threads`](super::num_threads)).
    pub fn threads(&self) -> usize {
        self.current.threads(super::num_threads())
    }

    /// The number of threads the last step [`run`](Self::run) ran on, a
    /// probe's included: 1 when only one thread was allowed; `None` before
    /// the first step.
    pub fn last_threads(&self) -> Option<usize> {
        self.ran_on
    }

    /// Runs `work`, a step of `size` (its batch size, say), with every
    /// product in it on the count of threads chosen for this step, and
    /// times it. Returns what `work` returns. With fewer than two threads
    /// allowed ([`num_threads`](super::num_threads), so also inside another
    /// tuner's step alone) it only runs `work`.
    pub fn run<R>(&mut self, size: usize, work: impl FnOnce() -> R) -> R {
        let all = super::num_threads();
        if all < 2 {
            self.ran_on = Some(1);
            return work();
        }
        let plan = self.plan(size, all);
        let threads = plan.count.threads(all);
        self.ran_on = Some(threads);
        let _cap = Capped::set(threads);
        let start = Instant::now();
        let result = work();
        self.record(plan, start.elapsed());
        result
    }

    /// The count for a step of `size` with `all` threads allowed, and
    /// whether to time it.
    fn plan(&mut self, size: usize, all: usize) -> Plan {
        // A larger step, or another thread count: the times held are not
        // for these steps.
        if size > self.size || all != self.all {
            *self = Self {
                size: size.max(self.size),
                all,
                ..Self::probing_every(self.every)
            };
        }
        if size < self.size {
            return Plan {
                count: self.current,
                timed: false,
            };
        }
        if self.probing == 0 && (self.since_probe >= self.interval || self.slowed()) {
            self.probing = 2;
        }
        let count = if self.probing > 0 {
            self.current.other()
        } else {
            self.current
        };
        Plan {
            count,
            timed: self.last == Some(count),
        }
    }

    /// Whether the count in use has become more than a quarter slower than
    /// when the last probe lost to it (and has run a full window since).
    fn slowed(&self) -> bool {
        match (self.baseline, self.speed()) {
            (Some(base), Some(now)) => {
                self.since_probe >= RECENT as u32 && self.held == RECENT && now > base + base / 4
            }
            _ => false,
        }
    }

    /// Records a step's time; after a probe, chooses the count in use.
    fn record(&mut self, plan: Plan, took: Duration) {
        self.last = Some(plan.count);
        if plan.count == self.current {
            self.since_probe = self.since_probe.saturating_add(1);
            if plan.timed {
                self.recent[self.next] = took;
                self.next = (self.next + 1) % RECENT;
                self.held = (self.held + 1).min(RECENT);
            }
            return;
        }
        self.probing = self.probing.saturating_sub(1);
        if self.probing > 0 || !plan.timed {
            return;
        }
        self.since_probe = 0;
        let Some(now) = self.speed() else { return };
        if took < now - now / 16 {
            // The other count wins: it is in use from now on, with its
            // speed to learn again.
            self.current = plan.count;
            self.held = 0;
            self.next = 0;
            self.baseline = None;
            self.interval = self.every;
        } else {
            self.baseline = Some(now);
            self.interval = if took > now + now / 4 {
                (self.interval.saturating_mul(2)).min(self.every.saturating_mul(4))
            } else {
                self.every
            };
        }
    }

    /// The fastest of the latest times of the count in use, if it has any.
    fn speed(&self) -> Option<Duration> {
        self.recent[..self.held].iter().min().copied()
    }
}

#[cfg(test)]
#[path = "tuner_tests.rs"]
mod tests;
