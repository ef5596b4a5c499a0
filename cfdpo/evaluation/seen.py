"""Seen and unseen problems: which problems an adapter was trained on, and an evaluation split by them.

Under the paper's split (``--holdout programs``) every test program is another accepted solution of a
problem whose train programs may have been trained on, so a compile rate mixes programs of problems the
model saw with programs of problems it never saw. :func:`trained_problems` follows an adapter back through
the runs that made it (each training run's ``run_config.json`` names its data and the adapter it started
from) and collects the problem ids of every prompt trained on; :func:`seen_unseen` reports compile rate and
pass@1 on each part. Under ``--holdout problems`` the seen part is empty by construction, which the report
then shows.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .stats import rate

__all__ = ["seen_unseen", "trained_problems"]

log = logging.getLogger(__name__)

#: the run-config sections that hold a training run's data options (sft / dpo / kto, grpo)
_DATA_SECTIONS = ("TrainDataArguments", "GrpoDataArguments")


def _prompt_files(run_dir: Path, data: Mapping[str, Any]) -> list[Path]:
    files = [run_dir / "prompts.jsonl"]
    train_file = data.get("train_file")
    if train_file:
        tf = Path(train_file)
        files.append(tf / "prompts.jsonl" if tf.is_dir() else tf)
    return [f for f in files if f.is_file()]


def trained_problems(adapter: str | Path | None) -> set[str] | None:
    """Problem ids of every prompt that ``adapter`` and the adapters it was trained from were trained on.

    Args:
        adapter: an adapter directory written by ``cfdpo sft``, ``dpo``, ``kto`` or ``grpo`` (or a stage of
            ``cfdpo pipeline`` / ``loop``).

    Returns:
        The set of problem ids (empty for no adapter), or None when some run of the chain did not record
        its prompts (an adapter made elsewhere): then nothing can be said about seen problems.
    """
    seen: set[str] = set()
    visited: set[Path] = set()
    current = Path(adapter) if adapter else None
    while current is not None and current.resolve() not in visited:
        visited.add(current.resolve())
        try:
            config = json.loads((current / "run_config.json").read_text(encoding="utf-8"))["config"]
        except (OSError, ValueError, KeyError):
            log.info("%s: no cfdpo run config; seen problems unknown", current)
            return None
        data = next((config[s] for s in _DATA_SECTIONS if isinstance(config.get(s), dict)), None)
        if data is None:
            return None
        files = _prompt_files(current, data)
        if not files:
            return None
        for f in files:
            with f.open(encoding="utf-8") as fh:
                for line in fh:
                    row = json.loads(line)
                    pid = row.get("problem_id") or str(row.get("prompt_id") or row.get("id") or "").split("/", 1)[0]
                    if pid:
                        seen.add(pid)
        parent = data.get("adapter")
        current = Path(parent) if parent else None
    return seen


def seen_unseen(per_program: Mapping[str, Mapping[str, Any]], trained: set[str]) -> dict[str, Any]:
    """Compile rate and pass@1 (Wilson intervals) on programs of problems trained on and of the others.

    Args:
        per_program: an evaluation's ``per_program`` (``"problem/submission"`` → ``{"good", "passed"}``).
        trained: problem ids trained on (:func:`trained_problems`).

    Returns:
        ``{"trained_problems": int, "seen": {...}, "unseen": {...}}``, each part ``{"programs",
        "compile_rate": rate, "pass_at_1": rate | None}`` (``rate`` as :func:`cfdpo.evaluation.stats.rate`).
    """
    parts: dict[str, list[Mapping[str, Any]]] = {"seen": [], "unseen": []}
    for key, v in per_program.items():
        parts["seen" if key.split("/", 1)[0] in trained else "unseen"].append(v)
    out: dict[str, Any] = {"trained_problems": len(trained)}
    for name, rows in parts.items():
        tested = [r for r in rows if r.get("passed") is not None]
        out[name] = {
            "programs": len(rows),
            "compile_rate": rate(sum(bool(r["good"]) for r in rows), len(rows)),
            "pass_at_1": rate(sum(bool(r["passed"]) for r in tested), len(tested)) if tested else None,
        }
    return out
