//! Per-parameter optimizer state shared by every optimizer: one slot per
//! parameter, in visit order, each holding the same list of named buffers.

use crate::{OptimError, OptimizerState};
use backprop_tensor::{DMatrix, Param, Parameters, Scalar};

/// The largest step count a state may reach: 2^53, up to which an `f64`
/// holds every integer exactly (Adam raises β₁ and β₂ to the step count).
/// No run comes near it (at a million steps a second it takes 285 years),
/// so a loaded state at or beyond it is corrupt, and a step that would pass
/// it is refused rather than overflow (a panic in debug builds; in release,
/// a wrap to 0 that makes Adam's bias corrections divide by zero).
pub(crate) const MAX_STEPS: u64 = 1 << 53;

/// Buffer kinds that hold running averages of squares, never negative (the
/// optimizers take their square roots).
const NON_NEGATIVE: [&str; 2] = ["exp_avg_sq", "square_avg"];

/// The buffers of one parameter.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Slot<T: Scalar> {
    /// The parameter's name when the slot was created (for error messages and
    /// the exported buffer names; never compared).
    name: String,
    /// The parameter's shape, which every later step must match.
    shape: (usize, usize),
    /// One buffer per kind, in the optimizer's kind order, each of `shape`.
    pub(crate) bufs: Vec<DMatrix<T>>,
}

/// The state of an optimizer: the step count and, once the first step has run
/// (or a state was loaded), one [`Slot`] per parameter.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Slots<T: Scalar> {
    step: u64,
    slots: Option<Vec<Slot<T>>>,
}

impl<T: Scalar> Default for Slots<T> {
    fn default() -> Self {
        Self {
            step: 0,
            slots: None,
        }
    }
}

fn shape<T: Scalar>(m: &DMatrix<T>) -> (usize, usize) {
    (m.nrows(), m.ncols())
}

impl<T: Scalar> Slots<T> {
    /// Forgets everything.
    pub(crate) fn reset(&mut self) {
        self.step = 0;
        self.slots = None;
    }

    /// Number of steps taken.
    pub(crate) fn step(&self) -> u64 {
        self.step
    }

    /// Checks `params` against the state (allocating it, `kinds.len()` zeroed
    /// buffers per parameter, if there is none yet) and counts the step.
    ///
    /// Returns whether the buffers were allocated by this call. On error
    /// nothing changes.
    pub(crate) fn begin_step(
        &mut self,
        params: &dyn Parameters<T>,
        kinds: &[&str],
    ) -> Result<bool, OptimError> {
        let next = self
            .step
            .checked_add(1)
            .filter(|&n| n <= MAX_STEPS)
            .ok_or_else(|| OptimError::InvalidState {
                reason: format!(
                    "the step count {} has reached the limit of {MAX_STEPS} steps (2^53); no run takes that many, so the state is corrupt",
                    self.step
                ),
            })?;
        let mut error: Option<OptimError> = None;
        let mut count = 0usize;
        let existing = self.slots.as_deref();
        params.visit_params(&mut |p: &Param<T>| {
            let index = count;
            count += 1;
            if error.is_some() {
                return;
            }
            let (value, grad) = (shape(&p.value), shape(&p.grad));
            if value != grad {
                error = Some(OptimError::GradShapeMismatch {
                    name: p.name().to_string(),
                    value,
                    grad,
                });
                return;
            }
            if let Some(slots) = existing {
                match slots.get(index) {
                    Some(slot) if slot.shape != value => {
                        error = Some(OptimError::ShapeMismatch {
                            name: p.name().to_string(),
                            index,
                            expected: slot.shape,
                            found: value,
                        });
                    }
                    Some(_) => {}
                    None => {
                        error = Some(OptimError::ParamCountMismatch {
                            name: p.name().to_string(),
                            expected: slots.len(),
                            found: 0, // filled in below, once the count is known
                        });
                    }
                }
            }
        });
        if let Some(mut e) = error {
            if let OptimError::ParamCountMismatch { found, .. } = &mut e {
                *found = count;
            }
            return Err(e);
        }
        match &self.slots {
            Some(slots) => {
                if let Some(missing) = slots.get(count) {
                    return Err(OptimError::ParamCountMismatch {
                        name: missing.name.clone(),
                        expected: slots.len(),
                        found: count,
                    });
                }
                if let Some(slot) = slots.iter().find(|s| s.bufs.len() != kinds.len()) {
                    return Err(OptimError::InvalidState {
                        reason: format!(
                            "the state of parameter {:?} holds {} buffers, the optimizer needs {}",
                            slot.name,
                            slot.bufs.len(),
                            kinds.len()
                        ),
                    });
                }
                self.step = next;
                Ok(false)
            }
            None => {
                let mut slots = Vec::with_capacity(count);
                params.visit_params(&mut |p: &Param<T>| {
                    let (r, c) = shape(&p.value);
                    slots.push(Slot {
                        name: p.name().to_string(),
                        shape: (r, c),
                        bufs: kinds.iter().map(|_| DMatrix::zeros(r, c)).collect(),
                    });
                });
                self.slots = Some(slots);
                self.step = next;
                Ok(true)
            }
        }
    }

