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

Where g++'s plugin headers are installed, a PCH also holds the template instantiations its headers' own
code needs (:mod:`cfdpo.scoring.pch_plugin`): its ``pre.h`` ends with ``#pragma cfdpo instantiate``. It is
used only by programs with no later ``#include`` that could declare what those instantiations would find
(:meth:`PCHCache._no_op`); the others get the PCH of the same lines without them.

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
import shutil
import tempfile
import threading
from collections import Counter
from typing import Any, Protocol

from ..tempdirs import run_temp_root
from .preamble import ANY_INCLUDE, CHEAP_HEADERS, INCLUDE_LINE, as_angled, preamble_includes, split_preamble


class _Scorer(Protocol):
    """What a PCH cache needs of its :class:`~cfdpo.scoring.CompileScorer` (no import of it: no cycle)."""

    compiler: str
    extra_flags: tuple[str, ...]
    _compiler_path: str | None

    def base_flags(self) -> list[str]: ...

    def _run_in(self, workdir: str, cmd: list[str]) -> Any: ...


__all__ = ["PCHCache", "preamble_includes", "split_preamble"]

log = logging.getLogger(__name__)


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
        instantiate: build PCHs that hold the headers' template instantiations (with the GCC plugin of
            :mod:`cfdpo.scoring.pch_plugin`, where the compiler's plugin headers are installed), used by
            programs with no ``#include`` after the PCH's part: a later header may declare what a
            template instantiated at the end of the translation unit would find.
    """

    def __init__(
        self,
        scorer: _Scorer,
        directory: str | os.PathLike[str] | None = None,
        min_uses: int = 3,
        extend_uses: int = 9,
        cheap: frozenset[str] = CHEAP_HEADERS,
        instantiate: bool = True,
    ) -> None:
        self.min_uses = min_uses
        self.extend_uses = extend_uses
        self.cheap = cheap
        #: uses of each leading part of a preamble (a tuple of include lines)
        self.uses: Counter = Counter()
        #: sources counted by :meth:`expect` and not yet prepared (by hash)
        self._expected: Counter = Counter()
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
        self.instantiate = instantiate
        self._plugin: str | None = None
        self._plugin_known = False
        self._dep_sets: dict[str, frozenset[str]] = {}
        self._dirs: list[str] | None = None

    def plugin(self) -> str | None:
        """The instantiating plugin's path (built on first use), or None: off, or it cannot be built."""
        if not self.instantiate:
            return None
        if not self._plugin_known:
            from .pch_plugin import instantiate_plugin
            from .verdict import compiler_version

            path = self.scorer._compiler_path or self.scorer.compiler
            self._plugin = instantiate_plugin(path, compiler_version(self.scorer.compiler), self.directory)
            self._plugin_known = True
        return self._plugin

    def _key(self, includes: list[str] | tuple[str, ...], inst: bool = False) -> str:
        from .pch_plugin import PRAGMA
        from .verdict import SCORER_VERSION, compiler_version

        h = hashlib.sha256()
        lines = (*includes, PRAGMA, self.plugin() or "") if inst else tuple(includes)
        for part in (compiler_version(self.scorer.compiler), str(SCORER_VERSION), *self.scorer.base_flags(), "\0", *lines):
            h.update(part.encode() + b"\n")
        return h.hexdigest()[:32]

    def _count(self, includes: list[str]) -> None:
        for k in range(1, len(includes) + 1):
            self.uses[tuple(includes[:k])] += 1

    def expect(self, sources: list[str]) -> None:
        """Count the preambles of a batch about to be compiled (so shared ones get a PCH at once); the
        :meth:`prepare` of each of these sources then counts nothing again."""
        with self._guard:
            for s in sources:
                inc, _ = split_preamble(s, self.quoted)
                self._count(inc)
                self._expected[hash(s)] += 1

    def _header(self, includes: tuple[str, ...], inst: bool = False) -> str | None:
        """Path of ``pre.h`` (next to its ``pre.h.gch``) for exactly these include lines, building it once.

        ``inst``: the variant that holds the headers' template instantiations (see :meth:`plugin`).
        Returns None when the header does not build cleanly, or has not been
        used ``min_uses`` times yet and is not on disk.
        """
        key = self._key(includes, inst)
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
            return self._build(key, list(includes), final, inst)

    def _on_disk(self, includes: tuple[str, ...]) -> str | None:
        """``pre.h`` of a PCH of exactly these lines already built (by this or an earlier run), or None."""
        for inst in (False, True) if self.plugin() else (False,):
            header = os.path.join(self.directory, self._key(includes, inst), "pre.h")
            if os.path.isfile(header + ".gch"):
                return header
        return None

    def _on_disk_variant(self, includes: tuple[str, ...], inst: bool) -> bool:
        """Whether the PCH of exactly these lines, with or without the instantiations, is built."""
        return os.path.isfile(os.path.join(self.directory, self._key(includes, inst), "pre.h.gch"))

    def _worth(self, includes: tuple[str, ...]) -> bool:
        """Whether a PCH of these leading lines is worth building now (called under ``_guard``): its last
        header is not a cheap one, and it was used ``min_uses`` times, or ``extend_uses`` times when a
        shorter leading part has or would get a PCH of its own."""
        if not includes or as_angled(includes[-1]) in self.cheap:
            return False
        need = self.min_uses
        for k in range(len(includes) - 1, 0, -1):
            shorter = includes[:k]
            if as_angled(shorter[-1]) in self.cheap:
                continue
            if self.uses[shorter] >= self.min_uses or self._on_disk(shorter) is not None:
                need = self.extend_uses
                break
        return self.uses[includes] >= need

    def _build(self, key: str, includes: list[str], final: str, inst: bool = False) -> str | None:
        import time

        from .pch_plugin import PRAGMA
        from .verdict import Verdict

        work = tempfile.mkdtemp(prefix=f"{key}.", suffix=".tmp", dir=self.directory)
        try:
            plugin = self.plugin() if inst else None
            self.builds += 1
            for attempt in [plugin, None] if plugin else [None]:
                with open(os.path.join(work, "pre.h"), "w", encoding="utf-8") as f:
                    f.write("\n".join([*includes, *([PRAGMA] if attempt else [])]) + "\n")
                cmd = [
                    self.scorer._compiler_path or self.scorer.compiler,
                    *self.scorer.base_flags(),
                    *([f"-fplugin={attempt}", "-MD", "-MF", "pre.d"] if attempt else []),
                    "-x",
                    "c++-header",
                    "pre.h",
                    "-o",
                    "pre.h.gch",
                ]
                t0 = time.perf_counter()
                res = self.scorer._run_in(work, cmd)
                self.build_ms += (time.perf_counter() - t0) * 1000.0
                if res.verdict is Verdict.OK and os.path.isfile(os.path.join(work, "pre.h.gch")):
                    break
                if attempt:  # the instantiations could not be made cleanly: a PCH without them
                    log.info("PCH of %s without instantiations (%s)", includes, res.verdict.value)
            if res.verdict is not Verdict.OK or not os.path.isfile(os.path.join(work, "pre.h.gch")):
                log.info("no PCH for %s (%s): plain compiles", includes, res.verdict.value)
                self._failed.add(key)
                if res.verdict is Verdict.ERROR:  # deterministic: remember across runs
                    open(final + ".failed", "w").close()
                return None
            for junk in os.listdir(work):
                if junk not in ("pre.h", "pre.h.gch", "pre.d"):
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
        with self._guard:
            h = hash(source)
            if self._expected[h] > 0:
                self._expected[h] -= 1
                if not self._expected[h]:
                    del self._expected[h]
            elif not counted:
                self._count(includes)
        lines = source.split("\n")
        after = [line for line in lines[found[-1][0] + 1 :] if ANY_INCLUDE.match(line)]
        for k in range(len(found), 0, -1):
            part, later = tuple(includes[:k]), [*includes[k:], *after]
            header = None
            if self.plugin() is not None:
                # a later header may declare what the instantiations would find: whether it is a no-op is known
                # once the PCH's include list is; one not known to be is left to the PCH without instantiations
                cheap_later = all(as_angled(line) in self.cheap for line in later)
                if cheap_later or self._on_disk_variant(part, True):
                    header = self._header(part, True)
                    if header is not None and not self._no_op(header, later):
                        header = None
            if header is None:
                header = self._header(part, False)
            if header is not None:
                span = found[k - 1][0] + 1
                return "\n" * span + "\n".join(lines[span:]), header
        return source, None

    def _no_op(self, header: str, later: list[str]) -> bool:
        """Whether each of the ``later`` include lines (after a PCH's part) adds nothing its template
        instantiations could see: a C library header (:data:`CHEAP_HEADERS`: C functions, found by ordinary
        lookup at the template's definition), or a header the PCH's headers already included (its guard makes
        it empty; the PCH's build wrote the list, ``pre.d``)."""
        if not later:
            return True
        deps = self._deps(header)
        for line in later:
            m = INCLUDE_LINE.match(line)
            if m is None or (m.group(2) is not None and not self.quoted):
                return False
            name = (m.group(1) or m.group(2) or "").strip()
            if f"#include <{name}>" in self.cheap:
                continue
            where = next((os.path.join(d, name) for d in self._search_dirs() if os.path.isfile(os.path.join(d, name))), None)
            if where is None or os.path.realpath(where) not in deps:
                return False
        return True

    def _deps(self, header: str) -> frozenset[str]:
        """The real paths of the files a PCH's build read (its ``pre.d``; empty when there is none)."""
        with self._guard:
            if header in self._dep_sets:
                return self._dep_sets[header]
        try:
            with open(os.path.join(os.path.dirname(header), "pre.d"), encoding="utf-8") as f:
                words = f.read().replace("\\\n", " ").split()
        except OSError:
            words = []
        deps = frozenset(os.path.realpath(w) for w in words if not w.endswith(":"))
        with self._guard:
            self._dep_sets[header] = deps
        return deps

    def _search_dirs(self) -> list[str]:
        """The compiler's ``#include <...>`` search directories under the scorer's flags, in order."""
        if self._dirs is None:
            import subprocess

            cmd = [self.scorer._compiler_path or self.scorer.compiler, *self.scorer.base_flags(), "-xc++", "-E", "-v", "-"]
            try:
                out = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False, stdin=subprocess.DEVNULL)
                text = out.stderr
            except (OSError, subprocess.SubprocessError):
                text = ""
            dirs, on = [], False
            for line in text.splitlines():
                if line.startswith("#include <...> search starts here:"):
                    on = True
                elif line.startswith("End of search list."):
                    on = False
                elif on and line.startswith(" "):
                    dirs.append(line.strip())
            self._dirs = dirs
        return self._dirs
