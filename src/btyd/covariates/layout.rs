//! Which base parameter each covariate block scales, and where each coefficient lives in the
//! optimiser's vector (log base parameters, then the free coefficients).
//!
//! Links follow Fader & Hardie's note "Incorporating time-invariant covariates into the
//! Pareto/NBD and BG/NBD models" (2007) as pymc-marketing parameterises them, so fits compare
//! directly: a rate's Gamma scale alpha_i = alpha exp(-g'z) (purchase), Pareto/NBD's
//! beta_i = beta exp(-g'z) (dropout), BG/NBD's a_i = a exp(g_a'z), b_i = b exp(g_b'z) (two
//! dropout vectors, as pymc-marketing), BG/BB's four beta parameters exp(g'z) each, and the
//! Gamma-Gamma scale of nu, v_i = v exp(g'z) (spend rises with g'z).

use serde::{Deserialize, Serialize};

use crate::btyd::ModelKind;
use crate::error::{ClmError, Result};

/// One coefficient block: the covariates of `process` scaling base parameter `param` by
/// exp(sign z'g).
pub struct Link {
    pub block: &'static str,
    pub process: &'static str,
    pub param: usize,
    pub sign: f64,
}

const fn link(block: &'static str, process: &'static str, param: usize, sign: f64) -> Link {
    Link {
        block,
        process,
        param,
        sign,
    }
}

const BG: &[Link] = &[
    link("purchase", "purchase", 1, -1.0),
    link("dropout_a", "dropout", 2, 1.0),
    link("dropout_b", "dropout", 3, 1.0),
];
const PARETO: &[Link] = &[
    link("purchase", "purchase", 1, -1.0),
    link("dropout", "dropout", 3, -1.0),
];
const BGBB: &[Link] = &[
    link("purchase_alpha", "purchase", 0, 1.0),
    link("purchase_beta", "purchase", 1, 1.0),
    link("dropout_gamma", "dropout", 2, 1.0),
    link("dropout_delta", "dropout", 3, 1.0),
];
const SPEND: &[Link] = &[link("spend", "spend", 2, 1.0)];

/// The coefficient blocks of model `kind`.
pub fn links(kind: ModelKind) -> &'static [Link] {
    match kind {
        ModelKind::BgNbd | ModelKind::MbgNbd => BG,
        ModelKind::ParetoNbd => PARETO,
        ModelKind::Bgbb => BGBB,
        ModelKind::GammaGamma => SPEND,
    }
}

/// What the caller asked for: covariate names (the columns of the covariate matrix), the
/// covariates of each process, shared coefficients and L2 penalties.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct CovariateSpec {
    /// Columns of the covariate matrix, in order.
    pub names: Vec<String>,
    pub purchase: Vec<String>,
    pub dropout: Vec<String>,
    pub spend: Vec<String>,
    /// Covariates whose coefficient is one parameter shared by every block they enter.
    pub constrained: Vec<String>,
    /// L2 penalty (on the mean negative log-likelihood) per process.
    pub penalizer_purchase: f64,
    pub penalizer_dropout: f64,
    pub penalizer_spend: f64,
}

impl CovariateSpec {
    fn of_process(&self, process: &str) -> &[String] {
        match process {
            "purchase" => &self.purchase,
            "dropout" => &self.dropout,
            _ => &self.spend,
        }
    }
    fn penalizer(&self, process: &str) -> f64 {
        match process {
            "purchase" => self.penalizer_purchase,
            "dropout" => self.penalizer_dropout,
            _ => self.penalizer_spend,
        }
    }
}

/// One block as laid out: its link and its (covariate column, free coefficient) pairs.
pub struct Block {
    pub name: &'static str,
    pub param: usize,
    pub sign: f64,
    pub covs: Vec<(usize, usize)>,
}

/// The optimiser's vector: `k` log base parameters, then `n_free` coefficients.
pub struct Layout {
    pub k: usize,
    pub blocks: Vec<Block>,
    pub n_free: usize,
    /// L2 penalty of each free coefficient.
    pub penalty: Vec<f64>,
    /// (block, covariate name, free index) of every reported coefficient.
    pub rows: Vec<(String, String, usize)>,
}

impl Layout {
    /// Checks `spec` against the model's blocks and lays the coefficients out.
    pub fn new(model: ModelKind, k: usize, spec: &CovariateSpec) -> Result<Layout> {
        let links = links(model);
        let column = |name: &str| {
            spec.names.iter().position(|n| n == name).ok_or_else(|| {
                ClmError::InvalidArgument(format!(
                    "covariate {name:?} is not a column of the covariates {:?}",
                    spec.names
                ))
            })
        };
        for (i, n) in spec.names.iter().enumerate() {
            if spec.names[..i].contains(n) {
                return Err(ClmError::InvalidArgument(format!(
                    "covariate {n:?} appears twice"
                )));
            }
        }
        for p in [
            spec.penalizer_purchase,
            spec.penalizer_dropout,
            spec.penalizer_spend,
        ] {
            if !(p.is_finite() && p >= 0.0) {
                return Err(ClmError::InvalidArgument(format!(
                    "covariate_penalizer must be finite and >= 0, got {p}"
                )));
            }
        }
        for process in ["purchase", "dropout", "spend"] {
            let list = spec.of_process(process);
            if !list.is_empty() && !links.iter().any(|l| l.process == process) {
                return Err(ClmError::InvalidArgument(format!(
                    "this model has no {process} process: {process}_covariates must be empty"
                )));
            }
            for (i, n) in list.iter().enumerate() {
                column(n)?;
                if list[..i].contains(n) {
                    return Err(ClmError::InvalidArgument(format!(
                        "{process}_covariates lists {n:?} twice"
                    )));
                }
            }
        }
        for c in &spec.constrained {
            column(c)?;
            if !(spec.purchase.contains(c) && spec.dropout.contains(c)) {
                return Err(ClmError::InvalidArgument(format!(
                    "constrain_covariates: {c:?} must be both a purchase and a dropout covariate"
                )));
            }
        }
        let mut shared: Vec<(String, usize)> = Vec::new();
        let (mut blocks, mut rows, mut penalty) = (Vec::new(), Vec::new(), Vec::new());
        for l in links {
            let mut covs = Vec::new();
            for name in spec.of_process(l.process) {
                let col = column(name)?;
                let free = match shared.iter().find(|(n, _)| n == name) {
                    Some((_, f)) => *f,
                    None => {
                        penalty.push(spec.penalizer(l.process));
                        if spec.constrained.contains(name) {
                            shared.push((name.clone(), penalty.len() - 1));
                        }
                        penalty.len() - 1
                    }
                };
                covs.push((col, free));
                rows.push((l.block.to_string(), name.clone(), free));
            }
            blocks.push(Block {
                name: l.block,
                param: l.param,
                sign: l.sign,
                covs,
            });
        }
        Ok(Layout {
            k,
            blocks,
            n_free: penalty.len(),
            penalty,
            rows,
        })
    }

    /// Per-customer natural parameters for covariate row `z`: base_j exp(sign z'g) for the
    /// linked j, base_j otherwise, written to `out` (length k).
    pub fn params_at(&self, base: &[f64], coefs: &[f64], z: &[f64], out: &mut [f64]) {
        out.copy_from_slice(base);
        for b in &self.blocks {
            let eta: f64 = b.covs.iter().map(|&(c, f)| z[c] * coefs[f]).sum();
            out[b.param] = base[b.param] * (b.sign * eta).exp();
        }
    }
}
