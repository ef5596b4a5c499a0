"""Option propagation: every option of every shared group reaches every stage that uses it.

The pipeline (and the loop, which runs the pipeline's stage functions) starts
evaluate, build-prefs and sft runs; sft builds its corpus prompts through the
same code as evaluate. Each hand-over is checked with a value different from
the default for every field of the corpus, compile, test, generation, executor, model, sampling and pair
groups, so a field dropped on the way fails here.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from cfdpo.stages.configs import CompileOptions, CorpusOptions, ExecutorOptions, GenerationOptions, TestOptions
from cfdpo.stages.model_configs import ModelOptions, PairOptions, SamplingOptions

#: a valid, non-default value for every field of every group (a new field must be added here)
NON_DEFAULT: dict[str, Any] = {
    # corpus
    "data": "/elsewhere/corpus",
    "split": "train",
    "train_per_problem": 3,
    "test_per_problem": 4,
    "limit": 17,
    "skip": 2,
    "max_program_chars": 1234,
    "require_tests": True,
    "compile_check": False,
    "mask_ratio": 0.25,
    "mask_mode": "lines",
    "prompt_format": "chat",
    "holdout": "problems",
    "validation_problems": 3,
    # compile
    "std": "gnu++20",
    "compile_mode": "object",
    "warnings": "allow",
    "gxx_flags": "-Wall -O1",
    "compile_timeout_s": 12.5,
    "compile_memory_mb": 3000,
    "workers": 3,
    "no_compile_cache": True,
    "no_pch": True,
    "syntax_first": True,
    "no_fast_link": True,
    "isolation": "rlimits",
    # tests
    "run_tests": True,
    "time_limit_s": 3.5,
    "run_memory_mb": 700,
    "float_tolerance": 1e-6,
    # generation
    "backend": "vllm",
    "vllm_dtype": "float32",
    "vllm_memory": 0.4,
    "vllm_kv_cache_gb": 1.5,
    "vllm_compile": True,
    "tensor_parallel_size": 2,
    # executor
    "executor": "ray",
    "ray_address": "auto",
    "ray_generators": 2,
    # model
    "model": "/elsewhere/model",
    "adapter": "/elsewhere/adapter",
    "seed": 7,
    "device": "cpu",
    "threads": 3,
    # sampling
    "num_samples": 6,
    "temperature": 0.7,
    "top_p": 0.8,
    # pairs
    "pairs": "graded",
    "min_edit_distance": 4,
    "max_pairs_per_prompt": 5,
    "synthetic_per_prompt": 3,
}
GROUPS = (CorpusOptions, CompileOptions, TestOptions, GenerationOptions, ExecutorOptions, ModelOptions)
PAIR_GROUPS = (SamplingOptions, PairOptions)  # build-prefs, pipeline and loop
ALL_GROUPS = (*GROUPS, *PAIR_GROUPS)
#: the pipeline sets these per stage (split, limit, skip, the stage's adapter) or refuses them (adapter, device)
STAGE_SET = ("split", "limit", "skip", "adapter", "device")


def _fields(*groups: type) -> list[str]:
    return [f.name for g in groups for f in dataclasses.fields(g)]


def test_the_table_covers_every_option_and_differs_from_the_defaults() -> None:
    assert sorted(NON_DEFAULT) == sorted(_fields(*ALL_GROUPS))
    for g in ALL_GROUPS:
        for f in dataclasses.fields(g):
            default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
            assert NON_DEFAULT[f.name] != default, f.name


def _pipeline(tmp_path: Path) -> Any:
    from cfdpo.stages.pipeline import PipelineArguments

    values = {k: v for k, v in NON_DEFAULT.items() if k not in STAGE_SET}
    return PipelineArguments(out=str(tmp_path), eval_limit=11, prefs_limit=12, train_limit=13, **values)


def _capture(monkeypatch: pytest.MonkeyPatch, module: str) -> list[Any]:
    got: list[Any] = []

    def fake(*args: Any, **kwargs: Any) -> Any:
        got.append(args)
        return {}

    monkeypatch.setattr(f"cfdpo.stages.{module}.run", fake)
    return got


def test_pipeline_hands_every_option_to_evaluate_and_build_prefs(tmp_path, monkeypatch) -> None:
    from cfdpo.stages.pipeline import evaluate_stage, prefs_stage

    p = _pipeline(tmp_path)
    ev = _capture(monkeypatch, "evaluate")
    bp = _capture(monkeypatch, "build_prefs")
    evaluate_stage(p, tmp_path / "eval", adapter="A")
    prefs_stage(p, tmp_path / "prefs", adapter=None)
    (e,), (b,) = ev[0], bp[0]
    for name in _fields(*GROUPS):
        if name not in STAGE_SET:
            assert getattr(e, name) == NON_DEFAULT[name], f"evaluate lost {name}"
    for name in _fields(*ALL_GROUPS):
        if name not in STAGE_SET:
            assert getattr(b, name) == NON_DEFAULT[name], f"build-prefs lost {name}"
    assert (e.split, e.limit, e.adapter) == ("test", 11, "A")
    assert (b.split, b.limit) == ("train", 12)


def test_pipeline_sft_corpus_prompts_get_every_corpus_and_compile_option(tmp_path, monkeypatch) -> None:
    """The bug this guards against: SFT's corpus prompts ignored max_program_chars, require_tests, warnings,
    std, compile_mode and isolation, so the recipe's 1,500-character limit never reached SFT."""
    from cfdpo.stages import training_runs
    from cfdpo.stages.pipeline import sft_stage

    p = _pipeline(tmp_path)
    got = _capture(monkeypatch, "sft")
    sft_stage(p, tmp_path / "sft")
    data = got[0][0]
    seen: list[Any] = []
    monkeypatch.setattr("cfdpo.stages.prompts.prepare_prompts", lambda common, scorer, out: seen.append(common) or [])
    monkeypatch.setattr("cfdpo.stages.common.make_scorer", lambda common: None)
    training_runs.corpus_prompts(data, seed=5, out=tmp_path / "sft")
    (common,) = seen
    for name in _fields(CorpusOptions, CompileOptions):
        if name not in STAGE_SET:
            assert getattr(data, name) == NON_DEFAULT[name], f"sft lost {name}"
            assert getattr(common, name) == NON_DEFAULT[name], f"sft's corpus prompts lost {name}"
    assert (common.split, common.limit, common.seed) == ("train", 13, 5)


