"""opt pass lists: catalogue, code size, minimisation, differential validation, the command. LLVM 16 really runs."""

from __future__ import annotations

import json
import random
import shutil

import pytest

from cfdpo.compiler_data.passes import (
    code_size,
    evaluate_pass_list,
    load_catalogue,
    pipeline_text,
    unoptimised_ir,
)
from cfdpo.compiler_data.tuning import (
    SizeOracle,
    geomean_improvement,
    minimise,
    random_pass_list,
    tune_ir,
    validate_pass_list,
)

pytestmark = pytest.mark.skipif(
    shutil.which("opt-16") is None or shutil.which("clang-16") is None, reason="LLVM 16 (clang-16, llvm-16) is not installed"
)

SMALL = """
define internal i32 @sq(i32 %x) {
entry:
  %m = mul i32 %x, %x
  ret i32 %m
}
define i32 @f(i32 %n) {
entry:
  %s = alloca i32
  store i32 0, ptr %s
  br label %loop
loop:
  %i = phi i32 [ 0, %entry ], [ %i1, %loop ]
  %v = load i32, ptr %s
  %q = call i32 @sq(i32 %i)
  %v1 = add i32 %v, %q
  store i32 %v1, ptr %s
  %i1 = add i32 %i, 1
  %c = icmp slt i32 %i1, %n
  br i1 %c, label %loop, label %exit
exit:
  %r = load i32, ptr %s
  ret i32 %r
}
"""


@pytest.fixture(scope="module")
def tc():
    from cfdpo.compiler_data.llvm_ir import find_llvm

    return find_llvm(16)


@pytest.fixture(scope="module")
def cat():
    return load_catalogue(16)


def test_catalogue_every_entry_runs(tc, cat) -> None:
    assert cat["llvm_version"] == 16 and len(cat["passes"]) >= 80
    names = {p["name"] for p in cat["passes"]}
    assert {"instcombine", "simplifycfg", "sroa", "inline", "licm", "globaldce"} <= names
    assert not names & {"internalize", "lowerinvoke", "loweratomic", "verify", "print", "instcount"}
    assert not any("print" in n or "asan" in n for n in names)
    failed = []
    for p in cat["passes"]:
        r = evaluate_pass_list(SMALL, [p["name"]], cat, tc, keep_ir=False)
        if r.size is None:
            failed.append((p["name"], r.failure))
    assert failed == []


def test_code_size_is_text_plus_data(tc) -> None:
    """25 initialised i32 globals are 100 bytes of .data; .bss (zero-initialised) does not count."""
    base = code_size(SMALL, tc)
    data = ", ".join(f"i32 {i + 1}" for i in range(25))
    with_data = code_size(SMALL + f"@tbl = global [25 x i32] [{data}]\n", tc)
    with_bss = code_size(SMALL + "@z = global [1000 x i32] zeroinitializer\n", tc)
    assert base.text > 0 and base.data == 0 and base.binary_size == base.text
    assert with_data.data - base.data == 100 and with_data.text == base.text
    assert with_bss.binary_size == base.binary_size
    assert base.instructions == 15  # sq: 2; f: entry 3, loop 8, exit 2


def test_pipeline_text_wraps_each_level(cat) -> None:
    assert (
        pipeline_text(["instcombine", "inline", "licm", "globaldce"], cat)
        == "function(instcombine),cgscc(inline),function(loop-mssa(licm)),globaldce"
    )
    with pytest.raises(KeyError, match="not in the LLVM 16 catalogue"):
        pipeline_text(["no-such-pass"], cat)


def test_minimisation_removes_a_planted_redundant_pass(tc, cat) -> None:
    oracle = SizeOracle(SMALL, cat, tc)
    good = ["sroa", "instcombine", "inline", "globaldce"]
    planted = good[:2] + ["lower-expect"] + good[2:]  # lower-expect does nothing to this module
    assert oracle(planted) == oracle(good)
    out = minimise(planted, oracle, cat, max_evals=40, evals=lambda: oracle.evaluations)
    assert "lower-expect" not in out
    assert oracle(out) <= oracle(planted) < oracle([])
    assert len(out) <= len(good)


