//! Progress reporting: a bar per epoch on a terminal, one plain line per
//! epoch otherwise. The train crate is the only one that prints.

use crate::EpochRecord;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Write};

/// How a run reports progress (on stdout). If a line cannot be written
/// (stdout a closed pipe, a full disk), `fit` stops after that epoch's
/// callbacks with [`TrainError::Progress`](crate::TrainError::Progress).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProgressMode {
    /// A bar when stdout is a terminal, plain lines otherwise.
    #[default]
    Auto,
    /// Always a bar.
    Bar,
    /// One plain line per epoch.
    Lines,
    /// Nothing.
    Silent,
}

pub(crate) struct Progress {
    mode: ProgressMode,
    bar: Option<ProgressBar>,
    epochs: usize,
}

impl Progress {
    pub(crate) fn new(mode: ProgressMode, epochs: usize) -> Self {
        let mode = match mode {
            ProgressMode::Auto if std::io::stdout().is_terminal() => ProgressMode::Bar,
            ProgressMode::Auto => ProgressMode::Lines,
            m => m,
        };
        Self {
            mode,
            bar: None,
            epochs,
        }
    }

    /// A bar for epoch `epoch` of `batches` steps, `done` of them already
    /// (a run resumed in the middle of the epoch).
    pub(crate) fn start_epoch(&mut self, epoch: usize, batches: usize, done: usize) {
        if self.mode == ProgressMode::Bar {
            let bar =
                ProgressBar::with_draw_target(Some(batches as u64), ProgressDrawTarget::stdout());
            let style = ProgressStyle::with_template(
                "epoch {prefix} [{bar:30}] {pos}/{len} {msg} ({elapsed})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
            bar.set_style(style);
            bar.set_prefix(format!("{epoch:>2}/{}", self.epochs));
            bar.set_position(done as u64);
            self.bar = Some(bar);
        }
    }

    /// The run stopped in the middle of an epoch: the bar goes.
    pub(crate) fn stop(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }

    /// Called every few batches with the running means.
    pub(crate) fn update(
        &mut self,
        done: usize,
        loss: f64,
        accuracy: Option<f64>,
        samples_per_second: f64,
    ) {
        if let Some(bar) = &self.bar {
            bar.set_position(done as u64);
            let acc = accuracy.map(|a| format!(" acc {a:.4}")).unwrap_or_default();
            bar.set_message(format!(
                "loss {loss:.4}{acc} {samples_per_second:.0} samples/s"
            ));
        }
    }

    /// Writes the epoch's line to `out`, or to stdout without one. A failed
    /// write (stdout a pipe whose reader has gone, a full disk) is returned,
    /// not a panic.
    pub(crate) fn end_epoch(
        &mut self,
        r: &EpochRecord,
        out: Option<&mut (dyn Write + 'static)>,
    ) -> std::io::Result<()> {
        let line = format_record(r, self.epochs);
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        match (self.mode, out) {
            (ProgressMode::Silent, _) => Ok(()),
            (_, Some(out)) => writeln!(out, "{line}"),
            (_, None) => writeln!(std::io::stdout(), "{line}"),
        }
    }
}

/// One line describing an epoch, as printed in plain mode.
pub fn format_record(r: &EpochRecord, epochs: usize) -> String {
    let mut s = format!("epoch {:>2}/{epochs}  loss {:.4}", r.epoch, r.train_loss);
    if let Some(a) = r.train_accuracy {
        s += &format!("  acc {a:.4}");
    }
    if let Some(l) = r.val_loss {
        s += &format!("  val_loss {l:.4}");
    }
    if let Some(a) = r.val_accuracy {
        s += &format!("  val_acc {a:.4}");
    }
    s += &format!(
        "  lr {:.2e}  {:.2}s  {:.0} samples/s",
        r.learning_rate, r.seconds, r.samples_per_second
    );
    if r.skipped_batches > 0 {
        s += &format!("  skipped {}", r.skipped_batches);
    }
    s
}
