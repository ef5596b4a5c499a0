"""One temporary root per process, swept when its process is gone.

Every temporary directory cfdpo makes (compiles, test runs, LLVM tools) lives
under ``$TMPDIR/cfdpo-run-<pid>-<start>/``, where ``start`` is the process's
start time in clock ticks (``/proc/<pid>/stat`` field 22), so a reused pid is
never mistaken for the owner. The root is removed at exit and on SIGINT/SIGTERM
(the CLI handles those); after a SIGKILL it stays, and the next cfdpo process
that makes its own root removes every root whose owner no longer runs.
"""

from __future__ import annotations

import atexit
import logging
import os
import re
import shutil
import tempfile
import threading
from pathlib import Path

__all__ = ["ROOT_PREFIX", "remove_run_temp_root", "run_temp_root", "sweep_dead_roots"]

log = logging.getLogger(__name__)

ROOT_PREFIX = "cfdpo-run-"
_ROOT_RE = re.compile(rf"^{ROOT_PREFIX}(\d+)-(\d+)$")
_lock = threading.Lock()
_root: str | None = None


def _start_ticks(pid: int) -> int | None:
    """The start time of ``pid`` in clock ticks since boot, or None when no such process runs."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may hold spaces and parentheses: split after its last ')'
    fields = stat[stat.rfind(")") + 2:].split()
    try:
        return int(fields[19])  # field 22 overall
    except (IndexError, ValueError):
        return None


def sweep_dead_roots(parent: str | None = None) -> int:
    """Remove the temp roots of cfdpo processes that no longer run; returns how many were removed."""
    parent = parent or tempfile.gettempdir()
    removed = 0
    try:
        names = os.listdir(parent)
    except OSError:
        return 0
    for name in names:
        m = _ROOT_RE.match(name)
        if not m:
            continue
        pid, start = int(m.group(1)), int(m.group(2))
        if _start_ticks(pid) == start:
            continue  # its owner still runs
        shutil.rmtree(os.path.join(parent, name), ignore_errors=True)
        removed += 1
    if removed:
        log.info("removed %d temp dir(s) left by killed cfdpo runs in %s", removed, parent)
    return removed


def run_temp_root() -> str:
    """This process's temp root (made on first use, after sweeping dead ones; removed at exit).

    The root is ``0o711``: sandboxed programs run as other uids must reach their
    own directories inside it, but cannot list it.
    """
    global _root
    with _lock:
        if _root is not None and os.path.isdir(_root):
            return _root
        parent = tempfile.gettempdir()
        sweep_dead_roots(parent)
        pid = os.getpid()
        path = os.path.join(parent, f"{ROOT_PREFIX}{pid}-{_start_ticks(pid) or 0}")
        os.makedirs(path, exist_ok=True)
        os.chmod(path, 0o711)
        if _root is None:
            atexit.register(remove_run_temp_root)
        _root = path
        return path


def remove_run_temp_root() -> None:
    """Remove this process's temp root (safe to call more than once)."""
    global _root
    with _lock:
        if _root is not None and _root.endswith(f"{ROOT_PREFIX}{os.getpid()}-{_start_ticks(os.getpid()) or 0}"):
            shutil.rmtree(_root, ignore_errors=True)
        _root = None
