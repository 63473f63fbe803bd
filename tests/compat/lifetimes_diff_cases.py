"""The differential cases: one script run twice, by lifetimes 0.11.3 in its pinned venv and by
``clmkit.compat.lifetimes``, writing every result as JSON for the comparison in
``test_compat_lifetimes_differential.py``.

    python lifetimes_diff_cases.py MODULE OUT.json DATA_DIR

MODULE is ``lifetimes`` or ``clmkit.compat.lifetimes``; DATA_DIR holds the CSV files (the
same bytes for both). Each case is a list of numbers (NaN/inf kept), or the error raised.
Inputs: random histories (seeded) with heavy buyers, integer periods and frequency-0 rows
with recency > 0, at published parameters; fits on CDNOW and donations; the utils on the
example logs. Runs on Python 3.8+ with pandas 1 to 3.
"""

# ruff: noqa: B023  (each lambda is called at once by run(), inside its loop iteration)

import importlib
import json
import math
import sys
import warnings

import numpy as np
import pandas as pd

warnings.filterwarnings("ignore")

BG = [0.243, 4.414, 0.793, 2.426]
BG_EDGE = [0.61, 1.7, 2.2, 0.45]
BG_A1 = [0.5, 3.0, 1.0, 0.8]  # a = 1: lifetimes divides by a - 1
BG_AB1 = [0.5, 3.0, 0.4, 0.6]  # a + b = 1: lifetimes' 2F1 has c = 0 at frequency 0
MBG = [0.525, 6.183, 0.891, 1.614]
PNBD = [0.553, 10.578, 0.606, 11.669]
PNBD_HEAVY = [10.465, 7.98565181e-03, 3.0516, 2.820]
BGBB = [1.204, 0.750, 0.657, 2.783]
GG = [6.25, 3.74, 15.44]


def histories():
    """(kind, frequency, recency, T) rows: random valid, heavy buyers, integer periods, odd."""
    rng = np.random.RandomState(20)
    rows = []
    for _ in range(60):
        T = round(float(rng.uniform(1, 80)), 2)
        x = int(rng.poisson(rng.choice([0.3, 2.0, 8.0])))
        rec = 0.0 if x == 0 else round(float(rng.uniform(0, T)), 2)
        rows.append(("random", x, rec, T))
    heavy = [(120, 70.0, 78.0), (300, 5.0, 6.0), (500, 1.0, 37.0), (400, 36.5, 37.0)]
    for x, rec, T in heavy + [(1500, 30.0, 39.0), (3000, 38.0, 39.0)]:
        rows.append(("heavy", x, rec, T))
    for x, rec, T in [(0, 0, 10), (1, 1, 10), (3, 7, 7), (5, 30, 52), (2, 0, 4), (9, 12, 40)]:
        rows.append(("integer", x, float(rec), float(T)))
    for rec, T in [(1.0, 1.0), (3.0, 10.0), (2.5, 10.0), (0.3, 7.7), (20.0, 39.0), (39.0, 39.0)]:
        rows.append(("odd", 0, rec, T))
    return rows


def columns(rows, kinds):
    sel = [r for r in rows if r[0] in kinds]
    return (
        np.array([r[1] for r in sel], dtype=float),
        np.array([r[2] for r in sel], dtype=float),
        np.array([r[3] for r in sel], dtype=float),
    )


def numbers(value):
    arr = np.asarray(value, dtype=float).reshape(-1)
    return [float(v) for v in arr]


def fitter(lt, name, params, names):
    f = getattr(lt, name)()
    f.params_ = pd.Series(params, index=names)
    return f


