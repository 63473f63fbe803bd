"""`clmkit report --contractual`: a subscription log simulated from an sBG model, through the
command line end to end (Excel's BOM, semicolons, dd/mm/yyyy), and its bad inputs."""

import json
import warnings

import clmkit
import numpy as np
import pandas as pd
import pytest
from clmkit.cli import main

pytest.importorskip("matplotlib")
pytest.importorskip("jinja2")
pq = pytest.importorskip("pyarrow.parquet")

ALPHA, BETA = 1.2, 3.0
OBS_MONTH = 23  # months after January 2022: December 2023


def _simulate(n=3000, seed=7):
    """Subscribers joining on the 1st of months 0..11; each churns with a probability drawn
    from Beta(ALPHA, BETA), so its lifetime is geometric (the sBG of Fader & Hardie 2007).
    Returns the file's lines (header first) and the true tenure and churn per id."""
    rng = np.random.default_rng(seed)
    theta = rng.beta(ALPHA, BETA, n)
    months = rng.integers(0, 12, n)
    life = rng.geometric(theta)  # periods subscribed, >= 1
    jan = pd.Timestamp("2022-01-01")
    lines, truth = ["sub_id;started;ended;plan"], {}
    for k in range(n):
        cid = f"{k:06d}"  # zero-padded ids must stay text
        start = jan + pd.DateOffset(months=int(months[k]))
        churned = months[k] + life[k] <= OBS_MONTH
        end = jan + pd.DateOffset(months=int(months[k] + life[k]))
        ended = end.strftime("%d/%m/%Y") if churned else ""
        lines.append(f"{cid};{start.strftime('%d/%m/%Y')};{ended};basic")
        tenure = life[k] if churned else OBS_MONTH - months[k] + 1
        truth[cid] = (int(tenure), bool(churned))
    return lines, truth


def _argv(path, out, *extra):
    return [
        "report",
        str(path),
        "--contractual",
        "--customer-id-col",
        "sub_id",
        "--start-col",
        "started",
        "--end-col",
        "ended",
        "--delimiter",
        ";",
        "--date-format",
        "%d/%m/%Y",
        "--observation-end",
        "2023-12-31",
        "--out",
        str(out),
        "--quiet",
        *extra,
    ]


def _run(argv):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", clmkit.ClmkitWarning)
        return main(argv)


@pytest.fixture(scope="module")
def simulated():
    return _simulate()


def test_bom_semicolon_csv_end_to_end_sbg(tmp_path, simulated):
    lines, truth = simulated
    path = tmp_path / "subs.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode("utf-8") + b"\r\n")
    out = tmp_path / "out"
    argv = _argv(path, out, "--model", "sbg", "--margin", "20", "--discount-rate", "0.01")
    assert _run(argv) == 0
    t = pq.read_table(out / "subscribers.parquet").to_pandas()
    csv = pd.read_csv(out / "subscribers.csv", dtype={"sub_id": str})
    assert csv["sub_id"].tolist() == t.index.tolist()
    assert sorted(t.index) == sorted(truth)  # every id, zero padding kept
    # tenure and churn as simulated (not re-derived by the code under test)
    expected = pd.DataFrame.from_dict(truth, orient="index", columns=["tenure", "churned"])
    expected = expected.loc[t.index]
    np.testing.assert_array_equal(t["tenure"].to_numpy(), expected["tenure"].to_numpy())
    np.testing.assert_array_equal(t["churned"].to_numpy(), expected["churned"].to_numpy())
    # the fitted sBG recovers the simulating parameters (3000 censored subscribers)
    state = json.loads((out / "model.json").read_text())
    model = clmkit.ShiftedBetaGeometric.from_json((out / "model.json").read_text())
    a, b = model.params_["alpha"], model.params_["beta"]
    assert state  # a real JSON document
    assert abs(a - ALPHA) < 0.35 * ALPHA and abs(b - BETA) < 0.35 * BETA
    # P(renew next period) for a subscriber with n renewals is the sBG retention rate
    # (beta + n) / (alpha + beta + n) (Fader & Hardie 2007, eq. 6 with t = n + 1)
    active = ~t["churned"].to_numpy(bool)
    n = t["renewals"].to_numpy(float)
    np.testing.assert_allclose(
        t["p_active_next_period"].to_numpy()[active], ((b + n) / (a + b + n))[active], rtol=1e-9
    )
    assert (t["p_active_next_period"].to_numpy()[~active] == 0).all()
    # DERL of a subscriber with n renewals, by brute force: sum over t >= 0 of
    # S(n + 1 + t) / S(n) / (1 + d)^t (the next renewal is the first, undiscounted term), with
    # the sBG survival S(t) = B(alpha, beta + t) / B(alpha, beta) (Fader & Hardie 2010)
    from scipy.special import betaln

    def derl(renewals):
        ts = np.arange(0, 3000)
        s = np.exp(betaln(a, b + renewals + 1 + ts) - betaln(a, b + renewals))
        return float(np.sum(s / 1.01**ts))

    for r in sorted(set(n[active].astype(int)))[:5]:
        row = t[active & (n == r)].iloc[0]
        assert row["derl"] == pytest.approx(derl(r), rel=1e-6)
        assert row["value"] == pytest.approx(20 * row["derl"], rel=1e-12)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Subscriptions: who stays" in html and "How to act on it" in html
    assert html.count("data:image/png;base64,") == 2  # survival and retention by cohort
    assert "Value of the base" in html and "Std. error" in html
    assert f"{model.standard_errors_['alpha']:.3f}" in html
    assert not list(tmp_path.glob(".out.tmp-*"))  # the temporary folder was moved


