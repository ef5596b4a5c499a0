"""Landlock for the ``rlimits`` sandbox: file-system, TCP and signal limits without namespaces or root.

Where bubblewrap cannot run (a container that forbids namespaces), a program run under ``rlimits`` would
otherwise see everything its uid can: the compile cache, the run directory, the corpus's expected
outputs, the network. Landlock (Linux >= 5.13, unprivileged) closes most of that: the program may read
and execute beneath ``/usr`` (and the ``/lib*`` links into it) and its own read-only directory, write
``/dev/null``, and nothing else; TCP bind and connect are denied (Landlock ABI >= 4), and so are signals
and abstract UNIX sockets to processes outside it (ABI >= 6). Not covered: UDP and other socket kinds,
reading through file descriptors it inherits (only stdin, stdout and stderr), CPU and timing.

The launcher is a small C program (``landlock_exec.c``) compiled once per process with the scorer's
compiler into this process's temp root (readable by the sandbox's unprivileged uids).
"""

from __future__ import annotations

import ctypes
import functools
import logging
import os
import shutil
import subprocess
import threading
from importlib import resources

from ..tempdirs import run_temp_root

__all__ = ["landlock_abi", "landlock_launcher", "landlock_prefix"]

log = logging.getLogger(__name__)

#: paths a sandboxed program may read (the dynamic loader and libraries live under /usr on Debian)
READ_ONLY = ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/etc/ld.so.cache")


@functools.lru_cache(maxsize=1)
def landlock_abi() -> int:
    """The kernel's Landlock ABI version (0: unavailable)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        v = int(libc.syscall(ctypes.c_long(444), None, ctypes.c_size_t(0), ctypes.c_uint32(1)))
    except (OSError, AttributeError):
        return 0
    return max(0, v)


_LAUNCHER: str | None = None
_LOCK = threading.Lock()


def landlock_launcher(compiler: str = "g++") -> str | None:
    """Path of the compiled launcher (built on first use), or None where Landlock or a compiler is missing."""
    with _LOCK:  # threads of one scorer ask at once: build it once
        return _build(compiler)


def _build(compiler: str) -> str | None:
    global _LAUNCHER
    if _LAUNCHER is not None and os.path.isfile(_LAUNCHER):
        return _LAUNCHER
    if landlock_abi() < 1:
        return None
    cc = shutil.which(compiler)
    if cc is None:
        return None
    src = resources.files("cfdpo.scoring").joinpath("landlock_exec.c").read_text(encoding="utf-8")
    d = os.path.join(run_temp_root(), "landlock")
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o755)
    c_path, exe = os.path.join(d, "landlock_exec.c"), os.path.join(d, "landlock_exec")
    with open(c_path, "w", encoding="utf-8") as f:
        f.write(src)
    out = subprocess.run(
        [cc, "-x", "c", "-O1", "-o", exe + ".tmp", c_path],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    if out.returncode != 0 or not os.path.isfile(exe + ".tmp"):
        log.warning("cannot build the Landlock launcher: %s", out.stderr.strip()[:300])
        return None
    os.chmod(exe + ".tmp", 0o755)
    os.replace(exe + ".tmp", exe)
    _LAUNCHER = exe
    return exe


def landlock_prefix(
    readonly: list[str],
    writable: list[str] | tuple[str, ...] = (),
    files: tuple[str, ...] = ("/dev/null",),
    compiler: str = "g++",
) -> list[str] | None:
    """The argv prefix that runs a command under Landlock with these paths open to it (None: unavailable)."""
    exe = landlock_launcher(compiler)
    if exe is None:
        return None
    argv = [exe]
    for p in (*READ_ONLY, *readonly):
        argv += ["--ro", p]
    for p in writable:
        argv += ["--rw", p]
    for p in files:
        argv += ["--file", p]
    return [*argv, "--"]
