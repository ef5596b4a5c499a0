"""The one process launcher: every compile, test run and LLVM tool call starts and ends here.

:func:`launch` starts an argv built by :class:`~cfdpo.scoring.sandbox.Sandbox`
(namespaces and/or ``prlimit`` limits) in its own session, waits on a pidfd
with a wall-clock timeout and kills the whole process group when it runs over.
:func:`run_limited` is the short form for trusted tools (clang, opt, llc,
llvm-as) on untrusted input: resource limits only (address space, file size,
no core dumps), stdin closed, stdout discarded, stderr captured. The rest
(subreaper, orphan reaping) serves the execution sandbox.
"""

from __future__ import annotations

import functools
import os
import select
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "RunOutcome",
    "become_subreaper",
    "kill_group",
    "kill_session_tree",
    "launch",
    "proc_stats",
    "reap_orphans",
    "run_limited",
    "wait_exit",
]

#: pids (each also its own session id) of the processes :func:`launch` is waiting on, in every thread
_ACTIVE: set[int] = set()
_ACTIVE_LOCK = threading.Lock()


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
    sid: int = 0


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
        rest = raw[raw.rfind(")") + 2 :].split()  # comm may contain spaces and parentheses
        if len(rest) < 4:
            continue
        out.append(ProcStat(int(name), rest[0], int(rest[1]), int(rest[2]), uid, int(rest[3])))
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


def launch(
    argv: list[str],
    cwd: str,
    env: dict[str, str],
    stdin: Any,
    stdout: Any,
    stderr: Any,
    timeout_s: float,
    preexec: Callable[[], None] | None = None,
    sweep: bool = False,
) -> tuple[int | None, bool, float]:
    """Start ``argv`` in its own session and wait for it, at most ``timeout_s`` seconds (wall clock).

    With ``sweep``, whatever it left running is killed afterwards (:func:`kill_session_tree`).

    Returns:
        ``(returncode, timed_out, seconds)``: ``returncode`` is None when it ran over (its whole process
        group is then killed).

    Raises:
        OSError: the program could not be started.
    """
    t0 = time.perf_counter()
    with _ACTIVE_LOCK:  # registered before any scan of :func:`kill_session_tree` can see it
        proc = subprocess.Popen(
            argv, cwd=cwd, env=env, stdin=stdin, stdout=stdout, stderr=stderr, start_new_session=True, preexec_fn=preexec
        )
        _ACTIVE.add(proc.pid)
    try:
        rc = wait_exit(proc, timeout_s)
        if rc is None:
            kill_group(proc)
        if sweep:
            kill_session_tree(proc.pid)
    finally:
        with _ACTIVE_LOCK:
            _ACTIVE.discard(proc.pid)
    return rc, rc is None, time.perf_counter() - t0


def kill_session_tree(sid: int, rounds: int = 100) -> int:
    """SIGKILL what a launched program left behind, by session and descent rather than by uid.

    :func:`launch` starts each program as the leader of a new session (session id = its pid). Killed here,
    round after round until none is left: every process still in that session (children that only left
    the process group), and every orphan re-parented to this process (a child subreaper, see
    :func:`become_subreaper`) whose session is neither this process's own nor that of a program still
    being waited on (a double-forked ``setsid`` daemon, once its parent is gone). Zombies among them are
    reaped. Works for any uid, root or not.

    Returns:
        How many processes were signalled.
    """
    me, mine = os.getpid(), os.getsid(0)
    killed = 0
    for _ in range(rounds):
        with _ACTIVE_LOCK:
            active = set(_ACTIVE)
            victims = [
                st
                for st in proc_stats()
                if st.state != "Z"
                and st.pid != me
                and (st.sid == sid or (st.ppid == me and st.sid not in (mine, *active) and st.pid not in active))
            ]
            for st in victims:
                try:
                    os.kill(st.pid, signal.SIGKILL)
                    killed += 1
                except (ProcessLookupError, PermissionError):
                    pass
        reap_orphans(lambda st, active=active: st.pid not in active and st.sid != mine)  # type: ignore[misc]
        if not victims:
            return killed
        time.sleep(0.01)
    return killed


def run_limited(
    cmd: list[str],
    cwd: str,
    timeout_s: float,
    memory_mb: int = 2048,
    output_mb: int = 256,
    env: dict[str, str] | None = None,
    max_stderr: int = 20_000,
) -> RunOutcome:
    """Run a trusted tool on untrusted input in ``cwd``: address-space and file-size limits, no core dumps,
    stdin closed, stdout discarded, a timeout (:func:`launch`); stderr is captured (capped).

    A tool that cannot be started gives returncode 127 and the error in ``stderr``.
    """
    from .sandbox import Limits

    limits = Limits(memory_mb=memory_mb, output_mb=output_mb)
    box = _rlimits_sandbox()
    argv = box.wrap(cmd, cwd, limits)
    env = env or {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "LANG": "C", "TMPDIR": cwd}
    err_path = os.path.join(cwd, ".stderr")
    t0 = time.perf_counter()
    with open(err_path, "wb") as err:
        try:
            rc, timed_out, _ = launch(argv, cwd, env, subprocess.DEVNULL, subprocess.DEVNULL, err, timeout_s, box.preexec(limits))
        except OSError as e:
            rc, timed_out = 127, False
            err.write(f"cannot start {cmd[0]}: {e}".encode())
    with open(err_path, "rb") as f:
        stderr = f.read(max_stderr).decode("utf-8", "replace")
    os.remove(err_path)
    return RunOutcome(rc, stderr, timed_out, time.perf_counter() - t0)


@functools.lru_cache(maxsize=1)
def _rlimits_sandbox() -> Any:
    from .sandbox import Sandbox

    return Sandbox("rlimits", landlock=False)  # the tools read sources and -I directories outside cwd
