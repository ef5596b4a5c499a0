"""What every sampling run records: the run config (checked when resuming), the generation backend, where
it ran, the scorer's policy and speed-ups, the environment, and how long prompts were handled."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ..jsonl import read_jsonl
from ..scoring import CompileScorer
from .common import CommonArguments, engine_seqs, make_scorer
from .prompts import prepare_prompts

__all__ = [
    "RESUME_IGNORE",
    "config_defaults",
    "executor_record",
    "generation_record",
    "prompt_fit_summary",
    "run_record",
    "start_run",
]


#: keys that may change between a run and its resumption
RESUME_IGNORE = (
    "out",
    "workers",
    "threads",
    "device",
    "no_compile_cache",
    "no_pch",
    "syntax_first",
    "repair_turns",
    "no_fast_link",
    "vllm_memory",
    "vllm_kv_cache_gb",
    "vllm_compile",
    "tensor_parallel_size",
    "batch_size",
    "executor",
    "ray_address",
    "ray_generators",
)


def config_defaults(args: Any) -> dict[str, Any]:
    """Default values of an arguments dataclass (for resuming runs recorded before an option existed)."""
    return asdict(type(args)())


def generation_record(args: Any, sampling: bool = False) -> dict[str, Any]:
    """The backend that generated (``auto`` resolved) and, for vLLM, its engine options (``sampling`` as for
    :func:`load_generator`)."""
    from ..generation.vllm_engine import options_record, resolve_backend

    backend = resolve_backend(args.backend)
    rec: dict[str, Any] = {"backend": backend, "asked": args.backend}
    if backend == "vllm":
        rec["vllm"] = options_record(args.vllm_options(args.seed, sampling, engine_seqs(args)))
    return rec


def prompt_fit_summary(args: CommonArguments, out: Path, samples: list[dict[str, Any]]) -> dict[str, Any]:
    """How long prompts were handled: the policy, the limit asked for, prompts truncated and skipped."""
    skipped = Counter(r["reason"] for r in read_jsonl(out / "skipped.jsonl") if r.get("stage") == "generate")
    return {
        "long_prompts": args.long_prompts,
        "max_prompt_tokens": args.max_prompt_tokens or "model context - generation budget",
        "truncated": len({s["prompt_id"] for s in samples if s.get("prompt_truncated_chars")}),
        "skipped": dict(skipped),
    }


def start_run(args: CommonArguments, out: Path) -> tuple[CompileScorer, list[dict[str, Any]]]:
    """Record (or check, when resuming) the run config in ``out``, build the scorer, prepare the prompts."""
    from ..runinfo import check_or_write_run_config

    check_or_write_run_config(out, asdict(args), ignore=RESUME_IGNORE, defaults=config_defaults(args))
    scorer = make_scorer(args)
    return scorer, prepare_prompts(args, scorer, out)


def run_record(
    args: CommonArguments, scorer: CompileScorer, executor: Any, t0: float, sampling: bool = False, out: Path | None = None
) -> dict[str, Any]:
    """What every evaluate / build-prefs result records about how it was made: scorer policy and speed-ups,
    execution limits, the resolved config, seed, generation backend (``sampling``: build-prefs), where it ran
    (``executor``: local, or the Ray cluster's resources and lost actors from ``out/ray_cluster.json``),
    environment (versions, git commit) and wall time."""
    import time

    from ..runinfo import environment_info

    return {
        "scorer": scorer.config(),
        "scorer_speedups": scorer.speedups(),
        "execution": executor.config() if executor is not None else None,
        "config": asdict(args),
        "generation": generation_record(args, sampling),
        "executor": executor_record(args, out),
        "seed": args.seed,
        "environment": environment_info(),
        "wall_s": round(time.time() - t0, 1),
    }


def executor_record(args: CommonArguments, out: Path | None) -> dict[str, Any]:
    """Where the run's sampling and judging ran: ``{"executor": "local"}``, or with ``--executor ray`` the
    record :func:`cfdpo.stages.ray_sampling.ray_batches` wrote (cluster resources, nodes, lost actors; only
    ``executor`` and ``address`` when every row was already there)."""
    if args.executor != "ray":
        return {"executor": "local"}
    path = out / "ray_cluster.json" if out is not None else None
    if path is not None and path.is_file():
        return dict(json.loads(path.read_text()))
    return {"executor": "ray", "address": args.ray_address}
