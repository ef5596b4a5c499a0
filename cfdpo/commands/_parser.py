"""Argument parsing for subcommands: TRL's TrlParser over dataclasses.

YAML keys given with ``--config FILE`` are dataclass fields (unknown keys are an
error) and command-line flags override them.
"""

from __future__ import annotations

from typing import Any, Sequence


def parse(types: list[type], argv: Sequence[str] | None, prog: str, description: str | None = None) -> tuple[Any, ...]:
    from trl import TrlParser

    parser = TrlParser(types, prog=prog, description=(description or "").strip().split("\n\n")[0])
    return tuple(parser.parse_args_and_config(list(argv) if argv is not None else None))
