"""Graded preference pairs, synthetic hard negatives and test runs inside the sampling loop."""

from __future__ import annotations

import functools
import random

import Levenshtein
import pytest

from cfdpo.corpus.codenet import read_tests
from cfdpo.prefs.pairs import build_preferences, rank_of

graded = functools.partial(build_preferences, policy="graded")
from cfdpo.evaluation.summary import summarise_samples
from cfdpo.prefs.synthetic import KINDS, corrupt, make_negatives
from cfdpo.scoring import CompileScorer
from cfdpo.scoring.execution import ExecutionScorer
from cfdpo.stages.batch import run_tests_on
from cfdpo.stages.common import CommonArguments
from cfdpo.stages.prompts import prepare_prompts

from .conftest import SAMPLE

P = {"id": "A/1", "problem_id": "A", "prompt": "int main() {\n", "reference_completion": "  return 0;\n}"}


def s(k: int, comp: str, verdict: str, exec_verdict: str | None = None) -> dict:
    row = {
        "prompt_id": "A/1",
        "sample_index": k,
        "completion": comp,
        "verdict": verdict,
        "good": verdict == "ok",
        "exec_verdict": exec_verdict,
        "passed": exec_verdict == "pass",
    }
    return row


SAMPLES = [
    s(0, "  return x + y + z;\n}", "error", "not_built"),  # rank 0
    s(1, "  int unused = 1; return 0;\n}", "warning", "not_built"),  # rank 1 (still built, but the policy says bad)
    s(2, '  puts("wrong answer"); return 0;\n}', "ok", "wrong_answer"),  # rank 2
    s(3, "  /* a passing sample */ return 0;\n}", "ok", "pass"),  # rank 3
]


def test_ranks() -> None:
    assert [rank_of(x) for x in SAMPLES] == [0, 1, 2, 3]
    assert rank_of({"verdict": "timeout"}) == 0 and rank_of({"verdict": "ok"}) == 2


def test_graded_pairs_reference_policy() -> None:
    rows, summary = graded([P], SAMPLES, min_edit_distance=1, chosen="reference")
    # the reference (rank 3 with tests) beats ranks 0, 1, 2; the passing sample is never rejected
    assert sorted((r["chosen_rank"], r["rejected_rank"]) for r in rows) == [(3, 0), (3, 1), (3, 2)]
    assert all(r["chosen"] == P["reference_completion"] and r["chosen_source"] == "reference" for r in rows)
    assert {r["rejected_verdict"] for r in rows} == {"error", "warning", "wrong_answer"}
    assert rows[0]["rejected_rank"] == 0  # widest gap first
    assert summary["pairs_by_ranks"] == {"3>0": 1, "3>1": 1, "3>2": 1} and summary["graded"]
    for r in rows:
        assert r["edit_distance"] == Levenshtein.distance(r["chosen"], r["rejected"])


def test_graded_pairs_sample_and_best_policies() -> None:
    rows, _ = graded([P], SAMPLES, min_edit_distance=1, chosen="sample")
    pairs = sorted((r["chosen_rank"], r["rejected_rank"]) for r in rows)
    assert pairs == [(1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2)]
    assert all(r["chosen_source"] == "sample" for r in rows)
    best, _ = graded([P], SAMPLES, min_edit_distance=1, chosen="best")
    assert sorted((r["chosen_rank"], r["rejected_rank"]) for r in best) == [(3, 0), (3, 1), (3, 2)]
    assert all(r["chosen"] == SAMPLES[3]["completion"] for r in best)
    # the best sample itself is rejected against nothing better than the reference: same rank, no pair
    capped, summary = graded([P], SAMPLES, min_edit_distance=1, chosen="sample", max_pairs_per_prompt=2)
    got = [(r["chosen_rank"], r["rejected_rank"]) for r in capped]
    assert got[0] == (3, 0) and got[1][0] - got[1][1] == 2  # widest rank gaps first
    assert summary["dropped"]["max_pairs_per_prompt"] == 4
    with pytest.raises(ValueError, match="chosen"):
        graded([P], SAMPLES, chosen="worst")


