"""Generation, evaluate and build-prefs end to end with a tiny model built from a config."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cfdpo.jsonl import read_jsonl
from cfdpo.stages.build_prefs import BuildPrefsArguments
from cfdpo.stages.build_prefs import run as build_prefs
from cfdpo.stages.evaluate import EvaluateArguments
from cfdpo.stages.evaluate import run as evaluate

from .conftest import SAMPLE

FAST = dict(compile_check=False, compile_mode="syntax", threads=1, batch_size=2)


def prefs_args(model: Path, out: Path, **kw) -> BuildPrefsArguments:
    base = dict(
        model=str(model), out=str(out), data=str(SAMPLE), limit=6, num_samples=2, min_edit_distance=1, max_new_tokens=24, **FAST
    )
    base.update(kw)
    return BuildPrefsArguments(**base)


def test_generate_completions_shapes_and_determinism(tiny_model_dir):
    from cfdpo.generation.backend import generate_completions
    from cfdpo.generation.decoding import DecodingConfig
    from cfdpo.generation.models import load_model

    model, tok = load_model(str(tiny_model_dir), device="cpu")
    prompts = ["int main() {\n  int x = ", "#include <cstdio>\nint main() { puts("]
    dec = DecodingConfig(do_sample=True, temperature=1.0, num_samples=3, max_new_tokens=12, seed=5)
    a = generate_completions(model, tok, prompts, None, dec, "raw", seed_key="k")
    b = generate_completions(model, tok, prompts, None, dec, "raw", seed_key="k")
    c = generate_completions(model, tok, prompts, None, dec, "raw", seed_key="other")
    assert len(a) == 2 and all(len(x) == 3 for x in a)
    assert a == b and a != c
    greedy = DecodingConfig(max_new_tokens=12)
    g1 = generate_completions(model, tok, prompts, ["; }", "); }"], greedy, "chat", seed_key="k")
    assert len(g1) == 2 and len(g1[0]) == 1
    with pytest.raises(ValueError, match="greedy"):
        DecodingConfig(num_samples=2)


def test_a_third_backend_plugs_in_through_the_generator_protocol(tiny_model_dir, tmp_path, monkeypatch):
    """Anything with ``complete`` (and ``backend``, ``tokenizer``, ``config``) generates wherever a model does:
    it gets the rendered texts, per-prompt budgets and stop rules, and evaluate's rows carry what it wrote."""
    from cfdpo.generation.backend import Generator, as_generator, generate_completions
    from cfdpo.generation.decoding import DecodingConfig
    from cfdpo.generation.models import load_model
    from cfdpo.generation.transformers_backend import TransformersGenerator

    model, tok = load_model(str(tiny_model_dir), device="cpu")
    calls: list[tuple[list[str], list[int], bool]] = []

    class Echo:
        backend = "echo"
        tokenizer = tok
        config = model.config

        def complete(self, texts, budgets, decoding, stops, seed_key=""):
            calls.append((list(texts), list(budgets), stops is not None))
            return [[" 0; }"] * decoding.num_samples for _ in texts]

    echo = Echo()
    assert isinstance(echo, Generator) and as_generator(echo, tok) is echo
    assert isinstance(as_generator(model, tok), TransformersGenerator)  # a transformers model is wrapped
    dec = DecodingConfig(max_new_tokens=7)
    out = generate_completions(echo, tok, ["int main() { return", "int f() { return"], None, dec, "raw")
    assert out == [[" 0; }"], [" 0; }"]] and calls == [(["int main() { return", "int f() { return"], [7, 7], True)]

    args = EvaluateArguments(model=str(tiny_model_dir), out=str(tmp_path / "ev"), data=str(SAMPLE), limit=2, **FAST)
    monkeypatch.setattr("cfdpo.stages.evaluate.load_generator", lambda a, sampling=False: (echo, tok))
    evaluate(args)
    rows = read_jsonl(tmp_path / "ev" / "samples.jsonl")
    assert len(rows) == 2 and all(r["raw_completion"] == " 0; }" for r in rows) and len(calls) == 2


