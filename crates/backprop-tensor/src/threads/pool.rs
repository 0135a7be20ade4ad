//! The helper threads and the hand-over of a job to them.
//!
//! A job is posted, joined and retracted through one atomic word and
//! finished through one counter, each on its own cache line; the mutex and
//! the condition variables serve only threads that fall asleep (after
//! [`SPIN`] without work; a helper yields its core every few microseconds
//! meanwhile, see [`poll_until`]), a helper's panic and the workspaces handed to
//! helpers. A hand-over on the fast path is: the caller stores the word;
//! a spinning helper sees it, joins with one compare-and-swap and reads the
//! job beside it (the same line); it runs the job and adds one to the
//! counter; the caller, done with its own share, closes the word (a load,
//! and a read-modify-write only if a helper may still join) and spins on
//! the counter.
//!
//! Each helper has a fixed seat: helper `id` (started `id`-th, counting
//! from 0) is seat `id + 1`, the caller seat 0, and a job posted for
//! `seats` seats is joined by helpers `0 .. seats − 1` only, each at most
//! once. A job is called with its seat, so that work cut the same way on
//! every call lands on the same threads (see
//! [`Slices::run`](super::Slices::run)).
//!
//! # Memory ordering (why a helper never outlives the job it reads)
//!
//! The job word ([`Hot::word`]) holds the job's generation, whether it is
//! closed, how many helpers it wants and how many joined.
//!
//! 1. **Publication.** The caller writes the job's closure pointer
//!    ([`Hot::work`]), then stores an open word with a new generation and
//!    `joined = 0` (`SeqCst`, which includes `Release`). A helper joins only
//!    through a successful `Acquire` compare-and-swap from an open word with
//!    `joined < wanted` (and its `id < wanted`) to the same word with
//!    `joined + 1`; that CAS reads either the caller's store or another
//!    helper's CAS after it (a read-modify-write continues the caller's
//!    release sequence), so it synchronizes with the caller's store and the
//!    helper sees this job's pointer, which it reads only after its CAS
//!    succeeded, and whatever else the caller wrote before posting (such as
//!    the claim words of [`Slices::run`](super::Slices::run)).
//! 2. **Retraction.** After its own share the caller loads the word; if a
//!    slot is still free it sets the closed bit with `fetch_or`. A
//!    read-modify-write returns the last value in the word's modification
//!    order, so the `joined` it returns is exactly the number of helpers
//!    whose CAS succeeded, and every later CAS fails (the word is closed,
//!    or full: no CAS succeeds on a full word either). So a helper never
//!    joins a retracted job, and the caller knows how many to wait for.
//! 3. **Completion.** A helper that joined runs the job, records a panic if
//!    it had one, and then adds one to [`Pool::done`] (`SeqCst`, including
//!    `Release`). The caller waits until `done` reaches its count before
//!    this job plus `joined`, reading it with `Acquire`: every use of the
//!    closure (and the panic's record) happens before that read, so the
//!    closure, which lives on the caller's stack, outlives every use. On a
//!    panic of the caller's own share, [`Posted`]'s `Drop` retracts and
//!    waits the same way before the unwinding leaves the caller's frame.
//! 4. **Reuse.** The caller writes the next job's pointer only after step 3
//!    (every helper that read the old one is done) and before publishing it
//!    (step 1); between the two the word is closed or full, so no helper
//!    reads the pointer meanwhile. A generation compared after wrapping
//!    around (2³¹ jobs) cannot make a CAS join a wrong job: a CAS succeeds
//!    only on the word as it is now, so it joins the job posted now and
//!    reads that job's pointer; at worst a helper skips one job.
//! 5. **At most once.** A helper remembers the generation it joined and
//!    does not join while the word shows it.
//! 6. **Sleeping without losing a wake-up.** A helper about to sleep takes
//!    the mutex, adds one to `sleepers` (`SeqCst`) and loads the word
//!    (`SeqCst`) before waiting on the condition variable (which releases
//!    the mutex atomically); the caller stores the word (`SeqCst`) and then
//!    loads `sleepers` (`SeqCst`). In the single total order of `SeqCst`
//!    operations either the helper's load comes after the caller's store
//!    (it sees the job and does not sleep), or the caller's load comes after
//!    the helper's increment (it takes the mutex, which it gets only once
//!    the helper waits, and notifies). The caller's sleep on `done` is the
//!    same with `caller_waiting` in place of `sleepers`.
//! 7. **One caller at a time.** `busy` is taken with an `Acquire`
//!    compare-and-swap and given back with a `Release` store after step 3,
//!    so the next caller (on any thread) sees the counters as the last one
//!    left them; the caller-only fields ([`Caller`]) need no stronger order.

