//! Named segments as a lookup table over the score grid.
//!
//! A scheme is a list of rules (segment name, score range per dimension, `None` = any
//! score). It is compiled once into a table with one segment per grid cell, which proves
//! that the rules cover every score combination exactly once; the per-customer work is then
//! a single table lookup.

use rayon::prelude::*;

use super::quantiles::check_bins;
use crate::error::{check_same_length, ClmError, Result};

const DIM_NAMES: [&str; 3] = ["R", "F", "M"];
const COLUMNS: [&str; 3] = ["r_score", "f_score", "m_score"];
/// How many offending cells an error message lists before summarising.
const SHOWN: usize = 12;
use crate::numeric::grain::SEGMENT_CHUNK as CHUNK;
const INVALID: u32 = u32::MAX;

#[derive(Debug, Clone, PartialEq)]
pub struct SegmentRule {
    pub name: String,
    /// Inclusive (low, high) score range for R, F and M; `None` matches every score.
    pub ranges: [Option<(i64, i64)>; 3],
}

#[derive(Debug, Clone, PartialEq)]
pub struct SegmentGrid {
    pub bins: usize,
    /// Which of R, F, M the scheme looks at.
    pub dims: [bool; 3],
    /// Segment index of each cell of the grid over the used dimensions (row-major, R first).
    pub table: Vec<i16>,
}

fn cell_name(scores: &[(usize, i64)]) -> String {
    scores
        .iter()
        .map(|&(d, s)| format!("{}{}", DIM_NAMES[d], s))
        .collect()
}

fn check_rule(rule: &SegmentRule, bins: usize) -> Result<()> {
    for (d, range) in rule.ranges.iter().enumerate() {
        if let Some((lo, hi)) = *range {
            if lo < 1 || hi > bins as i64 || lo > hi {
                return Err(ClmError::InvalidArgument(format!(
                    "segment {:?}: range {}{lo}-{hi} must satisfy 1 <= low <= high <= bins = {bins}",
                    rule.name, DIM_NAMES[d]
                )));
            }
        }
    }
    Ok(())
}

/// Compiles `rules` into a grid table, or explains which cells are uncovered or claimed by
/// more than one segment.
pub fn build_grid(rules: &[SegmentRule], bins: usize) -> Result<SegmentGrid> {
    check_bins(bins)?;
    if rules.is_empty() || rules.len() > i16::MAX as usize {
        return Err(ClmError::InvalidArgument(format!(
            "a scheme needs 1 to 32767 segments, got {}",
            rules.len()
        )));
    }
    for rule in rules {
        check_rule(rule, bins)?;
    }
    let mut dims = [false; 3];
    for (d, used) in dims.iter_mut().enumerate() {
        *used = rules.iter().any(|r| r.ranges[d].is_some());
    }
    let used: Vec<usize> = (0..3).filter(|&d| dims[d]).collect();
    let cells = bins.pow(used.len() as u32);
    let mut table = vec![-1i16; cells];
    let (mut uncovered, mut overlapping) = (Vec::new(), Vec::new());
    for (cell, slot) in table.iter_mut().enumerate() {
        let scores = cell_scores(cell, &used, bins);
        let hits: Vec<usize> = (0..rules.len())
            .filter(|&s| matches(&rules[s], &scores))
            .collect();
        match hits.as_slice() {
            [] => uncovered.push(cell_name(&scores)),
            [only] => *slot = *only as i16,
            many => {
                let names: Vec<&str> = many.iter().map(|&s| rules[s].name.as_str()).collect();
                overlapping.push(format!("{} ({})", cell_name(&scores), names.join(", ")));
            }
        }
    }
    if uncovered.is_empty() && overlapping.is_empty() {
        return Ok(SegmentGrid { bins, dims, table });
    }
    let mut problems = Vec::new();
    if !uncovered.is_empty() {
        problems.push(format!(
            "{} cell(s) in no segment: {}",
            uncovered.len(),
            listing(&uncovered)
        ));
    }
    if !overlapping.is_empty() {
        problems.push(format!(
            "{} cell(s) in several segments: {}",
            overlapping.len(),
            listing(&overlapping)
        ));
    }
    Err(ClmError::InvalidArgument(format!(
        "segment scheme must cover every score combination (1..={bins}) exactly once; {}",
        problems.join("; ")
    )))
}

fn listing(items: &[String]) -> String {
    let mut text = items
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > SHOWN {
        text.push_str(&format!(", ... ({} more)", items.len() - SHOWN));
    }
    text
}

/// Scores (dimension, score) of a cell index over the used dimensions.
fn cell_scores(mut cell: usize, used: &[usize], bins: usize) -> Vec<(usize, i64)> {
    let mut scores = vec![(0, 0); used.len()];
    for (slot, &d) in scores.iter_mut().zip(used).rev() {
        *slot = (d, (cell % bins) as i64 + 1);
        cell /= bins;
    }
    scores
}

fn matches(rule: &SegmentRule, scores: &[(usize, i64)]) -> bool {
    scores
        .iter()
        .all(|&(d, s)| rule.ranges[d].is_none_or(|(lo, hi)| lo <= s && s <= hi))
}