def test_evaluate_end_to_end(tiny_model_dir, tmp_path):
    args = EvaluateArguments(
        model=str(tiny_model_dir),
        out=str(tmp_path / "ev"),
        data=str(SAMPLE),
        limit=4,
        compile_check=True,
        compile_mode="link",
        threads=1,
        batch_size=2,
        max_new_tokens=16,
    )
    res = evaluate(args)
    saved = json.loads((tmp_path / "ev" / "results.json").read_text())
    assert saved["n"] == 4 == res["n"]
    assert sum(saved["verdicts"].values()) == 4
    assert saved["compile_rate"] == saved["compiled"] / 4
    assert saved["scorer"]["warnings"] == "error" and saved["scorer"]["compiler_version"].startswith("g++")
    assert saved["config"]["mask_ratio"] == 0.1 and saved["seed"] == 0
    assert saved["environment"]["packages"]["torch"] and "cleanup_policy" in saved
    rows = read_jsonl(tmp_path / "ev" / "samples.jsonl")
    assert len(rows) == 4
    # per-program verdicts for paired tests, the Wilson interval, and the guards against a gamed judge
    assert saved["per_program"] == {r["prompt_id"]: {"good": r["good"], "passed": None} for r in rows}
    lo, hi = saved["compile_rate_ci"]
    assert 0 <= lo <= saved["compile_rate"] <= hi <= 1 and hi - lo > 0.3  # n = 4: a wide interval
    assert saved["guards"]["completion_chars_mean"] == round(sum(len(r["completion"]) for r in rows) / 4, 1)
    assert 0 <= saved["guards"]["edit_similarity_mean"] <= 1
    from cfdpo.corpus.prompts import clean_completion
    from cfdpo.scoring import CompileScorer

    judge = CompileScorer(mode="link", pch=False, fast_link=False)
    for r in rows:  # each row is its raw text cleaned, judged by g++ anew to the same verdict
        assert (r["completion"], r["cleanup"]) == tuple(clean_completion(r["prompt"], r["raw_completion"], "raw"))
        again = judge.score(r["prompt"] + r["completion"])
        assert r["verdict"] == again.verdict.value and r["good"] == again.good
        assert [d["message"] for d in r["diagnostics"]] == [d.message for d in again.diagnostics]
    prompts = read_jsonl(tmp_path / "ev" / "prompts.jsonl")
    for p in prompts:  # the masked prompt plus its reference is the whole program
        src = (SAMPLE / "data" / p["problem_id"] / "C++" / f"{p['submission_id']}.cpp").read_text()
        assert p["prompt"] + p["reference_completion"] == src.strip()


def test_build_prefs_end_to_end(tiny_model_dir, tmp_path):
    summary = build_prefs(prefs_args(tiny_model_dir, tmp_path / "p"))
    samples = read_jsonl(tmp_path / "p" / "samples.jsonl")
    prefs = read_jsonl(tmp_path / "p" / "preferences.jsonl")
    prompts = {p["id"]: p for p in read_jsonl(tmp_path / "p" / "prompts.jsonl")}
    assert len(samples) == 12 and len(prompts) == 6
    assert summary["pairs_kept"] == len(prefs) > 0  # a random tiny model writes broken code
    for r in prefs:
        p = prompts[r["prompt_id"]]
        assert r["prompt"] == p["prompt"] and r["chosen"] == p["reference_completion"]
        assert r["rejected_verdict"] != "ok" and r["edit_distance"] >= 1
        assert set(r) >= {"prompt", "chosen", "rejected", "edit_distance", "rejected_verdict", "id"}
    import datasets

    ds = datasets.load_dataset("json", data_files=str(tmp_path / "p" / "preferences.jsonl"), split="train")
    assert ds.column_names[:3] == ["id", "prompt_id", "problem_id"] and len(ds) == len(prefs)


def test_run_tests_graded_and_synthetic_end_to_end(tiny_model_dir, tmp_path):
    """--run_tests executes the (sandboxed) samples; graded pairs and synthetic negatives land in the dataset."""
    out = tmp_path / "g"
    summary = build_prefs(
        prefs_args(tiny_model_dir, out, run_tests=True, pairs="graded+synthetic", compile_mode="link", time_limit_s=1)
    )
    samples = read_jsonl(out / "samples.jsonl")
    prefs = read_jsonl(out / "preferences.jsonl")
    synth = read_jsonl(out / "synthetic.jsonl")
    assert all("exec_verdict" in r and r["tests_total"] >= 1 for r in samples)
    assert summary["samples_summary"]["n_with_tests"] == len(samples)
    assert sum(summary["samples_summary"]["exec_verdicts"].values()) == len(samples)
    assert summary["graded"] and summary["execution"]["isolation"] in ("bwrap", "rlimits")
    assert synth and summary["synthetic"]["kept"] == len(synth)
    assert {r["rejected_source"].split(":")[0] for r in prefs} >= {"synthetic"}
    assert all(r["chosen_rank"] > r["rejected_rank"] and r["edit_distance"] >= 1 for r in prefs)

    ev = evaluate(
        EvaluateArguments(
            model=str(tiny_model_dir),
            out=str(tmp_path / "ev"),
            data=str(SAMPLE),
            limit=2,
            run_tests=True,
            max_new_tokens=8,
            **FAST,
        )
    )
    assert ev["task"] == "compile_rate+pass@1" and ev["n_with_tests"] == 2
    ev_rows = read_jsonl(tmp_path / "ev" / "samples.jsonl")
    assert ev["pass_at_1"] == sum(bool(r["passed"]) and r["good"] for r in ev_rows) / 2
    assert all(r["passed"] is False for r in ev_rows if not r["good"])  # a failed compile never passes
    assert ev["execution"]["time_limit_s"] == 2.0


