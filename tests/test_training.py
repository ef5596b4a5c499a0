"""SFT, DPO and DPOP really train a tiny model on CPU: the adapter weights change."""

from __future__ import annotations

import importlib.util
import itertools
import json
import math
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from .conftest import SAMPLE


def _adapter(path: Path) -> dict[str, torch.Tensor]:
    return load_file(str(path / "adapter_model.safetensors"))


def _cfgs(tiny: Path, out: Path, cls, **kw):
    from trl import ModelConfig

    args = cls(
        **{
            **dict(
                output_dir=str(out),
                max_steps=3,
                per_device_train_batch_size=2,
                learning_rate=5e-3,
                logging_steps=1,
                save_strategy="no",
                report_to="none",
                seed=0,
                lr_scheduler_type="linear",
                bf16=False,
                gradient_checkpointing=False,
            ),
            **kw,
        }
    )
    model = ModelConfig(model_name_or_path=str(tiny), use_peft=True, lora_r=4, lora_alpha=4, lora_dropout=0.0)
    return args, model


@pytest.fixture(scope="module")
def sft_adapter(tiny_model_dir, tmp_path_factory) -> Path:
    from trl import SFTConfig

    from cfdpo.stages.sft import run
    from cfdpo.stages.training_runs import TrainDataArguments

    out = tmp_path_factory.mktemp("sft")
    args, model = _cfgs(tiny_model_dir, out, SFTConfig, max_length=512)
    data = TrainDataArguments(data=str(SAMPLE), limit=8, compile_check=False)
    run(data, args, model)
    return out


def test_sft_trains_lora_weights(sft_adapter):
    w = _adapter(sft_adapter)
    lora_b = [v for k, v in w.items() if "lora_B" in k]
    assert lora_b and any(v.abs().sum() > 0 for v in lora_b)  # B starts at zero: non-zero means it trained
    cfg = json.loads((sft_adapter / "run_config.json").read_text())["config"]
    assert cfg["SFTConfig"]["bf16"] is False and cfg["SFTConfig"]["gradient_checkpointing"] is False
    assert cfg["TrainDataArguments"]["mask_ratio"] == 0.1
    assert (sft_adapter / "prompts.jsonl").is_file()


def _prefs_file(tmp_path: Path) -> Path:
    rows = []
    for i, (p, c) in enumerate(
        [
            ("int main() {\n  int x = 1;\n  return", " x;\n}"),
            ("#include <cstdio>\nint main() {\n  puts(", '"hi");\n}'),
            ("int f(int a) { return a * 2; }\nint main() {", " return f(3); }"),
            ("int main() {\n  long long s = 0;\n  for (int i = 0; i < 3; ++i)", " s += i;\n}"),
        ]
    ):
        rows.append({"id": str(i), "prompt": p, "chosen": c, "rejected": c.replace(";", "") + " oops("})
    f = tmp_path / "preferences.jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return f


@pytest.mark.parametrize("loss", ["sigmoid", "dpop"])
def test_dpo_and_dpop_train_from_the_sft_adapter(tiny_model_dir, sft_adapter, tmp_path, loss):
    from trl import DPOConfig

    from cfdpo.stages.dpo import PreferenceArguments, run
    from cfdpo.stages.training_runs import TrainDataArguments

    out = tmp_path / loss
    args, model = _cfgs(tiny_model_dir, out, DPOConfig, beta=0.1, max_length=256, loss_type=[loss])
    data = TrainDataArguments(train_file=str(_prefs_file(tmp_path)), adapter=str(sft_adapter))
    run(data, PreferenceArguments(dpop_lambda=50.0), args, model)
    before, after = _adapter(sft_adapter), _adapter(out)
    assert before.keys() == after.keys()
    assert any(not torch.equal(before[k], after[k]) for k in before)
    cfg = json.loads((out / "run_config.json").read_text())["config"]
    assert cfg["DPOConfig"]["loss_type"] == [loss] and cfg["TrainDataArguments"]["adapter"] == str(sft_adapter)


