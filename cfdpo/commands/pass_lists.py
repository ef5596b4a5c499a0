"""``cfdpo pass-lists emulate|tune``: compiler-emulation and flag-tuning datasets from opt pass lists.

The command parses options and calls :func:`cfdpo.stages.pass_lists.run`; its module docstring (shown by
``--help``) describes the run.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path


def main(argv: Sequence[str] | None = None) -> int:
    from ..stages.pass_lists import PassListsArguments, run
    from ..stages.pass_lists import __doc__ as stage_doc
    from ._parser import parse

    args = list(argv if argv is not None else __import__("sys").argv[1:])
    if not args or args[0] not in ("emulate", "tune"):
        print("usage: cfdpo pass-lists {emulate,tune} --data DIR [--out DIR] [options]  (--help for options)")
        return 2
    mode = args.pop(0)
    (a,) = parse([PassListsArguments], args, prog=f"cfdpo pass-lists {mode}", description=stage_doc)
    s = run(a, mode)
    print(json.dumps({k: v for k, v in s.items() if k not in ("config", "llvm")}, indent=2))
    print(f"wrote {Path(a.out) / ('emulation.jsonl' if mode == 'emulate' else 'tuning.jsonl')}")
    return 0
