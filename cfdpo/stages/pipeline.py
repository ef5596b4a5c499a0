"""The pipeline stage: the paper's table (``cfdpo pipeline``) from evaluate, sft, build-prefs and dpo runs.

Stages (each in its own directory under ``--out``, reused when already done, so a
killed pipeline resumes):

1. ``eval-base``: compile rate of the base model (greedy, test split);
2. ``sft``: LoRA SFT on the train split; ``eval-sft``;
3. ``prefs-sft``: build-prefs with the SFT model; ``sft-dpo`` and ``sft-dpop``: DPO
   and DPOP continuing the SFT adapter; ``eval-sft-dpo``, ``eval-sft-dpop``;
4. ``prefs-base``: build-prefs with the base model; ``dpo``: DPO from the base;
   ``eval-dpo``;
5. ``report``: results.json, table.md (shaped like the paper's Table 1: Base,
   +SFT, +DPO, +SFT+DPO, +SFT+DPOP), compile_rate.png, edit_distance.png and the
   most frequent error kinds per stage.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..errors import OptionError
from .configs import (
    CompileOptions,
    CorpusOptions,
    ExecutorOptions,
    GenerationOptions,
    TestOptions,
    group_values,
    refuse_non_defaults,
)
from .model_configs import ModelOptions, PairOptions, SamplingOptions, model_values
from .training_sections import TrainingSections, dpo_config, model_config, sft_config

__all__ = ["STAGE_LABELS", "PipelineArguments", "dpo_stage", "evaluate_stage", "prefs_stage", "run", "sft_stage"]

log = logging.getLogger(__name__)

#: options that change how fast a run goes, not what it computes (may differ when resuming)
RUN_ONLY = ("vllm_memory", "vllm_kv_cache_gb", "vllm_compile", "tensor_parallel_size", "batch_size")

STAGE_LABELS = {"base": "Base", "sft": "+SFT", "dpo": "+DPO", "sft+dpo": "+SFT+DPO", "sft+dpop": "+SFT+DPOP"}


@dataclass
class PipelineArguments(
    CorpusOptions,
    CompileOptions,
    TestOptions,
    GenerationOptions,
    ExecutorOptions,
    ModelOptions,
    SamplingOptions,
    PairOptions,
    TrainingSections,
):
    """Everything the pipeline needs (YAML keys = these field names): the corpus, compile, test, generation and
    executor option groups (:mod:`cfdpo.stages.configs`) and the model, sampling and pair groups
    (:mod:`cfdpo.stages.model_configs`), handed whole to every stage, and the nested training sections
    ``train``, ``sft``, ``dpo`` and ``lora`` that TRL's classes take (:mod:`cfdpo.stages.training_sections`).

    ``split`` and ``limit`` are set per stage (``eval_limit``, ``train_limit``, ``prefs_limit``) and refused here,
    as are ``adapter`` (the pipeline starts from the base model and makes its own adapters) and ``device``
    (training's device is TRL's: ``train.use_cpu``, or ``CUDA_VISIBLE_DEVICES``).
    """

    out: str = field(default="runs/pipeline", metadata={"help": "Pipeline directory."})
    stages: str = field(default="base,sft,sft+dpo,sft+dpop,dpo", metadata={"help": "Rows of the table to produce."})
    eval_limit: int | None = field(default=None, metadata={"help": "Test programs to evaluate on."})
    train_limit: int | None = field(default=None, metadata={"help": "Train programs for SFT."})
    prefs_limit: int | None = field(default=None, metadata={"help": "Train programs to sample preference pairs on."})
    batch_size: int | None = field(
        default=None, metadata={"help": "Prompts per generation batch (default: 8 with transformers, 256 with vLLM)."}
    )
    dpop_lambda: float = field(default=50.0, metadata={"help": "DPOP's lambda (Pal et al. 2024, eq. 3)."})
    dry_run: bool = field(
        default=False,
        metadata={"help": "Print the resolved TRL configs (SFTConfig, DPOConfig, ModelConfig) and stop."},
    )

    def __post_init__(self) -> None:
        """Check every value before any work (raises :class:`~cfdpo.errors.OptionError`)."""
        from ..options import at_least

        self.check_model_options()
        refuse_non_defaults(
            self,
            (ModelOptions,),
            "the pipeline starts from the base model on TRL's device (train.use_cpu, or CUDA_VISIBLE_DEVICES)",
            allow=("model", "seed", "threads"),
        )
        self.check_corpus_options()
        self.check_compile_options()
        self.check_test_options()
        self.check_generation_options()
        self.check_executor_options()
        self.check_training_sections()
        if self.split != "test" or self.limit is not None or self.skip:
            raise OptionError(
                "split" if self.split != "test" else "limit" if self.limit is not None else "skip",
                "is set per stage by the pipeline: use eval_limit, train_limit and prefs_limit",
            )
        unknown = [s for s in (x.strip() for x in self.stages.split(",")) if s and s not in STAGE_LABELS]
        if unknown or not self.stages.strip():
            raise OptionError("stages", f"must be a comma-separated subset of {','.join(STAGE_LABELS)}, got {self.stages!r}")
        self.check_sampling_options()
        self.check_pair_options()
        for name in ("eval_limit", "train_limit", "prefs_limit"):
            at_least(name, getattr(self, name), 1, optional=True)
        at_least("batch_size", self.batch_size, 1, optional=True)
        at_least("dpop_lambda", self.dpop_lambda, 0)
        self.check_losses()

    def check_losses(self) -> None:
        """The pipeline sets each DPO stage's ``dpo.loss_type`` itself (sft+dpo and dpo: sigmoid, sft+dpop:
        dpop), so the section may not; ``dpo.label_smoothing`` applies to the sigmoid loss only.

        Raises:
            OptionError: naming the key.
        """
        if "loss_type" in self.dpo:
            raise OptionError("dpo.loss_type", "is set per stage by the pipeline (sft+dpo, dpo: sigmoid; sft+dpop: dpop)")
        if self.dpo.get("label_smoothing") and "sft+dpop" in self.stages:
            raise OptionError("dpo.label_smoothing", "applies to the sigmoid loss only, and the stages include sft+dpop")


def _groups(p: PipelineArguments, split: str, limit: int | None, skip: int = 0) -> dict[str, Any]:
    """The corpus, compile, test and generation option groups of the pipeline, whole, with the stage's split,
    limit and skip."""
    return {
        **group_values(p, CorpusOptions),
        "split": split,
        "limit": limit,
        "skip": skip,
        **group_values(p, CompileOptions),
        **group_values(p, TestOptions),
        **group_values(p, GenerationOptions),
        **group_values(p, ExecutorOptions),
    }


def evaluate_stage(p: PipelineArguments, out: Path, adapter: str | None, split: str = "test") -> dict[str, Any]:
    """Evaluate the model (+ ``adapter``) on the test split (``eval_limit`` programs) or the whole validation
    split into ``out`` (reused when done); returns results."""
    from .evaluate import EvaluateArguments, run

    if (out / "results.json").is_file():
        from ..evaluation.compare import load_evaluation

        return load_evaluation(out)
    return run(
        EvaluateArguments(
            **_groups(p, split=split, limit=p.eval_limit if split == "test" else None),
            **model_values(p, adapter),
            out=str(out),
            batch_size=p.batch_size,
        )
    )


def prefs_stage(
    p: PipelineArguments,
    out: Path,
    adapter: str | None,
    chosen: Literal["reference", "sample", "best"] = "reference",
    skip: int = 0,
) -> Path:
    """Sample, judge and pair with the model (+ ``adapter``) on the train split into ``out`` (reused when done).

    The pairs are the pipeline's ``pairs`` policy (:func:`~cfdpo.stages.model_configs.pair_policy`); ``chosen`` is
    build-prefs' ``--chosen``; ``skip`` leaves out the train split's first programs (another round's).
    """
    from .build_prefs import BuildPrefsArguments, run

    if not (out / "prefs_summary.json").is_file():
        run(
            BuildPrefsArguments(
                **_groups(p, split="train", limit=p.prefs_limit, skip=skip),
                **model_values(p, adapter),
                **group_values(p, SamplingOptions),
                **group_values(p, PairOptions),
                out=str(out),
                batch_size=p.batch_size,
                chosen=chosen,
            )
        )
    return out


def sft_stage(p: PipelineArguments, out: Path) -> str:
    """LoRA SFT on the masked train split into ``out`` (reused when its adapter exists); returns ``out``."""
    from .sft import run
    from .training_runs import TrainDataArguments

    if not (out / "adapter_model.safetensors").is_file():
        data = TrainDataArguments(
            **{
                k: v
                for k, v in _groups(p, split="train", limit=p.train_limit).items()
                if k not in group_values(p, TestOptions)
                and k not in group_values(p, GenerationOptions)
                and k not in group_values(p, ExecutorOptions)
            }
        )
        run(data, sft_config(p, out), model_config(p))
    return str(out)


def dpo_stage(p: PipelineArguments, out: Path, prefs: Path, loss: str, adapter: str | None) -> str:
    """DPO (``loss`` sigmoid) or DPOP on ``prefs``, continuing ``adapter`` (its frozen copy is the reference)
    or from the base model, into ``out`` (reused when its adapter exists); returns ``out``."""
    from .dpo import PreferenceArguments, run
    from .training_runs import TrainDataArguments

    if not (out / "adapter_model.safetensors").is_file():
        cfg = dpo_config(p, out)
        cfg.loss_type = [loss]  # the stage's loss: DPOConfig's own key
        run(
            TrainDataArguments(train_file=str(prefs), adapter=adapter),
            PreferenceArguments(dpop_lambda=p.dpop_lambda),
            cfg,
            model_config(p),
        )
    return str(out)


def run(p: PipelineArguments) -> dict[str, Any]:
    """Run (or resume) every stage and write the report; returns results.json's content."""
    from ..runinfo import check_or_write_run_config
    from .report import write_report

    out = Path(p.out)
    out.mkdir(parents=True, exist_ok=True)
    check_or_write_run_config(out, asdict(p), ignore=("threads", *RUN_ONLY), defaults=asdict(PipelineArguments()))
    wanted = [s.strip() for s in p.stages.split(",") if s.strip()]
    evals: dict[str, dict[str, Any]] = {}
    prefs: dict[str, Path] = {}
    if "base" in wanted:
        evals["base"] = evaluate_stage(p, out / "eval-base", None)
    sft = sft_stage(p, out / "sft") if any(s.startswith("sft") for s in wanted) else None
    if "sft" in wanted:
        evals["sft"] = evaluate_stage(p, out / "eval-sft", sft)
    losses = (("sft+dpo", "sigmoid"), ("sft+dpop", "dpop"))
    for stage, loss in losses:
        if stage in wanted:
            prefs["sft"] = prefs_stage(p, out / "prefs-sft", sft)
            name = "sft-" + stage.split("+")[1]
            evals[stage] = evaluate_stage(p, out / f"eval-{name}", dpo_stage(p, out / name, prefs["sft"], loss, sft))
    if "dpo" in wanted:
        prefs["base"] = prefs_stage(p, out / "prefs-base", None)
        evals["dpo"] = evaluate_stage(p, out / "eval-dpo", dpo_stage(p, out / "dpo", prefs["base"], "sigmoid", None))
    return write_report(out, evals, prefs, asdict(p))
