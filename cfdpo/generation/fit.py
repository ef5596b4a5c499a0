"""Prompts that fit the model: truncate long masked programs from their start, or skip them.

A program of several megabytes makes a prompt of millions of tokens: far past
any small model's context, and on a CPU an allocation of hundreds of GB. The
model only needs the lines just before the masked part to continue the code, so
a long prompt is cut from its start at a line boundary until its rendered form
(raw code, or the chat template around it) fits ``limit`` tokens. The cut is
for the model's input only: clean-up and g++ still see the full program.
"""

from __future__ import annotations

import logging
from typing import Any

from ..corpus.prompts import render_prompt

__all__ = ["PromptFitter", "prompt_token_limit"]

log = logging.getLogger(__name__)


def prompt_token_limit(model: Any, tokenizer: Any, decoding: Any, max_prompt_tokens: int | None) -> int:
    """The longest prompt, in tokens: ``max_prompt_tokens`` or the context minus the generation budget.

    The context is the model config's ``max_position_embeddings`` (else the
    tokenizer's ``model_max_length`` when it is a real number); the budget is the
    fixed ``max_new_tokens`` or the per-prompt cap. A given ``max_prompt_tokens``
    is still capped by the context.
    """
    ctx = getattr(getattr(model, "config", None), "max_position_embeddings", None)
    if not isinstance(ctx, int) or ctx <= 0:
        mml = getattr(tokenizer, "model_max_length", None)
        ctx = mml if isinstance(mml, int) and 0 < mml < 10_000_000 else None
    budget = decoding.max_new_tokens or decoding.max_new_tokens_cap
    room = max(16, ctx - budget) if ctx else None
    if max_prompt_tokens is not None:
        return min(max_prompt_tokens, room) if room else max_prompt_tokens
    return room or 1_000_000


class PromptFitter:
    """Fits masked programs into a token limit (see the module docstring).

    Args:
        model: the causal LM (its config gives the context length).
        tokenizer: its tokenizer.
        prompt_format: ``raw`` or ``chat``.
        decoding: a :class:`~cfdpo.generation.decoding.DecodingConfig` (its token budget).
        max_prompt_tokens: an explicit limit (still capped by the context).
    """

    def __init__(
        self, model: Any, tokenizer: Any, prompt_format: str, decoding: Any, max_prompt_tokens: int | None = None
    ) -> None:
        self.tokenizer = tokenizer
        self.prompt_format = prompt_format
        self.limit = prompt_token_limit(model, tokenizer, decoding, max_prompt_tokens)
        self.overhead = self._count(render_prompt("", prompt_format, tokenizer)) if prompt_format == "chat" else 0

    def _count(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def tokens(self, prompt: str) -> int:
        """Tokens of the rendered prompt."""
        if len(prompt.encode("utf-8")) + self.overhead <= self.limit // 2:
            return 0  # byte-level and sentencepiece tokenizers never give more tokens than bytes: no need to count
        return self._count(render_prompt(prompt, self.prompt_format, self.tokenizer))

    def check(self, prompt: str) -> tuple[str | None, int]:
        """``(prompt, 0)`` when it fits, else ``(None, 0)`` (the ``skip`` policy)."""
        return (prompt, 0) if self.tokens(prompt) <= self.limit else (None, 0)

    def fit(self, prompt: str) -> tuple[str | None, int]:
        """The prompt cut from its start at a line boundary to fit, and the characters dropped.

        Returns ``(None, 0)`` when not even the template plus a few tokens of code fit.
        """
        if self.tokens(prompt) <= self.limit:
            return prompt, 0
        budget = self.limit - self.overhead
        if budget < 8:
            return None, 0
        # work on a suffix: a token covers well under 32 characters of code, so tokenising more is waste
        start = max(0, len(prompt) - 32 * budget)
        text = prompt[start:]
        for _ in range(8):
            ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
            if len(ids) > budget:
                keep = len(self.tokenizer.decode(ids[-budget:], skip_special_tokens=True, clean_up_tokenization_spaces=False))
                cut = len(text) - keep
                if cut > 0 and text[cut - 1] != "\n":
                    nl = text.find("\n", cut)
                    cut = nl + 1 if nl != -1 and nl + 1 < len(text) else cut
                text = text[cut:]
            if self.tokens(text) <= self.limit:
                return text, len(prompt) - len(text)
            nl = text.find("\n")  # boundary effects: drop one more line and check again
            text = text[nl + 1 :] if 0 <= nl < len(text) - 1 else text[len(text) // 8 :]
        return None, 0
