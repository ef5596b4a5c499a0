"""Rollouts for online RL: TRL ``GRPOTrainer``'s ``rollout_func`` that stops each sample where its program ends.

TRL's own transformers generation samples until end-of-sequence or ``max_completion_length``. A base model
continuing raw code rarely stops when the program is done: it goes on to write another one, and the
reward's clean-up (:func:`cfdpo.corpus.prompts.clean_completion`) cuts that off anyway. Measured with the
default model on CodeChef prompts (``max_completion_length`` 96): 94% of completions ran to the cap and a
step took 100–170 s on 2 cores. :func:`program_rollout` stops each sample at the token where its program's
braces balance (the evaluation's own stop rule, :mod:`cfdpo.generation.stops`), so generation, the policy's
log-probabilities and the loss all cover what the reward judges and no more.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

__all__ = ["program_rollout"]

log = logging.getLogger(__name__)


def program_rollout() -> Callable[[list[Any], Any], dict[str, Any]]:
    """A TRL ``rollout_func`` (``(prompts, trainer) -> {"prompt_ids", "completion_ids", "logprobs"}``) for
    raw-format prompts (the masked programs themselves).

    ``prompts`` is the process's slice of the batch, each prompt already repeated ``num_generations`` times
    by TRL's sampler: one completion is sampled per entry with the trainer's current weights and its sampling
    settings (``temperature``, ``top_p``, ``top_k``, ``min_p``, ``repetition_penalty``, and
    ``max_completion_length`` as the budget). ``logprobs`` is None: TRL computes the sampling policy's
    log-probabilities itself, as for its own transformers generation.

    Raises:
        ValueError: a conversational prompt (chat format has its own end, the end-of-turn token).
    """

    def rollout(prompts: list[Any], trainer: Any) -> dict[str, Any]:
        from ..generation.transformers_backend import sample_program_ids

        if any(not isinstance(p, str) for p in prompts):
            raise ValueError("program_rollout takes raw-format prompts (the masked programs), not chat messages")
        a = trainer.args
        sampling: dict[str, Any] = {
            "temperature": a.temperature,
            "top_p": a.top_p,
            "top_k": a.top_k or None,
            "repetition_penalty": a.repetition_penalty,
        }
        if a.min_p is not None:
            sampling["min_p"] = a.min_p
        model = trainer.accelerator.unwrap_model(trainer.model)
        was_training = model.training
        model.eval()
        try:
            prompt_ids, completion_ids = sample_program_ids(
                model, trainer.processing_class, prompts, a.max_completion_length, sampling
            )
        finally:
            model.train(was_training)
        return {"prompt_ids": prompt_ids, "completion_ids": completion_ids, "logprobs": None}

    return rollout
