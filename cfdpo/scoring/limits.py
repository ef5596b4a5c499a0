"""Running a tool under resource limits: address space, file size, no core dumps, a wall-clock timeout.

Limits are applied with util-linux ``prlimit`` when it is installed (safe in a
threaded program), else with ``preexec_fn``. The process runs in its own
session, so a timeout kills its whole process group.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["RunOutcome", "become_subreaper", "kill_group", "limited_argv", "proc_stats", "reap_orphans", "run_limited", "wait_exit"]

_PRLIMIT = shutil.which("prlimit")


def limited_argv(cmd: list[str], memory_mb: int, output_mb: int) -> tuple[list[str], Callable[[], None] | None]:
    """``cmd`` wrapped so that it runs with ``RLIMIT_AS``/``RLIMIT_FSIZE`` limits and no core dumps.

    Returns ``(argv, preexec_fn)``; ``preexec_fn`` is None when ``prlimit`` does the work.
    """
    as_bytes = memory_mb * 1024 * 1024
    fsize = output_mb * 1024 * 1024
    if _PRLIMIT:
        return [_PRLIMIT, f"--as={as_bytes}", f"--fsize={fsize}", "--core=0", "--", *cmd], None

    def _preexec() -> None:  # pragma: no cover - only without util-linux
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (as_bytes, as_bytes))
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return cmd, _preexec


def wait_exit(proc: subprocess.Popen, timeout_s: float) -> int | None:
    """Wait for ``proc`` to exit, at most ``timeout_s`` seconds; its exit status, or None on timeout.

    Unlike ``Popen.wait(timeout=...)``, which polls with sleeps of up to 50 ms
    (adding 25 ms on average to every short compile and leaving the core idle),
    this blocks on a Linux pidfd and returns as soon as the process exits; it
    falls back to ``Popen.wait`` where pidfds are missing (Linux < 5.3, other
    systems). The process is not killed on timeout (see :func:`kill_group`).
    """
    try:
        fd = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):  # no pidfd, or already reaped
        try:
            return proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return None
    try:
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        if not poller.poll(max(0.0, timeout_s) * 1000.0):
            return None
    finally:
        os.close(fd)
    return proc.wait()


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL a process's whole group and reap it (and, when we are a subreaper, its orphans)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:  # pragma: no cover
        pass
    reap_orphans(lambda st: st.pgrp == proc.pid)


_PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> bool:
    """Make this process the child subreaper of its descendants (Linux ``prctl``; process-wide, permanent).

    Orphans of the programs we start (a fork bomb's children once their parent is killed) are then
    re-parented to us instead of PID 1, and :func:`reap_orphans` can collect them. Without this, in a
    container whose PID 1 does not reap, killed orphans stay zombies and keep counting against their
    uid's ``RLIMIT_NPROC``. Returns False where ``prctl`` is unavailable.
    """
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        return False


@dataclass
class ProcStat:
    """Fields of ``/proc/<pid>/stat`` and the owner uid that the reaper needs."""

    pid: int
    state: str
    ppid: int
    pgrp: int
    uid: int


def proc_stats() -> list[ProcStat]:
    """All processes visible in /proc (those that vanish during the scan are skipped)."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            uid = os.stat(f"/proc/{name}").st_uid
            with open(f"/proc/{name}/stat", "rb") as f:
                raw = f.read().decode("ascii", "replace")
        except OSError:
            continue
        rest = raw[raw.rfind(")") + 2:].split()  # comm may contain spaces and parentheses
        if len(rest) < 3:
            continue
        out.append(ProcStat(int(name), rest[0], int(rest[1]), int(rest[2]), uid))
    return out


def reap_orphans(select: Callable[[ProcStat], bool]) -> int:
    """Reap our zombie children chosen by ``select`` (non-blocking); returns how many were reaped.

    Only pids found by the scan are waited for, one by one, so a ``subprocess.Popen`` elsewhere in
    the process never loses its own child's exit status.
    """
    me, n = os.getpid(), 0
    for st in proc_stats():
        if st.ppid == me and st.state == "Z" and select(st):
            try:
                if os.waitpid(st.pid, os.WNOHANG)[0]:
                    n += 1
            except ChildProcessError:
                continue
    return n


@dataclass
class RunOutcome:
    """What a limited run did: exit status (None on timeout), captured stderr (capped), seconds."""

    returncode: int | None
    stderr: str
    timed_out: bool
    elapsed_s: float


def run_limited(cmd: list[str], cwd: str, timeout_s: float, memory_mb: int = 2048, output_mb: int = 256,
                env: dict[str, str] | None = None, max_stderr: int = 20_000) -> RunOutcome:
    """Run ``cmd`` in ``cwd`` with stdin closed, limits and a timeout; stdout is discarded."""
    argv, preexec = limited_argv(cmd, memory_mb, output_mb)
    env = env or {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "LANG": "C", "TMPDIR": cwd}
    err_path = os.path.join(cwd, ".stderr")
    t0 = time.perf_counter()
    with open(err_path, "wb") as err:
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=err, start_new_session=True, preexec_fn=preexec)
        rc: int | None = wait_exit(proc, timeout_s)
        timed_out = rc is None
        if timed_out:
            kill_group(proc)
    with open(err_path, "rb") as f:
        stderr = f.read(max_stderr).decode("utf-8", "replace")
    os.remove(err_path)
    return RunOutcome(rc, stderr, timed_out, time.perf_counter() - t0)
