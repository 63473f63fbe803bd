"""Benchmark harness: side-by-side timings of clmkit and its peers, written as JSON.

Usage (from a ``benchmarks/bench_<area>.py`` script)::

    from harness import Bench, run_peer

    b = Bench("summary")
    n = b.pick(full=1_000_000, quick=10_000)      # BENCH_QUICK=1 gives smoke-test sizes
    b.time("clmkit 1M", lambda: clmkit.summarize(...), repeat=3, memory=True)
    b.time("pandas 1M", lambda: pandas_version(...), repeat=3)
    b.run_peer("lifetimes", code=PEER_CODE, data={"log": log}, prefix="")   # records timings
    b.ratio("clmkit vs pandas, 1M", "pandas 1M", "clmkit 1M", target=10)
    b.note("...")
    b.save()                                      # -> benchmarks/results/summary.json

Peers that need other library versions (lifetimes 0.11.3 needs numpy<2) run in their own
venv (``benchmarks/setup_peers.sh``) through :func:`run_peer`: the data are written to
``benchmarks/_data/`` (Parquet for DataFrames, ``.npz`` for dicts of arrays), the code runs
in a fresh interpreter where ``data`` (a dict of the loaded objects), ``timeit(label, fn,
repeat=3, memory=False)``, ``result(name, value)`` and ``save_output(name, df)`` are defined,
and the timings come back as a dict.

Only the standard library is imported at module level, so the peer runner (this same file,
run as a script inside a peer venv) works with any numpy/pandas versions.
"""

from __future__ import annotations

import datetime as _dt
import gc
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any, Callable, Optional

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
DATA_DIR = BENCH_DIR / "_data"
VENVS = {
    "lifetimes": BENCH_DIR / ".venv-lifetimes",
    "peers": BENCH_DIR / ".venv-peers",
    "pymc": BENCH_DIR / ".venv-pymc",
}

__all__ = ["Bench", "run_peer", "measure_memory", "machine_info", "quick_mode", "peer_python"]


def quick_mode() -> bool:
    """True when ``BENCH_QUICK=1``: benchmarks then use small sizes (smoke tests)."""
    return os.environ.get("BENCH_QUICK", "") not in ("", "0")


# --- memory -----------------------------------------------------------------------------------


