"""Prompts that fit the model: a very long program is truncated from its start (or skipped), and it never
costs the other prompts of its batch their rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cfdpo.jsonl import read_jsonl
from cfdpo.stages.evaluate import EvaluateArguments
from cfdpo.stages.evaluate import run as evaluate

SHORT = '#include <cstdio>\nint main() {\n  int a = {k};\n  printf("%d\\n", a + 1);\n  return 0;\n}\n'


def _long_program(lines: int) -> str:
    body = "".join(f"int v{i} = {i} * 3 + 1;\n" for i in range(lines))
    return "#include <cstdio>\n" + body + 'int main() {\n  printf("%d\\n", v0 + v1);\n  return 0;\n}\n'


def _corpus(root: Path, long_lines: int) -> Path:
    """Three problems of two programs each; problem p1's test program is ~``long_lines`` lines long."""
    for p in range(3):
        d = root / "data" / f"p{p}" / "C++"
        d.mkdir(parents=True)
        srcs = {"s1": SHORT.replace("{k}", str(p)), "s2": SHORT.replace("{k}", str(p + 10))}
        if p == 1:
            srcs = {"s1": _long_program(long_lines), "s2": _long_program(long_lines // 2)}
        for sid, src in srcs.items():
            (d / f"{sid}.cpp").write_text(src)
        (root / "metadata").mkdir(exist_ok=True)
        (root / "metadata" / f"p{p}.csv").write_text(
            "submission_id,problem_id,language,status\n" + "".join(f"{s},p{p},C++,Accepted\n" for s in srcs)
        )
    return root


def test_prompt_fitter_cuts_at_a_line_start_and_fits(tiny_model_dir) -> None:
    from transformers import AutoTokenizer

    from cfdpo.generation.decoding import DecodingConfig
    from cfdpo.generation.fit import PromptFitter

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)

    class _Model:
        class config:
            max_position_embeddings = 4096

    prompt = _long_program(3000)[:-40]
    for fmt, limit in (("raw", 200), ("chat", 600)):  # chat: system prompt and one-shot example take ~280
        fitter = PromptFitter(_Model(), tok, fmt, DecodingConfig(max_new_tokens=16), max_prompt_tokens=limit)
        assert fitter.limit == limit
        text, dropped = fitter.fit(prompt)
        assert text is not None and prompt.endswith(text) and dropped == len(prompt) - len(text) > 0
        assert prompt[dropped - 1] == "\n"  # starts at a line start
        assert fitter.tokens(text) <= limit
        assert fitter.tokens(text) > limit - fitter.overhead - 40  # and keeps nearly all that fits
        tiny = PromptFitter(_Model(), tok, fmt, DecodingConfig(max_new_tokens=16), max_prompt_tokens=fitter.overhead)
        assert tiny.fit(prompt) == (None, 0)  # not even the template fits: skipped, never an error
        assert fitter.check(prompt) == (None, 0)
        short = "int main() {\n"
        assert fitter.fit(short) == (short, 0)
    # the default limit is the context minus the generation budget
    fitter = PromptFitter(_Model(), tok, "raw", DecodingConfig(max_new_tokens=96))
    assert fitter.limit == 4096 - 96


@pytest.mark.parametrize("policy", ["truncate", "skip"])
def test_a_long_program_is_truncated_or_skipped_and_its_batch_keeps_its_rows(tiny_model_dir, tmp_path, policy) -> None:
    corpus = _corpus(tmp_path / "corpus", long_lines=4000)  # ~100 kB: ~40k tokens of the tiny tokenizer
    args = EvaluateArguments(
        model=str(tiny_model_dir),
        out=str(tmp_path / "ev"),
        data=str(corpus),
        train_per_problem=1,
        test_per_problem=1,
        compile_check=False,
        compile_mode="syntax",
        threads=1,
        batch_size=4,
        max_new_tokens=8,
        max_prompt_tokens=256,
        long_prompts=policy,
    )
    res = evaluate(args)
    rows = read_jsonl(tmp_path / "ev" / "samples.jsonl")
    by = {r["prompt_id"]: r for r in rows}
    assert "p0/s2" in by and "p2/s2" in by or "p0/s1" in by  # the short prompts of the batch got rows
    long_id = next(p["id"] for p in read_jsonl(tmp_path / "ev" / "prompts.jsonl") if p["problem_id"] == "p1")
    if policy == "truncate":
        assert res["n"] == 3 and by[long_id]["prompt_truncated_chars"] > 50_000
        assert by[long_id]["prompt"].startswith("#include")  # g++ still judges the full program
        assert res["prompt_fit"]["truncated"] == 1 and res["prompt_fit"]["skipped"] == {}
    else:
        assert res["n"] == 2 and long_id not in by
        skipped = [r for r in read_jsonl(tmp_path / "ev" / "skipped.jsonl") if r["stage"] == "generate"]
        assert [(r["id"], r["reason"]) for r in skipped] == [(long_id, "prompt_too_long")]
        assert res["prompt_fit"]["skipped"] == {"prompt_too_long": 1}
        again = evaluate(args)  # resumed: the skipped prompt is not retried, nothing is duplicated
        assert again["n"] == 2 and len(read_jsonl(tmp_path / "ev" / "samples.jsonl")) == 2
    assert json.loads((tmp_path / "ev" / "results.json").read_text())["prompt_fit"]["long_prompts"] == policy


def test_a_batch_whose_generation_fails_is_retried_one_prompt_at_a_time(monkeypatch) -> None:
    from cfdpo.generation import backend
    from cfdpo.stages import batch as one_batch

    calls: list[int] = []

    def fake(model, tok, prompts, refs, decoding, fmt, seed_key="", model_prompts=None, feedbacks=None):
        calls.append(len(prompts))
        if any("BOOM" in p for p in prompts):
            raise RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 592 GB")
        return [["}"] for _ in prompts]

    monkeypatch.setattr(backend, "generate_completions", fake)
    batch = [{"id": f"p/{i}", "prompt": "BOOM" if i == 1 else "int main() {", "reference_completion": "}"} for i in range(3)]
    outs, failed = one_batch._generate_isolated(None, None, batch, [b["prompt"] for b in batch], None, "raw")
    assert calls == [3, 1, 1, 1]
    assert outs == [["}"], None, ["}"]]
    assert [(p["id"], "592 GB" in err) for p, err in failed] == [("p/1", True)]
