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

import csv
import json
import logging
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["LoadReport", "check_corpus", "load_codenet", "read_problem", "sample_corpus_path"]

log = logging.getLogger(__name__)

_LANG_EXT = {"C++": (".cpp", ".cc", ".cxx", ".c++"), "C": (".c",)}


def sample_corpus_path() -> Path:
    """The bundled sample corpus (``data/sample`` of the cfdpo checkout)."""
    return Path(__file__).resolve().parents[2] / "data" / "sample"


@dataclass
class LoadReport:
    """Counts from loading a corpus.

    Attributes:
        problems_seen: problem directories visited.
        problems_kept: problems that filled their train + test quota.
        programs_kept: rows returned (all splits).
        skipped: programs skipped, by reason (``not_accepted``, ``not_in_metadata``,
            ``missing_file``, ``non_utf8``, ``empty``, ``unreadable``, ``compile_<verdict>``),
            and problems dropped (``problem_no_metadata``, ``problem_bad_metadata``,
            ``problem_too_few_programs``).
        compile_checked: compiles run by the compile check.
    """

    problems_seen: int = 0
    problems_kept: int = 0
    programs_kept: int = 0
    compile_checked: int = 0
    skipped: Counter = field(default_factory=Counter)
    #: one row per skipped file or problem: ``{"reason", "path", "problem_id", "detail"}``
    skipped_files: list[dict[str, Any]] = field(default_factory=list)

    def skip(
        self, reason: str, path: Path | str | None, problem_id: str | None = None, detail: str | None = None, count: int = 1
    ) -> None:
        """Count a skipped program (or problem) and keep its path and reason for ``skipped.jsonl``."""
        self.skipped[reason] += count
        self.skipped_files.append(
            {"stage": "corpus", "reason": reason, "path": str(path) if path else None, "problem_id": problem_id, "detail": detail}
        )

    def log_summary(self, first: int = 3) -> None:
        """One log line per kind of problem, with its count and the first few files.

        Input problems (unreadable, non-UTF-8, empty or unlisted files, bad metadata) are warnings;
        the paper's filters (not accepted, too long, failed compile check, too few programs) are info.
        """
        by_reason: dict[str, list[str]] = {}
        for row in self.skipped_files:
            by_reason.setdefault(row["reason"], []).append(row["path"] or row["problem_id"] or "?")
        for reason, paths in sorted(by_reason.items()):
            level = logging.WARNING if reason in INPUT_PROBLEMS else logging.INFO
            more = f", ... ({len(paths) - first} more)" if len(paths) > first else ""
            log.log(level, "skipped %d: %s (%s%s)", self.skipped[reason], reason, ", ".join(paths[:first]), more)

    def to_dict(self) -> dict[str, Any]:
        return {
            "problems_seen": self.problems_seen,
            "problems_kept": self.problems_kept,
            "programs_kept": self.programs_kept,
            "compile_checked": self.compile_checked,
            "skipped": dict(sorted(self.skipped.items())),
        }


#: skip reasons that are problems with the input (warned about); the others are the paper's filters
INPUT_PROBLEMS = frozenset(
    {"problem_no_metadata", "problem_bad_metadata", "missing_file", "non_utf8", "empty", "unreadable", "not_in_metadata"}
)


def check_corpus(root: str | Path) -> Path:
    """Check the CodeNet layout before any work; returns ``root/data``.

    Raises:
        InputError: no such directory, no ``data/``, no problem directories in it, or no
            ``metadata/*.csv`` (each names the path and what the layout needs).
    """
    from ..errors import InputError

    root = Path(root)
    if not root.is_dir():
        raise InputError(f"--data {root}: no such directory")
    data_dir = root / "data"
    if not data_dir.is_dir():
        raise InputError(
            f"--data {root}: not a CodeNet-layout corpus (no data/ directory; expected "
            "data/<problem_id>/C++/<submission_id>.cpp and metadata/<problem_id>.csv)"
        )
    if not any(p.is_dir() for p in data_dir.iterdir()):
        raise InputError(f"--data {root}: data/ holds no problem directories")
    meta = root / "metadata"
    if not meta.is_dir() or not any(meta.glob("*.csv")):
        raise InputError(
            f"--data {root}: no metadata/<problem_id>.csv files (CodeNet layout: they give each "
            "submission's status, and only Accepted ones are used)"
        )
    return data_dir


