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

__all__ = [
    "OWNER_ENV",
    "ROOT_PREFIX",
    "cache_dir",
    "compile_cache_dir",
    "kill_orphaned_engines",
    "owner_token",
    "pch_cache_dir",
    "remove_run_temp_root",
    "run_temp_root",
    "start_engine_watchdog",
    "sweep_dead_roots",
]

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
    fields = stat[stat.rfind(")") + 2 :].split()
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


#: set in a cfdpo process's environment before it starts a generation engine, inherited by the engine's
#: processes: ``<pid>-<start ticks>`` of the cfdpo process that owns them
OWNER_ENV = "CFDPO_ENGINE_OWNER"


def owner_token(pid: int | None = None) -> str:
    """``<pid>-<start ticks>`` of a process (default: this one), what :data:`OWNER_ENV` holds."""
    pid = pid or os.getpid()
    return f"{pid}-{_start_ticks(pid) or 0}"


def _owner_alive(token: str) -> bool:
    pid, _, start = token.partition("-")
    return pid.isdigit() and start.isdigit() and _start_ticks(int(pid)) == int(start)


def kill_orphaned_engines() -> int:
    """SIGKILL generation-engine processes (vLLM's EngineCore and workers) whose owning cfdpo process is
    gone, found by :data:`OWNER_ENV` in their environment; returns how many were killed.

    The engine's own watchdog (:func:`start_engine_watchdog`) does this within a second of the owner's
    death; this sweep, run when the next cfdpo command starts, catches what a killed watchdog left.
    """
    import signal

    me = os.getpid()
    killed = 0
    needle = f"{OWNER_ENV}=".encode()
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == me:
            continue
        try:
            with open(f"/proc/{name}/environ", "rb") as f:
                env = f.read()
        except OSError:
            continue
        for item in env.split(b"\0"):
            if item.startswith(needle):
                token = item[len(needle) :].decode("ascii", "replace")
                if not _owner_alive(token):
                    try:
                        os.kill(int(name), signal.SIGKILL)
                        killed += 1
                    except OSError:
                        pass
                break
    if killed:
        log.info("killed %d generation-engine process(es) left by killed cfdpo runs", killed)
    return killed


_WATCHDOG = r"""
import os, signal, sys, time
owner, token, needle = int(sys.argv[1]), sys.argv[2], ("%s=%s" % (sys.argv[3], sys.argv[2])).encode()
def ticks(pid):
    try:
        s = open("/proc/%d/stat" % pid).read()
        return int(s[s.rfind(")") + 2:].split()[19])
    except (OSError, ValueError, IndexError):
        return None
start = int(token.split("-")[1])
while ticks(owner) == start:
    time.sleep(0.5)
for _ in range(20):
    left = 0
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            env = open("/proc/%s/environ" % name, "rb").read().split(b"\0")
        except OSError:
            continue
        if needle in env:
            left += 1
            try:
                os.kill(int(name), signal.SIGKILL)
            except OSError:
                pass
    if not left:
        break
    time.sleep(0.2)
"""


def start_engine_watchdog() -> None:
    """Mark this process as the owner of the engine processes it is about to start (:data:`OWNER_ENV`,
    inherited by them) and start a watchdog that SIGKILLs every process so marked once this process is
    gone, however it ends (SIGKILL, OOM kill, crash). Idempotent per process.

    The watchdog is a tiny Python process outside the engine (same session, so a terminal's Ctrl-C reaches
    it too); it never carries the mark itself, so it never kills itself.
    """
    import subprocess
    import sys

    token = owner_token()
    if os.environ.get(OWNER_ENV) == token:
        return
    env = {k: v for k, v in os.environ.items() if k != OWNER_ENV}
    subprocess.Popen(
        [sys.executable, "-S", "-c", _WATCHDOG, str(os.getpid()), token, OWNER_ENV],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        close_fds=True,
    )
    os.environ[OWNER_ENV] = token


def cache_dir() -> Path:
    """cfdpo's cache directory: ``$CFDPO_CACHE`` or ``~/.cache/cfdpo`` (models, merged adapters, compile results,
    engine logs)."""
    return Path(os.environ.get("CFDPO_CACHE") or Path.home() / ".cache" / "cfdpo")


def compile_cache_dir() -> str:
    """The shared compile-result cache: ``$CFDPO_CACHE/compile`` (default ``~/.cache/cfdpo/compile``)."""
    return str(cache_dir() / "compile")


def pch_cache_dir() -> str:
    """The shared precompiled-header directory: ``$CFDPO_CACHE/compile/pch`` (used with or without the
    result cache)."""
    return os.path.join(compile_cache_dir(), "pch")