    /// Calls `f` on every parameter together with its buffers, in visit order.
    ///
    /// Call only after a successful [`begin_step`](Self::begin_step). A
    /// [`Parameters`] implementation whose mutable visitor shows more
    /// parameters than its immutable one (a broken implementation) has the
    /// extra ones left untouched.
    pub(crate) fn for_each(
        &mut self,
        params: &mut dyn Parameters<T>,
        mut f: impl FnMut(&mut Param<T>, &mut [DMatrix<T>]),
    ) {
        let mut slots = self.slots.as_deref_mut().unwrap_or_default().iter_mut();
        params.visit_params_mut(&mut |p: &mut Param<T>| {
            if let Some(slot) = slots.next() {
                f(p, &mut slot.bufs);
            }
        });
    }

    /// Exports the state; buffers are named `"<parameter>.<kind>"`.
    pub(crate) fn export(&self, optimizer: &str, kinds: &[&str]) -> OptimizerState<T> {
        let mut buffers = Vec::new();
        for slot in self.slots.as_deref().unwrap_or_default() {
            for (kind, buf) in kinds.iter().zip(&slot.bufs) {
                buffers.push((format!("{}.{kind}", slot.name), buf.clone()));
            }
        }
        OptimizerState {
            optimizer: optimizer.to_string(),
            step: self.step,
            buffers,
        }
    }

    /// Replaces the state by `state`, after checking that it fits: same
    /// optimizer, `kinds.len()` buffers per parameter named
    /// `"<parameter>.<kind>"` in `kinds` order, all of one shape per parameter.
    /// On error nothing changes.
    pub(crate) fn import(
        &mut self,
        state: OptimizerState<T>,
        optimizer: &str,
        kinds: &[&str],
    ) -> Result<(), OptimError> {
        let invalid = |reason: String| Err(OptimError::InvalidState { reason });
        if state.optimizer != optimizer {
            return invalid(format!(
                "it was saved by {:?}, not {optimizer:?}",
                state.optimizer
            ));
        }
        if state.step >= MAX_STEPS {
            return invalid(format!(
                "it records {} steps, but a state holds fewer than {MAX_STEPS} (2^53); no run takes that many, so the state is corrupt",
                state.step
            ));
        }
        for (name, buf) in &state.buffers {
            let non_negative = NON_NEGATIVE
                .iter()
                .any(|k| name.strip_suffix(k).is_some_and(|p| p.ends_with('.')));
            let bad = buf
                .iter()
                .enumerate()
                .find(|(_, v)| !v.as_f64().is_finite() || (non_negative && v.as_f64() < 0.0));
            if let Some((i, v)) = bad {
                let (r, c) = (i % buf.nrows().max(1), i / buf.nrows().max(1));
                let must = if non_negative {
                    "finite and non-negative (a running average of squares)"
                } else {
                    "finite"
                };
                return invalid(format!(
                    "buffer {name:?} holds {} at ({r}, {c}); its values must be {must}, so the state is corrupt",
                    v.as_f64()
                ));
            }
        }
        if state.buffers.is_empty() {
            if state.step > 0 && !kinds.is_empty() {
                return invalid(format!(
                    "it records {} steps but no buffers, and {optimizer:?} keeps {}",
                    state.step,
                    kinds.join(", ")
                ));
            }
            // Nothing per parameter to restore: shapes are learnt at the next step.
            self.step = state.step;
            self.slots = None;
            return Ok(());
        }
        if kinds.is_empty() {
            return invalid(format!(
                "{optimizer:?} keeps no buffers, but the state holds {}",
                state.buffers.len()
            ));
        }
        if state.step == 0 {
            return invalid("it holds buffers but records no step".to_string());
        }
        if !state.buffers.len().is_multiple_of(kinds.len()) {
            return invalid(format!(
                "{} buffers is not a multiple of the {} per parameter ({})",
                state.buffers.len(),
                kinds.len(),
                kinds.join(", ")
            ));
        }
        let mut slots: Vec<Slot<T>> = Vec::with_capacity(state.buffers.len() / kinds.len());
        let mut current: Option<Slot<T>> = None;
        for (i, (name, buf)) in state.buffers.into_iter().enumerate() {
            let j = i % kinds.len();
            let kind = kinds.get(j).copied().unwrap_or_default();
            let Some(param) = name.strip_suffix(kind).and_then(|s| s.strip_suffix('.')) else {
                return invalid(format!(
                    "buffer {i} is named {name:?}; expected \"<parameter>.{kind}\""
                ));
            };
            match current.as_mut() {
                Some(slot) if j > 0 => {
                    if slot.name != param {
                        return invalid(format!(
                            "buffer {i} ({name:?}) does not belong to parameter {:?} like the buffers before it",
                            slot.name
                        ));
                    }
                    if slot.shape != shape(&buf) {
                        return invalid(format!(
                            "buffer {i} ({name:?}) is {}×{}, but the other buffers of {:?} are {}×{}",
                            buf.nrows(),
                            buf.ncols(),
                            slot.name,
                            slot.shape.0,
                            slot.shape.1
                        ));
                    }
                    slot.bufs.push(buf);
                }
                _ => {
                    slots.extend(current.take());
                    let mut bufs = Vec::with_capacity(kinds.len());
                    let s = shape(&buf);
                    bufs.push(buf);
                    current = Some(Slot {
                        name: param.to_string(),
                        shape: s,
                        bufs,
                    });
                }
            }
        }
        slots.extend(current);
        self.step = state.step;
        self.slots = Some(slots);
        Ok(())
    }
}
