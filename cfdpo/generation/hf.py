"""Batched completion sampling with transformers (and, through the same calls, vLLM).

A :class:`~cfdpo.generation.vllm_engine.VLLMModel` passed as ``model`` generates through its engine
with the same rendering, stop rules (:mod:`cfdpo.generation.stops`) and decoding.

Prompts are batched with left padding; decoding is greedy or sampled
(temperature, top-p, n samples per prompt). Each sequence stops as soon as its
program is complete (:func:`cfdpo.corpus.prompts.is_complete`: a code fence, or
the braces of prompt + completion balanced back to zero), which both saves time
and keeps the model from writing prose after the code.

Determinism: the RNG is re-seeded per batch from (seed, first prompt id), so a
batch regenerated after a crash gives the same samples on the same hardware.
"""

from __future__ import annotations

import logging
import math
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..corpus.prompts import render_prompt
from .stops import StopRule, pattern_stop, program_stop

__all__ = ["DecodingConfig", "batch_seed", "generate_answers", "generate_completions", "sample_program_ids", "token_budgets"]

log = logging.getLogger(__name__)


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


def _criterion(tokenizer: Any, rules: Sequence[StopRule] | None, budgets: Sequence[int], n: int, start: int) -> Any:
    """A transformers ``StoppingCriteria``: row ``i`` (of ``n`` per input text) stops once its text's rule in
    ``rules`` is reached (None: no rule) or once it has ``budgets[i // n]`` new tokens."""
    import torch
    from transformers import StoppingCriteria

    class _StopRules(StoppingCriteria):
        """Per-row stop once the row's rule or budget is reached; the full text is decoded only when it may be."""

        def __init__(self) -> None:
            self.done: list[bool] = [False] * (len(budgets) * n)
            #: per row, how many new tokens it had when it stopped (None: still running)
            self.lengths: list[int | None] = [None] * (len(budgets) * n)

        def __call__(self, input_ids: torch.LongTensor, scores: Any, **kwargs: Any) -> torch.BoolTensor:
            new = input_ids[:, start:]
            last = (
                tokenizer.batch_decode(new[:, -1:], skip_special_tokens=True, clean_up_tokenization_spaces=False)
                if rules is not None
                else []
            )
            for row in range(new.shape[0]):
                if self.done[row]:
                    continue
                if new.shape[1] >= budgets[row // n]:
                    self.done[row] = True
                elif rules is not None and rules[row // n].may_stop_after(last[row]):
                    text = tokenizer.decode(new[row], skip_special_tokens=True, clean_up_tokenization_spaces=False)
                    self.done[row] = rules[row // n].reached(text)
                if self.done[row]:
                    self.lengths[row] = new.shape[1]
            return torch.tensor(self.done, dtype=torch.bool, device=input_ids.device)  # type: ignore[return-value]

    return _StopRules()


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


def generate_completions(
    model: Any,
    tokenizer: Any,
    prompts: Sequence[str],
    references: Sequence[str] | None,
    decoding: DecodingConfig,
    prompt_format: str = "raw",
    seed_key: str = "",
    model_prompts: Sequence[str] | None = None,
    feedbacks: Sequence[str | None] | None = None,
) -> list[list[str]]:
    """Generate completions for one batch of masked programs.

    Args:
        model: a causal LM (eval mode).
        tokenizer: its tokenizer (``padding_side="left"``, with a pad token).
        prompts: masked programs (code); rendered with :func:`render_prompt`.
        references: reference completions, used only to size each prompt's token budget
            (:func:`token_budgets`).
        decoding: see :class:`DecodingConfig`.
        prompt_format: ``raw`` or ``chat``.
        seed_key: mixed into the batch seed (use the first prompt id).
        model_prompts: what the model reads instead of ``prompts`` (e.g. long prompts cut from their
            start by :class:`~cfdpo.generation.fit.PromptFitter`); the stop rule still follows the full
            ``prompts``, since a completion ends where the full program's braces balance.
        feedbacks: per prompt, compiler feedback of a failed attempt (repair turns) or None; rendered
            with the prompt by :func:`render_prompt`, never part of the stop rule.

    Returns:
        For each prompt, ``decoding.num_samples`` raw generated strings (special
        tokens removed, nothing else cleaned).
    """
    if not prompts:
        return []
    fbs = list(feedbacks) if feedbacks is not None else [None] * len(prompts)
    texts = [render_prompt(p, prompt_format, tokenizer, fb) for p, fb in zip(model_prompts or prompts, fbs)]
    budgets = token_budgets(tokenizer, references or [""] * len(prompts), decoding, prompt_format)
    stops = [program_stop(p, prompt_format) for p in prompts] if decoding.stop_on_complete else None
    return _generate(model, tokenizer, texts, budgets, decoding, stops, seed_key)


def _generate(
    model: Any,
    tokenizer: Any,
    texts: Sequence[str],
    budgets: Sequence[int],
    decoding: DecodingConfig,
    stops: Sequence[dict[str, Any]] | None,
    seed_key: str,
) -> list[list[str]]:
    """The one generation call of every task: batched, seeded per batch, text ``i`` stopped by its rule in
    ``stops`` (:mod:`cfdpo.generation.stops`; None: only end-of-sequence) or after ``budgets[i]`` new tokens.
    A vLLM model (:class:`~cfdpo.generation.vllm_engine.VLLMModel`) generates through its engine with the
    same rules and budgets."""
    if getattr(model, "backend", "hf") == "vllm":
        return model.generate(texts, budgets, decoding, stops)
    import torch
    from transformers import StoppingCriteriaList

    enc = tokenizer(list(texts), return_tensors="pt", padding=True, add_special_tokens=False).to(model.device)
    start = enc["input_ids"].shape[1]
    n = decoding.num_samples
    kwargs: dict[str, Any] = {
        "max_new_tokens": max(budgets),
        "num_return_sequences": n,
        "pad_token_id": tokenizer.pad_token_id,
        "do_sample": decoding.do_sample,
    }
    if decoding.do_sample:
        kwargs.update(temperature=decoding.temperature, top_p=decoding.top_p, top_k=0)
    else:
        kwargs.update(temperature=None, top_p=None, top_k=None)
    if stops is not None or len(set(budgets)) > 1:
        rules = [StopRule(s) for s in stops] if stops is not None else None
        kwargs["stopping_criteria"] = StoppingCriteriaList([_criterion(tokenizer, rules, budgets, n, start)])
    torch.manual_seed(batch_seed(decoding.seed, seed_key))
    with torch.inference_mode():
        out = model.generate(**enc, **kwargs)
    new = out[:, start:]  # a row stopped early is padded to the longest: cut it to its budget
    decoded = [
        tokenizer.decode(new[row, : budgets[row // n]], skip_special_tokens=True, clean_up_tokenization_spaces=False)
        for row in range(new.shape[0])
    ]
    return [decoded[i * n : (i + 1) * n] for i in range(len(texts))]


def sample_program_ids(
    model: Any, tokenizer: Any, programs: Sequence[str], max_new_tokens: int, sampling: dict[str, Any]
) -> tuple[list[list[int]], list[list[int]]]:
    """Sample one raw-format continuation of each masked program, each stopped where its program is complete
    (its braces balance or a fence ends the code, :func:`cfdpo.generation.stops.program_stop`), at
    end-of-sequence, or after ``max_new_tokens``: the token ids an online-RL trainer scores.

    Args:
        model: a causal LM (a PEFT model too); its current weights sample.
        tokenizer: its tokenizer (a pad token; left padding is used here).
        programs: the masked programs, which are also the model input (raw format); repeat a program to draw
            several samples of it.
        max_new_tokens: the budget per continuation.
        sampling: ``generate`` keywords (``temperature``, ``top_p``, ``top_k``, ...); sampling is always on.

    Returns:
        ``(prompt_ids, completion_ids)``: per program its unpadded prompt token ids and the sampled ids, cut at
        the stop (end-of-sequence kept, padding removed).
    """
    import torch
    from transformers import StoppingCriteriaList

    if not programs:
        return [], []
    side = tokenizer.padding_side
    tokenizer.padding_side = "left"
    try:
        enc = tokenizer(list(programs), return_tensors="pt", padding=True, add_special_tokens=False).to(model.device)
    finally:
        tokenizer.padding_side = side
    start = enc["input_ids"].shape[1]
    stop = _criterion(tokenizer, [StopRule(program_stop(p, "raw")) for p in programs], [max_new_tokens] * len(programs), 1, start)
    with torch.inference_mode():
        out = model.generate(
            **enc,
            max_new_tokens=max_new_tokens,
            do_sample=True,
            pad_token_id=tokenizer.pad_token_id,
            stopping_criteria=StoppingCriteriaList([stop]),
            **sampling,
        )
    eos = {tokenizer.eos_token_id} | set(_as_list(getattr(model.generation_config, "eos_token_id", None)))
    prompt_ids = [row[mask.bool()].tolist() for row, mask in zip(enc["input_ids"].cpu(), enc["attention_mask"].cpu())]
    completion_ids = []
    for row in range(out.shape[0]):
        ids = out[row, start : start + (stop.lengths[row] or max_new_tokens)].tolist()
        for k, t in enumerate(ids):
            if t in eos:
                ids = ids[: k + 1]
                break
        completion_ids.append(ids)
    return prompt_ids, completion_ids


def _as_list(x: Any) -> list[Any]:
    return [] if x is None else list(x) if isinstance(x, (list, tuple)) else [x]


def generate_answers(
    model: Any,
    tokenizer: Any,
    texts: Sequence[str],
    decoding: DecodingConfig,
    stop_pattern: str | None = None,
    seed_key: str = "",
) -> list[str]:
    """Answer rendered instructions (compiler tasks): one completion per text, cut after ``stop_pattern``.

    Args:
        model, tokenizer: as for :func:`generate_completions` (left padding).
        texts: the exact model inputs (already rendered, e.g. through the chat template).
        decoding: greedy or sampled; ``max_new_tokens`` must be set (there is no reference to size it).
        stop_pattern: a regular expression; a row stops once its generated text matches, and its answer
            ends at the match.
        seed_key: mixed into the batch seed.

    Returns:
        One answer per text (special tokens removed).

    Raises:
        ValueError: ``decoding.max_new_tokens`` is None or ``num_samples`` is not 1.
    """
    if decoding.max_new_tokens is None or decoding.num_samples != 1:
        raise ValueError("generate_answers needs a fixed max_new_tokens and one sample per text")
    if not texts:
        return []
    stops = [pattern_stop(stop_pattern)] * len(texts) if stop_pattern else None
    budgets = [decoding.max_new_tokens] * len(texts)
    outs = [o[0] for o in _generate(model, tokenizer, texts, budgets, decoding, stops, seed_key)]
    if stop_pattern:
        rx = re.compile(stop_pattern)
        outs = [o[: m.end()] if (m := rx.search(o)) else o for o in outs]
    return outs
