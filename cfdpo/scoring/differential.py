"""A differential test of the judge: the fast :class:`~cfdpo.scoring.CompileScorer` against one plain g++.

The fast scorer (precompiled headers, gold first, a pool) promises the verdict and diagnostics of one
plain ``g++ <flags> -o prog prog.cpp`` per program. :func:`differential` checks that promise: each source
is compiled both ways and the two must agree on the verdict and on the first diagnostic (kind, line,
column and message). :func:`mutations` makes the sources that could break the promise from real
programs: truncations, line continuations (``\\``, ``\\`` followed by a space, the ``??/`` trigraph) at the
ends of comment lines inside and after the include block, macros defined before the includes
(``_GLIBCXX_DEBUG``, ``_GLIBCXX_ASSERTIONS``, a macro that breaks a header), ``#pragma once``, include
guards, an ``#include`` after code, a byte-order mark and CRLF line ends.

Used by ``tests/test_differential.py`` (a sample, in CI) and ``benchmarks/scorer.py --differential``
(at least 1,000 real programs and their mutations).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ..tempdirs import run_temp_root
from .compile import CompileResult, CompileScorer
from .diagnostics import SOURCE_NAME, parse_gcc_output
from .pch import preamble_includes

__all__ = ["DifferentialReport", "Mismatch", "differential", "mutations", "plain_gxx"]

log = logging.getLogger(__name__)

#: comment-line endings that continue the line into the next one (the trigraph only under -std=c++14 or older)
CONTINUATIONS = {"backslash": "\\", "backslash_space": "\\ ", "trigraph": "??/"}


def mutations(source: str, truncations: int = 10) -> list[tuple[str, str]]:
    """``(kind, source)`` variants of a program that probe what a PCH or a fast link could change.

    Args:
        source: a real program.
        truncations: cut points, evenly spread over the source's characters.

    Returns:
        About 25 variants; the include-block ones only where the program has an include.
    """
    out: list[tuple[str, str]] = []
    n = len(source)
    for i in range(truncations):
        out.append((f"truncate_{i}", source[: int(n * (i + 0.5) / truncations)]))
    lines = source.split("\n")
    inc = preamble_includes(source)
    if inc:
        first, last = inc[0][0], inc[-1][0]
        for name, end in CONTINUATIONS.items():
            inside = [*lines[: first + 1], f"// note {end}", *lines[first + 1 :]]
            out.append((f"continuation_{name}_inside", "\n".join(inside)))
            after = [*lines[: last + 1], f"// note {end}", *lines[last + 1 :]]
            out.append((f"continuation_{name}_after", "\n".join(after)))
            on_include = list(lines)
            on_include[first] = on_include[first] + f" // {end}"
            out.append((f"continuation_{name}_on_include", "\n".join(on_include)))
        out.append(("include_after_code", "\n".join([*lines, "#include <cstdlib>", "int cfdpo_after_code;"])))
    for name, define in (
        ("glibcxx_debug", "#define _GLIBCXX_DEBUG"),
        ("glibcxx_assertions", "#define _GLIBCXX_ASSERTIONS"),
        ("macro_breaks_header", "#define size_t int"),
        ("undef", "#undef __STRICT_ANSI__"),
        ("define_after_comment", "// header\n#define CFDPO_X 1"),
    ):
        out.append((f"define_{name}", define + "\n" + source))
    out.append(("pragma_once", "#pragma once\n" + source))
    out.append(("include_guard", "#ifndef CFDPO_GUARD\n#define CFDPO_GUARD\n" + source + "\n#endif\n"))
    out.append(("bom", "\ufeff" + source))
    out.append(("crlf", source.replace("\n", "\r\n")))
    out.append(("lone_cr_comment", "// a\r" + source))
    return out


def plain_gxx(scorer: CompileScorer, source: str, timeout_s: float | None = None) -> CompileResult:
    """The reference: one plain ``g++ <the scorer's flags> -o prog prog.cpp`` (or ``-c`` / ``-fsyntax-only``
    by mode) in a fresh directory, without PCH, gold, sandbox or cache, judged by the same rules."""
    tmp = tempfile.mkdtemp(prefix="cfdpo-ref-", dir=run_temp_root())
    try:
        with open(os.path.join(tmp, SOURCE_NAME), "w", encoding="utf-8", errors="surrogateescape") as f:
            f.write(source)
        cmd = scorer.argv()
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "LANG": "C", "TMPDIR": tmp}
        try:
            out = subprocess.run(
                cmd,
                cwd=tmp,
                env=env,
                capture_output=True,
                timeout=timeout_s or scorer.timeout_s,
                stdin=subprocess.DEVNULL,
                check=False,
            )
            rc: int | None = out.returncode
            timed_out, stderr = False, out.stderr.decode("utf-8", "replace")
        except subprocess.TimeoutExpired:
            rc, timed_out, stderr = None, True, ""
        diags, _ = parse_gcc_output(stderr)
        verdict = scorer._verdict(rc, timed_out, stderr, diags)
        return CompileResult(verdict, scorer.is_good(verdict), rc, diags, stderr[: scorer.max_stderr_chars], command=cmd)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _first(r: CompileResult) -> tuple[Any, ...] | None:
    if not r.diagnostics:
        return None
    d = r.diagnostics[0]
    return (d.kind, d.line, d.column, d.message)


@dataclass
class Mismatch:
    """One source on which the fast scorer and the plain g++ disagree."""

    name: str
    kind: str
    fast: tuple[str, tuple[Any, ...] | None]
    plain: tuple[str, tuple[Any, ...] | None]


@dataclass
class DifferentialReport:
    """Counts of a differential run: sources by kind, agreements on verdict and first diagnostic."""

    total: int = 0
    programs: int = 0
    verdict_agree: int = 0
    first_diagnostic_agree: int = 0
    by_kind: Counter = field(default_factory=Counter)
    verdicts: Counter = field(default_factory=Counter)
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def agreement(self) -> float:
        """Fraction of sources agreeing on both verdict and first diagnostic."""
        return (self.total - len(self.mismatches)) / self.total if self.total else 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "programs": self.programs,
            "verdict_agree": self.verdict_agree,
            "first_diagnostic_agree": self.first_diagnostic_agree,
            "agreement": self.agreement,
            "by_kind": dict(self.by_kind),
            "verdicts": dict(self.verdicts),
            "mismatches": [m.__dict__ for m in self.mismatches[:50]],
        }


def differential(
    cases: Sequence[tuple[str, str, str]],
    scorer: CompileScorer | None = None,
    workers: int = 2,
    progress: Callable[[int], None] | None = None,
) -> DifferentialReport:
    """Compile each ``(name, kind, source)`` with ``scorer`` (default: ``CompileScorer()``, the fast one)
    and with :func:`plain_gxx`, and count agreements.

    The fast side goes through :meth:`CompileScorer.score_many`, as the commands do, so shared preambles
    get their PCH. Kind ``original`` marks an unmutated program.
    """
    scorer = scorer or CompileScorer()
    sources = [c[2] for c in cases]
    fast = scorer.score_many(sources, workers=workers, progress=progress)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        plain = list(pool.map(lambda s: plain_gxx(scorer, s), sources))
    rep = DifferentialReport(total=len(cases), programs=sum(c[1] == "original" for c in cases))
    for (name, kind, _), f, p in zip(cases, fast, plain):
        rep.by_kind[kind.split("_")[0]] += 1
        rep.verdicts[p.verdict.value] += 1
        same_v = f.verdict is p.verdict
        same_d = _first(f) == _first(p)
        rep.verdict_agree += same_v
        rep.first_diagnostic_agree += same_d
        if not (same_v and same_d):
            rep.mismatches.append(Mismatch(name, kind, (f.verdict.value, _first(f)), (p.verdict.value, _first(p))))
    return rep
