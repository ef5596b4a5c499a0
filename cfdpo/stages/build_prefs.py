"""``cfdpo build-prefs``: sample completions, judge them with g++, and write preference pairs.

Writes into ``--out``: ``run_config.json``, ``prompts.jsonl``, ``samples.jsonl``
(scored samples), ``preferences.jsonl`` (TRL standard format: ``prompt``,
``chosen``, ``rejected`` completions only; plus ``edit_distance``,
``chosen_source``, ``rejected_verdict``, ``id``) and ``prefs_summary.json``.

``--pairs paper`` (the default without tests): every bad sample rejected against the reference.
``--pairs graded`` (the default with ``--run_tests`` or a ``--chosen`` other than reference) ranks
samples error < warning < ok < pass and pairs across ranks (``--chosen``
reference | sample | best); ``--pairs graded+synthetic`` adds corrupted references
that g++ confirms bad (``synthetic.jsonl``). The edit-distance filter and the
per-prompt cap apply to every pair.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from ..evaluation.summary import summarise_samples
from ..jsonl import write_jsonl
from .batch import make_exec_scorer
from .common import CommonArguments, load_generator
from .configs import Split
from .model_configs import PairOptions, SamplingOptions, pair_policy
from .records import prompt_fit_summary, run_record, start_run
from .sampling import sample_and_score

log = logging.getLogger(__name__)


@dataclass
class BuildPrefsArguments(CommonArguments, SamplingOptions, PairOptions):
    """``cfdpo build-prefs`` arguments: evaluate's groups plus the sampling and pair groups
    (:mod:`cfdpo.stages.model_configs`) and which side is chosen."""

    out: str = "runs/prefs"
    split: Split = "train"
    chosen: Literal["reference", "sample", "best"] = field(
        default="reference",
        metadata={
            "help": "Graded pairs: reference (chosen is the original completion), sample (only on-policy samples) "
            "or best (best sample when it outranks the rejected one, else the reference)."
        },
    )

    def __post_init__(self) -> None:
        """Check every value before any work (raises :class:`~cfdpo.errors.OptionError`)."""
        from ..options import choice

        super().__post_init__()
        self.check_sampling_options()
        choice("chosen", self.chosen, ("reference", "sample", "best"))
        self.check_pair_options(self.chosen)


def run(args: BuildPrefsArguments) -> dict[str, Any]:
    """Build the preference dataset; returns the summary (also in ``prefs_summary.json``)."""
    from ..corpus.prompts import render_prompt
    from ..generation.decoding import DecodingConfig
    from ..model_files import check_model, resolve_model
    from ..prefs.pairs import build_preferences
    from ..prefs.synthetic import make_negatives
    from ..runinfo import run_directory, write_json

    t0 = time.time()
    check_model(args.model, args.adapter)
    with run_directory(args.out) as out:
        scorer, prompts = start_run(args, out)
        decoding = DecodingConfig(
            do_sample=True,
            temperature=args.temperature,
            top_p=args.top_p,
            num_samples=args.num_samples,
            max_new_tokens=args.max_new_tokens,
            seed=args.seed,
        )

        def load() -> tuple[Any, Any]:
            return load_generator(args, sampling=True)

        executor = make_exec_scorer(args, scorer)
        samples = sample_and_score(prompts, args, decoding, scorer, out, load, executor)
        render = None
        if args.prompt_format == "chat":
            from transformers import AutoTokenizer

            tok = AutoTokenizer.from_pretrained(resolve_model(args.model))
            render = lambda p: render_prompt(p, "chat", tok)
        synthetic_summary = None
        synthetic: list[dict[str, Any]] = []
        policy = pair_policy(args.pairs, args.run_tests, args.chosen)
        if policy == "graded+synthetic":
            synthetic, synthetic_summary = make_negatives(
                prompts,
                scorer,
                args.synthetic_per_prompt,
                seed=args.seed,
                workers=args.workers,
                min_edit_distance=args.min_edit_distance,
            )
            write_jsonl(out / "synthetic.jsonl", synthetic)
        rows, summary = build_preferences(
            prompts,
            samples,
            args.min_edit_distance,
            args.max_pairs_per_prompt,
            args.prompt_format,
            render,
            policy="paper" if policy == "paper" else "graded",
            chosen=args.chosen,
            synthetic=synthetic,
        )
        write_jsonl(out / "preferences.jsonl", rows)
        summary.update(
            {
                "synthetic": synthetic_summary,
                "samples_summary": summarise_samples(samples),
                "prompt_fit": prompt_fit_summary(args, out, samples),
                "decoding": asdict(decoding),
                **run_record(args, scorer, executor, t0, sampling=True, out=out),
            }
        )
        write_json(out / "prefs_summary.json", summary)
        return summary
