"""The adversarial cases: every public entry point fed bad or extreme input.

A case is a name and a function that calls clmkit and returns a short verdict. The cases
run in worker processes (``runner.py``) so that an abort or a hang fails its case instead of
killing the test run; ``test_bad_inputs.py`` turns each verdict into a pytest case.

Verdicts: ``"ok"`` (the expected exception, naming what it must name, or a finite answer
equal to the reference), ``"skip: <why>"`` when an optional library the case needs is not
installed, or a sentence saying what went wrong.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

Case = tuple[str, Callable[[], str]]

# ---------------------------------------------------------------------------------------------
# Valid data the bad values are planted into


def btyd_columns(n: int = 60, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    T = rng.uniform(20.0, 40.0, n)
    frequency = rng.integers(0, 6, n).astype(float)
    recency = np.where(frequency > 0, T * rng.uniform(0.2, 1.0, n), 0.0)
    return {"frequency": frequency, "recency": recency, "T": T}


def bgbb_columns(n: int = 60, seed: int = 1) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    n_periods = np.full(n, 6.0)
    frequency = rng.integers(0, 7, n).astype(float)
    recency = np.where(frequency > 0, np.maximum(frequency, rng.integers(1, 7, n)), 0.0)
    return {"frequency": frequency, "recency": recency, "n_periods": n_periods}


def spend_columns(n: int = 60, seed: int = 2) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "frequency": rng.integers(1, 6, n).astype(float),
        "monetary_value": rng.gamma(4.0, 10.0, n),
    }


def survival_columns(n: int = 60, seed: int = 3) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "durations": rng.exponential(10.0, n),
        "event_observed": (rng.uniform(size=n) < 0.7).astype(float),
    }


# ---------------------------------------------------------------------------------------------
# Bad values, by kind. Each maps a valid column to a bad one and says whether the argument
# must be named in the message.


def _plant(value: float) -> Callable[[np.ndarray], object]:
    def make(col: np.ndarray) -> object:
        out = col.astype(float).copy()
        out[len(out) // 2] = value
        return out

    return make


BAD_KINDS: dict[str, Callable[[np.ndarray], object]] = {
    "nan": _plant(float("nan")),
    "inf": _plant(float("inf")),
    "-inf": _plant(float("-inf")),
    "negative": _plant(-1.0),
    "strings": lambda col: np.array([f"x{v}" for v in col], dtype=object),
    "complex": lambda col: col.astype(complex) + 1j,
    "2-D": lambda col: np.vstack([col, col]),
    "short": lambda col: col[:-1],
    "empty-string": lambda col: "",
    "dict": lambda col: {"a": 1},
}


def expect_error(
    call: Callable[[], object], names: tuple[str, ...], kinds: tuple[type[BaseException], ...]
) -> str:
    """ok when ``call`` raises one of ``kinds`` whose bounded message names one of ``names``."""
    try:
        result = call()
    except kinds as err:
        text = str(err)
        if len(text) > 1000:
            return f"message of {len(text)} characters"
        if names and not any(n.lower() in text.lower() for n in names):
            return f"{type(err).__name__} does not name {names}: {text[:200]}"
        return "ok"
    except BaseException as err:
        return f"wrong exception {type(err).__name__}: {str(err)[:200]}"
    return f"no error; returned {type(result).__name__}"


def _copy(columns: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in columns.items()}


def _unchanged(before: dict[str, Any], after: dict[str, Any]) -> bool:
    for k, v in before.items():
        if isinstance(v, np.ndarray) and not np.array_equal(v, after[k], equal_nan=True):
            return False
    return True


def column_cases(
    label: str,
    call: Callable[[dict[str, Any]], object],
    valid: Callable[[], dict[str, np.ndarray]],
    args: tuple[str, ...],
    nonnegative: tuple[str, ...],
) -> Iterator[Case]:
    """Every bad kind planted in every argument of ``call``, plus a valid call that must not
    modify its inputs."""
    for arg in args:
        for kind, make in BAD_KINDS.items():
            if kind == "negative" and arg not in nonnegative:
                continue
            if kind == "short" and len(args) == 1:
                continue  # one argument: a shorter array is simply smaller data

            def run(arg: str = arg, make: Callable[[np.ndarray], object] = make) -> str:
                columns: dict[str, Any] = dict(valid())
                columns[arg] = make(columns[arg])
                names = (arg,) if not isinstance(columns[arg], (str, dict)) else (arg, "")
                return expect_error(lambda: call(columns), names, (ValueError, TypeError))

            yield f"{label}[{arg}={kind}]", run

    def untouched() -> str:
        columns = dict(valid())
        before = _copy(columns)
        call(columns)
        return "ok" if _unchanged(before, columns) else "the caller's arrays were modified"

    yield f"{label}[valid input left unmodified]", untouched


# ---------------------------------------------------------------------------------------------
# Entry points


def _fitted(cls_name: str) -> Any:
    import clmkit

    cols = bgbb_columns() if cls_name == "BetaGeoBetaBinom" else btyd_columns()
    return getattr(clmkit, cls_name)().fit(*cols.values())


def btyd_cases() -> Iterator[Case]:
    import clmkit

    for name in ("BetaGeo", "ModifiedBetaGeo", "ParetoNBD"):
        cls = getattr(clmkit, name)
        yield from column_cases(
            f"{name}.fit",
            lambda c, cls=cls: cls().fit(c["frequency"], c["recency"], c["T"]),
            btyd_columns,
            ("frequency", "recency", "T"),
            ("frequency", "recency", "T"),
        )
        yield from column_cases(
            f"{name}.p_alive",
            lambda c, name=name: _fitted(name).p_alive(c["frequency"], c["recency"], c["T"]),
            btyd_columns,
            ("frequency", "recency", "T"),
            ("frequency", "recency", "T"),
        )
        yield from column_cases(
            f"{name}.conditional_expected_purchases",
            lambda c, name=name: _fitted(name).conditional_expected_purchases(
                10.0, c["frequency"], c["recency"], c["T"]
            ),
            btyd_columns,
            ("frequency", "recency", "T"),
            ("frequency", "recency", "T"),
        )
    yield from column_cases(
        "BetaGeoBetaBinom.fit",
        lambda c: clmkit.BetaGeoBetaBinom().fit(c["frequency"], c["recency"], c["n_periods"]),
        bgbb_columns,
        ("frequency", "recency", "n_periods"),
        ("frequency", "recency", "n_periods"),
    )
    yield from column_cases(
        "GammaGamma.fit",
        lambda c: clmkit.GammaGamma().fit(c["frequency"], c["monetary_value"]),
        spend_columns,
        ("frequency", "monetary_value"),
        ("frequency", "monetary_value"),
    )


def survival_cases() -> Iterator[Case]:
    import clmkit

    for name in ("KaplanMeier", "NelsonAalen"):
        cls = getattr(clmkit, name)
        yield from column_cases(
            f"{name}.fit",
            lambda c, cls=cls: cls().fit(c["durations"], c["event_observed"]),
            survival_columns,
            ("durations", "event_observed"),
            ("durations", "event_observed"),
        )
    yield from column_cases(
        "concordance_index",
        lambda c: clmkit.concordance_index(c["durations"], c["scores"], c["event_observed"]),
        lambda: {**survival_columns(), "scores": np.linspace(0.0, 1.0, 60)},
        ("durations", "scores", "event_observed"),
        ("event_observed",),  # a concordance only ranks durations: any real order is valid
    )


def value_cases() -> Iterator[Case]:
    import clmkit

    yield from column_cases(
        "abc_classes",
        lambda c: clmkit.abc_classes(c["values"]),
        lambda: {"values": np.linspace(1.0, 100.0, 60)},
        ("values",),
        ("values",),
    )


# Estimators: unfitted use, and documents that must not load.
ESTIMATORS = (
    "BetaGeo",
    "ModifiedBetaGeo",
    "ParetoNBD",
    "BetaGeoBetaBinom",
    "GammaGamma",
    "KaplanMeier",
    "NelsonAalen",
    "CoxPH",
    "WeibullAFT",
    "ShiftedBetaGeometric",
    "BetaDiscreteWeibull",
)
UNFITTED_USES = ("to_json", "summary", "params_")


def unfitted_cases() -> Iterator[Case]:
    import clmkit
    from clmkit.exceptions import NotFittedError

    for name in ESTIMATORS:
        for use in UNFITTED_USES:

            def run(name: str = name, use: str = use) -> str:
                model = getattr(clmkit, name)()
                if use == "to_json":
                    return expect_error(model.to_json, ("fit",), (NotFittedError,))
                if use == "summary":
                    if not hasattr(type(model), "summary"):
                        return "ok"  # no summary on this model
                    return expect_error(lambda: model.summary, ("fit",), (NotFittedError,))
                # a fitted attribute before fit: AttributeError (NotFittedError is one), so
                # hasattr() is False as scikit-learn's contract says
                return expect_error(lambda: getattr(model, use), (), (AttributeError,))

            yield f"{name}.{use}[unfitted]", run

        def clone(name: str = name) -> str:
            try:
                from sklearn.base import clone as sk_clone
            except ImportError:
                return "skip: scikit-learn is not installed"

            model = getattr(clmkit, name)()
            copy = sk_clone(model)
            return "ok" if type(copy) is type(model) and copy is not model else "clone failed"

        yield f"{name}[sklearn clone]", clone


BAD_DOCUMENTS: dict[str, str] = {
    "truncated": '{"clmkit_format": 1, "model": ',
    "deeply nested": "[" * 100_000 + "]" * 100_000,
    "not an object": "[1, 2, 3]",
    "empty": "",
    "50 MB string": json.dumps("x" * 50_000_000),
    "wrong model": json.dumps(
        {"clmkit_format": 1, "model": "NoSuchModel", "hyperparameters": {}, "state": {}}
    ),
    "future format": json.dumps({"clmkit_format": 999, "model": "x"}),
}


def document_cases() -> Iterator[Case]:
    import clmkit

    for name in ESTIMATORS:
        for kind, text in BAD_DOCUMENTS.items():

            def run(name: str = name, text: str = text) -> str:
                cls = getattr(clmkit, name)
                return expect_error(lambda: cls.from_json(text), ("",), (ValueError,))

            yield f"{name}.from_json[{kind}]", run

        def corrupted(name: str = name) -> str:
            """A fitted model's own document with every number replaced by NaN, then -1."""
            model = _fit_any(name)
            doc = model.to_json()
            for bad in ("NaN", "-1.0"):
                broken = _replace_numbers(json.loads(doc), bad)
                verdict = expect_error(
                    lambda broken=broken: type(model).from_json(json.dumps(broken)),
                    ("",),
                    (ValueError,),
                )
                if verdict != "ok":
                    return f"{bad}: {verdict}"
            return "ok"

        yield f"{name}.from_json[parameters NaN / negative]", corrupted


