"""cfdpo's stop rules inside vLLM's engine: a logits processor that ends a sequence after its rule is reached.

vLLM (v1) has no per-step stopping callback, and its ``stop`` strings cannot
say "the braces balance". This processor is loaded by the engine by name
(:data:`cfdpo.generation.vllm_engine.STOP_PROCESSOR`). A request carries its rule
in ``SamplingParams.extra_args["cfdpo_stop"]`` (a dict from
:mod:`cfdpo.generation.stops`) and the token to end with in ``"cfdpo_eos"``
(also one of the request's ``stop_token_ids``). Before each sampling step the
processor decodes a request's output so far, when its newest token may complete
it (:meth:`~cfdpo.generation.stops.StopRule.may_stop_after`), and once the rule
is reached it leaves only that token possible. The sequence thus ends right
after the token that reached the rule, as with transformers'
``StoppingCriteria`` (:func:`cfdpo.generation.transformers_backend._criterion`).

This module imports vLLM at import time: only the engine imports it.
"""

from __future__ import annotations

from typing import Any

import torch
from vllm.v1.sample.logits_processor import BatchUpdate, LogitsProcessor, MoveDirectionality

from .stops import StopRule

__all__ = ["StopRules"]


class _Tracked:
    __slots__ = ("checked", "done", "eos", "output", "rule")

    def __init__(self, rule: StopRule, eos: int, output: list[int]) -> None:
        self.rule, self.eos, self.output = rule, eos, output
        self.checked = 0  # output length at the last check
        self.done = False


class StopRules(LogitsProcessor):
    """Forces end-of-sequence once a request's cfdpo stop rule is reached (see the module docstring)."""

    def __init__(self, vllm_config: Any, device: torch.device, is_pin_memory: bool) -> None:
        from transformers import AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(vllm_config.model_config.tokenizer)
        self.tracked: dict[int, _Tracked] = {}

    def is_argmax_invariant(self) -> bool:
        """False: it changes greedy choices (it must act on greedy requests too)."""
        return False

    def update_state(self, batch_update: BatchUpdate | None) -> None:
        """Follow requests as they join, leave and move within the batch."""
        if batch_update is None:
            return
        for index in batch_update.removed:
            self.tracked.pop(index, None)
        for index, params, _prompt, output in batch_update.added:
            extra = params.extra_args or {}
            if "cfdpo_stop" in extra and extra.get("cfdpo_eos") is not None:
                self.tracked[index] = _Tracked(StopRule(extra["cfdpo_stop"]), int(extra["cfdpo_eos"]), output)
            else:
                self.tracked.pop(index, None)
        for a, b, direction in batch_update.moved:
            ta, tb = self.tracked.pop(a, None), self.tracked.pop(b, None)
            if ta is not None:
                self.tracked[b] = ta
            if tb is not None and direction == MoveDirectionality.SWAP:
                self.tracked[a] = tb

    def apply(self, logits: torch.Tensor) -> torch.Tensor:
        """Leave only end-of-sequence possible for each request whose rule is reached."""

        def decode(ids: list[int]) -> str:
            return str(self.tokenizer.decode(ids, skip_special_tokens=True, clean_up_tokenization_spaces=False))

        for index, t in self.tracked.items():
            n = len(t.output)
            if not t.done and n > t.checked:
                t.checked = n
                if t.rule.may_stop_after(decode(t.output[-1:])):
                    t.done = t.rule.reached(decode(t.output))
            if t.done:
                row = logits[index]
                row.fill_(float("-inf"))
                row[t.eos] = 0.0
        return logits
