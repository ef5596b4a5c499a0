"""``cfdpo llvm-ir --data DIR --opt_levels O0,Oz,O3 --out DIR``: source ↔ LLVM IR pairs (IRCoder / SLTrans style).

Writes ``ir.jsonl`` (and ``pairs.jsonl`` with ``--format pairs``; ``disassembly.jsonl``
with ``--disassembly``) into ``--out``; see :mod:`cfdpo.stages.llvm_ir`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path


def main(argv: Sequence[str] | None = None) -> int:
    from ..stages.llvm_ir import LLVMIRArguments, run
    from ._parser import parse

    (a,) = parse([LLVMIRArguments], argv, prog="cfdpo llvm-ir", description=__doc__)
    s = run(a)
    print(json.dumps({k: v for k, v in s.items() if k not in ("config", "llvm")}, indent=2))
    print(f"wrote {Path(a.out) / 'ir.jsonl'}")
    return 0
