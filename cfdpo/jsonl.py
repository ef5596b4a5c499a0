"""JSONL files: every row file cfdpo writes (prompts, samples, preferences, skipped, IR pairs).

Rows are appended one whole batch at a time (one write, fsync), so a crash
leaves at most a torn last line, which :func:`read_jsonl` with ``repair`` cuts
off; whole files are written atomically (temp file + rename).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

__all__ = ["append_jsonl", "map_and_append", "read_jsonl", "write_jsonl"]

T = TypeVar("T")

log = logging.getLogger(__name__)


def read_jsonl(path: str | Path, repair: bool = False) -> list[dict[str, Any]]:
    """Read a JSONL file (missing file: no rows).

    With ``repair``, an unterminated last line (a write cut by a crash: every
    row this package appends ends with a newline) is cut off the file first.

    Raises:
        ValueError: a line that is not valid JSON, naming the file and line.
    """
    path = Path(path)
    if not path.is_file():
        return []
    data = path.read_bytes()
    if repair and data and not data.endswith(b"\n"):
        keep = data.rfind(b"\n") + 1
        log.warning("%s: dropping a torn last line (%d bytes) left by an interrupted run", path, len(data) - keep)
        with open(path, "r+b") as f:
            f.truncate(keep)
        data = data[:keep]
    rows: list[dict[str, Any]] = []
    for i, raw in enumerate(data.split(b"\n"), start=1):
        if raw.strip():
            try:
                rows.append(json.loads(raw))
            except ValueError as e:
                raise ValueError(f"{path}:{i}: not valid JSON ({e})") from e
    return rows


def append_jsonl(path: str | Path, rows: Iterable[dict[str, Any]]) -> None:
    """Append rows with one write and an fsync (a batch lands whole or is torn at the end).

    In the main thread, SIGINT and SIGTERM are held back during the write, so an
    interrupt lands between batches, never inside one.
    """
    import signal
    import threading

    payload = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    if not payload:
        return
    main = threading.current_thread() is threading.main_thread()
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM}) if main else None
    try:
        with open(path, "a", encoding="utf-8") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
    finally:
        if held is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)


def write_jsonl(path: str | Path, rows: Iterable[dict[str, Any]]) -> None:
    """Write a JSONL file atomically (temp file + rename); the temp file is this process's own, so two
    processes writing the same file (the ranks of a distributed run) never rename each other's."""
    path = Path(path)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    os.replace(tmp, path)


def map_and_append(
    todo: Sequence[T],
    one: Callable[[T], tuple[list[dict[str, Any]], list[dict[str, Any]]]],
    rows_path: str | Path,
    drop_path: str | Path,
    *,
    total: int,
    chunk: int = 16,
    workers: int | None = None,
    desc: str = "",
    unit: str = "program",
) -> float:
    """Run ``one`` over ``todo`` in a thread pool, appending its rows and drops chunk by chunk (resumable).

    ``one(item)`` returns ``(rows, drops)``; after each chunk of ``chunk`` items both lists are appended
    (rows to ``rows_path``, drops to ``drop_path``), so a killed run loses at most one chunk and a rerun
    that skips what either file holds continues where it stopped. A progress bar counts ``total`` items,
    the ones not in ``todo`` as done.

    Returns:
        Seconds spent.
    """
    import time
    from concurrent.futures import ThreadPoolExecutor

    from tqdm.auto import tqdm

    t0 = time.time()
    with (
        ThreadPoolExecutor(max_workers=workers) as pool,
        tqdm(total=total, initial=total - len(todo), desc=desc, unit=unit) as bar,
    ):
        for i in range(0, len(todo), chunk):
            part = todo[i : i + chunk]
            results = list(pool.map(one, part))
            append_jsonl(rows_path, [r for rows, _ in results for r in rows])
            append_jsonl(drop_path, [d for _, drops in results for d in drops])
            bar.update(len(part))
    return time.time() - t0