def test_edit_distance_filter_applies_to_synthetic_pairs() -> None:
    synth = [
        {"prompt_id": "A/1", "kind": "drop_semicolon", "completion": "  return 0\n}", "verdict": "error"},
        {"prompt_id": "A/1", "kind": "misspell", "completion": "  retrun 0;\n}", "verdict": "error"},
    ]
    rows, summary = graded([P], [], min_edit_distance=2, synthetic=synth)
    assert [r["rejected_source"] for r in rows] == ["synthetic:misspell"]  # distance 2 kept, 1 dropped
    assert summary["dropped"] == {"edit_distance_synthetic": 1}
    assert rows[0]["chosen"] == P["reference_completion"] and rows[0]["chosen_rank"] == 2  # no tests: top is 2


def test_corruptions_change_what_they_say() -> None:
    comp = "    int total = a + b;\n    cout << total << endl;\n    return 0;\n}\n"
    rng = random.Random(1)
    for kind in KINDS:
        out = corrupt(comp, kind, rng)
        assert out is not None and out != comp, kind
    assert corrupt(comp, "drop_brace", rng).count("}") == comp.count("}") - 1
    assert corrupt(comp, "drop_semicolon", rng).count(";") in (comp.count(";") - 1, comp.count(";") - 2)
    assert "std::string total" in corrupt(comp, "change_type", rng)
    cut = corrupt(comp, "truncate", rng)
    assert comp.startswith(cut) and 0.3 * len(comp) <= len(cut) <= 0.8 * len(comp)
    import re

    for seed in range(5):
        mis = corrupt(comp, "misspell", random.Random(seed))
        words = set(re.findall(r"[A-Za-z_]\w*", comp))
        new = set(re.findall(r"[A-Za-z_]\w*", mis)) - words
        assert len(new) == 1 and mis.replace(new.pop(), "") != comp, mis  # one identifier got a typo
    assert corrupt("}", "misspell", rng) is None
    with pytest.raises(ValueError):
        corrupt(comp, "nonsense", rng)


@pytest.fixture(scope="module")
def sample_prompts(tmp_path_factory) -> list[dict]:
    args = CommonArguments(data=str(SAMPLE), limit=8, compile_check=False, split="test", batch_size=4)
    return prepare_prompts(args, None, tmp_path_factory.mktemp("prompts"))


def test_synthetic_negatives_are_confirmed_bad_by_gxx(sample_prompts) -> None:
    scorer = CompileScorer(mode="syntax")
    rows, summary = make_negatives(sample_prompts, scorer, per_prompt=2, seed=0, workers=2)
    assert rows and summary["kept"] == len(rows)
    assert sum(summary["confirmed_bad"].values()) >= len(rows)
    ids = {p["id"]: p for p in sample_prompts}
    rescored = scorer.score_many([ids[r["prompt_id"]]["prompt"] + r["completion"] for r in rows])
    assert not any(x.good for x in rescored)
    assert all(r["completion"] != ids[r["prompt_id"]]["reference_completion"] for r in rows)
    assert max(sum(1 for r in rows if r["prompt_id"] == pid) for pid in ids) <= 2
    again, _ = make_negatives(sample_prompts, scorer, per_prompt=2, seed=0, workers=1)
    assert again == rows  # seeded
    far, fsum = make_negatives(sample_prompts, scorer, per_prompt=2, seed=0, min_edit_distance=10)
    assert far and all(
        Levenshtein.distance(r["completion"], ids[r["prompt_id"]]["reference_completion"]) >= 10 for r in far
    )  # stacked corruptions survive the pair filter
    assert fsum["min_edit_distance"] == 10 and any("+" in r["kind"] for r in far)


