"""The compile verdict and the compiler's version: what every scorer module shares (no other imports)."""

from __future__ import annotations

import enum
import functools
import shutil
import subprocess

__all__ = ["SCORER_VERSION", "Verdict", "compiler_version", "toolchain_versions"]

#: bumped whenever a change to cfdpo's scoring could change a verdict or a diagnostic (part of the cache key)
SCORER_VERSION = 2


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


@functools.lru_cache(maxsize=8)
def toolchain_versions(compiler: str = "g++") -> dict[str, str]:
    """What besides the compiler can change a verdict or a diagnostic: the assembler, both linkers and the
    C++ standard library headers (``__GLIBCXX__``, the libstdc++ release date), each as one line.

    Missing tools read ``missing``; nothing here raises.
    """
    out: dict[str, str] = {}
    for tool in ("as", "ld", "ld.gold"):
        path = shutil.which(tool)
        if path is None:
            out[tool] = "missing"
            continue
        try:
            res = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30, check=False)
            out[tool] = (res.stdout.splitlines() or ["unknown"])[0].strip()
        except (OSError, subprocess.SubprocessError):
            out[tool] = "unknown"
    path = shutil.which(compiler)
    try:
        res = subprocess.run(
            [path or compiler, "-x", "c++", "-E", "-P", "-"],
            input="#include <cstddef>\n__GLIBCXX__\n",
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        out["libstdc++"] = (res.stdout.strip().splitlines() or ["unknown"])[-1].strip()
    except (OSError, subprocess.SubprocessError):
        out["libstdc++"] = "unknown"
    return out
