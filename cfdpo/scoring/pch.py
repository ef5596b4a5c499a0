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

A PCH may also cover only a *leading part* of a preamble: a program starting
``#include <iostream>`` then ``#include <cstdio>`` can use the PCH of
``<iostream>`` (shared by many programs) with its ``#include <cstdio>`` line left
in place; the compiler still sees the same tokens in the same order. Building a
PCH costs two to three plain compiles of its headers, so :class:`PCHCache` uses the
longest leading part that already has a PCH or is worth building one for, rather
than one PCH for every distinct preamble. Worth building (measured on g++ 12, 200
greedy completions of CodeChef prompts: 19 PCHs built, 15 of them used 1 to 3 times,
half of the PCH build time wasted):

* a leading part whose last line includes a C library header (``<cstdio>``,
  ``<string.h>``, ... :data:`CHEAP_HEADERS`) never gets a PCH of its own: such a
  header costs about 10 ms to parse (``-fsyntax-only`` of ``#include <cstdio>``:
  47 ms against 37 ms for an empty program; ``<iostream>`` 660 ms, ``<bits/stdc++.h>``
  3.7 s), so the shorter leading part's PCH saves as much;
* a leading part gets one when ``min_uses`` programs shared it, and a longer one,
  whose shorter leading part already gets a PCH, only when ``extend_uses`` did:
  it saves only what its extra headers cost (``<vector>`` after ``<iostream>``:
  under 0.2 s a compile) and costs a whole build (1.2 to 1.8 s).

