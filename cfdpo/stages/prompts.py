"""The corpus masked into completion prompts (``prompts.jsonl``), ordered by length and cut into this shard's
whole generation batches."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from ..corpus.masking import mask_program
from ..errors import InputError
from ..jsonl import read_jsonl, write_jsonl
from ..scoring import CompileScorer
from .common import CommonArguments, parse_shard

__all__ = ["batch_ranges", "prepare_prompts"]

log = logging.getLogger(__name__)


def batch_ranges(n: int, size: int) -> list[tuple[int, int]]:
    """The generation batches of ``n`` prompts: ranges ``[a, b)`` of ``size`` (the last one shorter)."""
    return [(i, min(i + size, n)) for i in range(0, n, size)]


def prepare_prompts(args: CommonArguments, scorer: CompileScorer | None, out: Path) -> list[dict[str, Any]]:
    """Load the corpus, mask it and take this shard's prompts; reuse ``prompts.jsonl`` if present.

    Prompts are ordered by length (prompt + twice the reference), so batches pad
    little. Shards are made of whole generation batches, so the concatenation of
    all shards' rows equals an unsharded run's rows.
    """
    path = out / "prompts.jsonl"
    if path.is_file():
        reused = read_jsonl(path)
        log.info("reusing %d prompts from %s", len(reused), path)
        return reused
    from ..corpus.codenet import load_codenet
    from ..runinfo import write_json

    shard_i, shard_n = parse_shard(args.shard)
    splits = (args.split,)
    ds, report = load_codenet(
        args.data,
        train_per_problem=args.train_per_problem,
        test_per_problem=args.test_per_problem,
        seed=args.seed,
        scorer=scorer if args.compile_check else None,
        splits=splits,
        limit=args.limit,
        workers=args.workers,
        max_chars=args.max_program_chars,
        require_tests=args.require_tests,
        holdout=args.holdout,
        skip=args.skip,
        validation_problems=args.validation_problems,
    )
    rows: list[dict[str, Any]] = []
    skipped = list(report.skipped_files)
    mask_skipped = 0
    for prog in ds:
        try:
            m = mask_program(prog["source"], args.mask_ratio, args.mask_mode)
        except ValueError as e:
            mask_skipped += 1
            skipped.append(
                {
                    "stage": "mask",
                    "reason": "mask_failed",
                    "problem_id": prog["problem_id"],
                    "path": f"{prog['problem_id']}/{prog['submission_id']}",
                    "detail": str(e),
                }
            )
            continue
        rows.append(
            {
                "id": f"{prog['problem_id']}/{prog['submission_id']}",
                "problem_id": prog["problem_id"],
                "submission_id": prog["submission_id"],
                "prompt": m.prompt,
                "reference_completion": m.reference_completion,
                "mask_ratio": args.mask_ratio,
                "mask_mode": args.mask_mode,
                "prompt_format": args.prompt_format,
                "split": prog["split"],
                "sample_input": prog["sample_input"],
                "sample_output": prog["sample_output"],
                "tests": json.loads(prog["tests"] or "[]"),
            }
        )
    # order by length (stable), so that a generation batch holds prompts of similar length and
    # similar token budgets: on a CPU, one long prompt in a batch of short ones multiplies its cost
    rows.sort(key=lambda r: len(r["prompt"]) + 2 * len(r["reference_completion"]))
    batches = batch_ranges(len(rows), args.generation_batch_size())
    lo = shard_i * len(batches) // shard_n
    hi = (shard_i + 1) * len(batches) // shard_n
    start = batches[lo][0] if lo < len(batches) else len(rows)
    end = batches[hi - 1][1] if hi > lo else start
    rows = rows[start:end]
    corpus = report.to_dict()
    corpus["mask_skipped"] = mask_skipped
    corpus["shard"] = {"index": shard_i, "count": shard_n, "rows": [start, end]}
    if mask_skipped:
        log.warning(
            "skipped %d: mask_failed (%s)",
            mask_skipped,
            ", ".join(r["path"] for r in skipped if r["reason"] == "mask_failed")[:200],
        )
    if not rows:
        raise InputError(f"--data {args.data}: no programs left for split {args.split}: {_empty_reason(corpus)}")
    write_json(out / "corpus_report.json", corpus)
    write_jsonl(out / "skipped.jsonl", skipped)
    write_jsonl(path, rows)
    log.info("prepared %d prompts (%s)", len(rows), json.dumps(corpus["skipped"]))
    return rows


def _empty_reason(corpus: dict[str, Any]) -> str:
    """Which filters removed what, for the error of an empty selection."""
    skipped = {k: v for k, v in corpus["skipped"].items() if v}
    parts = [f"{corpus['problems_seen']} problem(s) seen, {corpus['problems_kept']} kept"]
    if skipped:
        parts.append("skipped: " + ", ".join(f"{k} {v}" for k, v in sorted(skipped.items(), key=lambda kv: -kv[1])))
    if corpus.get("mask_skipped"):
        parts.append(f"mask_failed {corpus['mask_skipped']}")
    if corpus["programs_kept"] and corpus["shard"]["count"] > 1:
        parts.append(f"shard {corpus['shard']['index']}/{corpus['shard']['count']} is empty")
    return "; ".join(parts)
