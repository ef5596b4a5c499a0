"""``cfdpo loop --config recipes/<model>/loop.yaml``: on-policy rounds of sampling, g++ judging and DPO.

Round 0 evaluates the base model (and trains and evaluates SFT with
``--start sft``); each round r then samples from the current policy, pairs a
good sample (or the reference) against a bad one, trains DPO or DPOP from the
current policy and evaluates it on the held-out test split. Everything lives
under ``--out/round_<r>/`` and resumes after a crash; ``table.md`` and
``results.json`` compare every policy with Base and the starting policy (95%
Wilson intervals, exact McNemar on per-program verdicts). See
:mod:`cfdpo.stages.loop`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def main(argv: Sequence[str] | None = None) -> int:
    from ..stages.loop import LoopArguments, run_loop
    from ._parser import parse

    (args,) = parse([LoopArguments], argv, prog="cfdpo loop", description=__doc__)
    if args.dry_run:
        from ._resolved import print_resolved

        return print_resolved(args)
    run_loop(args)
    print((Path(args.out) / "table.md").read_text())
    print(f"wrote {Path(args.out) / 'results.json'}")
    return 0
