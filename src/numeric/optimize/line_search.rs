//! The backtracking line search every Newton-type loop of clmkit uses (the damped Newton of
//! [`super::newton`] for survival, contractual, Gamma-Gamma, the BTYD models and the Dask
//! driver, and the BHHH quasi-Newton of [`super::bhhh`]).
//!
//! From `x` along a direction `d` with slope `g·d < 0`, trials `x + t d` are evaluated with
//! `t` shrinking from `t0` until one is accepted (Nocedal & Wright 2006, Algorithm 3.1). What
//! "accepted" means is the caller's rule ([`Accept`]); one extra rule is shared: near an
//! optimum the objective changes below its own rounding, so a trial whose value is within
//! rounding of the current one and whose largest gradient component is smaller is progress
//! too ([`Flat`]).

use crate::error::Result;

/// A point the line search can rank: its objective value and gradient.
pub trait Trial {
    fn value(&self) -> f64;
    fn gradient(&self) -> &[f64];
    /// Whether the point may be accepted at all (the value is finite by default; callers
    /// whose gradient can overflow alone also require a finite gradient).
    fn finite(&self) -> bool {
        self.value().is_finite()
    }
}

/// When a trial with a finite value is good enough.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Accept {
    /// No increase beyond `slack · max(|f|, 1)`: the step-halving of R's `coxph` and
    /// lifelines, for (near-)convex objectives.
    NoIncrease { slack: f64 },
    /// Armijo's sufficient decrease `f(x + t d) <= f(x) + c t g·d`.
    Armijo { c: f64 },
    /// Any strictly lower value.
    Lower,
    /// Only the [`Flat`] rule (a Newton step in its polish regime).
    FlatOnly,
}

/// The "within rounding and a smaller gradient" rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Flat {
    Off,
    /// `f(trial) <= f + rel · max(|f|, 1)`.
    Below(f64),
    /// `|f(trial) - f| <= rel · max(|f|, 1)`.
    Within(f64),
}

/// A line-search rule set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backtrack {
    /// Trials evaluated before the search gives up.
    pub max_tries: usize,
    /// Factor on `t` after a finite but refused trial.
    pub shrink: f64,
    /// Factor on `t` after a trial outside the domain or with a non-finite value (a far step
    /// overflowed: shrinking harder saves evaluations).
    pub shrink_nonfinite: f64,
    pub accept: Accept,
    pub flat: Flat,
}

/// An accepted trial: the new point, its evaluation and the evaluations spent.
pub struct Step<E> {
    pub x: Vec<f64>,
    pub point: E,
    pub n_eval: usize,
}

/// How a search that accepted nothing ended.
pub struct Refused {
    /// The last `t` (after its final shrink) and the evaluations spent.
    pub t: f64,
    pub n_eval: usize,
}

pub(crate) fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0, |m, x| m.max(x.abs()))
}

impl Backtrack {
    fn accepts<E: Trial>(&self, trial: &E, f: f64, g_max: f64, t: f64, slope: f64) -> bool {
        if !trial.finite() {
            return false;
        }
        let v = trial.value();
        let scale = f.abs().max(1.0);
        let decrease = match self.accept {
            Accept::NoIncrease { slack } => v <= f + slack * scale,
            Accept::Armijo { c } => v <= f + c * t * slope,
            Accept::Lower => v < f,
            Accept::FlatOnly => false,
        };
        let flat = match self.flat {
            Flat::Off => false,
            Flat::Below(rel) => v <= f + rel * scale,
            Flat::Within(rel) => (v - f).abs() <= rel * scale,
        };
        decrease || (flat && max_abs(trial.gradient()) < g_max)
    }

    /// Searches from `x` (value `f`, gradient `g`) along `d` starting at `t0`; `slope` is
    /// `g·d`. `eval` returns `Ok(None)` outside the domain and `Err` for problems with the
    /// data (passed on).
    pub fn search<E: Trial>(
        &self,
        x: &[f64],
        d: &[f64],
        t0: f64,
        (f, g, slope): (f64, &[f64], f64),
        eval: &mut dyn FnMut(&[f64]) -> Result<Option<E>>,
    ) -> Result<std::result::Result<Step<E>, Refused>> {
        let g_max = max_abs(g);
        let mut t = t0;
        for k in 0..self.max_tries {
            let trial: Vec<f64> = x.iter().zip(d).map(|(a, s)| a + t * s).collect();
            let point = eval(&trial)?;
            let finite_value = point.as_ref().is_some_and(|p| p.value().is_finite());
            if let Some(p) = point {
                if self.accepts(&p, f, g_max, t, slope) {
                    return Ok(Ok(Step {
                        x: trial,
                        point: p,
                        n_eval: k + 1,
                    }));
                }
            }
            t *= if finite_value {
                self.shrink
            } else {
                self.shrink_nonfinite
            };
        }
        Ok(Err(Refused {
            t,
            n_eval: self.max_tries,
        }))
    }
}
