"""Loading Project CodeNet-layout corpora into ``datasets``.

Layout (Project CodeNet, Puri et al. 2021)::

    ROOT/data/<problem_id>/<Language>/<submission_id>.<ext>
    ROOT/metadata/<problem_id>.csv        submission_id, language, status, ... per submission
    ROOT/derived/input_output/data/<problem_id>/{input,output}.txt   (sample test, optional)

As in the paper (Jain et al., Sec. 4), only "Accepted" submissions are kept and
each problem contributes ``train_per_problem`` (5) training and
``test_per_problem`` (2) test programs, drawn in a seeded, per-problem
deterministic order. With a compile check, programs that do not compile cleanly
under the given scorer's policy are skipped and the next candidate is taken, so
splits stay full. Unreadable, non-UTF-8 or empty files are skipped and counted
by reason, never a crash.
"""

from __future__ import annotations

import json
import logging
import random
from pathlib import Path
from typing import Any

from .codenet_files import LoadReport, check_corpus, program_path, read_problem, read_tests, sample_io

__all__ = ["LoadReport", "check_corpus", "load_codenet", "read_problem", "sample_corpus_path"]

log = logging.getLogger(__name__)


def sample_corpus_path() -> Path:
    """The bundled sample corpus (``data/sample`` of the cfdpo checkout)."""
    return Path(__file__).resolve().parents[2] / "data" / "sample"


HOLDOUTS = ("programs", "problems")


def problem_split(problem_id: str, seed: int, train_per_problem: int = 5, test_per_problem: int = 2) -> str:
    """``train`` or ``test`` for a whole problem under ``holdout="problems"``: a pure function of the seed and
    the problem id (a SHA-256 draw), with the test share of problems equal to the paper's share of programs,
    ``test / (train + test)`` (2 of 7)."""
    import hashlib

    total = train_per_problem + test_per_problem
    if total <= 0:
        return "train"
    h = int.from_bytes(hashlib.sha256(f"{seed}:{problem_id}".encode()).digest()[:8], "big")
    return "test" if h % total < test_per_problem else "train"


