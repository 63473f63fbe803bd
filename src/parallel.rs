//! The thread pool and deterministic parallel reductions.
//!
//! Results must be bit-identical for any thread count, so reductions never follow rayon's
//! work-stealing split: data are cut into fixed-size chunks, each chunk is reduced
//! sequentially, and the chunk results are combined sequentially in order.

use rayon::prelude::*;
use rayon::{ThreadPool, ThreadPoolBuilder};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use crate::error::{ClmError, Result};

/// Rows per chunk of a deterministic reduction (see [`crate::numeric::grain::CHUNK`]).
pub use crate::numeric::grain::CHUNK;

/// The most threads clmkit starts. More than this is never useful on one machine and a
/// request like `set_num_threads(10**6)` would otherwise try to spawn a million threads.
pub const MAX_THREADS: usize = 1024;

/// The pool and the process that built it. Threads do not survive `fork()`: a child that
/// inherits the parent's pool would wait forever for workers that do not exist, so a pool
/// built by another pid is replaced (and its stale handle leaked, never joined) on first use.
struct OwnedPool {
    pid: u32,
    pool: Arc<ThreadPool>,
}

static POOL: RwLock<Option<OwnedPool>> = RwLock::new(None);

/// Set by the door when the user interrupts (Ctrl-C); long loops poll it via
/// [`check_interrupt`] and end with [`ClmError::Interrupted`].
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

fn threads_from_env() -> Result<usize> {
    match std::env::var("CLMKIT_NUM_THREADS") {
        Ok(text) => parse_thread_count(&text),
        Err(_) => Ok(std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(MAX_THREADS)),
    }
}

fn parse_thread_count(text: &str) -> Result<usize> {
    match text.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_THREADS).contains(&n) => Ok(n),
        _ => Err(ClmError::InvalidArgument(format!(
            "CLMKIT_NUM_THREADS={:?} is not a whole number from 1 to {MAX_THREADS}",
            text.chars().take(40).collect::<String>()
        ))),
    }
}

fn check_thread_count(n: usize) -> Result<()> {
    if (1..=MAX_THREADS).contains(&n) {
        Ok(())
    } else {
        Err(ClmError::InvalidArgument(format!(
            "n_threads must be from 1 to {MAX_THREADS}, got {n}"
        )))
    }
}

fn build_pool(n: usize) -> Result<Arc<ThreadPool>> {
    check_thread_count(n)?;
    ThreadPoolBuilder::new()
        .num_threads(n)
        .thread_name(|i| format!("clmkit-{i}"))
        .build()
        .map(Arc::new)
        .map_err(|e| ClmError::InvalidArgument(format!("cannot start {n} threads: {e}")))
}

fn current_pool() -> Result<Arc<ThreadPool>> {
    let pid = std::process::id();
    if let Some(owned) = POOL.read().map_err(|_| poisoned())?.as_ref() {
        if owned.pid == pid {
            return Ok(owned.pool.clone());
        }
    }
    let mut slot = POOL.write().map_err(|_| poisoned())?;
    match slot.take() {
        Some(owned) if owned.pid == pid => {
            let pool = owned.pool.clone();
            *slot = Some(owned);
            return Ok(pool);
        }
        // Inherited through fork: its workers are gone. Dropping it would signal them, so
        // the handle is leaked instead; the child keeps the parent's thread count.
        Some(stale) => {
            let n = stale.pool.current_num_threads();
            std::mem::forget(stale);
            *slot = Some(OwnedPool {
                pid,
                pool: build_pool(n)?,
            });
        }
        None => {
            *slot = Some(OwnedPool {
                pid,
                pool: build_pool(threads_from_env()?)?,
            });
        }
    }
    slot.as_ref().map(|o| o.pool.clone()).ok_or_else(poisoned)
}

fn poisoned() -> ClmError {
    ClmError::InvalidArgument("clmkit thread pool is unavailable after an earlier panic".into())
}

/// Replaces the pool with one of `n` threads, 1 to [`MAX_THREADS`]
/// (`CLMKIT_NUM_THREADS` only sets the initial size).
pub fn set_num_threads(n: usize) -> Result<()> {
    let pool = build_pool(n)?;
    let previous = POOL.write().map_err(|_| poisoned())?.replace(OwnedPool {
        pid: std::process::id(),
        pool,
    });
    if let Some(stale) = previous.filter(|o| o.pid != std::process::id()) {
        std::mem::forget(stale);
    }
    Ok(())
}

/// Number of threads clmkit's kernels run on (1 when the pool cannot be built, e.g. an
/// invalid `CLMKIT_NUM_THREADS`, whose error the next computation reports).
pub fn num_threads() -> usize {
    current_pool().map(|p| p.current_num_threads()).unwrap_or(1)
}

/// Runs `op` inside clmkit's pool, so every rayon call within it respects the thread cap.
pub fn install<R: Send>(op: impl FnOnce() -> R + Send) -> Result<R> {
    Ok(current_pool()?.install(op))
}

