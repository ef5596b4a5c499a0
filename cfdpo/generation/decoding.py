"""How completions are decoded, in one place for every backend: greedy or sampled (:class:`DecodingConfig`),
each prompt's token budget (:func:`token_budgets`) and the per-batch seed (:func:`batch_seed`)."""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["DecodingConfig", "batch_seed", "token_budgets"]


@dataclass
class DecodingConfig:
    """How completions are decoded.

    Attributes:
        do_sample: sample (True) or greedy (False, the paper's evaluation setting).
        temperature: sampling temperature (ignored when greedy).
        top_p: nucleus sampling mass (ignored when greedy).
        num_samples: completions per prompt (must be 1 when greedy).
        max_new_tokens: fixed budget; when None it is derived per prompt as
            ``ceil(max_new_tokens_factor * reference tokens) + max_new_tokens_pad``,
            capped at ``max_new_tokens_cap`` (per prompt, not per batch: a prompt's completion does not depend
            on the batch it falls in, nor on the backend's batch size).
        stop_on_complete: stop a sequence once its program is complete.
        seed: base seed for sampling.
    """

    do_sample: bool = False
    temperature: float = 1.0
    top_p: float = 1.0
    num_samples: int = 1
    max_new_tokens: int | None = None
    max_new_tokens_factor: float = 2.0
    max_new_tokens_pad: int = 16
    max_new_tokens_cap: int = 1024
    stop_on_complete: bool = True
    seed: int = 0

    def __post_init__(self) -> None:
        if self.num_samples < 1:
            raise ValueError("num_samples must be >= 1")
        if not self.do_sample and self.num_samples != 1:
            raise ValueError("greedy decoding gives one completion per prompt: set do_sample or num_samples=1")
        if self.do_sample and (self.temperature <= 0 or not 0 < self.top_p <= 1):
            raise ValueError("sampling needs temperature > 0 and 0 < top_p <= 1")


def batch_seed(seed: int, key: str) -> int:
    """A 31-bit seed for one batch, from the run seed and the batch's first prompt id."""
    return (seed * 1_000_003 + zlib.crc32(key.encode("utf-8"))) % (2**31 - 1)


def token_budgets(tokenizer: Any, references: Sequence[str], decoding: DecodingConfig, prompt_format: str = "raw") -> list[int]:
    """Each prompt's max new tokens: ``decoding.max_new_tokens`` when set, else
    ``min(cap, ceil(factor * reference tokens) + pad)`` (+16 for the fences in ``chat`` format).

    Args:
        tokenizer: the model's tokenizer (counts the reference's tokens).
        references: one reference completion per prompt.
        decoding: the :class:`DecodingConfig` (fixed budget or factor, pad and cap).
        prompt_format: ``raw`` or ``chat``.

    Returns:
        One budget (tokens, ≥ 1) per reference.
    """
    if decoding.max_new_tokens is not None:
        return [decoding.max_new_tokens] * len(references)
    extra = 16 if prompt_format == "chat" else 0  # the fences
    out = []
    for r in references:
        n = len(tokenizer(r, add_special_tokens=False)["input_ids"]) if r else 0
        out.append(
            max(
                1,
                min(
                    math.ceil(decoding.max_new_tokens_factor * n) + decoding.max_new_tokens_pad + extra,
                    decoding.max_new_tokens_cap,
                ),
            )
        )
    return out
