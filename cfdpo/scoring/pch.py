"""Precompiled headers for each distinct include preamble.

Most of the cost of compiling a competitive-programming program is parsing its
headers (``<bits/stdc++.h>``: about 1.8 s of a 2 s build on g++ 12). Programs,
and all samples of one prompt, share their *include preamble*: the leading
``#include <...>`` lines, with blank lines and ``//`` comment lines between them.
:class:`PCHCache` builds a ``.gch`` for each distinct preamble once, keyed by the
compiler version, the exact shared flags and the preamble text, and rewrites a
program so that it compiles against it:

* the preamble's lines are replaced by empty lines (so every diagnostic keeps its
  line and column), and
* the preamble is force-included with ``-include <dir>/pre.h``; GCC then loads
  ``pre.h.gch`` instead of parsing the headers. Force-included headers come
  before the first token, as GCC requires of a PCH.

Why the verdict cannot change: the translation unit the compiler sees is the
same token sequence (the headers, then the rest of the program). The PCH is
built with exactly the flags of the compile (same ``-std``, extra flags, and
``-fdiagnostics-format=json``; ``-O``, ``-march``, sanitizer and ``_GLIBCXX_DEBUG``
settings can only come from those flags), and GCC silently falls back to the
text header when a PCH does not match, which only costs time. ``-Winvalid-pch``
is never added (it would be a warning of its own). Falls back to a plain compile
when there is no preamble, when it contains anything but ``#include <...>`` lines
(quoted includes would resolve relative to the PCH directory), or when the
header does not build cleanly (a missing header must be reported by the
program's own compile).
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import os
import re
import shutil
import tempfile
import threading
from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .compile import CompileScorer

__all__ = ["PCHCache", "split_preamble"]

log = logging.getLogger(__name__)

_INCLUDE = re.compile(r"^[ \t]*#[ \t]*include[ \t]*<([^<>\"\n]+)>[ \t]*(//.*)?$")
_SKIP = re.compile(r"^[ \t]*(//.*)?$")


def split_preamble(source: str) -> tuple[list[str], int]:
    """The include lines of a program's preamble and the number of lines it spans.

    The preamble is the longest run of leading lines that are each an
    ``#include <...>`` (optionally followed by a ``//`` comment), blank, or a
    ``//`` comment; a line ending in a backslash ends it. Trailing blank and
    comment lines are not counted.

    Returns:
        ``(include_lines, n_lines)``, the include lines normalised to
        ``#include <name>`` (``#include<x.h>`` and ``#include <x.h>`` mean the
        same); ``([], 0)`` when there is no include.
    """
    includes: list[str] = []
    span = 0
    for i, line in enumerate(source.split("\n")):
        if line.endswith("\\"):
            break
        m = _INCLUDE.match(line)
        if m:
            includes.append(f"#include <{m.group(1).strip()}>")
            span = i + 1
        elif not _SKIP.match(line):
            break
    return includes, span


class PCHCache:
    """Builds and finds precompiled headers for a scorer's flags.

    A PCH costs a few compiles to build, so one is built only for a preamble
    seen at least ``min_uses`` times (counted over :meth:`expect`-ed batches and
    earlier calls), or found already built on disk.

    Args:
        scorer: the :class:`~cfdpo.scoring.CompileScorer` whose flags and limits apply.
        directory: where the PCHs live (shared across runs and processes);
            None makes a private temporary directory removed at exit.
        min_uses: uses of a preamble before its PCH is built.
    """

    def __init__(self, scorer: "CompileScorer", directory: str | os.PathLike[str] | None = None,
                 min_uses: int = 2) -> None:
        self.min_uses = min_uses
        self.uses: Counter = Counter()
        self.scorer = scorer
        if directory is None:
            directory = tempfile.mkdtemp(prefix="cfdpo-pch-")
            atexit.register(shutil.rmtree, directory, True)
        self.directory = os.path.abspath(os.fspath(directory))
        os.makedirs(self.directory, exist_ok=True)
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._failed: set[str] = set()
        self.builds = 0
        self.build_ms = 0.0

    def _key(self, includes: list[str]) -> str:
        from .compile import compiler_version

        h = hashlib.sha256()
        for part in (compiler_version(self.scorer.compiler), *self.scorer.base_flags(), "\0", *includes):
            h.update(part.encode() + b"\n")
        return h.hexdigest()[:32]

    def expect(self, sources: list[str]) -> None:
        """Count the preambles of a batch about to be compiled (so shared ones get a PCH at once)."""
        with self._guard:
            for s in sources:
                inc, _ = split_preamble(s)
                if inc:
                    self.uses[tuple(inc)] += 1

    def header_for(self, includes: list[str], counted: bool = False) -> str | None:
        """Path of ``pre.h`` (next to its ``pre.h.gch``) for these include lines, building it once.

        Returns None when the header does not build cleanly, or has not been
        used ``min_uses`` times yet (``counted``: this use is already in the count).
        """
        key = self._key(includes)
        final = os.path.join(self.directory, key)
        header = os.path.join(final, "pre.h")
        if os.path.isfile(header + ".gch"):
            return header
        with self._guard:
            if not counted:
                self.uses[tuple(includes)] += 1
            if self.uses[tuple(includes)] < self.min_uses:
                return None
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if os.path.isfile(header + ".gch"):
                return header
            if key in self._failed or os.path.isfile(final + ".failed"):
                return None
            return self._build(key, includes, final)

    def _build(self, key: str, includes: list[str], final: str) -> str | None:
        import time

        from .compile import Verdict

        work = tempfile.mkdtemp(prefix=f"{key}.", suffix=".tmp", dir=self.directory)
        try:
            with open(os.path.join(work, "pre.h"), "w", encoding="utf-8") as f:
                f.write("\n".join(includes) + "\n")
            cmd = [self.scorer._compiler_path or self.scorer.compiler, *self.scorer.base_flags(),
                   "-x", "c++-header", "pre.h", "-o", "pre.h.gch"]
            t0 = time.perf_counter()
            res = self.scorer._run_in(work, cmd)
            self.build_ms += (time.perf_counter() - t0) * 1000.0
            self.builds += 1
            if res.verdict is not Verdict.OK or not os.path.isfile(os.path.join(work, "pre.h.gch")):
                log.info("no PCH for %s (%s): plain compiles", includes, res.verdict.value)
                self._failed.add(key)
                if res.verdict is Verdict.ERROR:  # deterministic: remember across runs
                    open(final + ".failed", "w").close()
                return None
            for junk in os.listdir(work):
                if junk not in ("pre.h", "pre.h.gch"):
                    os.remove(os.path.join(work, junk))
            try:
                os.rename(work, final)  # atomic; another process may have won the race
            except OSError:
                if not os.path.isfile(os.path.join(final, "pre.h.gch")):
                    raise
            return os.path.join(final, "pre.h")
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def prepare(self, source: str, counted: bool = False) -> tuple[str, str | None]:
        """The source to compile and the header to force-include (None: compile as is)."""
        includes, span = split_preamble(source)
        if not includes:
            return source, None
        header = self.header_for(includes, counted)
        if header is None:
            return source, None
        lines = source.split("\n")
        return "\n" * span + "\n".join(lines[span:]), header