@pytest.mark.parametrize("command", ["evaluate", "build-prefs", "pipeline", "loop", "sft"])
def test_every_command_accepts_every_option_of_its_groups(command) -> None:
    from cfdpo.commands._parser import parse

    if command in ("evaluate", "build-prefs"):
        from cfdpo.stages.build_prefs import BuildPrefsArguments
        from cfdpo.stages.evaluate import EvaluateArguments

        classes: list[type] = [EvaluateArguments if command == "evaluate" else BuildPrefsArguments]
        groups: tuple[type, ...] = GROUPS if command == "evaluate" else ALL_GROUPS
    elif command in ("pipeline", "loop"):
        from cfdpo.stages.loop import LoopArguments
        from cfdpo.stages.pipeline import PipelineArguments

        classes = [PipelineArguments if command == "pipeline" else LoopArguments]
        groups = ALL_GROUPS
    else:
        from trl import ModelConfig, SFTConfig

        from cfdpo.stages.training_runs import TrainDataArguments

        classes = [TrainDataArguments, SFTConfig, ModelConfig]
        groups = (CorpusOptions, CompileOptions)
    argv: list[str] = ["--bf16", "false"] if command == "sft" else []
    for name in _fields(*groups):
        if command in ("pipeline", "loop") and name in STAGE_SET:
            continue
        argv += [f"--{name}", str(NON_DEFAULT[name])]
    parsed = parse(classes, argv, "t")
    for name in _fields(*groups):
        if not (command in ("pipeline", "loop") and name in STAGE_SET):
            assert getattr(parsed[0], name) == NON_DEFAULT[name], f"{command} --{name}"


def test_options_that_would_be_ignored_are_refused(capfd, tmp_path) -> None:
    from cfdpo.cli import main
    from cfdpo.errors import OptionError
    from cfdpo.stages.pipeline import PipelineArguments
    from cfdpo.stages.training_runs import TrainDataArguments

    with pytest.raises(OptionError, match="eval_limit"):
        PipelineArguments(limit=5)
    for name, value in (("adapter", "a/b"), ("device", "cpu")):  # the pipeline makes its adapters; TRL's device
        with pytest.raises(OptionError, match=f"--{name} has no effect here: the pipeline starts from the base"):
            PipelineArguments(**{name: value})
    prefs = tmp_path / "p.jsonl"
    prefs.write_text('{"prompt": "a", "chosen": "b", "rejected": "c"}\n')
    code = main(
        ["dpo", "--train_file", str(prefs), "--output_dir", str(tmp_path / "o"), "--bf16", "false", "--max_program_chars", "100"]
    )
    err = capfd.readouterr().err.strip().splitlines()
    assert code == 2 and err == [
        "cfdpo dpo: error: --max_program_chars has no effect here: cfdpo dpo reads its rows from --train_file, not from a corpus"
    ]
    TrainDataArguments(train_file=str(prefs), limit=3).refuse_corpus_options("dpo")  # limit applies to rows


