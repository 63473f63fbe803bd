"""Size and loop bounds of the BTYD entry points (issue 18): arguments that would make a
kernel loop for ever or allocate without bound are a clear error naming the argument,
raised before any work. Each case runs in a child process so that a hang or an abort
fails the test instead of killing the run."""

import subprocess
import sys
import textwrap

import pytest

PRELUDE = """
import numpy as np, clmkit
bgbb = clmkit.BetaGeoBetaBinom.from_params(
    {"alpha": 1.2, "beta": 0.75, "gamma": 0.66, "delta": 2.78})
bg = clmkit.BetaGeo().fit(clmkit.datasets.load_cdnow_summary())
"""

CASES = {
    "bgbb_expected_purchases": ("bgbb.expected_purchases(1e17)", ValueError, "n_periods"),
    "bgbb_pmf": ("bgbb.probability_of_n_purchases(1e17, 2)", ValueError, "n_periods"),
    "bgbb_conditional": (
        "bgbb.conditional_expected_purchases(10**17, 2, 3, 6)",
        ValueError,
        "m_periods",
    ),
    "bgbb_p_alive": ("bgbb.p_alive(2, 3, 6, periods_ahead=10**17)", ValueError, "periods_ahead"),
    "bgbb_data": ("bgbb.p_alive(2, 3, 1e17)", ValueError, "n_periods"),
    "bgbb_fit": (
        "clmkit.BetaGeoBetaBinom().fit(np.array([1., 2.]), np.array([3., 4.]), np.array([5., 1e17]))",
        ValueError,
        "n_periods",
    ),
    "bgbb_generate": ("bgbb.generate(3, 1e17, seed=1)", ValueError, "n_periods"),
    "n_boot_parametric": (
        'bg.predict_interval("expected_purchases", 10, n_boot=10**10, seed=1)',
        ValueError,
        "n_boot",
    ),
    "n_boot_resample": (
        'bg.predict_interval("expected_purchases", 10, method="resample", n_boot=10**10, seed=1)',
        ValueError,
        "n_boot",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_huge_arguments_raise_naming_the_argument(name):
    call, error, argument = CASES[name]
    script = PRELUDE + textwrap.dedent(f"""
        try:
            {call}
        except {error.__name__} as err:
            print("RAISED", err)
        else:
            print("RETURNED")
    """)
    try:
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{call} did not return within 60 s")
    assert done.returncode == 0, f"{call} crashed ({done.returncode}): {done.stderr[-500:]}"
    out = done.stdout.strip()
    assert out.startswith("RAISED"), out
    assert argument in out, out
    assert len(out) < 500