def count_cases(lt, out, rows):
    valid = ("random", "heavy", "integer")
    specs = [
        ("BetaGeoFitter", "bg", BG, ["r", "alpha", "a", "b"]),
        ("BetaGeoFitter", "bg_edge", BG_EDGE, ["r", "alpha", "a", "b"]),
        ("BetaGeoFitter", "bg_a1", BG_A1, ["r", "alpha", "a", "b"]),
        ("BetaGeoFitter", "bg_ab1", BG_AB1, ["r", "alpha", "a", "b"]),
        ("ModifiedBetaGeoFitter", "mbg", MBG, ["r", "alpha", "a", "b"]),
        ("ParetoNBDFitter", "pnbd", PNBD, ["r", "alpha", "s", "beta"]),
        ("ParetoNBDFitter", "pnbd_heavy", PNBD_HEAVY, ["r", "alpha", "s", "beta"]),
    ]
    ts = np.array([0.5, 1.0, 10.0, 39.0, 78.0])
    for cls, key, params, names in specs:
        f = fitter(lt, cls, params, names)
        for kinds, tag in [(valid, "valid"), (("odd",), "odd")]:
            x, rec, T = columns(rows, kinds)
            run(out, key + ".p_alive." + tag, lambda: f.conditional_probability_alive(x, rec, T))
            for t in (1.0, 10.0, 52.0):
                run(
                    out,
                    f"{key}.cond_expected.t{t:g}.{tag}",
                    lambda: f.conditional_expected_number_of_purchases_up_to_time(t, x, rec, T),
                )
        run(out, key + ".expected", lambda: f.expected_number_of_purchases_up_to_time(ts))
        x, rec, T = columns(rows, valid)
        w = np.arange(1.0, len(x) + 1)
        if cls == "ParetoNBDFitter":
            nll_params = np.array(params)
            run(out, key + ".log_A_0", lambda: f._log_A_0(params, x, rec, T))
            run(out, key + ".loglik", lambda: f._conditional_log_likelihood(params, x, rec, T))
            xo, ro, To = columns(rows, ("odd",))
            run(out, key + ".log_A_0.odd", lambda: f._log_A_0(params, xo, ro, To))
            for n in (0, 1, 3):
                for kinds, tag in [(valid, "valid"), (("odd",), "odd")]:
                    xs, rs, Ts = columns(rows, kinds)
                    run(
                        out,
                        f"{key}.cond_prob_n.n{n}.{tag}",
                        lambda: [
                            f.conditional_probability_of_n_purchases_up_to_time(n, 5.0, a, b, c)
                            for a, b, c in zip(xs, rs, Ts)
                        ],
                    )
        else:
            nll_params = np.log(params)
            run(
                out,
                key + ".prob_n",
                lambda: [
                    f.probability_of_n_purchases_up_to_time(t, n)
                    for t in (1.0, 10.0, 39.0)
                    for n in range(12)
                ],
            )
        run(
            out,
            key + ".nll",
            lambda: getattr(lt, cls)._negative_log_likelihood(nll_params, x, rec, T, w, 0.1),
        )
        run(
            out,
            key + ".matrix",
            lambda: f.conditional_probability_alive_matrix(max_frequency=8, max_recency=15),
        )


def bgbb_cases(lt, out):
    f = fitter(lt, "BetaGeoBetaBinomFitter", BGBB, ["alpha", "beta", "gamma", "delta"])
    rows = [(x, tx, n) for n in range(1, 11) for tx in range(n + 1) for x in range(tx + 1)]
    rows = [r for r in rows if not (r[0] == 0 and r[1] > 0)]
    x, tx, n = (np.array(c, dtype=float) for c in zip(*rows))
    for m in (0, 1, 3):
        run(out, f"bgbb.p_alive.m{m}", lambda: f.conditional_probability_alive(m, x, tx, n))
    for m in (1, 5):
        run(
            out,
            f"bgbb.cond_expected.m{m}",
            lambda: f.conditional_expected_number_of_purchases_up_to_time(m, x, tx, n),
        )
    run(out, "bgbb.loglik", lambda: f._loglikelihood(BGBB, x, tx, n))
    w = np.ones(len(x))
    run(
        out,
        "bgbb.nll",
        lambda: lt.BetaGeoBetaBinomFitter._negative_log_likelihood(np.log(BGBB), x, tx, n, w, 0.0),
    )


