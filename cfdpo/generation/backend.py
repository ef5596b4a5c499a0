"""The generation interface: a :class:`Generator` completes rendered texts under per-text token budgets and
stop rules; :func:`generate_completions` (masked programs) and :func:`generate_answers` (compiler tasks) are
the calls every stage makes, the same for every backend.

Two backends implement it: :class:`~cfdpo.generation.transformers_backend.TransformersGenerator`
(transformers' ``generate``) and :class:`~cfdpo.generation.vllm_engine.VLLMModel` (vLLM's engine). Both
render prompts (:func:`cfdpo.corpus.prompts.render_prompt`), stop (:mod:`cfdpo.generation.stops`) and
budget (:func:`cfdpo.generation.decoding.token_budgets`) with the same code, so greedy completions agree
(``tests/test_vllm.py``). A third backend (a remote engine, a trainer's own) implements
:meth:`Generator.complete` and is passed wherever a model is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from ..corpus.prompts import render_prompt
from .decoding import DecodingConfig, token_budgets
from .stops import pattern_stop, program_stop

__all__ = ["Generator", "as_generator", "generate_answers", "generate_completions"]


@runtime_checkable
class Generator(Protocol):
    """A generation backend.

    Attributes:
        backend: its name (``hf``, ``vllm``, ...), recorded in results.
        tokenizer: the model's transformers tokenizer (renders chat prompts, counts tokens for budgets).
        config: the model's transformers config or None (``max_position_embeddings``: the context length
            that long prompts are fitted to, :mod:`cfdpo.generation.fit`).
    """

    backend: str
    tokenizer: Any
    config: Any

    def complete(
        self,
        texts: Sequence[str],
        budgets: Sequence[int],
        decoding: DecodingConfig,
        stops: Sequence[dict[str, Any]] | None,
        seed_key: str = "",
    ) -> list[list[str]]:
        """``decoding.num_samples`` completions of each text, text ``i``'s at most ``budgets[i]`` new tokens.

        Args:
            texts: exact model inputs (tokenised without special tokens).
            budgets: max new tokens, one per text.
            decoding: greedy or sampled (:class:`~cfdpo.generation.decoding.DecodingConfig`).
            stops: one stop rule per text (:mod:`cfdpo.generation.stops`) or None (end of sequence only).
            seed_key: mixed into the batch's seed (the first prompt id), where the backend can seed a batch.

        Returns:
            Per text, its decoded completions (special tokens removed, spaces not cleaned up).
        """
        ...


def as_generator(model: Any, tokenizer: Any) -> Generator:
    """``model`` itself when it is a :class:`Generator`, else a transformers model wrapped as one."""
    if isinstance(model, Generator):
        return model
    from .transformers_backend import TransformersGenerator

    return TransformersGenerator(model, tokenizer)


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
        model: a :class:`Generator`, or a causal LM (eval mode) generated through transformers.
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
    return as_generator(model, tokenizer).complete(texts, budgets, decoding, stops, seed_key)


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
    outs = [o[0] for o in as_generator(model, tokenizer).complete(texts, budgets, decoding, stops, seed_key)]
    if stop_pattern:
        rx = re.compile(stop_pattern)
        outs = [o[: m.end()] if (m := rx.search(o)) else o for o in outs]
    return outs