use super::wait::{SPIN, poll_until, spin_until};
use crate::workspace::{Line, install_workspace, new_workspace};
use std::any::Any;
use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock, PoisonError};

/// Two cache lines (x86 cores fetch lines in adjacent pairs), so that a hot
/// word shares its line with nothing another thread writes.
#[repr(align(128))]
struct Padded<T>(T);

/// The job word's fields: `joined` in bits 0–15, `wanted` in 16–31 (the
/// helpers `0 .. wanted` may join), the closed bit 32, the generation in
/// bits 33–63.
const COUNT: u64 = 0xffff;
const WANTED_SHIFT: u32 = 16;
const CLOSED: u64 = 1 << 32;
const GENERATION_SHIFT: u32 = 33;
const GENERATIONS: u64 = 1 << (64 - GENERATION_SHIFT);

fn joined(word: u64) -> u64 {
    word & COUNT
}

fn generation(word: u64) -> u64 {
    word >> GENERATION_SHIFT
}

fn wanted(word: u64) -> u64 {
    (word >> WANTED_SHIFT) & COUNT
}

/// Whether the job is open and some wanted helper has not joined it yet.
fn has_room(word: u64) -> bool {
    word & CLOSED == 0 && joined(word) < wanted(word)
}

/// Whether helper `id`, which has not joined this job yet, may join it.
fn has_seat(word: u64, id: usize) -> bool {
    has_room(word) && (id as u64) < wanted(word)
}

/// The job word and the job, on one line: a helper that sees the word
/// fetches the job with it.
struct Hot {
    word: AtomicU64,
    /// The posted closure; written by the caller only while no helper can
    /// join (see the module's ordering argument, steps 1 and 4).
    work: UnsafeCell<Option<*const Job>>,
}

/// What a job does on a helper's thread, given the helper's seat.
type Job = dyn Fn(usize) + Sync;

/// What only the caller holding `busy` touches (helpers only read `busy`,
/// between spins, as a hint of whether to yield their core).
struct Caller {
    busy: AtomicBool,
    /// The generation of the last posted job.
    generation: AtomicU64,
    /// `Pool::done` when the last job was finished.
    done: AtomicU64,
}

/// Rarely written: the sleeping and waking, panics, workspaces, starting.
struct Cold {
    shelf: Mutex<Shelf>,
    /// Helpers wait here for a job.
    posted: Condvar,
    /// The caller waits here for helpers to finish.
    finished: Condvar,
    /// Helpers asleep (or about to be) on `posted`.
    sleepers: AtomicUsize,
    /// Whether the caller sleeps (or is about to) on `finished`.
    caller_waiting: AtomicBool,
    /// Whether `Shelf::panic` holds a payload.
    panicked: AtomicBool,
    /// Workspace lines every helper has, or has waiting in `Shelf::fresh`.
    reserved: AtomicUsize,
    /// Helper threads started.
    started: AtomicUsize,
}

/// What the mutex guards.
struct Shelf {
    /// A helper's panic, handed to the caller.
    panic: Option<Box<dyn Any + Send>>,
    /// Per helper: a larger workspace to install before its next job.
    fresh: Vec<Option<Vec<Line>>>,
}

