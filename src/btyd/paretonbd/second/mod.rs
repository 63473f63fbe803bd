//! The Pareto/NBD log-likelihood of one customer with its exact gradient and Hessian, for
//! Newton fits (the covariate fit's cells) that would otherwise difference the gradient.
//!
//! From Fader & Hardie's note (2005, eq. 22 - 24; see the module notes of `super`):
//!   ll = ln Γ(r+x) - ln Γ(r) + r ln α + s ln β + ln(e^A + e^D),
//!   A  = -(r+x) ln(α+T) - s ln(β+T)                    (alive at T),
//!   D  = ln s + ln(F(t_x) - F(T))                       (died in (t_x, T]),
//! with F(u) = ∫_u^∞ (α+τ)^-(r+x) (β+τ)^-(s+1) dτ. Derivation of the second derivatives:
//! - ln Γ(r+x) - ln Γ(r): ψ'(r+x) - ψ'(r) in r; r ln α: 1/α (r, α), -r/α² (α, α); likewise
//!   s ln β.
//! - A: d²/dr dα = -1/(α+T), d²/dα² = (r+x)/(α+T)², and the same for (s, β).
//! - ln(e^A + e^D) (log-sum-exp) with weights w_A + w_D = 1:
//!   H = w_A H_A + w_D H_D + w_A w_D (g_A - g_D)(g_A - g_D)'.
//! - D: with f_i = ln F at t_x (i = 1) and T (i = 2), ρ = e^(f_2 - f_1) and
//!   m = (g_1 - ρ g_2) / (1 - ρ) the gradient of ln(F_1 - F_2), the identity
//!   ∇²F / F = ∇² ln F + ∇ln F ∇ln F' gives
//!   ∇² ln(F_1 - F_2) = [(H_1 + g_1 g_1') - ρ (H_2 + g_2 g_2')] / (1 - ρ) - m m',
//!   plus -1/s² in (s, s) from ln s.
//! - ln F(u) from the unit series (see `tail`): for α >= β, z = (α-β)/(α+u) and
//!   ln F = -(r+x) ln(α+u) - s ln(β+u) - ln(r+s+x) + ln S(r+x, r+s+x+1, z); for α < β,
//!   z = (β-α)/(β+u) and ln F = (1-r-x) ln(α+u) - (s+1) ln(β+u) - ln(r+s+x)
//!   \+ ln S(s+1, r+s+x+1, z). Its Hessian is the chain rule through (p, g, z) with
//!   the Hessian of ln S ([`unit_series2`]) and the second derivatives of z.
//! - ln S: S = Σ t_n with ln t_n = Σ_{k<n} [ln(p+k) - ln(g+k)] + n ln z, so
//!   ∂² t_n = t_n (∇ln t_n ∇ln t_n' + ∇² ln t_n) with ∇² ln t_n = diag(-Σ 1/(p+k)²,
//!   Σ 1/(g+k)², -n/z²), and ∇² ln S = Σ ∂² t_n / S - ∇ln S ∇ln S'.
//!
//! Where the series is not used (z > 0.99, the quadrature route of `tail`) this returns
//! None and callers difference the gradient instead.

use super::tail::{ln_tail, SERIES_MAX_Z};
use super::{alive_term, combine, dead_term, Constants, Params};
use crate::numeric::special::{digamma, ln_gamma, trigamma};

/// Largest whole frequency tabulated by [`FrequencyTable`].
const MAX_TABULATED: f64 = 100_000.0;

/// The frequency terms (ln Γ(r+x) - ln Γ(r), ψ(r+x) - ψ(r), ψ'(r+x) - ψ'(r)) at whole x up
/// to the data's largest, for one r: customers who share r (every covariate Pareto/NBD
/// cell: covariates scale α and β only) then need no special function of their own.
pub struct FrequencyTable {
    r: f64,
    terms: Vec<(f64, f64, f64)>,
}

