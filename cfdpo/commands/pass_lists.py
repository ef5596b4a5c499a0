"""``cfdpo pass-lists emulate|tune``: compiler-emulation and flag-tuning datasets from opt pass lists.

Both read programs like ``cfdpo llvm-ir`` (a CodeNet-layout corpus or a directory of
C/C++ files; several comma-separated; a directory holding ``humaneval*.jsonl`` is read
as HumanEval-X's self-testing C++ programs), emit IR that passes can still act on
(``clang -O2 -Xclang -disable-llvm-passes``) and use the LLVM release's pass
catalogue (``cfdpo/compiler_data/passes-llvm<N>.json``).

``emulate`` writes ``emulation.jsonl``: per program ``--lists_per_program`` random
pass lists of 1-50 passes, each row (input IR, pass list, input size, output IR,
output size, instruction counts, LLM Compiler-style ``prompt``/``answer``);
lists that crash opt or time out are excluded and counted.

``tune`` writes ``tuning.jsonl``: per program random search (``--budget`` lists),
minimisation to a fixed point, validation by differential testing for programs
that have tests (CodeNet sample I/O; the build with the pass list must behave
like ``clang -O2`` under the execution sandbox), then broadcasting of the most
frequent winning lists to every program. ``summary.json`` reports the
geometric-mean size improvement over -Oz, the share of programs improved, the
validation rejection rate and evaluations/s. Both commands are parallel,
resumable (rows are appended per program and skipped on a rerun) and show progress.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path


def main(argv: Sequence[str] | None = None) -> int:
    from ..stages.pass_lists import PassListsArguments, run
    from ._parser import parse

    args = list(argv if argv is not None else __import__("sys").argv[1:])
    if not args or args[0] not in ("emulate", "tune"):
        print("usage: cfdpo pass-lists {emulate,tune} --data DIR [--out DIR] [options]  (--help for options)")
        return 2
    mode = args.pop(0)
    (a,) = parse([PassListsArguments], args, prog=f"cfdpo pass-lists {mode}", description=__doc__)
    s = run(a, mode)
    print(json.dumps({k: v for k, v in s.items() if k not in ("config", "llvm")}, indent=2))
    print(f"wrote {Path(a.out) / ('emulation.jsonl' if mode == 'emulate' else 'tuning.jsonl')}")
    return 0
