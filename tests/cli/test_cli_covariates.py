"""``clmkit report --covariates FILE`` (issue 21): customer attributes reach the models and
the report's drivers table; a file missing customers fails with one line."""

import json

import clmkit
import numpy as np
import pandas as pd
import pytest
from clmkit.cli import main

pytest.importorskip("matplotlib")
pytest.importorskip("jinja2")
pytest.importorskip("pyarrow")


@pytest.fixture(scope="module")
def log():
    return clmkit.datasets.load_cdnow_sample()[["customer_id", "date", "amount"]]


def _files(tmp_path, log, drop=0):
    path = tmp_path / "log.csv"
    log.assign(date=log["date"].dt.strftime("%Y-%m-%d")).to_csv(path, index=False)
    ids = np.sort(log["customer_id"].unique())[drop:]
    rng = np.random.default_rng(2)
    attrs = pd.DataFrame({"customer_id": ids, "channel": rng.choice(["email", "web"], len(ids))})
    cov = tmp_path / "attributes.csv"
    attrs.to_csv(cov, index=False)
    return path, cov, attrs


def _args(path, out, cov):
    return [
        "report", str(path), "--customer-id-col", "customer_id", "--datetime-col", "date",
        "--monetary-col", "amount", "--out", str(out), "--quiet", "--covariates", str(cov),
        "--model", "bgnbd",
    ]  # fmt: skip


@pytest.mark.filterwarnings("ignore::clmkit.ClmkitWarning")
def test_covariates_file_drives_the_models(tmp_path, log):
    path, cov, attrs = _files(tmp_path, log)
    out = tmp_path / "out"
    assert main(_args(path, out, cov)) == 0
    doc = json.loads((out / "models.json").read_text())
    assert doc["settings"]["covariates"] == ["channel=web"]
    # The same fit in Python: the coefficient of the saved transaction model.
    data = clmkit.summarize(log, "customer_id", "date", "amount")
    web = (attrs.set_index("customer_id")["channel"] == "web").astype(float)
    data["channel=web"] = web.reindex(data.index).to_numpy()
    names = ["channel=web"]
    bg = clmkit.BetaGeo().fit(data, purchase_covariates=names, dropout_covariates=names)
    saved = clmkit.BetaGeo.from_json(json.dumps(doc["models"]["transactions"]))
    np.testing.assert_allclose(saved.coefficients_, bg.coefficients_, rtol=1e-8)
    assert "What drives purchasing and churn" in (out / "report.html").read_text()


def test_missing_customers_fail_with_one_line(tmp_path, log, capsys):
    path, cov, _ = _files(tmp_path, log, drop=2)
    out = tmp_path / "out"
    assert main(_args(path, out, cov)) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "lacks 2 customers" in err[0], err


@pytest.mark.filterwarnings("ignore::clmkit.ClmkitWarning")
def test_excel_covariates_file_reads_like_the_log(tmp_path, log):
    """An Excel "CSV UTF-8" attributes file (byte-order mark, ';', decimal comma, ids as
    text): the same coefficients as the plain file, so the id column is found and the
    numbers keep their fractions."""
    path, plain, attrs = _files(tmp_path, log)
    age = np.random.default_rng(3).normal(40, 10, len(attrs)).round(1)
    attrs = attrs.assign(age=age)
    attrs.to_csv(plain, index=False)
    excel = tmp_path / "attributes_excel.csv"
    with open(excel, "w", encoding="utf-8-sig") as fh:
        attrs.to_csv(fh, sep=";", decimal=",", index=False)
    coefs = []
    for cov, extra in ((plain, []), (excel, ["--decimal", ","])):
        out = tmp_path / f"out_{cov.stem}"
        # the log is a plain CSV: --decimal "," only changes how its amounts would be read
        log_path = path if not extra else tmp_path / "log_comma.csv"
        if extra:
            log.assign(date=log["date"].dt.strftime("%Y-%m-%d")).to_csv(
                log_path, sep=";", decimal=",", index=False
            )
            extra = [*extra, "--delimiter", ";"]
        assert main([*_args(log_path, out, cov), *extra]) == 0
        doc = json.loads((out / "models.json").read_text())
        assert sorted(doc["settings"]["covariates"]) == ["age", "channel=web"]
        coefs.append(doc["models"]["transactions"])
    first, second = (clmkit.BetaGeo.from_json(json.dumps(c)) for c in coefs)
    np.testing.assert_allclose(second.coefficients_, first.coefficients_, rtol=1e-10)
