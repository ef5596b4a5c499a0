"""The ``cfdpo repair-data`` stage: repair training rows from judged samples.

Reads a ``build-prefs`` or ``evaluate`` run directory (``prompts.jsonl`` and
``samples.jsonl`` with verdicts and diagnostics, plus ``repair_<t>/samples.jsonl``
when the evaluation ran repair turns). For every failed sample (it did not
compile under the run's policy, or failed its sample tests when they were run)
the repair prompt is built from that sample's compiler feedback
(:mod:`cfdpo.corpus.repair`), and:

* ``repair_sft.jsonl``: SFT rows, repair prompt → a completion that succeeds:
  the first good sample of the same program, else the reference remainder
  (``target_source`` says which);
* ``repair_prefs.jsonl``: preference rows, chosen = that good completion,
  rejected = the failed completion the feedback is about (repeating one's own
  error is the failure a repair must avoid), pairs closer than
  ``min_edit_distance`` dropped (they make DPO collapse).

``raw`` rows hold the model's input text (the ``//`` feedback block, then the
masked program) and the completion; ``chat`` rows are TRL's conversational
prompt-completion / preference format (lists of messages), which TRL renders
with the model's chat template. Ready for ``cfdpo sft --train_file
OUT/repair_sft.jsonl`` and ``cfdpo dpo --train_file OUT/repair_prefs.jsonl``.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["RepairDataArguments", "repair_rows", "run"]

log = logging.getLogger(__name__)


@dataclass
class RepairDataArguments:
    """``cfdpo repair-data`` arguments (YAML keys = these field names)."""

    samples: str = field(metadata={"help": "A build-prefs or evaluate run directory (samples.jsonl, prompts.jsonl)."})
    out: str = field(default="runs/repair-data", metadata={"help": "Output directory."})
    prompt_format: str = field(default="raw", metadata={"help": "raw (text rows) or chat (conversational rows)."})
    min_edit_distance: int = field(
        default=10, metadata={"help": "Drop preference pairs whose chosen and rejected completions are closer (Levenshtein)."}
    )
    max_errors: int = field(default=3, metadata={"help": "Diagnostics quoted in each repair prompt."})
    max_per_prompt: int | None = field(default=None, metadata={"help": "Failed samples used per program, at most."})

    def __post_init__(self) -> None:
        """Check every value before any work (raises :class:`~cfdpo.errors.OptionError`)."""
        from ..options import at_least, choice

        choice("prompt_format", self.prompt_format, ("raw", "chat"))
        at_least("min_edit_distance", self.min_edit_distance, 0)
        at_least("max_errors", self.max_errors, 1)
        at_least("max_per_prompt", self.max_per_prompt, 1, optional=True)


def _render(prompt: str, feedback: str, completion: str | None, fmt: str) -> Any:
    from ..corpus.prompts import chat_messages, format_answer, render_prompt

    if fmt == "raw":
        return render_prompt(prompt, "raw", None, feedback) if completion is None else completion
    if completion is None:
        return chat_messages(prompt, feedback)
    return [{"role": "assistant", "content": format_answer(completion, "chat")}]


def repair_rows(
    prompts: list[dict[str, Any]], samples: list[dict[str, Any]], a: RepairDataArguments
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], Counter]:
    """SFT rows, preference rows and drop counts (see the module docstring).

    Args:
        prompts: prompt rows (``id``, ``prompt``, ``reference_completion``).
        samples: scored sample rows of those prompts, any turns.
        a: the options (format, edit-distance filter, errors quoted, cap per program).
    """
    from ..corpus.repair import feedback_for
    from ..evaluation.repair import attempt_succeeded
    from ..prefs.pairs import edit_distance

    run_tests = any("exec_verdict" in s for s in samples)
    by_prompt: dict[str, list[dict[str, Any]]] = {}
    for s in samples:
        by_prompt.setdefault(s["prompt_id"], []).append(s)
    sft: list[dict[str, Any]] = []
    prefs: list[dict[str, Any]] = []
    dropped: Counter = Counter()
    for p in prompts:
        rows = by_prompt.get(p["id"], [])
        good = [s for s in rows if attempt_succeeded(s, run_tests)]
        failed = [s for s in rows if not attempt_succeeded(s, run_tests)]
        if not failed:
            continue
        target, source = (good[0]["completion"], "sample") if good else (p["reference_completion"], "reference")
        seen: set[str] = set()
        for s in failed[: a.max_per_prompt] if a.max_per_prompt else failed:
            if s["completion"] in seen:
                dropped["duplicate_failed_completion"] += 1
                continue
            seen.add(s["completion"])
            feedback = feedback_for({**s, "prompt": p["prompt"]}, a.max_errors)
            prompt = _render(p["prompt"], feedback, None, a.prompt_format)
            meta = {
                "id": f"{s['id']}:repair",
                "prompt_id": p["id"],
                "failed_sample": s["id"],
                "failed_verdict": s["verdict"],
                "target_source": source,
                "feedback": feedback,
            }
            sft.append({**meta, "prompt": prompt, "completion": _render(p["prompt"], feedback, target, a.prompt_format)})
            dist = edit_distance(target, s["completion"])
            if dist < a.min_edit_distance:
                dropped["pair_too_close"] += 1
                continue
            prefs.append(
                {
                    **meta,
                    "prompt": prompt,
                    "chosen": _render(p["prompt"], feedback, target, a.prompt_format),
                    "rejected": _render(p["prompt"], feedback, s["completion"], a.prompt_format),
                    "edit_distance": dist,
                }
            )
    return sft, prefs, dropped


def run(a: RepairDataArguments) -> dict[str, Any]:
    """Write ``repair_sft.jsonl``, ``repair_prefs.jsonl`` and ``summary.json`` into ``a.out``; returns the summary.

    Raises:
        InputError: ``a.samples`` has no prompts.jsonl or samples.jsonl, or no sample is judged.
    """
    from ..errors import InputError
    from ..jsonl import write_jsonl
    from ..runinfo import check_or_write_run_config, run_directory, write_json
    from ..schemas import read_rows

    t0 = time.time()
    src = Path(a.samples)
    if src.is_file():
        src = src.parent
    for name in ("prompts.jsonl", "samples.jsonl"):
        if not (src / name).is_file():
            raise InputError(f"{a.samples}: no {name} (a build-prefs or evaluate run directory is expected)")
    prompts = read_rows("prompts", src / "prompts.jsonl")
    samples = read_rows("samples", src / "samples.jsonl")
    turns = sorted(src.glob("repair_*/samples.jsonl"))
    for f in turns:
        samples += read_rows("samples", f)
    if not samples:
        raise InputError(f"{src / 'samples.jsonl'}: no judged samples")
    with run_directory(a.out) as out:
        check_or_write_run_config(out, {**asdict(a), "samples": str(src.resolve())}, ignore=("out",))
        sft, prefs, dropped = repair_rows(prompts, samples, a)
        write_jsonl(out / "repair_sft.jsonl", sft)
        write_jsonl(out / "repair_prefs.jsonl", prefs)
        summary = {
            "prompts": len(prompts),
            "samples": len(samples),
            "repair_turn_files": [str(f) for f in turns],
            "sft_rows": len(sft),
            "pref_rows": len(prefs),
            "targets": dict(Counter(r["target_source"] for r in sft)),
            "failed_verdicts": dict(Counter(r["failed_verdict"] for r in sft)),
            "dropped": dict(dropped),
            "edit_distance_mean": round(sum(r["edit_distance"] for r in prefs) / len(prefs), 1) if prefs else None,
            "config": asdict(a),
            "wall_s": round(time.time() - t0, 1),
        }
        write_json(out / "summary.json", summary)
    return summary
