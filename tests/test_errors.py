"""Bad input gets one line and an exit code, never a traceback; a failed run leaves ``--out`` as it was.

Each class of bad input runs through ``cfdpo.cli.main`` as a user would call it: the test checks the
exit code (2 usage, 1 input), that stderr holds exactly one line, ``cfdpo <command>: error: ...``,
naming the option or file, and that ``--out`` is absent afterwards (or unchanged when it existed).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cfdpo.cli import main
from cfdpo.jsonl import read_jsonl

from .conftest import REPO, SAMPLE


def _problem(root: Path, pid: str, files: dict[str, bytes], status: str = "Accepted") -> None:
    d = root / "data" / pid / "C++"
    d.mkdir(parents=True, exist_ok=True)
    for sid, data in files.items():
        (d / f"{sid}.cpp").write_bytes(data)
    (root / "metadata").mkdir(exist_ok=True)
    rows = ["submission_id,problem_id,language,status"] + [f"{s},{pid},C++,{status}" for s in files]
    (root / "metadata" / f"{pid}.csv").write_text("\n".join(rows) + "\n")


def _lines(err: str) -> list[str]:
    """stderr's lines, without tqdm's progress bars (drawn with carriage returns)."""
    return [ln for ln in re.split(r"[\r\n]", err) if ln.strip() and "%|" not in ln]


def _cli(capfd: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], str]:
    code = main(list(argv))
    out, err = capfd.readouterr()
    lines = _lines(err)
    return code, lines, out


def _one_error(capfd: pytest.CaptureFixture[str], want_code: int, want: str, *argv: str) -> str:
    code, lines, _ = _cli(capfd, *argv)
    assert code == want_code, lines
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"cfdpo {argv[0]}: error: "), lines
    assert want in lines[0], lines
    assert "Traceback" not in lines[0]
    return lines[0]


@pytest.fixture(autouse=True)
def _quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CFDPO_LOG", "WARNING")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.mark.parametrize(
    "argv, want",
    [
        (["--mask_ratio", "0"], "--mask_ratio must be in (0, 1), got 0"),
        (["--mask_ratio", "1.5"], "--mask_ratio must be in (0, 1), got 1.5"),
        (["--mask_ratio", "-1"], "--mask_ratio must be in (0, 1), got -1"),
        (["--mask_mode", "foo"], "--mask_mode must be one of chars, lines, got 'foo'"),
        (["--limit", "0"], "--limit must be >= 1, got 0"),
        (["--limit", "-3"], "--limit must be >= 1, got -3"),
        (["--split", "foo"], "--split must be one of train, test, validation, got 'foo'"),
        (["--prompt_format", "xml"], "--prompt_format must be one of raw, chat"),
        (["--shard", "3/2"], "--shard"),
        (["--long_prompts", "drop"], "--long_prompts must be one of truncate, skip"),
        (["--no_such_option", "1"], "unknown option(s) --no_such_option 1"),
        (["--limit", "x"], "--limit: invalid int value"),
        (["--executor", "dask"], "--executor must be one of local, ray, got 'dask'"),
        (["--ray_address", "auto"], "--ray_address needs --executor ray"),
        (["--executor", "ray", "--ray_generators", "0"], "--ray_generators must be >= 1, got 0"),
    ],
)
def test_bad_options_are_refused_before_any_work(capfd, tmp_path, argv, want) -> None:
    out = tmp_path / "out"
    _one_error(capfd, 2, want, "evaluate", "--out", str(out), *argv)
    assert not out.exists()


@pytest.mark.parametrize("command", ["data", "build-prefs", "pipeline"])
def test_every_corpus_command_checks_the_mask_ratio(capfd, tmp_path, command) -> None:
    _one_error(
        capfd,
        2,
        "--mask_ratio must be in (0, 1)" if command != "pipeline" else "--top_p must be in (0, 1]",
        command,
        "--out",
        str(tmp_path / "o"),
        *(["--mask_ratio", "0"] if command != "pipeline" else ["--top_p", "0"]),
    )
    assert not (tmp_path / "o").exists()


def test_config_file_errors_name_the_file_line_and_key(capfd, tmp_path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("limit: 4\nmask_ratio: [0.1\n")
    line = _one_error(capfd, 2, f"{bad}:3:1: YAML syntax error", "evaluate", "--config", str(bad))
    assert "expected" in line
    rng = tmp_path / "range.yaml"
    rng.write_text("mask_ratio: 0\n")
    _one_error(
        capfd, 2, f"{rng}: mask_ratio must be in (0, 1), got 0", "evaluate", "--config", str(rng), "--out", str(tmp_path / "o")
    )
    # a flag overrides the file: the message names the flag
    _one_error(
        capfd,
        2,
        "--mask_ratio must be in (0, 1), got 2",
        "evaluate",
        "--config",
        str(rng),
        "--mask_ratio",
        "2",
        "--out",
        str(tmp_path / "o"),
    )
    unk = tmp_path / "unk.yaml"
    unk.write_text("mask_ration: 0.1\n")
    _one_error(capfd, 2, f"{unk}: unknown key(s) mask_ration", "evaluate", "--config", str(unk))
    _one_error(capfd, 2, "--config nope.yaml: no such file", "evaluate", "--config", "nope.yaml")
    lr = tmp_path / "lr.yaml"
    lr.write_text("learning_rate: -1\n")
    _one_error(capfd, 2, f"{lr}: learning_rate must be > 0", "sft", "--config", str(lr), "--output_dir", str(tmp_path / "o"))
    assert not (tmp_path / "o").exists()


def test_models_that_cannot_be_had_say_why(capfd, tmp_path) -> None:
    out = tmp_path / "out"
    _one_error(
        capfd,
        1,
        f"--model {tmp_path}/missing: no such directory",
        "evaluate",
        "--model",
        f"{tmp_path}/missing",
        "--out",
        str(out),
    )
    (tmp_path / "notamodel").mkdir()
    _one_error(
        capfd, 1, "not a model directory (no config.json)", "evaluate", "--model", str(tmp_path / "notamodel"), "--out", str(out)
    )
    t0 = time.time()
    _one_error(
        capfd,
        1,
        "not in the local hub cache (HF_HUB_OFFLINE is set)",
        "evaluate",
        "--model",
        "some-org/some-model-that-is-not-cached",
        "--out",
        str(out),
    )
    assert time.time() - t0 < 5  # no retries against an unreachable hub
    _one_error(
        capfd, 1, f"--adapter {tmp_path}/none: no such directory", "evaluate", "--adapter", f"{tmp_path}/none", "--out", str(out)
    )
    _one_error(
        capfd,
        1,
        "--model_name_or_path /no/such/model: no such directory",
        "dpo",
        "--model_name_or_path",
        "/no/such/model",
        "--train_file",
        "x.jsonl",
        "--output_dir",
        str(out),
    )
    assert not out.exists()


def test_train_files_empty_malformed_or_missing_columns(capfd, tmp_path) -> None:
    out = tmp_path / "adapter"
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    _one_error(capfd, 1, f"{empty}: no rows", "dpo", "--train_file", str(empty), "--output_dir", str(out))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "a", "chosen": "b", "rejected": "c"}\n{"prompt": "a", chosen\n')
    _one_error(capfd, 1, f"{bad}:2: not valid JSON", "dpo", "--train_file", str(bad), "--output_dir", str(out))
    miss = tmp_path / "miss.jsonl"
    miss.write_text('{"prompt": "a", "chosen": "b"}\n')
    _one_error(capfd, 1, f"{miss}:1: missing field(s) rejected", "dpo", "--train_file", str(miss), "--output_dir", str(out))
    _one_error(capfd, 1, "--train_file nope.jsonl: no such file", "dpo", "--train_file", "nope.jsonl", "--output_dir", str(out))
    assert not out.exists()


def test_corpora_without_programs(capfd, tmp_path) -> None:
    out = tmp_path / "out"
    nometa = tmp_path / "nometa"
    (nometa / "data" / "p1" / "C++").mkdir(parents=True)
    (nometa / "data" / "p1" / "C++" / "s1.cpp").write_text("int main() {}\n")
    _one_error(capfd, 1, f"--data {nometa}: no metadata/<problem_id>.csv", "data", "--data", str(nometa), "--out", str(out))
    (tmp_path / "emptydata" / "data").mkdir(parents=True)
    _one_error(capfd, 1, "data/ holds no problem directories", "data", "--data", str(tmp_path / "emptydata"), "--out", str(out))
    _one_error(capfd, 1, "no such directory", "data", "--data", str(tmp_path / "nope"), "--out", str(out))
    # every program filtered out: the message says which filter removed what
    line = _one_error(
        capfd,
        1,
        "no programs left for split test",
        "data",
        "--data",
        str(SAMPLE),
        "--max_program_chars",
        "10",
        "--compile_check",
        "false",
        "--out",
        str(out),
    )
    assert "too_long" in line and "problem_too_few_programs" in line
    assert not out.exists()


def test_a_failed_run_does_not_trap_the_corrected_one(capfd, tmp_path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    _one_error(
        capfd,
        1,
        "no programs left",
        "data",
        "--data",
        str(SAMPLE),
        "--max_program_chars",
        "10",
        "--compile_check",
        "false",
        "--out",
        str(out),
    )
    assert sorted(os.listdir(out)) == ["notes.txt"]  # unchanged
    code, lines, _ = _cli(capfd, "data", "--data", str(SAMPLE), "--limit", "3", "--compile_check", "false", "--out", str(out))
    assert code == 0, lines
    assert len(read_jsonl(out / "prompts.jsonl")) == 3


def test_env_help_shows_help(capfd) -> None:
    code, _, stdout = _cli(capfd, "env", "--help")
    assert code == 0 and "usage: cfdpo env" in stdout and "packages" not in stdout
    _one_error(capfd, 2, "unrecognized arguments: --bogus", "env", "--bogus")


def test_debug_shows_the_traceback(capfd, tmp_path) -> None:
    with pytest.raises(ValueError, match="mask_ratio"):
        main(["evaluate", "--debug", "--mask_ratio", "0", "--out", str(tmp_path / "o")])


def test_skipped_files_are_listed_with_reasons_and_warned_once_per_kind(capfd, tmp_path, caplog) -> None:
    corpus = tmp_path / "corpus"
    good = b'#include <cstdio>\nint main() { int a = 1; printf("%d\\n", a); return 0; }\n'
    for i in range(3):
        _problem(corpus, f"p{i}", {"s1": good, "s2": good + b"// 2\n", "s3": b"int main() { \xff }\n", "s4": b"  \n"})
    out = tmp_path / "out"
    caplog.set_level("INFO")
    code, _, _ = _cli(
        capfd,
        "data",
        "--data",
        str(corpus),
        "--train_per_problem",
        "1",
        "--test_per_problem",
        "1",
        "--compile_check",
        "false",
        "--out",
        str(out),
    )
    assert code == 0
    skipped = read_jsonl(out / "skipped.jsonl")
    reasons = sorted(r["reason"] for r in skipped)
    assert reasons == ["empty"] * 3 + ["non_utf8"] * 3
    assert all(r["path"].endswith(".cpp") for r in skipped)
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING" and "skipped" in r.getMessage()]
    assert len(warned) == 2, warned  # one line per kind, not one per file
    assert any("skipped 3: non_utf8" in w for w in warned)


# ------------------------------------------------------------------------------------- interrupts
def _default_sigint() -> None:
    # a test run started in the background by a script inherits SIGINT ignored (POSIX shells without job
    # control do that), and Python then never raises KeyboardInterrupt: give the child the default
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _cfdpo(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "cfdpo.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
        preexec_fn=_default_sigint,
    )


def _cfdpo_dirs(tmp: Path) -> list[str]:
    return [str(p) for p in tmp.rglob("cfdpo-*")]


def test_a_sigkilled_compile_check_leaves_no_temp_dir_after_the_next_run(tmp_path) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp), "CFDPO_LOG": "WARNING", "CFDPO_CACHE": str(tmp_path / "cache")}
    args = [
        "data",
        "--data",
        str(SAMPLE),
        "--out",
        str(tmp_path / "a"),
        "--no_compile_cache",
        "true",
        "--no_pch",
        "true",
        "--workers",
        "2",
    ]
    proc = _cfdpo(args, env)
    deadline = time.time() + 120
    while time.time() < deadline and not any("cfdpo-gxx-" in d for d in _cfdpo_dirs(tmp)):
        time.sleep(0.02)
    assert any("cfdpo-gxx-" in d for d in _cfdpo_dirs(tmp)), "the kill should land while g++ runs"
    proc.kill()
    proc.wait()
    assert _cfdpo_dirs(tmp), "a SIGKILLed run cannot clean up after itself"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "cfdpo.cli",
            "data",
            "--data",
            str(SAMPLE),
            "--limit",
            "2",
            "--compile_check",
            "false",
            "--out",
            str(tmp_path / "b"),
        ],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert _cfdpo_dirs(tmp) == []


def test_sigterm_ends_with_one_line_exit_143_and_no_temp_dir(tmp_path) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp), "CFDPO_LOG": "WARNING", "CFDPO_CACHE": str(tmp_path / "cache")}
    proc = _cfdpo(
        ["data", "--data", str(SAMPLE), "--out", str(tmp_path / "a"), "--no_compile_cache", "true", "--no_pch", "true"], env
    )
    deadline = time.time() + 120
    while time.time() < deadline and not any("cfdpo-gxx-" in d for d in _cfdpo_dirs(tmp)):
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err[-2000:]
    lines = _lines(err)
    assert lines == ["cfdpo data: interrupted; run the same command again to resume"], lines
    assert _cfdpo_dirs(tmp) == []


@pytest.mark.slow
def test_sigint_during_evaluate_then_resume_gives_identical_rows(tiny_model_dir, tmp_path) -> None:
    env = {**os.environ, "CFDPO_LOG": "WARNING"}
    common = [
        "evaluate",
        "--model",
        str(tiny_model_dir),
        "--data",
        str(SAMPLE),
        "--limit",
        "12",
        "--batch_size",
        "2",
        "--max_new_tokens",
        "24",
        "--compile_check",
        "false",
        "--compile_mode",
        "syntax",
        "--threads",
        "1",
    ]
    ref = subprocess.run(
        [sys.executable, "-m", "cfdpo.cli", *common, "--out", str(tmp_path / "ref")],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert ref.returncode == 0, ref.stderr[-2000:]
    run = tmp_path / "run"
    proc = _cfdpo([*common, "--out", str(run)], env)
    samples = run / "samples.jsonl"
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        if samples.is_file() and samples.read_text().count("\n") >= 2:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err[-2000:]
    assert _lines(err) == ["cfdpo evaluate: interrupted; run the same command again to resume"]
    n = samples.read_text().count("\n")
    assert 2 <= n < 12 and samples.read_text().endswith("\n"), "whole batches only"
    again = subprocess.run(
        [sys.executable, "-m", "cfdpo.cli", *common, "--out", str(run)],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert again.returncode == 0, again.stderr[-2000:]

    def strip(rows: list[dict]) -> list[dict]:
        return [{k: v for k, v in r.items() if k != "compile_ms"} for r in rows]

    assert strip(read_jsonl(samples)) == strip(read_jsonl(tmp_path / "ref" / "samples.jsonl"))
    got = json.loads((run / "results.json").read_text())
    assert got["n"] == 12 and got["compile_rate"] == json.loads((tmp_path / "ref" / "results.json").read_text())["compile_rate"]


def test_a_library_warning_repeated_per_row_is_shown_once() -> None:
    import logging

    from cfdpo.cli import _OncePerKind

    f = _OncePerKind()

    def rec(name: str, msg: str, level: int = logging.WARNING) -> logging.LogRecord:
        return logging.LogRecord(name, level, __file__, 1, msg, None, None)

    per_row = [
        rec(
            "trl.trainer.sft_trainer",
            f"The tokenized prompt is not a prefix of the tokenized prompt+completion, usually because ... left out: {x!r}",
        )
        for x in ("\n", " <", ")")
    ]
    assert [f.filter(r) for r in per_row] == [True, False, False]
    assert f.filter(rec("trl.trainer.dpo_trainer", "another warning"))
    assert all(f.filter(rec("cfdpo.corpus.codenet", "skipped 3: empty (a, b, c)")) for _ in range(2))  # ours: always
    assert all(f.filter(rec("trl.x", "boom", logging.ERROR)) for _ in range(2))


def _write_many(path: str, n: int) -> None:
    from cfdpo.jsonl import write_jsonl
    from cfdpo.runinfo import write_json

    for i in range(n):
        write_json(path + ".json", {"i": i, "pid": os.getpid()})
        write_jsonl(path + ".jsonl", [{"i": i}])


def test_two_processes_writing_one_record_never_rename_each_others_temp_file(tmp_path) -> None:
    """The ranks of a distributed run write the same run records (prompts.jsonl, run_config.json); with one
    shared temp name, one rank's rename found the file already renamed by the other (FileNotFoundError)."""
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_write_many, args=(str(tmp_path / "record"), 400)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0, 0]
    assert json.loads((tmp_path / "record.json").read_text())["i"] == 399
    assert sorted(os.listdir(tmp_path)) == ["record.json", "record.jsonl"]


def test_one_pairs_option_and_the_old_spellings_say_what_to_write(capfd, tmp_path) -> None:
    from cfdpo.stages.model_configs import pair_policy

    assert pair_policy(None, run_tests=False) == "paper" and pair_policy(None, run_tests=True) == "graded"
    assert pair_policy(None, run_tests=False, chosen="best") == "graded"
    assert pair_policy("paper", run_tests=True) == "paper"  # explicit: the paper's pairs even with tests
    _one_error(capfd, 2, "--graded is now --pairs graded", "build-prefs", "--out", str(tmp_path / "o"), "--graded", "true")
    _one_error(capfd, 2, "--synthetic_negatives is now --pairs graded+synthetic", "build-prefs", "--synthetic_negatives", "true")
    _one_error(capfd, 2, "--chosen best needs graded pairs", "build-prefs", "--pairs", "paper", "--chosen", "best")
    _one_error(capfd, 2, "--pairs must be one of paper, graded, graded+synthetic", "loop", "--pairs", "ranked")
    assert not (tmp_path / "o").exists()