Why the verdict cannot change: the translation unit the compiler sees is the
same token sequence (the headers, then the rest of the program). The PCH is
built with exactly the flags of the compile (same ``-std``, extra flags, and
``-fdiagnostics-format=json``; ``-O``, ``-march``, sanitizer and ``_GLIBCXX_DEBUG``
settings can only come from those flags), and GCC silently falls back to the
text header when a PCH does not match, which only costs time. ``-Winvalid-pch``
is never added (it would be a warning of its own). Falls back to a plain compile
when the program does not start with include lines (a quoted include of a name
that could exist beside the program or the PCH ends the preamble; see
:func:`split_preamble`), or when the header does not build cleanly (a missing
header must be reported by the program's own compile). ``#define`` lines are
never moved into a PCH: GCC reports an error inside a macro expansion at the
macro's definition, whose file and line would then change.

Where the token sequence argument does not reach, the scorer defers to a plain build
(:meth:`~cfdpo.scoring.CompileScorer._compile`): GCC's spelling hints ("... was not declared
in this scope; did you mean 'X'?") break ties between equally close names in hash-table order,
which loading a PCH can change (measured once: ``'pfc'`` instead of ``'pfl'`` in 1 of 1000
programs), so a PCH build whose diagnostics carry a hint, or name the PCH's own header, is
compiled again without it. ``cfdpo.scoring.differential`` checks all of this against plain g++.
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
from typing import Any, Protocol

from ..tempdirs import run_temp_root

#: headers of the C library (and their ``<c...>`` forms) that parse in about 10 ms: a PCH whose last header is
#: one of them saves nothing over the shorter one (``<cmath>`` / ``<math.h>`` pull in C++ templates: 330 ms)
CHEAP_HEADERS = frozenset(
    f"#include <{h}>"
    for base in (
        "assert",
        "ctype",
        "errno",
        "fenv",
        "float",
        "inttypes",
        "iso646",
        "limits",
        "locale",
        "setjmp",
        "signal",
        "stdarg",
        "stdbool",
        "stddef",
        "stdint",
        "stdio",
        "stdlib",
        "string",
        "time",
        "uchar",
        "wchar",
        "wctype",
    )
    for h in (f"{base}.h", f"c{base}")
    if h != "cstring.h"
)


class _Scorer(Protocol):
    """What a PCH cache needs of its :class:`~cfdpo.scoring.CompileScorer` (no import of it: no cycle)."""

    compiler: str
    extra_flags: tuple[str, ...]
    _compiler_path: str | None

    def base_flags(self) -> list[str]: ...

    def _run_in(self, workdir: str, cmd: list[str]) -> Any: ...


__all__ = ["PCHCache", "preamble_includes", "split_preamble"]

log = logging.getLogger(__name__)

_INCLUDE = re.compile(r"^[ \t]*#[ \t]*include[ \t]*(?:<([^<>\"\n]+)>|\"([^<>\"\n]+)\")[ \t]*(//.*)?$")
#: files that exist beside a program (its temp dir) or beside a PCH's pre.h: a quoted include of
#: one of them would find it there, so such a line ends the preamble
_LOCAL_NAMES = frozenset({"prog.cpp", "prog", "prog.o", "stderr.txt", "pre.h", "pre.h.gch"})
_SKIP = re.compile(r"^[ \t]*(//.*)?$")
#: characters after which a line may not mean to the preprocessor what it means line by line
_OPAQUE = re.compile(r"[\\\r\f\v\x00]|\?\?")


def _opaque(line: str) -> bool:
    """Whether a preamble line could join, split or hide lines for GCC's preprocessor.

    A backslash anywhere may be a line continuation (GCC accepts whitespace between the backslash and
    the newline, with a warning), ``??/`` is a backslash where trigraphs are on (``-std=c++14`` and
    earlier, ``-trigraphs``), and a lone carriage return (also form feed, vertical tab, NUL: rare
    enough not to reason about) ends or changes a line for GCC but not for ``str.split("\\n")``.
    Such a line ends the preamble, so the PCH never covers or blanks it.
    """
    return _OPAQUE.search(line) is not None


def split_preamble(source: str, quoted: bool = True) -> tuple[list[str], int]:
    """The include lines of a program's preamble and the number of lines it spans.

    The preamble is the longest run of leading lines that are each an
    ``#include <...>`` (optionally followed by a ``//`` comment), blank, or a
    ``//`` comment. A line that the preprocessor might read differently from
    this line-by-line view ends it (see :func:`_opaque`): any backslash (a
    line continuation, even with spaces before the newline, joins the next
    line to a comment), ``??`` (the ``??/`` trigraph is a backslash under
    ``-std=c++14`` and earlier), a carriage return, form feed, vertical tab
    or NUL (GCC ends a line at a lone ``\r``). Trailing blank and comment
    lines are not counted. With ``quoted`` (the default), an
    ``#include "name"`` counts as ``#include <name>``: a quoted include is first
    looked up beside the including file, and the only files beside a program
    (its private temp dir) or a PCH's ``pre.h`` are the scorer's own, so for
    any other relative name without ``..`` both forms find the same header.

    Returns:
        ``(include_lines, n_lines)``, the include lines normalised to
        ``#include <name>`` (``#include<x.h>`` and ``#include <x.h>`` mean the
        same); ``([], 0)`` when there is no include.
    """
    found = preamble_includes(source, quoted)
    return [inc for _, inc in found], (found[-1][0] + 1 if found else 0)


def preamble_includes(source: str, quoted: bool = True) -> list[tuple[int, str]]:
    """``(line_index, "#include <name>")`` for each include of the preamble (see :func:`split_preamble`)."""
    found: list[tuple[int, str]] = []
    for i, line in enumerate(source.split("\n")):
        if _opaque(line):
            break
        m = _INCLUDE.match(line)
        if m and m.group(2) is not None:  # "name"
            name = m.group(2).strip()
            if not quoted or name.startswith("/") or ".." in name or name.replace("\\", "/").split("/")[0] in _LOCAL_NAMES:
                break
            found.append((i, f"#include <{name}>"))
        elif m:
            found.append((i, f"#include <{m.group(1).strip()}>"))
        elif not _SKIP.match(line):
            break
    return found


class PCHCache:
    """Builds and finds precompiled headers for a scorer's flags.

    A PCH costs about two plain compiles of its headers to build, so one is
    built only for a leading part of a preamble seen at least ``min_uses``
    times (counted over :meth:`expect`-ed batches and earlier calls), or found
    already built on disk.

    Args:
        scorer: the :class:`~cfdpo.scoring.CompileScorer` whose flags and limits apply.
        directory: where the PCHs live (shared across runs and processes);
            None makes a private temporary directory removed at exit.
        min_uses: uses of a preamble before its PCH is built.
        extend_uses: uses of a longer preamble before its PCH is built when a shorter leading part of it
            gets one (see the module docstring).
        cheap: include lines that never end a PCH (default :data:`CHEAP_HEADERS`).
    """

    def __init__(
        self,
        scorer: _Scorer,
        directory: str | os.PathLike[str] | None = None,
        min_uses: int = 3,
        extend_uses: int = 9,
        cheap: frozenset[str] = CHEAP_HEADERS,
    ) -> None:
        self.min_uses = min_uses
        self.extend_uses = extend_uses
        self.cheap = cheap
        #: uses of each leading part of a preamble (a tuple of include lines)
        self.uses: Counter = Counter()
        self.scorer = scorer
        if directory is None:
            directory = tempfile.mkdtemp(prefix="cfdpo-pch-", dir=run_temp_root())
            atexit.register(shutil.rmtree, directory, True)
        self.directory = os.path.abspath(os.fspath(directory))
        os.makedirs(self.directory, exist_ok=True)
        try:  # compiles of another uid (inside bwrap as root) read the PCHs
            os.chmod(self.directory, 0o755)
        except OSError:
            pass
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._failed: set[str] = set()
        #: quoted includes are shared with angled ones unless a flag adds quote-only search paths
        self.quoted = not any(f.startswith(("-iquote", "-I-")) for f in scorer.extra_flags)
        self.builds = 0
        self.build_ms = 0.0

    def _key(self, includes: list[str] | tuple[str, ...]) -> str:
        from .verdict import SCORER_VERSION, compiler_version

        h = hashlib.sha256()
        for part in (compiler_version(self.scorer.compiler), str(SCORER_VERSION), *self.scorer.base_flags(), "\0", *includes):
            h.update(part.encode() + b"\n")
        return h.hexdigest()[:32]

    def _count(self, includes: list[str]) -> None:
        for k in range(1, len(includes) + 1):
            self.uses[tuple(includes[:k])] += 1

    def expect(self, sources: list[str]) -> None:
        """Count the preambles of a batch about to be compiled (so shared ones get a PCH at once)."""
        with self._guard:
            for s in sources:
                inc, _ = split_preamble(s, self.quoted)
                self._count(inc)

    def _header(self, includes: tuple[str, ...]) -> str | None:
        """Path of ``pre.h`` (next to its ``pre.h.gch``) for exactly these include lines, building it once.

        Returns None when the header does not build cleanly, or has not been
        used ``min_uses`` times yet and is not on disk.
        """
        key = self._key(includes)
        final = os.path.join(self.directory, key)
        header = os.path.join(final, "pre.h")
        if os.path.isfile(header + ".gch"):
            return header
        with self._guard:
            if not self._worth(includes):
                return None
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if os.path.isfile(header + ".gch"):
                return header
            if key in self._failed or os.path.isfile(final + ".failed"):
                return None
            return self._build(key, list(includes), final)

    def _on_disk(self, includes: tuple[str, ...]) -> str | None:
        """``pre.h`` of a PCH of exactly these lines already built (by this or an earlier run), or None."""
        header = os.path.join(self.directory, self._key(includes), "pre.h")
        return header if os.path.isfile(header + ".gch") else None

    def _worth(self, includes: tuple[str, ...]) -> bool:
        """Whether a PCH of these leading lines is worth building now (called under ``_guard``): its last
        header is not a cheap one, and it was used ``min_uses`` times, or ``extend_uses`` times when a
        shorter leading part has or would get a PCH of its own."""
        if not includes or _as_angled(includes[-1]) in self.cheap:
            return False
        need = self.min_uses
        for k in range(len(includes) - 1, 0, -1):
            shorter = includes[:k]
            if _as_angled(shorter[-1]) in self.cheap:
                continue
            if self.uses[shorter] >= self.min_uses or self._on_disk(shorter) is not None:
                need = self.extend_uses
                break
        return self.uses[includes] >= need

    def _build(self, key: str, includes: list[str], final: str) -> str | None:
        import time

        from .verdict import Verdict

        work = tempfile.mkdtemp(prefix=f"{key}.", suffix=".tmp", dir=self.directory)
        try:
            with open(os.path.join(work, "pre.h"), "w", encoding="utf-8") as f:
                f.write("\n".join(includes) + "\n")
            cmd = [
                self.scorer._compiler_path or self.scorer.compiler,
                *self.scorer.base_flags(),
                "-x",
                "c++-header",
                "pre.h",
                "-o",
                "pre.h.gch",
            ]
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
                else:
                    os.chmod(os.path.join(work, junk), 0o644)
            os.chmod(work, 0o755)  # read by compiles of any uid (the unprivileged one inside bwrap as root)
            try:
                os.rename(work, final)  # atomic; another process may have won the race
            except OSError:
                if not os.path.isfile(os.path.join(final, "pre.h.gch")):
                    raise
            return os.path.join(final, "pre.h")
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def prepare(self, source: str, counted: bool = False) -> tuple[str, str | None]:
        """The source to compile and the header to force-include (None: compile as is).

        Uses the longest leading part of the preamble with a PCH (built now if
        it is shared by ``min_uses`` programs); the lines up to the last include
        it covers become empty lines, and the rest of the preamble stays as it is.
        """
        found = preamble_includes(source, self.quoted)
        if not found:
            return source, None
        includes = [inc for _, inc in found]
        if not counted:
            with self._guard:
                self._count(includes)
        for k in range(len(found), 0, -1):
            header = self._header(tuple(includes[:k]))
            if header is not None:
                span = found[k - 1][0] + 1
                lines = source.split("\n")
                return "\n" * span + "\n".join(lines[span:]), header
        return source, None


def _as_angled(line: str) -> str:
    """``#include "x"`` as ``#include <x>`` (a quoted C header is as cheap as an angled one)."""
    m = re.match(r'\s*#\s*include\s*"([^"]+)"\s*$', line)
    return f"#include <{m.group(1)}>" if m else line.strip()