def _status_kb(field: str) -> Optional[int]:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak_rss() -> bool:
    """Resets the kernel's peak-RSS counter (VmHWM) of this process (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


class _RssSampler:
    """Fallback when VmHWM cannot be reset: samples RSS every millisecond in a thread."""

    def __init__(self) -> None:
        self.peak = _status_kb("VmRSS") or 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _status_kb("VmRSS") or 0)
            time.sleep(0.001)

    def __enter__(self) -> _RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _status_kb("VmRSS") or 0)


def measure_memory(fn: Callable[[], Any], tracemalloc_too: bool = True) -> dict[str, float]:
    """Peak memory of one call of ``fn``, in MiB.

    ``peak_rss_mb``: growth of the process's resident set over its level before the call
    (counts every allocator: numpy, Rust, Arrow; may undercount when the allocator reuses
    memory freed earlier in the process). ``tracemalloc_peak_mb``: peak of the allocations
    Python and numpy report to tracemalloc (a separate call, since tracing slows the code;
    Rust and Arrow allocations are invisible to it).
    """
    out: dict[str, float] = {}
    gc.collect()
    base = _status_kb("VmRSS")
    if base is not None:
        if _reset_peak_rss():
            fn()
            peak = _status_kb("VmHWM") or base
        else:
            with _RssSampler() as sampler:
                fn()
            peak = sampler.peak
        out["peak_rss_mb"] = max(peak - base, 0) / 1024.0
        out["rss_before_mb"] = base / 1024.0
    if tracemalloc_too:
        gc.collect()
        tracemalloc.start()
        try:
            fn()
            _, peak_bytes = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        out["tracemalloc_peak_mb"] = peak_bytes / 2.0**20
    return out


def _time_calls(fn: Callable[[], Any], repeat: int, warmup: bool) -> list:
    if warmup:
        fn()
    runs = []
    for _ in range(max(int(repeat), 1)):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return runs


def _load1() -> Optional[float]:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


# --- machine ----------------------------------------------------------------------------------


def _version(module: str) -> Optional[str]:
    try:
        mod = __import__(module)
    except Exception:
        return None
    return getattr(mod, "__version__", "unknown")


def _cpu_model() -> Optional[str]:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _git_commit() -> Optional[str]:
    try:
        return (
            subprocess.run(
                ["git", "-C", str(BENCH_DIR), "rev-parse", "--short", "HEAD"],
                capture_output=True,
                text=True,
                timeout=10,
            ).stdout.strip()
            or None
        )
    except (OSError, subprocess.SubprocessError):
        return None


def machine_info() -> dict[str, Any]:
    """Cores, CPU, memory, Python and library versions, thread settings, date and load."""
    info: dict[str, Any] = {
        "date_utc": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "cores": os.cpu_count(),
        "cores_available": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else None,
        "cpu": _cpu_model(),
        "memory_gb": None,
        "os": platform.platform(),
        "python": platform.python_version(),
        "CLMKIT_NUM_THREADS": os.environ.get("CLMKIT_NUM_THREADS"),
        "load_average": [round(x, 2) for x in os.getloadavg()]
        if hasattr(os, "getloadavg")
        else None,
        "git_commit": _git_commit(),
    }
    try:
        pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        info["memory_gb"] = round(pages * page_size / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        pass
    for name in ("numpy", "pandas", "polars", "pyarrow", "duckdb", "scipy", "clmkit"):
        info[name] = _version(name)
    try:
        import clmkit

        info["clmkit_threads"] = clmkit.get_num_threads()
    except Exception:
        info["clmkit_threads"] = None
    return info


# --- the benchmark record ---------------------------------------------------------------------


class Bench:
    """Timings, memory, ratios and notes of one benchmark area, saved as one JSON file."""

    def __init__(self, area: str, quick: Optional[bool] = None) -> None:
        self.area = area
        self.quick = quick_mode() if quick is None else bool(quick)
        self.machine = machine_info()
        self.timings: dict[str, dict[str, Any]] = {}
        self.ratios: dict[str, dict[str, Any]] = {}
        self.notes: list = []
        self.peers: dict[str, Any] = {}
        self.memory: dict[str, dict[str, Any]] = {}
        self._t0 = time.time()

    def pick(self, full: Any, quick: Any) -> Any:
        """``quick`` under ``BENCH_QUICK=1``, else ``full`` (sizes, repeats...)."""
        return quick if self.quick else full

    def time(
        self,
        label: str,
        fn: Callable[[], Any],
        repeat: int = 3,
        memory: Any = False,
        warmup: bool = False,
        **meta: Any,
    ) -> float:
        """Runs ``fn()`` ``repeat`` times and returns the best wall time in seconds.

        ``memory=True`` adds one call measured for peak RSS and one under tracemalloc;
        ``memory="rss"`` only the RSS one. ``warmup=True`` makes one untimed call first.
        Extra keyword arguments (e.g. ``n_customers=...``) are stored with the timing.
        """
        runs = _time_calls(fn, repeat, warmup)
        mem = measure_memory(fn, tracemalloc_too=(memory != "rss")) if memory else {}
        return self.record(label, min(runs), runs=runs, **mem, **meta)

    def record(self, label: str, seconds: float, runs: Optional[list] = None, **meta: Any) -> float:
        """Stores a timing measured elsewhere (e.g. by a peer process)."""
        entry = {
            "best": float(seconds),
            "runs": [float(r) for r in (runs or [seconds])],
            "load1": _load1(),
        }
        entry.update(meta)
        self.timings[label] = entry
        mem = "".join(
            f", {k}={v:.1f}" for k, v in meta.items() if k.endswith("_mb") and v is not None
        )
        print(f"[{self.area}] {label}: {seconds:.4f} s{mem}", flush=True)
        return float(seconds)

    def measure_memory(self, label: str, fn: Callable[[], Any], **meta: Any) -> dict[str, Any]:
        """Peak memory of one call of ``fn`` (see :func:`measure_memory`), recorded as ``label``."""
        return self.record_memory(label, **measure_memory(fn), **meta)

    def record_memory(self, label: str, **values: Any) -> dict[str, Any]:
        """Stores memory figures measured elsewhere (MiB; e.g. ``peak_rss_mb``, ``input_mb``)."""
        self.memory[label] = dict(values)
        shown = ", ".join(
            f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in values.items()
        )
        print(f"[{self.area}] memory {label}: {shown}", flush=True)
        return self.memory[label]

    def ratio(
        self, name: str, slower_label: str, faster_label: str, target: Optional[float] = None
    ) -> Optional[float]:
        """Records ``time(slower) / time(faster)`` (how many times faster ``faster`` is)."""
        try:
            value = self.timings[slower_label]["best"] / self.timings[faster_label]["best"]
        except (KeyError, ZeroDivisionError):
            missing = [x for x in (slower_label, faster_label) if x not in self.timings]
            self.note(f"ratio {name!r} not computed: missing timings {missing}")
            return None
        self.ratios[name] = {
            "slower": slower_label,
            "faster": faster_label,
            "value": value,
            "target": target,
            "met": None if target is None else value >= target,
        }
        met = (
            ""
            if target is None
            else (" (target {:g}x: {})".format(target, "met" if value >= target else "NOT met"))
        )
        print(f"[{self.area}] ratio {name}: {value:.1f}x{met}", flush=True)
        return value

    def note(self, text: str) -> None:
        """A free-text remark shown under the area's tables in RESULTS.md."""
        self.notes.append(str(text))
        print(f"[{self.area}] note: {text}", flush=True)

    def run_peer(
        self,
        venv: str,
        code: str,
        data: Optional[dict[str, Any]] = None,
        prefix: str = "",
        **kwargs: Any,
    ) -> dict[str, Any]:
        """:func:`run_peer`, then records every peer timing as ``prefix + label``."""
        res = run_peer(venv=venv, code=code, data=data, **kwargs)
        for label, entry in res["timings"].items():
            meta = {k: v for k, v in entry.items() if k not in ("best", "runs")}
            self.record(prefix + label, entry["best"], runs=entry["runs"], peer=venv, **meta)
        self.peers[venv] = res.get("versions", {})
        return res

    def to_dict(self) -> dict[str, Any]:
        finished = machine_info()
        return {
            "area": self.area,
            "quick": self.quick,
            "machine": self.machine,
            "finished_utc": finished["date_utc"],
            "load_average_end": finished["load_average"],
            "elapsed_s": round(time.time() - self._t0, 1),
            "peers": self.peers,
            "timings": self.timings,
            "ratios": self.ratios,
            "memory": self.memory,
            "notes": self.notes,
        }

    def save(self, path: Optional[os.PathLike] = None) -> Path:
        """Writes ``benchmarks/results/<area>.json`` (``<area>.quick.json`` in quick mode)."""
        if path is None:
            RESULTS_DIR.mkdir(parents=True, exist_ok=True)
            path = RESULTS_DIR / (f"{self.area}.quick.json" if self.quick else f"{self.area}.json")
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), indent=2, default=str) + "\n")
        print(f"[{self.area}] saved {path}", flush=True)
        return path


