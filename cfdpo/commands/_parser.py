"""Argument parsing for subcommands: TRL's TrlParser over dataclasses.

YAML keys given with ``--config FILE`` are dataclass fields (unknown keys are an
error) and command-line flags override them. Without CUDA, TRL's bf16 and
gradient-checkpointing defaults are turned off before parsing (a config or flag
can still set them).
"""

from __future__ import annotations

from typing import Any, Sequence


def parse(types: list[type], argv: Sequence[str] | None, prog: str, description: str | None = None) -> tuple[Any, ...]:
    from trl import TrlParser

    parser = TrlParser(types, prog=prog, description=(description or "").strip().split("\n\n")[0])
    dests = {a.dest for a in parser._actions}
    if "bf16" in dests:
        import torch

        if not torch.cuda.is_available():
            parser.set_defaults(bf16=False, gradient_checkpointing=False)
    return tuple(parser.parse_args_and_config(list(argv) if argv is not None else None))
