"""``cfdpo evaluate``: compile rate of a model's greedy completions on masked programs.

The command parses options and calls :func:`cfdpo.stages.evaluate.run`; its module docstring (shown by
``--help``) describes the run.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def main(argv: Sequence[str] | None = None) -> int:
    from ..stages.evaluate import EvaluateArguments, format_table, run
    from ..stages.evaluate import __doc__ as stage_doc
    from ._parser import parse

    (args,) = parse([EvaluateArguments], argv, prog="cfdpo evaluate", description=stage_doc)
    results = run(args)
    print(format_table(results))
    print(f"wrote {Path(args.out) / 'results.json'}")
    return 0
