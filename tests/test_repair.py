"""Compiler feedback in the loop: repair prompts from real g++ diagnostics, repair@k, repair data, KTO."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cfdpo.corpus.prompts import render_prompt
from cfdpo.corpus.repair import feedback_for, feedback_lines, raw_feedback_block
from cfdpo.evaluation.repair import attempt_succeeded, repair_summary
from cfdpo.jsonl import read_jsonl
from cfdpo.scoring import CompileScorer

from .conftest import CHAT_TEMPLATE, SAMPLE

PROMPT = "#include <cstdio>\nint main() {\n    int n = 3;\n"
BAD = '    printf("%d\\n", n)\n    return 0;\n}\nint g() { return m; }\n'


@pytest.fixture(scope="module")
def scored_bad() -> dict:
    r = CompileScorer(cache_dir=None).score(PROMPT + BAD)
    assert r.verdict.value == "error"
    return {
        "id": "p#0",
        "prompt_id": "p",
        "prompt": PROMPT,
        "completion": BAD,
        "verdict": r.verdict.value,
        "good": r.good,
        "diagnostics": [d.to_dict() for d in r.diagnostics],
    }


def test_feedback_quotes_the_first_errors_with_their_source_lines(scored_bad) -> None:
    lines = feedback_lines(PROMPT + BAD, scored_bad["diagnostics"])
    # golden (g++ 12): the missing ';' at the end of line 4, the undeclared name on line 7
    assert lines == [
        "4:22: error: expected ';' before 'return'",
        '  4 |     printf("%d\\n", n)',
        "7:18: error: 'm' was not declared in this scope",
        "  7 | int g() { return m; }",
    ]
    assert len(feedback_lines(PROMPT + BAD, scored_bad["diagnostics"], max_errors=1)) == 2
    text = feedback_for(scored_bad)
    assert text.split("\n")[0] == "The previous completion did not compile (g++):"
    assert "{" not in text.split("\n")[0] and '"kind"' not in text  # compact text, not the raw JSON


def test_feedback_for_warnings_and_failed_tests() -> None:
    r = CompileScorer(cache_dir=None, warnings="error", extra_flags=("-Wall",)).score(
        "int main() {\n  int unused = 1;\n  return 0;\n}\n"
    )
    assert r.verdict.value == "warning" and not r.good
    row = {
        "prompt": "int main() {\n",
        "completion": "  int unused = 1;\n  return 0;\n}\n",
        "verdict": "warning",
        "good": False,
        "diagnostics": [d.to_dict() for d in r.diagnostics],
    }
    text = feedback_for(row)
    assert "warnings, which count as failures" in text and "2:7: warning: unused variable 'unused'" in text
    tested = {
        **row,
        "verdict": "ok",
        "good": True,
        "diagnostics": [],
        "exec_verdict": "wrong_answer",
        "tests_passed": 1,
        "tests_total": 3,
        "passed": False,
    }
    assert feedback_for(tested) == (
        "The previous completion compiled but failed the sample tests: wrong_answer (1/3 tests passed)."
    )
    assert not attempt_succeeded(tested, run_tests=True) and attempt_succeeded(tested, run_tests=False)


def test_repair_prompts_in_both_formats(scored_bad, tiny_model_dir) -> None:
    from transformers import AutoTokenizer

    fb = feedback_for(scored_bad)
    raw = render_prompt(PROMPT, "raw", None, fb)
    assert raw == raw_feedback_block(fb) + PROMPT
    assert all(ln.startswith("//") for ln in raw_feedback_block(fb).splitlines())
    assert raw_feedback_block(fb).splitlines()[-1] == "// Complete the program again, correctly:"
    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    assert tok.chat_template == CHAT_TEMPLATE
    chat = render_prompt(PROMPT, "chat", tok, fb)
    user = chat.split("<|im_start|>user\n")[-1]
    assert user.startswith(fb) and f"```cpp\n{PROMPT}\n```" in user and chat.endswith("<|im_start|>assistant\n")
    assert render_prompt(PROMPT, "chat", tok) != chat and render_prompt(PROMPT, "raw") == PROMPT


def test_repair_summary_is_cumulative_and_counts_fixed_kinds() -> None:
    prompts = [{"id": i} for i in "abcd"]

    def row(pid: str, good: bool) -> dict:
        diags = (
            []
            if good
            else [
                {
                    "kind": "error",
                    "message": "'x' was not declared in this scope",
                    "line": 1,
                    "column": 1,
                    "option": None,
                    "file": "prog.cpp",
                }
            ]
        )
        return {"prompt_id": pid, "good": good, "verdict": "ok" if good else "error", "diagnostics": diags}

    history = [
        [row("a", True), row("b", False), row("c", False), row("d", False)],
        [row("b", True), row("c", False), row("d", False)],
        [row("c", False), row("d", True)],
    ]
    s = repair_summary(prompts, history, run_tests=False, turns=3)
    rates = [t["compile_rate"]["k"] for t in s["turns"]]
    assert rates == [1, 2, 3, 3]  # turn 3 was asked but never ran: it repeats turn 2's figures
    assert [t["fixed"] for t in s["turns"]] == [0, 1, 1, 0]
    assert s["turns"][1]["fixed_error_kinds"] == {"undeclared_identifier": 1}
    assert s["turns"][2]["per_program"]["d"] == {"good": True, "passed": None}
    assert s["turns"][0]["per_program"]["d"] == {"good": False, "passed": None}
    assert s["turns"][2]["compile_rate"]["ci_low"] < 0.75 < s["turns"][2]["compile_rate"]["ci_high"]


def _tiny_evaluation(tiny_model_dir: Path, tmp_path: Path, **kw: object) -> Any:
    """An evaluation of the tiny model on 4 bundled programs into ``tmp_path/ev``, with ``kw`` on top."""
    from cfdpo.stages.evaluate import EvaluateArguments

    base: dict[str, Any] = dict(
        model=str(tiny_model_dir), out=str(tmp_path / "ev"), data=str(SAMPLE), limit=4, threads=1, batch_size=2, max_new_tokens=12
    )
    return EvaluateArguments(**{**base, **kw})


def test_evaluate_with_repair_turns_resumes_and_compares(tiny_model_dir, tmp_path, capfd) -> None:
    from cfdpo.cli import main
    from cfdpo.stages.evaluate import run as evaluate

    args = _tiny_evaluation(tiny_model_dir, tmp_path, repair_turns=2)
    res = evaluate(args)
    rep = res["repair"]
    assert rep["turns_asked"] == 2 and len(rep["turns"]) == 3
    ks = [t["compile_rate"]["k"] for t in rep["turns"]]
    assert ks == sorted(ks) and ks[0] == res["compiled"]
    first = {r["prompt_id"]: r for r in read_jsonl(tmp_path / "ev" / "samples.jsonl")}
    failing = [pid for pid, r in first.items() if not r["good"]]
    assert failing, "a random tiny model is expected to fail some programs"
    t1 = read_jsonl(tmp_path / "ev" / "repair_1" / "samples.jsonl")
    assert sorted(r["prompt_id"] for r in t1) == sorted(failing)
    for r in t1:  # the repair re-completes the masked prompt, with the failed attempt's feedback
        assert r["prompt"] == first[r["prompt_id"]]["prompt"]
        assert r["feedback"] == feedback_for(first[r["prompt_id"]])
    assert (tmp_path / "ev" / "repair_curve.png").stat().st_size > 1000
    # resuming redoes nothing
    again = evaluate(args)
    assert again["repair"]["turns"][2]["per_program"] == rep["turns"][2]["per_program"]
    assert len(read_jsonl(tmp_path / "ev" / "repair_1" / "samples.jsonl")) == len(t1)
    # the verdicts after turn 2 can be compared between runs; a missing turn is one line
    capfd.readouterr()
    assert main(["compare", f"first={tmp_path / 'ev'}", f"same={tmp_path / 'ev'}", "--turn", "2"]) == 0
    table = capfd.readouterr().out
    cr = rep["turns"][2]["compile_rate"]
    assert f"| same | 4 | {100 * cr['rate']:.1f} [{100 * cr['ci_low']:.1f}, {100 * cr['ci_high']:.1f}]" in table, table
    assert "+0 / -0, p=1.000" in table  # a run against itself: no discordant program
    # one run against itself after 2 turns: the programs repair fixed are the discordant ones
    assert main(["compare", f"t0={tmp_path / 'ev'}", f"t2={tmp_path / 'ev'}@2"]) == 0
    fixed = rep["turns"][2]["compile_rate"]["k"] - rep["turns"][0]["compile_rate"]["k"]
    assert f"+{fixed} / -0" in capfd.readouterr().out
    assert main(["compare", str(tmp_path / "ev"), "--turn", "5"]) == 1
    assert "no repair turn 5" in capfd.readouterr().err


def _judged_run(tmp_path: Path) -> Path:
    """A build-prefs-like run directory: prompts, and per prompt one failed and (for some) one good sample."""
    scorer = CompileScorer(cache_dir=None)
    d = tmp_path / "run"
    d.mkdir()
    prompts, samples = [], []
    cases = [
        ("a", PROMPT, '    printf("%d\\n", n);\n    return 0;\n}\n', BAD, True),
        ("b", "int main() {\n    int x = 2;\n", "    return x - 2;\n}\n", "    return y * compute(x, x);\n}\n", False),
    ]
    for pid, prompt, ref, bad, with_good in cases:
        prompts.append({"id": pid, "problem_id": pid, "prompt": prompt, "reference_completion": ref})
        outs = [bad] + ([ref.replace("return 0;", "return n - 3;")] if with_good else [])
        for k, comp in enumerate(outs):
            r = scorer.score(prompt + comp)
            samples.append(
                {
                    "id": f"{pid}#{k}",
                    "prompt_id": pid,
                    "sample_index": k,
                    "prompt": prompt,
                    "completion": comp,
                    "verdict": r.verdict.value,
                    "good": r.good,
                    "diagnostics": [x.to_dict() for x in r.diagnostics],
                }
            )
    (d / "prompts.jsonl").write_text("".join(json.dumps(p) + "\n" for p in prompts))
    (d / "samples.jsonl").write_text("".join(json.dumps(s) + "\n" for s in samples))
    return d


@pytest.mark.parametrize("fmt", ["raw", "chat"])
def test_repair_data_rows(tmp_path, fmt) -> None:
    from cfdpo.stages.repair_data import RepairDataArguments, run

    src = _judged_run(tmp_path)
    s = run(RepairDataArguments(samples=str(src), out=str(tmp_path / f"rd-{fmt}"), prompt_format=fmt))
    assert s["sft_rows"] == 2 and s["targets"] == {"sample": 1, "reference": 1}
    sft = {r["prompt_id"]: r for r in read_jsonl(tmp_path / f"rd-{fmt}" / "repair_sft.jsonl")}
    prefs = read_jsonl(tmp_path / f"rd-{fmt}" / "repair_prefs.jsonl")
    assert len(prefs) == s["pref_rows"] == 2
    a, b = sft["a"], sft["b"]
    assert "return n - 3;" in json.dumps(a["completion"])  # the good sample of a, not its reference
    assert "return x - 2;" in json.dumps(b["completion"])  # b has no good sample: its reference
    assert "'y' was not declared" in b["feedback"]
    if fmt == "raw":
        assert a["prompt"] == raw_feedback_block(a["feedback"]) + PROMPT and a["completion"].startswith("    printf")
        assert prefs[0]["rejected"] == BAD
    else:
        assert a["prompt"][-1]["role"] == "user" and a["prompt"][-1]["content"].startswith(a["feedback"])
        assert a["completion"][0]["role"] == "assistant" and a["completion"][0]["content"].startswith("```cpp")
    # a pair closer than the edit-distance filter is dropped
    s2 = run(RepairDataArguments(samples=str(src), out=str(tmp_path / f"rd2-{fmt}"), prompt_format=fmt, min_edit_distance=10_000))
    assert s2["pref_rows"] == 0 and s2["dropped"] == {"pair_too_close": 2} and s2["sft_rows"] == 2


def test_kto_trains_on_unpaired_verdicts(tiny_model_dir, tmp_path) -> None:
    import torch
    from safetensors.torch import load_file
    from trl import KTOConfig, ModelConfig

    from cfdpo.stages.kto import balanced_weights, run
    from cfdpo.stages.training_runs import TrainDataArguments

    assert balanced_weights(1, 3) == (3.0, 1.0)
    with pytest.raises(ValueError, match="desirable and undesirable"):
        balanced_weights(0, 3)
    src = _judged_run(tmp_path)  # 1 good and 2 failed samples
    out = tmp_path / "kto"
    args = KTOConfig(
        output_dir=str(out),
        max_steps=3,
        per_device_train_batch_size=2,
        learning_rate=5e-3,
        logging_steps=1,
        save_strategy="no",
        report_to="none",
        seed=0,
        bf16=False,
        max_length=256,
    )
    model = ModelConfig(model_name_or_path=str(tiny_model_dir), use_peft=True, lora_r=4, lora_alpha=4, lora_dropout=0.0)
    run(TrainDataArguments(train_file=str(src)), args, model)
    w = load_file(str(out / "adapter_model.safetensors"))
    assert any(v.abs().sum() > 0 for k, v in w.items() if "lora_B" in k)  # B starts at zero
    assert all(torch.isfinite(v).all() for v in w.values())
    cfg = json.loads((out / "run_config.json").read_text())["config"]["KTOConfig"]
    assert (cfg["desirable_weight"], cfg["undesirable_weight"]) == (2.0, 1.0)


def test_the_control_gives_the_same_programs_as_many_attempts_without_feedback(tiny_model_dir, tmp_path) -> None:
    from cfdpo.stages.evaluate import run as evaluate

    args = _tiny_evaluation(tiny_model_dir, tmp_path, repair_turns=1, repair_control="resample")
    res = evaluate(args)
    first = {r["prompt_id"]: r for r in read_jsonl(tmp_path / "ev" / "samples.jsonl")}
    failing = sorted(pid for pid, r in first.items() if not r["good"])
    assert failing
    control = read_jsonl(tmp_path / "ev" / "control_1" / "samples.jsonl")
    assert sorted(r["prompt_id"] for r in control) == failing  # the same programs, one attempt each
    for r in control:  # the original prompt, no feedback
        assert r["prompt"] == first[r["prompt_id"]]["prompt"] and "feedback" not in r
    assert res["repair_control"]["decoding"]["do_sample"] and res["repair_control"]["decoding"]["seed"] == 0
    (v,) = res["repair_vs_control"]
    rep, ctl = res["repair"]["turns"][1]["per_program"], res["repair_control"]["turns"][1]["per_program"]
    assert v["turn"] == 1 and v["compile"]["n"] == 4
    assert v["compile"]["fixed"] == sum(rep[k]["good"] and not ctl[k]["good"] for k in rep)
    assert v["compile"]["broken"] == sum(ctl[k]["good"] and not rep[k]["good"] for k in rep)
    assert v["compile"]["control"] == sum(x["good"] for x in ctl.values()) / 4


def test_control_against_repair_by_hand() -> None:
    from cfdpo.evaluation.repair import control_against_repair

    def summary(good: dict[str, bool]) -> dict:
        return {"turns": [{"turn": 0}, {"turn": 1, "per_program": {k: {"good": g, "passed": None} for k, g in good.items()}}]}

    # repair made a, b good; the control b, c; d neither: one discordant program each way, p = 1
    (v,) = control_against_repair(
        summary({"a": True, "b": True, "c": False, "d": False}), summary({"a": False, "b": True, "c": True, "d": False})
    )
    assert v["compile"] == {"repair": 0.5, "control": 0.5, "fixed": 1, "broken": 1, "p_value": 1.0, "n": 4}
    assert v["pass_at_1"] is None  # no tests


def test_a_control_without_repair_turns_is_refused() -> None:
    from cfdpo.errors import OptionError
    from cfdpo.stages.evaluate import EvaluateArguments

    with pytest.raises(OptionError, match="repair_control"):
        EvaluateArguments(repair_control="resample")
