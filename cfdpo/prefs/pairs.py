"""Preference pairs from compiler verdicts.

Following Jain et al. (Sec. 3.2), a pair is built from each *bad* sample of a
prompt: ``chosen`` is the original (reference) completion, which compiles, and
``rejected`` is the sample; the graded policy and on-policy chosen sides
generalise it (:func:`build_preferences`). Pairs whose chosen and rejected completions are
nearly identical are dropped: the paper's CodeLlama run collapsed with a mean
Levenshtein distance of 108 between them against 224 for Gemma (Sec. 5).

Rows follow TRL's standard preference format: ``prompt`` is the exact model
input, ``chosen`` and ``rejected`` are completions only (never with the prompt
repeated inside).
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import Levenshtein

from ..corpus.prompts import format_answer

__all__ = ["CHOSEN_POLICIES", "PAIR_POLICIES", "build_preferences", "edit_distance", "rank_of"]


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance in characters (python-Levenshtein)."""
    return Levenshtein.distance(a, b)


#: rank of a compile verdict: error-like < warning < ok (a passing run ranks above, see :func:`rank_of`)
_COMPILE_RANK = {"ok": 2, "warning": 1}
CHOSEN_POLICIES = ("reference", "sample", "best")
PAIR_POLICIES = ("paper", "graded")


def rank_of(sample: dict[str, Any]) -> int:
    """Graded rank of a scored sample: 0 error (or timeout / resource limit), 1 warning that the run's
    warnings policy counts as a failure (``good`` is False), 2 compiles (cleanly, or with warnings the
    policy allows), 3 compiles and passes all its tests (only when tests were run).

    The reference completion of an accepted program ranks at the top (3 with tests, else 2).
    """
    r = _COMPILE_RANK.get(sample.get("verdict", ""), 0)
    if r == 1 and sample.get("good", False):
        r = 2  # warnings allowed by the policy: as good as a clean compile
    if r == 2 and sample.get("passed"):
        return 3
    return r


def _has_tests(prompt: dict[str, Any], samples: list[dict[str, Any]]) -> bool:
    """Whether a prompt has tests: its row carries them, or its samples were run on some (``run_tests_on``
    sets ``exec_verdict``, ``not_built`` included, only where the prompt has tests)."""
    from ..scoring.execution import row_tests

    return any(s.get("tests_total") or s.get("exec_verdict") is not None for s in samples) or bool(row_tests(prompt))


def _reject_label(s: dict[str, Any]) -> str:
    ev = s.get("exec_verdict")
    return ev if s.get("verdict") == "ok" and ev not in (None, "pass") else s["verdict"]