impl FrequencyTable {
    /// The table for shape `r` up to frequency `max_x` (empty beyond [`MAX_TABULATED`]).
    pub fn new(r: f64, max_x: f64) -> FrequencyTable {
        let (lgr, dgr, tgr) = (ln_gamma(r), digamma(r), trigamma(r));
        let top = if max_x.is_finite() && max_x <= MAX_TABULATED {
            max_x as usize
        } else {
            0
        };
        let terms = (0..=top)
            .map(|x| {
                if x == 0 {
                    return (0.0, 0.0, 0.0);
                }
                let rx = r + x as f64;
                (ln_gamma(rx) - lgr, digamma(rx) - dgr, trigamma(rx) - tgr)
            })
            .collect();
        FrequencyTable { r, terms }
    }

    /// The terms at `x` for shape `r`, from the table when it holds them.
    fn at(&self, r: f64, x: f64) -> (f64, f64, f64) {
        if r == self.r && x.fract() == 0.0 && x >= 0.0 && (x as usize) < self.terms.len() {
            return self.terms[x as usize];
        }
        if x == 0.0 {
            return (0.0, 0.0, 0.0);
        }
        (
            ln_gamma(r + x) - ln_gamma(r),
            digamma(r + x) - digamma(r),
            trigamma(r + x) - trigamma(r),
        )
    }
}

/// `loglik_grad` (same arithmetic, same result) with the frequency terms from `table` and
/// the tails computed directly: per-customer parameters defeat the memos of the plain fit.
pub fn loglik_grad_table(
    p: &Params,
    x: f64,
    tx: f64,
    t: f64,
    table: &FrequencyTable,
    grad: &mut [f64],
) -> f64 {
    let [r, alpha, s, beta] = *p;
    let c = Constants {
        params: *p,
        ln_gamma_r: f64::NAN,
        digamma_r: f64::NAN,
        ln_alpha: alpha.ln(),
        ln_beta: beta.ln(),
        ln_s: s.ln(),
        inv_s: 1.0 / s,
        r_over_alpha: r / alpha,
        s_over_beta: s / beta,
    };
    let alive = alive_term(p, x, t, (alpha + t).ln(), (beta + t).ln());
    let dead = if tx >= t {
        (f64::NEG_INFINITY, [0.0; 4])
    } else {
        dead_term(c.ln_s, c.inv_s, ln_tail(p, x, tx), ln_tail(p, x, t))
    };
    let (lg, dg, _) = table.at(r, x);
    combine(p, &c, (lg, dg), alive, dead, grad)
}

/// Relative truncation of the series' value and gradient sums (as `unit_series`).
const EPS: f64 = 1e-17;
/// Relative truncation of the second-derivative sums. The Hessian only shapes Newton steps
/// (their error is its relative error times the step) and the standard errors (quoted to a
/// few digits), so 1e-13 is ample; the value and gradient sums run on to [`EPS`], so the
/// optimum is unchanged. The second-derivative sums cost most per term, and for the usual
/// z ~ 0.1 - 0.6 this leaves off a quarter of their terms.
const EPS_SECOND: f64 = 1e-13;
/// Longest series summed here: z <= 0.99 needs a few thousand terms at most.
const MAX_TERMS: usize = 100_000;

/// ln S(p, g, z) = ln 2F1(1, p; g; z), its gradient in (p, g, z) and its Hessian as the
/// upper triangle (pp, pg, pz, gg, gz, zz).
#[derive(Debug, Clone, Copy)]
pub struct Series2 {
    pub ln_value: f64,
    pub d: [f64; 3],
    pub h: [f64; 6],
}

