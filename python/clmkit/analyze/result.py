"""The result of :func:`clmkit.analyze`: the customer table, the fitted models, the headline
numbers and the files the CLI writes."""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Union

import pandas as pd

from .._estimator import Estimator
from .._io import deliver
from .._typing import JSONDict

if TYPE_CHECKING:
    import pyarrow as pa  # no type information: its objects are Any to mypy

    from ..clv.holdout import HoldoutEvaluation
    from ..contractual.analysis import ContractualRun

Progress = Callable[[str, float], None]

#: Files :meth:`Analysis.save` can write, by format name.
FORMATS = {
    "parquet": "customers.parquet",
    "csv": "customers.csv",
    "json": "models.json",
    "html": "report.html",
}


@dataclass
class Analysis:
    """The result of :func:`clmkit.analyze`.

    Attributes
    ----------
    table : DataFrame
        One row per customer (columns: ``docs/snippets/analyze_columns.md``): a pandas
        DataFrame indexed by customer id, or in the input's library (``output=``) with the
        customer id as the first column, as every other entry point returns its tables.
    models : dict
        Fitted models by role (``"transactions"``, ``"spend"``, ``"calibration"``,
        ``"contractual"``).
    settings : dict
        The arguments of the run (horizon, units, observation end, windows, ...), JSON-ready.
    stage_history, transitions, early_warning : DataFrame or None
        Stages at monthly snapshots, the stage transition matrix between them and the
        customers who just moved into at-risk / churned, ranked by value at stake.
    cal_holdout : DataFrame or None
        Calibration / holdout data when ``calibration_period_end`` was given.
    holdout_evaluation : clmkit.HoldoutEvaluation or None
        Errors of the calibration model's holdout predictions (MAE, RMSE, aggregate error).
    timings : dict
        Seconds spent in each step.
    skipped : dict
        Steps that did not run and why.
    warnings : list of str
        Reasons to read the numbers with care (too little data for a model, a fit at the
        boundary of its parameter space, ...); the report shows them at the top.
    library : str
        Library of the tables: "pandas", "polars", "arrow" or "numpy" (dicts of arrays).
    contractual : clmkit.contractual.analysis.ContractualRun or None
        With ``contractual=``: the fitted retention model, the subscribers and the cohort
        survivors behind the ``sub_`` columns and the report's subscription section.
    covariate_effects : pandas.DataFrame or None
        With ``covariates=``: one row per fitted coefficient (``model``, ``process``,
        ``block``, ``covariate``, ``coef``, ``se``, Wald 95% bounds, ``effect``: the factor
        by which one unit more of the covariate multiplies the process's population mean,
        ``moves``: that mean in words).
    """

    # a pandas DataFrame during the run and from to_pandas(), the caller's table (of any
    # library, or a dict of numpy arrays) after delivery: readers index the pandas one
    table: Any
    models: dict[str, Estimator] = field(default_factory=dict)
    settings: JSONDict = field(default_factory=dict)
    stage_history: Optional[pd.DataFrame] = None
    transitions: Optional[pd.DataFrame] = None
    early_warning: Optional[pd.DataFrame] = None
    cal_holdout: Optional[pd.DataFrame] = None
    holdout_evaluation: Optional[HoldoutEvaluation] = None
    timings: dict[str, float] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    library: str = "pandas"
    contractual: Optional[ContractualRun] = None
    covariate_effects: Optional[pd.DataFrame] = None
    _pandas: Optional[Analysis] = field(default=None, repr=False, compare=False)

    def __repr__(self) -> str:
        t = self.to_pandas().table
        return f"Analysis({len(t):,} customers, {t.shape[1]} columns, models={sorted(self.models)})"

    def to_pandas(self) -> Analysis:
        """This analysis with pandas tables indexed by customer id (itself when it has them)."""
        return self if self._pandas is None else self._pandas

    def _delivered(self, target: str) -> Analysis:
        """This (pandas) analysis with every table in ``target``'s library."""
        if target == "pandas":
            return self
        tables = {
            name: None if getattr(self, name) is None else deliver(getattr(self, name), target)
            for name in ("table", "stage_history", "transitions", "early_warning", "cal_holdout")
        }
        return dataclasses.replace(self, **tables, library=target, _pandas=self)  # type: ignore[arg-type]

    def summary(self) -> dict[str, Any]:  # counts, sums and Series by name (see Returns)
        """Headline numbers, segment and stage counts.

        Returns
        -------
        dict
            ``customers``, ``repeat_customers``, ``total_value`` (historic spend, all
            purchases), the sums of the horizon columns (expected purchases, CLV), the mean
            P(alive) over all customers and ``expected_active`` (its sum: the number of
            customers the model expects to be still active), and ``segments`` / ``stages``
            / ``abc_classes``: customers per label (pandas Series, largest first; stages in
            stage order).
        """
        t = self.to_pandas().table
        out: dict[str, Union[int, float, pd.Series]] = {
            "customers": len(t),
            "repeat_customers": int((t["frequency"] > 0).sum()),
        }
        if "total_value" in t:
            out["total_value"] = float(t["total_value"].sum())
        for col in t.columns:
            if col.startswith(("expected_purchases_", "clv_")) and not col.endswith(
                ("_low", "_high")
            ):
                out[col] = float(t[col].sum())
        if "p_alive" in t:
            out["mean_p_alive"] = float(t["p_alive"].mean()) if len(t) else float("nan")
            out["expected_active"] = float(t["p_alive"].sum())
        for key, col in (
            ("segments", "rfm_segment"),
            ("stages", "stage"),
            ("abc_classes", "abc_class"),
        ):
            if col in t:
                counts = t[col].value_counts(sort=col != "stage")
                out[key] = counts[counts > 0] if col != "stage" else counts
        return out

    def models_json(self) -> str:
        """All fitted models and the run settings as one JSON document."""
        doc = {
            "format": "clmkit.analysis",
            "version": 1,
            "settings": self.settings,
            "models": {role: json.loads(model.to_json()) for role, model in self.models.items()},
            "skipped": self.skipped,
            "warnings": self.warnings,
        }
        return json.dumps(doc, indent=2, default=str)

    def report(self, path: Union[str, Path]) -> Path:
        """Writes the self-contained HTML report to ``path`` (needs ``clmkit[report]``)."""
        from ..report import write_report

        return write_report(self.to_pandas(), path)

    def save(
        self,
        out_dir: Union[str, Path],
        progress: Optional[Progress] = None,
        formats: tuple[str, ...] = ("parquet", "csv", "json", "html"),
    ) -> dict[str, Path]:
        """Writes ``customers.parquet``, ``customers.csv``, ``models.json`` and ``report.html``
        (those named in ``formats``) into ``out_dir`` (which must exist); returns the paths by
        name. Each file is written under a hidden temporary name and renamed into place, so a
        reader never sees a half-written file.

        The table is converted to Arrow once; the CSV is written by Arrow's streaming writer
        (ISO dates, ``.`` as the decimal mark, the customer id as the first column).
        The report is drawn while the data files are written (Arrow releases the GIL), and
        ``progress(step, seconds)`` is called for each file, with its own time, once all are
        written.
        """
        unknown = [f for f in formats if f not in FORMATS]
        if unknown:
            raise ValueError(f"formats: unknown {unknown}; choose from {sorted(FORMATS)}")
        out = Path(out_dir)
        arrow: list[pa.Table] = []

        def table() -> pa.Table:
            if not arrow:
                arrow.append(_to_arrow(self.to_pandas().table))
            return arrow[0]

        writers: Mapping[str, Callable[[Path], object]] = {
            "parquet": lambda p: _write_parquet(table(), p),
            "csv": lambda p: _write_csv(table(), p),
            "json": lambda p: p.write_text(self.models_json(), encoding="utf-8"),
            "html": self.report,
        }
        paths = {name: out / name for fmt, name in FORMATS.items() if fmt in formats}
        seconds: dict[str, float] = {}

        def write(fmts: list[str]) -> None:
            for fmt in fmts:
                start = time.perf_counter()
                _write_into_place(writers[fmt], out / FORMATS[fmt])
                seconds[fmt] = time.perf_counter() - start

        data = [f for f in FORMATS if f in formats and f != "html"]
        if "html" in formats and data:
            # The report is drawn by matplotlib (Python, holding the GIL) while Arrow writes
            # the data files (native code, GIL released): on two cores the files then add no
            # time (1M customers: 0.5 s of Parquet, 1.5 s with the CSV). The pool's exit
            # waits for the files, also when the report fails, so nothing is written later.
            with ThreadPoolExecutor(1, thread_name_prefix="clmkit-save") as pool:
                files = pool.submit(write, data)
                write(["html"])
            files.result()
        else:
            write([f for f in FORMATS if f in formats])
        if progress is not None:
            for fmt in (f for f in FORMATS if f in formats):
                progress(f"write {FORMATS[fmt]}", seconds[fmt])
        return paths


