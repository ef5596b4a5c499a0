"""``cfdpo repair-data --samples RUN_DIR --out DIR``: repair SFT and preference rows from compiler feedback.

The command parses options and calls :func:`cfdpo.stages.repair_data.run`; its module docstring (shown by
``--help``) describes the run.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path


def main(argv: Sequence[str] | None = None) -> int:
    from ..stages.repair_data import RepairDataArguments, run
    from ..stages.repair_data import __doc__ as stage_doc
    from ._parser import parse

    (a,) = parse([RepairDataArguments], argv, prog="cfdpo repair-data", description=stage_doc)
    s = run(a)
    print(json.dumps({k: v for k, v in s.items() if k != "config"}, indent=2))
    print(f"wrote {Path(a.out) / 'repair_sft.jsonl'} and {Path(a.out) / 'repair_prefs.jsonl'}")
    return 0