def build_preferences(
    prompts: Iterable[dict[str, Any]],
    samples: Iterable[dict[str, Any]],
    min_edit_distance: int = 10,
    max_pairs_per_prompt: int | None = None,
    prompt_format: str = "raw",
    render: Callable[[str], str] | None = None,
    *,
    policy: str = "paper",
    chosen: str = "reference",
    synthetic: Iterable[dict[str, Any]] = (),
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """(prompt, chosen, rejected) rows from scored samples: the one pair builder, its policy a parameter.

    ``policy="paper"`` (Jain et al., Sec. 3.2): every *bad* sample (``good`` False: it does not compile
    under the run's warnings policy) is rejected against its chosen; good samples are never rejected.
    ``policy="graded"``: ranks error < warning-as-failure < compiles < passes its tests (:func:`rank_of`)
    and every candidate is rejected against a chosen that outranks it: the paper's own suggestion
    (Sec. 6: use warnings and richer feedback) made concrete, e.g. a sample that compiles but fails its
    tests against one that passes. Both follow the same warnings policy, through ``good``.

    Args:
        prompts: prompt rows (``id``, ``problem_id``, ``prompt``, ``reference_completion``; the reference
            ranks at the top: 3 when samples were run on tests and this prompt has tests, else 2).
        samples: scored samples (``prompt_id``, ``sample_index``, ``completion``, ``verdict``, and with
            tests ``exec_verdict``/``passed``).
        min_edit_distance: applies to every pair (Levenshtein, characters): near-identical pairs make DPO
            collapse (the paper's CodeLlama run: mean distance 108 against 224 for Gemma, Sec. 5).
        max_pairs_per_prompt: cap; pairs with the widest rank gap first, then (graded) the largest edit
            distance, else (paper) in sample order.
        policy: ``paper`` or ``graded`` (above).
        chosen: ``reference`` (chosen is always the reference completion), ``sample`` (only on-policy
            samples, each paired with every sample ranked below it) or ``best`` (the best-ranked sample
            when it outranks the rejected one, else the reference).
        prompt_format: how completions are written as answers.
        render: maps the masked program to the model input.
        synthetic: synthetic negatives made from the reference completion (``prompt_id``, ``completion``,
            ``kind``, ``verdict``), see :mod:`cfdpo.prefs.synthetic`; they rank 0 and are rejected
            against the reference.

    Returns:
        ``(rows, summary)``: rows in TRL's preference format (``prompt`` is the model input, ``chosen`` and
        ``rejected`` completions only) with ``id, prompt_id, problem_id, edit_distance, chosen_source``
        (reference|sample), ``rejected_source`` (sample|synthetic:<kind>), ``chosen_rank``,
        ``rejected_rank``, ``rejected_verdict``; the summary counts samples, pairs kept, drops by reason
        and edit-distance statistics.

    Raises:
        ValueError: an unknown ``policy`` or ``chosen``.
    """
    if policy not in PAIR_POLICIES:
        raise ValueError(f"policy must be one of {PAIR_POLICIES}, got {policy!r}")
    if chosen not in CHOSEN_POLICIES:
        raise ValueError(f"chosen must be one of {CHOSEN_POLICIES}, got {chosen!r}")
    samples = list(samples)
    tested = any("exec_verdict" in s for s in samples)
    top = 3 if tested else 2
    if policy == "paper":
        top = 1
        rank = lambda s: 1 if s["good"] else 0
    else:
        rank = rank_of
    by_prompt: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for s in samples:
        by_prompt[s["prompt_id"]].append(s)
    synth_by: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for s in synthetic:
        synth_by[s["prompt_id"]].append(s)
    render = render or (lambda p: p)
    rows: list[dict[str, Any]] = []
    dropped: Counter = Counter()
    ranks: Counter = Counter()
    n_prompts = prompts_with_pairs = 0
    for p in prompts:
        n_prompts += 1
        # the reference ranks 3 (passes its tests) only where this prompt has tests: a prompt without tests
        # among tested ones tops out at 2, or every cleanly compiling sample of it would be rejected
        here = top if top != 3 or _has_tests(p, by_prompt.get(p["id"], [])) else 2
        ref = {"completion": p["reference_completion"], "rank": here, "source": "reference", "label": "reference"}
        cands = []
        for s in sorted(by_prompt.get(p["id"], []), key=lambda r: r["sample_index"]):
            r = rank(s)
            ranks[r] += 1
            cands.append(
                {
                    "completion": s["completion"],
                    "rank": r,
                    "source": "sample",
                    "label": _reject_label(s),
                    "index": s["sample_index"],
                }
            )
        for s in synth_by.get(p["id"], []):
            cands.append(
                {
                    "completion": s["completion"],
                    "rank": 0,
                    "source": f"synthetic:{s['kind']}",
                    "label": s["verdict"],
                    "index": None,
                }
            )
        pairs: list[tuple[dict[str, Any], dict[str, Any]]] = []
        best = max((c for c in cands if c["source"] == "sample"), key=lambda c: c["rank"], default=None)
        for rej in cands:
            if chosen == "reference" or rej["source"] != "sample":
                winners = [ref] if rej["rank"] < ref["rank"] else []
            elif chosen == "best":
                winners = (
                    [best] if best is not None and best["rank"] > rej["rank"] else ([ref] if rej["rank"] < ref["rank"] else [])
                )
            else:
                winners = [c for c in cands if c["source"] == "sample" and c["rank"] > rej["rank"]]
            pairs.extend((w, rej) for w in winners)
        scored = []
        seen: set[tuple[str, str]] = set()
        for w, rej in pairs:
            key = (w["completion"], rej["completion"])
            if key in seen or w["completion"] == rej["completion"]:
                dropped["duplicate"] += 1
                continue
            seen.add(key)
            dist = edit_distance(w["completion"], rej["completion"])
            if dist < min_edit_distance:
                dropped["edit_distance" if rej["source"] == "sample" else "edit_distance_synthetic"] += 1
                continue
            scored.append((w["rank"] - rej["rank"], dist, w, rej))
        scored.sort(key=(lambda t: (-t[0], -t[1])) if policy == "graded" else (lambda t: -t[0]))
        if max_pairs_per_prompt is not None and len(scored) > max_pairs_per_prompt:
            dropped["max_pairs_per_prompt"] += len(scored) - max_pairs_per_prompt
            scored = scored[:max_pairs_per_prompt]
        for k, (_gap, dist, w, rej) in enumerate(scored):
            rows.append(
                {
                    "id": f"{p['id']}#g{k}" if policy == "graded" else f"{p['id']}#{rej['index']}",
                    "prompt_id": p["id"],
                    "problem_id": p["problem_id"],
                    "prompt": render(p["prompt"]),
                    "chosen": format_answer(w["completion"], prompt_format),
                    "rejected": format_answer(rej["completion"], prompt_format),
                    "edit_distance": dist,
                    "chosen_source": w["source"],
                    "rejected_source": rej["source"],
                    "chosen_rank": w["rank"],
                    "rejected_rank": rej["rank"],
                    "rejected_verdict": rej["label"],
                }
            )
        prompts_with_pairs += bool(scored)
    dists = [r["edit_distance"] for r in rows]
    summary = {
        "prompts": n_prompts,
        "samples": len(samples),
        "sample_verdicts": dict(Counter(s["verdict"] for s in samples)),
        "sample_ranks": {str(k): v for k, v in sorted(ranks.items())},
        "bad_samples": sum(not s["good"] for s in samples),
        "pairs_kept": len(rows),
        "prompts_with_pairs": prompts_with_pairs,
        "pairs_by_ranks": dict(Counter(f"{r['chosen_rank']}>{r['rejected_rank']}" for r in rows)),
        "pairs_by_rejected_source": dict(Counter(r["rejected_source"].split(":")[0] for r in rows)),
        "dropped": dict(dropped),
        "min_edit_distance": min_edit_distance,
        "max_pairs_per_prompt": max_pairs_per_prompt,
        "chosen": chosen,
        "policy": policy,
        "graded": policy == "graded",
        "edit_distance_mean": round(statistics.fmean(dists), 2) if dists else None,
        "edit_distance_median": statistics.median(dists) if dists else None,
    }
    return rows, summary
