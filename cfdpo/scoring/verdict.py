"""The compile verdict and the compiler's version: what every scorer module shares (no other imports)."""

from __future__ import annotations

import enum
import functools
import shutil
import subprocess

__all__ = ["Verdict", "compiler_version"]


class Verdict(str, enum.Enum):
    """Outcome of one compile.

    ``ok``: exit 0 and no warning; ``warning``: exit 0 with at least one warning;
    ``error``: the compiler (or linker) failed; ``timeout``: the wall-clock limit
    was hit; ``resource_limit``: memory or output-size limits were hit;
    ``internal_error``: the scorer itself could not run the compiler.
    """

    OK = "ok"
    WARNING = "warning"
    ERROR = "error"
    TIMEOUT = "timeout"
    RESOURCE_LIMIT = "resource_limit"
    INTERNAL_ERROR = "internal_error"

    def __str__(self) -> str:  # "ok" rather than "Verdict.OK" in tables and JSON
        return self.value


@functools.lru_cache(maxsize=8)
def compiler_version(compiler: str = "g++") -> str:
    """First line of ``<compiler> --version``, e.g. ``g++ (Debian 12.2.0-14) 12.2.0``.

    Raises:
        FileNotFoundError: the compiler is not on ``PATH``.
    """
    path = shutil.which(compiler)
    if path is None:
        raise FileNotFoundError(f"compiler {compiler!r} not found on PATH; install it (Debian: apt-get install g++)")
    out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30, check=False)
    return (out.stdout.splitlines() or ["unknown"])[0].strip()
