"""Comparing evaluations: per-program verdicts, Wilson intervals, McNemar against a baseline, gaming flags."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cfdpo.cli import main
from cfdpo.evaluation.compare import guards, per_program
from cfdpo.jsonl import write_jsonl
from cfdpo.stages.compare import CompareArguments
from cfdpo.stages.compare import run as compare_runs


def _run_dir(root: Path, name: str, good: list[bool], passed: list[bool | None], completion: str = "  return 0;\n}") -> Path:
    """An evaluate-shaped run directory with samples.jsonl and a results.json without per_program (an old run)."""
    d = root / name
    d.mkdir()
    rows = []
    for i, (g, p) in enumerate(zip(good, passed)):
        row = {
            "id": f"p{i}#0",
            "prompt_id": f"p{i}",
            "sample_index": 0,
            "good": g,
            "verdict": "ok" if g else "error",
            "completion": completion,
            "prompt": "int main() {\n",
        }
        if p is not None:
            row.update(exec_verdict="pass" if p else "wrong_answer", tests_total=1, passed=p)
        rows.append(row)
    write_jsonl(d / "samples.jsonl", rows)
    (d / "results.json").write_text(json.dumps({"model": name, "n": len(rows)}))
    return d


def test_per_program_and_guards() -> None:
    samples = [
        {"prompt_id": "a", "sample_index": 1, "good": False, "completion": "x"},
        {
            "prompt_id": "a",
            "sample_index": 0,
            "good": True,
            "completion": "  return 0;\n}",
            "exec_verdict": "pass",
            "tests_total": 2,
            "passed": True,
        },
        {
            "prompt_id": "b",
            "sample_index": 0,
            "good": False,
            "completion": "",
            "exec_verdict": "not_built",
            "tests_total": 0,
            "passed": False,
        },
    ]
    assert per_program(samples) == {"a": {"good": True, "passed": True}, "b": {"good": False, "passed": None}}
    g = guards(
        [s for s in samples if s["sample_index"] == 0],
        [{"id": "a", "reference_completion": "  return 0;\n}"}, {"id": "b", "reference_completion": "}"}],
    )
    # lengths 13 and 0 against 13 and 1: means 6.5 and 7.0 (ratio 0.929); similarities 1.0 and 0.0
    assert g == {
        "completion_chars_mean": 6.5,
        "reference_chars_mean": 7.0,
        "length_ratio": 0.929,
        "empty_completions": 1,
        "edit_similarity_mean": 0.5,
        "closers_only_share": 1.0,
    }  # "  return 0;\n}" and "" both write no code


def test_compare_runs_with_intervals_and_mcnemar(tmp_path, capsys) -> None:
    n = 40
    base_good = [i < 20 for i in range(n)]  # 50%
    new_good = [i < 32 for i in range(n)]  # 12 fixed (p20..p31)
    new_good[0] = False  # and 1 broken: 31 / 40 = 77.5%
    base = _run_dir(tmp_path, "base", base_good, [g and i % 2 == 0 for i, g in enumerate(base_good)])
    new = _run_dir(tmp_path, "dpo", new_good, [g and i % 2 == 0 for i, g in enumerate(new_good)])
    c = compare_runs(CompareArguments(runs=[f"Base={base}", f"+DPO={new}"], out=str(tmp_path / "cmp")))
    base_row, new_row = c["rows"]
    assert base_row["compile"]["k"] == 20 and new_row["compile"]["k"] == 31 and new_row["compile"]["n"] == n
    assert new_row["compile"]["ci_low"] < 0.775 < new_row["compile"]["ci_high"]
    m = new_row["vs"]["Base"]["compile"]
    # exact McNemar: 12 fixed vs 1 broken -> 2 * P(X <= 1 | 13, 1/2) = 2 * 14 / 8192
    assert (m["fixed"], m["broken"]) == (12, 1) and m["p_value"] == pytest.approx(28 / 8192, abs=1e-6)
    assert "pass_at_1" in new_row["vs"]["Base"]
    for name in ("comparison.json", "comparison.md", "comparison.png"):
        assert (tmp_path / "cmp" / name).is_file()
    md = (tmp_path / "cmp" / "comparison.md").read_text()
    assert "+12 / -1, p=0.003" in md and "77.5 [" in md
    # the command line, positional runs and a bad baseline
    assert main(["compare", f"Base={base}", f"+DPO={new}"]) == 0
    assert "+12 / -1" in capsys.readouterr().out
    assert main(["compare", f"Base={base}", "--baseline", "nope"]) == 2


def test_gaming_flag_when_compile_rises_but_pass_falls(tmp_path) -> None:
    n = 60
    sft = _run_dir(tmp_path, "sft", [i < 30 for i in range(n)], [i < 24 for i in range(n)])
    gamed = _run_dir(tmp_path, "gamed", [i < 45 for i in range(n)], [i < 8 for i in range(n)], completion="}")
    c = compare_runs(CompareArguments(runs=[f"+SFT={sft}", f"+DPO={gamed}"]))
    assert any(f.startswith("+DPO: compile rate up") for f in c["flags"]), c["flags"]
    fair = _run_dir(tmp_path, "fair", [i < 45 for i in range(n)], [i < 26 for i in range(n)])
    assert not compare_runs(CompareArguments(runs=[f"+SFT={sft}", f"+DPO={fair}"]))["flags"]


def _with(d: Path, **sections: dict) -> Path:
    res = json.loads((d / "results.json").read_text())
    for k, v in sections.items():
        res[k] = {**res.get(k, {}), **v}
    (d / "results.json").write_text(json.dumps(res))
    return d


def test_compare_refuses_runs_on_other_programs_or_policies(tmp_path: Path) -> None:
    from cfdpo.errors import InputError

    base = _with(
        _run_dir(tmp_path, "base", [True, False, True], [None] * 3), scorer={"warnings": "error"}, config={"mask_ratio": 0.1}
    )
    other_programs = _with(
        _run_dir(tmp_path, "fewer", [True, True], [None] * 2), scorer={"warnings": "error"}, config={"mask_ratio": 0.1}
    )
    with pytest.raises(InputError, match=r"^runs are not comparable: fewer judged other programs than base"):
        compare_runs(CompareArguments(runs=[str(base), str(other_programs)]))
    policy = _with(
        _run_dir(tmp_path, "allow", [True, True, True], [None] * 3), scorer={"warnings": "allow"}, config={"mask_ratio": 0.1}
    )
    with pytest.raises(InputError, match=r"allow has scorer.warnings = 'allow', base 'error'"):
        compare_runs(CompareArguments(runs=[str(base), str(policy)]))
    mask = _with(
        _run_dir(tmp_path, "mask", [True, True, True], [None] * 3), scorer={"warnings": "error"}, config={"mask_ratio": 0.2}
    )
    with pytest.raises(InputError, match=r"config.mask_ratio = 0.2, base 0.1"):
        compare_runs(CompareArguments(runs=[str(base), str(mask)]))
    forced = compare_runs(CompareArguments(runs=[str(base), str(policy)], allow_mismatch=True))
    assert forced["mismatches_allowed"] == ["allow has scorer.warnings = 'allow', base 'error'"]


def test_a_prompt_without_a_sample_counts_as_a_failure(tmp_path: Path) -> None:
    """A prompt that failed generation (in prompts.jsonl, no sample) stays in the denominator as a failure."""
    a = _run_dir(tmp_path, "a", [True, True, False], [None] * 3)
    b = _run_dir(tmp_path, "b", [True, True], [None] * 2)  # p2 failed generation
    for d in (a, b):
        write_jsonl(d / "prompts.jsonl", [{"id": f"p{i}", "prompt": "int main() {\n"} for i in range(3)])
    res = compare_runs(CompareArguments(runs=[str(a), str(b)]))
    rb = next(r for r in res["rows"] if r["label"] == "b")
    assert rb["compile"]["n"] == 3 and rb["compile"]["k"] == 2 and rb["missing"] == 1
    from cfdpo.evaluation.compare import format_markdown

    assert "3 (1 without a sample)" in format_markdown(res)


def test_a_model_that_writes_only_closers_is_flagged() -> None:
    """The gaming guard per sample: completions of nothing but `}`, `return 0;`, `;`, whitespace and comments."""
    from cfdpo.evaluation.compare import closers_only, compare

    assert closers_only("\n}\n}\n") and closers_only("  return 0;\n}  // done\n") and closers_only("/* x */ ;\n}")
    assert closers_only("")
    assert not closers_only('  printf("%d", a);\n}') and not closers_only("  return a + b;\n}")
    prompts = [{"id": f"p{i}", "reference_completion": '  printf("%d", a);\n  return 0;\n}'} for i in range(4)]
    honest = [{"prompt_id": f"p{i}", "completion": '  printf("%d", b);\n  return 0;\n}'} for i in range(4)]
    gamer = [{"prompt_id": f"p{i}", "completion": "\n}\n" if i % 2 else '  printf("%d", b);\n}'} for i in range(4)]
    g_honest, g_gamer = guards(honest, prompts), guards(gamer, prompts)
    assert g_honest["closers_only_share"] == 0.0 and g_gamer["closers_only_share"] == 0.5
    pp = {f"p{i}": {"good": True, "passed": None} for i in range(4)}
    res = compare(
        {"base": {"per_program": pp, "guards": g_honest}, "gamer": {"per_program": pp, "guards": g_gamer}}, ["base"], "base"
    )
    assert any(f.startswith("gamer: 50.0% of completions write no code") for f in res["flags"])
    again = compare(
        {"base": {"per_program": pp, "guards": g_gamer}, "same": {"per_program": pp, "guards": g_gamer}}, ["base"], "base"
    )
    assert not any("write no code" in f for f in again["flags"])  # no rise against the reference: no flag