# --- peers in their own venvs -----------------------------------------------------------------


def peer_python(venv: Optional[str]) -> str:
    """Interpreter of a peer venv: "lifetimes", "peers", a path, or None/"main" (this one)."""
    if venv in (None, "main", "self"):
        return sys.executable
    root = VENVS.get(venv, Path(venv))
    exe = Path(root) / "bin" / "python"
    if not exe.exists():
        raise FileNotFoundError(
            f"peer venv {venv!r} not found at {root}; run benchmarks/setup_peers.sh"
        )
    return str(exe)


def _write_data(data: dict[str, Any], tag: str) -> dict[str, dict[str, str]]:
    """Writes each object to DATA_DIR; returns {name: {"kind", "path"}} for the runner."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    specs: dict[str, dict[str, str]] = {}
    for name, obj in data.items():
        if isinstance(obj, (str, os.PathLike)):
            path = Path(obj)
            kind = (
                "parquet"
                if path.suffix == ".parquet"
                else "npz"
                if path.suffix == ".npz"
                else "path"
            )
            specs[name] = {"kind": kind, "path": str(path.resolve())}
            continue
        kind_mod = type(obj).__module__.split(".")[0]
        if kind_mod == "polars":
            obj = obj.to_pandas()
            kind_mod = "pandas"
        if kind_mod == "pandas":
            path = DATA_DIR / f"{tag}_{name}.parquet"
            obj.to_parquet(path, index=False)
            specs[name] = {"kind": "parquet", "path": str(path)}
        else:
            import numpy as np

            arrays = obj if isinstance(obj, dict) else {"array": obj}
            path = DATA_DIR / f"{tag}_{name}.npz"
            np.savez(path, **{k: np.asarray(v) for k, v in arrays.items()})
            specs[name] = {"kind": "npz" if isinstance(obj, dict) else "npy", "path": str(path)}
    return specs


def run_peer(
    venv: Optional[str] = "lifetimes",
    code: str = "",
    data: Optional[dict[str, Any]] = None,
    timeout: float = 3600.0,
    env: Optional[dict[str, str]] = None,
    tag: Optional[str] = None,
    keep_data: bool = False,
) -> dict[str, Any]:
    """Runs ``code`` in a fresh interpreter of a peer venv and returns what it measured.

    Parameters
    ----------
    venv : "lifetimes", "peers", "main" or a venv path.
    code : Python source. It sees ``data`` (name -> pandas DataFrame for DataFrames, dict of
        arrays for dicts, array for arrays), ``timeit(label, fn, repeat=3, memory=False,
        warmup=False, **meta) -> best seconds``, ``memory(label, fn)``, ``result(name, value)``
        (any JSON value) and ``save_output(name, df) -> path`` (Parquet, for checking answers).
    data : name -> pandas/polars DataFrame, numpy array, dict of arrays or an existing file.
    env : extra environment variables for the peer process.
    keep_data : keep the data files written for the peer (default: deleted after the run;
        files given as paths and ``save_output`` files are never deleted).

    Returns
    -------
    dict
        ``timings`` {label: {"best", "runs", ...}}, ``times`` {label: best seconds},
        ``results``, ``outputs`` {name: path}, ``versions`` (python, numpy, pandas, the peer).
    """
    tag = tag or f"peer{os.getpid()}_{int(time.time() * 1000) % 10**8}"
    spec = {
        "code": code,
        "data": _write_data(data or {}, tag),
        "outputs_dir": str(DATA_DIR),
        "tag": tag,
    }
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    written = [
        Path(d["path"])
        for name, d in spec["data"].items()
        if not isinstance((data or {}).get(name), (str, os.PathLike))
    ]
    try:
        with tempfile.TemporaryDirectory(dir=DATA_DIR) as tmp:
            spec_path, out_path = Path(tmp) / "spec.json", Path(tmp) / "out.json"
            spec_path.write_text(json.dumps(spec))
            proc_env = dict(os.environ, **(env or {}))
            proc_env.pop("PYTHONPATH", None)
            proc = subprocess.run(
                [
                    peer_python(venv),
                    str(Path(__file__).resolve()),
                    "--peer-run",
                    str(spec_path),
                    str(out_path),
                ],
                env=proc_env,
                timeout=timeout,
                capture_output=True,
                text=True,
            )
            sys.stdout.write(proc.stdout)
            if proc.returncode != 0:
                raise RuntimeError(
                    f"peer run in venv {venv!r} failed (exit {proc.returncode}):\n"
                    f"{proc.stderr[-4000:]}"
                )
            res = json.loads(out_path.read_text())
    finally:
        if not keep_data:
            for path in written:
                path.unlink(missing_ok=True)
    res["times"] = {label: entry["best"] for label, entry in res["timings"].items()}
    return res


def _peer_main(spec_path: str, out_path: str) -> None:
    """Entry point inside the peer venv (``python harness.py --peer-run spec out``)."""
    spec = json.loads(Path(spec_path).read_text())
    data: dict[str, Any] = {}
    for name, d in spec["data"].items():
        if d["kind"] == "parquet":
            import pandas as pd

            data[name] = pd.read_parquet(d["path"])
        elif d["kind"] in ("npz", "npy"):
            import numpy as np

            with np.load(d["path"]) as z:
                arrays = {k: z[k] for k in z.files}
            data[name] = arrays if d["kind"] == "npz" else arrays["array"]
        else:
            data[name] = d["path"]
    out: dict[str, Any] = {"timings": {}, "results": {}, "outputs": {}}

    def timeit(
        label: str,
        fn: Callable[[], Any],
        repeat: int = 3,
        memory: Any = False,
        warmup: bool = False,
        **meta: Any,
    ) -> float:
        runs = _time_calls(fn, repeat, warmup)
        entry: dict[str, Any] = {"best": min(runs), "runs": runs, "load1": _load1(), **meta}
        if memory:
            entry.update(measure_memory(fn, tracemalloc_too=(memory != "rss")))
        out["timings"][label] = entry
        print(f"[peer] {label}: {min(runs):.4f} s", flush=True)
        return min(runs)

    def memory(label: str, fn: Callable[[], Any]) -> dict[str, float]:
        m = measure_memory(fn)
        out["results"][f"memory:{label}"] = m
        return m

    def result(name: str, value: Any) -> None:
        out["results"][name] = value

    def save_output(name: str, df: Any) -> str:
        path = str(Path(spec["outputs_dir"]) / f"{spec['tag']}_out_{name}.parquet")
        df.to_parquet(path)
        out["outputs"][name] = path
        return path

    namespace = {
        "data": data,
        "timeit": timeit,
        "memory": memory,
        "result": result,
        "save_output": save_output,
        "__name__": "__peer__",
    }
    exec(compile(spec["code"], "<peer code>", "exec"), namespace)
    versions = {"python": platform.python_version()}
    for mod in (
        "numpy",
        "pandas",
        "scipy",
        "lifetimes",
        "lifelines",
        "polars",
        "duckdb",
        "survival",
        "pyarrow",
    ):
        if mod in sys.modules:
            versions[mod] = getattr(sys.modules[mod], "__version__", "unknown")
    out["versions"] = versions
    Path(out_path).write_text(json.dumps(out, default=str))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--peer-run":
        _peer_main(sys.argv[2], sys.argv[3])
    else:
        print(__doc__)
