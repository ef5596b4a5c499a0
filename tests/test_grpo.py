"""``cfdpo grpo``: TRL's GRPOTrainer with cfdpo's compiler reward really trains a tiny model on the CPU.

The task the tiny model can learn: each prompt is a whole program that ends inside a ``//`` comment, so a
completion compiles while it stays on that line (and earns the graded reward's 1.0) and fails as soon as it
breaks the line and writes code (a g++ error, 0.05–0.25). The test model is the shared tiny Llama with its
(tied) embeddings scaled by 3: with the default init its logits are nearly uniform whatever the adapter does
(the final RMSNorm fixes the hidden state's size and LoRA does not touch the embeddings).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from cfdpo.cli import main

BODIES = [
    '  int a = 1;\n  printf("%d\\n", a);\n  return 0;\n',
    '  puts("hi");\n  return 0;\n',
    '  long s = 0;\n  for (int i = 0; i < 3; ++i) s += i;\n  printf("%ld\\n", s);\n',
    "  return 0;\n",
]
MAX_NEW = 40


@pytest.fixture(scope="module")
def peaked_tiny(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out = tmp_path_factory.mktemp("peaked-tiny")
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    with torch.no_grad():
        model.model.embed_tokens.weight.mul_(3.0)
    model.save_pretrained(out)
    AutoTokenizer.from_pretrained(tiny_model_dir).save_pretrained(out)
    return out


def _prompts(tmp_path: Path) -> Path:
    rows = [
        {
            "id": f"c/{i}",
            "problem_id": "c",
            "prompt": "#include <cstdio>\nint main() {\n" + b + "}\n// note:",
            "reference_completion": " done",
        }
        for i, b in enumerate(BODIES)
    ]
    f = tmp_path / "prompts.jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return f


def _argv(model: Path, prompts: Path, out: Path, steps: int, *extra: str) -> list[str]:
    return [
        "grpo",
        "--model_name_or_path",
        str(model),
        "--train_file",
        str(prompts),
        "--output_dir",
        str(out),
        "--max_steps",
        str(steps),
        "--per_device_train_batch_size",
        "8",
        "--num_generations",
        "8",
        "--max_completion_length",
        str(MAX_NEW),
        "--learning_rate",
        "0.02",
        "--lr_scheduler_type",
        "constant",
        "--logging_steps",
        "1",
        "--report_to",
        "none",
        "--seed",
        "0",
        "--beta",
        "0.0",
        "--bf16",
        "false",
        "--gradient_checkpointing",
        "false",
        "--use_peft",
        "true",
        "--lora_r",
        "8",
        "--lora_alpha",
        "16",
        "--lora_dropout",
        "0.0",
        "--isolation",
        "rlimits",
        *extra,
    ]


def _mean_reward(model_dir: Path, adapter: Path | None, prompts: Path) -> float:
    """Mean graded reward of 16 sampled completions of each prompt (a fixed seed)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from cfdpo.rewards import RewardConfig

    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    if adapter is not None:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, str(adapter))
    torch.manual_seed(1)
    ps, cs = [], []
    for line in prompts.read_text().splitlines():
        p = json.loads(line)["prompt"]
        ids = tok(p, return_tensors="pt").input_ids
        out = model.generate(ids, do_sample=True, max_new_tokens=MAX_NEW, num_return_sequences=16, pad_token_id=tok.pad_token_id)
        cs += [tok.decode(o[ids.shape[1] :], skip_special_tokens=True) for o in out]
        ps += [p] * 16
    rewards = RewardConfig(isolation="rlimits").graded()(ps, cs)
    return sum(r for r in rewards if r is not None) / len(rewards)


@pytest.mark.slow
def test_grpo_with_the_graded_reward_raises_the_reward_of_a_fixed_prompt_set(peaked_tiny, tmp_path) -> None:
    prompts = _prompts(tmp_path)
    out = tmp_path / "grpo"
    assert main(_argv(peaked_tiny, prompts, out, 32, "--save_strategy", "no")) == 0
    lora_b = [v for k, v in load_file(str(out / "adapter_model.safetensors")).items() if "lora_B" in k]
    assert lora_b and all(v.abs().sum() > 0 for v in lora_b)  # B starts at zero: every one trained
    before, after = _mean_reward(peaked_tiny, None, prompts), _mean_reward(peaked_tiny, out, prompts)
    assert after >= before + 0.1, (before, after)
    history = json.loads((out / "trainer_state.json").read_text())["log_history"]
    steps = [h for h in history if "rewards/graded_reward/mean" in h]
    assert len(steps) == 32 and all("cfdpo/compile_rate" in h for h in steps)
    config = json.loads((out / "run_config.json").read_text())["config"]
    assert config["GrpoDataArguments"]["reward"] == "graded"
    assert config["GRPOConfig"]["num_generations"] == 8