/// Segment index per row. `scores` holds R, F, M columns (`None` for a dimension the caller
/// does not have; the grid must not use it). Scores must be whole numbers in 1..=bins.
/// Segment of each of `n_rows` rows. A scheme that constrains no score (one segment matching
/// everyone) reads no column, so the row count is given rather than taken from a column.
pub fn lookup(grid: &SegmentGrid, scores: [Option<&[f64]>; 3], n_rows: usize) -> Result<Vec<i16>> {
    let mut columns: Vec<(usize, &[f64])> = Vec::new();
    for d in (0..3).filter(|&d| grid.dims[d]) {
        match scores[d] {
            Some(col) => columns.push((d, col)),
            None => {
                return Err(ClmError::InvalidArgument(format!(
                    "the scheme uses {} but no {} was given",
                    DIM_NAMES[d], COLUMNS[d]
                )))
            }
        }
    }
    let mut lengths: Vec<(&str, usize)> = vec![("rfm rows", n_rows)];
    lengths.extend(columns.iter().map(|&(d, c)| (COLUMNS[d], c.len())));
    check_same_length(&lengths)?;
    let n = n_rows;
    let bins = grid.bins;
    let max = bins as f64;
    // `as i64` truncates in one instruction; `floor` is a libm call on baseline x86-64.
    let valid = |s: f64| s >= 1.0 && s <= max && (s as i64) as f64 == s;
    // One pass computes every cell; invalid rows are marked -1 and explained afterwards, so the
    // error always names the lowest bad row whatever the thread count.
    let mut out = vec![0i16; n];
    out.par_chunks_mut(CHUNK)
        .enumerate()
        .for_each(|(c, chunk)| {
            let start = c * CHUNK;
            // Column by column over the chunk, so each pass is a simple loop over contiguous data.
            let mut cells = vec![0u32; chunk.len()];
            for &(_, col) in &columns {
                for (cell, &s) in cells.iter_mut().zip(&col[start..start + chunk.len()]) {
                    *cell = if valid(s) && *cell != INVALID {
                        *cell * bins as u32 + (s as u32 - 1)
                    } else {
                        INVALID
                    };
                }
            }
            for (slot, &cell) in chunk.iter_mut().zip(&cells) {
                *slot = if cell == INVALID {
                    -1
                } else {
                    grid.table[cell as usize]
                };
            }
        });
    let bad_chunk = out
        .par_chunks(CHUNK)
        .position_first(|chunk| chunk.iter().any(|&seg| seg < 0));
    let first_bad = bad_chunk.and_then(|c| {
        out[c * CHUNK..]
            .iter()
            .position(|&seg| seg < 0)
            .map(|j| c * CHUNK + j)
    });
    if let Some(row) = first_bad {
        if let Some(&(d, col)) = columns.iter().find(|(_, col)| !valid(col[row])) {
            return Err(ClmError::invalid_value(
                COLUMNS[d],
                row,
                col[row],
                &format!("scores must be whole numbers from 1 to {bins}"),
            ));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(name: &str, r: (i64, i64), f: (i64, i64)) -> SegmentRule {
        SegmentRule {
            name: name.into(),
            ranges: [Some(r), Some(f), None],
        }
    }

    #[test]
    fn compiles_and_looks_up() {
        let rules = [
            rule("low", (1, 1), (1, 2)),
            rule("high", (2, 2), (1, 2)),
            rule("mid", (1, 1), (2, 2)),
        ];
        let err = build_grid(&rules, 2).unwrap_err().to_string();
        assert!(err.contains("R1F2 (low, mid)"), "{err}");
        let rules = [rule("low", (1, 1), (1, 2)), rule("high", (2, 2), (2, 2))];
        let err = build_grid(&rules, 2).unwrap_err().to_string();
        assert!(err.contains("in no segment: R2F1"), "{err}");
        let rules = [rule("low", (1, 1), (1, 2)), rule("high", (2, 2), (1, 2))];
        let grid = build_grid(&rules, 2).unwrap();
        let got = lookup(
            &grid,
            [Some(&[1.0, 2.0, 2.0]), Some(&[2.0, 1.0, 2.0]), None],
            3,
        )
        .unwrap();
        assert_eq!(got, vec![0, 1, 1]);
        let err = lookup(&grid, [Some(&[1.0, 3.0]), Some(&[1.0, 1.0]), None], 2).unwrap_err();
        assert!(err
            .to_string()
            .starts_with("r_score: row 1 has invalid value 3"));
    }

    #[test]
    fn a_rule_constraining_no_score_matches_everyone() {
        let everyone = SegmentRule {
            name: "Everyone".into(),
            ranges: [None, None, None],
        };
        let grid = build_grid(&[everyone], 5).unwrap();
        assert_eq!(lookup(&grid, [None, None, None], 4).unwrap(), vec![0; 4]);
        // A column of the wrong length is still an error naming it.
        let grid = build_grid(&[rule("all", (1, 2), (1, 2))], 2).unwrap();
        let err = lookup(&grid, [Some(&[1.0]), Some(&[1.0, 2.0]), None], 2).unwrap_err();
        assert!(err.to_string().contains("r_score"), "{err}");
    }
}