def test_cfdpo_score_takes_every_compile_option_by_its_name(monkeypatch, tmp_path) -> None:
    """`cfdpo score` reads the compile group's own fields (underscores; the hyphen spelling too), no copy of them."""
    from cfdpo.commands import score

    seen: list[CompileOptions] = []

    def capture(self: CompileOptions, max_stderr_chars: int = 4000) -> Any:
        seen.append(self)
        raise SystemExit(0)

    monkeypatch.setattr(CompileOptions, "compile_scorer", capture)
    argv = []
    for name in _fields(CompileOptions):
        value = NON_DEFAULT[name]
        argv += [f"--{name}"] if value is True else [f"--{name}", str(value)]
    with pytest.raises(SystemExit):
        score.main([*argv, str(tmp_path / "a.cpp")])
    assert {n: getattr(seen[0], n) for n in _fields(CompileOptions)} == {n: NON_DEFAULT[n] for n in _fields(CompileOptions)}
    with pytest.raises(SystemExit):
        score.main(["--compile-mode", "syntax", "--no-pch", "false", str(tmp_path / "a.cpp")])
    assert seen[1].compile_mode == "syntax" and seen[1].no_pch is False


def test_cfdpo_score_refuses_a_bad_option_in_one_line(tmp_path, capsys) -> None:
    from cfdpo.commands import score

    src = tmp_path / "a.cpp"
    src.write_text("int main() {}\n")
    assert score.main(["--compile_mode", "syntax", "--warnings", "allow", str(src)]) == 0
    assert score.main(["--std", "fortran77", str(src)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--std" in err[0]


def test_one_device_check_for_every_command_that_takes_one() -> None:
    from cfdpo.errors import OptionError
    from cfdpo.stages.compiler_eval import CompilerEvalArguments
    from cfdpo.stages.evaluate import EvaluateArguments

    for make in (EvaluateArguments, lambda **kw: CompilerEvalArguments(task="emulate", data="x", **kw)):
        assert make(device="cuda:1").device == "cuda:1"  # compiler-eval refused it before
        with pytest.raises(OptionError, match=r"--device must be cpu, cuda or cuda:N, got 'gpu'"):
            make(device="gpu")


#: a non-default value for a key of every training section, and where it must arrive
SECTION_VALUES: dict[str, dict[str, Any]] = {
    "train": {"optim": "sgd", "weight_decay": 0.3, "max_length": 333, "gradient_accumulation_steps": 3, "logging_steps": 7},
    "sft": {"learning_rate": 3e-4, "max_steps": 11, "per_device_train_batch_size": 3},
    "dpo": {
        "learning_rate": 4e-6,
        "max_steps": 13,
        "per_device_train_batch_size": 5,
        "beta": 0.3,
        "truncation_mode": "keep_start",
    },
    "lora": {"lora_r": 5, "lora_alpha": 7, "lora_dropout": 0.2, "lora_target_modules": ["q_proj", "v_proj"]},
}


def test_every_training_section_key_reaches_the_trl_config_it_names(tmp_path, monkeypatch) -> None:
    """The pipeline's SFT and DPO stages get SFTConfig / DPOConfig / ModelConfig built from the nested sections:
    each key given reaches the config (train's keys both), and the pipeline's seed and out are the trainer's."""
    from cfdpo.stages.pipeline import dpo_stage, sft_stage

    p = _pipeline(tmp_path)
    p.train, p.sft, p.dpo, p.lora = (dict(SECTION_VALUES[k]) for k in ("train", "sft", "dpo", "lora"))
    p.__post_init__()
    sft_runs = _capture(monkeypatch, "sft")
    dpo_runs = _capture(monkeypatch, "dpo")
    sft_stage(p, tmp_path / "sft")
    dpo_stage(p, tmp_path / "dpo", tmp_path / "prefs.jsonl", "dpop", adapter="A")
    (_, sft_cfg, sft_model), (_, pref, dpo_cfg, dpo_model) = sft_runs[0], dpo_runs[0]
    for cfg, own in ((sft_cfg, "sft"), (dpo_cfg, "dpo")):
        for section in ("train", own):
            for key, value in SECTION_VALUES[section].items():
                got = getattr(cfg, key)
                assert (got.value if hasattr(got, "value") else got) == value, f"{own} lost {section}.{key}"
        assert cfg.seed == p.seed and cfg.output_dir == str(tmp_path / own)
    for model in (sft_model, dpo_model):
        for key, value in SECTION_VALUES["lora"].items():
            assert getattr(model, key) == value, f"lost lora.{key}"
        assert model.model_name_or_path == p.model and model.use_peft
    assert dpo_cfg.loss_type == ["dpop"] and pref.dpop_lambda == p.dpop_lambda


def test_section_flags_override_the_recipe_and_old_flat_keys_say_what_to_write(tmp_path, capfd) -> None:
    from cfdpo.commands._parser import parse
    from cfdpo.errors import UsageError
    from cfdpo.stages.loop import LoopArguments

    recipe = tmp_path / "r.yaml"
    recipe.write_text("dpo:\n  beta: 0.1\n  max_steps: 9\nlora:\n  lora_r: 8\n")
    (a,) = parse([LoopArguments], ["--config", str(recipe), "--dpo.beta", "0.25", "--train.bf16=true"], "t")
    assert a.dpo == {"beta": 0.25, "max_steps": 9} and a.lora == {"lora_r": 8} and a.train == {"bf16": True}
    flat = tmp_path / "flat.yaml"
    flat.write_text("dpo_max_steps: 9\n")
    with pytest.raises(UsageError, match=r"flat.yaml: dpo_max_steps is now dpo.max_steps"):
        parse([LoopArguments], ["--config", str(flat)], "t")
    with pytest.raises(UsageError, match=r"--lora_r is now lora.lora_r"):
        parse([LoopArguments], ["--lora_r", "4"], "t")
    with pytest.raises(UsageError, match=r"r.yaml: dpo.bta is not a DPOConfig key \(did you mean beta\?\)"):
        recipe.write_text("dpo:\n  bta: 0.1\n")
        parse([LoopArguments], ["--config", str(recipe)], "t")
    with pytest.raises(UsageError, match=r"--sft.seed is set by the pipeline: use --seed"):
        parse([LoopArguments], ["--sft.seed", "3"], "t")


def test_choice_types_equal_the_constants_of_the_modules_that_own_them_and_show_in_help(capsys) -> None:
    from typing import get_args

    from cfdpo.corpus.codenet import HOLDOUTS
    from cfdpo.corpus.masking import MASK_MODES
    from cfdpo.corpus.prompts import PROMPT_FORMATS
    from cfdpo.generation.vllm_engine import BACKENDS
    from cfdpo.scoring.compile import CompileScorer
    from cfdpo.scoring.sandbox import Sandbox
    from cfdpo.stages import configs

    owned = {
        configs.Holdout: HOLDOUTS,
        configs.MaskMode: MASK_MODES,
        configs.PromptFormat: PROMPT_FORMATS,
        configs.CompileMode: CompileScorer.MODES,
        configs.WarningPolicy: CompileScorer.WARNING_POLICIES,
        configs.Isolation: Sandbox.LEVELS,
        configs.Backend: BACKENDS,
    }
    for alias, constant in owned.items():
        assert set(get_args(alias)) == set(constant), (alias, constant)
    from cfdpo.commands._parser import parse

    with pytest.raises(SystemExit):
        parse([__import__("cfdpo.stages.loop", fromlist=["LoopArguments"]).LoopArguments], ["--help"], "t")
    shown = capsys.readouterr().out
    for listed in ("{train,test,validation}", "{local,ray}", "{paper,graded,graded+synthetic}", "{best,sample,reference}"):
        assert listed in shown, listed


def test_every_compile_and_test_option_reaches_the_grpo_reward() -> None:
    """`cfdpo grpo`'s judge is a RewardConfig (the library's own hashable config, whose booleans are positive:
    `pch`, not `no_pch`), built from the compile and test groups: each field, set alone, changes it."""
    import os

    from cfdpo.stages.grpo import GrpoDataArguments, reward_config

    base = reward_config(GrpoDataArguments())
    for name in _fields(CompileOptions, TestOptions):
        value = (os.cpu_count() or 1) + 1 if name == "workers" else NON_DEFAULT[name]
        assert reward_config(GrpoDataArguments(**{name: value})) != base, f"the reward lost {name}"
