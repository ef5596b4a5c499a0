"""``cfdpo tables``: README's result tables are what the committed results give, and a stale one is caught."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cfdpo.cli import main

from .conftest import REPO


def _results(good: list[bool], passed: list[bool | None], **config) -> dict:
    pp = {f"p/{i}": {"good": g, "passed": p} for i, (g, p) in enumerate(zip(good, passed))}
    return {
        "per_program": pp,
        "guards": {"completion_chars_mean": 50.0, "reference_chars_mean": 60.0},
        "scorer": {"warnings": "error", "std": "c++17", "mode": "link", "extra_flags": []},
        "config": {"mask_ratio": 0.1, "split": "test", "holdout": "problems", "seed": 0, **config},
    }


def _run_dir(tmp: Path, name: str, res: dict, prompts: int) -> Path:
    d = tmp / name
    d.mkdir()
    (d / "results.json").write_text(json.dumps(res))
    (d / "prompts.jsonl").write_text("".join(json.dumps({"id": f"p/{i}"}) + "\n" for i in range(prompts)))
    return d


def test_tables_add_render_check_and_catch_a_stale_table(capfd, tmp_path) -> None:
    n = 40
    base = _run_dir(tmp_path, "base", _results([i % 2 == 0 for i in range(n)], [i % 4 == 0 for i in range(n)]), n)
    # the tuned model: 10 more programs compile; one prompt (p/40) had no sample, so it counts as a failure
    tuned = _run_dir(
        tmp_path, "tuned", _results([i % 2 == 0 or i < 20 for i in range(n)], [i % 4 == 0 or i < 8 for i in range(n)]), n + 1
    )
    base_res = json.loads((base / "results.json").read_text())
    base_res["per_program"]["p/40"] = {"good": False, "passed": False}
    (base / "results.json").write_text(json.dumps(base_res))
    readme = tmp_path / "README.md"
    readme.write_text("# x\n\nbefore\n<!-- table:demo -->\nold text\n<!-- /table:demo -->\nafter\n")
    results = tmp_path / "results"
    argv = ["tables", "--docs", str(readme), "--results", str(results)]
    assert main([*argv, "--add", "demo", f"Base={base}", f"tuned={tuned}", "--measured_at", "abc1234", "--title", "Demo"]) == 0
    spec = json.loads((results / "demo" / "table.json").read_text())
    assert spec["runs"] == {"Base": "Base.json", "tuned": "tuned.json"} and spec["measured_at"] == "abc1234"
    tuned_copy = json.loads((results / "demo" / "tuned.json").read_text())
    assert tuned_copy["per_program"]["p/40"] == {"good": False, "passed": False, "missing": True}
    text = readme.read_text()
    assert "old text" not in text and text.startswith("# x\n\nbefore\n<!-- table:demo -->\n") and "after\n" in text
    assert "measured at commit `abc1234`" in text
    # hand-worked: Base compiles 20 of 41 (the even ids; p/40 failed), tuned 30 of 41: +10 / -0, p = 2^-9
    assert "| Base | 41 | 48.8 [" in text and "| tuned | 41 (1 without a sample) | 73.2 [" in text
    assert "+10 / −0" in text or "+10 / -0" in text
    capfd.readouterr()
    assert main([*argv, "--check"]) == 0
    # a table edited by hand (or results changed without rerunning) is caught, with one line naming it
    readme.write_text(text.replace("73.2", "75.0"))
    assert main([*argv, "--check"]) == 1
    err = capfd.readouterr().err
    assert f"{readme}:demo" in err and "out of date" in err and "Traceback" not in err
    assert main(argv) == 0 and main([*argv, "--check"]) == 0


def test_tables_refuse_a_marker_without_results_and_incomparable_runs(capfd, tmp_path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("<!-- table:nope -->\n<!-- /table:nope -->\n")
    assert main(["tables", "--docs", str(readme), "--results", str(tmp_path / "results")]) != 0
    assert "nope/ directory" in capfd.readouterr().err
    a = _run_dir(tmp_path, "a", _results([True, False], [None, None]), 2)
    b = _run_dir(tmp_path, "b", _results([True, True], [None, None], mask_ratio=0.2), 2)
    readme.write_text("<!-- table:t -->\n<!-- /table:t -->\n")
    code = main(["tables", "--docs", str(readme), "--results", str(tmp_path / "results"), "--add", "t", f"a={a}", f"b={b}"])
    assert code != 0 and "config.mask_ratio" in capfd.readouterr().err


@pytest.mark.skipif(not (REPO / "results").is_dir(), reason="no committed results/ in this checkout")
def test_readme_tables_agree_with_the_committed_results(tmp_path) -> None:
    """The repository's own README and docs/: every marked table is what results/ give (cfdpo tables --check)."""
    shutil.copy(REPO / "README.md", tmp_path / "README.md")
    shutil.copytree(REPO / "docs", tmp_path / "docs")
    pages = [str(tmp_path / "README.md"), str(tmp_path / "docs")]
    assert main(["tables", "--docs", *pages, "--results", str(REPO / "results"), "--check"]) == 0
