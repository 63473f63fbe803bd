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
