"""The Rust/Python door: threads, panics, exceptions, version."""

import pickle

import clmkit
import pytest
from clmkit import _core


def test_panic_becomes_runtime_error_not_abort():
    with pytest.raises(
        RuntimeError, match="internal error in clmkit's Rust core.*deliberate test panic"
    ):
        _core._panic_for_test()
    # the pool still works afterwards
    assert clmkit.get_num_threads() >= 1


def test_set_num_threads_round_trip_and_validation():
    n = clmkit.get_num_threads()
    try:
        clmkit.set_num_threads(1)
        assert clmkit.get_num_threads() == 1
        with pytest.raises(ValueError, match="n must be from 1 to 1024, got 0"):
            clmkit.set_num_threads(0)
    finally:
        clmkit.set_num_threads(n)


def test_num_threads_env_var_is_read(tmp_path):
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", "import clmkit; print(clmkit.get_num_threads())"],
        env={"CLMKIT_NUM_THREADS": "3", "PATH": ""},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "3"


def test_convergence_error_is_a_picklable_runtime_error():
    err = clmkit.ConvergenceError("did not converge")
    assert isinstance(err, RuntimeError)
    assert type(pickle.loads(pickle.dumps(err))) is clmkit.ConvergenceError
    assert issubclass(clmkit.ClmkitWarning, UserWarning)


def test_version_matches_package_metadata():
    from importlib.metadata import version

    assert clmkit.__version__ == version("clmkit")
