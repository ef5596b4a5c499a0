"""``cfdpo evaluate``: compile rate of a model's greedy completions on masked programs.

Writes into ``--out``: ``run_config.json`` (resolved config + environment),
``prompts.jsonl``, ``samples.jsonl`` (scored samples: raw and cleaned completion,
verdict, diagnostics) and ``results.json`` (compile rate, verdict counts, error
kinds, most frequent errors, clean-up applied, scorer policy, versions).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def main(argv: Sequence[str] | None = None) -> int:
    from ..stages.evaluate import EvaluateArguments, format_table, run
    from ._parser import parse

    (args,) = parse([EvaluateArguments], argv, prog="cfdpo evaluate", description=__doc__)
    results = run(args)
    print(format_table(results))
    print(f"wrote {Path(args.out) / 'results.json'}")
    return 0
