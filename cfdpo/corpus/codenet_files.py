"""Reading a Project CodeNet-layout corpus (Puri et al. 2021): its layout check, one problem's accepted
submissions with their metadata, and its sample tests; every file skipped is counted by reason
(:class:`LoadReport`), never a crash."""

from __future__ import annotations

import csv
import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["INPUT_PROBLEMS", "LoadReport", "check_corpus", "program_path", "read_problem", "read_tests", "sample_io"]

log = logging.getLogger(__name__)


_LANG_EXT = {"C++": (".cpp", ".cc", ".cxx", ".c++"), "C": (".c",)}


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


def program_path(root: Path, prog: dict[str, Any]) -> str:
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


def sample_io(root: Path, pid: str) -> tuple[str | None, str | None]:
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