def test_run_tests_on_sample_rows(sample_prompts, tmp_path) -> None:
    assert all(p["tests"] for p in sample_prompts)
    ex = ExecutionScorer(CompileScorer(tmp_root=str(tmp_path)), time_limit_s=2)
    prompts = {p["id"]: p for p in sample_prompts[:3]}
    rows = []
    for p in prompts.values():
        rows.append(
            {
                "prompt_id": p["id"],
                "prompt": p["prompt"],
                "completion": p["reference_completion"],
                "verdict": "ok",
                "good": True,
                "sample_index": 0,
            }
        )
    # a global whose constructor prints before main: builds cleanly, wrong answer
    rows[1]["completion"] += '\nstruct CfdpoExtra { CfdpoExtra() { __builtin_puts("extra"); } } cfdpo_extra;\n'
    rows[2]["verdict"] = "error"
    run_tests_on(rows, prompts, ex, workers=2)
    assert rows[0]["exec_verdict"] == "pass" and rows[0]["passed"]
    assert rows[1]["exec_verdict"] == "wrong_answer" and not rows[1]["passed"]
    assert rows[2]["exec_verdict"] == "not_built" and not rows[2]["passed"]
    summary = summarise_samples([dict(r, diagnostics=[]) for r in rows])
    assert summary["n_with_tests"] == 3 and summary["passed"] == sum(r["passed"] for r in rows)
    assert summary["pass_at_1"] == round(summary["passed"] / 3, 4)


def test_read_tests_multiple_cases(tmp_path) -> None:
    d = tmp_path / "derived" / "input_output" / "data" / "pX"
    d.mkdir(parents=True)
    (d / "input.txt").write_text("1\n")
    (d / "output.txt").write_text("2\n")
    (d / "input.2.txt").write_text("5\n")
    (d / "output.2.txt").write_text("6\n")
    (d / "input.3.txt").write_text("7\n")  # no output: skipped
    assert read_tests(tmp_path, "pX") == [{"input": "1\n", "output": "2\n"}, {"input": "5\n", "output": "6\n"}]
    assert read_tests(tmp_path, "nope") == []


@pytest.mark.parametrize(
    ("policy", "chosen"), [("paper", "reference"), ("graded", "reference"), ("graded", "best"), ("graded", "sample")]
)
def test_a_prompt_without_tests_among_tested_ones_never_rejects_a_compiling_sample(policy: str, chosen: str) -> None:
    """Under --run_tests a prompt without tests tops out at rank 2: its reference must not outrank (and so
    reject) its cleanly compiling samples, as it did when rank 3 was given to every reference."""
    tested = {**P, "tests": [{"input": "", "output": ""}]}
    untested = {"id": "B/1", "problem_id": "B", "prompt": "int main() {\n", "reference_completion": "  return 0;\n}"}
    rows = [*SAMPLES, *[{**x, "prompt_id": "B/1", "exec_verdict": None, "passed": False, "tests_total": 0} for x in SAMPLES[:3]]]
    for x in rows[:4]:
        x["tests_total"] = 1
    pairs, _ = build_preferences([tested, untested], rows, min_edit_distance=1, policy=policy, chosen=chosen)
    on_b = [r for r in pairs if r["prompt_id"] == "B/1"]
    assert on_b, "the untested prompt's failing samples still make pairs"
    assert all(r["rejected_verdict"] not in ("ok",) for r in on_b), on_b
    assert all(r["chosen_rank"] <= 2 for r in on_b if r["chosen_source"] == "reference")
    # the tested prompt's reference still ranks 3 and rejects its compiling, test-failing sample
    if policy == "graded" and chosen == "reference":
        on_a = [r for r in pairs if r["prompt_id"] == "A/1"]
        assert {r["rejected_rank"] for r in on_a} == {0, 1, 2} and {r["chosen_rank"] for r in on_a} == {3}
