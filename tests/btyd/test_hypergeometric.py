"""The Rust 2F1 and Tricomi U against scipy.special (and mpmath where scipy overflows)."""

import numpy as np
import pytest
from clmkit import _core
from scipy import special


def ln2f1(a, b, c, z):
    arrs = [
        np.ascontiguousarray(np.broadcast_to(v, np.broadcast(a, b, c, z).shape), dtype=float)
        for v in (a, b, c, z)
    ]
    return _core.ln_hyp2f1(*[v.ravel() for v in arrs])


def rel_err(got, want):
    return np.max(np.abs(got - want) / np.maximum(1.0, np.abs(want)))


@pytest.mark.parametrize("branch", ["alpha_ge_beta", "alpha_lt_beta"])
def test_pareto_nbd_arguments_in_the_cdnow_fit_region(branch):
    # 2F1(r+s+x, s+1 | r+x; r+s+x+1; z) with r, s near the CDNOW estimates (0.55, 0.61),
    # x up to 40 and z = |alpha - beta| / (max + t) <= 0.3.
    rng = np.random.default_rng(0)
    r, s = rng.uniform(0.2, 1.5, 3000), rng.uniform(0.2, 1.5, 3000)
    x = rng.integers(0, 40, 3000).astype(float)
    z = rng.uniform(0.0, 0.3, 3000)
    a = r + s + x
    b = s + 1 if branch == "alpha_ge_beta" else r + x
    want = np.log(special.hyp2f1(a, b, a + 1, z))
    assert rel_err(ln2f1(a, b, a + 1, z), want) < 1e-13


@pytest.mark.parametrize("x", [100.0, 300.0, 500.0, 2000.0])
@pytest.mark.parametrize("z", [0.1, 0.5, 0.9, 0.99])
def test_heavy_buyers_in_log_space(x, z):
    # Frequencies in the hundreds: 2F1 reaches 10^1000, beyond doubles; its log does not.
    a, b = 0.55 + 0.61 + x, 0.55 + x
    got = ln2f1(a, b, a + 1, z)[0]
    assert np.isfinite(got)
    ref = special.hyp2f1(a, b, a + 1, z)
    if np.isfinite(ref):
        assert abs(got - np.log(ref)) < 1e-12 * abs(got)
    else:
        mp = pytest.importorskip("mpmath")
        assert abs(got - float(mp.log(mp.hyp2f1(a, b, a + 1, z)))) < 1e-12 * abs(got)


def test_generic_parameters_grid():
    rng = np.random.default_rng(3)
    a, b, c = (rng.uniform(0.1, 20.0, 4000) for _ in range(3))
    z = rng.uniform(0.0, 0.95, 4000)
    # scipy itself is only good to ~1e-11 in parts of this region (checked against mpmath).
    assert rel_err(ln2f1(a, b, c, z), np.log(special.hyp2f1(a, b, c, z))) < 1e-9


def test_special_points_and_domain():
    assert ln2f1(2.5, 3.0, 4.0, 0.0)[0] == 0.0  # z = 0: alpha == beta
    z = np.array([0.3, 0.9, 0.999])
    np.testing.assert_allclose(np.exp(ln2f1(1.0, 1.0, 2.0, z)), -np.log1p(-z) / z, rtol=1e-13)
    assert np.isnan(ln2f1(1.0, 1.0, 2.0, 1.0)[0])  # outside [0, 1)
    assert np.isnan(ln2f1(-1.0, 1.0, 2.0, 0.5)[0])
    with pytest.raises(ValueError, match="length"):
        _core.ln_hyp2f1(np.ones(2), np.ones(2), np.ones(2), np.ones(3))


def test_tricomi_u_against_scipy():
    rng = np.random.default_rng(1)
    a = rng.uniform(0.05, 30.0, 2000)
    b = rng.uniform(-5.0, 10.0, 2000)
    z = 10 ** rng.uniform(-2.0, 2.5, 2000)
    # scipy's hyperu is accurate to ~1e-9 here (mpmath agrees with the Rust values to 1e-14).
    assert rel_err(_core.ln_hyperu(a, b, z), np.log(special.hyperu(a, b, z))) < 1e-8


def test_tricomi_u_for_dert_arguments_against_mpmath():
    mp = pytest.importorskip("mpmath")
    rng = np.random.default_rng(2)
    s = rng.uniform(0.05, 5.0, 200)
    z = 10 ** rng.uniform(-3.0, 3.0, 200)
    want = np.array([float(mp.log(mp.hyperu(si, si, zi))) for si, zi in zip(s, z)])
    assert rel_err(_core.ln_hyperu(s, s, z), want) < 1e-12


from hypothesis import given, settings
from hypothesis import strategies as st


@settings(max_examples=150, deadline=None)
@given(
    a=st.floats(0.05, 60.0),
    b=st.floats(0.05, 60.0),
    c=st.floats(0.05, 60.0),
    z=st.floats(0.0, 0.97),
)
def test_property_against_mpmath(a, b, c, z):
    mp = pytest.importorskip("mpmath")
    want = float(mp.log(mp.hyp2f1(a, b, c, z)))
    assert abs(ln2f1(a, b, c, z)[0] - want) < 1e-11 * max(1.0, abs(want))


@settings(max_examples=60, deadline=None)
@given(s=st.floats(0.02, 20.0), b=st.floats(-3.0, 6.0), z=st.floats(1e-3, 500.0))
def test_property_tricomi_u_against_mpmath(s, b, z):
    mp = pytest.importorskip("mpmath")
    want = float(mp.log(mp.hyperu(s, b, z)))
    got = _core.ln_hyperu(np.array([s]), np.array([b]), np.array([z]))[0]
    assert abs(got - want) < 1e-10 * max(1.0, abs(want))


def test_trigamma_against_scipy_polygamma():
    # The one trigamma (src/numeric/special.rs) used by every BTYD Hessian, including
    # Gamma-Gamma's (whose former copy was ~350x less accurate).
    x = np.concatenate([np.geomspace(1e-6, 1e8, 400), [0.5, 1.0, 9.99, 10.0, 19.99, 20.0]])
    want = special.polygamma(1, x)
    got = _core.trigamma(x)
    np.testing.assert_allclose(got, want, rtol=2e-15 * 8)
    assert np.isnan(_core.trigamma(np.array([0.0, -1.0, np.nan]))).all()
