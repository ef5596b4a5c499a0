"""`cfdpo loop` with a tiny model: round 0, two on-policy rounds, the report, and resuming."""

from __future__ import annotations

import json

import pytest

from cfdpo.errors import OptionError
from cfdpo.stages.loop import LoopArguments, run_loop

from .conftest import SAMPLE


def _args(tiny_model_dir, out, **kw) -> LoopArguments:
    base = dict(
        out=str(out),
        model=str(tiny_model_dir),
        data=str(SAMPLE),
        eval_limit=4,
        train_limit=4,
        prefs_limit=2,
        num_samples=2,
        min_edit_distance=1,
        batch_size=2,
        compile_check=False,
        lora_r=4,
        lora_alpha=4,
        sft_max_steps=2,
        sft_batch_size=2,
        dpo_max_steps=2,
        dpo_batch_size=2,
        dpo_learning_rate=1e-3,
        max_length=128,
        threads=1,
        rounds=2,
    )
    base.update(kw)
    return LoopArguments(**base)


@pytest.mark.slow
def test_loop_rounds_train_on_their_own_samples_and_resume(tiny_model_dir, tmp_path):
    from safetensors.torch import load_file

    out = tmp_path / "loop"
    first = run_loop(_args(tiny_model_dir, out, rounds=1, fresh_programs=True))
    assert [r["label"] for r in first["comparison"]["rows"]] == ["Base", "+SFT", "+SFT+DPO r1"]
    r1 = (out / "round_1" / "adapter" / "adapter_model.safetensors").stat().st_mtime_ns
    res = run_loop(_args(tiny_model_dir, out, fresh_programs=True))  # the finished loop goes on with one more round
    assert (out / "round_1" / "adapter" / "adapter_model.safetensors").stat().st_mtime_ns == r1
    assert json.loads((out / "run_config.json").read_text())["config"]["rounds"] == 2
    labels = [r["label"] for r in res["comparison"]["rows"]]
    assert labels == ["Base", "+SFT", "+SFT+DPO r1", "+SFT+DPO r2"]
    for r in (1, 2):
        rd = out / f"round_{r}"
        assert (rd / "adapter" / "adapter_model.safetensors").is_file()
        assert json.loads((rd / "eval" / "results.json").read_text())["n"] == 4
        samples = [json.loads(x) for x in (rd / "prefs" / "samples.jsonl").read_text().splitlines()]
        policy = str(out / "round_0" / "sft") if r == 1 else str(out / "round_1" / "adapter")
        assert {s["model"] for s in samples} == {f"{tiny_model_dir}+{policy}"}  # sampled from the current policy
    # each round moves the policy on from the previous one
    w1 = load_file(out / "round_1" / "adapter" / "adapter_model.safetensors")
    w2 = load_file(out / "round_2" / "adapter" / "adapter_model.safetensors")
    assert any(not (w1[k] == w2[k]).all() for k in w1)
    rows = {r["label"]: r for r in res["comparison"]["rows"]}
    assert set(rows["+SFT+DPO r2"]["vs"]) == {"Base", "+SFT"}
    assert "+SFT+DPO r2" in (out / "table.md").read_text() and (out / "compile_rate.png").is_file()
    stamp = (out / "round_2" / "adapter" / "adapter_model.safetensors").stat().st_mtime_ns
    # fresh programs: SFT's 4, round 1's 2 and round 2's 2 train programs are 8 distinct programs
    ids = [
        {json.loads(x)["id"] for x in (out / d / "prompts.jsonl").read_text().splitlines()}
        for d in ("round_0/sft", "round_1/prefs", "round_2/prefs")
    ]
    assert [len(x) for x in ids] == [4, 2, 2] and len(ids[0] | ids[1] | ids[2]) == 8
    again = run_loop(_args(tiny_model_dir, out, fresh_programs=True))  # everything done: reused
    assert again["table"] == res["table"]
    assert (out / "round_2" / "adapter" / "adapter_model.safetensors").stat().st_mtime_ns == stamp


def test_loop_options_are_checked(tiny_model_dir, tmp_path):
    for kw, name in (
        (dict(rounds=0), "rounds"),
        (dict(start="sft2"), "start"),
        (dict(chosen="worst"), "chosen"),
        (dict(loss="ipo"), "loss"),
        (dict(stages="base"), "stages"),
        (dict(fresh_programs=True, prefs_limit=None), "fresh_programs"),
    ):
        with pytest.raises(OptionError) as e:
            _args(tiny_model_dir, tmp_path / "x", **kw)
        assert e.value.option == name
