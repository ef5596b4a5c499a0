"""A sandbox for untrusted programs and for compiling untrusted sources.

Two levels, chosen once per process (``isolation="auto"``):

``bwrap``
    Debian's bubblewrap: new mount, PID, network, IPC and UTS namespaces; the
    process sees read-only ``/usr`` (with the ``/bin``, ``/lib``, ``/lib64``,
    ``/sbin`` links), a private ``/proc``, a minimal ``/dev``, an empty tmpfs
    ``/tmp``, its own working directory (read-write for compiles, read-only
    for runs) and the read-only paths the caller names, and nothing else:
    no ``/etc``, no ``/home``, no network, no other process.
    ``--die-with-parent``: killing the sandbox kills everything in it.
    As root, everything inside runs as an unprivileged uid with no capabilities
    (``setpriv`` clears the effective, permitted, inheritable, ambient and
    bounding sets and sets no-new-privileges).
``rlimits``
    Where namespaces are not allowed (some containers) or bwrap is missing:
    resource limits, plus Landlock where the kernel has it
    (:mod:`cfdpo.scoring.landlock`: read-only ``/usr`` and the program's own
    directory, no other file, no TCP, no signals outside), and an unprivileged
    uid when the caller is root. Without Landlock the program sees what its
    uid can read, and the network. Running model-written programs this way
    must be asked for (``isolation="rlimits"``): ``auto`` refuses to run
    programs (:class:`SandboxRefused`) when bubblewrap cannot run; compiling
    under ``auto`` falls back with a warning.

Inside either, util-linux ``prlimit`` sets CPU time, address space, file size,
process count, open files and no core dumps; when the caller is root,
``setpriv`` drops to an unprivileged uid/gid (``RLIMIT_NPROC`` is not enforced
for root and counts per uid, so callers running in parallel give each worker
its own uid: :class:`UidPool`). The environment is cleared (``PATH``,
``LC_ALL=C`` and what the caller adds).

Not isolated, even with bwrap: CPU caches and timing, the kernel itself
(system calls are not filtered: no seccomp), and read access to ``/usr``.
"""

from __future__ import annotations

import functools
import logging
import math
import os
import queue
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import ClassVar

__all__ = ["COMPILE_UID", "Limits", "Sandbox", "SandboxRefused", "UidPool", "bwrap_usable"]

#: the unprivileged uid compiles run as inside bubblewrap when cfdpo runs as root (no account uses it on Debian)
COMPILE_UID = 60999


class SandboxRefused(ValueError):
    """Model-written programs would run without namespaces and nobody asked for that (one line)."""


log = logging.getLogger(__name__)

_BWRAP = shutil.which("bwrap")
_PRLIMIT = shutil.which("prlimit")
_SETPRIV = shutil.which("setpriv")


@dataclass(frozen=True)
class Limits:
    """Resource limits for one process tree.

    Attributes:
        cpu_s: CPU seconds (``RLIMIT_CPU``: SIGXCPU at the soft limit, SIGKILL one second later); None: none.
        memory_mb: address space, MiB (``RLIMIT_AS``).
        output_mb: largest file the process may write, MiB (``RLIMIT_FSIZE``; stdout goes to a file, so this
            caps output too: SIGXFSZ).
        processes: ``RLIMIT_NPROC`` (per uid; applied only to a non-root uid); None: none.
        open_files: ``RLIMIT_NOFILE``; None: none.
    """

    cpu_s: float | None = None
    memory_mb: int = 2048
    output_mb: float = 256
    processes: int | None = None
    open_files: int | None = None

    def prlimit_flags(self) -> list[str]:
        """``prlimit`` options for these limits."""
        flags = [f"--as={self.memory_mb * 1024 * 1024}", f"--fsize={int(self.output_mb * 1024 * 1024)}", "--core=0"]
        if self.cpu_s is not None:
            soft = max(1, math.ceil(self.cpu_s))
            flags.append(f"--cpu={soft}:{soft + 1}")
        if self.processes is not None:
            flags.append(f"--nproc={self.processes}")
        if self.open_files is not None:
            flags.append(f"--nofile={self.open_files}")
        return flags