struct Pool {
    hot: Padded<Hot>,
    /// Helpers that finished a job, counted since the start (wrapping).
    done: Padded<AtomicU64>,
    caller: Padded<Caller>,
    cold: Padded<Cold>,
}

// SAFETY: `Hot::work` is the only field that is not `Sync`; it is written
// and read as the module's ordering argument describes (steps 1 and 4), and
// the pointee is `Sync`.
unsafe impl Sync for Pool {}
// SAFETY: as above; the pool is only ever shared through a `&'static`.
unsafe impl Send for Pool {}

impl Pool {
    fn lock(&self) -> MutexGuard<'_, Shelf> {
        // No code panics while holding the lock; recover rather than fail.
        self.cold
            .0
            .shelf
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Runs a job on the calling thread and on up to `seats − 1` helpers at
/// once: the caller (seat 0) calls `own()`, helper `id` calls `help(id + 1)`
/// if it joins in time (helpers `id ≥ seats − 1` never join), each at most
/// once. Returns `true` when every call has returned; returns `false` at
/// once, having called nothing, when the pool is busy (another thread's job
/// is on it) or has no helper: the caller then runs the whole job itself.
/// Any helper may be late or absent, so `own` must be able to finish the
/// whole job alone.
///
/// Every helper that joins has a packing workspace of at least
/// `workspace_lines` lines: when that is more than the helpers have, new
/// workspaces are allocated here, on the calling thread, and each helper
/// installs its own before it runs `help`.
pub(super) fn run(
    seats: usize,
    workspace_lines: usize,
    own: &dyn Fn(),
    help: &(dyn Fn(usize) + Sync + '_),
) -> bool {
    let helpers = seats.saturating_sub(1);
    let pool = match pool(helpers) {
        Some(pool) if helpers > 0 => pool,
        _ => return false,
    };
    let caller = &pool.caller.0;
    if caller
        .busy
        .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
        .is_err()
    {
        return false;
    }
    // SAFETY: only the lifetime is erased; `Posted` waits for every helper
    // that took the job before this function returns (also on unwinding).
    let help_ptr = unsafe {
        std::mem::transmute::<*const (dyn Fn(usize) + Sync + '_), *const Job>(std::ptr::from_ref(
            help,
        ))
    };
    let guard = Posted::new(pool, help_ptr, helpers.min(COUNT as usize), workspace_lines);
    own();
    let panic = guard.finish();
    if let Some(payload) = panic {
        std::panic::resume_unwind(payload);
    }
    true
}

/// The pool, with at least `helpers` helper threads started (fewer if the
/// system refuses to start more; `None` if it has none).
fn pool(helpers: usize) -> Option<&'static Pool> {
    static POOL: OnceLock<Pool> = OnceLock::new();
    static STARTING: Mutex<()> = Mutex::new(());
    let pool = POOL.get_or_init(|| Pool {
        hot: Padded(Hot {
            word: AtomicU64::new(CLOSED),
            work: UnsafeCell::new(None),
        }),
        done: Padded(AtomicU64::new(0)),
        caller: Padded(Caller {
            busy: AtomicBool::new(false),
            generation: AtomicU64::new(0),
            done: AtomicU64::new(0),
        }),
        cold: Padded(Cold {
            shelf: Mutex::new(Shelf {
                panic: None,
                fresh: Vec::new(),
            }),
            posted: Condvar::new(),
            finished: Condvar::new(),
            sleepers: AtomicUsize::new(0),
            caller_waiting: AtomicBool::new(false),
            panicked: AtomicBool::new(false),
            reserved: AtomicUsize::new(0),
            started: AtomicUsize::new(0),
        }),
    });
    let cold = &pool.cold.0;
    if cold.started.load(Ordering::Acquire) < helpers {
        let _one_at_a_time = STARTING.lock().unwrap_or_else(PoisonError::into_inner);
        while cold.started.load(Ordering::Acquire) < helpers {
            let id = cold.started.load(Ordering::Acquire);
            {
                // The new helper has no workspace yet: size everyone's again.
                let mut shelf = pool.lock();
                shelf.fresh.resize_with(id + 1, || None);
                cold.reserved.store(0, Ordering::Relaxed);
            }
            let spawned = std::thread::Builder::new()
                .name(format!("backprop-gemm-{}", id + 1))
                .spawn(move || helper(pool, id));
            if spawned.is_err() {
                break;
            }
            // Wait until the helper has set itself up (its thread-local
            // workspace included), so that whatever its start allocates is
            // allocated now, in this call, and not during a later product.
            while cold.started.load(Ordering::Acquire) <= id {
                std::thread::yield_now();
            }
        }
    }
    (cold.started.load(Ordering::Acquire) > 0).then_some(pool)
}