def _program_path(root: Path, prog: dict[str, Any]) -> str:
    return str(root / "data" / prog["problem_id"] / prog.get("language", "C++") / prog["submission_id"])


def _read_text(path: Path) -> str:
    with open(path, "rb") as f:
        return f.read().decode("utf-8")


def read_problem(root: Path, pid: str, language: str, status: str, report: LoadReport) -> list[dict[str, Any]] | None:
    """Accepted, readable submissions of one problem, sorted by submission id.

    Files that cannot be used are counted in ``report.skipped``; a problem whose
    metadata is missing or unusable is counted and gives ``None``.
    """
    meta_path = root / "metadata" / f"{pid}.csv"
    if not meta_path.is_file():
        report.skip("problem_no_metadata", meta_path, pid)
        return None
    try:
        with open(meta_path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        if rows and not {"submission_id", "status"} <= set(rows[0]):
            raise ValueError("needs columns submission_id and status")
    except (OSError, UnicodeDecodeError, ValueError, csv.Error) as e:
        report.skip("problem_bad_metadata", meta_path, pid, str(e))
        return None
    meta = {r["submission_id"]: r for r in rows}
    lang_dir = root / "data" / pid / language
    exts = _LANG_EXT.get(language, ("",))
    files = {p.stem: p for p in sorted(lang_dir.glob("*")) if p.is_file() and p.suffix in exts} if lang_dir.is_dir() else {}
    out: list[dict[str, Any]] = []
    for sid, row in sorted(meta.items()):
        if row.get("language", language) != language:
            continue
        if (row.get("status") or "").strip() != status:
            if sid in files:
                report.skip("not_accepted", files[sid], pid)
            continue
        path = files.get(sid)
        if path is None:
            report.skip("missing_file", lang_dir / f"{sid}{exts[0]}", pid)
            continue
        try:
            src = _read_text(path)
        except UnicodeDecodeError:
            report.skip("non_utf8", path, pid)
            continue
        except OSError as e:
            report.skip("unreadable", path, pid, str(e))
            continue
        if not src.strip() or len(src.strip()) < 2:
            report.skip("empty", path, pid)
            continue
        out.append({"problem_id": pid, "submission_id": sid, "language": language, "source": src, "status": status})
    for sid, fpath in files.items():
        if sid not in meta:
            report.skip("not_in_metadata", fpath, pid)
    return out


def _sample_io(root: Path, pid: str) -> tuple[str | None, str | None]:
    d = root / "derived" / "input_output" / "data" / pid
    try:
        return _read_text(d / "input.txt"), _read_text(d / "output.txt")
    except (OSError, UnicodeDecodeError):
        return None, None


def read_tests(root: str | Path, pid: str) -> list[dict[str, str]]:
    """All sample tests of a problem: ``input.txt``/``output.txt`` (CodeNet's derived/input_output) and
    any further cases ``input.<k>.txt``/``output.<k>.txt`` beside them, as ``[{"input", "output"}]``.

    Cases that cannot be read (missing partner, not UTF-8) are skipped with a warning naming the file.
    """
    d = Path(root) / "derived" / "input_output" / "data" / pid
    if not d.is_dir():
        return []
    names = ["input.txt"] + sorted((p.name for p in d.glob("input.*.txt")), key=lambda n: (len(n), n))
    cases: list[dict[str, str]] = []
    for name in names:
        out_name = "output" + name[len("input") :]
        try:
            cases.append({"input": _read_text(d / name), "output": _read_text(d / out_name)})
        except FileNotFoundError:
            if name != "input.txt":
                log.warning("%s: no %s beside it; test skipped", d / name, out_name)
        except (OSError, UnicodeDecodeError) as e:
            log.warning("%s: unreadable test (%s); skipped", d / name, e)
    return cases


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
                            report.skip("too_long", _program_path(root, p), pid, f"{len(p['source'].strip())} chars")
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
                        report.skip(f"compile_{res.verdict.value}", _program_path(root, prog), pid)
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
                sample_in, sample_out = _sample_io(root, pid)
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
