//! What one call of `Trainer::fit` works with ([`Run`]), how an epoch's
//! steps ended ([`EpochEnd`]) with their running sums ([`EpochSums`]).

use crate::progress::Progress;
use crate::step::TargetKind;
use crate::{History, Interruption};
use backprop_data::{Batcher, Dataset};
use std::borrow::Cow;
use std::cell::OnceCell;

/// What [`Trainer::fit`](crate::Trainer::fit) works with, settled before the first epoch.
pub(crate) struct Run<'d> {
    pub(crate) kind: TargetKind,
    /// The training data (without the validation split).
    pub(crate) train: Cow<'d, Dataset>,
    /// The data given to `fit`, and its fingerprint once a callback asked.
    pub(crate) full: &'d Dataset,
    pub(crate) fingerprint: OnceCell<serde_json::Value>,
    pub(crate) val: Option<Dataset>,
    pub(crate) batcher: Batcher,
    pub(crate) progress: Progress,
    pub(crate) history: History,
    /// Where a resumed run starts in its first epoch, taken by it.
    pub(crate) start: Option<Interruption>,
}

/// How an epoch's steps ended.
pub(crate) enum EpochEnd {
    /// All of them ran.
    Done(EpochSums),
    /// The stop flag was raised after `step` of them.
    Stopped { step: usize, sums: EpochSums },
}

/// An epoch's running sums.
#[derive(Debug, Default)]
pub(crate) struct EpochSums {
    /// The learning rate of the epoch.
    pub(crate) lr: f64,
    /// Sum of the used batches' mean losses, each times its size.
    pub(crate) loss: f64,
    /// Samples in the used batches.
    pub(crate) seen: usize,
    /// Correct predictions in them.
    pub(crate) correct: usize,
    /// Batches skipped (non-finite loss or gradient).
    pub(crate) skipped: usize,
    /// Time in the step loop.
    pub(crate) seconds: f64,
    /// Steps run, skipped batches included.
    pub(crate) steps: usize,
    /// The sum over those steps of the threads each ran on.
    pub(crate) thread_steps: usize,
}