def load_codenet(
    root: str | Path,
    train_per_problem: int = 5,
    test_per_problem: int = 2,
    seed: int = 0,
    language: str = "C++",
    status: str = "Accepted",
    scorer: Any = None,
    splits: tuple[str, ...] = ("train", "test"),
    limit: int | None = None,
    problems: list[str] | None = None,
    workers: int | None = None,
    chunk_problems: int = 16,
    show_progress: bool = True,
    max_chars: int | None = None,
    require_tests: bool = False,
    holdout: str = "programs",
    skip: int = 0,
    validation_problems: int = 0,
) -> tuple[Any, LoadReport]:
    """Load a CodeNet-layout corpus as a ``datasets.Dataset``.

    Args:
        root: corpus root (has ``data/`` and ``metadata/``).
        train_per_problem, test_per_problem: quota per problem (paper: 5 / 2).
            Problems with fewer usable programs are dropped (counted).
        seed: seeds the per-problem shuffle (the split is a pure function of
            seed, problem id and the submission ids).
        language, status: which submissions to keep.
        scorer: a :class:`~cfdpo.scoring.CompileScorer` for the compile check,
            or None to skip it. Programs whose result is not ``good`` are skipped.
        splits: which splits to return (``train``, ``test``, ``validation``).
        limit: stop once this many rows of the requested splits are collected
            (problems are visited in sorted order; the result is a prefix of the
            unlimited result).
        problems: restrict to these problem ids.
        workers: parallel compiles for the check.
        chunk_problems: problems compile-checked together.
        show_progress: show a tqdm bar.
        max_chars: skip programs longer than this many characters (counted as ``too_long``): long
            programs make long prompts, slow to sample on a CPU and beyond small context windows.
        require_tests: skip problems without sample tests (counted as ``problem_without_tests``).
        skip: leave out the first ``skip`` rows of that order before ``limit`` (rows ``skip ... skip + limit``
            of the unlimited result): disjoint slices of one split.
        holdout: ``programs`` (the paper's split: each problem gives ``train_per_problem`` programs to train
            and ``test_per_problem`` to test, so test programs share problems with training) or
            ``problems`` (whole problems are held out: a problem is a test problem when
            :func:`problem_split` says so, and then gives all its programs, ``test_per_problem`` of them, to
            test and none to train; no problem has programs in both splits).

    Returns:
        ``(dataset, report)``; dataset columns: ``problem_id, submission_id,
        language, source, split, status, sample_input, sample_output, tests`` (``tests``: JSON list of
        ``{"input", "output"}``, see :func:`read_tests`).

    Raises:
        InputError: not a CodeNet layout (see :func:`check_corpus`).
    """
    import datasets
    from tqdm.auto import tqdm

    root = Path(root)
    data_dir = check_corpus(root)
    pids = sorted(p.name for p in data_dir.iterdir() if p.is_dir())
    if problems is not None:
        wanted = set(problems)
        pids = [p for p in pids if p in wanted]
    if holdout not in HOLDOUTS:
        raise ValueError(f"holdout must be one of {HOLDOUTS}, got {holdout!r}")
    by_problem = holdout == "problems"
    if validation_problems < 0:
        raise ValueError(f"validation_problems must be >= 0, got {validation_problems}")
    pool = [p for p in pids if problem_split(p, seed, train_per_problem, test_per_problem) == "train"] if by_problem else pids
    validation = set(pool[len(pool) - validation_problems :]) if validation_problems else set()

    def split_of(pid: str) -> str | None:
        """The split of all of ``pid``'s programs, or None under ``holdout="programs"`` (split by index)."""
        if pid in validation:
            return "validation"
        return problem_split(pid, seed, train_per_problem, test_per_problem) if by_problem else None

    # only the problems of the requested splits are visited
    pids = [p for p in pids if (split_of(p) in splits) or (split_of(p) is None and {"train", "test"} & set(splits))]

    def need_of(pid: str) -> int:
        sp = split_of(pid)
        if sp is None or (sp == "validation" and not by_problem):
            return train_per_problem + test_per_problem
        return test_per_problem if sp == "test" else train_per_problem

    report = LoadReport()
    wanted_rows = limit
    if limit is not None:
        limit += skip
    rows: list[dict[str, Any]] = []
    bar = tqdm(total=len(pids), desc="corpus", unit="problem", disable=not show_progress)
    per_problem = (train_per_problem if "train" in splits else 0) + (test_per_problem if "test" in splits else 0)
    if by_problem:
        per_problem = min([q for q, sp in ((train_per_problem, "train"), (test_per_problem, "test")) if sp in splits] or [1])
    pos = 0
    try:
        while pos < len(pids):
            size = chunk_problems
            if limit is not None and per_problem > 0:  # visit no more problems than the limit needs
                size = min(size, max(1, -(-(limit - len(rows)) // per_problem)))
            chunk = pids[pos : pos + size]
            pos += size
            bar.update(len(chunk))
            candidates: dict[str, list[dict[str, Any]]] = {}
            for pid in chunk:
                report.problems_seen += 1
                progs = read_problem(root, pid, language, status, report)
                if progs is None:
                    continue
                if require_tests and not read_tests(root, pid):
                    report.skip("problem_without_tests", data_dir / pid, pid)
                    continue
                if max_chars is not None:
                    for p in progs:
                        if len(p["source"].strip()) > max_chars:
                            report.skip("too_long", program_path(root, p), pid, f"{len(p['source'].strip())} chars")
                    progs = [p for p in progs if len(p["source"].strip()) <= max_chars]
                random.Random(f"{seed}:{pid}").shuffle(progs)
                candidates[pid] = progs
            chunk = [pid for pid in chunk if pid in candidates]
            chosen: dict[str, list[dict[str, Any]]] = {pid: [] for pid in chunk}
            cursor = {pid: 0 for pid in chunk}
            while True:  # rounds: try just enough candidates to fill every quota
                batch: list[tuple[str, dict[str, Any]]] = []
                for pid in chunk:
                    missing = need_of(pid) - len(chosen[pid])
                    take = candidates[pid][cursor[pid] : cursor[pid] + max(missing, 0)]
                    cursor[pid] += len(take)
                    batch += [(pid, p) for p in take]
                if not batch:
                    break
                if scorer is None:
                    verdicts = [None] * len(batch)
                else:
                    results = scorer.score_many([p["source"] for _, p in batch], workers=workers)
                    report.compile_checked += len(results)
                    verdicts = results
                for (pid, prog), res in zip(batch, verdicts):
                    if res is not None and not res.good:
                        report.skip(f"compile_{res.verdict.value}", program_path(root, prog), pid)
                        continue
                    chosen[pid].append(prog)
                if scorer is None:
                    break
            for pid in chunk:
                progs = chosen[pid]
                need = need_of(pid)
                if len(progs) < need:
                    report.skip("problem_too_few_programs", data_dir / pid, pid, f"{len(progs)} usable, {need} needed")
                    continue
                report.problems_kept += 1
                sample_in, sample_out = sample_io(root, pid)
                tests = json.dumps(read_tests(root, pid))
                for i, prog in enumerate(progs):
                    split = split_of(pid) or ("train" if i < train_per_problem else "test")
                    if split in splits:
                        rows.append(
                            {**prog, "split": split, "sample_input": sample_in, "sample_output": sample_out, "tests": tests}
                        )
            if limit is not None and len(rows) >= limit:
                break
    finally:
        bar.close()
    report.log_summary()
    if limit is not None:
        rows = rows[:limit]
    rows = rows[skip:] if wanted_rows is None else rows[skip : skip + wanted_rows]
    report.programs_kept = len(rows)
    features = datasets.Features(
        {
            k: datasets.Value("string")
            for k in (
                "problem_id",
                "submission_id",
                "language",
                "source",
                "split",
                "status",
                "sample_input",
                "sample_output",
                "tests",
            )
        }
    )
    if not rows:  # from_list cannot build an empty dataset with features
        return datasets.Dataset.from_dict({k: [] for k in features}, features=features), report
    return datasets.Dataset.from_list(rows, features=features), report
