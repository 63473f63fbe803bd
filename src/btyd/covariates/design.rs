//! The data of a covariate fit laid out for the likelihood: customers grouped into *cells*
//! (customers with one covariate row, hence one set of per-customer parameters), each cell
//! holding its (frequency, recency, T)-like patterns sorted by frequency, so the model's own
//! `accumulate` (with its per-frequency caches) runs over a cell at that cell's parameters.
//!
//! With discrete covariates (every column with few distinct values) rows are grouped by
//! (covariate row, data row) with summed weights; otherwise every customer is its own cell.
//! Both orders are fixed by the data alone, and the work is cut into fixed chunks, so sums do
//! not depend on the thread count.

use std::ops::Range;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::btyd::Patterns;
use crate::error::{ClmError, Result};

/// A covariate column with at most this many distinct values counts as discrete.
pub const MAX_DISCRETE_LEVELS: usize = 64;

/// Patterns per chunk of the parallel likelihood (as the plain fit's `FIT_CHUNK`).
const CHUNK_PATTERNS: usize = 1024;

/// Customers grouped into cells of equal covariates, ready for the likelihood.
pub struct Design {
    /// All cells' patterns, cell after cell, in the data's time unit.
    pub patterns: Patterns,
    /// Covariate rows of the cells, row-major (`n_cells x n_covariates`).
    pub z: Vec<f64>,
    pub n_covariates: usize,
    /// Pattern range of each cell in `patterns`.
    pub cells: Vec<Range<usize>>,
    /// Work items (cell, pattern range) grouped into fixed chunks.
    pub chunks: Vec<Vec<(usize, Range<usize>)>>,
    /// True when rows were grouped by (covariate row, data row).
    pub grouped: bool,
}

/// Total-order key of a float (finite data; -0 folded into +0).
fn key(v: f64) -> u64 {
    (v + 0.0).to_bits()
}

/// True when every covariate column has at most [`MAX_DISCRETE_LEVELS`] distinct values.
pub fn all_discrete(z: &[f64], n_cov: usize) -> bool {
    if n_cov == 0 {
        return true;
    }
    (0..n_cov).all(|c| {
        let mut seen = FxHashSet::default();
        for row in z.chunks_exact(n_cov) {
            seen.insert(key(row[c]));
            if seen.len() > MAX_DISCRETE_LEVELS {
                return false;
            }
        }
        true
    })
}

impl Design {
    /// Lays out `columns` (the model's data columns), `weights` (1 when None; rows of
    /// weight 0 are left out) and covariates `z` (row-major, `n x n_cov`, already checked
    /// finite). `group` chooses grouping; None groups when all covariates are discrete.
    pub fn new(
        columns: &[&[f64]],
        weights: Option<&[f64]>,
        z: &[f64],
        n_cov: usize,
        group: Option<bool>,
    ) -> Result<Design> {
        let n = columns.first().map_or(0, |c| c.len());
        let k = columns.len();
        if z.len() != n * n_cov {
            return Err(ClmError::LengthMismatch(format!(
                "covariates have {} values, expected {n} rows x {n_cov} columns",
                z.len()
            )));
        }
        let weight = |i: usize| weights.map_or(1.0, |w| w[i]);
        let rows: Vec<usize> = (0..n).filter(|&i| weight(i) > 0.0).collect();
        let grouped = group.unwrap_or_else(|| all_discrete(z, n_cov));
        let zrow = |i: usize| &z[i * n_cov..(i + 1) * n_cov];
        // Cell of every kept row: input order without grouping, sorted covariate rows with it.
        let (cell_of, cell_rows): (Vec<usize>, Vec<usize>) = if grouped {
            let mut distinct: FxHashMap<Vec<u64>, usize> = FxHashMap::default();
            for &i in &rows {
                let k: Vec<u64> = zrow(i).iter().map(|&v| key(v)).collect();
                distinct.entry(k).or_insert(i);
            }
            let mut keys: Vec<(Vec<u64>, usize)> = distinct.into_iter().collect();
            keys.sort_unstable();
            let index: FxHashMap<&[u64], usize> = keys
                .iter()
                .enumerate()
                .map(|(c, (k, _))| (k.as_slice(), c))
                .collect();
            let cell_of = rows
                .iter()
                .map(|&i| {
                    let k: Vec<u64> = zrow(i).iter().map(|&v| key(v)).collect();
                    index[k.as_slice()]
                })
                .collect();
            (cell_of, keys.iter().map(|(_, first)| *first).collect())
        } else {
            ((0..rows.len()).collect(), rows.clone())
        };
        // Order rows by (cell, data row, input position): equal patterns become neighbours
        // and weights are summed in a fixed order.
        let mut order: Vec<usize> = (0..rows.len()).collect();
        let data_key = |i: usize| -> [u64; 4] {
            let mut out = [0u64; 4];
            for (o, c) in out.iter_mut().zip(columns) {
                *o = key(c[i]);
            }
            out
        };
        // Without grouping every row is its own cell, in input order: already sorted.
        if grouped {
            order.sort_unstable_by_key(|&j| (cell_of[j], data_key(rows[j]), j));
        }
        let mut flat = Vec::with_capacity(rows.len() * k);
        let mut w = Vec::with_capacity(rows.len());
        let mut cells = vec![0..0; cell_rows.len()];
        let mut last: Option<(usize, [u64; 4])> = None;
        for &j in &order {
            let i = rows[j];
            let this = (cell_of[j], data_key(i));
            // `last` is Some only after a push, so the weight to add to is there
            if let (true, Some(total)) = (grouped && last == Some(this), w.last_mut()) {
                *total += weight(i);
            } else {
                flat.extend(columns.iter().map(|c| c[i]));
                w.push(weight(i));
                let c = &mut cells[this.0];
                if c.start == c.end {
                    *c = w.len() - 1..w.len() - 1;
                }
                c.end = w.len();
            }
            last = Some(this);
        }
        let z_cells: Vec<f64> = cell_rows.iter().flat_map(|&i| zrow(i).to_vec()).collect();
        let chunks = chunk(&cells);
        Ok(Design {
            patterns: Patterns {
                k,
                rows: flat,
                weights: w,
                levels: vec![Vec::new(); k],
                codes: Vec::new(),
            },
            z: z_cells,
            n_covariates: n_cov,
            cells,
            chunks,
            grouped,
        })
    }

