"""Checks for option values, run when a config dataclass is built (before any work).

Each check raises :class:`~cfdpo.errors.OptionError` with the allowed range and
the value given, e.g. ``mask_ratio must be in (0, 1), got 0``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from .errors import OptionError, UsageError

__all__ = ["at_least", "choice", "in_range", "load_config", "matches", "positive"]


def choice(name: str, value: Any, allowed: Iterable[Any]) -> None:
    """``value`` must be one of ``allowed``."""
    allowed = tuple(allowed)
    if value not in allowed:
        raise OptionError(name, f"must be one of {', '.join(map(str, allowed))}, got {value!r}")


def in_range(
    name: str, value: float | None, lo: float, hi: float, *, lo_open: bool = True, hi_open: bool = True, optional: bool = False
) -> None:
    """``lo < value < hi`` (open ends by default; ``optional`` lets None through)."""
    if value is None and optional:
        return
    ok = value is not None and (value > lo if lo_open else value >= lo) and (value < hi if hi_open else value <= hi)
    if not ok:
        left, right = "(" if lo_open else "[", ")" if hi_open else "]"
        raise OptionError(name, f"must be in {left}{lo:g}, {hi:g}{right}, got {value}")


def at_least(name: str, value: float | None, lo: float, *, optional: bool = False) -> None:
    """``value >= lo`` (``optional`` lets None through)."""
    if value is None and optional:
        return
    if value is None or value < lo:
        raise OptionError(name, f"must be >= {lo:g}, got {value}")


def positive(name: str, value: float | None, *, optional: bool = False) -> None:
    """``value > 0`` (``optional`` lets None through)."""
    if value is None and optional:
        return
    if value is None or not value > 0:
        raise OptionError(name, f"must be > 0, got {value}")


def matches(name: str, value: str, pattern: str, what: str) -> None:
    """``value`` must match ``pattern`` (``what`` describes it in the message)."""
    if not isinstance(value, str) or not re.fullmatch(pattern, value):
        raise OptionError(name, f"must be {what}, got {value!r}")


def device(name: str, value: str | None) -> None:
    """A generation device: ``cpu``, ``cuda`` or ``cuda:N`` (None: chosen at run time). The one check every
    command with ``--device`` uses."""
    if value is not None:
        matches(name, value, r"cpu|cuda(:\d+)?", "cpu, cuda or cuda:N")


def load_config(path: str) -> dict[str, Any]:
    """Read a YAML config file as a mapping.

    Raises:
        UsageError: missing or unreadable file, a YAML syntax error (``file:line:col``), or not a mapping.
    """
    import yaml

    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        raise UsageError(f"--config {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"--config {path}: unreadable ({e})") from None
    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else path
        problem = getattr(e, "problem", None) or str(e).split("\n")[0]
        raise UsageError(f"{where}: YAML syntax error: {problem}") from None
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise UsageError(f"{path}: must hold a YAML mapping of option names to values, got {type(config).__name__}")
    return config
