"""``cfdpo build-prefs``: sample completions, judge them with g++, and write preference pairs.

Writes into ``--out``: ``run_config.json``, ``prompts.jsonl``, ``samples.jsonl``
(scored samples), ``preferences.jsonl`` (TRL standard format: ``prompt``,
``chosen``, ``rejected`` completions only; plus ``edit_distance``,
``chosen_source``, ``rejected_verdict``, ``id``) and ``prefs_summary.json``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

from .common import (
    RESUME_IGNORE,
    CommonArguments,
    make_scorer,
    prepare_prompts,
    sample_and_score,
    summarise_samples,
    write_jsonl,
)

log = logging.getLogger(__name__)


@dataclass
class BuildPrefsArguments(CommonArguments):
    """``cfdpo build-prefs`` arguments."""

    out: str = "runs/prefs"
    split: str = "train"
    num_samples: int = field(default=4, metadata={"help": "Sampled completions per prompt."})
    temperature: float = field(default=1.0, metadata={"help": "Sampling temperature."})
    top_p: float = field(default=0.95, metadata={"help": "Nucleus sampling mass."})
    min_edit_distance: int = field(default=10,
                                   metadata={"help": "Drop pairs whose chosen/rejected differ by fewer characters."})
    max_pairs_per_prompt: int | None = field(default=None, metadata={"help": "Cap on pairs per prompt."})


def run(args: BuildPrefsArguments) -> dict[str, Any]:
    """Build the preference dataset; returns the summary (also in ``prefs_summary.json``)."""
    from ..corpus.prompts import render_prompt
    from ..generation.hf import DecodingConfig
    from ..generation.models import load_model, resolve_model, set_torch_threads
    from ..prefs.pairs import build_preferences
    from ..runinfo import check_or_write_run_config, environment_info, write_json

    t0 = time.time()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    config = asdict(args)
    check_or_write_run_config(out, config, ignore=RESUME_IGNORE)
    scorer = make_scorer(args)
    prompts = prepare_prompts(args, scorer, out)
    decoding = DecodingConfig(do_sample=True, temperature=args.temperature, top_p=args.top_p,
                              num_samples=args.num_samples, max_new_tokens=args.max_new_tokens, seed=args.seed)

    def load() -> tuple[Any, Any]:
        set_torch_threads(args.threads)
        return load_model(args.model, args.adapter, args.device)

    samples = sample_and_score(prompts, args, decoding, scorer, out, load)
    render = None
    if args.prompt_format == "chat":
        from transformers import AutoTokenizer

        tok = AutoTokenizer.from_pretrained(resolve_model(args.model))
        render = lambda p: render_prompt(p, "chat", tok)  # noqa: E731
    rows, summary = build_preferences(prompts, samples, args.min_edit_distance, args.max_pairs_per_prompt,
                                      args.prompt_format, render)
    write_jsonl(out / "preferences.jsonl", rows)
    summary.update({
        "samples_summary": summarise_samples(samples),
        "decoding": asdict(decoding),
        "scorer": scorer.config(),
        "scorer_speedups": scorer.speedups(),
        "config": config,
        "seed": args.seed,
        "environment": environment_info(),
        "wall_s": round(time.time() - t0, 1),
    })
    write_json(out / "prefs_summary.json", summary)
    return summary


def main(argv: Sequence[str] | None = None) -> int:
    from ._parser import parse

    (args,) = parse([BuildPrefsArguments], argv, prog="cfdpo build-prefs", description=__doc__)
    s = run(args)
    print(f"prompts {s['prompts']}  samples {s['samples']}  bad {s['bad_samples']}  "
          f"sample compile rate {100 * (s['samples_summary']['compile_rate'] or 0):.2f}%")
    print(f"pairs kept {s['pairs_kept']}  dropped {s['dropped']}  "
          f"mean edit distance {s['edit_distance_mean']}")
    print(f"wrote {Path(args.out) / 'preferences.jsonl'}")
    return 0
