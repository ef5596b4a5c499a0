"""The same judge behind the custom-reward hooks of verl and OpenRLHF (neither needs to be installed).

verl (``custom_reward_function.path`` = this file, ``name`` = ``compute_score``)::

    compute_score(data_source, solution_str, ground_truth, extra_info=None) -> dict

``solution_str`` is the decoded response; ``extra_info["prompt"]`` (or ``extra_info["program"]``) the
masked program it completes; ``ground_truth`` the tests (a list or its JSON, ``{"input", "output"}``
each; empty or None: compile only). Returns ``{"score": graded reward, "compiled": 0/1, "pass_rate"}``
(verl logs the extra keys).

OpenRLHF (``--remote_rm_url`` = this file)::

    reward_func(queries, prompts, labels) -> {"rewards", "scores", "extra_logs"}

``queries`` are prompt + response texts, ``prompts`` the prompts (the masked programs), ``labels`` the
tests as above. Returns torch tensors when torch is importable (OpenRLHF's own environment), else lists.

Both use :class:`cfdpo.rewards.RewardConfig` defaults; set ``CFDPO_REWARD_CONFIG`` to a JSON object of
its fields (e.g. ``{"isolation": "rlimits", "workers": 16}``) to configure them.
"""

from __future__ import annotations

import json
import os
from typing import Any

from . import RewardConfig, graded_score

__all__ = ["compute_score", "reward_func"]


def _config() -> RewardConfig:
    raw = os.environ.get("CFDPO_REWARD_CONFIG")
    if not raw:
        return RewardConfig()
    fields = json.loads(raw)
    if "extra_flags" in fields:
        fields["extra_flags"] = tuple(fields["extra_flags"])
    return RewardConfig(**fields)


def _tests(ground_truth: Any) -> Any:
    if ground_truth is None or ground_truth == "":
        return []
    return json.loads(ground_truth) if isinstance(ground_truth, str) else list(ground_truth)


def compute_score(
    data_source: str, solution_str: str, ground_truth: Any, extra_info: dict[str, Any] | None = None
) -> dict[str, float]:
    """verl's custom reward: the graded reward of one response (see the module docstring)."""
    info = extra_info or {}
    program = info.get("program") or info.get("prompt")
    if not isinstance(program, str):
        raise ValueError(  # noqa: TRY004 - bad input data, reported as verl reports a failed reward
            "cfdpo compute_score: extra_info needs 'prompt' (the masked program the response completes)"
        )
    judge = _config().judge()
    (j,) = judge.judge([program], [solution_str], tests=[_tests(ground_truth)])
    frac = j.fraction_passed if j.tests else float(j.good)
    return {"score": graded_score(j), "compiled": float(j.good), "pass_rate": frac if j.good else 0.0}


def reward_func(queries: list[str], prompts: list[str], labels: list[Any]) -> dict[str, Any]:
    """OpenRLHF's remote reward function: graded rewards of a batch (see the module docstring)."""
    responses = [q.removeprefix(p) for q, p in zip(queries, prompts)]
    judge = _config().judge()
    judged = judge.judge(list(prompts), responses, tests=[_tests(lab) for lab in labels])
    scores = [graded_score(j) for j in judged]
    compiled = sum(j.good for j in judged) / max(1, len(judged))
    try:
        import torch

        t: Any = torch.tensor(scores, dtype=torch.float32)
        return {"rewards": t, "scores": t, "extra_logs": {"cfdpo/compile_rate": torch.tensor(compiled)}}
    except ImportError:
        return {"rewards": scores, "scores": scores, "extra_logs": {"cfdpo/compile_rate": compiled}}
