"""Cheaper DPO steps: one prompt window per pair, the prompt read once, logits only where they are scored.

The log-probabilities and their gradients must be those of the plain forward pass."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from cfdpo.training.collate import SharedPromptCollator, fit_pair


def test_fit_pair_cuts_the_prompt_start_once_for_both_completions() -> None:
    prompt, chosen, rejected = list(range(10)), [100, 101, 102], [200, 201, 202, 203, 204]
    # 12 tokens: the longer completion (5) leaves 7 prompt tokens, the last 7, for both rows
    assert fit_pair(prompt, chosen, rejected, 12) == ([3, 4, 5, 6, 7, 8, 9], chosen, rejected)
    # everything fits: nothing is cut
    assert fit_pair(prompt, chosen, rejected, 15) == (prompt, chosen, rejected)
    # a completion that loops to the token cap: it keeps max_length - max_length // 4 = 9 tokens (its start),
    # the prompt keeps its last 3
    looping = list(range(300, 320))
    assert fit_pair(prompt, chosen, looping, 12) == ([7, 8, 9], chosen, looping[:9])
    # a short prompt is kept whole even then
    assert fit_pair([1, 2], chosen, looping, 12) == ([1, 2], chosen, looping[:10])


def _batch(tok_pad: int) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    examples = []
    for n_prompt, n_c, n_r in [(40, 6, 11), (25, 9, 3), (33, 30, 7)]:
        examples.append(
            {
                "prompt_ids": torch.randint(3, 400, (n_prompt,), generator=g).tolist(),
                "chosen_ids": torch.randint(3, 400, (n_c,), generator=g).tolist(),
                "rejected_ids": torch.randint(3, 400, (n_r,), generator=g).tolist(),
            }
        )
    return SharedPromptCollator(pad_token_id=tok_pad, max_length=48)(examples)


def test_shared_prompt_logps_and_gradients_equal_the_plain_forward_pass(tiny_model_dir: Path) -> None:
    from cfdpo.training.trainer import PreferenceTrainer, shared_prefix_length

    from .conftest import random_lora

    model: Any = random_lora(tiny_model_dir, seed=0, scale=0.1)
    model.train()
    batch = _batch(0)
    assert batch["input_ids"].shape[1] <= 48
    p = shared_prefix_length(batch["input_ids"], batch["completion_mask"])
    assert p == int((batch["completion_mask"] == 1).float().argmax(dim=1).min())  # the shortest prompt window
    assert p > 10

    class _Args:
        gradient_checkpointing = False

    def logps(share: bool) -> tuple[torch.Tensor, list[torch.Tensor]]:
        model.zero_grad()
        fake = type("T", (), {"share_prompt": share, "args": _Args()})()
        out = PreferenceTrainer._sequence_logps(fake, model, batch)  # type: ignore[arg-type]
        (out * torch.tensor([1.0, -0.5, 2.0, 0.3, 1.5, -1.0])).sum().backward()
        return out.detach(), [q.grad.clone() for n, q in model.named_parameters() if q.requires_grad]

    plain, g_plain = logps(False)
    shared, g_shared = logps(True)
    assert shared.shape == (6,)
    torch.testing.assert_close(shared, plain, rtol=1e-5, atol=1e-5)
    for a, b in zip(g_shared, g_plain):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)
    # a batch whose pairs do not share their start (TRL's own keep_end) takes the plain path
    shifted = dict(batch)
    shifted["input_ids"] = batch["input_ids"].clone()
    shifted["input_ids"][3, 0] += 1
    assert shared_prefix_length(shifted["input_ids"], shifted["completion_mask"]) == 0


@pytest.mark.slow
def test_dpo_with_keep_end_trains_through_the_shared_prompt_path(
    tiny_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from safetensors.torch import load_file
    from trl import DPOConfig, ModelConfig

    from cfdpo.stages.dpo import PreferenceArguments, run
    from cfdpo.stages.training_runs import TrainDataArguments
    from cfdpo.training import trainer as trainer_mod

    from .conftest import sample_sources

    rows = []
    for i, src in enumerate(sample_sources(8)):
        cut = int(len(src) * 0.9)
        rows.append({"id": str(i), "prompt": src[:cut], "chosen": src[cut:], "rejected": src[cut:] + " oops(" * 30})
    f = tmp_path / "preferences.jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in rows))
    calls: list[int] = []
    real = trainer_mod.shared_prefix_logits
    monkeypatch.setattr(trainer_mod, "shared_prefix_logits", lambda *a: calls.append(a[3]) or real(*a))
    args = DPOConfig(
        output_dir=str(tmp_path / "o"),
        max_steps=2,
        per_device_train_batch_size=2,
        learning_rate=5e-3,
        logging_steps=1,
        save_strategy="no",
        report_to="none",
        seed=0,
        bf16=False,
        gradient_checkpointing=False,
        max_length=128,
        truncation_mode="keep_end",
        beta=0.1,
    )
    model = ModelConfig(model_name_or_path=str(tiny_model_dir), use_peft=True, lora_r=4, lora_alpha=4, lora_dropout=0.0)
    run(TrainDataArguments(train_file=str(f)), PreferenceArguments(), args, model)
    # each of the 2 steps read the prompt once per pair, in the policy pass and in the reference pass
    assert len(calls) == 4 and all(c > 16 for c in calls)
    w = load_file(str(tmp_path / "o" / "adapter_model.safetensors"))
    assert any(v.abs().sum() > 0 for k, v in w.items() if "lora_B" in k)