/// Asks running computations to stop (the door calls it on Ctrl-C).
pub fn request_interrupt() {
    INTERRUPTED.store(true, Ordering::Relaxed);
}

/// Clears a previous interrupt request (the door calls it before a new computation).
pub fn clear_interrupt() {
    INTERRUPTED.store(false, Ordering::Relaxed);
}

/// True once an interrupt was requested; cheap enough to poll once per chunk or iteration.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::Relaxed)
}

/// `Err(Interrupted)` once an interrupt was requested: long loops call it per iteration.
pub fn check_interrupt() -> Result<()> {
    if interrupted() {
        Err(ClmError::Interrupted)
    } else {
        Ok(())
    }
}

/// Deterministic parallel sum of `term(i)` for `i in 0..n`.
pub fn sum(n: usize, term: impl Fn(usize) -> f64 + Sync) -> f64 {
    let partial: Vec<f64> = (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| {
            if interrupted() {
                return f64::NAN;
            }
            (c * CHUNK..((c + 1) * CHUNK).min(n)).map(&term).sum()
        })
        .collect();
    partial.iter().sum()
}

/// Deterministic parallel sum of vector-valued terms: `add_term(i, acc)` adds row i's
/// contribution into `acc` (length `dim`). Used for log-likelihoods with gradients.
pub fn sum_vec(n: usize, dim: usize, add_term: impl Fn(usize, &mut [f64]) + Sync) -> Vec<f64> {
    let partial: Vec<Vec<f64>> = (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| {
            let mut acc = vec![0.0; dim];
            if interrupted() {
                acc.fill(f64::NAN);
                return acc;
            }
            for i in c * CHUNK..((c + 1) * CHUNK).min(n) {
                add_term(i, &mut acc);
            }
            acc
        })
        .collect();
    let mut total = vec![0.0; dim];
    for acc in &partial {
        for (t, a) in total.iter_mut().zip(acc) {
            *t += a;
        }
    }
    total
}

/// Fills `out[i] = f(i)` in parallel (elementwise, so trivially deterministic).
pub fn map_into(out: &mut [f64], f: impl Fn(usize) -> f64 + Sync) {
    out.par_iter_mut()
        .enumerate()
        .with_min_len(crate::numeric::grain::ITEMS_FORMULA)
        .for_each(|(i, o)| *o = f(i));
}

/// Elementwise map that may fail. `f` must be pure: the error returned is always that of the
/// lowest failing row (recomputed), whatever the thread count.
pub fn try_map(n: usize, f: impl Fn(usize) -> Result<f64> + Sync) -> Result<Vec<f64>> {
    let mut out = vec![0.0; n];
    let first_bad = out
        .par_iter_mut()
        .enumerate()
        .with_min_len(crate::numeric::grain::ITEMS_FORMULA)
        .filter_map(|(i, o)| match f(i) {
            Ok(v) => {
                *o = v;
                None
            }
            Err(_) => Some(i),
        })
        .min();
    match first_bad {
        Some(row) => Err(f(row).err().unwrap_or_else(|| {
            ClmError::InvalidArgument(format!("row {row}: inconsistent evaluation"))
        })),
        None => Ok(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_are_identical_for_any_thread_count() {
        let term = |i: usize| ((i as f64) * 0.1).sin() / (1.0 + i as f64);
        let n = 100_003;
        let one = ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(|| sum(n, term));
        let four = ThreadPoolBuilder::new()
            .num_threads(4)
            .build()
            .unwrap()
            .install(|| sum(n, term));
        assert_eq!(one.to_bits(), four.to_bits());
        let sequential: f64 = (0..n).map(term).sum();
        assert!((one - sequential).abs() < 1e-9);
    }

    #[test]
    fn vector_sums_match_scalar_sums() {
        let n = 10_000;
        let v = sum_vec(n, 2, |i, acc| {
            acc[0] += i as f64;
            acc[1] += 1.0;
        });
        assert_eq!(v, vec![(n * (n - 1) / 2) as f64, n as f64]);
    }

    #[test]
    fn thread_counts_are_bounded() {
        assert!(check_thread_count(0).is_err());
        assert!(check_thread_count(MAX_THREADS + 1).is_err());
        assert!(check_thread_count(1).is_ok());
        for bad in ["0", "-1", "1000000", "two", ""] {
            let err = parse_thread_count(bad).unwrap_err().to_string();
            assert!(err.contains("CLMKIT_NUM_THREADS"), "{err}");
        }
        assert_eq!(parse_thread_count(" 3 ").unwrap(), 3);
    }

    #[test]
    fn try_map_reports_lowest_failing_row() {
        let r = try_map(50_000, |i| {
            if i % 7_000 == 6_999 {
                Err(ClmError::invalid_value("x", i, i, "bad"))
            } else {
                Ok(i as f64)
            }
        });
        assert!(r.unwrap_err().to_string().starts_with("x: row 6999"));
    }
}
