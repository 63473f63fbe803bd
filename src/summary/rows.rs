//! The customer-row buffer: allocated once, advised for transparent huge pages, filled with
//! empty rows in parallel.
//!
//! Why huge pages: the rows of 1M customers are 64 MB that the fold touches in random
//! order and that become the output. In 4 KiB pages that is 16k page faults (each a trap
//! and a zeroed page) and a TLB miss on almost every transaction of the fold; in 2 MiB
//! pages it is 32 faults and a TLB that covers the whole table. Kernels configured with
//! THP "madvise" (a common default) only use huge pages where asked, so we ask, as numpy
//! does for its own large arrays.

use rayon::prelude::*;

use super::layout::{Row, FIRST_P, FIRST_T, LAST_P, LAST_T, MIN_ROWS_PER_TASK, SECOND_P, WIDTH};

/// Size and alignment of a transparent huge page on x86-64 and arm64 (4 KiB base pages).
const HUGE_PAGE: usize = 2 << 20;

/// Buffers from this size up are advised for huge pages (numpy's threshold too).
const HUGE_MIN_BYTES: usize = 4 << 20;

/// An empty row: the identities of min / max / sum, so the first transaction of a customer
/// needs no special case (and no unpredictable branch on data that just missed the cache).
pub(super) const EMPTY_ROW: Row = {
    let mut r = [0.0; WIDTH];
    r[FIRST_T] = f64::from_bits(i64::MAX as u64);
    r[LAST_T] = f64::from_bits(i64::MIN as u64);
    r[FIRST_P] = f64::from_bits(i64::MAX as u64);
    r[LAST_P] = f64::from_bits(i64::MIN as u64);
    r[SECOND_P] = f64::from_bits(i64::MIN as u64);
    r
};

/// A buffer of `n` empty rows starting at element `offset`: on a 64-byte boundary (one
/// cache line per row), and on a huge-page boundary for large tables. The zeroed
/// allocation is mapped lazily, so the slack before `offset` never becomes resident; the
/// rows are written here, in parallel, so every page is faulted in once, by a write (a
/// lazily zeroed page would fault twice inside the random-access fold: read, then copy).
pub(super) fn empty_rows(n: usize) -> (Vec<f64>, usize) {
    let bytes = n * WIDTH * 8;
    let align = if bytes >= HUGE_MIN_BYTES {
        HUGE_PAGE
    } else {
        64
    };
    let mut buffer = vec![0.0f64; n * WIDTH + align / 8];
    let misalignment = buffer.as_ptr() as usize % align;
    let offset = ((align - misalignment) % align) / 8;
    let rows = buffer[offset..offset + n * WIDTH]
        .as_chunks_mut::<WIDTH>()
        .0;
    if align == HUGE_PAGE {
        advise_huge_pages(rows);
    }
    rows.par_iter_mut()
        .with_min_len(MIN_ROWS_PER_TASK)
        .for_each(|r| *r = EMPTY_ROW);
    (buffer, offset)
}

/// Asks the kernel to back `rows` with transparent huge pages. Only a hint: failure (old
/// kernel, THP disabled) leaves ordinary pages and the same results.
#[cfg(target_os = "linux")]
fn advise_huge_pages(rows: &mut [Row]) {
    let start = rows.as_mut_ptr() as usize;
    let end = start + std::mem::size_of_val(rows);
    let (lo, hi) = (
        start.next_multiple_of(HUGE_PAGE),
        end / HUGE_PAGE * HUGE_PAGE,
    );
    if hi > lo {
        // SAFETY: [lo, hi) lies inside `rows`, a live allocation we hold mutably; the advice
        // changes how its untouched pages are backed, never their contents.
        unsafe {
            libc::madvise(lo as *mut libc::c_void, hi - lo, libc::MADV_HUGEPAGE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge_pages(_rows: &mut [Row]) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_aligned_and_empty() {
        for n in [0usize, 1, 7, 100_000] {
            let (buffer, offset) = empty_rows(n);
            let rows = &buffer[offset..offset + n * WIDTH];
            let align = if n * WIDTH * 8 >= HUGE_MIN_BYTES {
                HUGE_PAGE
            } else {
                64
            };
            assert_eq!(rows.as_ptr() as usize % align, 0);
            assert!(rows
                .as_chunks::<WIDTH>()
                .0
                .iter()
                .all(|r| r.map(f64::to_bits) == EMPTY_ROW.map(f64::to_bits)));
        }
    }
}