def gg_cases(lt, out, data):
    f = fitter(lt, "GammaGammaFitter", GG, ["p", "q", "v"])
    repeat = data[data["frequency"] > 0].head(300)
    fr, m = repeat["frequency"].to_numpy(float), repeat["monetary_value"].to_numpy(float)
    run(out, "gg.profit", lambda: f.conditional_expected_average_profit(fr, m))
    run(
        out,
        "gg.nll",
        lambda: lt.GammaGammaFitter._negative_log_likelihood(
            np.log(GG), fr, m, np.ones(len(fr)), 0.0
        ),
    )


def fit_cases(lt, out, cdnow, cdnow_m, donations):
    np.random.seed(0)  # lifetimes' Pareto/NBD Nelder-Mead starts from random parameters
    f, r, T = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    for cls, kw in [
        ("BetaGeoFitter", {}),
        ("ModifiedBetaGeoFitter", {}),
        ("ParetoNBDFitter", {}),
    ]:
        model = getattr(lt, cls)().fit(f, r, T, **kw)
        run(out, f"fit.{cls}.params", lambda: model.params_.sort_index())
        run(out, f"fit.{cls}.scale", lambda: model._scale)
        if cls != "ParetoNBDFitter":  # lifetimes has no standard errors for Pareto/NBD
            run(out, f"fit.{cls}.summary", lambda: model.summary.sort_index())
        run(out, f"fit.{cls}.nll", lambda: model._negative_log_likelihood_)
        run(out, f"fit.{cls}.repr", lambda: [len(repr(model))])
        run(
            out,
            f"fit.{cls}.predict",
            lambda: model.predict(10.0, f.head(200), r.head(200), T.head(200)),
        )
    pen = lt.BetaGeoFitter(penalizer_coef=0.1).fit(f, r, T)
    run(out, "fit.bg_penalized.params", lambda: pen.params_.sort_index())
    grouped = cdnow.groupby(["frequency", "recency", "T"]).size().reset_index()
    wbg = lt.BetaGeoFitter().fit(grouped["frequency"], grouped["recency"], grouped["T"], grouped[0])
    run(out, "fit.bg_weights.params", lambda: wbg.params_.sort_index())
    bb = lt.BetaGeoBetaBinomFitter().fit(
        donations["frequency"], donations["recency"], donations["periods"], donations["weights"]
    )
    run(out, "fit.bgbb.params", lambda: bb.params_.sort_index())
    run(out, "fit.bgbb.summary", lambda: bb.summary.sort_index())
    run(out, "fit.bgbb.first_n", lambda: bb.expected_number_of_transactions_in_first_n_periods(6))
    repeat = cdnow_m[cdnow_m["frequency"] > 0]
    gg = lt.GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
    run(out, "fit.gg.params", lambda: gg.params_.sort_index())
    run(out, "fit.gg.summary", lambda: gg.summary.sort_index())
    bgf = lt.BetaGeoFitter().fit(cdnow_m["frequency"], cdnow_m["recency"], cdnow_m["T"])
    head = cdnow_m.head(100)
    for freq in ("D", "W"):
        run(
            out,
            "fit.gg.clv." + freq,
            lambda: gg.customer_lifetime_value(
                bgf,
                head["frequency"],
                head["recency"],
                head["T"],
                head["monetary_value"],
                time=6,
                freq=freq,
            ),
        )
    return bgf


def frame_numbers(df):
    return [float(v) for v in np.asarray(df.sort_index(), dtype=float).reshape(-1)]


