"""`cfdpo pipeline` end to end with a tiny model: every stage runs, the report is written, and a rerun reuses it."""

from __future__ import annotations

import json

from cfdpo.stages.pipeline import PipelineArguments, run

from .conftest import SAMPLE


def test_pipeline_end_to_end_and_resume(tiny_model_dir, tmp_path):
    p = PipelineArguments(
        out=str(tmp_path / "pipe"),
        model=str(tiny_model_dir),
        data=str(SAMPLE),
        eval_limit=2,
        train_limit=4,
        prefs_limit=2,
        num_samples=2,
        min_edit_distance=1,
        batch_size=2,
        compile_check=False,
        lora={"lora_r": 4, "lora_alpha": 4},
        sft={"max_steps": 2, "per_device_train_batch_size": 2},
        dpo={"max_steps": 2, "per_device_train_batch_size": 2, "learning_rate": 1e-3},
        train={"max_length": 256},
        threads=1,
        run_tests=True,
        pairs="graded+synthetic",
    )
    res = run(p)
    out = tmp_path / "pipe"
    assert list(res["table"]) == ["Base", "+SFT", "+DPO", "+SFT+DPO", "+SFT+DPOP"]
    dirs = {"Base": "eval-base", "+SFT": "eval-sft", "+DPO": "eval-dpo", "+SFT+DPO": "eval-sft-dpo", "+SFT+DPOP": "eval-sft-dpop"}
    evals = {k: json.loads((tmp_path / "pipe" / d / "results.json").read_text()) for k, d in dirs.items()}
    for k, ev in evals.items():  # the table is each stage's own evaluation, not something else in [0, 1]
        assert res["table"][k] == ev["compile_rate"] == ev["compiled"] / 2
        assert res["pass_at_1"][k] == ev["pass_at_1"]
    table = (out / "table.md").read_text()
    assert "| pass@1 (sample tests) |" in table
    assert res["pairs"]["base"]["graded"] and res["pairs"]["base"]["synthetic"]["kept"] > 0
    assert "| Base | +SFT | +DPO | +SFT+DPO | +SFT+DPOP |" in table
    assert (out / "compile_rate.png").stat().st_size > 1000 and (out / "edit_distance.png").is_file()
    # every stage against Base and +SFT: Wilson intervals and exact McNemar on the same programs
    rows = {r["label"]: r for r in res["comparison"]["rows"]}
    assert set(rows) == {"Base", "+SFT", "+DPO", "+SFT+DPO", "+SFT+DPOP"}
    assert rows["+SFT+DPO"]["compile"]["n"] == 2 and set(rows["+SFT+DPO"]["vs"]) == {"Base", "+SFT"}
    mc = rows["+DPO"]["vs"]["Base"]["compile"]
    base, dpo = evals["Base"]["per_program"], evals["+DPO"]["per_program"]
    fixed = sum(dpo[k]["good"] and not base[k]["good"] for k in base)
    broken = sum(base[k]["good"] and not dpo[k]["good"] for k in base)
    assert (mc["n"], mc["fixed"], mc["broken"]) == (2, fixed, broken)
    from math import comb

    m, k = fixed + broken, min(fixed, broken)  # exact McNemar, worked by hand on the discordant programs
    assert mc["p_value"] == (1.0 if m == 0 else min(1.0, 2 * sum(comb(m, i) for i in range(k + 1)) / 2**m))
    assert "compile vs Base" in table and "pass@1 vs +SFT" in table
    for d in ("sft", "sft-dpo", "sft-dpop", "dpo"):
        assert (out / d / "adapter_model.safetensors").is_file()
    for d in ("eval-base", "eval-sft", "eval-sft-dpo", "eval-sft-dpop", "eval-dpo"):
        assert json.loads((out / d / "results.json").read_text())["n"] == 2
    assert json.loads((out / "eval-sft-dpop" / "results.json").read_text())["adapter"] == str(out / "sft-dpop")
    stamp = (out / "sft" / "adapter_model.safetensors").stat().st_mtime_ns
    again = run(p)  # everything exists: reused, not recomputed
    assert again["table"] == res["table"]
    assert (out / "sft" / "adapter_model.safetensors").stat().st_mtime_ns == stamp


def test_train_bf16_reaches_the_trainers_arguments(tmp_path):
    """``train: {bf16: true}`` turns bf16 mixed precision on for the pipeline's SFT and DPO steps on a CPU too
    (off there by default, on with CUDA)."""
    import torch

    from cfdpo.stages.training_sections import dpo_config, sft_config

    for flag in (False, True):
        p = PipelineArguments(out=str(tmp_path), data=str(SAMPLE), train={"bf16": True} if flag else {})
        for build in (sft_config, dpo_config):
            args = build(p, tmp_path / "o")
            assert args.bf16 is (flag or torch.cuda.is_available())
            assert args.mixed_precision == ("bf16" if flag or torch.cuda.is_available() else "no")
