"""Compiler tasks as evaluations (emulate, tune, disassemble) and the disassembly rows.

Every metric is shown able to succeed and to fail on predictions the LLVM 16
tools themselves make: the true IR or pass list scores exact match 100%, size
error 0 and a successful round trip; a mutated instruction, a list that leaves
the code larger than -Oz, an unknown pass and invalid IR score as failures.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from cfdpo.compiler_data.disassembly import lower_to_asm, normalise_asm
from cfdpo.compiler_data.passes import evaluate_pass_list, load_catalogue, oz_size, pipeline_text, unoptimised_ir
from cfdpo.compiler_data.tuning import tidy_ir
from cfdpo.evaluation.compiler_tasks import (
    extract_code,
    extract_pass_pipeline,
    extract_size,
    normalise_ir,
    score_disassembly,
    score_emulation,
    score_tuning,
    summarise,
)

pytestmark = pytest.mark.skipif(
    shutil.which("opt-16") is None or shutil.which("clang-16") is None, reason="LLVM 16 (clang-16, llvm-16) is not installed"
)

PROGRAM = r"""
#include <stdio.h>
static int sq(int x) { return x * x; }
int sum(int n) { int s = 0; for (int i = 0; i < n; i++) s += sq(i) + 3; return s; }
int main(void) { int n; if (scanf("%d", &n) != 1) return 1; printf("%d\n", sum(n)); return 0; }
"""


@pytest.fixture(scope="module")
def tc():
    from cfdpo.compiler_data.llvm_ir import find_llvm

    return find_llvm(16)


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue(16)


@pytest.fixture(scope="module")
def input_ir(tc) -> str:
    ir, why = unoptimised_ir(PROGRAM, "C", tc)
    assert ir is not None, why
    return tidy_ir(ir)


def _mutate(ir: str) -> str:
    """One instruction changed: the first ``add`` becomes a ``sub`` (the IR still assembles)."""
    out, n = re.subn(r"= add (nsw )?i32", r"= sub \1i32", ir, count=1)
    assert n == 1, "no add instruction to mutate"
    return out


def test_answer_parsing() -> None:
    ans = "Sure.\n<code>define i32 @f() {\n  ret i32 0\n}</code>\nBinary size: 42 bytes (.text 42 + .data 0)."
    assert extract_code(ans) == "define i32 @f() {\n  ret i32 0\n}"
    assert extract_size(ans) == 42
    assert extract_code("```llvm\nret\n```") == "ret\n"
    assert extract_code("no code here") is None
    assert extract_size("no size") is None
    assert (
        extract_pass_pipeline("Run passes `-passes=function(instcombine),cgscc(inline)` to reduce")
        == "function(instcombine),cgscc(inline)"
    )
    assert extract_pass_pipeline("-passes=default<Oz>.") == "default<Oz>"
    assert extract_pass_pipeline("I would use -O3") is None
    a = '\t.text\n\t.file\t"m.ll"\n# comment\nf:   # -- Begin\n\tmovl\t$1, %eax\n\t.ident "x"\n'
    assert normalise_asm(a) == ".text\nf:\nmovl $1, %eax\n"
    assert normalise_asm(normalise_asm(a)) == normalise_asm(a)
    assert (
        normalise_ir("; ModuleID = 'x'\nsource_filename = \"x\"\n\ndefine void @f() {  \n  ret void ; c\n}\n")
        == "define void @f() {\n  ret void\n}\n"
    )


def test_emulation_scores_the_compilers_own_output_as_perfect_and_mutations_as_wrong(tc, catalogue, input_ir) -> None:
    passes = ["sroa", "instcombine", "simplifycfg"]
    assert all(p in {c["name"] for c in catalogue["passes"]} for p in passes)
    res = evaluate_pass_list(input_ir, passes, catalogue, tc)
    assert res.size is not None and res.ir is not None
    row = {
        "id": "p",
        "input_ir": input_ir,
        "pass_text": pipeline_text(passes, catalogue),
        "output_ir": res.ir,
        "output_size": res.size.binary_size,
    }

    true = score_emulation(row, f"<code>{res.ir}</code>\nBinary size: {res.size.binary_size} bytes.", tc)
    assert true["assembles"] and true["exact_match"]
    assert true["edit_similarity"] == 1.0
    assert true["stated_size_ape"] == 0 and true["predicted_ir_size_ape"] == 0

    wrong = score_emulation(row, f"<code>{_mutate(res.ir)}</code>\nBinary size: {2 * res.size.binary_size} bytes", tc)
    assert wrong["assembles"] and not wrong["exact_match"]
    assert 0.9 < wrong["edit_similarity"] < 1.0
    assert wrong["stated_size_ape"] == pytest.approx(1.0)

    broken = score_emulation(row, "<code>define i32 @f( {\n  ret i32 %nope\n</code>", tc)
    assert not broken["assembles"] and not broken["exact_match"] and broken["error"]
    assert broken["predicted_ir_size"] is None and broken["stated_size"] is None
    assert not score_emulation(row, "I cannot help with that.", tc)["assembles"]

    m = summarise("emulate", [true, wrong, broken])
    assert m["n"] == 3 and m["assembles"]["k"] == 2 and m["exact_match"]["k"] == 1
    assert m["stated_size_mape"] == pytest.approx(0.5) and m["stated_size_n"] == 2
    assert 0 <= m["exact_match"]["ci_low"] < 1 / 3 < m["exact_match"]["ci_high"]


def test_tuning_scores_sizes_against_oz_and_the_search(tc, catalogue, input_ir) -> None:
    oz = oz_size(input_ir, tc)
    assert oz is not None
    searched = ["default<Oz>", "instcombine"]
    s_res = evaluate_pass_list(input_ir, searched, catalogue, tc, keep_ir=False)
    assert s_res.size is not None
    row = {"id": "p", "input_ir": input_ir, "size": s_res.size.binary_size, "oz_size": oz.binary_size}

    same = score_tuning(row, f"Run passes `-passes={pipeline_text(searched, catalogue)}` to reduce", tc)
    assert same["valid"] and same["size"] == row["size"] and same["effective_size"] == row["size"]
    as_oz = score_tuning(row, "-passes=default<Oz> ", tc)
    assert as_oz["valid"] and as_oz["size"] == oz.binary_size
    weak = score_tuning(row, "-passes=function(instsimplify) ", tc)  # leaves the code larger than -Oz
    assert weak["valid"] and weak["size"] > oz.binary_size
    unknown = score_tuning(row, "-passes=no-such-pass ", tc)
    assert not unknown["valid"] and unknown["failure"] == "opt_error" and unknown["effective_size"] == oz.binary_size
    silent = score_tuning(row, "Use -O3.", tc)
    assert silent["failure"] == "no_pass_list"

    m = summarise("tune", [same, weak])
    assert m["valid"]["k"] == 2
    assert m["matches_search"]["k"] == 1  # the weak list is above the search's size
    # hand-worked: geomean over the two rows of effective/oz, against the search's own ratio on both rows
    g = 1 - ((same["size"] / oz.binary_size) * (weak["size"] / oz.binary_size)) ** 0.5
    assert m["improvement_over_oz_geomean"] == pytest.approx(g, abs=1e-4)
    assert m["improvement_over_oz_geomean"] < 0
    m_fail = summarise("tune", [unknown, silent])
    assert m_fail["improvement_over_oz_geomean"] == 0 and m_fail["valid"]["k"] == 0
    assert m_fail["failures"] == {"opt_error": 1, "no_pass_list": 1}


def test_tuning_validates_predicted_lists_by_running_the_program(tc, input_ir) -> None:
    from cfdpo.scoring.execution import ExecutionScorer

    oz = oz_size(input_ir, tc)
    assert oz is not None
    row = {
        "id": "p",
        "input_ir": input_ir,
        "size": oz.binary_size,
        "oz_size": oz.binary_size,
        "source": PROGRAM,
        "language": "C",
        "tests": [{"input": "4\n", "output": "26\n"}],
    }
    ok = score_tuning(row, "-passes=default<Oz> ", tc, executor=ExecutionScorer(time_limit_s=2))
    assert ok["validation"] == "valid" and ok["effective_size"] == oz.binary_size
    assert score_tuning(row, "-passes=default<Oz> ", tc)["validation"] is None  # no executor: not tested


def test_disassembly_round_trip_exact_match_and_failures(tc) -> None:
    from cfdpo.compiler_data.llvm_ir import clean_ir, emit_ir

    ir, why = emit_ir(PROGRAM, "C", "O2", tc)
    assert ir is not None, why
    ir = clean_ir(ir)
    asm, why = lower_to_asm(ir, tc)
    assert asm is not None, why
    row = {"id": "p", "opt_level": "O2", "asm": asm, "ir": ir, "llc_flags": ["-O2", "-mtriple=x86_64-unknown-linux-gnu"]}

    true = score_disassembly(row, f"<code>{ir}</code>", tc)
    assert true["assembles"] and true["round_trip"] and true["exact_match"] and true["edit_similarity"] == 1.0
    # a different but equivalent spelling (comments, blank lines) still matches exactly
    assert score_disassembly(row, f"<code>; my answer\n\n{ir}</code>", tc)["exact_match"]

    wrong = score_disassembly(row, f"<code>{_mutate(ir)}</code>", tc)
    assert wrong["assembles"] and not wrong["round_trip"] and not wrong["exact_match"]
    assert wrong["edit_similarity"] < 1.0
    broken = score_disassembly(row, "<code>define i32 @main() {\n  ret i64 0\n}\n</code>", tc)
    assert not broken["assembles"] and not broken["round_trip"] and "error" in broken["error"]

    m = summarise("disassemble", [true, wrong, broken])
    assert (m["assembles"]["k"], m["round_trip"]["k"], m["exact_match"]["k"]) == (2, 1, 1)


def _c_tree(root: Path) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "src" / "a.c").write_text(PROGRAM)
    (root / "src" / "b.c").write_text("int twice(int x) { return 2 * x; }\n")
    (root / "src" / "c.c").write_text("int twice_again(int x) { return x + x; }\n")
    return root / "src"


def test_llvm_ir_disassembly_rows_are_deduplicated_and_resume(tmp_path: Path) -> None:
    from cfdpo.jsonl import read_jsonl
    from cfdpo.stages.llvm_ir import LLVMIRArguments, run

    src = _c_tree(tmp_path)
    a = LLVMIRArguments(
        data=str(src),
        out=str(tmp_path / "ir"),
        opt_levels="O0,O2,O3",
        dedup_threshold=1,
        disassembly=True,
        format="pairs",
        workers=2,
    )
    s = run(a)
    rows = read_jsonl(tmp_path / "ir" / "disassembly.jsonl")
    assert s["disassembly"]["rows"] == len(rows) > 0
    assert len({r["asm"] for r in rows}) == len(rows)
    # every row comes from an ir.jsonl row, and every ir row is kept or dropped with a reason; a small
    # function's O2 and O3 IR are the same, so its O3 assembly repeats the O2 one and is dropped
    ir_rows = read_jsonl(tmp_path / "ir" / "ir.jsonl")
    drops = read_jsonl(tmp_path / "ir" / "disassembly_dropped.jsonl")
    assert len(rows) + len(drops) == len(ir_rows)
    assert drops and all(d["reason"] == "duplicate_asm" for d in drops)
    by_key = {(r["id"], r["opt_level"]): r for r in ir_rows}
    for r in rows:
        assert r["ir"] == by_key[(r["id"], r["opt_level"])]["ir"]
        assert lower_to_asm(r["ir"], tc_of(r))[0] == r["asm"]
    pairs = read_jsonl(tmp_path / "ir" / "disassembly_pairs.jsonl")
    assert len(pairs) == len(rows) and all(p["prompt"].startswith("<asm_to_llvm>\n") for p in pairs)
    s2 = run(a)  # resumed: nothing added twice
    assert s2["disassembly"] == s["disassembly"]
    assert len(read_jsonl(tmp_path / "ir" / "disassembly.jsonl")) == len(rows)


def tc_of(row: dict) -> object:
    from cfdpo.compiler_data.llvm_ir import find_llvm

    return find_llvm(row["llvm_version"])


def test_compiler_eval_command_end_to_end_resume_and_bad_rows(tmp_path: Path, tiny_model_dir: Path, capfd) -> None:
    from cfdpo.cli import main
    from cfdpo.jsonl import read_jsonl
    from cfdpo.stages.llvm_ir import LLVMIRArguments, run

    src = _c_tree(tmp_path)
    run(LLVMIRArguments(data=str(src), out=str(tmp_path / "ir"), opt_levels="O2", dedup_threshold=1, disassembly=True, workers=2))
    out = tmp_path / "eval"
    argv = [
        "compiler-eval",
        "--task",
        "disassemble",
        "--data",
        str(tmp_path / "ir"),
        "--model",
        str(tiny_model_dir),
        "--out",
        str(out),
        "--max_new_tokens",
        "8",
        "--batch_size",
        "2",
        "--limit",
        "2",
    ]
    assert main(argv) == 0
    res = json.loads((out / "results.json").read_text())
    assert res["task"] == "disassemble" and res["metrics"]["n"] == 2
    assert set(res["metrics"]) >= {"assembles", "round_trip", "exact_match", "edit_similarity_mean"}
    assert res["llvm"]["version"] == 16 and res["environment"]["packages"]
    preds = read_jsonl(out / "predictions.jsonl")
    assert len(preds) == 2 and all("answer" in p and "round_trip" in p for p in preds)
    assert "| round_trip |" in (out / "report.md").read_text()
    capfd.readouterr()
    assert main(argv) == 0  # resumed: no row generated twice
    assert len(read_jsonl(out / "predictions.jsonl")) == 2

    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"id": "x", "asm": "nop"}) + "\n")
    code = main(
        [
            "compiler-eval",
            "--task",
            "disassemble",
            "--data",
            str(bad),
            "--model",
            str(tiny_model_dir),
            "--out",
            str(tmp_path / "bad-out"),
        ]
    )
    err = capfd.readouterr().err
    assert code == 1 and f"{bad}:1: missing field(s) opt_level, ir of a disassembly.jsonl row" in err and "Traceback" not in err
    assert not (tmp_path / "bad-out").exists()
    code = main(["compiler-eval", "--task", "tune", "--data", str(tmp_path / "ir"), "--model", str(tiny_model_dir)])
    assert code == 1 and "no tuning.jsonl in this directory" in capfd.readouterr().err
