#!/bin/sh
# Measurements behind the core's sort and id-hash choices (issue 16): sort_unstable vs the
# radsort crate vs clmkit's radix sorts on 10M keys, and std HashMap vs FxHashMap vs ahash on
# 10M integer and string ids. The code is src/numeric/measure.rs (ignored tests, run here in
# release mode); paste the printed tables into benchmarks/RESULTS.md.
set -eu
cd "$(dirname "$0")/.."
exec cargo test --release --no-default-features --lib numeric::measure -- --ignored --nocapture --test-threads=1
