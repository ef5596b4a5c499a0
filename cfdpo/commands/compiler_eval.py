"""``cfdpo compiler-eval --task emulate|tune|disassemble --data ROWS [--model M]``: score a model on compiler tasks.

LLM Compiler's three tasks (Cummins et al. 2024): compiler emulation (predict
opt's output IR and its binary size), flag tuning (predict a pass list that
makes the object file small) and disassembly (x86-64 assembly → LLVM IR),
on rows made by ``cfdpo pass-lists emulate``, ``cfdpo pass-lists tune`` and
``cfdpo llvm-ir --disassembly``. Writes ``predictions.jsonl`` (answers with
per-row scores; resumed), ``results.json`` (metrics with 95% Wilson
intervals, config, versions) and ``report.md`` into ``--out``. See
:mod:`cfdpo.stages.compiler_eval` and :mod:`cfdpo.evaluation.compiler_tasks`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def main(argv: Sequence[str] | None = None) -> int:
    from ..stages.compiler_eval import CompilerEvalArguments, format_report, run
    from ._parser import parse

    (a,) = parse([CompilerEvalArguments], argv, prog="cfdpo compiler-eval", description=__doc__)
    results = run(a)
    print(format_report(results))
    print(f"wrote {Path(a.out) / 'results.json'}")
    return 0