def test_bdw_is_the_default_and_parquet_input(tmp_path, simulated):
    lines, truth = simulated
    frame = pd.DataFrame([line.split(";") for line in lines[1:400]], columns=lines[0].split(";"))
    frame["started"] = pd.to_datetime(frame["started"], format="%d/%m/%Y")
    frame["ended"] = pd.to_datetime(frame["ended"].replace("", None), format="%d/%m/%Y")
    path = tmp_path / "subs.parquet"
    frame.to_parquet(path)
    out = tmp_path / "o"
    argv = [a for a in _argv(path, out) if a not in (";", "--delimiter", "%d/%m/%Y")]
    argv.remove("--date-format")
    assert _run([*argv, "--formats", "csv"]) == 0
    model = clmkit.BetaDiscreteWeibull.from_json((out / "model.json").read_text())
    assert set(model.params_.index) == {"alpha", "beta", "c"}
    t = pd.read_csv(out / "subscribers.csv", dtype={"sub_id": str}).set_index("sub_id")
    assert "value" not in t  # no --margin: DERL in periods only
    assert not (out / "subscribers.parquet").exists()
    assert t.loc["000000", "tenure"] == truth["000000"][0]


def test_end_before_start_names_flag_and_spreadsheet_line(tmp_path, capsys):
    path = tmp_path / "subs.csv"
    rows = [
        "sub_id;started;ended",
        "a;01/01/2022;01/03/2022",
        "b;01/02/2022;",
        "c;01/05/2022;01/04/2022",
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    assert _run(_argv(path, out)) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("clmkit: error: --end-col 'ended'"), err
    assert "line 4" in err and "data row 3" in err, err
    assert not out.exists()


def test_header_only_file_is_one_line_error(tmp_path, capsys):
    path = tmp_path / "subs.csv"
    path.write_bytes(b"\xef\xbb\xbfsub_id;started;ended\r\n")
    assert _run(_argv(path, tmp_path / "out")) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no subscriptions" in err, err
    assert not (tmp_path / "out").exists()


def test_missing_column_and_input_inside_out(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    path = out / "subscribers.csv"
    path.write_text("sub_id;started;ended\na;01/01/2022;\n", encoding="utf-8")
    assert _run(_argv(path, out)) == 1
    err = capsys.readouterr().err
    assert "would be replaced" in err and "--out" in err
    assert path.read_text(encoding="utf-8").startswith("sub_id")  # untouched
    other = tmp_path / "subs.csv"
    other.write_text("id;started;ended\na;01/01/2022;\n", encoding="utf-8")
    assert _run(_argv(other, tmp_path / "o2")) == 1
    assert "--customer-id-col 'sub_id'" in capsys.readouterr().err
    argv = [a for a in _argv(other, tmp_path / "o3") if a != ";"]
    argv.remove("--delimiter")
    assert _run(argv) == 1
    err = capsys.readouterr().err
    assert "add --delimiter ';'" in err and "----" not in err, err


@pytest.mark.parametrize(
    "extra",
    [
        ["--model", "mbgnbd"],  # a transaction model with --contractual
        ["--demo"],
    ],
)
def test_usage_errors_exit_2(tmp_path, extra):
    path = tmp_path / "s.csv"
    path.write_text("sub_id;started;ended\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main([*_argv(path, tmp_path / "o"), *extra])
    assert exc.value.code == 2


def test_start_col_required_and_retention_model_needs_contractual(tmp_path):
    with pytest.raises(SystemExit) as exc:
        main(["report", "x.csv", "--contractual", "--customer-id-col", "id", "--out", "o"])
    assert exc.value.code == 2
    argv = ["report", "x.csv", "--customer-id-col", "id", "--datetime-col", "d"]
    with pytest.raises(SystemExit) as exc:
        main([*argv, "--model", "sbg", "--out", str(tmp_path / "o")])
    assert exc.value.code == 2


def test_unreliable_fit_is_warned_on_stderr_and_in_the_report(tmp_path, capsys):
    # every subscriber leaves after exactly one month: the sBG runs to its boundary
    rows = [f"c{i},2022-0{i % 6 + 1}-01,2022-0{i % 6 + 2}-01" for i in range(30)]
    path = tmp_path / "flat.csv"
    path.write_text("\n".join(["id,start,end", *rows, "z,2022-01-01,"]) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    argv = ["report", str(path), "--contractual", "--customer-id-col", "id", "--start-col"]
    argv += ["start", "--end-col", "end", "--model", "sbg", "--out", str(out), "--quiet"]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert err.count("clmkit: warning: ShiftedBetaGeometric fit") == 1, err
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Read with care" in html and "not reliable" in html
