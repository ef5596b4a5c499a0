"""``cfdpo score FILE...``: compile C++ files with the compile scorer and print verdicts.

Needs no torch. ``--json`` prints one JSON result per line (verdict, good,
diagnostics, elapsed_ms, command) for use from other tools. The options are the compile option group's
(:class:`cfdpo.stages.configs.CompileOptions`, the same names as every other command; ``--compile-mode``
style spellings are accepted too), read without the ML stack.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import OptionError
from ..stages.configs import CompileOptions


def _truth(text: str) -> bool:
    if text.lower() in ("true", "1", "yes"):
        return True
    if text.lower() in ("false", "0", "no"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


_TRUTH = ("true", "false", "1", "0", "yes", "no")


def add_group(ap: argparse.ArgumentParser, group: type) -> set[str]:
    """One ``--name`` option (and its ``--hyphen-name`` spelling) per field of an option dataclass, with the
    field's default and help; ``bool`` fields are flags that also take ``true``/``false``. Returns the bool
    options' spellings (for :func:`bare_flags`)."""
    hints = typing.get_type_hints(group)
    flags: set[str] = set()
    for f in dataclasses.fields(group):
        names = [f"--{f.name}"] + ([f"--{f.name.replace('_', '-')}"] if "_" in f.name else [])
        kind = hints[f.name]
        if typing.get_origin(kind) is not typing.Literal:  # X | None: X
            kind = next((t for t in typing.get_args(kind) if t is not type(None)), kind)
        kw: dict[str, Any] = {"dest": f.name, "default": f.default, "help": f.metadata.get("help")}
        if typing.get_origin(kind) is typing.Literal:
            kw.update(choices=typing.get_args(kind), type=str)
        elif kind is bool:
            kw.update(nargs="?", const=True, type=_truth)
            flags.update(names)
        else:
            kw.update(type=kind)
        ap.add_argument(*names, **kw)
    return flags


def bare_flags(argv: Sequence[str], flags: set[str]) -> list[str]:
    """``--flag FILE`` as ``--flag=true FILE``: a bool flag takes the next word only when it is true/false."""
    out = list(argv)
    for i, tok in enumerate(out):
        if tok in flags and (i + 1 == len(out) or out[i + 1].lower() not in _TRUTH):
            out[i] = f"{tok}=true"
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="cfdpo score", description=__doc__.strip().split("\n\n")[0])
    ap.add_argument("files", nargs="+", help="C++ source files")
    flags = add_group(ap, CompileOptions)
    ap.add_argument("--json", action="store_true", help="print one JSON result per line")
    a = ap.parse_args(bare_flags(sys.argv[1:] if argv is None else argv, flags))
    opts = CompileOptions(**{f.name: getattr(a, f.name) for f in dataclasses.fields(CompileOptions)})
    try:
        opts.check_compile_options()
    except OptionError as e:
        print(f"cfdpo score: {e}", file=sys.stderr)
        return 2
    scorer = opts.compile_scorer(max_stderr_chars=20_000)
    sources = []
    for f in a.files:
        try:
            sources.append(Path(f).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as e:
            print(f"cfdpo score: {f}: cannot read ({e})", file=sys.stderr)
            return 1
    results = scorer.score_many(sources, workers=opts.workers)
    good = 0
    for f, r in zip(a.files, results):
        good += r.good
        if a.json:
            print(json.dumps({"file": f, **r.to_dict()}))
        else:
            first = r.errors[0] if r.errors else (r.warnings[0] if r.warnings else None)
            where = f":{first.line}" if first and first.line else ""
            msg = f"  {f}{where}: {first.message}" if first else ""
            print(f"{r.verdict.value:<15} {r.elapsed_ms:8.0f} ms  {f}{msg and chr(10) + msg}")
    if not a.json:
        print(f"{good}/{len(results)} good under warnings={opts.warnings}; policy: {' '.join(scorer.argv())}")
    return 0 if good == len(results) else 3
