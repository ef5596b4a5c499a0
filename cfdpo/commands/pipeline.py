"""``cfdpo pipeline --config recipes/<model>/pipeline.yaml``: the paper's table in one command.

Base eval, LoRA SFT, build-prefs, DPO and DPOP from the SFT adapter, DPO from
the base model, an evaluation of each, and the report (``table.md``,
``results.json``, plots): see :mod:`cfdpo.stages.pipeline`. Each stage has its
own directory under ``--out`` and is reused when done, so a killed pipeline resumes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..stages.pipeline import STAGE_LABELS, PipelineArguments, run
from ._resolved import print_resolved

__all__ = ["STAGE_LABELS", "PipelineArguments", "main", "run"]


def main(argv: Sequence[str] | None = None) -> int:
    from ._parser import parse

    (p,) = parse([PipelineArguments], argv, prog="cfdpo pipeline", description=__doc__)
    if p.dry_run:
        return print_resolved(p)
    run(p)
    print((Path(p.out) / "table.md").read_text())
    print(f"wrote {Path(p.out) / 'results.json'}")
    return 0
