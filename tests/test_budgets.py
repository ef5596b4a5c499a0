"""Token budgets are per prompt: a completion is cut at its own reference-sized budget, whatever batch it is in.

Before, the budget was the batch's longest reference's, so a prompt's greedy completion (and verdict) changed with
the batch size and the backend's batching (transformers 8, vLLM 64).
"""

from __future__ import annotations

import math
from pathlib import Path

from .conftest import sample_sources


def test_token_budgets_follow_each_reference(tiny_model_dir: Path) -> None:
    from transformers import AutoTokenizer

    from cfdpo.generation.decoding import DecodingConfig, token_budgets

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    refs = ["", "}", "return 0;\n}\n" * 3, "x" * 4000]
    n = [len(tok(r, add_special_tokens=False)["input_ids"]) for r in refs]
    assert n[0] == 0 and n[1] == 1 and n[3] > 600
    dec = DecodingConfig(max_new_tokens_factor=1.5, max_new_tokens_pad=4, max_new_tokens_cap=300)
    assert token_budgets(tok, refs, dec) == [4, 6, math.ceil(1.5 * n[2]) + 4, 300]
    assert token_budgets(tok, refs, dec, "chat") == [20, 22, math.ceil(1.5 * n[2]) + 20, 300]
    assert token_budgets(tok, refs, DecodingConfig(max_new_tokens=7)) == [7, 7, 7, 7]


def test_each_completion_stops_at_its_own_budget_in_any_batch(tiny_vllm_model_dir: Path) -> None:
    from cfdpo.generation.backend import generate_completions
    from cfdpo.generation.decoding import DecodingConfig, token_budgets
    from cfdpo.generation.models import load_model

    model, tok = load_model(str(tiny_vllm_model_dir), None, "cpu")
    srcs = sample_sources(3)
    prompts = [s[: len(s) // 2] for s in srcs]
    refs = ["}\n", "int x = 0;\n" * 4, "}\n" * 30]
    dec = DecodingConfig(stop_on_complete=False, max_new_tokens_pad=2)
    budgets = token_budgets(tok, refs, dec)
    assert budgets[0] < budgets[1] < budgets[2]
    batched = [o[0] for o in generate_completions(model, tok, prompts, refs, dec)]
    alone = [generate_completions(model, tok, [p], [r], dec)[0][0] for p, r in zip(prompts, refs)]
    assert batched == alone
    # each equals the prompt generated alone with its budget fixed; the batch's longest budget runs on further
    for i in (0, 1):
        fixed = generate_completions(
            model, tok, [prompts[i]], None, DecodingConfig(stop_on_complete=False, max_new_tokens=budgets[i])
        )[0][0]
        longer = generate_completions(
            model, tok, [prompts[i]], None, DecodingConfig(stop_on_complete=False, max_new_tokens=budgets[2])
        )[0][0]
        assert batched[i] == fixed
        assert longer.startswith(fixed) and len(longer) > len(fixed)
