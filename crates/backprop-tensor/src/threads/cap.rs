//! The per-thread cap on the number of threads a product may use, which
//! carries a [`Tuner`](super::Tuner)'s choice to every product of a step:
//! [`num_threads`](super::num_threads) returns at most the cap of the
//! calling thread.

use std::cell::Cell;

thread_local! {
    /// The most threads a product started on this thread may use; 0 for
    /// no cap.
    static CAP: Cell<usize> = const { Cell::new(0) };
}

/// This thread's cap (0 for none).
pub(super) fn cap() -> usize {
    CAP.with(Cell::get)
}

/// A cap set on this thread until dropped (also on unwinding), when the
/// previous one comes back.
pub(super) struct Capped(usize);

impl Capped {
    /// Caps this thread's products at `cap` threads (0: no cap).
    pub(super) fn set(cap: usize) -> Self {
        Self(CAP.with(|c| c.replace(cap)))
    }
}

impl Drop for Capped {
    fn drop(&mut self) {
        CAP.with(|c| c.set(self.0));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_is_this_threads_and_is_restored() {
        let before = cap();
        {
            let _outer = Capped::set(1);
            assert_eq!(cap(), 1);
            assert_eq!(super::super::num_threads(), 1);
            {
                let _inner = Capped::set(3);
                assert_eq!(cap(), 3);
            }
            assert_eq!(cap(), 1);
            // Another thread is not capped.
            let there = std::thread::spawn(cap).join().unwrap();
            assert_eq!(there, 0);
        }
        assert_eq!(cap(), before);
        let unwound = std::panic::catch_unwind(|| {
            let _cap = Capped::set(1);
            panic!("a step that fails");
        });
        assert!(unwound.is_err());
        assert_eq!(cap(), before);
    }
}
