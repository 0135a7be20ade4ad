//! Each thread's scratch memory (the packing buffers of the matrix
//! products): cache-line-aligned, grown on first use and then reused, so
//! that after warm-up a product allocates nothing. A buffer is taken out of
//! its thread-local slot for the duration of a product and given back after;
//! the pool's helpers receive theirs from the calling thread
//! ([`new_workspace`], [`install_workspace`]).
//!
//! It depends on no other module of the crate: both the products and the
//! thread pool ([`crate::threads`]) use it.

use std::cell::Cell;

/// One cache line: the unit (and alignment) of the packing workspace.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
pub(crate) struct Line([u8; 64]);

thread_local! {
    /// The packing buffers of this thread: grown on first use, then reused.
    pub(crate) static WORKSPACE: Cell<Vec<Line>> = const { Cell::new(Vec::new()) };
}

/// One of this thread's buffers of cache lines ([`WORKSPACE`], or another
/// slot of the same type).
type Slot = std::thread::LocalKey<Cell<Vec<Line>>>;

/// At least `lines` cache lines of scratch memory, 64-byte aligned: this
/// thread's buffer in `slot`, taken out of it (so no borrow is held while the
/// product runs). It allocates only when the buffer must grow (or,
/// exceptionally, while the thread is being torn down). Hand it back with
/// [`give_back`].
pub(crate) fn take(slot: &'static Slot, lines: usize) -> Vec<Line> {
    let mut ws = slot.try_with(Cell::take).unwrap_or_default();
    if ws.len() < lines {
        // Drop the old buffer first: its contents need not survive.
        ws = Vec::new();
        ws.reserve_exact(lines);
        ws.resize(lines, Line([0; 64]));
    }
    ws
}

/// Grows this thread's workspace to at least `lines` (allocating only if it
/// is smaller).
pub(crate) fn reserve_workspace(lines: usize) {
    give_back(&WORKSPACE, take(&WORKSPACE, lines));
}

/// A workspace of `lines` lines for another thread, to be installed there
/// with [`install_workspace`]: the allocation happens on the calling thread.
pub(crate) fn new_workspace(lines: usize) -> Vec<Line> {
    vec![Line([0; 64]); lines]
}

/// Makes `ws` this thread's workspace if it is larger than the current one.
pub(crate) fn install_workspace(ws: Vec<Line>) {
    let current = take(&WORKSPACE, 0);
    give_back(
        &WORKSPACE,
        if ws.len() > current.len() {
            ws
        } else {
            current
        },
    );
}

/// Returns a buffer taken by [`take`] to its slot.
pub(crate) fn give_back(slot: &'static Slot, ws: Vec<Line>) {
    // During thread teardown the slot is gone and the buffer is just freed.
    let _ = slot.try_with(|slot| slot.set(ws));
}