/// [`Series2`] for 0 < p < g (or any p, g > 0) and 0 <= z <= 0.99; None outside or when the
/// series has not converged.
pub fn unit_series2(p: f64, g: f64, z: f64) -> Option<Series2> {
    if !(p > 0.0 && g > 0.0 && (0.0..=SERIES_MAX_Z).contains(&z)) {
        return None;
    }
    if z == 0.0 {
        // S = 1 + (p/g) z + p(p+1)/(g(g+1)) z² + ...: only the z-derivatives survive.
        let dz = p / g;
        return Some(Series2 {
            ln_value: 0.0,
            d: [0.0, 0.0, dz],
            h: [
                0.0,
                0.0,
                1.0 / g,
                0.0,
                -p / (g * g),
                2.0 * p * (p + 1.0) / (g * (g + 1.0)) - dz * dz,
            ],
        });
    }
    // Sums over n >= 1 of t_n times: 1, P1, G1, n, P1² - P2, P1 G1, P1 n, G1² + G2, G1 n,
    // n(n-1), where P1 = Σ_{k<n} 1/(p+k), P2 = Σ 1/(p+k)², likewise G for g. The last six
    // stop at EPS_SECOND, the first four at EPS.
    let mut s = [0.0; 10];
    let (mut term, mut p1, mut p2, mut g1, mut g2) = (1.0, 0.0, 0.0, 0.0, 0.0);
    let mut second = true;
    for n in 0..MAX_TERMS {
        let k = n as f64;
        let (ip, ig) = (1.0 / (p + k), 1.0 / (g + k));
        let ratio = (p + k) * ig * z;
        p1 += ip;
        g1 += ig;
        term *= ratio;
        let m = k + 1.0;
        s[0] += term;
        s[1] += term * p1;
        s[2] += term * g1;
        s[3] += term * m;
        let q = ratio.max(z);
        let bound = (1.0 + s[0]) * (1.0 - q);
        if second {
            p2 += ip * ip;
            g2 += ig * ig;
            s[4] += term * (p1 * p1 - p2);
            s[5] += term * p1 * g1;
            s[6] += term * p1 * m;
            s[7] += term * (g1 * g1 + g2);
            s[8] += term * g1 * m;
            s[9] += term * m * k;
            let weight = (m + 1.0) * (m + 1.0) + (1.0 + p1 + g1) * (1.0 + p1 + g1);
            second = term * weight >= EPS_SECOND * bound;
        }
        if !second && term * (m + 1.0 + p1 + g1) < EPS * bound {
            let total = 1.0 + s[0];
            let d = [s[1] / total, -s[2] / total, s[3] / (z * total)];
            let h = [
                s[4] / total - d[0] * d[0],
                -s[5] / total - d[0] * d[1],
                s[6] / (z * total) - d[0] * d[2],
                s[7] / total - d[1] * d[1],
                -s[8] / (z * total) - d[1] * d[2],
                s[9] / (z * z * total) - d[2] * d[2],
            ];
            return Some(Series2 {
                ln_value: total.ln(),
                d,
                h,
            });
        }
    }
    None
}

/// Index of (i, j), i <= j, in a 4 x 4 upper triangle stored row by row.
const fn ut(i: usize, j: usize) -> usize {
    i * 4 - i * (i + 1) / 2 + j
}

/// ln F(u), its gradient in (r, α, s, β) and its Hessian (upper triangle, 10 entries), by
/// the unit series; None where `tail` would use quadrature.
pub fn ln_tail2(p: &Params, x: f64, u: f64) -> Option<(f64, [f64; 4], [f64; 10])> {
    let [r, alpha, s, beta] = *p;
    let logs = ((alpha + u).ln(), (beta + u).ln(), (r + s + x).ln());
    ln_tail2_with(p, x, u, logs)
}

