"""The CodeNet-layout loader on the bundled sample and on malformed input."""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from cfdpo.corpus.codenet import load_codenet, sample_corpus_path
from cfdpo.errors import InputError
from cfdpo.scoring import CompileScorer

from .conftest import CODECHEF, SAMPLE


def test_bundled_sample_layout_and_split():
    assert sample_corpus_path() == SAMPLE
    ds, rep = load_codenet(SAMPLE, show_progress=False)
    assert rep.problems_seen == 20 and rep.problems_kept == 20
    assert len(ds) == 140 and rep.programs_kept == 140
    per = Counter((r["problem_id"], r["split"]) for r in ds)
    assert set(per.values()) == {5, 2} and len(per) == 40
    assert rep.skipped["not_accepted"] == 3  # the Wrong Answer / Compile Error submissions
    assert all(r["status"] == "Accepted" and r["sample_input"] and r["sample_output"] for r in ds)
    assert set(ds.column_names) >= {"problem_id", "submission_id", "language", "source", "split"}


def test_split_is_deterministic_and_seeded():
    a, _ = load_codenet(SAMPLE, seed=0, splits=("test",), show_progress=False)
    b, _ = load_codenet(SAMPLE, seed=0, splits=("test",), show_progress=False)
    c, _ = load_codenet(SAMPLE, seed=1, splits=("test",), show_progress=False)
    assert a["submission_id"] == b["submission_id"] != c["submission_id"]
    limited, rep = load_codenet(SAMPLE, seed=0, splits=("test",), limit=5, show_progress=False)
    assert limited["submission_id"] == a["submission_id"][:5]
    assert rep.problems_seen == 3  # visits only the problems the limit needs
    # skip + limit: disjoint slices of the same order (fresh programs for each on-policy round)
    train, _ = load_codenet(SAMPLE, seed=0, splits=("train",), show_progress=False)
    slices = [
        list(load_codenet(SAMPLE, seed=0, splits=("train",), skip=k, limit=4, show_progress=False)[0]["submission_id"])
        for k in (0, 4, 8)
    ]
    assert slices == [list(train["submission_id"])[k : k + 4] for k in (0, 4, 8)] and len({s for x in slices for s in x}) == 12
    assert (
        list(load_codenet(SAMPLE, seed=0, splits=("train",), skip=3, show_progress=False)[0]["submission_id"])
        == list(train["submission_id"])[3:]
    )


def test_bundled_programs_compile_and_pass_their_sample_test(tmp_path):
    """Two programs per problem: the sample data must really be accepted code."""
    from concurrent.futures import ThreadPoolExecutor

    ds, _ = load_codenet(SAMPLE, train_per_problem=1, test_per_problem=1, show_progress=False)

    def check(row: dict) -> None:
        exe = tmp_path / row["submission_id"]
        src = tmp_path / f"{row['submission_id']}.cpp"
        src.write_text(row["source"])
        subprocess.run(["g++", "-std=c++17", "-O0", "-o", str(exe), str(src)], check=True)
        out = subprocess.run([str(exe)], input=row["sample_input"], capture_output=True, text=True, timeout=10)
        assert out.stdout.split() == row["sample_output"].split(), row["submission_id"]

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        list(pool.map(check, list(ds)))  # list(): an assertion in any worker fails the test


def _write_problem(root: Path, pid: str, files: dict[str, bytes], statuses: dict[str, str]) -> None:
    d = root / "data" / pid / "C++"
    d.mkdir(parents=True)
    for sid, data in files.items():
        (d / f"{sid}.cpp").write_bytes(data)
    (root / "metadata").mkdir(exist_ok=True)
    lines = ["submission_id,problem_id,language,status"] + [f"{s},{pid},C++,{st}" for s, st in statuses.items()]
    (root / "metadata" / f"{pid}.csv").write_text("\n".join(lines) + "\n")


def test_malformed_input_is_skipped_and_counted(tmp_path):
    good = b"int main() { return 0; }\n"
    _write_problem(
        tmp_path,
        "A",
        {
            "s1": good,
            "s2": good + b"// 2\n",
            "s3": b"int main() { \xff\xfe }",
            "s4": b"  \n\n",
            "s5": good,
            "s9": good,
        },
        {"s1": "Accepted", "s2": "Accepted", "s3": "Accepted", "s4": "Accepted", "s5": "Wrong Answer", "s6": "Accepted"},
    )  # s6 has no file; s9 is not in the metadata
    _write_problem(tmp_path, "B", {"s7": good}, {})
    (tmp_path / "metadata" / "B.csv").write_text("id;verdict\n1;ok\n")  # wrong columns
    (tmp_path / "data" / "C" / "C++").mkdir(parents=True)  # no metadata at all
    (tmp_path / "data" / "C" / "C++" / "s8.cpp").write_bytes(good)
    ds, rep = load_codenet(tmp_path, train_per_problem=1, test_per_problem=1, show_progress=False)
    assert sorted(ds["submission_id"]) == ["s1", "s2"]
    assert rep.skipped == Counter(
        non_utf8=1, empty=1, not_accepted=1, missing_file=1, not_in_metadata=1, problem_bad_metadata=1, problem_no_metadata=1
    )
    assert rep.problems_kept == 1


def test_compile_check_skips_broken_programs_and_takes_the_next(tmp_path):
    ok = b"int main() { return 0; }\n"
    files = {"s1": ok, "s2": b"int main() { return 0 }\n", "s3": ok + b"// b\n", "s4": b"int f() {}\nint main(){}\n"}
    _write_problem(tmp_path, "A", files, {k: "Accepted" for k in files})
    ds, rep = load_codenet(
        tmp_path, train_per_problem=1, test_per_problem=1, scorer=CompileScorer(mode="syntax"), show_progress=False
    )
    assert sorted(ds["submission_id"]) == ["s1", "s3"]
    assert rep.skipped["compile_error"] + rep.skipped["compile_warning"] == rep.compile_checked - 2


