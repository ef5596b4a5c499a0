"""Argument parsing for subcommands: TRL's TrlParser over dataclasses.

YAML keys given with ``--config FILE`` are dataclass fields (unknown keys are an error) and command-line
flags override them. Without CUDA, TRL's bf16 and gradient-checkpointing defaults are turned off before
parsing (a config or flag can still set them).

Every problem is one :class:`~cfdpo.errors.UsageError` line: a YAML syntax error names ``file:line:col``;
an out-of-range value names the option (``--mask_ratio must be in (0, 1), got 0``) or, when it came from
the config file, the file and key (``recipe.yaml: mask_ratio must be ...``). Validation runs while the
config dataclasses are built, before a command does any work.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from ..errors import OptionError, UsageError
from ..options import load_config
from ..stages.training_sections import merge_section_flags, moved_key_hint

#: options that have another spelling now, and what to write instead (the flat training keys: MOVED_KEYS)
RENAMED = {
    "graded": "graded is now --pairs graded (or graded+synthetic)",
    "synthetic_negatives": "synthetic_negatives is now --pairs graded+synthetic",
    "loss": "loss is now --loss_type (TRL's DPOConfig name): sigmoid or dpop",
    "label_smoothing_eps": "label_smoothing_eps is now --label_smoothing (TRL's DPOConfig name)",
}


def _renamed(key: str, types: list[type]) -> str | None:
    """What to write instead of an option or config key that has another spelling now (None: not one)."""
    return moved_key_hint(key, types) or RENAMED.get(key)


def _given_on_command_line(option: str, argv: Sequence[str]) -> bool:
    flag = f"--{option}"
    return any(a == flag or a.startswith(flag + "=") for a in argv)


def parse(
    types: list[type],
    argv: Sequence[str] | None,
    prog: str,
    description: str | None = None,
    check: Callable[..., None] | None = None,
) -> tuple[Any, ...]:
    """Parse ``argv`` (and ``--config FILE``) into one instance of each dataclass in ``types``.

    ``check`` is called with the parsed instances and may raise :class:`~cfdpo.errors.OptionError` for
    values the dataclasses do not check themselves (e.g. TRL's training arguments); reported like the others.

    Raises:
        UsageError: an unknown option or config key, a bad value, a YAML error (one line each).
    """
    from trl import TrlParser

    args = list(argv) if argv is not None else []
    summary = (description or "").strip().split("\n\n")[0]
    parser = TrlParser(types, prog=prog, description=summary)  # type: ignore[arg-type]

    def _error(message: str) -> NoReturn:
        # argparse's choice error, in the words of cfdpo's own checks (cfdpo.options.choice)
        if m := re.fullmatch(r"argument (--[^/\s]+)\S*: invalid choice: (.*) \(choose from (.*)\)", message):
            message = f"{m[1]} must be one of {m[3].replace(chr(39), '')}, got {m[2]}"
        raise UsageError(message)

    parser.error = _error  # type: ignore[method-assign]
    dests = {a.dest for a in parser._actions}
    if "bf16" in dests:
        import torch

        if not torch.cuda.is_available():
            parser.set_defaults(bf16=False, gradient_checkpointing=False)
    config: dict[str, Any] = {}
    config_path = None
    if "--config" in args:
        i = args.index("--config")
        if i + 1 >= len(args):
            raise UsageError("--config needs a YAML file")
        config_path = args[i + 1]
        del args[i : i + 2]
        config = load_config(config_path)
        env = config.pop("env", {})
        if not isinstance(env, dict):
            raise UsageError(f"{config_path}: env must be a mapping of variable names to values")
        for key, value in env.items():
            os.environ[str(key)] = str(value)
    flags = merge_section_flags(args, config, types, config_path)
    for key in [str(k) for k in config] + [a[2:].split("=", 1)[0] for a in args if a.startswith("--")]:
        if key not in dests and (hint := _renamed(key, types)):
            raise UsageError(f"{config_path}: {hint}" if key in config else f"--{hint}")
    if unknown := sorted(k for k in config if k not in dests):
        raise UsageError(f"{config_path}: unknown key(s) {', '.join(map(str, unknown))} (keys are {prog}'s option names)")
    if config:
        parser.set_defaults_with_config(**config)
    try:
        *parsed, remaining = parser.parse_args_into_dataclasses(args=args, return_remaining_strings=True)
        if remaining:
            raise UsageError(f"unknown option(s) {' '.join(remaining)} (see {prog} --help)")
        if check is not None:
            check(*parsed)
        return tuple(parsed)
    except OptionError as e:
        section, _, sub = e.option.partition(".")
        in_section = bool(sub) and sub in (config.get(section) or {}) and sub not in flags.get(section, {})
        if config_path is not None and (in_section or (e.option in config and not _given_on_command_line(e.option, args))):
            raise UsageError(f"{config_path}: {e.option} {e.problem}") from None
        raise UsageError(f"--{e.option} {e.problem}") from None
    except UsageError:
        raise
    except ValueError as e:  # a check inside TRL's or transformers' own config classes
        raise UsageError(str(e)) from None
