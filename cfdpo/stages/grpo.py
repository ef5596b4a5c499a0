"""``cfdpo grpo --config recipes/<model>/grpo.yaml [overrides]``: online RL with the compiler as the reward.

TRL's ``GRPOTrainer`` (Shao et al. 2024, arXiv 2402.03300, Sec. 4: group-relative advantages; TRL's loss
options as they are) samples ``num_generations`` completions of each masked program of the corpus's train
split (or of a ``--train_file`` of prompt rows), and every completion is judged by g++ through
:mod:`cfdpo.rewards`: ``--reward graded`` (the layered scale of compile tiers, diagnostics and tests),
``compile`` (1 when it compiles under the warnings policy), ``test`` (fraction of sample tests passed), or a
comma-separated list weighted by TRL's ``--reward_weights``. Programs run on their tests only with
``--run_tests`` (in the sandbox; ``--isolation auto`` refuses without bubblewrap). LoRA / QLoRA like
``cfdpo sft`` and ``cfdpo dpo``, from the base model or an ``--adapter``; with ``beta > 0`` the reference
is the model with the adapter switched off (TRL). Generation uses transformers (TRL's vLLM modes need
CUDA; ``--use_vllm`` is refused on a CPU); in raw format each sample stops where its program is complete
(``--stop_on_complete``, :mod:`cfdpo.training.rollouts`), as in ``cfdpo evaluate``. Per-step rewards, the compile rate of the samples and their
verdict shares are in ``trainer_state.json``; evaluate the adapter with ``cfdpo evaluate --adapter DIR``.
An interrupted run resumes from its last checkpoint.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .configs import TestOptions
from .training_runs import TrainDataArguments

__all__ = ["REWARDS", "GrpoDataArguments", "grpo_rows", "reward_config", "reward_functions", "run"]

log = logging.getLogger(__name__)

#: the rewards of :mod:`cfdpo.rewards` that ``--reward`` names
REWARDS = ("graded", "compile", "test")


@dataclass
class GrpoDataArguments(TrainDataArguments, TestOptions):
    """Prompts (the corpus or ``--train_file``), the compile policy and tests the reward judges with, and
    the reward itself (YAML keys = these field names)."""

    reward: str = field(
        default="graded",
        metadata={
            "help": "The reward: graded, compile or test (cfdpo.rewards), or a comma-separated list of them, "
            "weighted by --reward_weights."
        },
    )
    stop_on_complete: bool = field(
        default=True,
        metadata={
            "help": "raw format: stop each sample where its program is complete (braces balance), as evaluate does, "
            "instead of TRL's sampling to end-of-sequence or max_completion_length."
        },
    )
    reward_batch_timeout_s: float | None = field(
        default=120.0,
        metadata={"help": "Wall-clock limit for judging one batch of completions, seconds; what is unfinished scores 0."},
    )

    def __post_init__(self) -> None:
        """Check every value before any work (raises :class:`~cfdpo.errors.OptionError`)."""
        from ..errors import OptionError
        from ..options import positive

        super().__post_init__()
        self.check_test_options()
        names = self.reward_names()
        if not names or any(n not in REWARDS for n in names) or len(set(names)) != len(names):
            raise OptionError(
                "reward",
                f"must be one of {', '.join(REWARDS)} or a comma-separated list of them without repeats, got {self.reward!r}",
            )
        if "test" in names and not self.run_tests:
            raise OptionError("reward", "test needs --run_tests true (the programs must run on their tests)")
        positive("reward_batch_timeout_s", self.reward_batch_timeout_s, optional=True)

    def reward_names(self) -> list[str]:
        """The rewards named by ``--reward``, in order."""
        return [n.strip() for n in self.reward.split(",") if n.strip()]


def reward_config(d: GrpoDataArguments) -> Any:
    """The :class:`cfdpo.rewards.RewardConfig` of the options (the compile and test option groups, whole)."""
    from ..rewards import RewardConfig

    return RewardConfig(
        std=d.std,
        warnings=d.warnings,
        compile_mode=d.compile_mode,
        extra_flags=tuple(d.gxx_flags.split()),
        compile_timeout_s=d.compile_timeout_s,
        compile_memory_mb=d.compile_memory_mb,
        isolation=d.isolation,
        time_limit_s=d.time_limit_s,
        run_memory_mb=d.run_memory_mb,
        workers=d.workers or os.cpu_count() or 1,
        batch_timeout_s=d.reward_batch_timeout_s,
        run_tests=d.run_tests,
        prompt_format=d.prompt_format,
        cache=not d.no_compile_cache,
        pch=not d.no_pch,
        fast_link=not d.no_fast_link,
        syntax_first=d.syntax_first,
        float_tolerance=d.float_tolerance,
    )


def reward_functions(d: GrpoDataArguments) -> list[Any]:
    """TRL ``reward_funcs`` for ``--reward``, each named as TRL logs it (``graded_reward``, ...).

    Raises:
        SandboxRefused: ``--run_tests`` with ``--isolation auto`` where bubblewrap cannot run.
    """
    cfg = reward_config(d)
    if d.run_tests:
        from ..scoring.sandbox import Sandbox

        Sandbox(d.isolation, runs_programs=True)  # refuse now, not at the first batch
    made = {"graded": cfg.graded, "compile": cfg.compile, "test": cfg.tests}
    return [made[n]() for n in d.reward_names()]


def grpo_rows(d: GrpoDataArguments, seed: int, out: Path) -> list[dict[str, Any]]:
    """The GRPO dataset: ``prompt`` (the masked program in ``raw`` format; the user turn as TRL's
    conversational messages in ``chat`` format), ``program`` (the masked program the reward completes),
    ``tests`` (JSON list of ``{"input", "output"}``), ``id`` and ``problem_id``.

    From ``--train_file`` (a ``prompts.jsonl`` of evaluate/build-prefs/data, or its run directory) or the
    masked corpus (its ``--split``, default train).

    Raises:
        InputError: no such file, a malformed or schema-violating row, no rows.
    """
    from ..corpus.prompts import chat_messages

    if d.train_file:
        from .configs import CorpusOptions, refuse_non_defaults
        from .training_runs import load_jsonl_dataset

        # the compile options still apply: the reward judges with them
        refuse_non_defaults(
            d, (CorpusOptions,), "cfdpo grpo reads its prompts from --train_file, not from a corpus", ("limit", "prompt_format")
        )
        rows = list(load_jsonl_dataset(d.train_file, "prompts", "prompts.jsonl"))
        rows = rows[: d.limit] if d.limit else rows
    else:
        from .training_runs import corpus_prompts

        rows = corpus_prompts(d, seed, out)
    return [
        {
            "prompt": r["prompt"] if d.prompt_format == "raw" else chat_messages(r["prompt"]),
            "program": r["prompt"],
            "tests": json.dumps(r.get("tests") or []),
            "sample_input": r.get("sample_input") or "",
            "sample_output": r.get("sample_output") or "",
            "id": r["id"],
            "problem_id": r.get("problem_id", ""),
        }
        for r in rows
    ]


def run(data_args: GrpoDataArguments, train_args: Any, model_args: Any) -> str:
    """Train and save the GRPO adapter; returns the output directory.

    Raises:
        OptionError: ``--use_vllm`` without CUDA; InputError: bad prompt rows; SandboxRefused: see
            :func:`reward_functions`.
    """
    import datasets
    import torch
    from trl import GRPOTrainer

    from ..errors import OptionError
    from ..training.models import load_for_training
    from .training_runs import record_run, train_and_save, training_run

    if train_args.use_vllm and not torch.cuda.is_available():
        raise OptionError(
            "use_vllm",
            "TRL's vLLM generation for GRPO needs CUDA; on a CPU cfdpo grpo generates with transformers (drop --use_vllm)",
        )
    if train_args.use_vllm and data_args.stop_on_complete and data_args.prompt_format == "raw":
        raise OptionError(
            "stop_on_complete",
            "is cfdpo's transformers rollout; TRL's vLLM generation (--use_vllm) "
            "samples to end-of-sequence: say --stop_on_complete false with it",
        )
    funcs = reward_functions(data_args)
    with training_run(data_args, train_args, model_args) as out:
        model, tok, peft_cfg = load_for_training(
            model_args, data_args.adapter, getattr(train_args, "max_length", None) or 2048, data_args.use_unsloth
        )
        rows = grpo_rows(data_args, train_args.seed, out)
        if not rows:
            raise ValueError("no prompts: check --data / --train_file and --limit")
        record_run(out, data_args, train_args, model_args)
        log.info("GRPO on %d prompts, %d completions each, reward %s", len(rows), train_args.num_generations, data_args.reward)
        rollout = None
        if data_args.stop_on_complete and data_args.prompt_format == "raw":
            from ..training.rollouts import program_rollout

            rollout = program_rollout()
        trainer = GRPOTrainer(
            model=model,
            reward_funcs=funcs,
            args=train_args,
            train_dataset=datasets.Dataset.from_list(rows),
            processing_class=tok,
            peft_config=peft_cfg,
            rollout_func=rollout,
        )
        train_and_save(trainer, tok, out)
        log.info("saved the GRPO adapter to %s", out)
        return str(out)