def util_cases(lt, out, data_dir):
    utils = importlib.import_module(lt.__name__ + ".utils")
    log = pd.read_csv(data_dir + "/example_transactions.csv", parse_dates=["date"])
    small = log[log["id"] < 400]
    end = log["date"].max()
    for freq, mult in [("D", 1), ("W", 1), ("D", 7)]:
        run(
            out,
            f"utils.summary.{freq}{mult}",
            lambda: frame_numbers(
                utils.summary_data_from_transaction_data(
                    small, "id", "date", observation_period_end=end, freq=freq, freq_multiplier=mult
                )
            ),
        )
    cd = pd.read_csv(data_dir + "/CDNOW_sample.txt", sep=r"\s+", header=None)
    cd.columns = ["_id", "id", "date", "n", "spent"]
    run(
        out,
        "utils.summary.int_dates_monetary",
        lambda: frame_numbers(
            utils.summary_data_from_transaction_data(
                cd,
                "id",
                "date",
                "spent",
                datetime_format="%Y%m%d",
                observation_period_end="19970930",
            )
        ),
    )
    run(
        out,
        "utils.calibration_holdout.W",
        lambda: frame_numbers(
            utils.calibration_and_holdout_data(
                cd,
                "id",
                "date",
                "19970701",
                "19980630",
                freq="W",
                datetime_format="%Y%m%d",
                monetary_value_col="spent",
            )
        ),
    )
    first = utils._find_first_transactions(
        small, "id", "date", observation_period_end=end, freq="W"
    )
    run(out, "utils.first.flags", lambda: first["first"].astype(float))
    run(out, "utils.first.ids", lambda: first["id"].astype(float))
    summary = utils.summary_data_from_transaction_data(cd, "id", "date", datetime_format="%Y%m%d")
    model = lt.BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
    cum = utils.expected_cumulative_transactions(model, cd, "date", "id", 70, "%Y%m%d", "D", 7)
    run(out, "utils.cumulative", lambda: frame_numbers(cum))
    one = log[log["id"] == 33]
    run(
        out,
        "utils.alive_path",
        lambda: [
            float(np.ravel(v)[0]) for v in utils.calculate_alive_path(model, one, "date", 205)
        ],
    )
    head = summary.head(50)
    run(
        out,
        "utils.clv",
        lambda: utils._customer_lifetime_value(
            model,
            head["frequency"],
            head["recency"],
            head["T"],
            pd.Series(np.full(50, 10.0), index=head.index),
            time=3,
            discount_rate=0.02,
            freq="W",
        ),
    )
    run(out, "utils.scale_time", lambda: utils._scale_time(np.array([3.0, 40.0, 7.0])))
    bad = [
        (np.array([0, 1]), np.array([0, 9]), np.array([5, 6])),
        (np.array([0, 1]), np.array([2, 3]), np.array([5, 6])),
        (np.array([0, 1.5]), np.array([0, 3]), np.array([5, 6])),
        (np.array([0, 1]), np.array([0, 3]), np.array([5, 6])),
    ]
    for i, args in enumerate(bad):
        run(
            out,
            f"utils.check_inputs.{i}",
            lambda: [0.0 if utils._check_inputs(*args) is None else 1.0],
        )


def run(out, key, thunk):
    try:
        value = thunk()
        out[key] = {"values": numbers(value)}
    except Exception as err:  # recorded, compared by the test
        out[key] = {"error": type(err).__name__, "message": str(err)[:200]}


def main(module, path, data_dir):
    lt = importlib.import_module(module)
    out = {}
    rows = histories()
    cdnow = pd.read_csv(data_dir + "/cdnow_customers_summary.csv", index_col=[0])
    cdnow_m = pd.read_csv(data_dir + "/cdnow_customers_summary_with_transactions.csv")
    cdnow_m.columns = ["customer_id", "frequency", "recency", "T", "monetary_value"]
    cdnow_m = cdnow_m.set_index("customer_id")
    donations = pd.read_csv(data_dir + "/donations.csv")
    count_cases(lt, out, rows)
    bgbb_cases(lt, out)
    gg_cases(lt, out, cdnow_m)
    fit_cases(lt, out, cdnow, cdnow_m, donations)
    util_cases(lt, out, data_dir)
    with open(path, "w") as fh:
        json.dump({"module": module, "rows": len(rows), "cases": out}, fh)
    return 0 if all(math.isfinite(0.0) for _ in (0,)) else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