def test_random_lists_and_tuning(tc, cat) -> None:
    rng = random.Random(0)
    lists = [random_pass_list(rng, cat) for _ in range(50)]
    assert all(1 <= len(x) <= 50 for x in lists) and len({len(x) for x in lists}) > 10
    res = tune_ir(SMALL, cat, tc, budget=4, seed=1, minimise_evals=15)
    assert res.size is not None and res.size <= res.random_best_size <= res.unoptimised_size
    assert res.oz_size is not None and res.evaluations >= 5
    assert geomean_improvement([90, 110], [100, 100]) == pytest.approx(1 - (0.99**0.5))


EXC = r"""#include <cstdio>
#include <stdexcept>
int parse(int x) { if (x > 2) throw std::runtime_error("big"); return x; }
int main() { int n = 0; if (scanf("%d", &n) != 1) return 1;
  try { printf("%d\n", parse(n)); } catch (const std::exception& e) { printf("caught %s\n", e.what()); }
  return 0; }
"""


def test_validation_rejects_a_planted_miscompiling_list(tc, cat, tmp_path) -> None:
    from cfdpo.scoring import CompileScorer
    from cfdpo.scoring.execution import ExecutionScorer, TestCase

    ir, why = unoptimised_ir(EXC, "C++", tc)
    assert ir is not None, why
    tests = [TestCase("1\n", "1\n"), TestCase("5\n", "caught big\n")]
    ex = ExecutionScorer(CompileScorer(tmp_root=str(tmp_path)), time_limit_s=2)
    assert validate_pass_list(EXC, "C++", ir, ["sroa", "instcombine", "simplifycfg"], cat, tc, tests, ex).verdict == "valid"
    # lowerinvoke turns invokes into plain calls: the exception is no longer caught (a behaviour change)
    bad = dict(cat, passes=cat["passes"] + [{"name": "lowerinvoke", "kind": "function", "text": "function(lowerinvoke)"}])
    v = validate_pass_list(EXC, "C++", ir, ["lowerinvoke"], bad, tc, tests, ex)
    assert v.verdict == "behaviour_changed", v
    crash = dict(cat, passes=cat["passes"] + [{"name": "boom", "kind": "module", "text": "no-such-pass"}])
    assert validate_pass_list(EXC, "C++", ir, ["boom"], crash, tc, tests, ex).verdict == "compiler_crash"
    assert validate_pass_list(EXC, "C++", ir, ["sroa"], cat, tc, [], ex).verdict == "no_tests"


def test_pass_lists_commands_end_to_end(tmp_path) -> None:
    from cfdpo.jsonl import read_jsonl
    from cfdpo.stages.pass_lists import PassListsArguments, run

    from .conftest import SAMPLE

    emu = run(PassListsArguments(data=str(SAMPLE), limit=2, out=str(tmp_path / "e"), lists_per_program=2, workers=1), "emulate")
    rows = read_jsonl(tmp_path / "e" / "emulation.jsonl")
    assert emu["rows"] == len(rows) == 4 - sum(emu["lists_excluded_by_reason"].values())
    for r in rows:
        assert 1 <= len(r["passes"]) <= 50 and r["output_size"] > 0 and r["input_size"] > 0
        assert r["pass_text"] in r["prompt"] and r["answer"].startswith("<code>")
    args = PassListsArguments(
        data=str(SAMPLE), limit=2, out=str(tmp_path / "t"), budget=3, minimise_evals=8, workers=1, broadcast_top=2
    )
    s = run(args, "tune")
    tuned = read_jsonl(tmp_path / "t" / "tuning.jsonl")
    assert s["programs_tuned"] == len(tuned) == 2
    assert s["validation"] == {"valid": 2} or set(s["validation"]) <= {
        "valid",
        "behaviour_changed",
        "compiler_crash",
        "reference_failed",
    }
    for r in tuned:
        assert r["size"] <= r["own_size"] or r["validation"] != "valid"
        assert r["prompt"].startswith("[INST] Tell me how to optimize this LLVM-IR for object file size:")
        assert r["improvement_over_oz"] == round(1 - r["size"] / r["oz_size"], 4)
    again = run(args, "tune")  # resumed: nothing recomputed per program
    assert again["evaluations_this_run"] <= 2 * (args.broadcast_top + 2)
    assert json.loads((tmp_path / "t" / "summary.json").read_text())["programs_tuned"] == 2
