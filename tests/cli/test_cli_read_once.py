"""``clmkit report`` reads its file once: one TransactionLog, handed to analyze() (issue 19)."""

import clmkit
import pytest
from clmkit import TransactionLog
from clmkit.cli import main


@pytest.mark.filterwarnings("ignore::clmkit.ClmkitWarning")
def test_report_builds_one_transaction_log_for_analyze(tmp_path, monkeypatch):
    pytest.importorskip("pyarrow")  # the CLI reads files through Arrow (clmkit[report])
    log = clmkit.datasets.load_cdnow_sample()[["customer_id", "date", "amount"]]
    path = tmp_path / "log.csv"
    log.assign(date=log["date"].dt.strftime("%Y-%m-%d")).to_csv(path, index=False)
    built, given = [], []
    from_frame, analyze = TransactionLog.from_frame.__func__, clmkit.analyze

    def counted_from_frame(cls, *args, **kwargs):
        built.append(1)
        return from_frame(cls, *args, **kwargs)

    def spy_analyze(transactions, *args, **kwargs):
        given.append(transactions)
        return analyze(transactions, *args, **kwargs)

    monkeypatch.setattr(TransactionLog, "from_frame", classmethod(counted_from_frame))
    monkeypatch.setattr(clmkit, "analyze", spy_analyze)
    cols = ["--customer-id-col", "customer_id", "--datetime-col", "date", "--monetary-col"]
    args = ["report", str(path), *cols, "amount", "--out", str(tmp_path / "out"), "--quiet"]
    assert main(args) == 0
    assert len(built) == 1
    assert len(given) == 1 and isinstance(given[0], TransactionLog)
    assert (len(given[0]), given[0].n_customers) == (len(log), log["customer_id"].nunique())