/// A helper thread (seat `id + 1`): joins each posted job once, while the
/// job is open and wants helper `id`, and runs it.
fn helper(pool: &'static Pool, id: usize) {
    install_workspace(Vec::new());
    let (hot, cold) = (&pool.hot.0, &pool.cold.0);
    cold.started.fetch_add(1, Ordering::Release);
    let mut seen = 0;
    // The workspace size this helper is known to have (see `Posted::new`).
    let mut installed = 0;
    loop {
        // Products come in bursts (a training step runs several): wait a
        // moment for the next one before sleeping, since waking a sleeping
        // thread costs about as much as a small slice. A job that was done
        // (by the caller) before this helper could join only brings it back
        // here, spinning: more are likely to follow (sleeping then made a
        // helper that was late once late for every job after).
        let mut word = wait_for_post(pool, seen);
        let joined = loop {
            if generation(word) == seen || !has_seat(word, id) {
                break false;
            }
            // Ordering argument, step 1: `Acquire` on success.
            match hot.word.compare_exchange_weak(
                word,
                word + 1,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => break true,
                Err(now) => word = now,
            }
        };
        seen = generation(word);
        if !joined {
            continue;
        }
        let reserved = cold.reserved.load(Ordering::Acquire);
        if reserved > installed {
            let fresh = pool.lock().fresh.get_mut(id).and_then(Option::take);
            if let Some(ws) = fresh {
                install_workspace(ws);
            }
            installed = reserved;
        }
        // SAFETY: this helper joined the job now posted (step 1), whose
        // closure the caller keeps alive until `done` counts this helper.
        let work = unsafe { *hot.work.get() };
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            if let Some(work) = work {
                // SAFETY: as above.
                unsafe { (*work)(id + 1) }
            }
        }));
        if let Err(payload) = result {
            pool.lock().panic.get_or_insert(payload);
            cold.panicked.store(true, Ordering::Relaxed);
        }
        // Step 3: every use of the job happens before this.
        pool.done.0.fetch_add(1, Ordering::SeqCst);
        // Step 6: the caller may be asleep.
        if cold.caller_waiting.load(Ordering::SeqCst) {
            let _shelf = pool.lock();
            cold.finished.notify_all();
        }
    }
}

/// The job word once its generation differs from `seen`: spinning and
/// yielding for [`SPIN`] (see [`poll_until`]), then asleep on
/// `Cold::posted`.
fn wait_for_post(pool: &Pool, seen: u64) -> u64 {
    let (hot, cold) = (&pool.hot.0, &pool.cold.0);
    let mut word = 0;
    // A caller still holding the pool is in the job (finishing its slices,
    // about to post the next product); one that gave it back runs work of
    // its own, and the next job may take a while. Read only between spins
    // (every few microseconds), a hint: the caller's line stays its own.
    let caller = &pool.caller.0;
    let posted = poll_until(
        SPIN,
        || {
            word = hot.word.load(Ordering::Acquire);
            generation(word) != seen
        },
        || !caller.busy.load(Ordering::Relaxed),
    );
    if posted {
        return word;
    }
    let mut shelf = pool.lock();
    // Step 6.
    cold.sleepers.fetch_add(1, Ordering::SeqCst);
    loop {
        word = hot.word.load(Ordering::SeqCst);
        if generation(word) != seen {
            break;
        }
        shelf = cold
            .posted
            .wait(shelf)
            .unwrap_or_else(PoisonError::into_inner);
    }
    cold.sleepers.fetch_sub(1, Ordering::SeqCst);
    word
}

