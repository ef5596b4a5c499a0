"""``cfdpo tables [--check] [--add NAME LABEL=RUN_DIR ...]``: the result tables of README and docs/ from ``results/``.

The command parses options and calls :func:`cfdpo.stages.tables.run`; its module docstring (shown by
``--help``) describes the files.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from ..stages.tables import TablesArguments, run
    from ..stages.tables import __doc__ as stage_doc
    from ._parser import parse

    (args,) = parse([TablesArguments], argv, prog="cfdpo tables", description=stage_doc)
    changed = run(args)
    if args.check:
        if changed:
            print(
                f"cfdpo tables: out of date with {args.results}/: {', '.join(changed)} (run cfdpo tables)",
                file=sys.stderr,
            )
            return 1
        print(f"{', '.join(args.docs)}: every table agrees with its results")
        return 0
    print(f"rewrote {', '.join(changed)}" if changed else f"{', '.join(args.docs)}: nothing to rewrite")
    return 0
