"""The output folder of a CLI run: files are written into a temporary folder next to it and
moved into place when the run succeeds, so an interrupted run never leaves half a report."""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["move_into_place", "remove_stale_tmp", "staging_dir", "tmp_prefix"]


def tmp_prefix(out: Path) -> str:
    return f".{out.name}.tmp-"


def remove_stale_tmp(out: Path) -> None:
    """Removes temporary folders of earlier runs into ``out`` whose process is gone (a run
    killed by SIGKILL cannot clean up after itself). The folder name holds the process id."""
    prefix = tmp_prefix(out)
    if not out.parent.is_dir():
        return
    for item in out.parent.iterdir():
        if not (item.name.startswith(prefix) and item.is_dir()):
            continue
        pid_text = item.name[len(prefix) :].split("-", 1)[0]
        if pid_text.isdigit() and not _process_alive(int(pid_text)):
            shutil.rmtree(item, ignore_errors=True)


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True


def move_into_place(tmp: Path, out: Path) -> None:
    """Moves the finished files into ``out``: a new directory is renamed in one step; into an
    existing one each file is replaced atomically, other files there are left alone."""
    if not out.exists():
        os.replace(tmp, out)
        return
    for item in tmp.iterdir():
        os.replace(item, out / item.name)


@contextmanager
def staging_dir(out: Path) -> Iterator[Path]:
    """A new temporary folder next to ``out`` (stale ones of dead runs removed first),
    removed on exit with whatever is still in it.

    The removal goes by the folder's prefix, not by its path: a signal (SIGTERM raises,
    see ``main``) that arrives after ``mkdtemp`` created the folder but before its name was
    returned would otherwise leave it behind.
    """
    remove_stale_tmp(out)
    # the process id (for remove_stale_tmp) and a token of this run: other runs in the same
    # process (threads) keep their folders
    prefix = f"{tmp_prefix(out)}{os.getpid()}-{secrets.token_hex(4)}-"
    try:
        # made with mode 0o777 less the umask, as ``out`` itself would be: no chmod later (and
        # no os.umask() call, which changes the umask for a moment for every thread)
        folder = out.parent / f"{prefix}run"
        folder.mkdir(mode=0o777)
        yield folder
    finally:
        for item in out.parent.glob(prefix + "*"):
            shutil.rmtree(item, ignore_errors=True)
