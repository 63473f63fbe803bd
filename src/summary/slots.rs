//! Customer ids -> dense accumulator slots, in ascending id order, without a general
//! factorisation: narrow integer ranges map by subtraction (no pass, no memory), other
//! integer ids through one hash pass and a sort of the distinct ids only.

use rayon::prelude::*;

use crate::error::{ClmError, Result};
use crate::parallel::CHUNK;

/// How row `i` finds its slot. Slots are ordered like the customer ids they stand for.
pub enum Slots<'a> {
    /// Codes in `0..n` from a factorisation done by the caller (slot = code = output id).
    Codes(&'a [i64]),
    /// Integer ids whose range is at most the number of rows: slot = id - min.
    Range { ids: &'a [i64], min: i64 },
    /// Other integer ids: slot = rank of the id among the distinct ids (`sorted`).
    Ranked { ranks: Vec<u32>, sorted: Vec<i64> },
}

impl Slots<'_> {
    /// The slot of row `i`.
    #[inline(always)]
    pub fn slot(&self, i: usize) -> usize {
        match self {
            Slots::Codes(codes) => codes[i] as usize,
            Slots::Range { ids, min } => ids[i].wrapping_sub(*min) as usize,
            Slots::Ranked { ranks, .. } => ranks[i] as usize,
        }
    }

    /// Number of log rows mapped.
    pub fn len(&self) -> usize {
        match self {
            Slots::Codes(codes) => codes.len(),
            Slots::Range { ids, .. } => ids.len(),
            Slots::Ranked { ranks, .. } => ranks.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The customer id reported for `slot`.
    pub fn id_of(&self, slot: usize) -> i64 {
        match self {
            Slots::Codes(_) => slot as i64,
            Slots::Range { min, .. } => min + slot as i64,
            Slots::Ranked { sorted, .. } => sorted[slot],
        }
    }
}

/// Slots of caller-supplied codes, checked to lie in `0..n_codes`.
pub fn from_codes(codes: &[i64], n_codes: usize) -> Result<(Slots<'_>, usize)> {
    let bad = codes
        .par_iter()
        .with_min_len(crate::numeric::grain::ITEMS_STREAM)
        .position_first(|&c| c < 0 || c as usize >= n_codes);
    if let Some(row) = bad {
        return Err(ClmError::invalid_value(
            "customer ids",
            row,
            codes[row],
            "code out of range",
        ));
    }
    Ok((Slots::Codes(codes), n_codes))
}

/// Slots of raw integer ids (the number of slots is returned alongside).
pub fn from_ids(ids: &[i64]) -> Result<(Slots<'_>, usize)> {
    let Some((min, max)) = min_max(ids) else {
        return Ok((Slots::Range { ids, min: 0 }, 0));
    };
    let range = i128::from(max) - i128::from(min) + 1;
    // A range no wider than the log costs no more memory than one slot per row would.
    if range <= ids.len() as i128 {
        return Ok((Slots::Range { ids, min }, range as usize));
    }
    ranked(ids)
}

fn min_max(ids: &[i64]) -> Option<(i64, i64)> {
    ids.par_chunks(16 * CHUNK)
        .map(|c| {
            c.iter()
                .fold((i64::MAX, i64::MIN), |(lo, hi), &x| (lo.min(x), hi.max(x)))
        })
        .reduce_with(|a, b| (a.0.min(b.0), a.1.max(b.1)))
}

/// Open-addressing hash of the ids (codes in order of first appearance), then the distinct ids
/// are sorted and every row's code is replaced by the rank of its id.
fn ranked(ids: &[i64]) -> Result<(Slots<'_>, usize)> {
    let mut table = IdTable::with_capacity(1024);
    let mut codes: Vec<u32> = Vec::with_capacity(ids.len());
    for &id in ids {
        codes.push(table.code_of(id)?);
    }
    let distinct = table.into_ids();
    let mut order: Vec<u32> = (0..distinct.len() as u32).collect();
    order.par_sort_unstable_by_key(|&c| distinct[c as usize]);
    let mut rank_of_code = vec![0u32; distinct.len()];
    for (rank, &code) in order.iter().enumerate() {
        rank_of_code[code as usize] = rank as u32;
    }
    codes
        .par_iter_mut()
        .with_min_len(crate::numeric::grain::ITEMS_STREAM)
        .for_each(|c| *c = rank_of_code[*c as usize]);
    let sorted: Vec<i64> = order.iter().map(|&c| distinct[c as usize]).collect();
    let n = sorted.len();
    Ok((
        Slots::Ranked {
            ranks: codes,
            sorted,
        },
        n,
    ))
}

/// Linear-probing id -> code table, grown at half load.
struct IdTable {
    keys: Vec<i64>,
    codes: Vec<u32>,
    ids: Vec<i64>,
    mask: usize,
}

const EMPTY: u32 = u32::MAX;

impl IdTable {
    fn with_capacity(cap: usize) -> Self {
        let size = cap.next_power_of_two().max(16);
        IdTable {
            keys: vec![0; size],
            codes: vec![EMPTY; size],
            ids: Vec::new(),
            mask: size - 1,
        }
    }

    fn slot_of(&self, id: i64) -> usize {
        // Fibonacci hashing: the high bits of a multiplicative hash spread sequential ids.
        let h = (id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (h >> (64 - self.mask.count_ones())) as usize
    }

    fn code_of(&mut self, id: i64) -> Result<u32> {
        let mut s = self.slot_of(id);
        loop {
            let code = self.codes[s];
            if code == EMPTY {
                break;
            }
            if self.keys[s] == id {
                return Ok(code);
            }
            s = (s + 1) & self.mask;
        }
        let code = u32::try_from(self.ids.len())
            .ok()
            .filter(|&c| c != EMPTY)
            .ok_or_else(|| {
                ClmError::InvalidArgument("more than 4 billion distinct customer ids".into())
            })?;
        self.keys[s] = id;
        self.codes[s] = code;
        self.ids.push(id);
        if 2 * self.ids.len() > self.keys.len() {
            self.grow();
        }
        Ok(code)
    }

    fn grow(&mut self) {
        let mut bigger = IdTable::with_capacity(2 * self.keys.len());
        for (code, &id) in self.ids.iter().enumerate() {
            let mut s = bigger.slot_of(id);
            while bigger.codes[s] != EMPTY {
                s = (s + 1) & bigger.mask;
            }
            bigger.keys[s] = id;
            bigger.codes[s] = code as u32;
        }
        bigger.ids = std::mem::take(&mut self.ids);
        *self = bigger;
    }

    fn into_ids(self) -> Vec<i64> {
        self.ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(s: &Slots<'_>, i: usize) -> usize {
        match s {
            Slots::Codes(c) => c[i] as usize,
            Slots::Range { ids, min } => (ids[i] - min) as usize,
            Slots::Ranked { ranks, .. } => ranks[i] as usize,
        }
    }

    #[test]
    fn narrow_ranges_map_by_subtraction() {
        let ids = [7, 5, 7, 6];
        let (s, n) = from_ids(&ids).unwrap();
        assert!(matches!(s, Slots::Range { min: 5, .. }));
        assert_eq!(n, 3);
        assert_eq!(
            (0..4).map(|i| slot(&s, i)).collect::<Vec<_>>(),
            vec![2, 0, 2, 1]
        );
        assert_eq!(s.id_of(2), 7);
    }

    #[test]
    fn sparse_ids_are_ranked_in_ascending_order() {
        let ids: Vec<i64> = (0..5000)
            .map(|i| ((i * 7919) % 3001) as i64 * 1_000_003 - 40_000_000)
            .collect();
        let (s, n) = from_ids(&ids).unwrap();
        let mut distinct = ids.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert!(matches!(s, Slots::Ranked { .. }));
        assert_eq!(n, distinct.len());
        for (i, &id) in ids.iter().enumerate() {
            assert_eq!(s.id_of(slot(&s, i)), id);
        }
        assert_eq!((0..n).map(|k| s.id_of(k)).collect::<Vec<_>>(), distinct);
    }

    #[test]
    fn extreme_ids_do_not_overflow() {
        let ids = [i64::MIN, i64::MAX, 0, i64::MIN];
        let (s, n) = from_ids(&ids).unwrap();
        assert_eq!(n, 3);
        assert_eq!(
            (0..n).map(|k| s.id_of(k)).collect::<Vec<_>>(),
            vec![i64::MIN, 0, i64::MAX]
        );
        assert!(from_codes(&[0, 3], 3).is_err());
        assert_eq!(from_ids(&[]).unwrap().1, 0);
    }
}
