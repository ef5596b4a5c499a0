"""Every recipe file parses: its keys are config fields, and its header gives the command to run it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from .conftest import REPO

RECIPES = sorted((REPO / "recipes").rglob("*.yaml"))


def test_there_are_recipes_for_each_required_model():
    names = {p.relative_to(REPO / "recipes").as_posix() for p in RECIPES}
    for need in [
        "smollm2-135m/sft.yaml",
        "smollm2-135m/dpo.yaml",
        "smollm2-135m/dpop.yaml",
        "smollm2-135m/pipeline.yaml",
        "codellama-7b/sft.yaml",
        "codellama-7b/dpo.yaml",
        "mistral-7b-instruct/sft.yaml",
        "mistral-7b-instruct/dpo.yaml",
        "gemma-7b/sft.yaml",
        "gemma-7b/dpo.yaml",
        "accelerate/ddp.yaml",
        "accelerate/deepspeed_zero3.yaml",
    ]:
        assert need in names


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.relative_to(REPO / "recipes").as_posix())
def test_recipe_parses(path: Path):
    import torch

    rel = path.relative_to(REPO).as_posix()
    header = path.read_text().splitlines()[0]
    cfg = yaml.safe_load(path.read_text())
    assert isinstance(cfg, dict) and cfg
    if rel.startswith("recipes/accelerate/"):
        assert header.startswith(f"# accelerate launch --config_file {rel} -m cfdpo.cli ")
        assert cfg["distributed_type"] in ("MULTI_GPU", "MULTI_CPU", "DEEPSPEED")
        return
    assert header.startswith("# cfdpo ") and f"--config {rel}" in header
    command = header.split()[2]
    from cfdpo.commands._parser import parse

    overrides = [] if torch.cuda.is_available() else ["--bf16", "false", "--gradient_checkpointing", "false"]
    if command == "sft":
        from trl import ModelConfig, SFTConfig

        from cfdpo.stages.training_runs import TrainDataArguments

        _d, t, m = parse([TrainDataArguments, SFTConfig, ModelConfig], ["--config", str(path), *overrides], "t")
        assert t.learning_rate == cfg["learning_rate"] and m.lora_r == cfg["lora_r"]
    elif command == "dpo":
        from trl import DPOConfig, ModelConfig

        from cfdpo.stages.dpo import PreferenceArguments
        from cfdpo.stages.training_runs import TrainDataArguments

        _d, p, t, m = parse(
            [TrainDataArguments, PreferenceArguments, DPOConfig, ModelConfig], ["--config", str(path), *overrides], "t"
        )
        assert t.loss_type in (["sigmoid"], ["dpop"]) and t.beta == cfg["beta"] and p.dpop_lambda >= 0
    elif command == "kto":
        from trl import KTOConfig, ModelConfig

        from cfdpo.stages.training_runs import TrainDataArguments

        _d, t, m = parse([TrainDataArguments, KTOConfig, ModelConfig], ["--config", str(path), *overrides], "t")
        assert t.beta == cfg["beta"] and m.use_peft
    elif command == "grpo":
        from trl import GRPOConfig, ModelConfig

        from cfdpo.stages.grpo import GrpoDataArguments

        d, t, m = parse([GrpoDataArguments, GRPOConfig, ModelConfig], ["--config", str(path), *overrides], "t")
        assert d.reward == cfg["reward"] and t.num_generations == cfg["num_generations"] and m.use_peft
        assert d.holdout == "problems" and d.split == "train"
    elif command == "evaluate":
        from cfdpo.stages.evaluate import EvaluateArguments

        (e,) = parse([EvaluateArguments], ["--config", str(path)], "t")
        assert e.limit >= 200 and e.repair_turns == cfg["repair_turns"]  # enough programs to see an effect
    elif command == "pipeline":
        from cfdpo.stages.pipeline import PipelineArguments

        (p,) = parse([PipelineArguments], ["--config", str(path)], "t")
        assert p.stages == cfg["stages"]
    elif command == "loop":
        from cfdpo.stages.loop import LoopArguments

        (p,) = parse([LoopArguments], ["--config", str(path)], "t")
        assert p.rounds == cfg["rounds"] and p.eval_limit >= 200  # enough programs to see an effect
    else:
        pytest.fail(f"{rel}: unknown command {command!r} in its header")


def test_unknown_recipe_keys_are_an_error(tmp_path):
    from cfdpo.commands._parser import parse
    from cfdpo.stages.pipeline import PipelineArguments

    bad = tmp_path / "bad.yaml"
    bad.write_text("model: x\nlearning_rat: 0.1\n")
    with pytest.raises(ValueError, match="learning_rat"):
        parse([PipelineArguments], ["--config", str(bad)], "t")
    (p,) = parse([PipelineArguments], ["--config", str(REPO / "recipes/smollm2-135m/pipeline.yaml"), "--eval_limit", "3"], "t")
    assert p.eval_limit == 3  # flags override the file