def test_a_few_dpo_steps_on_two_pairs_raise_the_logged_reward_margin(tiny_model_dir, tmp_path):
    """DPO's implicit reward margin, beta * (log-ratio of chosen - log-ratio of rejected) (Rafailov et al. 2023,
    eq. 7), is 0 at step 1 (policy == reference) and grows as the policy learns the two pairs."""
    from trl import DPOConfig

    from cfdpo.stages.training_runs import load_jsonl_dataset
    from cfdpo.training.models import load_for_training
    from cfdpo.training.trainer import PreferenceTrainer

    rows = [json.loads(line) for line in _prefs_file(tmp_path).read_text().splitlines()[:2]]
    two = tmp_path / "two.jsonl"
    two.write_text("".join(json.dumps(r) + "\n" for r in rows))
    args, model_args = _cfgs(tiny_model_dir, tmp_path / "o", DPOConfig, beta=0.1, max_length=256, max_steps=8)
    model, tok, peft_cfg = load_for_training(model_args)
    ds = load_jsonl_dataset(str(two), "preferences", "x").select_columns(["prompt", "chosen", "rejected"])
    assert len(ds) == 2
    tr = PreferenceTrainer(
        model=model, args=args, train_dataset=ds, processing_class=tok, peft_config=peft_cfg, preference_loss="sigmoid"
    )
    tr.train()
    margins = [h["rewards/margins"] for h in tr.state.log_history if "rewards/margins" in h]
    assert len(margins) == 8
    assert margins[0] == pytest.approx(0.0, abs=1e-6)  # step 1: the policy is the reference
    # the margin grows at every step on the pairs it trains on (measured: 0, 0.039, 0.085, ... 0.26), and the
    # loss falls below log 2
    assert all(b > a for a, b in itertools.pairwise(margins)) and margins[-1] > 0.1
    losses = [h["loss"] for h in tr.state.log_history if "loss" in h]
    assert losses[0] == pytest.approx(math.log(2), abs=1e-3) and losses[-1] < losses[0] - 0.05


def test_dpop_logs_its_penalty_from_the_base_model(tiny_model_dir, tmp_path):
    from trl import DPOConfig

    from cfdpo.stages.training_runs import load_jsonl_dataset
    from cfdpo.training.models import load_for_training
    from cfdpo.training.trainer import PreferenceTrainer

    args, model_args = _cfgs(tiny_model_dir, tmp_path / "o", DPOConfig, beta=0.1, max_length=256)
    model, tok, peft_cfg = load_for_training(model_args)
    ds = load_jsonl_dataset(str(_prefs_file(tmp_path)), "preferences", "x").select_columns(["prompt", "chosen", "rejected"])
    tr = PreferenceTrainer(
        model=model,
        args=args,
        train_dataset=ds,
        processing_class=tok,
        peft_config=peft_cfg,
        preference_loss="dpop",
        loss_kwargs={"lam": 50.0},
    )
    tr.train()
    logged = [h for h in tr.state.log_history if "loss" in h]
    assert logged and all("dpop/penalty" in h and "rewards/margins" in h for h in logged)
    assert logged[0]["dpop/penalty"] == 0.0  # step 1: policy == reference
    with pytest.raises(ValueError, match="takes"):
        PreferenceTrainer(
            model=model,
            args=args,
            train_dataset=ds,
            processing_class=tok,
            preference_loss="dpop",
            loss_kwargs={"label_smoothing": 0.1},
        )


@pytest.mark.skipif(importlib.util.find_spec("bitsandbytes") is None, reason="bitsandbytes not installed")
def test_qlora_4bit_trains_on_the_cpu(tiny_model_dir, tmp_path):
    """--load_in_4bit: NF4 base weights through bitsandbytes (QLoRA), LoRA adapters that train, on a CPU."""
    from trl import SFTConfig

    from cfdpo.stages.sft import run
    from cfdpo.stages.training_runs import TrainDataArguments

    args, model = _cfgs(tiny_model_dir, tmp_path / "q", SFTConfig, max_length=256)
    model.load_in_4bit = True
    run(TrainDataArguments(data=str(SAMPLE), limit=8, compile_check=False), args, model)
    w = _adapter(tmp_path / "q")
    assert any(v.abs().sum() > 0 for k, v in w.items() if "lora_B" in k)
    logged = json.loads((tmp_path / "q" / "run_config.json").read_text())["config"]["ModelConfig"]
    assert logged["load_in_4bit"] is True
    import bitsandbytes as bnb

    from cfdpo.training.models import load_for_training

    loaded, _, _ = load_for_training(model, None, 256, use_unsloth=False)
    assert any(isinstance(m, bnb.nn.Linear4bit) for m in loaded.modules())  # the base really is 4-bit


def test_load_in_4bit_without_bitsandbytes_is_refused(monkeypatch):
    from cfdpo.errors import InputError
    from cfdpo.training import models

    real = importlib.util.find_spec
    monkeypatch.setattr(models.importlib.util, "find_spec", lambda n, *a: None if n == "bitsandbytes" else real(n, *a))
    with pytest.raises(InputError, match="--load_in_4bit needs bitsandbytes"):
        models.backend_name(use_unsloth=False, load_in_4bit=True)
    assert models.backend_name(use_unsloth=False, load_in_4bit=False) == "plain"


