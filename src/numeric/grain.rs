//! Every parallel grain size of clmkit in one place: the fixed chunks that make reductions
//! deterministic and the smallest tasks rayon may split work into.
//!
//! Two kinds of constant live here, with different rules:
//! - **Chunks** cut data into fixed pieces whose results are combined in order. They decide
//!   the order of floating-point sums, so changing one changes results in the last bits (and
//!   some must equal each other so that two code paths agree bit for bit). They never depend
//!   on the thread count, which is what makes results identical for any number of threads.
//! - **Minimum task lengths** (`with_min_len`) only stop rayon from splitting elementwise
//!   work finer than pays off (waking a thread costs a few microseconds, more on a loaded
//!   machine); they never change results. They are set by the cost of one item.

// ---- Chunks of deterministic reductions (changing one changes low bits of results) ----

/// Rows per chunk of the generic deterministic reductions in `parallel` (sums, first bad
/// row, stage assignment, the survival design's Gram blocks): large enough to amortise
/// scheduling, small enough to balance 1M rows over many cores.
pub const CHUNK: usize = 4096;

/// Patterns per task of the BTYD log-likelihood sums. The generic fit (`btyd::loglik`) and
/// the tabulated Pareto/NBD fit must use the SAME value so that their totals agree bit for
/// bit (tests compare them). Small because one pattern costs ~1 µs (special functions).
pub const FIT_CHUNK: usize = 1024;

/// Patterns per task of the BG-family analytic totals (value, gradient, Hessian): each
/// pattern is a few logs and digammas, cheaper than a Pareto/NBD pattern, so larger tasks.
pub const BG_FAMILY_CHUNK: usize = 8192;

/// Rows per task of the first-bad-row scans of input validation (`error::first_invalid`,
/// `btyd::validate`): a branch-free test of a few ns per row, so a task of 32k rows (~0.1
/// ms) keeps scheduling below 5 %.
pub const VALIDATE_CHUNK: usize = 1 << 15;

/// Rows per task of the RFM segment lookup (a table look-up per row).
pub const SEGMENT_CHUNK: usize = 1 << 14;

/// Rows per task when counting for the RFM rank cuts: each task fills its own count table,
/// so tasks must be large next to the table they zero and merge.
pub const COUNT_CHUNK: usize = 1 << 16;

/// Rows per task of the survival tied-event counts: each chunk counts into its own small
/// table (at most `TIED_COUNT_CHUNK / 16` distinct times), merged in chunk order.
pub const TIED_COUNT_CHUNK: usize = 1 << 16;

/// Rows per task of the CLV per-group sums (one addition per row).
pub const CLV_GROUP_CHUNK: usize = 1 << 16;

/// Customers per random stream of the contractual simulation: block `b` draws from stream
/// `b` of the seed, so the simulated values depend on this constant but not on threads.
pub const SIMULATE_BLOCK: usize = 4096;

/// Customers per task of the snapshot history walk; the tasks' rows are concatenated in
/// customer order.
pub const HISTORY_CUSTOMERS_PER_TASK: usize = 2048;

// ---- Smallest tasks of elementwise work (no effect on results) -------------------------

/// Memory-bound passes of ~1 ns per item (packing and radix keys of the pattern grouping).
pub const ITEMS_STREAM: usize = 1 << 16;

/// Customers or log rows of the summary kernel: waking a second thread costs more than
/// folding a few thousand rows, and on a loaded machine much more.
pub const SUMMARY_ROWS_PER_TASK: usize = 1 << 15;

/// Scans and look-ups of a few ns per item (summary checks, customer slots, CLV grouping,
/// pattern codes).
pub const ITEMS_SCAN: usize = 1 << 14;

/// Pointwise survival bounds (a square root and an exp per row).
pub const ITEMS_POINTWISE: usize = 1 << 13;

/// Elementwise maps of a few floating-point operations (RFM scores and quantiles, period
/// starts, BG-family predictions).
pub const ITEMS_MAP: usize = 4096;

/// Items of ~100 ns: a closed-form model formula, a design row, a customer's periods.
pub const ITEMS_FORMULA: usize = 1024;

/// Items of ~1 µs or more: special functions or series per item (Pareto/NBD tails),
/// a customer's churn row, bootstrap bounds over replicates.
pub const ITEMS_COSTLY: usize = 256;

/// Whole groups of a CLV table (one multi-horizon kernel call per group, ~10 µs).
pub const ITEMS_GROUP: usize = 64;
