"""Source <-> LLVM IR pairs: cleaning keeps IR valid, dedup, sentinel tokens, the command end to end."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from cfdpo.compiler_data.llvm_ir import (
    SENTINELS,
    add_sentinel_tokens,
    clean_ir,
    dedup_minhash,
    emit_ir,
    find_llvm,
    ir_instruction_count,
    pair_rows,
    verify_ir,
)

from .conftest import SAMPLE

needs_llvm = pytest.mark.skipif(
    shutil.which("clang++-16") is None and shutil.which("clang++-15") is None,
    reason="no versioned clang/LLVM (apt-get install clang-16 llvm-16)",
)

PROG = r"""#include <cstdio>
#include <vector>
int sum(const std::vector<int>& v) { int s = 0; for (int x : v) s += x; return s; }
int main() {
    std::vector<int> v = {1, 2, 3};
    printf("Case #1; total = %d\n", sum(v));  // a ';' and ' #1' inside a string
    return 0;
}
"""


@needs_llvm
@pytest.mark.parametrize("level", ["O0", "Oz", "O3"])
def test_cleaned_ir_still_verifies(level):
    tc = find_llvm()
    ir, why = emit_ir(PROG, "C++", level, tc)
    assert ir is not None, why
    assert "target triple" in ir and "attributes #" in ir and "!llvm.ident" in ir
    cleaned = clean_ir(ir)
    ok, err = verify_ir(cleaned, tc)
    assert ok, err
    assert "target triple" not in cleaned and "target datalayout" not in cleaned
    assert "attributes #" not in cleaned and "!llvm.ident" not in cleaned and "!llvm.module.flags" not in cleaned
    assert not [line for line in cleaned.splitlines() if line.lstrip().startswith(";")]
    assert 'c"Case #1; total = %d\\0A\\00"' in cleaned  # string constants untouched
    assert ir_instruction_count(cleaned) > 0


@needs_llvm
def test_debug_metadata_is_removed_and_ir_verifies(tmp_path):
    tc = find_llvm()
    (tmp_path / "a.cpp").write_text(PROG)
    subprocess.run([tc.clangxx, "-std=c++17", "-g", "-O1", "-S", "-emit-llvm", "-o", "a.ll", "a.cpp"], cwd=tmp_path, check=True)
    ir = (tmp_path / "a.ll").read_text()
    assert "!dbg" in ir and "DICompileUnit" in ir
    cleaned = clean_ir(ir)
    assert "!dbg" not in cleaned and "DICompileUnit" not in cleaned and "llvm.dbg." not in cleaned
    ok, err = verify_ir(cleaned, tc)
    assert ok, err
    partial = clean_ir(ir, ["target"])  # steps are optional
    assert "!dbg" in partial and "target triple" not in partial
    with pytest.raises(ValueError, match="unknown IR cleaning step"):
        clean_ir(ir, ["everything"])


@needs_llvm
def test_emit_ir_reports_compile_errors():
    ir, why = emit_ir("int main() { return x; }", "C++", "O0", find_llvm())
    assert ir is None and why == "compile_error"


def test_find_llvm_names_the_missing_tool():
    with pytest.raises(FileNotFoundError, match="clang-3"):
        find_llvm(3)


def test_minhash_dedup_keeps_the_first_of_near_duplicates():
    a = " ".join(f"int v{i} = {i} * {i} + 1 ;" for i in range(40))
    b = a.replace("v39 = 39", "v39 = 40")  # one token changed
    c = " ".join(f"while ( k{i} < {i} ) k{i} ++ ;" for i in range(40))
    assert dedup_minhash([a, c, b]) == [0, 1]
    assert dedup_minhash([c, a]) == [0, 1]  # different programs both stay


def test_pairs_and_sentinel_tokens(tiny_model_dir):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    row = {"id": "x", "opt_level": "O3", "language": "C++", "source": "int main() {}\n", "ir": "define i32 @main() {\n}\n"}
    fwd, back = pair_rows(row)
    assert fwd["prompt"] == "<source_to_llvm>\nint main() {}\n" and fwd["completion"] == "define i32 @main() {\n}"
    assert back["prompt"].startswith("<llvm_to_source>\n") and back["completion"] == "int main() {}"
    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    old = model.get_input_embeddings().weight.detach().clone()
    ids = add_sentinel_tokens(tok, model)
    assert ids == [len(old), len(old) + 1]
    assert tok.tokenize(fwd["prompt"])[0] == SENTINELS[0]  # one token, never split
    emb = model.get_input_embeddings().weight
    assert emb.shape[0] == len(old) + 2
    assert torch.allclose(emb[len(old)], old.mean(0), atol=1e-6) and torch.equal(emb[: len(old)], old)


@needs_llvm
def test_llvm_ir_command_end_to_end_and_resume(tmp_path):
    from cfdpo.stages.llvm_ir import LLVMIRArguments, run

    src = tmp_path / "src"
    src.mkdir()
    (src / "ok.c").write_text(
        '#include <stdio.h>\nint main(void) { int s = 0; for (int i = 0; i < 9; i++) s += i; printf("%d\\n", s); return 0; }\n'
    )
    (src / "ok2.cpp").write_text((SAMPLE / "data/p008/C++/s100053.cpp").read_text())
    (src / "bad.c").write_text("int main(void) { return missing; }\n")
    args = LLVMIRArguments(data=str(src), out=str(tmp_path / "out"), opt_levels="O0,O3", format="pairs", workers=2)
    s = run(args)
    assert s["rows"] == 4 and s["dropped_by_reason"] == {"compile_error": 2}
    rows = [json.loads(x) for x in (tmp_path / "out" / "ir.jsonl").read_text().splitlines()]
    assert {(r["id"], r["opt_level"]) for r in rows} == {("ok.c", "O0"), ("ok.c", "O3"), ("ok2.cpp", "O0"), ("ok2.cpp", "O3")}
    assert all(r["clang_version"].startswith("Debian clang") or "clang" in r["clang_version"] for r in rows)
    assert {r["language"] for r in rows} == {"C", "C++"}
    pairs = (tmp_path / "out" / "pairs.jsonl").read_text().splitlines()
    assert len(pairs) == 8
    again = run(args)  # nothing left to do: same rows, none duplicated
    assert again["rows"] == 4 and again["programs_per_s_this_run"] is None