def _root_binds() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    return args


def _bwrap_prefix(workdir: str, writable: bool, readonly: Sequence[str]) -> list[str]:
    assert _BWRAP is not None
    args = [
        _BWRAP,
        *_root_binds(),
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--tmpfs",
        "/tmp",
        "--unshare-net",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--die-with-parent",
        "--new-session",
    ]
    if os.geteuid() != 0:
        args += ["--cap-drop", "ALL"]  # as root the caps go with the uid (setpriv inside), which needs CAP_SETUID
    binds = [p for p in readonly if p and os.path.exists(p)]
    # the directories above each bound path are made traversable (bwrap would make them 0700 as root,
    # which the unprivileged uid inside cannot cross to reach, say, a PCH by its absolute path)
    parents: list[str] = []
    for path in (*binds, workdir):
        up = os.path.dirname(os.path.abspath(path))
        chain = []
        while up not in ("/", "") and up not in parents:
            chain.append(up)
            up = os.path.dirname(up)
        parents += reversed(chain)
    for d in parents:
        if not d.startswith(("/usr", "/proc", "/dev")):
            args += ["--perms", "0555", "--dir", d]  # traversable, never writable (capabilities are dropped)
    for path in binds:
        args += ["--ro-bind", path, path]
    args += ["--bind" if writable else "--ro-bind", workdir, workdir, "--chdir", workdir]
    return args


@functools.lru_cache(maxsize=1)
def bwrap_usable() -> bool:
    """Whether bubblewrap is installed and may create namespaces here (probed once)."""
    if _BWRAP is None:
        return False
    try:
        out = subprocess.run(
            [*_bwrap_prefix("/tmp", False, ()), "--", "/usr/bin/true"], capture_output=True, timeout=30, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.SubprocessError) as e:
        log.warning("bwrap cannot run: %s", e)
        return False
    if out.returncode != 0:
        log.warning("bwrap cannot create namespaces here (%s)", out.stderr.decode(errors="replace").strip()[:200])
    return out.returncode == 0


class UidPool:
    """A pool of unprivileged uids, one per concurrent run (``RLIMIT_NPROC`` counts processes per uid).

    Args:
        base: first uid; the pool holds ``base .. base + size - 1`` (ids no account uses on Debian).
        size: number of uids, at least the number of parallel runs.
    """

    _shared: ClassVar[dict[tuple[int, int], UidPool]] = {}

    def __init__(self, base: int = 61000, size: int = 64) -> None:
        self._q: queue.Queue[int] = queue.Queue()
        for uid in range(base, base + size):
            self._q.put(uid)

    @classmethod
    def shared(cls, base: int, size: int) -> UidPool:
        """One pool per uid range in this process (scorers that share uids must share the pool)."""
        key = (base, size)
        if key not in cls._shared:
            cls._shared[key] = cls(base, size)
        return cls._shared[key]

    @contextmanager
    def take(self) -> Iterator[int]:
        """Borrow a uid for the duration of one run (blocks while all are in use)."""
        uid = self._q.get()
        try:
            yield uid
        finally:
            self._q.put(uid)