@pytest.mark.slow
def test_grpo_resumes_from_its_last_checkpoint(peaked_tiny, tmp_path) -> None:
    prompts = _prompts(tmp_path)
    out = tmp_path / "grpo"
    assert main(_argv(peaked_tiny, prompts, out, 2, "--save_strategy", "steps", "--save_steps", "2")) == 0
    assert (out / "checkpoint-2").is_dir()
    # the same run asked for more steps: it continues from step 2 (a crashed run is rerun the same way)
    assert main(_argv(peaked_tiny, prompts, out, 4, "--save_strategy", "steps", "--save_steps", "2")) == 0
    history = json.loads((out / "trainer_state.json").read_text())["log_history"]
    assert [h["step"] for h in history if "reward" in h] == [1, 2, 3, 4]
    assert (out / "checkpoint-4").is_dir()


@pytest.mark.parametrize(
    ("extra", "want"),
    [
        (["--reward", "bleu"], "--reward must be one of graded, compile, test"),
        (["--reward", "graded,graded"], "without repeats"),
        (["--reward", "test"], "--reward test needs --run_tests true"),
        (["--use_vllm", "true"], "--use_vllm TRL's vLLM generation for GRPO needs CUDA"),
        (["--mask_ratio", "0.2"], "--mask_ratio has no effect here"),
    ],
)
def test_grpo_refuses_options_that_would_not_take_effect(capfd, tiny_model_dir, tmp_path, extra, want) -> None:
    if "--use_vllm" in extra and torch.cuda.is_available():
        pytest.skip("CUDA is present: TRL's vLLM modes may run")
    code = main(_argv(tiny_model_dir, _prompts(tmp_path), tmp_path / "o", 1, *extra))
    err = capfd.readouterr().err
    assert code == 2 or code == 1, err
    assert want in err and "Traceback" not in err
    assert not (tmp_path / "o" / "adapter_model.safetensors").exists()


def test_rollout_samples_stop_where_the_program_is_complete(tiny_model_dir) -> None:
    """The sampler scores what the reward judges: the ids end at the ``}`` that closes the program (a forced
    token sequence stands in for a model that has learnt to close it), or at end-of-sequence, or at the cap."""
    from transformers import AutoModelForCausalLM, AutoTokenizer, LogitsProcessor, LogitsProcessorList

    from cfdpo.generation.transformers_backend import sample_program_ids

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    script = {
        "closes": tok.encode(" x;\n}\nint y;", add_special_tokens=False),
        "ends": tok.encode(" x;", add_special_tokens=False) + [tok.eos_token_id],
    }

    class Force(LogitsProcessor):
        def __init__(self, ids: list[int], start: int) -> None:
            self.ids, self.start = ids, start

        def __call__(self, input_ids, scores):
            k = input_ids.shape[1] - self.start
            forced = torch.full_like(scores, -1e9)
            forced[:, self.ids[k] if k < len(self.ids) else tok.encode(" z", add_special_tokens=False)[0]] = 0.0
            return forced

    prompt = "int main() {\n  int x = 1;\n  return"
    start = len(tok.encode(prompt, add_special_tokens=False))
    for name, ids in script.items():
        got_prompt, got = sample_program_ids(
            model, tok, [prompt], 20, {"logits_processor": LogitsProcessorList([Force(ids, start)])}
        )
        assert got_prompt == [tok.encode(prompt, add_special_tokens=False)]
        text = tok.decode(got[0], skip_special_tokens=True)
        if name == "closes":
            assert text == " x;\n}", text  # stopped at the closing brace, not at the cap
        else:
            assert got[0] == ids  # stopped at end-of-sequence, which is kept
    _, capped = sample_program_ids(
        model,
        tok,
        [prompt],
        5,
        {"logits_processor": LogitsProcessorList([Force(tok.encode(" a b c d e f g", add_special_tokens=False), start)])},
    )
    assert len(capped[0]) == 5
