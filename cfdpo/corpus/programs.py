"""Programs to compile for the compiler datasets (LLVM IR pairs, pass lists): a CodeNet corpus's accepted
C++ submissions, or every C/C++ file under a directory (MiBench, HumanEval-X)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["collect_programs"]


def collect_programs(root: Path, limit: int | None = None) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Programs to compile: a CodeNet corpus's accepted submissions, or every C/C++ file under ``root``.

    Raises:
        FileNotFoundError: ``root`` does not exist.
    """
    from collections import Counter

    if not root.is_dir():
        raise FileNotFoundError(f"{root}: no such directory")
    progs: list[dict[str, Any]] = []
    skipped: Counter = Counter()
    if (root / "data").is_dir() and (root / "metadata").is_dir():
        from .codenet import LoadReport, read_problem

        rep = LoadReport()
        for pd in sorted(p for p in (root / "data").iterdir() if p.is_dir()):
            for r in read_problem(root, pd.name, "C++", "Accepted", rep) or []:
                progs.append(
                    {
                        "id": f"{r['problem_id']}/{r['submission_id']}",
                        "problem_id": r["problem_id"],
                        "language": "C++",
                        "source": r["source"],
                    }
                )
            if limit and len(progs) >= limit:
                break
        skipped.update(rep.skipped)
    else:
        for f in sorted(root.rglob("*")):
            if f.suffix not in (".c", ".cpp", ".cc") or not f.is_file():
                continue
            try:
                src = f.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                skipped["unreadable_or_non_utf8"] += 1
                continue
            rel = f.relative_to(root).as_posix()
            progs.append(
                {
                    "id": rel,
                    "problem_id": rel.split("/")[0],
                    "language": "C" if f.suffix == ".c" else "C++",
                    "source": src,
                    "include_dir": str(f.parent.resolve()),
                }
            )
            if limit and len(progs) >= limit:
                break
    return progs[:limit] if limit else progs, dict(skipped)