    /// Covariate row of cell `c`.
    pub fn z_of(&self, c: usize) -> &[f64] {
        &self.z[c * self.n_covariates..(c + 1) * self.n_covariates]
    }

    /// Every `every`-th cell, its weights times `every`: a systematic sample whose
    /// log-likelihood estimates the whole's without bias (the start of large fits).
    pub fn sample(&self, every: usize) -> Design {
        let every = every.max(1);
        let k = self.patterns.k;
        let (mut rows, mut weights, mut z, mut cells) = (vec![], vec![], vec![], vec![]);
        for (c, range) in self.cells.iter().enumerate().step_by(every) {
            let start = weights.len();
            for i in range.clone() {
                rows.extend_from_slice(self.patterns.row(i));
                weights.push(self.patterns.weights[i] * every as f64);
            }
            z.extend_from_slice(self.z_of(c));
            cells.push(start..weights.len());
        }
        let chunks = chunk(&cells);
        Design {
            patterns: Patterns {
                k,
                rows,
                weights,
                levels: vec![Vec::new(); k],
                codes: Vec::new(),
            },
            z,
            n_covariates: self.n_covariates,
            cells,
            chunks,
            grouped: self.grouped,
        }
    }

    /// Largest value of data column `c` (the time scale when c is T).
    pub fn max_of(&self, c: usize) -> f64 {
        let k = self.patterns.k;
        self.patterns
            .rows
            .iter()
            .skip(c)
            .step_by(k)
            .fold(0.0, |m: f64, &v| m.max(v))
    }

    /// Divides the data columns `columns` by `scale`.
    pub fn rescale(&mut self, columns: &[usize], scale: f64) {
        let k = self.patterns.k;
        for row in self.patterns.rows.chunks_exact_mut(k) {
            columns.iter().for_each(|&c| row[c] /= scale);
        }
    }
}

/// Work items of at most [`CHUNK_PATTERNS`] patterns, packed into chunks of about that many
/// patterns (a cell with many patterns is split; many one-customer cells share a chunk).
fn chunk(cells: &[Range<usize>]) -> Vec<Vec<(usize, Range<usize>)>> {
    let mut chunks = Vec::new();
    let mut current: Vec<(usize, Range<usize>)> = Vec::new();
    let mut size = 0;
    for (c, range) in cells.iter().enumerate() {
        let mut start = range.start;
        while start < range.end {
            let end = (start + CHUNK_PATTERNS - size).min(range.end);
            current.push((c, start..end));
            size += end - start;
            start = end;
            if size >= CHUNK_PATTERNS {
                chunks.push(std::mem::take(&mut current));
                size = 0;
            }
        }
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    chunks
}
