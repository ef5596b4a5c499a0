"""The scale-out path: ``accelerate launch`` with 2 CPU processes (DDP over gloo) and the config in
``recipes/accelerate/ddp_cpu.yaml`` trains sft and dpo on a tiny model to the same losses and the same
adapter as one process with the same global batch."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import load_file

from .conftest import REPO, SAMPLE, random_lora, sample_sources

ACCELERATE = shutil.which("accelerate", path=str(Path(sys.executable).parent)) or shutil.which("accelerate")
CONFIG = REPO / "recipes" / "accelerate" / "ddp_cpu.yaml"


def _prefs(tmp_path: Path) -> Path:
    rows = []
    for i, src in enumerate(sample_sources(4)):
        cut = int(len(src) * 0.9)
        p, c = src[:cut], src[cut:]
        rows.append({"id": str(i), "prompt": p[-400:], "chosen": c, "rejected": c.replace(";", "") + " oops("})
    f = tmp_path / "preferences.jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return f


def _start_adapter(tiny: Path, out: Path) -> Path:
    """One LoRA adapter both runs continue from: a fresh adapter's random init would differ between them."""
    model: Any = random_lora(tiny, seed=0, scale=0.02, targets=("q_proj", "v_proj"), alpha=4)
    model.save_pretrained(out)
    return out


def _train(
    launch: list[str], command: str, tiny: Path, out: Path, batch: int, data: list[str]
) -> tuple[list[float], dict[str, torch.Tensor]]:
    argv = [
        *launch,
        "-m",
        "cfdpo.cli",
        command,
        "--model_name_or_path",
        str(tiny),
        "--output_dir",
        str(out),
        "--max_steps",
        "3",
        "--per_device_train_batch_size",
        str(batch),
        "--learning_rate",
        "0.05",
        "--optim",
        "sgd",
        "--logging_steps",
        "1",
        "--save_strategy",
        "no",
        "--report_to",
        "none",
        "--seed",
        "0",
        "--lr_scheduler_type",
        "constant",
        "--bf16",
        "false",
        "--gradient_checkpointing",
        "false",
        "--use_peft",
        "true",
        "--lora_r",
        "4",
        "--lora_alpha",
        "4",
        "--lora_dropout",
        "0.0",
        "--max_length",
        "256",
        "--train_sampling_strategy",
        "sequential",
        *data,
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "CFDPO_THREADS": "1"}
    proc = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, "\n".join(x for x in proc.stderr.splitlines() if "[rank1]" not in x)[-3000:]
    state = json.loads((out / "trainer_state.json").read_text())
    losses = [h["loss"] for h in state["log_history"] if "loss" in h]
    return losses, load_file(str(out / "adapter_model.safetensors"))


@pytest.mark.slow
@pytest.mark.skipif(ACCELERATE is None, reason="accelerate's launcher is not installed")
@pytest.mark.parametrize("command", ["sft", "dpo"])
def test_two_cpu_processes_train_like_one(tiny_model_dir: Path, tmp_path: Path, command: str) -> None:
    if command == "sft":
        data = ["--data", str(SAMPLE), "--limit", "4", "--compile_check", "false"]
    else:
        data = ["--train_file", str(_prefs(tmp_path)), "--beta", "0.1"]
    data += ["--adapter", str(_start_adapter(tiny_model_dir, tmp_path / "start"))]
    start = load_file(str(tmp_path / "start" / "adapter_model.safetensors"))
    one_loss, one = _train([sys.executable], command, tiny_model_dir, tmp_path / "one", 4, data)
    two_loss, two = _train(
        [str(ACCELERATE), "launch", "--config_file", str(CONFIG), "--num_processes", "2"],
        command,
        tiny_model_dir,
        tmp_path / "two",
        2,
        data,
    )
    assert len(one_loss) == len(two_loss) == 3
    # DPO's loss is a mean over pairs: the same. SFT's logged loss is the mean of each process's token mean
    # (the gradient itself is scaled by the global token count), so it differs by the batches' token counts
    assert two_loss == pytest.approx(one_loss, rel=1e-3 if command == "dpo" else 1e-2)
    assert one.keys() == two.keys() == start.keys()
    assert any(not torch.equal(one[k], start[k]) for k in one)  # it trained
    # every step is the whole 4-row dataset (1 x 4 rows, or 2 x 2 rows), so the data order cannot differ;
    # the 2-process update equals the 1-process update to 1% of its size (summation order differs)
    update = torch.cat([(one[k] - start[k]).flatten() for k in one])
    gap = torch.cat([(two[k] - one[k]).flatten() for k in one])
    assert gap.norm() <= 0.01 * update.norm(), (gap.norm().item(), update.norm().item())