class Sandbox:
    """Builds the argv that runs a command isolated and limited.

    Args:
        isolation: ``auto`` (bwrap when usable, else rlimits with a warning), ``bwrap`` (required) or
            ``rlimits``.

    Raises:
        RuntimeError: ``isolation="bwrap"`` where bubblewrap is missing or cannot create namespaces.
        ValueError: an unknown ``isolation``.

    ``runs_programs``: the sandbox will run model-written programs (``auto`` then refuses without bubblewrap).
    ``landlock``: under ``rlimits``, confine with Landlock where the kernel has it (off for callers whose
    commands read paths outside their directory, such as the LLVM tools with ``-I`` directories).
    """

    LEVELS = ("auto", "bwrap", "rlimits")

    def __init__(self, isolation: str = "auto", runs_programs: bool = False, landlock: bool = True) -> None:
        if isolation not in self.LEVELS:
            raise ValueError(f"isolation must be one of {self.LEVELS}, got {isolation!r}")
        if isolation == "bwrap" and not bwrap_usable():
            raise RuntimeError(
                "isolation='bwrap' but bubblewrap is missing or cannot create namespaces here "
                "(Debian: apt-get install bubblewrap; containers may forbid namespaces)"
            )
        if isolation == "auto":
            if not bwrap_usable() and runs_programs:
                raise SandboxRefused(
                    "--isolation auto: bubblewrap cannot run here, so model-written programs would "
                    "run without namespaces; install bubblewrap, or say --isolation rlimits to run "
                    "them under resource limits and Landlock only"
                )
            isolation = "bwrap" if bwrap_usable() else "rlimits"
            if isolation == "rlimits":
                _warn_once()
        self.kind = isolation
        self.is_root = os.geteuid() == 0
        self.landlock = False
        if self.kind == "rlimits" and landlock:
            from .landlock import landlock_abi

            self.landlock = landlock_abi() >= 1

    def wrap(
        self,
        argv: Sequence[str],
        workdir: str,
        limits: Limits,
        *,
        writable: bool = True,
        readonly: Sequence[str] = (),
        uid: int | None = None,
    ) -> list[str]:
        """The full argv for ``argv`` run in ``workdir`` under ``limits``.

        Args:
            argv: the command (its paths as seen inside: ``workdir`` keeps its own path).
            workdir: the only directory the command may see besides /usr (bwrap); its working directory.
            limits: resource limits.
            writable: whether ``workdir`` is writable inside the sandbox.
            readonly: further paths made visible read-only (e.g. a precompiled-header directory).
            uid: drop to this uid/gid (only when the caller is root; see :class:`UidPool`).
        """
        inner = list(argv)
        if self.kind == "rlimits" and self.landlock:
            from .landlock import landlock_prefix

            # the working directory as ".": the process starts in it (an unprivileged uid may not be able to
            # reach it by its absolute path, whose parents are the caller's private temp dirs)
            prefix = landlock_prefix([*readonly, *([] if writable else ["."])], ["."] if writable else [])
            if prefix is None:
                raise RuntimeError("Landlock is available but its launcher could not be built")
            inner = [*prefix, *inner]
        if uid is not None and self.is_root and _SETPRIV:
            inner = [
                _SETPRIV,
                f"--reuid={uid}",
                f"--regid={uid}",
                "--clear-groups",
                "--inh-caps=-all",
                "--ambient-caps=-all",
                "--bounding-set=-all",
                "--no-new-privs",
                "--",
                *inner,
            ]
        if _PRLIMIT:
            inner = [_PRLIMIT, *limits.prlimit_flags(), "--", *inner]
        if self.kind == "bwrap":
            return [*_bwrap_prefix(os.path.abspath(workdir), writable, readonly), "--", *inner]
        return inner

    def preexec(self, limits: Limits):  # type: ignore[no-untyped-def]
        """A ``preexec_fn`` applying ``limits`` where ``prlimit`` is missing (else None)."""
        if _PRLIMIT:
            return None

        def apply() -> None:  # pragma: no cover - only without util-linux
            import resource

            mem = limits.memory_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
            fs = int(limits.output_mb * 1024 * 1024)
            resource.setrlimit(resource.RLIMIT_FSIZE, (fs, fs))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            if limits.cpu_s is not None:
                c = max(1, math.ceil(limits.cpu_s))
                resource.setrlimit(resource.RLIMIT_CPU, (c, c + 1))

        return apply

    def signal_of(self, returncode: int | None) -> int | None:
        """The signal that ended the sandboxed program, if any (bwrap reports it as 128 + signal)."""
        if returncode is None:
            return None
        if returncode < 0:
            return -returncode
        if self.kind == "bwrap" and 128 < returncode < 128 + 65:
            return returncode - 128
        return None


@functools.lru_cache(maxsize=1)
def _warn_once() -> None:
    log.warning(
        "sandbox: bubblewrap unavailable or namespaces not allowed; falling back to resource limits "
        "only: programs can read the caller's files and reach the network"
    )
