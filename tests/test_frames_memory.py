"""Zero-copy evidence for the table door: a 10M-row log's columns reach the Rust kernel as
views of the caller's buffers, and summarize's peak memory is the input plus the output plus a
small constant (issue 11)."""

import sys
import tracemalloc

import clmkit
import numpy as np
import pytest
from clmkit import _io

pl = pytest.importorskip("polars")
pa = pytest.importorskip("pyarrow")

N_ROWS, N_CUSTOMERS = 10_000_000, 1_000
COLUMN_BYTES = N_ROWS * 8
# A copy of any one input column costs COLUMN_BYTES; everything else summarize allocates
# (1000 output rows, bookkeeping) is far below this.
ALLOWANCE = COLUMN_BYTES // 5


def _columns(n_rows=N_ROWS):
    """A customer-sorted log (the kernel then needs no scratch of its own, so peak memory
    measures the door alone): int64 ids, datetime[us] (polars' default unit) and float64."""
    per = n_rows // N_CUSTOMERS
    ids = np.repeat(np.arange(N_CUSTOMERS, dtype=np.int64), per)
    ticks = (
        np.int64(1_577_836_800_000_000) + (np.arange(n_rows, dtype=np.int64) % per) * 3_600_000_000
    )
    values = np.arange(n_rows, dtype=np.float64) % 97.0
    return {"id": ids, "t": ticks.view("datetime64[us]"), "v": values}


@pytest.fixture(scope="module")
def polars_log():
    return pl.DataFrame(_columns())


@pytest.fixture(scope="module")
def arrow_log():
    return pa.table(_columns())


def _buffers(table):
    """numpy views of each input column's data buffer."""
    if isinstance(table, pl.DataFrame):
        return {c: table[c].to_physical().to_numpy() for c in table.columns}
    out = {}
    for c in table.column_names:
        chunk = table.column(c).chunks[0]
        out[c] = np.frombuffer(chunk.buffers()[1], dtype=np.int64 if c != "v" else np.float64)
    return out


def _kernel_arguments(monkeypatch, table):
    seen = {}
    real = clmkit._core.summarize_log

    def spy(ids, n_codes, ticks, ticks_per_second, values, *rest):
        seen.update(id=ids, t=ticks, v=values)
        return real(ids, n_codes, ticks, ticks_per_second, values, *rest)

    monkeypatch.setattr(clmkit._core, "summarize_log", spy)
    clmkit.summarize(table, "id", "t", "v")
    return seen


@pytest.mark.parametrize("kind", ["polars", "arrow", "lazy"])
def test_columns_reach_the_kernel_as_views_of_the_input(kind, polars_log, arrow_log, monkeypatch):
    table = {"polars": polars_log, "arrow": arrow_log, "lazy": polars_log}[kind]
    given = table.lazy() if kind == "lazy" else table
    seen = _kernel_arguments(monkeypatch, given)
    for col, buffer in _buffers(table).items():
        assert np.shares_memory(seen[col], buffer), col


def test_views_through_the_layer_are_read_only_views_of_the_buffers(polars_log, arrow_log):
    for table in (polars_log, arrow_log):
        t = _io.read(table, {"customer_id_col": "id", "datetime_col": "t", "value": "v"})
        buffers = _buffers(table)
        assert np.shares_memory(t.numeric("v", "value"), buffers["v"])
        ids, uniques = _io.id_array(t.frame["id"], "customer_id_col 'id'")
        assert uniques is None and np.shares_memory(ids, buffers["id"])
        ticks, per_second, tz = _io.datetime_ticks(t.frame["t"], "datetime_col 't'")
        assert per_second == 10**6 and tz is None and np.shares_memory(ticks, buffers["t"])


def _status(key):
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key):
                return int(line.split()[1]) * 1024
    raise KeyError(key)


def _peak_rss_of(fn):
    """Peak resident memory above the starting point while ``fn`` runs (Linux: VmHWM reset
    through /proc/self/clear_refs), counting every allocator: numpy, Arrow, polars, Rust."""
    before = _status("VmRSS:")
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    result = fn()
    return _status("VmHWM:") - before, result


def _peak_traced_of(fn):
    """Peak of the allocations Python and numpy make while ``fn`` runs."""
    tracemalloc.start()
    try:
        result = fn()
        return tracemalloc.get_traced_memory()[1], result
    finally:
        tracemalloc.stop()


def _copying_numeric(monkeypatch):
    real = _io._log.numeric_values
    monkeypatch.setattr(
        _io._log,
        "numeric_values",
        lambda s, label, **checks: np.array(real(s, label, **checks)),
    )


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="peak RSS from /proc")
@pytest.mark.parametrize("kind", ["polars", "arrow"])
def test_peak_memory_is_input_plus_output_plus_a_constant(kind, polars_log, arrow_log, monkeypatch):
    table = polars_log if kind == "polars" else arrow_log
    summarize = lambda: clmkit.summarize(table, "id", "t", "v")
    summarize()  # warm up: imports, thread pools
    rss, out = _peak_rss_of(summarize)
    assert len(out) == N_CUSTOMERS
    assert rss < ALLOWANCE, f"summarize took {rss / 1e6:.1f} MB above its input"
    traced, _ = _peak_traced_of(summarize)
    assert traced < ALLOWANCE, f"summarize allocated {traced / 1e6:.1f} MB of numpy/Python memory"
    # The same measurements see a single copy of the value column: the test would fail
    # without the zero-copy path.
    _copying_numeric(monkeypatch)
    assert _peak_rss_of(summarize)[0] > COLUMN_BYTES * 0.9
    assert _peak_traced_of(summarize)[0] > COLUMN_BYTES * 0.9