/// [`ln_tail2`] given ln(α+u), ln(β+u) and ln(r+s+x).
fn ln_tail2_with(
    p: &Params,
    x: f64,
    u: f64,
    (la, lb, ln_a): (f64, f64, f64),
) -> Option<(f64, [f64; 4], [f64; 10])> {
    let [r, alpha, s, beta] = *p;
    let a = r + s + x;
    let (au, bu) = (alpha + u, beta + u);
    let mut h = [0.0; 10];
    // (p, g) of the series depend linearly on (r, s): dp/dr (or ds) = 1, dg/dr = dg/ds = 1.
    let (value, series, zd, zdd, p_of, mut g) = if alpha >= beta {
        let z = (alpha - beta) / au;
        let ser = unit_series2(r + x, a + 1.0, z)?;
        let g = [-la, -(r + x) / au, -lb, -s / bu];
        h[ut(0, 1)] = -1.0 / au;
        h[ut(1, 1)] = (r + x) / (au * au);
        h[ut(2, 3)] = -1.0 / bu;
        h[ut(3, 3)] = s / (bu * bu);
        let power = -(r + x) * la - s * lb;
        // z_α = (β+u)/(α+u)², z_β = -1/(α+u); z_αα = -2(β+u)/(α+u)³, z_αβ = 1/(α+u)².
        let zd = [0.0, bu / (au * au), 0.0, -1.0 / au];
        let zdd = [-2.0 * bu / (au * au * au), 1.0 / (au * au), 0.0];
        (power, ser, zd, zdd, 0usize, g)
    } else {
        let z = (beta - alpha) / bu;
        let ser = unit_series2(s + 1.0, a + 1.0, z)?;
        let g = [-la, (1.0 - r - x) / au, -lb, -(s + 1.0) / bu];
        h[ut(0, 1)] = -1.0 / au;
        h[ut(1, 1)] = -(1.0 - r - x) / (au * au);
        h[ut(2, 3)] = -1.0 / bu;
        h[ut(3, 3)] = (s + 1.0) / (bu * bu);
        let power = (1.0 - r - x) * la - (s + 1.0) * lb;
        // z_α = -1/(β+u), z_β = (α+u)/(β+u)²; z_αβ = 1/(β+u)², z_ββ = -2(α+u)/(β+u)³.
        let zd = [0.0, -1.0 / bu, 0.0, au / (bu * bu)];
        let zdd = [0.0, 1.0 / (bu * bu), -2.0 * au / (bu * bu * bu)];
        (power, ser, zd, zdd, 2usize, g)
    };
    // Jacobian of (p, g, z) in (r, α, s, β): p moves with r (α >= β) or s (α < β).
    let mut jac = [[0.0; 4]; 3];
    jac[0][p_of] = 1.0;
    jac[1][0] = 1.0;
    jac[1][2] = 1.0;
    jac[2] = zd;
    let sh = &series.h;
    let s_h = [
        [sh[0], sh[1], sh[2]],
        [sh[1], sh[3], sh[4]],
        [sh[2], sh[4], sh[5]],
    ];
    // J' S J with plain loops: column i of J is v_i = (jac[0][i], jac[1][i], jac[2][i]),
    // w_i = S v_i, and entry (i, j) is v_j' w_i (an iterator chain here cost a fifth of the
    // exact pass).
    let v: [[f64; 3]; 4] = std::array::from_fn(|i| [jac[0][i], jac[1][i], jac[2][i]]);
    let w: [[f64; 3]; 4] = std::array::from_fn(|i| {
        std::array::from_fn(|a| s_h[a][0] * v[i][0] + s_h[a][1] * v[i][1] + s_h[a][2] * v[i][2])
    });
    for i in 0..4 {
        g[i] += series.d[0] * v[i][0] + series.d[1] * v[i][1] + series.d[2] * v[i][2];
        for j in i..4 {
            h[ut(i, j)] += v[j][0] * w[i][0] + v[j][1] * w[i][1] + v[j][2] * w[i][2];
        }
    }
    // z's own curvature: (α, α), (α, β), (β, β).
    h[ut(1, 1)] += series.d[2] * zdd[0];
    h[ut(1, 3)] += series.d[2] * zdd[1];
    h[ut(3, 3)] += series.d[2] * zdd[2];
    // -ln(r+s+x): gradient -1/a in r and s, Hessian +1/a² in (r, r), (r, s), (s, s).
    let inv_a = 1.0 / a;
    g[0] -= inv_a;
    g[2] -= inv_a;
    for (i, j) in [(0, 0), (0, 2), (2, 2)] {
        h[ut(i, j)] += inv_a * inv_a;
    }
    Some((value - ln_a + series.ln_value, g, h))
}