def _write_into_place(writer: Callable[[Path], object], path: Path) -> None:
    """``writer(tmp)`` on a hidden name in ``path``'s folder, then renamed to ``path``: a reader
    never sees a half-written file, and a failed write leaves nothing behind."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        writer(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _to_arrow(table: pd.DataFrame) -> pa.Table:
    """The customer table as an Arrow table with the customer id as its first column; pandas
    metadata kept, so ``pandas.read_parquet`` gives back the categories and the index."""
    import pyarrow as pa

    arrow = pa.Table.from_pandas(table, preserve_index=True)
    # Arrow puts the index last; a reader (a spreadsheet above all) looks for the id first.
    # pandas finds its index by name in the metadata, wherever the column stands.
    ids = [str(n) for n in table.index.names if n is not None and str(n) in arrow.column_names]
    rest = [c for c in arrow.column_names if c not in ids]
    return arrow.select(ids + rest)


def _csv_types(table: pa.Table) -> list[pa.DataType]:
    """The CSV's column types: categories as plain text, timestamps that are whole days as
    dates (what a spreadsheet shows); decided once on whole columns, so every batch agrees."""
    import pyarrow as pa
    import pyarrow.compute as pc

    types = []
    for col in table.columns:
        kind = col.type
        if pa.types.is_dictionary(kind):
            kind = pa.string()
        elif pa.types.is_timestamp(kind) and kind.tz is None:
            days = pc.cast(col, pa.date32())
            if pc.all(pc.equal(pc.cast(days, kind), col)).as_py() in (True, None):
                kind = pa.date32()
        types.append(kind)
    return types


#: Float columns whose values repeat (counts, ages in periods, scores): dictionary encoding
#: halves them. Amounts, model outputs, dates and ids are nearly all distinct, so trying it
#: there costs time (a third of the Parquet writing at 1M customers) for a few bytes.
_REPEATING = frozenset(
    ["frequency", "recency", "T", "n_periods", "inactivity", "gap_before_last", "rfm_score"]
)


def _write_parquet(table: pa.Table, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    dictionary = [
        f.name
        for f in table.schema
        if f.name in _REPEATING
        or pa.types.is_dictionary(f.type)
        or (pa.types.is_integer(f.type) and f.type.bit_width <= 16)
    ]
    pq.write_table(table, path, use_dictionary=dictionary)


def _write_csv(table: pa.Table, path: Path, batch_rows: int = 65_536) -> None:
    """Streams the table to CSV a batch at a time: the text forms of categories and dates
    exist for one batch only (1M customers: 100 MB less at the peak than converting the
    whole table first)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    types = _csv_types(table)
    schema = pa.schema([pa.field(f.name, kind) for f, kind in zip(table.schema, types)])
    with pacsv.CSVWriter(path, schema) as writer:
        for batch in table.to_batches(max_chunksize=batch_rows):
            columns = [
                col if col.type == kind else col.cast(kind)
                for col, kind in zip(batch.columns, types)
            ]
            writer.write_batch(pa.RecordBatch.from_arrays(columns, schema=schema))