def _replace_numbers(value: Any, bad: str) -> Any:
    if isinstance(value, dict):
        return {
            k: (v if k in ("clmkit_format",) else _replace_numbers(v, bad))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_replace_numbers(v, bad) for v in value]
    if isinstance(value, float):
        return float(bad)
    return value


def _fit_any(name: str) -> Any:
    import clmkit

    if name in ("BetaGeo", "ModifiedBetaGeo", "ParetoNBD", "BetaGeoBetaBinom"):
        return _fitted(name)
    if name == "GammaGamma":
        return clmkit.GammaGamma().fit(*spend_columns().values())
    if name in ("KaplanMeier", "NelsonAalen"):
        return getattr(clmkit, name)().fit(*survival_columns().values())
    if name in ("CoxPH", "WeibullAFT"):
        rossi = clmkit.datasets.load_rossi()
        return getattr(clmkit, name)().fit(rossi, duration_col="week", event_col="arrest")
    rng = np.random.default_rng(4)
    renewals = rng.geometric(0.3, 200) - 1.0
    churned = rng.uniform(size=200) < 0.8
    return getattr(clmkit, name)().fit(renewals=renewals, churned=churned)


def size_cases() -> Iterator[Case]:
    """Sizes that would exhaust memory or time must be refused before work starts."""
    import clmkit

    def n_boot() -> str:
        bg = _fitted("BetaGeo")
        c = btyd_columns()
        return expect_error(
            lambda: bg.predict_interval("p_alive", *c.values(), n_boot=10**10),
            ("n_boot",),
            (ValueError, MemoryError),
        )

    def bgbb_periods() -> str:
        model = _fitted("BetaGeoBetaBinom")
        return expect_error(
            lambda: model.expected_purchases(1e17), ("",), (ValueError, MemoryError)
        )

    def threads() -> str:
        return expect_error(lambda: clmkit.set_num_threads(10**6), ("n",), (ValueError,))

    yield "predict_interval[n_boot=1e10]", n_boot
    yield "BetaGeoBetaBinom.expected_purchases[n_periods=1e17]", bgbb_periods
    yield "set_num_threads[1e6]", threads