/// Log-likelihood of one customer (x, t_x, T) at natural parameters `p`, with its gradient
/// `grad` and Hessian `hess` (4 x 4, row-major) in the log-parameters (ln r, ln α, ln s,
/// ln β); None where a tail needs quadrature.
pub fn loglik_log_second(
    p: &Params,
    (x, tx, t): (f64, f64, f64),
    table: &FrequencyTable,
    grad: &mut [f64; 4],
    hess: &mut [f64; 16],
) -> Option<f64> {
    let [r, alpha, s, beta] = *p;
    let (at, bt) = (alpha + t, beta + t);
    let (lat, lbt, ln_a) = (at.ln(), bt.ln(), (r + s + x).ln());
    // Alive term A.
    let ln_alive = -(r + x) * lat - s * lbt;
    let g_a = [-lat, -(r + x) / at, -lbt, -s / bt];
    let mut h_a = [0.0; 10];
    h_a[ut(0, 1)] = -1.0 / at;
    h_a[ut(1, 1)] = (r + x) / (at * at);
    h_a[ut(2, 3)] = -1.0 / bt;
    h_a[ut(3, 3)] = s / (bt * bt);
    // Dead term D (absent when t_x = T).
    let dead = if tx < t {
        let (f1, g1, h1) = ln_tail2_with(p, x, tx, ((alpha + tx).ln(), (beta + tx).ln(), ln_a))?;
        let (f2, g2, h2) = ln_tail2_with(p, x, t, (lat, lbt, ln_a))?;
        let rho = (f2 - f1).exp();
        let inv = 1.0 / (1.0 - rho);
        let mut m = [0.0; 4];
        for j in 0..4 {
            m[j] = (g1[j] - rho * g2[j]) * inv;
        }
        let mut h_d = [0.0; 10];
        for i in 0..4 {
            for j in i..4 {
                let k = ut(i, j);
                h_d[k] =
                    (h1[k] + g1[i] * g1[j] - rho * (h2[k] + g2[i] * g2[j])) * inv - m[i] * m[j];
            }
        }
        h_d[ut(2, 2)] -= 1.0 / (s * s);
        m[2] += 1.0 / s;
        Some((s.ln() + f1 + (-rho).ln_1p(), m, h_d))
    } else {
        None
    };
    // Log-sum-exp of A and D with weights w_A, w_D.
    let (total, w_d) = match &dead {
        None => (ln_alive, 0.0),
        Some((ln_dead, _, _)) => {
            let d = ln_dead - ln_alive;
            if d <= 0.0 {
                let e = d.exp();
                (ln_alive + e.ln_1p(), e / (1.0 + e))
            } else {
                let e = (-d).exp();
                (ln_dead + e.ln_1p(), 1.0 / (1.0 + e))
            }
        }
    };
    let w_a = 1.0 - w_d;
    let (mut g, mut h) = (g_a, h_a);
    if let Some((_, g_d, h_d)) = &dead {
        for i in 0..4 {
            g[i] = w_a * g_a[i] + w_d * g_d[i];
            for j in i..4 {
                let k = ut(i, j);
                h[k] =
                    w_a * h_a[k] + w_d * h_d[k] + w_a * w_d * (g_a[i] - g_d[i]) * (g_a[j] - g_d[j]);
            }
        }
    }
    // Common factor Γ(r+x) α^r β^s / Γ(r).
    let (lg, dg, tg) = table.at(r, x);
    let (ln_a, ln_b) = (alpha.ln(), beta.ln());
    g[0] += dg + ln_a;
    g[1] += r / alpha;
    g[2] += ln_b;
    g[3] += s / beta;
    h[ut(0, 0)] += tg;
    h[ut(0, 1)] += 1.0 / alpha;
    h[ut(1, 1)] -= r / (alpha * alpha);
    h[ut(2, 3)] += 1.0 / beta;
    h[ut(3, 3)] -= s / (beta * beta);
    // To log-parameters: d/du_j = p_j d/dp_j, d²/du_i du_j = p_i p_j H_ij + [i = j] p_j g_j.
    for i in 0..4 {
        grad[i] = p[i] * g[i];
    }
    for i in 0..4 {
        for j in i..4 {
            let v = p[i] * p[j] * h[ut(i, j)] + if i == j { grad[i] } else { 0.0 };
            hess[i * 4 + j] = v;
            hess[j * 4 + i] = v;
        }
    }
    Some(lg + r * ln_a + s * ln_b + total)
}

#[cfg(test)]
mod tests;
