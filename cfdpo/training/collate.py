"""Preference batches whose two completions share one prompt window.

TRL's ``truncation_mode="keep_end"`` cuts each of ``prompt + chosen`` and
``prompt + rejected`` to its last ``max_length`` tokens on its own: when the
completions differ in length, the two rows keep different prompt windows, and a
rejected completion that loops to the token cap can push the prompt out
entirely. :func:`fit_pair` instead cuts the prompt from its start (keeping the
lines just before the completion) by the same amount for both rows, so
``prompt + longer completion`` fits ``max_length``; a completion is cut only
when it alone leaves less than a quarter of ``max_length`` for the prompt, and
then at its end. Both rows then share their first tokens, which lets
:class:`~cfdpo.training.trainer.PreferenceTrainer` run the prompt through the
model once per pair instead of twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trl.trainer.dpo_trainer import DataCollatorForPreference

__all__ = ["SharedPromptCollator", "fit_pair"]


def fit_pair(
    prompt: list[int], chosen: list[int], rejected: list[int], max_length: int
) -> tuple[list[int], list[int], list[int]]:
    """Cut one preference pair to ``max_length`` tokens per row, with one prompt window for both rows.

    Args:
        prompt, chosen, rejected: token ids.
        max_length: the longest row (prompt + completion), in tokens.

    Returns:
        ``(prompt, chosen, rejected)``: the prompt's last tokens, the completions whole unless one of them
        is longer than ``max_length - min(len(prompt), max_length // 4)`` (then cut at its end).
    """
    room = max_length - min(len(prompt), max_length // 4)
    chosen, rejected = chosen[:room], rejected[:room]
    keep = max(0, min(len(prompt), max_length - max(len(chosen), len(rejected))))
    return prompt[len(prompt) - keep :], chosen, rejected


@dataclass
class SharedPromptCollator(DataCollatorForPreference):
    """TRL's preference collator, each pair first cut by :func:`fit_pair` (``max_length`` must be set)."""

    def torch_call(self, examples: list[dict[str, Any]]) -> dict[str, Any]:
        """Fit every pair, then pad and stack as TRL does (``[chosen rows; rejected rows]``)."""
        if self.max_length is None:
            return super().torch_call(examples)
        fitted = []
        for e in examples:
            p, c, r = fit_pair(list(e["prompt_ids"]), list(e["chosen_ids"]), list(e["rejected_ids"]), self.max_length)
            fitted.append({**e, "prompt_ids": p, "chosen_ids": c, "rejected_ids": r})
        return super().torch_call(fitted)