def test_unsloth_path_honours_the_lora_settings() -> None:
    """unsloth is GPU-only; its LoRA arguments are built here, from the same ModelConfig as peft's."""
    from trl import ModelConfig

    from cfdpo.training.models import UNSLOTH_DEFAULT_TARGETS, lora_config, unsloth_peft_kwargs

    m = ModelConfig(
        model_name_or_path="x",
        use_peft=True,
        lora_r=8,
        lora_alpha=32,
        lora_dropout=0.1,
        lora_target_modules=["q_proj", "v_proj"],
        use_rslora=True,
    )
    kw = unsloth_peft_kwargs(m)
    assert kw["target_modules"] == ["q_proj", "v_proj"] == sorted(lora_config(m).target_modules)
    assert (kw["r"], kw["lora_alpha"], kw["lora_dropout"], kw["use_rslora"]) == (8, 32, 0.1, True)
    m.lora_target_modules = None
    assert unsloth_peft_kwargs(m)["target_modules"] == list(UNSLOTH_DEFAULT_TARGETS)


@pytest.mark.parametrize(
    "options, message",
    [
        (["--use_liger_kernel", "true"], "--use_liger_kernel is not used by cfdpo dpo"),
        (["--ld_alpha", "0.5"], "--ld_alpha is not used by cfdpo dpo"),
        (["--loss_type", "ipo"], "--loss_type must be sigmoid (DPO) or dpop (DPO-Positive)"),
        (["--loss_type", "dpop", "--label_smoothing", "0.2"], "--label_smoothing applies to loss_type sigmoid only"),
        (["--loss", "dpop"], "--loss is now --loss_type (TRL's DPOConfig name)"),
        (["--label_smoothing_eps", "0.1"], "--label_smoothing_eps is now --label_smoothing"),
    ],
)
def test_dpo_refuses_trl_loss_options_it_would_ignore(capfd, tmp_path, options, message) -> None:
    """The loss is TRL's own key (``loss_type``: sigmoid or dpop, cfdpo's losses); TRL's other losses and options
    only they read are refused, and the old cfdpo spellings say what to write."""
    from cfdpo.cli import main

    code = main(
        ["dpo", "--train_file", str(_prefs_file(tmp_path)), "--output_dir", str(tmp_path / "o"), "--bf16", "false", *options]
    )
    err = capfd.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith(f"cfdpo dpo: error: {message}"), err
    assert not (tmp_path / "o").exists()


def test_dpo_takes_trls_label_smoothing_for_the_sigmoid_loss() -> None:
    from trl import DPOConfig

    from cfdpo.stages.dpo import PreferenceArguments, loss_kwargs

    cfg = DPOConfig(output_dir="/tmp/unused", use_cpu=True, bf16=False, label_smoothing=0.2)
    assert loss_kwargs(PreferenceArguments(), cfg) == {"label_smoothing": 0.2}
    cfg = DPOConfig(output_dir="/tmp/unused", use_cpu=True, bf16=False, loss_type="dpop")
    assert loss_kwargs(PreferenceArguments(dpop_lambda=7.0), cfg) == {"lam": 7.0}


def test_bf16_on_the_cpu_only_when_asked_with_use_cpu(tiny_model_dir, tmp_path):
    """``--bf16 true --use_cpu true`` trains in bf16 autocast on a CPU (its first loss is close to fp32's but not
    equal); TRL's default bf16 without ``use_cpu`` is turned off, and ``mixed_precision`` follows."""
    from trl import SFTConfig

    from cfdpo.stages.sft import run
    from cfdpo.stages.training_runs import TrainDataArguments
    from cfdpo.training.models import cpu_safe_args

    first = {}
    for name, bf16 in (("fp32", False), ("bf16", True)):
        args, model = _cfgs(tiny_model_dir, tmp_path / name, SFTConfig, max_length=256, max_steps=1, bf16=bf16, use_cpu=bf16)
        run(TrainDataArguments(data=str(SAMPLE), limit=4, compile_check=False), args, model)
        cfg = json.loads((tmp_path / name / "run_config.json").read_text())["config"]["SFTConfig"]
        assert cfg["bf16"] is bf16 and cfg["use_cpu"] is bf16
        state = json.loads((tmp_path / name / "trainer_state.json").read_text())
        first[name] = next(h["loss"] for h in state["log_history"] if "loss" in h)
    assert first["bf16"] != first["fp32"] and abs(first["bf16"] - first["fp32"]) < 1e-2 * first["fp32"]
    if not torch.cuda.is_available():
        args = SFTConfig(output_dir=str(tmp_path / "x"), bf16=False, report_to="none")
        args.bf16, args.mixed_precision = True, "bf16"  # TRL's default, as a library caller may leave it
        cpu_safe_args(args)
        assert args.bf16 is False and args.mixed_precision == "no"
