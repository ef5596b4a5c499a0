"""``cfdpo compare RUN [RUN ...]``: compile rate and pass@1 of several evaluations, with 95% Wilson intervals
and exact McNemar tests on the per-program verdicts against a baseline.

Each RUN is a ``cfdpo evaluate`` run directory (``LABEL=DIR`` names it; ``DIR@K``
takes its verdicts after K repair turns, ``--turn K`` does so for every run); all must
have judged the same held-out programs (only programs judged by both sides are
paired). Prints a markdown table; with ``--out`` also writes ``comparison.json``,
``comparison.md`` and ``comparison.png`` (bars with error bars). Lines starting
with FLAG point at a judge that may be gamed (compile rate up while pass@1 falls,
or completions much shorter than the references).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..stages.compare import CompareArguments, run

__all__ = ["CompareArguments", "main", "run"]


def main(argv: Sequence[str] | None = None) -> int:
    from ..evaluation.compare import format_markdown
    from ._parser import parse

    argv = list(argv or [])
    if argv and not argv[0].startswith("-"):  # cfdpo compare DIR DIR ... is --runs DIR DIR ...
        argv = ["--runs", *argv]
    (args,) = parse([CompareArguments], argv, prog="cfdpo compare", description=__doc__)
    print(format_markdown(run(args)), end="")
    if args.out:
        print(f"wrote {Path(args.out) / 'comparison.json'}")
    return 0
