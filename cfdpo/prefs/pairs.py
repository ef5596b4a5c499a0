"""Preference pairs from compiler verdicts.

Following Jain et al. (Sec. 3.2), a pair is built from each *bad* sample of a
prompt: ``chosen`` is the original (reference) completion, which compiles, and
``rejected`` is the sample. Pairs whose chosen and rejected completions are
nearly identical are dropped: the paper's CodeLlama run collapsed with a mean
Levenshtein distance of 108 between them against 224 for Gemma (Sec. 5).

Rows follow TRL's standard preference format: ``prompt`` is the exact model
input, ``chosen`` and ``rejected`` are completions only (never with the prompt
repeated inside).
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from typing import Any, Callable, Iterable

import Levenshtein

from ..corpus.prompts import format_answer

__all__ = ["build_preferences", "edit_distance"]


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance in characters (python-Levenshtein)."""
    return Levenshtein.distance(a, b)


def build_preferences(
    prompts: Iterable[dict[str, Any]],
    samples: Iterable[dict[str, Any]],
    min_edit_distance: int = 10,
    max_pairs_per_prompt: int | None = None,
    prompt_format: str = "raw",
    render: Callable[[str], str] | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Build (prompt, chosen, rejected) rows from scored samples.

    Args:
        prompts: prompt rows (``id``, ``problem_id``, ``prompt``, ``reference_completion``).
        samples: scored sample rows (``prompt_id``, ``sample_index``, ``completion``,
            ``verdict``, ``good``).
        min_edit_distance: drop pairs whose chosen/rejected code differ by fewer
            characters (Levenshtein) than this.
        max_pairs_per_prompt: keep at most this many pairs per prompt (in sample
            order); None keeps all.
        prompt_format: how completions are written as answers (``chat`` fences them).
        render: maps the masked program to the model input; identity by default.

    Returns:
        ``(rows, summary)``. Rows are in prompt order, then sample order, with
        ``id, prompt_id, problem_id, prompt, chosen, rejected, edit_distance,
        chosen_source, rejected_verdict``. The summary counts pairs kept and
        dropped by reason, and the edit-distance statistics.
    """
    by_prompt: dict[str, list[dict[str, Any]]] = defaultdict(list)
    n_samples = 0
    n_bad = 0
    verdicts: Counter = Counter()
    for s in samples:
        by_prompt[s["prompt_id"]].append(s)
        n_samples += 1
        n_bad += not s["good"]
        verdicts[s["verdict"]] += 1
    render = render or (lambda p: p)
    rows: list[dict[str, Any]] = []
    dropped: Counter = Counter()
    prompts_with_pairs = 0
    n_prompts = 0
    for p in prompts:
        n_prompts += 1
        ref = p["reference_completion"]
        seen: set[str] = set()
        kept = 0
        for s in sorted(by_prompt.get(p["id"], []), key=lambda r: r["sample_index"]):
            if s["good"]:
                continue
            comp = s["completion"]
            if comp in seen:
                dropped["duplicate_rejected"] += 1
                continue
            seen.add(comp)
            dist = edit_distance(ref, comp)
            if dist < min_edit_distance:
                dropped["edit_distance"] += 1
                continue
            if max_pairs_per_prompt is not None and kept >= max_pairs_per_prompt:
                dropped["max_pairs_per_prompt"] += 1
                continue
            kept += 1
            rows.append({
                "id": f"{p['id']}#{s['sample_index']}",
                "prompt_id": p["id"],
                "problem_id": p["problem_id"],
                "prompt": render(p["prompt"]),
                "chosen": format_answer(ref, prompt_format),
                "rejected": format_answer(comp, prompt_format),
                "edit_distance": dist,
                "chosen_source": "reference",
                "rejected_verdict": s["verdict"],
            })
        prompts_with_pairs += kept > 0
    dists = [r["edit_distance"] for r in rows]
    summary = {
        "prompts": n_prompts,
        "samples": n_samples,
        "sample_verdicts": dict(verdicts),
        "bad_samples": n_bad,
        "pairs_kept": len(rows),
        "prompts_with_pairs": prompts_with_pairs,
        "dropped": dict(dropped),
        "min_edit_distance": min_edit_distance,
        "max_pairs_per_prompt": max_pairs_per_prompt,
        "chosen": "reference",
        "edit_distance_mean": round(statistics.fmean(dists), 2) if dists else None,
        "edit_distance_median": statistics.median(dists) if dists else None,
    }
    return rows, summary