def test_missing_corpus_dir(tmp_path):
    with pytest.raises(InputError, match="no such directory"):
        load_codenet(tmp_path / "nope")
    with pytest.raises(InputError, match="no data/ directory"):
        load_codenet(tmp_path)


@pytest.mark.skipif(not CODECHEF.is_dir(), reason="../shared/corpora/codechef not present")
def test_codechef_corpus_loads():
    ds, rep = load_codenet(CODECHEF, splits=("test",), limit=20, show_progress=False)
    assert len(ds) == 20 and rep.problems_kept >= 10


def test_max_chars_and_require_tests(tmp_path):
    ok = b"int main() { return 0; }\n"
    long = b"int main() {\n" + b"  int x = 1;\n" * 50 + b"  return 0;\n}\n"
    _write_problem(tmp_path, "p1", {"a": ok, "b": ok, "c": long}, {"a": "Accepted", "b": "Accepted", "c": "Accepted"})
    _write_problem(tmp_path, "p2", {"a": ok, "b": ok}, {"a": "Accepted", "b": "Accepted"})
    io = tmp_path / "derived" / "input_output" / "data" / "p1"
    io.mkdir(parents=True)
    (io / "input.txt").write_text("")
    (io / "output.txt").write_text("")
    ds, rep = load_codenet(tmp_path, train_per_problem=1, test_per_problem=1, max_chars=100, show_progress=False)
    assert rep.skipped["too_long"] == 1 and all(len(r["source"]) <= 100 for r in ds)
    assert sorted(set(ds["problem_id"])) == ["p1", "p2"]
    ds, rep = load_codenet(tmp_path, train_per_problem=1, test_per_problem=1, require_tests=True, show_progress=False)
    assert set(ds["problem_id"]) == {"p1"} and rep.skipped["problem_without_tests"] == 1
    assert json.loads(ds[0]["tests"]) == [{"input": "", "output": ""}]


def test_holdout_problems_shares_no_problem_between_train_and_test() -> None:
    """--holdout problems: whole problems go to test (about 2 of 7); the paper's split shares every problem."""
    from cfdpo.corpus.codenet import load_codenet, problem_split

    paper, _ = load_codenet(SAMPLE, show_progress=False)
    by_split = {sp: {r["problem_id"] for r in paper if r["split"] == sp} for sp in ("train", "test")}
    assert by_split["train"] == by_split["test"]  # the paper's split: every test problem is also trained on
    held, _ = load_codenet(SAMPLE, show_progress=False, holdout="problems")
    train = {r["problem_id"] for r in held if r["split"] == "train"}
    test = {r["problem_id"] for r in held if r["split"] == "test"}
    assert train and test and not train & test
    assert all(problem_split(p, 0) == "test" for p in test) and all(problem_split(p, 0) == "train" for p in train)
    per = {p: sum(r["problem_id"] == p for r in held) for p in train | test}
    assert all(per[p] == 2 for p in test) and all(per[p] == 5 for p in train)
    # the test split alone is the same problems, and a limit takes a prefix of it
    only_test, _ = load_codenet(SAMPLE, show_progress=False, holdout="problems", splits=("test",), limit=3)
    assert [r["problem_id"] for r in only_test] == [r["problem_id"] for r in held if r["split"] == "test"][:3]
    # a pure function of seed and problem: about 2/7 of many problems
    share = sum(problem_split(f"p{i:05d}", 0) == "test" for i in range(7000)) / 7000
    assert abs(share - 2 / 7) < 0.02


@pytest.mark.parametrize("holdout", ["problems", "programs"])
def test_validation_problems_are_the_last_train_problems_and_leave_the_other_splits_alone(holdout: str) -> None:
    """--validation_problems 2: the last two train problems (sorted ids) form the validation split with their
    whole quota; no problem is in two splits; the test split is unchanged and train is the old train minus them,
    in the same order (so SFT's and the rounds' first programs do not move)."""
    from cfdpo.corpus.codenet import load_codenet

    before, _ = load_codenet(SAMPLE, show_progress=False, holdout=holdout)
    after, _ = load_codenet(
        SAMPLE, show_progress=False, holdout=holdout, splits=("train", "test", "validation"), validation_problems=2
    )
    problems = {sp: [r["problem_id"] for r in after if r["split"] == sp] for sp in ("train", "test", "validation")}
    val = set(problems["validation"])
    assert len(val) == 2 and not val & set(problems["train"]) and not val & set(problems["test"])
    old_train = sorted({r["problem_id"] for r in before if r["split"] == "train"})
    assert sorted(val) == old_train[-2:]
    quota = 5 if holdout == "problems" else 7
    assert all(problems["validation"].count(p) == quota for p in val)
    key = lambda r: (r["problem_id"], r["submission_id"])
    assert [key(r) for r in after if r["split"] == "train"] == [
        key(r) for r in before if r["split"] == "train" and r["problem_id"] not in val
    ]
    if holdout == "problems":
        assert [key(r) for r in after if r["split"] == "test"] == [key(r) for r in before if r["split"] == "test"]
    alone, _ = load_codenet(SAMPLE, show_progress=False, holdout=holdout, splits=("validation",), validation_problems=2)
    assert [key(r) for r in alone] == [key(r) for r in after if r["split"] == "validation"]
