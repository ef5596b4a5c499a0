"""The transformers backend: batched ``generate`` with left padding, per-row stop rules and budgets, seeded per
batch (:class:`TransformersGenerator`), and the token-level sampling GRPO's rollouts use
(:func:`sample_program_ids`).

Determinism: the RNG is re-seeded per batch from (seed, first prompt id), so a batch regenerated after a
crash gives the same samples on the same hardware.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from .decoding import DecodingConfig, batch_seed
from .stops import StopRule, program_stop

__all__ = ["TransformersGenerator", "sample_program_ids"]

log = logging.getLogger(__name__)


class TransformersGenerator:
    """A transformers causal LM as a :class:`~cfdpo.generation.backend.Generator`.

    Attributes:
        backend: ``"hf"``.
        model: the causal LM (eval mode; a PEFT model too).
        tokenizer: its tokenizer (left padding, a pad token: :func:`cfdpo.generation.models.generation_tokenizer`).
        config: the model's config (its context length sizes prompts).
    """

    backend = "hf"

    def __init__(self, model: Any, tokenizer: Any) -> None:
        self.model, self.tokenizer = model, tokenizer
        self.config = getattr(model, "config", None)

    def complete(
        self,
        texts: Sequence[str],
        budgets: Sequence[int],
        decoding: DecodingConfig,
        stops: Sequence[dict[str, Any]] | None,
        seed_key: str = "",
    ) -> list[list[str]]:
        """``decoding.num_samples`` completions per rendered text (see :meth:`Generator.complete`)."""
        import torch
        from transformers import StoppingCriteriaList

        model, tokenizer = self.model, self.tokenizer
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
