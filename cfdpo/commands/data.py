"""``cfdpo data``: load a CodeNet-layout corpus, compile-check it, mask it, write prompts.

Writes ``prompts.jsonl`` (``id, problem_id, prompt, reference_completion,
mask_ratio, prompt_format, ...``), ``corpus_report.json`` (kept and skipped
counts by reason) and ``run_config.json`` into ``--out``. No model is loaded.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from ..stages.common import CommonArguments, make_scorer
from ..stages.prompts import prepare_prompts
from ..stages.records import RESUME_IGNORE, config_defaults


@dataclass
class DataArguments(CommonArguments):
    out: str = "runs/data"


def main(argv: Sequence[str] | None = None) -> int:
    from ..runinfo import check_or_write_run_config, run_directory
    from ._parser import parse

    (args,) = parse([DataArguments], argv, prog="cfdpo data", description=__doc__)
    with run_directory(args.out) as out:
        check_or_write_run_config(out, asdict(args), ignore=RESUME_IGNORE, defaults=config_defaults(args))
        rows = prepare_prompts(args, make_scorer(args), out)
        report = json.loads((out / "corpus_report.json").read_text())
        print(f"{len(rows)} prompts; corpus: {json.dumps(report)}")
        print(f"wrote {out / 'prompts.jsonl'}")
        return 0