/// A job on the pool; [`finish`](Self::finish) (or dropping it) retracts it
/// and waits for the helpers that took it.
struct Posted {
    pool: &'static Pool,
    finished: bool,
}

impl Posted {
    /// Posts `work` for helpers `0 .. wanted`. The caller holds `busy`.
    fn new(pool: &'static Pool, work: *const Job, wanted: usize, workspace_lines: usize) -> Self {
        let (hot, caller, cold) = (&pool.hot.0, &pool.caller.0, &pool.cold.0);
        if cold.reserved.load(Ordering::Relaxed) < workspace_lines {
            let mut shelf = pool.lock();
            for slot in &mut shelf.fresh {
                *slot = Some(new_workspace(workspace_lines));
            }
            // A helper that joins sees this (and the slots) through step 1.
            cold.reserved.store(workspace_lines, Ordering::Release);
        }
        // SAFETY: no helper can join (the word is closed or full, and the
        // last job's helpers are done): steps 1 and 4.
        unsafe { *hot.work.get() = Some(work) };
        let next = (caller.generation.load(Ordering::Relaxed) + 1) % GENERATIONS;
        caller.generation.store(next, Ordering::Relaxed);
        hot.word.store(
            (next << GENERATION_SHIFT) | ((wanted as u64) << WANTED_SHIFT),
            Ordering::SeqCst,
        );
        // Step 6: spinning helpers see the word; only sleeping ones need the
        // (system-call) notification.
        if cold.sleepers.load(Ordering::SeqCst) > 0 {
            let _shelf = pool.lock();
            cold.posted.notify_all();
        }
        Self {
            pool,
            finished: false,
        }
    }

    /// Retracts the job (helpers that have not taken it never will), waits
    /// for those that did, frees the pool and returns a helper's panic.
    fn finish(mut self) -> Option<Box<dyn Any + Send>> {
        self.finished = true;
        self.retract()
    }

    fn retract(&self) -> Option<Box<dyn Any + Send>> {
        let (hot, caller, cold) = (&self.pool.hot.0, &self.pool.caller.0, &self.pool.cold.0);
        let done = &self.pool.done.0;
        // Step 2: a full word takes no more helpers; otherwise close it.
        let mut word = hot.word.load(Ordering::Acquire);
        if has_room(word) {
            word = hot.word.fetch_or(CLOSED, Ordering::AcqRel);
        }
        let expected = caller
            .done
            .load(Ordering::Relaxed)
            .wrapping_add(joined(word));
        // Step 3. A helper still in a slice is usually about to finish it.
        if !spin_until(SPIN, || done.load(Ordering::Acquire) == expected) {
            let mut shelf = self.pool.lock();
            cold.caller_waiting.store(true, Ordering::SeqCst);
            while done.load(Ordering::SeqCst) != expected {
                shelf = cold
                    .finished
                    .wait(shelf)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            cold.caller_waiting.store(false, Ordering::Relaxed);
        }
        caller.done.store(expected, Ordering::Relaxed);
        let panic = if cold.panicked.load(Ordering::Relaxed) {
            cold.panicked.store(false, Ordering::Relaxed);
            self.pool.lock().panic.take()
        } else {
            None
        };
        // Step 7.
        caller.busy.store(false, Ordering::Release);
        panic
    }
}

impl Drop for Posted {
    fn drop(&mut self) {
        if !self.finished {
            // The caller's own share panicked: still wait for the helpers,
            // which may be reading the caller's data.
            let _ = self.retract();
        }
    }
}
