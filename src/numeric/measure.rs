//! Measurements behind two choices of the core (issue 16), kept in the tree so they can be
//! re-run: `benchmarks/bench_internals.sh` runs these ignored tests in release mode and the
//! figures go to `benchmarks/RESULTS.md`.
//!
//! - Sorting 10M 64-bit keys: `slice::sort_unstable` (pattern-defeating quicksort), the
//!   `radsort` crate (LSD radix) and clmkit's one radix sort (`numeric::sort`, on the bits
//!   the keys use), keys alone and keys with their rows.
//! - Hashing 10M customer ids (integers and strings, ~1M distinct, as a log has): std's
//!   `HashMap` (SipHash-1-3), `FxHashMap` (what `btyd::grouping` uses) and `ahash`.
//!
//! Each case runs `REPEATS` times and reports the best wall time (the machine is shared, so
//! the minimum is the least disturbed run); every variant's output is checked equal.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};
use std::time::Instant;

use rustc_hash::FxBuildHasher;

const N: usize = 10_000_000;
const DISTINCT: u64 = 1_000_000;
const REPEATS: usize = 3;

fn lcg(state: &mut u64) -> u64 {
    *state = state
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    *state >> 11
}

fn best<T>(mut run: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::INFINITY;
    let mut out = None;
    for _ in 0..REPEATS {
        let start = Instant::now();
        let value = run();
        best = best.min(start.elapsed().as_secs_f64());
        out = Some(value);
    }
    (best * 1e3, out.expect("REPEATS > 0"))
}

fn report(what: &str, ms: f64) {
    println!("| {what} | {ms:.0} |");
}

/// Keys like the ones clmkit sorts: (customer code << 32 | period) for u64, and timestamps
/// in ns (63-bit, signed) for i64.
fn sort_inputs() -> (Vec<u64>, Vec<i64>) {
    let mut s = 7;
    let u: Vec<u64> = (0..N)
        .map(|_| ((lcg(&mut s) % DISTINCT) << 32) | (lcg(&mut s) % 5_000))
        .collect();
    let i: Vec<i64> = (0..N)
        .map(|_| 1_500_000_000_000_000_000 + (lcg(&mut s) % 400_000_000_000_000_000) as i64)
        .collect();
    (u, i)
}

#[test]
#[ignore = "a measurement: run by benchmarks/bench_internals.sh in release mode"]
fn measure_sorts() {
    let (u, i) = sort_inputs();
    println!("| sort of 10M keys | best of {REPEATS}, ms |\n|---|---|");
    let (ms, want) = best(|| {
        let mut v = u.clone();
        v.sort_unstable();
        v
    });
    report("u64 `slice::sort_unstable`", ms);
    let (ms, got) = best(|| {
        let mut v = u.clone();
        radsort::sort(&mut v);
        v
    });
    assert_eq!(got, want);
    report("u64 `radsort::sort`", ms);
    let bits = 64 - u.iter().max().map_or(0, |m| m.leading_zeros());
    let (ms, got) = best(|| {
        let mut v = u.clone();
        crate::numeric::sort::radix_sort_by_key(&mut v, bits, |&k| k);
        v
    });
    assert_eq!(got, want);
    report(
        "u64 clmkit `numeric::sort::radix_sort_by_key` (used bits)",
        ms,
    );
    // Keys with their rows, ties in row order (what survival needs): (key, row) pairs are
    // distinct, so an unstable sort of the pairs gives the stable order.
    let (ms, want) = best(|| {
        let mut v: Vec<(u64, usize)> = u.iter().copied().zip(0..).collect();
        v.sort_unstable();
        v
    });
    report("u64+row `slice::sort_unstable` of (key, row)", ms);
    let (ms, got) = best(|| {
        let mut v: Vec<(u64, usize)> = u.iter().copied().zip(0..).collect();
        radsort::sort_by_key(&mut v, |p| p.0);
        v
    });
    assert_eq!(got, want);
    report("u64+row `radsort::sort_by_key` (stable)", ms);
    let (ms, got) = best(|| {
        let mut v: Vec<(u64, usize)> = u.iter().copied().zip(0..).collect();
        crate::numeric::sort::radix_sort_by_key(&mut v, bits, |p| p.0);
        v
    });
    assert_eq!(got, want);
    report(
        "u64+row clmkit `numeric::sort::radix_sort_by_key` (stable)",
        ms,
    );
    let (ms, want) = best(|| {
        let mut v = i.clone();
        v.sort_unstable();
        v
    });
    report("i64 `slice::sort_unstable`", ms);
    let (ms, got) = best(|| {
        let mut v = i.clone();
        radsort::sort(&mut v);
        v
    });
    assert_eq!(got, want);
    report("i64 `radsort::sort`", ms);
}

/// Codes 0.. in order of first appearance, as the table layer factorises ids.
fn factorize<K: Hash + Eq + Clone, S: BuildHasher + Default>(ids: &[K]) -> Vec<u32> {
    let mut map: HashMap<K, u32, S> = HashMap::with_hasher(S::default());
    ids.iter()
        .map(|id| {
            let next = map.len() as u32;
            *map.entry(id.clone()).or_insert(next)
        })
        .collect()
}

#[test]
#[ignore = "a measurement: run by benchmarks/bench_internals.sh in release mode"]
fn measure_id_hashing() {
    let mut s = 11;
    let ints: Vec<u64> = (0..N).map(|_| lcg(&mut s) % DISTINCT * 7919).collect();
    let strings: Vec<String> = ints.iter().map(|v| format!("cust-{v:012}")).collect();
    type Std = std::collections::hash_map::RandomState;
    type AHash = ahash::RandomState;
    println!("| factorise 10M ids (1M distinct) | best of {REPEATS}, ms |\n|---|---|");
    let (ms, want) = best(|| factorize::<u64, Std>(&ints));
    report("u64 std `HashMap` (SipHash-1-3)", ms);
    let (ms, got) = best(|| factorize::<u64, FxBuildHasher>(&ints));
    assert_eq!(got, want);
    report("u64 `FxHashMap` (rustc-hash)", ms);
    let (ms, got) = best(|| factorize::<u64, AHash>(&ints));
    assert_eq!(got, want);
    report("u64 `ahash`", ms);
    let (ms, want) = best(|| factorize::<String, Std>(&strings));
    report("string std `HashMap` (SipHash-1-3)", ms);
    let (ms, got) = best(|| factorize::<String, FxBuildHasher>(&strings));
    assert_eq!(got, want);
    report("string `FxHashMap` (rustc-hash)", ms);
    let (ms, got) = best(|| factorize::<String, AHash>(&strings));
    assert_eq!(got, want);
    report("string `ahash`", ms);
}