def _strip_timing(rows):
    return [{k: v for k, v in r.items() if k != "compile_ms"} for r in rows]


def test_resume_after_a_kill_loses_and_duplicates_nothing(tiny_model_dir, tmp_path):
    ref = tmp_path / "ref"
    build_prefs(prefs_args(tiny_model_dir, ref))
    run = tmp_path / "killed"
    cmd = [
        sys.executable,
        "-m",
        "cfdpo.cli",
        "build-prefs",
        "--model",
        str(tiny_model_dir),
        "--out",
        str(run),
        "--data",
        str(SAMPLE),
        "--limit",
        "6",
        "--num_samples",
        "2",
        "--min_edit_distance",
        "1",
        "--max_new_tokens",
        "24",
        "--compile_check",
        "false",
        "--compile_mode",
        "syntax",
        "--threads",
        "1",
        "--batch_size",
        "2",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    samples = run / "samples.jsonl"
    deadline = time.time() + 240
    while time.time() < deadline and proc.poll() is None:
        if samples.is_file() and samples.read_text().count("\n") >= 2:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    n_before = samples.read_text().count("\n")
    assert 2 <= n_before < 12, "the kill should land mid-run"
    with open(samples, "a") as f:
        f.write('{"id": "torn')  # as if the kill had cut a write in half
    build_prefs(prefs_args(tiny_model_dir, run))
    got = read_jsonl(samples)
    assert [r["id"] for r in got] == [r["id"] for r in read_jsonl(ref / "samples.jsonl")]
    assert _strip_timing(got) == _strip_timing(read_jsonl(ref / "samples.jsonl"))
    assert read_jsonl(run / "preferences.jsonl") == read_jsonl(ref / "preferences.jsonl")


def test_shards_concatenate_to_the_unsharded_run(tiny_model_dir, tmp_path):
    ref = tmp_path / "all"
    build_prefs(prefs_args(tiny_model_dir, ref))
    parts = []
    for i in range(2):
        out = tmp_path / f"shard{i}"
        build_prefs(prefs_args(tiny_model_dir, out, shard=f"{i}/2"))
        parts += read_jsonl(out / "preferences.jsonl")
    assert parts == read_jsonl(ref / "preferences.jsonl")


def test_resume_with_other_arguments_is_refused(tiny_model_dir, tmp_path):
    build_prefs(prefs_args(tiny_model_dir, tmp_path / "r", limit=2))
    with pytest.raises(ValueError, match="differs in: temperature"):
        build_prefs(prefs_args(tiny_model_dir, tmp_path / "r", limit=2, temperature=0.5))


def test_cli_help_lists_commands_without_importing_torch():
    out = subprocess.run([sys.executable, "-m", "cfdpo.cli", "--help"], capture_output=True, text=True, check=True)
    assert "build-prefs" in out.stdout and "evaluate" in out.stdout
    assert (
        "torch"
        not in subprocess.run(
            [sys.executable, "-c", "import sys, cfdpo.cli; print(' '.join(sys.modules))"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    )


def test_cli_score(tmp_path):
    a = tmp_path / "a.cpp"
    a.write_text("int main() { return 0; }\n")
    b = tmp_path / "b.cpp"
    b.write_text("int main() { return 0 }\n")
    out = subprocess.run(
        [sys.executable, "-m", "cfdpo.cli", "score", "--json", "--compile-mode", "syntax", str(a), str(b)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 3
    rows = [json.loads(x) for x in out.stdout.splitlines()]
    assert [r["verdict"] for r in rows] == ["ok", "error"]
    assert rows[1]["diagnostics"][0]["line"] == 1