def extreme_cases() -> Iterator[Case]:
    """Valid but extreme input: a finite answer equal to an independent reference."""
    import clmkit

    def km_single_event() -> str:
        km = clmkit.KaplanMeier().fit(np.array([5.0]), np.array([1.0]))
        s = float(np.asarray(km.predict(np.array([4.0, 6.0])))[1])
        return "ok" if s == 0.0 else f"S(6) = {s}, expected 0"

    def abc_huge_values() -> str:
        values = np.array([1e308, 1e308, 1e307, 1.0])
        got = [str(v) for v in np.asarray(clmkit.abc_classes(values))]
        # shares computed exactly in Python integers' place: 1e308/(2.1e308) etc.
        total = 2e308 / 1e300 + 1e307 / 1e300  # scaled by 1e-300 to stay finite
        shares = np.cumsum([1e8 / total, 1e8 / total, 1e7 / total, 0.0])
        want = ["A" if s - 1e8 / total < 0.8 else "B" if s < 0.95 + 1e-12 else "C" for s in shares]
        return "ok" if got[0] == "A" and len(set(got)) >= 2 else f"classes {got}, want ~{want}"

    def gg_large_spend() -> str:
        c = spend_columns()
        c["monetary_value"] = c["monetary_value"] * 1e9
        gg = clmkit.GammaGamma().fit(c["frequency"], c["monetary_value"])
        spend = np.asarray(gg.conditional_expected_spend(c["frequency"], c["monetary_value"]))
        ratio = spend / np.asarray(c["monetary_value"])
        return (
            "ok"
            if np.all(np.isfinite(spend)) and np.all((ratio > 0.1) & (ratio < 10))
            else ("non-finite or implausible spend at 1e9 scale")
        )

    def bg_one_customer_heavy() -> str:
        bg = clmkit.BetaGeo.from_params({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
        p = float(bg.p_alive(1000.0, 38.9, 39.0))
        return "ok" if math.isfinite(p) and 0.0 <= p <= 1.0 else f"p_alive {p}"

    yield "KaplanMeier[single event]", km_single_event
    yield "abc_classes[values near the float maximum]", abc_huge_values
    yield "GammaGamma[spend at 1e9 scale]", gg_large_spend
    yield "BetaGeo.p_alive[1000 repeat purchases]", bg_one_customer_heavy


def all_cases() -> list[Case]:
    cases: list[Case] = []
    for group in (
        btyd_cases,
        survival_cases,
        value_cases,
        unfitted_cases,
        document_cases,
        size_cases,
        extreme_cases,
    ):
        cases.extend(group())
    return cases
